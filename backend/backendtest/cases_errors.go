package backendtest

import (
	"math"
	"testing"

	"github.com/crossbar-compute/crossbar/tensor"
)

// errCase is a call with a bad argument: it must give a tensor whose error names op.
type errCase struct {
	name string
	op   string
	f    func(c *tc) *tensor.Tensor
}

func errorCases() []errCase {
	f32 := func(c *tc, dims ...int) *tensor.Tensor { return c.input(refFloat32, dims, genGeneral, contiguous).t }
	typed := func(c *tc, dt refDType, dims ...int) *tensor.Tensor {
		return c.input(dt, dims, genGeneral, contiguous).t
	}
	pool := tensor.PoolOptions{Kernel: []int{3}}
	return []errCase{
		{"Add/broadcast", "Add", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).Add(f32(c, 4)) }},
		{"Add/dtypes", "Add", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).Add(typed(c, refFloat64, 2, 3)) }},
		{"Mul/dtypes", "Mul", func(c *tc) *tensor.Tensor { return typed(c, refInt32, 3).Mul(typed(c, refInt64, 3)) }},
		{"Less/broadcast", "Less", func(c *tc) *tensor.Tensor { return f32(c, 3, 2).Less(f32(c, 3)) }},
		{"Greater/dtypes", "Greater", func(c *tc) *tensor.Tensor { return f32(c, 3).Greater(typed(c, refInt32, 3)) }},
		{"Where/dtypes", "Where", func(c *tc) *tensor.Tensor {
			return tensor.Where(typed(c, refBool, 3), f32(c, 3), typed(c, refFloat64, 3))
		}},
		{"Where/broadcast", "Where", func(c *tc) *tensor.Tensor { return tensor.Where(typed(c, refBool, 2), f32(c, 3), f32(c, 3)) }},
		{"Sum/axis", "Sum", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).Sum(2) }},
		{"Sum/negative-axis", "Sum", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).Sum(-3) }},
		{"Sum/repeated-axis", "Sum", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).Sum(0, -2) }},
		{"Max/empty", "Max", func(c *tc) *tensor.Tensor { return f32(c, 0, 3).Max(0) }},
		{"Min/empty", "Min", func(c *tc) *tensor.Tensor { return f32(c, 0).Min() }},
		{"Mean/axis", "Mean", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).Mean(-3) }},
		{"LogSumExp/axis", "LogSumExp", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).LogSumExp(5) }},
		{"ArgMax/axis", "ArgMax", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).ArgMax(2) }},
		{"ArgMin/empty", "ArgMin", func(c *tc) *tensor.Tensor { return f32(c, 2, 0).ArgMin(1) }},
		{"Softmax/axis", "Softmax", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).Softmax(2) }},
		{"LogSoftmax/axis", "LogSoftmax", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).LogSoftmax(-3) }},
		{"CumSum/axis", "CumSum", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).CumSum(2, false, false) }},
		{"MatMul/inner", "MatMul", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).MatMul(f32(c, 4, 2)) }},
		{"MatMul/scalar", "MatMul", func(c *tc) *tensor.Tensor { return f32(c).MatMul(f32(c, 3)) }},
		{"MatMul/batch", "MatMul", func(c *tc) *tensor.Tensor { return f32(c, 2, 2, 3).MatMul(f32(c, 3, 3, 2)) }},
		{"Reshape/size", "Reshape", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).Reshape(4, 2) }},
		{"Reshape/two-minus-one", "Reshape", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).Reshape(-1, -1) }},
		{"Permute/axes", "Permute", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).Permute(0, 0) }},
		{"Expand/shape", "Expand", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).Expand(4, 3) }},
		{"Squeeze/size", "Squeeze", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).Squeeze(0) }},
		{"Unsqueeze/axis", "Unsqueeze", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).Unsqueeze(4) }},
		{"Flatten/axis", "Flatten", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).Flatten(3) }},
		{"Slice/step", "Slice", func(c *tc) *tensor.Tensor { return f32(c, 4).Slice(0, 0, 4, 0) }},
		{"Slice/axis", "Slice", func(c *tc) *tensor.Tensor { return f32(c, 4).Slice(1, 0, 4, 1) }},
		{"Flip/axis", "Flip", func(c *tc) *tensor.Tensor { return f32(c, 4).Flip(1) }},
		{"Tile/negative", "Tile", func(c *tc) *tensor.Tensor { return f32(c, 4).Tile(-2) }},
		{"Pad/pairs", "Pad", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).Pad([][2]int{{1, 1}}, tensor.PadConstant, 0) }},
		{"Pad/negative", "Pad", func(c *tc) *tensor.Tensor { return f32(c, 3).Pad([][2]int{{-1, 1}}, tensor.PadEdge, 0) }},
		{"Concat/shapes", "Concat", func(c *tc) *tensor.Tensor { return tensor.Concat(0, f32(c, 2, 3), f32(c, 2, 4)) }},
		{"Gather/axis", "Gather", func(c *tc) *tensor.Tensor { return f32(c, 3).Gather(1, typed(c, refInt64, 2)) }},
		{"Gather/index-dtype", "Gather", func(c *tc) *tensor.Tensor { return f32(c, 3).Gather(0, f32(c, 2)) }},
		{"Triu/rank", "Triu", func(c *tc) *tensor.Tensor { return f32(c, 3).Triu(0) }},
		{"Tril/rank", "Tril", func(c *tc) *tensor.Tensor { return f32(c).Tril(0) }},
		{"LayerNorm/axis", "LayerNorm", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).LayerNorm(2, f32(c, 3), nil, 1e-5) }},
		{"LayerNorm/scale", "LayerNorm", func(c *tc) *tensor.Tensor { return f32(c, 2, 3).LayerNorm(1, f32(c, 4), nil, 1e-5) }},
		{"Conv/channels", "Conv", func(c *tc) *tensor.Tensor { return f32(c, 1, 3, 5).Conv(f32(c, 2, 2, 3), tensor.ConvOptions{}) }},
		{"Conv/dtypes", "Conv", func(c *tc) *tensor.Tensor {
			return f32(c, 1, 3, 5).Conv(typed(c, refFloat64, 2, 3, 3), tensor.ConvOptions{})
		}},
		{"MaxPool/kernel", "MaxPool", func(c *tc) *tensor.Tensor { return f32(c, 1, 2, 5, 5).MaxPool(pool) }},
		{"AvgPool/kernel", "AvgPool", func(c *tc) *tensor.Tensor { return f32(c, 1, 2, 5).AvgPool(tensor.PoolOptions{Kernel: []int{7}}) }},
		{"Exp/int", "Exp", func(c *tc) *tensor.Tensor { return typed(c, refInt32, 3).Exp() }},
		{"Not/float", "Not", func(c *tc) *tensor.Tensor { return f32(c, 3).Not() }},
		{"And/float", "And", func(c *tc) *tensor.Tensor { return f32(c, 3).And(f32(c, 3)) }},
		{"Add/nil", "Add", func(c *tc) *tensor.Tensor { return f32(c, 3).Add(nil) }},
		{"New/length", "New", func(c *tc) *tensor.Tensor { return tensor.New([]float32{1, 2, 3}, 2, 2).To(c.s.dev) }},
		{"New/negative", "New", func(c *tc) *tensor.Tensor { return tensor.New([]float32{}, 0, -1) }},
		{"Full/negative", "Full", func(c *tc) *tensor.Tensor { return tensor.Full(1, tensor.Float32, 2, -1) }},
		{"Arange/step", "Arange", func(c *tc) *tensor.Tensor { return tensor.Arange(0, 1, 0, tensor.Float32) }},
		{"Arange/nan", "Arange", func(c *tc) *tensor.Tensor { return tensor.Arange(0, math.NaN(), 1, tensor.Float32) }},
		{"RandUniform/int", "RandUniform", func(c *tc) *tensor.Tensor { return tensor.RandUniform(1, tensor.Int32, 3) }},
		{"Cast/invalid", "Cast", func(c *tc) *tensor.Tensor { return f32(c, 3).Cast(tensor.DType(0)) }},
		// A failed tensor used as an operand: the result carries the first error, which names
		// the op that failed.
		{"propagation", "Reshape", func(c *tc) *tensor.Tensor {
			x := f32(c, 2, 3)
			return x.Add(x.Reshape(5)).Exp().Sum()
		}},
	}
}

func (s *suite) errorCases(t *testing.T) {
	for _, ec := range errorCases() {
		s.run(t, ec.name, func(c *tc) {
			if len(s.only(refBool, refInt32, refInt64, refFloat32, refFloat64)) < 5 {
				c.Skip("needs float32, float64, int32, int64 and bool")
			}
			c.checkErr(ec.op, ec.name, ec.f(c))
		})
	}
	s.run(t, "Data/wrong-type", func(c *tc) {
		x := c.input(refFloat32, sh(3), genGeneral, contiguous)
		if _, err := tensor.Data[int32](x.t); err == nil {
			c.Errorf("Data[int32] of a %s tensor: no error", x.desc)
		}
	})
	s.run(t, "Split/error", func(c *tc) {
		x := c.input(refFloat32, sh(5), genGeneral, contiguous)
		parts := x.t.Split(0, 2, 2)
		if len(parts) == 0 {
			c.Errorf("Split(0, 2, 2) of %s: no tensors, want tensors carrying an error naming Split", x.desc)
		}
		for _, p := range parts {
			c.checkErr("Split", "Split(0, 2, 2) of "+x.desc, p)
		}
	})
}

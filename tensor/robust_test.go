package tensor

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestNoPanics throws odd inputs at every operation: nil and invalid tensors, scalars, empty
// tensors, axes and sizes far out of range, mixed dtypes. Nothing may panic, neither when
// the graph is built nor when it is realized and printed.
func TestNoPanics(t *testing.T) {
	var nilT *Tensor
	inputs := map[string]*Tensor{
		"nil":     nilT,
		"invalid": invalid(),
		"scalar":  Scalar[float32](2),
		"empty":   Zeros(Float32, 0),
		"empty3":  Zeros(Float32, 2, 0, 3),
		"f32":     ar(Float32, 2, 3),
		"f16":     ar(Float16, 1, 2, 3),
		"i32":     ar(Int32, 2, 3),
		"i64":     ar(Int64, 3),
		"bool":    New([]bool{true, false, true, true}, 2, 2),
		"u8":      New([]uint8{1, 2, 3}),
		"img":     ar(Float32, 1, 2, 3, 3),
		"view":    ar(Float32, 3, 4).Transpose().Slice(0, 3, 0, -2),
		"huge":    Zeros(Float32, 1, 2, 1<<47),
		"huge2d":  Zeros(Float32, 1, 1<<20, 1<<14, 1<<14),
	}
	ints := []int{0, 1, -1, 2, -3, 7, math.MaxInt, math.MinInt}
	var ops []func(x *Tensor) any
	for _, i := range ints {
		ops = append(ops,
			func(x *Tensor) any { return x.ArgMax(i) },
			func(x *Tensor) any { return x.ArgMin(i) },
			func(x *Tensor) any { return x.CumSum(i, i%2 == 0, i > 0) },
			func(x *Tensor) any { return x.Tile(i) },
			func(x *Tensor) any { return x.Tile(2, i) },
			func(x *Tensor) any { return x.Triu(i) },
			func(x *Tensor) any { return x.Tril(i) },
			func(x *Tensor) any { return x.Split(i) },
			func(x *Tensor) any { return x.Split(i, 1, 1) },
			func(x *Tensor) any { return x.Split(0, i, 1) },
			func(x *Tensor) any { return x.Gather(i, New([]int64{0, -1})) },
			func(x *Tensor) any { return x.Gather(0, New([]int64{int64(i)})) },
			func(x *Tensor) any { return Concat(i, x, x) },
			func(x *Tensor) any { return Concat(0, x, ar(Float32, 1, 3)) },
			func(x *Tensor) any { return x.Pad([][2]int{{i, 1}}, PadReflect, 1) },
			func(x *Tensor) any { return x.Pad([][2]int{{1, i}, {i, 0}}, PadEdge, 1) },
			func(x *Tensor) any { return x.Pad([][2]int{{1, 1}, {0, i}}, PadConstant, float64(i)) },
			func(x *Tensor) any { return x.Pad([][2]int{{1, 1}, {0, 1}, {0, 1}}, PadMode(i), 1) },
			func(x *Tensor) any { return x.LayerNorm(i, Ones(Float32, 3), nil, 1e-5) },
			func(x *Tensor) any { return x.LayerNorm(-1, x, x, float64(i)) },
			func(x *Tensor) any { return x.Conv(Ones(Float32, 2, 2, 2, 2), ConvOptions{Groups: i}) },
			func(x *Tensor) any {
				return x.Conv(Ones(Float32, 2, 1, 2, 2), ConvOptions{Groups: 2, Strides: []int{i, 1}})
			},
			func(x *Tensor) any { return x.Conv(x, ConvOptions{Dilations: []int{1, i}, Pads: []int{i, 0, 0, 1}}) },
			func(x *Tensor) any { return x.MaxPool(PoolOptions{Kernel: []int{2, i}}) },
			func(x *Tensor) any {
				return x.MaxPool(PoolOptions{Kernel: []int{2, 2}, Pads: []int{0, i, 1, 1}, CeilMode: true})
			},
			func(x *Tensor) any {
				return x.AvgPool(PoolOptions{Kernel: []int{1, 2}, Strides: []int{i, 1}, CountIncludePad: true})
			},
			func(x *Tensor) any { return x.AvgPool(PoolOptions{Kernel: []int{i}, Dilations: []int{i}}) },
			// Existing ops too.
			func(x *Tensor) any { return x.Slice(i, i, i, i) },
			func(x *Tensor) any { return x.Slice(0, i, -i, -1) },
			func(x *Tensor) any { return x.Reshape(i, -1) },
			func(x *Tensor) any { return x.Squeeze(i) },
			func(x *Tensor) any { return x.Unsqueeze(i) },
			func(x *Tensor) any { return x.Flatten(i) },
			func(x *Tensor) any { return x.Sum(i) },
			func(x *Tensor) any { return x.Softmax(i) },
			func(x *Tensor) any { return x.Expand(i, 3) },
			func(x *Tensor) any { return x.Permute(i, 0) },
		)
	}
	ops = append(ops,
		func(x *Tensor) any { return Concat(0, x) },
		func(x *Tensor) any { return Concat(0, x, nil) },
		func(x *Tensor) any { return x.Gather(0, x) },
		func(x *Tensor) any { return x.Conv(x, ConvOptions{}) },
		func(x *Tensor) any { return x.Conv(nil, ConvOptions{}) },
		func(x *Tensor) any { return x.LayerNorm(0, nil, x, 0) },
		func(x *Tensor) any { return x.MaxPool(PoolOptions{}) },
		func(x *Tensor) any { return x.MatMul(x) },
		func(x *Tensor) any { return Where(x, x, x) },
	)
	for name, x := range inputs {
		for k, op := range ops {
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("input %s, op %d: panic: %v", name, k, r)
					}
				}()
				var outs []*Tensor
				switch r := op(x).(type) {
				case *Tensor:
					outs = []*Tensor{r}
				case []*Tensor:
					if r == nil {
						t.Errorf("input %s, op %d: Split returned nil", name, k)
					}
					outs = r
				}
				for _, o := range outs {
					if o == nil {
						t.Errorf("input %s, op %d: nil result", name, k)
						continue
					}
					if o.Err() == nil && (strings.HasPrefix(name, "huge") || numelOf(o.Shape()) > 1<<20) {
						continue // valid but too big to realize here
					}
					_ = o.String()
					_ = fmt.Sprint(o)
				}
			}()
		}
	}
}

func numelOf(shape []int) float64 {
	n := 1.0
	for _, d := range shape {
		n *= float64(d)
	}
	return n
}

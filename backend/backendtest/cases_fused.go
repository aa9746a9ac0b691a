package backendtest

import (
	"fmt"
	"testing"

	"github.com/crossbar-compute/crossbar/tensor"
)

// must returns a, panicking on a reference error (a bug in the case).
func must(a *refArray, err error) *refArray {
	if err != nil {
		panic(err)
	}
	return a
}

// scalarOf is a rank-0 operand of dtype dt holding v, and its reference.
func (c *tc) scalarOf(dt refDType, v float64) (*tensor.Tensor, *refArray) {
	r := refScalar(dt, v)
	return c.upload(r), r
}

// fusedCase is a chain of ops that a scheduler may fuse into fewer kernels: it builds the
// chain on the device and the same chain over the reference, and gives the tolerance.
type fusedCase struct {
	name  string
	build func(c *tc, dt refDType) (ins []operand, got *tensor.Tensor, want *refArray, tl tol)
}

func fusedCases() []fusedCase {
	un := func(op string, a *refArray) *refArray { return refUnary(op, a) }
	bin := func(op string, a, b *refArray) *refArray { return must(refBinary(op, a, b)) }
	red := func(op string, a *refArray, axes ...int) *refArray { return must(refReduce(op, a, axes)) }
	unsq := func(a *refArray, axes ...int) *refArray { return must(refUnsqueeze(a, axes...)) }
	return []fusedCase{
		{"matmul-bias-relu", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			a := c.input(dt, sh(17, 33), genMatmul, contiguous)
			b := c.input(dt, sh(33, 65), genMatmul, contiguous)
			bias := c.input(dt, sh(65), genMatmul, contiguous)
			got := a.t.MatMul(b.t).Add(bias.t).ReLU()
			want := un("ReLU", bin("Add", must(refMatMul(a.ref, b.ref)), bias.ref))
			return []operand{a, b, bias}, got, want, tolAccum(dt, 33, 1)
		}},
		{"matmul-transposed-bias-gelu", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			a := c.input(dt, sh(65, 33), genMatmul, viewT)
			b := c.input(dt, sh(33, 17), genMatmul, viewSlice)
			bias := c.input(dt, sh(1, 17), genMatmul, contiguous)
			got := a.t.MatMul(b.t).Add(bias.t).GELU()
			want := un("GELU", bin("Add", must(refMatMul(a.ref, b.ref)), bias.ref))
			return []operand{a, b, bias}, got, want, tolAccum(dt, 33, 1)
		}},
		{"softmax-by-hand", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(7, 129), genRange(-8, 8), contiguous)
			e := x.t.Sub(x.t.Max(-1).Unsqueeze(-1)).Exp()
			got := e.Div(e.Sum(-1).Unsqueeze(-1))
			er := un("Exp", bin("Sub", x.ref, unsq(red("Max", x.ref, -1), -1)))
			want := bin("Div", er, unsq(red("Sum", er, -1), -1))
			return []operand{x}, got, want, tolAccum(dt, 129, 1)
		}},
		{"exp-minus-max-sum", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(33, 17), genRange(-8, 8), viewT)
			got := x.t.Sub(x.t.Max(-1).Unsqueeze(-1)).Exp().Sum(-1)
			want := red("Sum", un("Exp", bin("Sub", x.ref, unsq(red("Max", x.ref, -1), -1))), -1)
			return []operand{x}, got, want, tolAccum(dt, 33, 1)
		}},
		{"layernorm-by-hand", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(5, 33), genGeneral, contiguous)
			eps, er := c.scalarOf(dt, 1e-5)
			d := x.t.Sub(x.t.Mean(-1).Unsqueeze(-1))
			v := d.Mul(d).Mean(-1).Unsqueeze(-1)
			got := d.Div(v.Add(eps).Sqrt())
			dr := bin("Sub", x.ref, unsq(red("Mean", x.ref, -1), -1))
			vr := unsq(red("Mean", bin("Mul", dr, dr), -1), -1)
			want := bin("Div", dr, un("Sqrt", bin("Add", vr, er)))
			return []operand{x}, got, want, tolAccum(dt, 33, 4)
		}},
		{"views-add-mul-sum", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(33, 17), genGeneral, viewT)
			y := c.input(dt, sh(33, 17), genGeneral, contiguous)
			z := c.input(dt, sh(33, 17), genGeneral, contiguous)
			got := x.t.Add(y.t).Mul(z.t.Flip(0)).Sum(0)
			want := red("Sum", bin("Mul", bin("Add", x.ref, y.ref), must(refFlip(z.ref, 0))), 0)
			return []operand{x, y, z}, got, want, tolAccum(dt, 33, 32)
		}},
		{"slice-exp-max", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(9, 20), genGeneral, contiguous)
			got := x.t.Slice(1, 1, 19, 3).Exp().Max()
			want := red("Max", un("Exp", must(refSlice(x.ref, 1, 1, 19, 3))))
			return []operand{x}, got, want, tolElem(dt)
		}},
		{"where-exp-neg-sum", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(6, 65), genGeneral, contiguous)
			zero, zr := c.scalarOf(dt, 0)
			got := tensor.Where(x.t.Greater(zero), x.t.Exp(), x.t.Neg()).Sum(1)
			want := red("Sum", must(refWhere(bin("Greater", x.ref, zr), un("Exp", x.ref), un("Neg", x.ref))), 1)
			return []operand{x}, got, want, tolAccum(dt, 65, 55)
		}},
		{"shared-subexpression", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(4, 9), genGeneral, contiguous)
			y := x.t.Exp()
			got := y.Add(y.Sum()).Sub(y.Max(0))
			yr := un("Exp", x.ref)
			want := bin("Sub", bin("Add", yr, red("Sum", yr)), red("Max", yr, 0))
			return []operand{x}, got, want, tolAccum(dt, 36, 55)
		}},
		{"matmul-sum", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			a := c.input(dt, sh(9, 17), genMatmul, contiguous)
			b := c.input(dt, sh(17, 7), genMatmul, viewFlip)
			got := a.t.MatMul(b.t).Sum(0)
			want := red("Sum", must(refMatMul(a.ref, b.ref)), 0)
			return []operand{a, b}, got, want, tolAccum(dt, 17*9, 1)
		}},
		{"two-reductions", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(8, 13), genGeneral, contiguous)
			got := x.t.Sum(1).Max().Add(x.t.Max(0).Add(x.t.Min(0)).Sum())
			want := bin("Add", red("Max", red("Sum", x.ref, 1)), red("Sum", bin("Add", red("Max", x.ref, 0), red("Min", x.ref, 0))))
			return []operand{x}, got, want, tolAccum(dt, 104, 4)
		}},
		{"permute-reshape-matmul", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(2, 3, 4), genMatmul, contiguous)
			w := c.input(dt, sh(8, 5), genMatmul, contiguous)
			got := x.t.Permute(1, 0, 2).Reshape(3, 8).MatMul(w.t)
			want := must(refMatMul(must(refReshape(must(refPermute(x.ref, 1, 0, 2)), 3, 8)), w.ref))
			return []operand{x, w}, got, want, tolAccum(dt, 8, 1)
		}},
		{"broadcast-mul-sum", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(4, 1, 5), genMatmul, contiguous)
			y := c.input(dt, sh(6, 5), genMatmul, viewT)
			got := x.t.Mul(y.t).Sum(-1)
			want := red("Sum", bin("Mul", x.ref, y.ref), -1)
			return []operand{x, y}, got, want, tolAccum(dt, 5, 1)
		}},
		{"mlp-softmax", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(3, 17), genMatmul, contiguous)
			w1 := c.input(dt, sh(17, 33), genMatmul, contiguous)
			b1 := c.input(dt, sh(33), genMatmul, contiguous)
			w2 := c.input(dt, sh(33, 9), genMatmul, contiguous)
			b2 := c.input(dt, sh(9), genMatmul, contiguous)
			got := x.t.MatMul(w1.t).Add(b1.t).ReLU().MatMul(w2.t).Add(b2.t).Softmax(-1)
			h := un("ReLU", bin("Add", must(refMatMul(x.ref, w1.ref)), b1.ref))
			want := must(refSoftmax(bin("Add", must(refMatMul(h, w2.ref)), b2.ref), -1))
			return []operand{x, w1, b1, w2, b2}, got, want, tolAccum(dt, 17*33, 1)
		}},
		{"repeated-input", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(5, 7), genGeneral, viewNegSlice)
			got := x.t.Mul(x.t).Add(x.t).Mul(x.t.Flip(1))
			want := bin("Mul", bin("Add", bin("Mul", x.ref, x.ref), x.ref), must(refFlip(x.ref, 1)))
			return []operand{x}, got, want, tolElem(dt)
		}},
		{"cast-chain", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(refInt32, sh(5, 7), genGeneral, contiguous)
			half, hr := c.scalarOf(dt, 0.5)
			q, qr := c.scalarOf(dt, 0.25)
			got := x.t.Cast(tensorDType(dt)).Mul(half).Add(q).Cast(tensor.Int32).Add(x.t)
			want := bin("Add", refCast(bin("Add", bin("Mul", refCast(x.ref, dt), hr), qr), refInt32), x.ref)
			return []operand{x}, got, want, exact
		}},
		{"reduce-then-broadcast", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(3, 4, 5), genGeneral, viewPermute)
			got := x.t.Sub(x.t.Mean(0, 2).Unsqueeze(0, 2)).Abs().Max(1)
			want := red("Max", un("Abs", bin("Sub", x.ref, unsq(red("Mean", x.ref, 0, 2), 0, 2))), 1)
			return []operand{x}, got, want, tolAccum(dt, 15, 4)
		}},
		{"concat-chain", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			a := c.input(dt, sh(3, 4), genGeneral, contiguous)
			b := c.input(dt, sh(2, 4), genGeneral, viewFlip)
			got := tensor.Concat(0, a.t.Exp(), b.t.Neg()).Sum(0)
			want := red("Sum", must(refConcat(0, un("Exp", a.ref), un("Neg", b.ref))), 0)
			return []operand{a, b}, got, want, tolAccum(dt, 5, 55)
		}},
		{"pad-add-sum", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(4, 5), genGeneral, viewT)
			one, or := c.scalarOf(dt, 1)
			pads := [][2]int{{1, 2}, {2, 0}}
			got := x.t.Pad(pads, tensor.PadConstant, 0).Add(one).Sum(1)
			want := red("Sum", bin("Add", must(refPad(x.ref, pads, refPadConstant, 0)), or), 1)
			return []operand{x}, got, want, tolAccum(dt, 7, 4)
		}},
		{"gather-mul-sum", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(6, 5), genGeneral, contiguous)
			idx := c.opnd(refFrom(refInt64, []float64{5, -1, 0, 2, -6, 3}, sh(2, 3)))
			two, tr := c.scalarOf(dt, 2)
			got := x.t.Gather(0, idx.t).Mul(two).Sum(-1)
			want := red("Sum", bin("Mul", must(refGather(x.ref, 0, idx.ref)), tr), -1)
			return []operand{x, idx}, got, want, tolAccum(dt, 5, 8)
		}},
	}
}

func (s *suite) fused(t *testing.T) {
	for _, fc := range fusedCases() {
		for _, dt := range s.only(refFloat32, refFloat64, refFloat16) {
			if dt == refFloat16 && fc.name != "matmul-bias-relu" && fc.name != "views-add-mul-sum" && fc.name != "cast-chain" {
				continue
			}
			if fc.name == "cast-chain" && !s.has(refInt32) {
				continue
			}
			if fc.name == "gather-mul-sum" && !s.has(refInt64) {
				continue
			}
			s.run(t, fmt.Sprintf("%s/%v", fc.name, dt), func(c *tc) {
				ins, got, want, tl := fc.build(c, dt)
				c.check(fc.name, ins, got, want, tl)
			})
		}
	}
}

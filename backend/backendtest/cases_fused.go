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
		// Values read twice or more inside one kernel: computed once there and shared.
		{"shared-softplus-of-sum", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(9, 37), genRange(-12, 12), contiguous)
			y := c.input(dt, sh(37), genRange(-12, 12), contiguous)
			got := x.t.Add(y.t).Softplus()
			want := un("Softplus", bin("Add", x.ref, y.ref))
			return []operand{x, y}, got, want, tolAccum(dt, 2, 8)
		}},
		{"matmul-bias-silu-shared", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			a := c.input(dt, sh(19, 33), genMatmul, contiguous)
			b := c.input(dt, sh(33, 41), genMatmul, contiguous)
			bias := c.input(dt, sh(41), genMatmul, contiguous)
			h := a.t.MatMul(b.t).Add(bias.t)
			got := h.SiLU().Add(h.Mul(h))
			hr := bin("Add", must(refMatMul(a.ref, b.ref)), bias.ref)
			want := bin("Add", un("SiLU", hr), bin("Mul", hr, hr))
			return []operand{a, b, bias}, got, want, tolAccum(dt, 33, 4)
		}},
		{"shared-row-value", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			// A value the same along each row (from a row's maximum), read twice: a CPU
			// computes such values once a row.
			x := c.input(dt, sh(3, 260), genGeneral, contiguous)
			one, or := c.scalarOf(dt, 1)
			m := x.t.Max(-1).Unsqueeze(-1).Expand(3, 260)
			r := m.Mul(m).Add(one)
			got := x.t.Mul(r).Add(r.Sqrt())
			mr := must(refExpand(unsq(red("Max", x.ref, -1), -1), 3, 260))
			rr := bin("Add", bin("Mul", mr, mr), or)
			want := bin("Add", bin("Mul", x.ref, rr), un("Sqrt", rr))
			return []operand{x}, got, want, tolAccum(dt, 4, 4)
		}},
		{"shared-row-values-mixed", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			// Row values of other dtypes, each read twice: an integer one, a float64 one
			// and a float dt one widened to float64 twice.
			x := c.input(dt, sh(3, 260), genGeneral, contiguous)
			one, or := c.scalarOf(refFloat64, 1)
			k := x.t.ArgMax(-1).Unsqueeze(-1).Expand(3, 260)
			s := k.Mul(k).Add(k)
			mx := x.t.Max(-1).Unsqueeze(-1).Expand(3, 260)
			m64 := mx.Cast(tensor.Float64)
			r := m64.Mul(m64).Add(one)
			q := mx.Mul(mx)
			f := tensorDType(dt)
			got := x.t.Mul(s.Cast(f)).Add(s.Cast(f).Sqrt()).Add(r.Cast(f)).Sub(r.Sqrt().Cast(f)).
				Add(q.Cast(tensor.Float64).Sqrt().Cast(f)).Sub(q.Cast(tensor.Float64).Add(one).Cast(f))
			kr := must(refExpand(unsq(must(refArgMax(x.ref, -1)), -1), 3, 260))
			sr := bin("Add", bin("Mul", kr, kr), kr)
			mr := must(refExpand(unsq(red("Max", x.ref, -1), -1), 3, 260))
			m64r := refCast(mr, refFloat64)
			rr := bin("Add", bin("Mul", m64r, m64r), or)
			qr := bin("Mul", mr, mr)
			want := bin("Sub", bin("Add", bin("Sub", bin("Add", bin("Add", bin("Mul", x.ref, refCast(sr, dt)),
				un("Sqrt", refCast(sr, dt))), refCast(rr, dt)), refCast(un("Sqrt", rr), dt)),
				refCast(un("Sqrt", refCast(qr, refFloat64)), dt)), refCast(bin("Add", refCast(qr, refFloat64), or), dt))
			return []operand{x}, got, want, tolAccum(dt, 8, 8)
		}},
		{"shared-in-select", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(7, 33), genRange(-4, 4), viewT)
			y := c.input(dt, sh(7, 33), genRange(-4, 4), contiguous)
			zero, zr := c.scalarOf(dt, 0)
			s := x.t.Sub(y.t)
			got := tensor.Where(s.Greater(zero), s.Exp(), s.Mul(s))
			sr := bin("Sub", x.ref, y.ref)
			want := must(refWhere(bin("Greater", sr, zr), un("Exp", sr), bin("Mul", sr, sr)))
			return []operand{x, y}, got, want, tolAccum(dt, 2, 55)
		}},
		{"shared-in-concat", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			// Each part of a concatenation reads a value twice (each part a kernel of its
			// own: padded, a computed value must read zeros, not its function of 0).
			a := c.input(dt, sh(3, 150), genRange(-3, 3), contiguous)
			b := c.input(dt, sh(3, 20), genRange(-3, 3), contiguous)
			sa, sb := a.t.Exp(), b.t.Neg()
			got := tensor.Concat(1, sa.Mul(sa), sb.Add(sb.Exp())).Sum(0)
			ear, nbr := un("Exp", a.ref), un("Neg", b.ref)
			want := red("Sum", must(refConcat(1, bin("Mul", ear, ear), bin("Add", nbr, un("Exp", nbr)))), 0)
			return []operand{a, b}, got, want, tolAccum(dt, 3, 1000)
		}},
		{"shared-sum-of-squares", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(11, 67), genGeneral, contiguous)
			y := c.input(dt, sh(11, 67), genGeneral, viewFlip)
			d := x.t.Sub(y.t)
			got := d.Mul(d).Sum(1)
			dr := bin("Sub", x.ref, y.ref)
			want := red("Sum", bin("Mul", dr, dr), 1)
			return []operand{x, y}, got, want, tolAccum(dt, 67, 32)
		}},
		{"shared-chain", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			// Every step reads the last twice: as a tree, the expression doubles each step,
			// and the kernels are cut to bound it.
			x := c.input(dt, sh(5, 6), genRange(-1, 1), contiguous)
			got, r := x.t, x.ref
			for range 14 {
				got = got.Sin().Add(got.Cos())
				r = bin("Add", un("Sin", r), un("Cos", r))
			}
			return []operand{x}, got, r, tolAccum(dt, 28, 8)
		}},
		{"shared-cast-to-float64", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(dt, sh(6, 45), genRange(-5, 5), contiguous)
			e := x.t.Exp()
			got := e.Cast(tensor.Float64).Add(e.Cast(tensor.Float64).Sqrt()).Mul(e.Cast(tensor.Float64))
			er := un("Exp", x.ref)
			e64 := refCast(er, refFloat64)
			want := bin("Mul", bin("Add", e64, un("Sqrt", e64)), e64)
			return []operand{x}, got, want, tolAccum(dt, 4, 55)
		}},
		{"shared-integers", func(c *tc, dt refDType) ([]operand, *tensor.Tensor, *refArray, tol) {
			x := c.input(refInt32, sh(5, 33), genSmall, contiguous)
			y := c.input(refInt32, sh(5, 33), genSmall, viewT)
			three, tr := c.scalarOf(refInt32, 3)
			s := x.t.Mul(y.t).Add(three)
			got := s.Mul(s).Sub(s).Cast(tensorDType(dt))
			sr := bin("Add", bin("Mul", x.ref, y.ref), tr)
			want := refCast(bin("Sub", bin("Mul", sr, sr), sr), dt)
			return []operand{x, y}, got, want, exact
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
			if !s.fusedApplies(fc, dt) {
				continue
			}
			s.run(t, fmt.Sprintf("%s/%v", fc.name, dt), func(c *tc) {
				ins, got, want, tl := fc.build(c, dt)
				c.check(fc.name, ins, got, want, tl)
			})
		}
	}
}

// fusedApplies reports whether the suite runs fc in dtype dt: the device has the dtypes it
// uses, and its ops are exact enough in dt for the tolerance.
func (s *suite) fusedApplies(fc fusedCase, dt refDType) bool {
	if dt == refFloat16 && fc.name != "matmul-bias-relu" && fc.name != "views-add-mul-sum" && fc.name != "cast-chain" &&
		fc.name != "shared-softplus-of-sum" && fc.name != "shared-in-select" && fc.name != "shared-cast-to-float64" {
		return false
	}
	if (fc.name == "cast-chain" || fc.name == "shared-integers") && !s.has(refInt32) {
		return false
	}
	if fc.name == "shared-cast-to-float64" && (dt == refFloat64 || !s.has(refFloat64)) ||
		fc.name == "shared-row-values-mixed" && (dt != refFloat32 || !s.has(refFloat64) || !s.has(refInt64)) {
		return false
	}
	return fc.name != "gather-mul-sum" || s.has(refInt64)
}

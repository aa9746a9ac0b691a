package tensor

import (
	"fmt"
	"math"
	"slices"

	"github.com/crossbar-compute/crossbar/graph"
)

// broadcastShape is NumPy's broadcast of two shapes.
func broadcastShape(a, b []int) ([]int, bool) {
	r := max(len(a), len(b))
	out := make([]int, r)
	for i := range r {
		da, db := 1, 1
		if j := i - (r - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (r - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, false
		}
	}
	return out, true
}

// broadcastTo is numpy.broadcast_to: left-pad the shape with 1s, then expand.
func (t *Tensor) broadcastTo(op string, shape []int) *Tensor {
	if err := check(op, t); err != nil {
		return fail(err)
	}
	if slices.Equal(t.node.Shape, shape) {
		return t
	}
	if len(shape) < len(t.node.Shape) {
		return failf(op, "cannot broadcast %v to %v", t.node.Shape, shape)
	}
	padded := append(slices.Repeat([]int{1}, len(shape)-len(t.node.Shape)), t.node.Shape...)
	n, err := graph.Reshape(t.node, padded)
	if err == nil {
		n, err = graph.Expand(n, shape)
	}
	if err != nil {
		return failf(op, "cannot broadcast %v to %v", t.node.Shape, shape)
	}
	return &Tensor{node: n, dev: t.dev}
}

// operands checks ts, moves them to ts[0]'s device, and broadcasts them to one shape.
func operands(op string, ts ...*Tensor) ([]*Tensor, error) {
	if err := check(op, ts...); err != nil {
		return nil, err
	}
	shape := ts[0].node.Shape
	for _, u := range ts[1:] {
		s, ok := broadcastShape(shape, u.node.Shape)
		if !ok {
			return nil, fmt.Errorf("%s: %w: shapes %v do not broadcast", op, ErrInvalid, shapesOf(ts))
		}
		shape = s
	}
	out := make([]*Tensor, len(ts))
	for i, u := range ts {
		if u.dev != ts[0].dev {
			u = u.To(ts[0].dev)
		}
		out[i] = u.broadcastTo(op, shape)
		if out[i].err != nil {
			return nil, out[i].err
		}
	}
	return out, nil
}

func shapesOf(ts []*Tensor) [][]int {
	s := make([][]int, len(ts))
	for i, t := range ts {
		s[i] = t.node.Shape
	}
	return s
}

func sameDType(op string, ts ...*Tensor) error {
	for _, u := range ts[1:] {
		if u.node.DType != ts[0].node.DType {
			return fmt.Errorf("%s: %w: dtype mismatch %v%v and %v%v", op, ErrInvalid,
				ts[0].node.DType, ts[0].node.Shape, u.node.DType, u.node.Shape)
		}
	}
	return nil
}

func (t *Tensor) binary(op string, gop graph.Op, u *Tensor) *Tensor {
	ts, err := operands(op, t, u)
	if err != nil {
		return fail(err)
	}
	if err := sameDType(op, ts...); err != nil {
		return fail(err)
	}
	n, err := graph.Binary(gop, ts[0].node, ts[1].node)
	return wrap(op, t.dev, n, err)
}

func (t *Tensor) unary(op string, gop graph.Op) *Tensor {
	if err := check(op, t); err != nil {
		return fail(err)
	}
	n, err := graph.Unary(gop, t.node)
	return wrap(op, t.dev, n, err)
}

func (t *Tensor) floatUnary(op string, gop graph.Op) *Tensor {
	if err := t.needFloat(op); err != nil {
		return fail(err)
	}
	return t.unary(op, gop)
}

func (t *Tensor) needFloat(op string) error {
	if err := check(op, t); err != nil {
		return err
	}
	if !t.node.DType.IsFloat() {
		return fmt.Errorf("%s: %w: needs a float dtype, got %v%v", op, ErrInvalid, t.node.DType, t.node.Shape)
	}
	return nil
}

// scalarLike is the constant v in t's dtype, broadcast to t's shape.
func (t *Tensor) scalarLike(v float64) *Tensor {
	c, err := graph.Const(graph.ScalarOf(v, t.node.DType), t.node.DType)
	if err != nil {
		return fail(err)
	}
	return (&Tensor{node: c, dev: t.dev}).broadcastTo("const", t.node.Shape)
}

// Add returns t + u.
func (t *Tensor) Add(u *Tensor) *Tensor { return t.binary("Add", graph.OpAdd, u) }

// Sub returns t - u.
func (t *Tensor) Sub(u *Tensor) *Tensor { return t.binary("Sub", graph.OpSub, u) }

// Mul returns t * u.
func (t *Tensor) Mul(u *Tensor) *Tensor { return t.binary("Mul", graph.OpMul, u) }

// Div returns t / u; integers truncate toward zero (and x/0 is 0).
func (t *Tensor) Div(u *Tensor) *Tensor { return t.binary("Div", graph.OpDiv, u) }

// Pow returns t ** u.
func (t *Tensor) Pow(u *Tensor) *Tensor { return t.binary("Pow", graph.OpPow, u) }

// Maximum returns the elementwise maximum; NaN propagates.
func (t *Tensor) Maximum(u *Tensor) *Tensor { return t.binary("Maximum", graph.OpMax, u) }

// Minimum returns the elementwise minimum; NaN propagates.
func (t *Tensor) Minimum(u *Tensor) *Tensor { return t.binary("Minimum", graph.OpMin, u) }

// Mod returns the floored modulo: the result has the divisor's sign (numpy.mod).
func (t *Tensor) Mod(u *Tensor) *Tensor { return t.binary("Mod", graph.OpMod, u) }

// FMod returns the truncated modulo: the result has the dividend's sign (numpy.fmod).
func (t *Tensor) FMod(u *Tensor) *Tensor { return t.binary("FMod", graph.OpRem, u) }

// Equal returns t == u as Bool.
func (t *Tensor) Equal(u *Tensor) *Tensor { return t.binary("Equal", graph.OpCmpEQ, u) }

// NotEqual returns t != u as Bool.
func (t *Tensor) NotEqual(u *Tensor) *Tensor { return t.binary("NotEqual", graph.OpCmpNE, u) }

// Less returns t < u as Bool.
func (t *Tensor) Less(u *Tensor) *Tensor { return t.binary("Less", graph.OpCmpLT, u) }

// LessEqual returns t <= u as Bool.
func (t *Tensor) LessEqual(u *Tensor) *Tensor { return t.binary("LessEqual", graph.OpCmpLE, u) }

// Greater returns t > u as Bool.
func (t *Tensor) Greater(u *Tensor) *Tensor {
	if err := check("Greater", t, u); err != nil {
		return fail(err)
	}
	return u.binaryFrom("Greater", graph.OpCmpLT, t)
}

// GreaterEqual returns t >= u as Bool.
func (t *Tensor) GreaterEqual(u *Tensor) *Tensor {
	if err := check("GreaterEqual", t, u); err != nil {
		return fail(err)
	}
	return u.binaryFrom("GreaterEqual", graph.OpCmpLE, t)
}

// binaryFrom is t op u placed on u's device (for the mirrored comparisons).
func (t *Tensor) binaryFrom(op string, gop graph.Op, u *Tensor) *Tensor {
	if t.dev != u.dev {
		t = t.To(u.dev)
	}
	return t.binary(op, gop, u)
}

func (t *Tensor) logical(op string, gop graph.Op, u *Tensor) *Tensor {
	if err := check(op, t, u); err != nil {
		return fail(err)
	}
	if t.node.DType != Bool || u.node.DType != Bool {
		return failf(op, "needs bool operands, got %v%v and %v%v", t.node.DType, t.node.Shape, u.node.DType, u.node.Shape)
	}
	return t.binary(op, gop, u)
}

// And returns the logical and of Bool tensors.
func (t *Tensor) And(u *Tensor) *Tensor { return t.logical("And", graph.OpAnd, u) }

// Or returns the logical or of Bool tensors.
func (t *Tensor) Or(u *Tensor) *Tensor { return t.logical("Or", graph.OpOr, u) }

// Xor returns the logical exclusive or of Bool tensors.
func (t *Tensor) Xor(u *Tensor) *Tensor { return t.logical("Xor", graph.OpXor, u) }

// Where returns a where cond is true and b elsewhere, broadcasting all three; it runs on
// cond's device.
func Where(cond, a, b *Tensor) *Tensor {
	ts, err := operands("Where", cond, a, b)
	if err != nil {
		return fail(err)
	}
	if err := sameDType("Where", ts[1], ts[2]); err != nil {
		return fail(err)
	}
	if ts[0].node.DType != Bool {
		return failf("Where", "condition must be bool, got %v%v", ts[0].node.DType, ts[0].node.Shape)
	}
	n, err := graph.Where(ts[0].node, ts[1].node, ts[2].node)
	return wrap("Where", cond.dev, n, err)
}

// Neg returns -t.
func (t *Tensor) Neg() *Tensor { return t.unary("Neg", graph.OpNeg) }

// Abs returns |t|.
func (t *Tensor) Abs() *Tensor {
	if t != nil && t.err == nil && t.node.DType == Bool {
		return t
	}
	return t.unary("Abs", graph.OpAbs)
}

// Sign returns -1, 0 or 1 by the sign of t (NaN stays NaN).
func (t *Tensor) Sign() *Tensor {
	if err := check("Sign", t); err != nil {
		return fail(err)
	}
	if t.node.DType == Bool {
		return t
	}
	zero := t.scalarLike(0)
	s := t.Greater(zero).Cast(t.node.DType).Sub(t.Less(zero).Cast(t.node.DType))
	if t.node.DType.IsFloat() {
		s = Where(t.NotEqual(t), t, s)
	}
	return s
}

// Not returns the logical not of a Bool tensor.
func (t *Tensor) Not() *Tensor {
	if err := check("Not", t); err != nil {
		return fail(err)
	}
	if t.node.DType != Bool {
		return failf("Not", "needs a bool operand, got %v%v", t.node.DType, t.node.Shape)
	}
	return t.unary("Not", graph.OpNot)
}

// Exp returns e**t.
func (t *Tensor) Exp() *Tensor { return t.floatUnary("Exp", graph.OpExp) }

// Log returns the natural logarithm.
func (t *Tensor) Log() *Tensor { return t.floatUnary("Log", graph.OpLog) }

// Sqrt returns the square root.
func (t *Tensor) Sqrt() *Tensor { return t.floatUnary("Sqrt", graph.OpSqrt) }

// Reciprocal returns 1/t (integers: truncated, 1/0 is 0).
func (t *Tensor) Reciprocal() *Tensor { return t.unary("Reciprocal", graph.OpReciprocal) }

// Sin returns the sine.
func (t *Tensor) Sin() *Tensor { return t.floatUnary("Sin", graph.OpSin) }

// Cos returns the cosine.
func (t *Tensor) Cos() *Tensor { return t.floatUnary("Cos", graph.OpCos) }

// Tan returns the tangent.
func (t *Tensor) Tan() *Tensor { return t.floatUnary("Tan", graph.OpTan) }

// Asin returns the arcsine.
func (t *Tensor) Asin() *Tensor { return t.floatUnary("Asin", graph.OpAsin) }

// Acos returns the arccosine.
func (t *Tensor) Acos() *Tensor { return t.floatUnary("Acos", graph.OpAcos) }

// Atan returns the arctangent.
func (t *Tensor) Atan() *Tensor { return t.floatUnary("Atan", graph.OpAtan) }

// Sinh returns the hyperbolic sine.
func (t *Tensor) Sinh() *Tensor { return t.floatUnary("Sinh", graph.OpSinh) }

// Cosh returns the hyperbolic cosine.
func (t *Tensor) Cosh() *Tensor { return t.floatUnary("Cosh", graph.OpCosh) }

// Tanh returns the hyperbolic tangent.
func (t *Tensor) Tanh() *Tensor { return t.floatUnary("Tanh", graph.OpTanh) }

// Erf returns the error function.
func (t *Tensor) Erf() *Tensor { return t.floatUnary("Erf", graph.OpErf) }

// Floor rounds down (integers are unchanged).
func (t *Tensor) Floor() *Tensor { return t.rounding("Floor", graph.OpFloor) }

// Ceil rounds up (integers are unchanged).
func (t *Tensor) Ceil() *Tensor { return t.rounding("Ceil", graph.OpCeil) }

// Round rounds half to even (integers are unchanged).
func (t *Tensor) Round() *Tensor { return t.rounding("Round", graph.OpRound) }

func (t *Tensor) rounding(op string, gop graph.Op) *Tensor {
	if err := check(op, t); err != nil {
		return fail(err)
	}
	if !t.node.DType.IsFloat() {
		return t
	}
	return t.unary(op, gop)
}

// Sigmoid returns 1/(1+e**-t).
func (t *Tensor) Sigmoid() *Tensor {
	if err := t.needFloat("Sigmoid"); err != nil {
		return fail(err)
	}
	return t.Neg().Exp().Add(t.scalarLike(1)).Reciprocal()
}

// ReLU returns max(t, 0).
func (t *Tensor) ReLU() *Tensor {
	if err := check("ReLU", t); err != nil {
		return fail(err)
	}
	return t.Maximum(t.scalarLike(0))
}

// GELU returns the exact GELU, t/2 * (1 + erf(t/√2)).
func (t *Tensor) GELU() *Tensor {
	if err := t.needFloat("GELU"); err != nil {
		return fail(err)
	}
	return t.Mul(t.scalarLike(0.5)).Mul(t.Mul(t.scalarLike(1 / math.Sqrt2)).Erf().Add(t.scalarLike(1)))
}

// SiLU returns t * sigmoid(t).
func (t *Tensor) SiLU() *Tensor {
	if err := t.needFloat("SiLU"); err != nil {
		return fail(err)
	}
	return t.Mul(t.Sigmoid())
}

// Softplus returns log(1 + e**t), computed without overflow or loss for large |t|.
// Float16 and BFloat16 are computed in float32 and rounded once.
func (t *Tensor) Softplus() *Tensor {
	if err := t.needFloat("Softplus"); err != nil {
		return fail(err)
	}
	if dt := t.node.DType; dt == Float16 || dt == BFloat16 {
		// Each step rounded to their few digits would add up to several units.
		return t.Cast(Float32).Softplus().Cast(dt)
	}
	// log(1+e**t) = max(t, 0) + log1p(z), z = e**-|t| in (0, 1], which never overflows.
	// u = 1+z rounded loses z's low digits, and log(u) alone would lose them too (16000 units
	// in the last place near t = -10); what was lost, z - (u-1), is exact (Fast2Sum: 1 ≥ z),
	// and log1p(z) = log(u) + log(1 + (z-(u-1))/u), whose last term is its argument to
	// within its square, below 2⁻⁴⁸. Where u rounds to 1, that is 0 + z. (One kernel computes
	// it all, z and u once each: see graph.Schedule on values read twice.)
	z := t.Abs().Neg().Exp()
	one := t.scalarLike(1)
	u := z.Add(one)
	log1p := u.Log().Add(z.Sub(u.Sub(one)).Div(u))
	return t.Maximum(t.scalarLike(0)).Add(log1p)
}

// Softsign returns t / (1 + |t|).
func (t *Tensor) Softsign() *Tensor {
	if err := t.needFloat("Softsign"); err != nil {
		return fail(err)
	}
	return t.Div(t.Abs().Add(t.scalarLike(1)))
}

// Clip limits t to [lo, hi]; ±Inf leaves a side open. NaN stays NaN.
func (t *Tensor) Clip(lo, hi float64) *Tensor {
	if err := check("Clip", t); err != nil {
		return fail(err)
	}
	r := t
	if !math.IsInf(lo, -1) && !(lo < 0 && t.node.DType == Uint8) {
		r = r.Maximum(t.scalarLike(lo))
	}
	if !math.IsInf(hi, 1) {
		r = r.Minimum(t.scalarLike(hi))
	}
	return r
}

// LeakyReLU returns t where t >= 0, alpha*t elsewhere.
func (t *Tensor) LeakyReLU(alpha float64) *Tensor {
	if err := t.needFloat("LeakyReLU"); err != nil {
		return fail(err)
	}
	return Where(t.Less(t.scalarLike(0)), t.Mul(t.scalarLike(alpha)), t)
}

// ELU returns t where t > 0, alpha*(e**t - 1) elsewhere.
func (t *Tensor) ELU(alpha float64) *Tensor {
	if err := t.needFloat("ELU"); err != nil {
		return fail(err)
	}
	neg := t.Exp().Sub(t.scalarLike(1)).Mul(t.scalarLike(alpha))
	return Where(t.Greater(t.scalarLike(0)), t, neg)
}

// HardSigmoid returns max(0, min(1, alpha*t + beta)).
func (t *Tensor) HardSigmoid(alpha, beta float64) *Tensor {
	if err := t.needFloat("HardSigmoid"); err != nil {
		return fail(err)
	}
	return t.Mul(t.scalarLike(alpha)).Add(t.scalarLike(beta)).Minimum(t.scalarLike(1)).Maximum(t.scalarLike(0))
}

package cpu

import (
	"math"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/graph"
)

// unaryF sets x to op x in place (unaryFTo).
func unaryF(op graph.Op, x []float64) { unaryFTo(op, x, x) }

// unaryFTo sets dst to op x, in one pass over both (dst may be x): a copy of x into dst and
// the op in place would read and write dst twice, which made a Float64 negation take 1.8
// times as long as an addition of two tensors.
func unaryFTo(op graph.Op, dst, x []float64) {
	x = x[:len(dst)]
	switch op {
	case graph.OpNeg:
		asm.NegF64(dst, x)
	case graph.OpAbs:
		asm.AbsF64(dst, x)
	case graph.OpSqrt:
		asm.SqrtF64(dst, x)
	case graph.OpReciprocal:
		for j, v := range x {
			dst[j] = 1 / v
		}
	// Exp, exp2, log, log2, tanh, sin and cos run on the vector kernels of package asm, within
	// 1 ulp of the exact results (tanh 2): on AVX-512 6 to 25 times as fast as Go's math a
	// value at a time (asm's BenchmarkUnaryF64), 4 to 8 times over a 2048 × 2048 tensor. Go's
	// Log on amd64 is off for subnormal inputs, Exp overflows from 709.44 on, Log2 is off near
	// 1, and Sin and Cos are 4 ulp off and more from about 10⁸ on. Sinh and cosh (within 2)
	// are built on the exp kernel, tan (within 2) on sin and cos. Atan and erf have kernels of
	// their own (within 2 and 1); asin and acos are built on atan (within 2; math's are 36 ulp
	// off near ±1).
	case graph.OpExp:
		asm.ExpF64(dst, x)
	case graph.OpExp2:
		asm.Exp2F64(dst, x)
	case graph.OpLog:
		asm.LogF64(dst, x)
	case graph.OpLog2:
		asm.Log2F64(dst, x)
	case graph.OpSin:
		asm.SinF64(dst, x)
	case graph.OpCos:
		asm.CosF64(dst, x)
	case graph.OpTan:
		asm.TanF64(dst, x)
	case graph.OpAsin:
		asm.AsinF64(dst, x)
	case graph.OpAcos:
		asm.AcosF64(dst, x)
	case graph.OpAtan:
		asm.AtanF64(dst, x)
	case graph.OpSinh:
		asm.SinhF64(dst, x)
	case graph.OpCosh:
		asm.CoshF64(dst, x)
	case graph.OpTanh:
		asm.TanhF64(dst, x)
	case graph.OpErf:
		asm.ErfF64(dst, x)
	// On the vector kernels: Go's scalar roundings write a register whose other half they
	// keep, which makes a chain from each element to the next.
	case graph.OpTrunc:
		asm.TruncF64(dst, x)
	case graph.OpFloor:
		asm.FloorF64(dst, x)
	case graph.OpCeil:
		asm.CeilF64(dst, x)
	case graph.OpRound:
		asm.RoundF64(dst, x)
	case graph.OpNot:
		for j, v := range x {
			dst[j] = float64(b2i(v == 0))
		}
	case graph.OpCopy:
		copyTo(dst, x)
	default:
		panic("cpu: unary op " + op.String()) // unreachable: compile rejects unknown ops
	}
}

// binaryF sets a to a op b in place (binaryFTo).
func binaryF(op graph.Op, a, b []float64) { binaryFTo(op, a, a, b) }

// binaryFTo sets dst to a op b (dst may be a or b): the arithmetic and the maximum and
// minimum on the vector kernels of package asm (the same values as Go's operators and
// built-in max and min: NaN propagated, -0 below +0).
func binaryFTo(op graph.Op, dst, a, b []float64) {
	a, b = a[:len(dst)], b[:len(dst)]
	switch op {
	case graph.OpAdd:
		asm.AddF64(dst, a, b)
	case graph.OpSub:
		asm.SubF64(dst, a, b)
	case graph.OpMul:
		asm.MulF64(dst, a, b)
	case graph.OpDiv:
		asm.DivF64(dst, a, b)
	case graph.OpMod, graph.OpRem:
		asm.ModF64(dst, a, b, op == graph.OpMod)
	case graph.OpMax:
		// The built-in max propagates NaN (math.Max lets an infinity win over it) and orders
		// -0 below +0, as NumPy's maximum does, without branching on the data.
		asm.MaxF64(dst, a, b)
	case graph.OpMin:
		asm.MinF64(dst, a, b)
	case graph.OpPow:
		for j := range dst {
			dst[j] = math.Pow(a[j], b[j])
		}
	default:
		panic("cpu: binary op " + op.String()) // unreachable: compile rejects unknown ops
	}
}

// powConstOKF64 reports whether powConstF64 takes the exponent s: those powConstOK takes.
func powConstOKF64(s float64) bool { return float64(float32(s)) == s && powConstOK(float32(s)) }

// powConstF64 sets dst[j] = x[j]**s for an exponent that powConstOK takes, bit for bit what
// math.Pow gives, at the cost of a product or a few rather than math.Pow's call: x**±0.5 is
// math.Pow's (inverse) square root, the integers its products in its order (powInt's). Its
// scaling of the mantissas, which keeps them in float64's normal range, changes nothing where
// the plain products stay there: elements whose x or result (for a negative power, the
// positive power too) is not a normal number, the specials among them, go to math.Pow itself.
// dst may be x.
func powConstF64(dst, x []float64, s float64) {
	switch s {
	case 2:
		powLoopF64(dst, x, s, func(b float64) float64 { return b * b })
	case 3:
		powLoopF64(dst, x, s, func(b float64) float64 { return b * (b * b) })
	case 4:
		powLoopF64(dst, x, s, func(b float64) float64 { b2 := b * b; return b2 * b2 })
	case 5:
		powLoopF64(dst, x, s, func(b float64) float64 { b2 := b * b; return b * (b2 * b2) })
	case 6:
		powLoopF64(dst, x, s, func(b float64) float64 { b2 := b * b; return b2 * (b2 * b2) })
	case 7:
		powLoopF64(dst, x, s, func(b float64) float64 { b2 := b * b; return (b * b2) * (b2 * b2) })
	case 8:
		powLoopF64(dst, x, s, func(b float64) float64 { b2 := b * b; b4 := b2 * b2; return b4 * b4 })
	case 0.5, -0.5:
		// math.Pow's is Sqrt(x) or 1/Sqrt(x) but at zeros, infinities and NaN (the root of
		// a negative number is the same NaN either way).
		for j, b := range x[:len(dst)] {
			if b == 0 || b-b != 0 {
				dst[j] = math.Pow(b, s)
			} else if s > 0 {
				dst[j] = math.Sqrt(b)
			} else {
				dst[j] = 1 / math.Sqrt(b)
			}
		}
	default: // the negative integers
		q := int(-s)
		powLoopF64(dst, x, s, func(b float64) float64 {
			a := 1.0
			for i := q; i != 0; i >>= 1 {
				if i&1 == 1 {
					a *= b
				}
				b *= b
			}
			if !normalF64(a) {
				return 0 // not normal either: to math.Pow
			}
			return 1 / a
		})
	}
}

// powLoopF64 sets dst[j] to pow(x[j]), or math.Pow(x[j], s) where x[j] or that is not a
// normal number.
func powLoopF64(dst, x []float64, s float64, pow func(b float64) float64) {
	for j, b := range x[:len(dst)] {
		r := pow(b)
		if !normalF64(r) || !normalF64(b) {
			r = math.Pow(b, s)
		}
		dst[j] = r
	}
}

// normalF64 reports whether v is a normal number: not zero, subnormal, infinite or NaN.
func normalF64(v float64) bool {
	a := math.Abs(v)
	return a >= 0x1p-1022 && a <= math.MaxFloat64
}

// compareF32 is compare on the vector kernels of package asm.
func compareF32(op graph.Op, out []int64, a, b []float32) {
	switch op {
	case graph.OpCmpLT:
		asm.LessF32(out, a, b)
	case graph.OpCmpLE:
		asm.LessEqualF32(out, a, b)
	case graph.OpCmpEQ:
		asm.EqualF32(out, a, b)
	default:
		asm.NotEqualF32(out, a, b)
	}
}

// compare writes 1 where a[j] op b[j] holds, 0 elsewhere (NaN compares false but for !=),
// on the vector kernels of package asm.
func compare[T float64 | int64](op graph.Op, out []int64, a, b []T) {
	a, b = a[:len(out)], b[:len(out)]
	if af, ok := any(a).([]float64); ok {
		bf := any(b).([]float64)
		switch op {
		case graph.OpCmpLT:
			asm.LessF64(out, af, bf)
		case graph.OpCmpLE:
			asm.LessEqualF64(out, af, bf)
		case graph.OpCmpEQ:
			asm.EqualF64(out, af, bf)
		default:
			asm.NotEqualF64(out, af, bf)
		}
		return
	}
	ai, bi := any(a).([]int64), any(b).([]int64)
	switch op {
	case graph.OpCmpLT:
		asm.LessI64(out, ai, bi)
	case graph.OpCmpLE:
		asm.LessEqualI64(out, ai, bi)
	case graph.OpCmpEQ:
		asm.EqualI64(out, ai, bi)
	default:
		asm.NotEqualI64(out, ai, bi)
	}
}

func unaryI(op graph.Op, dt graph.DType, x []int64) {
	switch op {
	case graph.OpNeg:
		for j, v := range x {
			x[j] = -v
		}
	case graph.OpNot:
		if dt == graph.Bool {
			for j, v := range x {
				x[j] = 1 - v
			}
			return
		}
		for j, v := range x {
			x[j] = ^v
		}
	case graph.OpAbs:
		// Without a branch, which mixed signs mispredict: m is all ones for a negative v.
		for j, v := range x {
			m := v >> 63
			x[j] = v ^ m - m
		}
	case graph.OpReciprocal:
		for j, v := range x {
			if v == 0 {
				x[j] = 0
			} else {
				x[j] = 1 / v
			}
		}
	case graph.OpTrunc, graph.OpFloor, graph.OpCeil, graph.OpRound, graph.OpCopy:
	default:
		panic("cpu: integer unary op " + op.String()) // unreachable: compile rejects it
	}
}

func binaryI(op graph.Op, dt graph.DType, a, b []int64) {
	b = b[:len(a)]
	if dt == graph.Bool {
		// NumPy: + and max are or, * and min are and.
		switch op {
		case graph.OpAdd, graph.OpMax:
			op = graph.OpOr
		case graph.OpMul, graph.OpMin:
			op = graph.OpAnd
		}
	}
	switch op {
	case graph.OpAdd:
		asm.AddI64(a, a, b)
	case graph.OpSub:
		asm.SubI64(a, a, b)
	case graph.OpMul:
		for j := range a {
			a[j] *= b[j]
		}
	case graph.OpDiv:
		for j := range a {
			if b[j] == 0 {
				a[j] = 0
			} else {
				a[j] /= b[j]
			}
		}
	case graph.OpMod:
		for j := range a {
			if b[j] == 0 {
				a[j] = 0
				continue
			}
			// The divisor is added where r is not zero and the signs differ, through masks
			// of their sign bits: the signs of arbitrary data defeat a branch's prediction
			// half the time (that branch took twice as long as the division). |r| < |b|, so
			// -r does not overflow.
			r := a[j] % b[j]
			r += b[j] & ((r ^ b[j]) >> 63) & ((r | -r) >> 63)
			a[j] = r
		}
	case graph.OpRem:
		for j := range a {
			if b[j] == 0 {
				a[j] = 0
			} else {
				a[j] %= b[j]
			}
		}
	case graph.OpMax:
		asm.MaxI64(a, a, b)
	case graph.OpMin:
		asm.MinI64(a, a, b)
	case graph.OpPow:
		for j := range a {
			a[j] = ipow(dt, a[j], b[j])
		}
	case graph.OpAnd:
		asm.AndI64(a, a, b)
	case graph.OpOr:
		asm.OrI64(a, a, b)
	case graph.OpXor:
		asm.XorI64(a, a, b)
	default:
		panic("cpu: integer binary op " + op.String()) // unreachable: compile rejects it
	}
}

// ipow is x**y in the integer type dt: wrapping multiplication; a negative exponent gives
// 1/x**|y| truncated (0 unless |x| is 1).
func ipow(dt graph.DType, x, y int64) int64 {
	if y < 0 {
		switch x {
		case 1:
			return 1
		case -1:
			if y%2 == 0 {
				return 1
			}
			return -1
		}
		return 0
	}
	r := int64(1)
	for y > 0 {
		if y&1 == 1 {
			r = wrapI(dt, r*x)
		}
		x = wrapI(dt, x*x)
		y >>= 1
	}
	return r
}

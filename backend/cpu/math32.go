package cpu

import (
	"math"

	"github.com/crossbar-compute/crossbar/asm"
)

// Float32 tan, atan, asin, acos, sinh and cosh, built from the vector kernels of package asm
// (sin, cos, exp, square root, arithmetic, selects) a piece of up to maxBlock elements at a
// time (sinh and cosh with a Go pass where an element needs float64), rather than through
// package math in float64 an element at a time (which took 35 to 40 times a negation). Their
// errors, against the float64 functions, are at most math32MaxULP units in the last place
// (see TestMath32): the vector kernels' own (1 unit), those of the reductions and fits, and a
// rounding or two where the pieces join.
//
// The reductions:
//   - tan x = sin x / cos x.
//   - sinh and cosh of a = |x| are (e^a ∓ e^-a)/2; sinh below 1, where that difference
//     cancels, is its series to a¹¹ (a¹³/13! is below 2⁻³² of a). From a = 88.5 on, where
//     e^a overflows float32 though the result may not, the element goes through float64.
//   - atan x is ±π/2 - atan(1/x) where |x| > 1, leaving |t| ≤ 1, where a polynomial fit
//     (atanCoeffs) is within 0.05 units in the last place of atan t; each element's choice is
//     a select on the vector kernels.
//   - asin x = atan(x / √((1-x)(1+x))), and acos x = 2·atan √((1-x)/(1+x)): 1-x and 1+x are
//     exact where they would cancel, and neither result subtracts from π/2 near its zeros.
//
// Every special value takes the float64 function's: NaN, ±Inf, ±0 and arguments out of the
// domain.

// math32MaxULP bounds the errors of the functions of this file in units in the last place of
// the float32 result (measured over every other float32 of each one's vector range, both
// signs: tan 3.23 below 2¹⁷, atan 1.37 below 2²⁵, asin 2.44 and acos 2.21 on [-1, 1], sinh
// 1.62 and cosh 1.34 below 90).
const math32MaxULP = 4

// mathScratch is the scratch of the functions of this file: five pieces of maxBlock, and two
// of conditions for selects.
type mathScratch struct {
	f    [5][]float32
	cond []int64
}

func (c *ctx) math32() *mathScratch {
	if c.m32 == nil {
		c.m32 = &mathScratch{cond: make([]int64, 2*maxBlock)}
		for k := range c.m32.f {
			c.m32.f[k] = make([]float32, maxBlock)
		}
	}
	return c.m32
}

// inPieces calls piece on pieces of at most maxBlock of out and x. (The pieces are
// top-level functions, not closures: a closure made in a function inlined into its caller was
// compiled without inlining the calls in it, math.Float32bits among them.)
func inPieces(s *mathScratch, out, x []float32, piece func(s *mathScratch, out, x []float32)) {
	for lo := 0; lo < len(out); lo += maxBlock {
		hi := min(len(out), lo+maxBlock)
		piece(s, out[lo:hi], x[lo:hi])
	}
}

// tanF32 sets out to the tangents of x (out may be x).
func tanF32(s *mathScratch, out, x []float32) { inPieces(s, out, x, tanPiece) }

func tanPiece(s *mathScratch, out, x []float32) {
	n := len(out)
	sn, cs := s.f[0][:n], s.f[1][:n]
	asm.SinF32(sn, x)
	asm.CosF32(cs, x)
	asm.DivF32(out, sn, cs)
}

// sinhCoshF32 sets out to the hyperbolic sines (cosh false) or cosines of x (out may be x).
func sinhCoshF32(s *mathScratch, out, x []float32, cosh bool) {
	if cosh {
		inPieces(s, out, x, coshPiece)
	} else {
		inPieces(s, out, x, sinhPiece)
	}
}

func sinhPiece(s *mathScratch, out, x []float32) { sinhCoshPiece(s, out, x, false) }
func coshPiece(s *mathScratch, out, x []float32) { sinhCoshPiece(s, out, x, true) }

func sinhCoshPiece(s *mathScratch, out, x []float32, cosh bool) {
	n := len(out)
	a, e, r := s.f[0][:n], s.f[1][:n], s.f[2][:n]
	asm.AbsF32(a, x)
	asm.ExpF32(e, a)
	asm.ScalarDivF32(r, 1, e)
	if cosh {
		asm.AddF32(e, e, r)
	} else {
		asm.SubF32(e, e, r)
	}
	if !(asm.ReduceMaxF32(a) < 88.5) {
		// An element whose e^a overflows, or a NaN: each element's choice in Go.
		asm.MulScalarF32(e, e, 0.5)
		sinhCoshEach(s, out, x, cosh)
		return
	}
	if cosh {
		asm.MulScalarF32(out, e, 0.5)
		return
	}
	// Below 1, the series x + x·z·q(z), z = x², q(z) = Σ z^k/(2k+3)! (odd: -0 stays, q > 0);
	// from 1 on, (e^a - e^-a)/2 with x's sign: x clamped to [-1, 1], ±1.
	z, p, small := s.f[3][:n], s.f[4][:n], s.cond[:n]
	asm.MulF32(z, x, x)
	oddSeries(p, x, z, sinhCoeffs...)
	asm.MinScalarF32(r, x, 1)
	asm.MaxScalarF32(r, r, -1)
	asm.MulF32(e, e, r)
	asm.MulScalarF32(e, e, 0.5)
	asm.FillF32(z, 1)
	asm.LessF32(small, a, z)
	asm.SelectF32(out, small, p, e)
}

// sinhCoeffs are q's of sinhCoshPiece, highest first.
var sinhCoeffs = []float32{1.0 / 39916800, 1.0 / 362880, 1.0 / 5040, 1.0 / 120, 1.0 / 6}

// sinhCoshEach finishes sinhCoshPiece an element at a time where some element needs float64:
// a = |x| in s.f[0], (e^a ± e^-a)/2 in s.f[1].
func sinhCoshEach(s *mathScratch, out, x []float32, cosh bool) {
	n := len(out)
	a, e := s.f[0][:n], s.f[1][:n]
	if cosh {
		for j, v := range e {
			if !(a[j] < 88.5) { // and NaN
				v = float32(math.Cosh(float64(x[j])))
			}
			out[j] = v
		}
		return
	}
	z, p := s.f[3][:n], s.f[4][:n]
	asm.MulF32(z, a, a)
	oddSeries(p, a, z, sinhCoeffs...)
	for j, v := range e {
		v = blend(above(math.Float32bits(1), math.Float32bits(a[j])), p[j], v)
		if !(a[j] < 88.5) && a[j] == a[j] {
			v = float32(math.Sinh(float64(x[j])))
		}
		out[j] = withSign(v, x[j])
	}
}

// atanF32 sets out to the arctangents of x (out may be x); it uses s.f[0] to s.f[3] and
// s.cond.
func atanF32(s *mathScratch, out, x []float32) { inPieces(s, out, x, atanPiece) }

// atanCoeffs are those of q, highest first, in atan t ≈ t + t·z·q(z), z = t², on |t| ≤ 1: a
// Chebyshev fit of (atan t - t)/(t·z) on z in [0, 1], within 2.5e-9 of it (0.05 units in the
// last place of atan 1, and less below).
var atanCoeffs = []float32{0.001488691939, -0.009144629761, 0.02630500111, -0.04896051403, 0.07031914250,
	-0.08931826777, 0.1108826163, -0.1428400379, 0.1999994932, -0.3333333308}

func atanPiece(s *mathScratch, out, x []float32) {
	n := len(out)
	a, t, z, p, inv, tiny := s.f[0][:n], s.f[1][:n], s.f[2][:n], s.f[3][:n], s.cond[:n], s.cond[maxBlock:][:n]
	asm.AbsF32(a, x)
	asm.FillF32(z, 1)
	asm.LessF32(inv, z, a) // |x| > 1 (not NaN)
	// Below 2⁻¹², atan x rounds to x (x³/3 is under half a unit of x): x itself, which also
	// keeps the sign of -0 that t + t·z·q(z) loses (+0 + -0 is +0).
	asm.FillF32(z, 0x1p-12)
	asm.LessF32(tiny, a, z)
	asm.ScalarDivF32(t, 1, x)
	asm.SelectF32(t, inv, t, x) // 1/x there, else x: |t| ≤ 1 with x's sign (±0 at ±Inf)
	asm.MulF32(z, t, t)
	oddSeries(p, t, z, atanCoeffs...) // atan t
	// Where |x| > 1, atan x = ±π/2 - atan(1/x), the sign x's: clamped to [-1, 1], x is that
	// sign, ±1. π/2 is in two parts, the low one added to -atan(1/x) first (at most π/4,
	// against a result above it): the sum is rounded about once, and π/2's own rounding is
	// not in it.
	asm.MinScalarF32(a, x, 1)
	asm.MaxScalarF32(a, a, -1)
	asm.MulScalarF32(z, a, pio2Lo)
	asm.SubF32(z, z, p)
	asm.MulScalarF32(a, a, pio2Hi)
	asm.AddF32(z, a, z)
	asm.SelectF32(z, inv, z, p)
	asm.SelectF32(out, tiny, x, z)
}

// asinF32 sets out to the arcsines of x (out may be x).
func asinF32(s *mathScratch, out, x []float32) { inPieces(s, out, x, asinPiece) }

func asinPiece(s *mathScratch, out, x []float32) {
	n := len(out)
	w, v := s.f[4][:n], out
	if &out[0] == &x[0] {
		v = s.f[3][:n] // read here before atanPiece writes it
	}
	asm.ScalarSubF32(w, 1, x)
	asm.AddScalarF32(v, x, 1)
	asm.MulF32(w, w, v)
	asm.SqrtF32(w, w)
	asm.DivF32(w, x, w)
	atanPiece(s, out, w)
}

// acosF32 sets out to the arccosines of x (out may be x).
func acosF32(s *mathScratch, out, x []float32) { inPieces(s, out, x, acosPiece) }

func acosPiece(s *mathScratch, out, x []float32) {
	n := len(out)
	w, v := s.f[4][:n], out
	if &out[0] == &x[0] {
		v = s.f[3][:n]
	}
	asm.ScalarSubF32(w, 1, x)
	asm.AddScalarF32(v, x, 1)
	asm.DivF32(w, w, v)
	asm.SqrtF32(w, w)
	atanPiece(s, out, w)
	asm.MulScalarF32(out, out, 2)
}

// oddSeries sets p to x + x·z·q(z), for z = x² and the coefficients of q highest first, in
// Horner's order on the vector kernels.
func oddSeries(p, x, z []float32, q ...float32) {
	asm.FillF32(p, q[0])
	for _, c := range q[1:] {
		asm.MulF32(p, p, z)
		asm.AddScalarF32(p, p, c)
	}
	asm.MulF32(p, p, z)
	asm.MulF32(p, p, x)
	asm.AddF32(p, p, x)
}

// π/2 in two float32 parts: the float32 nearest, and the float32 nearest what is left.
const (
	pio2Hi float32 = math.Pi / 2
	pio2Lo         = float32(math.Pi/2 - float64(pio2Hi))
)

// above returns all ones where a > b, else 0, for a and b below 1<<31 (the bits of float32
// values not negative, NaN above the infinity): a mask to blend by, not a branch, which the
// data would make unpredictable.
func above(a, b uint32) uint32 { return uint32(int32(b-a) >> 31) }

// blend returns a where the mask m is all ones, b where it is 0.
func blend(m uint32, a, b float32) float32 {
	return math.Float32frombits(math.Float32bits(a)&m | math.Float32bits(b)&^m)
}

// withSign returns v, not negative, with the sign of x.
func withSign(v, x float32) float32 {
	return math.Float32frombits(math.Float32bits(v) | math.Float32bits(x)&(1<<31))
}

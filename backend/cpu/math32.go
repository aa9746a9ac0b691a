package cpu

import (
	"math"

	"github.com/crossbar-compute/crossbar/asm"
)

// Float32 tan, atan, asin, acos, sinh and cosh, built from the vector kernels of package asm
// (sin, cos, exp, square root, arithmetic) a piece of up to maxBlock elements at a time, and
// one Go pass for what each element chooses, rather than through package math in float64 an
// element at a time (which took 35 to 40 times a negation). Their errors, against the float64
// functions, are at most math32MaxULP units in the last place (see TestMath32): the vector
// kernels' own (1 unit), those of the reductions, and a rounding or two where the pieces join.
//
// The reductions:
//   - tan x = sin x / cos x.
//   - sinh and cosh of a = |x| are (e^a ∓ e^-a)/2; sinh below 1, where that difference
//     cancels, is its series to a¹¹ (a¹³/13! is below 2⁻³² of a). From a = 88.5 on, where
//     e^a overflows float32 though the result may not, the element goes through float64.
//   - atan of a = |x| is π/2 - atan(1/a) above 1, then π/4 + atan((t-1)/(t+1)) above tan(π/8),
//     leaving |u| ≤ tan(π/8), where the series to u¹⁹ is within 2⁻²⁷ of atan u.
//   - asin x = atan(x / √((1-x)(1+x))), and acos x = 2·atan √((1-x)/(1+x)): 1-x and 1+x are
//     exact where they would cancel, and neither result subtracts from π/2 near its zeros.
//
// Every special value takes the float64 function's: NaN, ±Inf, ±0 and arguments out of the
// domain.

// math32MaxULP bounds the errors of the functions of this file in units in the last place of
// the float32 result (measured over every other float32 of each one's vector range, both
// signs: tan 3.23 below 2¹⁷, atan 1.73 below 2²⁵, asin 3.20 and acos 2.70 on [-1, 1], sinh
// 1.62 and cosh 1.34 below 90).
const math32MaxULP = 4

// mathScratch is the scratch of the functions of this file: five pieces of maxBlock.
type mathScratch [5][]float32

func (c *ctx) math32() *mathScratch {
	if c.m32 == nil {
		c.m32 = new(mathScratch)
		for k := range c.m32 {
			c.m32[k] = make([]float32, maxBlock)
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
	sn, cs := s[0][:n], s[1][:n]
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
	a, e, r := s[0][:n], s[1][:n], s[2][:n]
	asm.AbsF32(a, x)
	asm.ExpF32(e, a)
	asm.ScalarDivF32(r, 1, e)
	if cosh {
		asm.AddF32(e, e, r)
	} else {
		asm.SubF32(e, e, r)
	}
	asm.MulScalarF32(e, e, 0.5)
	if cosh {
		for j, v := range e {
			if !(a[j] < 88.5) { // and NaN
				v = float32(math.Cosh(float64(x[j])))
			}
			out[j] = v
		}
		return
	}
	// The series a + a·z·q(z), z = a², q(z) = Σ z^k/(2k+3)!.
	z, p := s[3][:n], s[4][:n]
	asm.MulF32(z, a, a)
	oddSeries(p, a, z, 1.0/39916800, 1.0/362880, 1.0/5040, 1.0/120, 1.0/6)
	for j, v := range e {
		v = blend(above(math.Float32bits(1), math.Float32bits(a[j])), p[j], v)
		if !(a[j] < 88.5) && a[j] == a[j] {
			v = float32(math.Sinh(float64(x[j])))
		}
		out[j] = withSign(v, x[j])
	}
}

// atanF32 sets out to the arctangents of x (out may be x); it uses s[0] to s[3].
func atanF32(s *mathScratch, out, x []float32) { inPieces(s, out, x, atanPiece) }

func atanPiece(s *mathScratch, out, x []float32) {
	const tanPi8 = 0.41421356
	n := len(out)
	a, t, u, z := s[0][:n], s[1][:n], s[2][:n], s[3][:n]
	asm.AbsF32(a, x)
	asm.ScalarDivF32(t, 1, a)
	asm.MinF32(t, t, a) // 1/a above 1 (0 at +Inf), else a; NaN stays
	asm.AddScalarF32(u, t, -1)
	asm.AddScalarF32(z, t, 1)
	asm.DivF32(u, u, z)
	for j, v := range u {
		// a is free now: it keeps the offset of the second reduction.
		r := above(math.Float32bits(t[j]), math.Float32bits(tanPi8))
		u[j] = blend(r, v, t[j])
		a[j] = blend(r, pio4Hi, 0)
	}
	// The series u + u·z·q(z), z = u², q(z) = Σ (-1)^(k+1) z^k/(2k+3).
	asm.MulF32(z, u, u)
	oddSeries(t, u, z, -1.0/19, 1.0/17, -1.0/15, 1.0/13, -1.0/11, 1.0/9, -1.0/7, 1.0/5, -1.0/3)
	for j, v := range t {
		// atan |x| = c ± v: c is 0 or π/4, or π/2 or π/4 where |x| > 1, never below v,
		// in two parts (float32's π/2 - π/4 is exact, in each part), the lower added
		// to v first: the result is rounded once, and π/4's own rounding (as much as a
		// unit of the result just above tan(π/8)) is not in it.
		inv := above(math.Float32bits(x[j])&^(1<<31), math.Float32bits(1))
		hi := a[j]
		lo := blend(above(math.Float32bits(hi), 0), pio4Lo, 0)
		hi, lo = blend(inv, 2*pio4Hi-hi, hi), blend(inv, 2*pio4Lo-lo, lo)
		out[j] = withSign(hi+(lo+blend(inv, -v, v)), x[j])
	}
}

// asinF32 sets out to the arcsines of x (out may be x).
func asinF32(s *mathScratch, out, x []float32) { inPieces(s, out, x, asinPiece) }

func asinPiece(s *mathScratch, out, x []float32) {
	n := len(out)
	w, v := s[4][:n], out
	if &out[0] == &x[0] {
		v = s[3][:n] // atanPiece's z, read here before atanPiece writes it
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
	w, v := s[4][:n], out
	if &out[0] == &x[0] {
		v = s[3][:n]
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

// π/4 in two float32 parts: the float32 nearest, and the float32 nearest what is left.
const (
	pio4Hi float32 = math.Pi / 4
	pio4Lo         = float32(math.Pi/4 - float64(pio4Hi))
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

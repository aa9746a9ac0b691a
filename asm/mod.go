package asm

import "math"

// ModF32 sets dst[i] to the remainder of x[i] / y[i]: truncated when floored is false (the
// dividend's sign, C's fmodf), floored when it is true (the divisor's sign, Python's %).
// The results are those of math.Mod on the operands widened to float64 (for a floored
// remainder, then the divisor added in float64 where the remainder is not zero and the
// signs differ), rounded to float32; x and y must be at least as long as dst.
//
//	for i := range dst {
//		r := math.Mod(float64(x[i]), float64(y[i]))
//		if floored && r != 0 && (r < 0) != (y[i] < 0) {
//			r += float64(y[i])
//		}
//		dst[i] = float32(r)
//	}
func ModF32(dst, x, y []float32, floored bool) { modF32(activeISA(), dst, x, y, floored) }

// ModF64 sets dst[i] to the remainder of x[i] / y[i], truncated or floored as ModF32's:
// math.Mod's (then for a floored remainder the divisor added where the remainder is not
// zero and the signs differ). x and y must be at least as long as dst; dst may be x or y.
func ModF64(dst, x, y []float64, floored bool) { modF64(activeISA(), dst, x, y, floored) }

// The kernels compute r = x - trunc(x/y)·y, which is exactly math.Mod(x, y) wherever the
// quotient is below a bound (modMaxQuotient32, modMaxQuotient64; the proofs are at the
// constants), with vector division, truncation and a fused multiply-add instead of
// math.Mod's loop over the exponents. A kernel stops before the first step of its width
// holding an operand outside that range (a zero, infinite or NaN operand, a larger
// quotient) and reports how many elements it did; the Go twin, which falls back on
// math.Mod, takes that step and the kernel goes on after it.

func modF32(isa vecISA, dst, x, y []float32, floored bool) {
	modSteps(modStep32(isa), dst, x, y, floored, func(d, a, b []float32) int { return modF32Arch(isa, d, a, b, floored) }, modF32Go)
}

func modF64(isa vecISA, dst, x, y []float64, floored bool) {
	modSteps(modStep64(isa), dst, x, y, floored, func(d, a, b []float64) int { return modF64Arch(isa, d, a, b, floored) }, modF64Go)
}

// modSteps computes dst by the kernel arch, whose steps are step elements wide (0: there is
// none), and by the Go twin for each step the kernel stops before and for the tail.
func modSteps[T float32 | float64](step int, dst, x, y []T, floored bool, arch func(dst, x, y []T) int, twin func(dst, x, y []T, floored bool)) {
	x, y = x[:len(dst)], y[:len(dst)]
	if step == 0 {
		twin(dst, x, y, floored)
		return
	}
	for len(dst) > 0 {
		n := arch(dst, x, y)
		m := min(len(dst), n+step)
		twin(dst[n:m], x[n:m], y[n:m], floored)
		dst, x, y = dst[m:], x[m:], y[m:]
	}
}

// modMaxQuotient32 bounds the float32 quotients computed as x - trunc(x/y)·y in float64:
// below it the result is exactly math.Mod(x, y).
//
// Why: let t = x/y exactly and T = trunc(t). When |x| ≥ |y|, x and T·y are both multiples of
// the float32 spacing at y, and so are x - T·y and y - (x - T·y): where they are not zero,
// both are at least that spacing, at least |y|·2⁻²⁴, so t lies at least 2⁻²⁴ from T+1 and
// (but where it is T) from T. The float64 quotient is off by at most |t|·2⁻⁵³ < 2⁻²⁴, and
// truncates to T. When |x| < |y|, T = 0 and 1 - |t| ≥ 2⁻²⁵ by the same argument. T·y has at
// most 28 + 24 significant bits and is exact in float64, and x - T·y is exact because its
// value, math.Mod's, is a float32 (so fused or not, the difference is the same). A zero
// takes x's sign, as math.Mod's does.
const modMaxQuotient32 = 1 << 28

// modMaxQuotient64 bounds the float64 quotients computed as x - q·y by one fused multiply-add
// with q = trunc(x/y), corrected once: below it the result is exactly math.Mod(x, y).
//
// Why: let t = x/y exactly and T = trunc(t), the quotient of math.Mod's remainder x - T·y,
// which is a float64 (math.Mod's result is exact). Below 2⁵², T and T ± 1 are float64s, and
// the rounded quotient d lies between T and T ± 1 (rounding keeps the order of t and the
// integers around it), so trunc(d) is T or one further from zero. With q = T the fused
// multiply-add rounds x - q·y, a float64, once: exactly. With q one too far, x - q·y is not
// zero and has the sign opposite to x's, which its rounding keeps: q is then taken one
// toward zero and the remainder computed again (q is not 0 there: x - 0·y is x). A zero
// takes x's sign, as math.Mod's does.
const modMaxQuotient64 = 1 << 52

// modPiece is the number of elements modF32Go takes a step at a time: it widens a piece's
// operands in one loop, computes in another and rounds the results in a third. The
// conversions between float32 and float64 (CVTSS2SD, CVTSD2SS) keep the rest of their
// destination register, so in a loop doing all three each element waited for the last
// one's result through the register they shared.
const modPiece = 256

// modF32Go is the reference of ModF32's kernels.
func modF32Go(dst, x, y []float32, floored bool) {
	x, y = x[:len(dst)], y[:len(dst)]
	var xs, ys, rs [modPiece]float64
	for lo := 0; lo < len(dst); lo += modPiece {
		n := min(modPiece, len(dst)-lo)
		a, b, r := xs[:n], ys[:n], rs[:n]
		for j := range a {
			a[j], b[j] = float64(x[lo+j]), float64(y[lo+j])
		}
		for j := range r {
			r[j] = a[j] / b[j]
		}
		for j, d := range r {
			a, b := a[j], b[j]
			var v float64
			// b-b is 0 only for a finite b; a NaN or infinite quotient fails the bounds.
			if d > -modMaxQuotient32 && d < modMaxQuotient32 && b-b == 0 {
				v = a - math.Trunc(d)*b
				if v == 0 {
					v = math.Copysign(0, a)
				}
			} else {
				v = math.Mod(a, b)
			}
			if floored {
				v = floorRem(v, b)
			}
			r[j] = v
		}
		for j, v := range r {
			dst[lo+j] = float32(v)
		}
	}
}

// modF64Go is the reference of ModF64's kernels.
func modF64Go(dst, x, y []float64, floored bool) {
	x, y = x[:len(dst)], y[:len(dst)]
	for j, a := range x {
		b := y[j]
		d := a / b
		var v float64
		// b-b is 0 only for a finite b; a NaN or infinite quotient fails the bounds.
		if d > -modMaxQuotient64 && d < modMaxQuotient64 && b-b == 0 {
			q := math.Trunc(d)
			v = math.FMA(-q, b, a)
			if v != 0 && (v < 0) != (a < 0) {
				q -= math.Copysign(1, q)
				v = math.FMA(-q, b, a)
			}
			if v == 0 {
				v = math.Copysign(0, a)
			}
		} else {
			v = math.Mod(a, b)
		}
		if floored {
			v = floorRem(v, b)
		}
		dst[j] = v
	}
}

// floorRem turns a truncated remainder v of x / y (math.Mod's, the dividend's sign) into the
// floored one (the divisor's sign): v + y where v is not zero and its sign bit differs from
// y's, selected by a mask made of the bits, as the signs of arbitrary data defeat a branch's
// prediction half the time.
func floorRem(v, y float64) float64 {
	vb := math.Float64bits(v)
	z := vb << 1 // 0 for ±0
	m := -((vb ^ math.Float64bits(y)) >> 63 & ((z | -z) >> 63))
	return math.Float64frombits(vb&^m | math.Float64bits(v+y)&m)
}

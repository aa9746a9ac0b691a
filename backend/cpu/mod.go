package cpu

import (
	"math"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/graph"
)

// Float32 Mod and Rem, bit for bit what binaryF gives for the values widened to float64
// (math.Mod, then for Mod the divisor added where the signs differ), without math.Mod's
// loop over the exponents: for float32 x and y, r = x - trunc(x/y)·y computed in float64 is
// exactly math.Mod(x, y) wherever |x/y| < modMaxQuotient.
//
// Why: let t = x/y exactly and T = trunc(t). When |x| ≥ |y|, x and T·y are both multiples of
// the float32 spacing at y, and so are x - T·y and y - (x - T·y): where they are not zero,
// both are at least that spacing, at least |y|·2⁻²⁴, so t lies at least 2⁻²⁴ from T+1 and
// (but where it is T) from T. The float64 quotient is off by at most |t|·2⁻⁵³ < 2⁻²⁴, and
// truncates to T. When |x| < |y|, T = 0 and 1 - |t| ≥ 2⁻²⁵ by the same argument. T·y has at
// most 28 + 24 significant bits and is exact in float64, and x - T·y is exact because its
// value, math.Mod's, is a float32. A zero takes x's sign, as math.Mod's does. Zero and
// infinite divisors, infinite or NaN operands and larger quotients go to math.Mod.
const modMaxQuotient = 1 << 28

// modF32 sets out[j] to a[j] mod b[j] for op OpMod (floored: the divisor's sign) or OpRem
// (truncated: the dividend's sign, C's fmod). It works in pieces of f64Piece, each step a loop of its own (see f64Piece).
func modF32(op graph.Op, out, a, b []float32) {
	a, b = a[:len(out)], b[:len(out)]
	floored := op == graph.OpMod
	var xs, ys, rs [f64Piece]float64
	for lo := 0; lo < len(out); lo += f64Piece {
		n := min(f64Piece, len(out)-lo)
		x, y, r := xs[:n], ys[:n], rs[:n]
		for j := range x {
			x[j], y[j] = float64(a[lo+j]), float64(b[lo+j])
		}
		asm.DivF64(r, x, y)
		for j, d := range r {
			x, y := x[j], y[j]
			var v float64
			// y-y is 0 only for a finite y; a NaN or infinite quotient fails the bounds.
			if d > -modMaxQuotient && d < modMaxQuotient && y-y == 0 {
				v = x - math.Trunc(d)*y
				if v == 0 {
					v = math.Copysign(0, x)
				}
			} else {
				v = math.Mod(x, y)
			}
			if floored {
				v = floorRem(v, y)
			}
			r[j] = v
		}
		for j, v := range r {
			out[lo+j] = float32(v)
		}
	}
}

// f64Piece is the number of elements that modF32 takes a step at a time: it widens a
// piece's operands in one loop, computes in another and rounds the results in a third. The
// conversions between float32 and float64 (CVTSS2SD, CVTSD2SS) keep the rest of their
// destination register, so in a loop doing all three each element waited for the last
// one's result through the register they shared (12 ns an element so, 3.3 ns in steps).
const f64Piece = 256

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

// Float64 Mod and Rem, bit for bit what math.Mod gives (then for Mod the divisor added where
// the signs differ), without math.Mod's loop over the exponents (x mod 0.75 of 16M values of
// about ±100, two cores: 540-550 ms so, 42 ms now; mod 1e-9: 2.1 s, 41-44 ms): r = x - q·y
// with q = trunc(x/y), computed by one fused multiply-add, wherever |x/y| < modMaxQuotient64.
//
// Why: let t = x/y exactly and T = trunc(t), the quotient of math.Mod's remainder x - T·y,
// which is a float64 (math.Mod's result is exact). Below 2⁵², T and T ± 1 are float64s, and the
// rounded quotient d lies between T and T ± 1 (rounding keeps the order of t and the
// integers around it), so trunc(d) is T or one further from zero. With q = T the fused
// multiply-add rounds x - q·y, a float64, once: exactly. With q one too far, x - q·y is not
// zero and has the sign opposite to x's, which its rounding keeps: q is then taken one
// toward zero and the remainder computed again. A zero takes x's sign, as math.Mod's does.
// Zero, infinite and NaN divisors, infinite or NaN dividends and larger quotients go to
// math.Mod.
const modMaxQuotient64 = 1 << 52

// modF64 sets dst[j] to a[j] mod b[j] for op OpMod (floored: the divisor's sign) or OpRem
// (truncated: the dividend's sign, C's fmod).
func modF64(op graph.Op, dst, a, b []float64) {
	a, b = a[:len(dst)], b[:len(dst)]
	floored := op == graph.OpMod
	for j, x := range a {
		y := b[j]
		d := x / y
		var v float64
		// y-y is 0 only for a finite y; a NaN or infinite quotient fails the bounds.
		if d > -modMaxQuotient64 && d < modMaxQuotient64 && y-y == 0 {
			q := math.Trunc(d)
			v = math.FMA(-q, y, x)
			if v != 0 && (v < 0) != (x < 0) {
				q -= math.Copysign(1, q) // (q is not 0: x - 0·y is x)
				v = math.FMA(-q, y, x)
			}
			if v == 0 {
				v = math.Copysign(0, x)
			}
		} else {
			v = math.Mod(x, y)
		}
		if floored {
			v = floorRem(v, y)
		}
		dst[j] = v
	}
}

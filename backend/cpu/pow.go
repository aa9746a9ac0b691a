package cpu

import "math"

// Float32 x**y for any x and y, as float32(math.Pow(float64(x), float64(y))) bit for bit, at a
// fraction of its cost: where x is positive and finite, |y| at most powMaxY and the result
// a normal float32, the power is 2^(y·log2 x) computed in float64 with short series (a
// relative error below 2⁻⁴⁴, against the 2⁻²⁴ of a float32 rounding), and rounded to
// float32. That rounding can differ from math.Pow's only where the exact power lies within
// the two results' errors of a point halfway between two float32 values (an exact power
// such as (1+2⁻¹²)² lies on one); those elements, about one in 16000 of arbitrary values,
// and every other x and y (zeros, negatives, infinities, NaN, large exponents, results that
// overflow or underflow float32's normal range) go to math.Pow itself.

// powMaxY bounds the exponents of the fast path: up to it, math.Pow's own error (its
// repeated squaring for the integer part of y adds about a float64 rounding per doubling)
// stays far inside powMargin, so that the two agree wherever the fast path decides.
const powMaxY = 1024

// powMargin is the distance, in float64 units in the last place, from a float32 halfway
// point inside which the fast path leaves an element to math.Pow: 2¹⁴ units, 2⁻³⁸ of the
// value, well above both results' errors.
const powMargin = 1 << 14

// powF32 sets out[j] to float32(math.Pow(float64(a[j]), float64(b[j]))).
func powF32(out, a, b []float32) {
	a, b = a[:len(out)], b[:len(out)]
	for j := range out {
		out[j] = pow32(a[j], b[j])
	}
}

// pow32 is float32(math.Pow(float64(x), float64(y))).
func pow32(x, y float32) float32 {
	if x > 0 && x <= math.MaxFloat32 && y >= -powMaxY && y <= powMaxY {
		if r, ok := powFast(float64(x), float64(y)); ok {
			return r
		}
	}
	return float32(math.Pow(float64(x), float64(y)))
}

// powFast computes x**y for float32 x in (0, MaxFloat32] and |y| <= powMaxY, or reports false
// where the result is not a normal float32 or lies too near a float32 halfway point.
func powFast(x, y float64) (float32, bool) {
	// x = m·2^e, m in [√½, √2): float32 x, subnormals included, is a normal float64.
	bits := math.Float64bits(x)
	e := int(bits>>52) - 1023
	m := math.Float64frombits(bits&(1<<52-1) | 1023<<52)
	if m > math.Sqrt2 {
		m *= 0.5
		e++
	}
	// ln m = 2·atanh(s), s = (m-1)/(m+1) in [-0.172, 0.172]: m-1 is exact, and the series
	// in s² is accurate relative to s, so log2 x is accurate relative to itself even for x
	// near 1 (where a large y makes up for a small logarithm).
	// p = Σ s²ᵏ/(2k+1) for k <= 8 (the first term left out, s¹⁸/19, is below 2⁻⁴⁹ of p), in
	// Estrin's order: a tree of products of powers of s², not a chain of eight.
	s := (m - 1) / (m + 1)
	z := s * s
	z2 := z * z
	z4 := z2 * z2
	p := (1 + z*(1.0/3) + z2*(1.0/5+z*(1.0/7))) + z4*((1.0/9+z*(1.0/11))+z2*(1.0/13+z*(1.0/15))) + z4*z4*(1.0/17)
	t := y * (float64(e) + 2*math.Log2E*s*p) // y·log2 x
	if !(t >= -126 && t < 128) {
		return 0, false // not a normal float32 (or NaN)
	}
	// 2^t = 2^n · e^(f·ln 2), |f| <= ½.
	n := (t + 0x1.8p52) - 0x1.8p52 // t rounded to an integer, without math.Round's call
	// Taylor's series up to g¹²/12! (g¹³/13! is below 2⁻⁵²), in Estrin's order.
	g := (t - n) * math.Ln2
	g2 := g * g
	g4 := g2 * g2
	g8 := g4 * g4
	q := ((1 + g) + g2*(1.0/2+g*(1.0/6))) + g4*((1.0/24+g*(1.0/120))+g2*(1.0/720+g*(1.0/5040))) +
		g8*(((1.0/40320+g*(1.0/362880))+g2*(1.0/3628800+g*(1.0/39916800)))+g4*(1.0/479001600))
	rb := math.Float64bits(q) + uint64(int64(n))<<52
	// The 29 bits that float32 drops: 1<<28 is the halfway point.
	if d := int64(rb & (1<<29 - 1)); d > 1<<28-powMargin && d < 1<<28+powMargin {
		return 0, false
	}
	r := math.Float64frombits(rb)
	if r < 0x1p-126 || r >= 0x1p128 {
		return 0, false
	}
	return float32(r), true
}

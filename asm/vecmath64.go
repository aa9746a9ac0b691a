package asm

import "math"

// Vector math in float64, built as the float32 kernels are (vecmath.go): range reduction and
// a polynomial in fused steps that every implementation takes in the same order, so that the
// assembly agrees with the Go references (the ...F64Go functions) bit for bit. A product
// that a later addition takes is converted explicitly, float64(a*b), which keeps the
// compiler from fusing the two (arm64 would). The polynomials are Taylor series cut where
// the first term left out is below 2⁻⁵⁷ of the result over the reduced interval. The bounds
// in the doc comments are the largest distance, in float64 values (ulp), from the correctly
// rounded result seen by TestMathULPF64, which measures against 300-bit references.

// ExpF64 sets dst[i] = e^x[i]; x must be at least as long as dst. The error is at most 1 ulp,
// subnormal results (x < -708.3964) included; e^x is +Inf above 709.7827 and 0 below
// -745.1332.
//
//	for i := range dst {
//		dst[i] = math.Exp(x[i])
//	}
func ExpF64(dst, x []float64) { unaryF64(activeISA(), opExp, dst, x) }

// LogF64 sets dst[i] to the natural logarithm of x[i]; x must be at least as long as dst. The
// error is at most 1 ulp; subnormals are handled, log(±0) = -Inf, log(x < 0) = NaN.
//
//	for i := range dst {
//		dst[i] = math.Log(x[i])
//	}
func LogF64(dst, x []float64) { unaryF64(activeISA(), opLog, dst, x) }

// Exp2F64 sets dst[i] = 2^x[i]; x must be at least as long as dst. The error is at most 1
// ulp, and 2^n is exact for integers n.
//
//	for i := range dst {
//		dst[i] = math.Exp2(x[i])
//	}
func Exp2F64(dst, x []float64) { unaryF64(activeISA(), opExp2, dst, x) }

// Log2F64 sets dst[i] to the base-2 logarithm of x[i]; x must be at least as long as dst. The
// error is at most 1 ulp, log2(2^n) = n exactly; log2(±0) = -Inf, log2(x < 0) = NaN.
//
//	for i := range dst {
//		dst[i] = math.Log2(x[i])
//	}
func Log2F64(dst, x []float64) { unaryF64(activeISA(), opLog2, dst, x) }

// SinF64 sets dst[i] to the sine of x[i]; x must be at least as long as dst. The error is at
// most 1 ulp for |x[i]| < 2⁴⁰; sin(±Inf) = NaN. Inputs of magnitude 2⁴⁰ and above are
// computed by math.Sin after the vector pass, as accurately as it does them (math.Sin and
// math.Cos are 4 ulp off and more from about 10⁸ on, thousands of ulp near multiples of π/2
// beyond 2⁴⁰).
//
//	for i := range dst {
//		dst[i] = math.Sin(x[i])
//	}
func SinF64(dst, x []float64) { unaryF64(activeISA(), opSin, dst, x) }

// CosF64 sets dst[i] to the cosine of x[i], as SinF64 does the sine.
//
//	for i := range dst {
//		dst[i] = math.Cos(x[i])
//	}
func CosF64(dst, x []float64) { unaryF64(activeISA(), opCos, dst, x) }

// ErfF64 sets dst[i] to the error function of x[i]; x must be at least as long as dst. The
// error is at most 1 ulp.
//
//	for i := range dst {
//		dst[i] = math.Erf(x[i])
//	}
func ErfF64(dst, x []float64) { unaryF64(activeISA(), opErf, dst, x) }

// AtanF64 sets dst[i] to the arctangent of x[i]; x must be at least as long as dst. The error
// is at most 2 ulp.
//
//	for i := range dst {
//		dst[i] = math.Atan(x[i])
//	}
func AtanF64(dst, x []float64) { unaryF64(activeISA(), opAtan, dst, x) }

// AsinF64 sets dst[i] to the arcsine of x[i], atan(x / √((1-x)(1+x))) by the vector
// kernels; x must be at least as long as dst. The error is at most 2 ulp.
//
//	for i := range dst {
//		dst[i] = math.Asin(x[i])
//	}
func AsinF64(dst, x []float64) { arcF64(activeISA(), false, dst, x) }

// AcosF64 sets dst[i] to the arccosine of x[i], 2·atan √((1-x)/(1+x)) by the vector kernels;
// x must be at least as long as dst. The error is at most 2 ulp.
//
//	for i := range dst {
//		dst[i] = math.Acos(x[i])
//	}
func AcosF64(dst, x []float64) { arcF64(activeISA(), true, dst, x) }

// TanF64 sets dst[i] to the tangent of x[i], sin x / cos x by the sine and cosine kernels; x
// must be at least as long as dst. The error is at most 2 ulp.
//
//	for i := range dst {
//		dst[i] = math.Tan(x[i])
//	}
func TanF64(dst, x []float64) { tanF64(activeISA(), dst, x) }

// SinhF64 sets dst[i] to the hyperbolic sine of x[i]; x must be at least as long as dst. The
// error is at most 2 ulp below 709 in magnitude, 3 above (sinh overflows above 710.4759).
//
//	for i := range dst {
//		dst[i] = math.Sinh(x[i])
//	}
func SinhF64(dst, x []float64) { hyperbolicF64(activeISA(), false, dst, x) }

// CoshF64 sets dst[i] to the hyperbolic cosine of x[i], as SinhF64 does the sine.
//
//	for i := range dst {
//		dst[i] = math.Cosh(x[i])
//	}
func CoshF64(dst, x []float64) { hyperbolicF64(activeISA(), true, dst, x) }

// TanhF64 sets dst[i] to the hyperbolic tangent of x[i]; x must be at least as long as dst.
// The error is at most 2 ulp.
//
//	for i := range dst {
//		dst[i] = math.Tanh(x[i])
//	}
func TanhF64(dst, x []float64) { unaryF64(activeISA(), opTanh, dst, x) }

const (
	// e^x = 2ⁿ·e^r with n = round(x·log2(e)) and r = x - n·ln2, n·ln2 in two parts: ln2HiD
	// has 32 significant bits, so n·ln2HiD is exact for the |n| ≤ 1076 of exp's range, and
	// so is x - n·ln2HiD (Sterbenz); ln2HiD + ln2LoD is ln2 within 2⁻⁸⁷.
	log2eD    = 0x1.71547652b82fep+0
	expShiftD = 0x1.8p52 // t = x·log2e + expShiftD rounds x·log2e to an integer n, in t's low bits
	ln2HiD    = 0x1.62e42feep-1
	ln2LoD    = 0x1.a39ef35793c76p-33
	expLoD    = -746 // e^x rounds to 0 below -745.1332
	expHiD    = 710  // and overflows above 709.7827

	// 2^x = 2ⁿ·e^(r·ln2) with n = round(x), r = x - n exact, r·ln2 = yh + yl to 2⁻¹⁰⁶ of it
	// (ln2D + ln2TailD is ln2 within 2⁻¹⁰⁸).
	exp2LoD    = -1076 // 2^x rounds to 0 below -1075
	exp2HiD    = 1025  // and overflows from 1024
	ln2D       = 0x1.62e42fefa39efp-1
	ln2TailD   = 0x1.abc9e3b39803fp-56
	log2eTailD = 0x1.777d0ffda0d24p-56 // log2(e) - log2eD

	// log x = k·ln2 + log(m) with m = x/2^k in [√½, √2); subnormal x are scaled up first.
	sqrtHalfD = 0x1.6a09e667f3bcdp-1
	subScaleD = 0x1p52
	// k is read off the bits of x as an unsigned number, k + 2048 (see logCoreD), and turned
	// into a float by setting it as the low bits of kIntD's significand.
	kIntD = 0x1p52 + 2048

	// sin and cos of x = n·π/2 + r, |r| ≤ π/4, with n = round(x·2/π) (in the low bits of
	// t = x·2/π + expShiftD) and π/2 in three parts, each the rounding of what the ones before
	// leave (their sum is π/2 within 2⁻¹⁶³): x - n·pio2HiD is exact (the difference is below 1
	// and a multiple of 2⁻⁵², as x and n·pio2HiD are), n·pio2MidD is split exactly into a
	// rounded product and its error, and r is carried as s + rl. For |x| < trigMaxD, where
	// n < 2⁴⁰, what that leaves out is below 2⁻¹¹⁸, and no float64 lies closer than 2⁻⁶¹ to a
	// multiple of π/2. The quadrant n mod 4 picks sin or cos of r and the sign.
	twoOverPiD = 0x1.45f306dc9c883p-1
	pio2HiD    = 0x1.921fb54442d18p+0
	pio2MidD   = 0x1.1a62633145c07p-54
	pio2LoD    = -0x1.f1976b7ed8fbcp-110
	trigMaxD   = 0x1p40
	// Below sinTinyD, sin x is x once rounded (x³/6 is below half of x's ulp), and the
	// kernels return x itself, -0 included.
	sinTinyD = 0x1p-26

	// tanh(a) = -m/(2+m) with m = e^-2a - 1, for a up to tanhMaxD: tanh rounds to 1 from
	// a = 19.06.
	tanhMaxD = 20
)

// The polynomials, highest coefficient first (Horner's order).
var (
	// (e^r - 1 - r)/r² on [-0.3466, 0.3466]: 1/13!, 1/12!, ..., 1/2!; the first term left out,
	// r¹⁴/14!, is below 2⁻⁵⁷·⁷.
	expPD = func() (p [12]float64) {
		f := 1.0
		for k := 2; k <= 13; k++ {
			f *= float64(k) // exact: 13! < 2⁵³
			p[13-k] = 1 / f
		}
		return p
	}()
	// (sin(r) - r)/r³ in u = r² on |r| ≤ π/4: -1/3!, 1/5!, ..., 1/17!; the first term left
	// out, r¹⁹/19!, is below 2⁻⁶³ of sin r.
	// atan t = t + t·z·q(z), z = t², for |t| ≤ ½: q's Chebyshev interpolant on [0, ¼], degree
	// 13, computed in 400-bit arithmetic and rounded (highest power first); it is within
	// 1.9e-17 of q, whose values lie in [-⅓, -0.29].
	atanPD = [14]float64{0x1.f5c3523066abp-08, -0x1.633de283fb773p-06, 0x1.166a8732cc738p-05, -0x1.56b2f82e012ddp-05,
		0x1.837a52499d8b8p-05, -0x1.aecb542412942p-05, 0x1.e1d8a9bad86p-05, -0x1.1110befb7253cp-04,
		0x1.3b13ad5571f07p-04, -0x1.745d172701e87p-04, 0x1.c71c71c68a0c5p-04, -0x1.2492492491932p-03,
		0x1.999999999998ep-03, -0x1.5555555555555p-02}

	// erf x = x·c0 + x·z·h(z) for |x| < 1, z = x², c0 = 2/√π: h is its Chebyshev interpolant
	// on [0, 1], degree 12, within evaluation noise of h.
	erfPD = [13]float64{-0x1.33d62c94107ddp-38, 0x1.830ed95421e6p-34, -0x1.4f16018750568p-30, 0x1.fc686faf628abp-27,
		-0x1.5f70026e262cep-23, 0x1.b9e687c3e0abbp-20, -0x1.f4d2596fb33ap-17, 0x1.f9a326e5405bcp-14,
		-0x1.c02db3ffe0c21p-11, 0x1.565bcd0e6947fp-08, -0x1.b82ce31288b2p-06, 0x1.ce2f21a042be1p-04,
		-0x1.812746b0379e7p-02}
	// erf x = 1 - e^-x²·g(x) from 1 on, g = e^x²·erfc x: Chebyshev interpolants in x - 1.75 on
	// [1, 2.5] (degree 19; within 2.2e-16 of g, evaluation included) and in x - 4.25 on
	// [2.5, 6] (degree 17; within 3.9e-14 of g, where erfc x is below 4.1e-4).
	erfcP1D = [20]float64{-0x1.405d1a85f9802p-34, 0x1.4c8cbc47bb883p-32, -0x1.1a8f75a828021p-30, 0x1.1844abdcfb53bp-28,
		-0x1.14762457ee1aep-26, 0x1.071a868e7c576p-24, -0x1.e91be6189ac2ep-23, 0x1.bc0e120c7ffc7p-21,
		-0x1.88fb375540b54p-19, 0x1.5273fb8b9c64cp-17, -0x1.1b2912ba9fb1p-15, 0x1.cb4c68564028dp-14,
		-0x1.6838884aea6f4p-12, 0x1.106bd5c07ac92p-10, -0x1.8bf716a8ea76p-09, 0x1.13648a11ff98fp-07,
		-0x1.6cb52fe489462p-06, 0x1.c8d0cef0f8112p-05, -0x1.0c3d538446447p-03, 0x1.23cfc2f1dc7ep-02}
	erfcP2D = [18]float64{-0x1.541238babf372p-43, 0x1.f0b60202ce16p-41, -0x1.a85d165ca086fp-39, 0x1.29efddb7b5c89p-36,
		-0x1.d167addfa8a53p-34, 0x1.40827ea5bc138p-31, -0x1.ae736adaa51c4p-29, 0x1.201aa0dc601b5p-26,
		-0x1.7c58b90e423fp-24, 0x1.ee369c4ca4bd6p-22, -0x1.3c076bcb19c3cp-19, 0x1.8d8e49e4e584ep-17,
		-0x1.eb88e11af754p-15, 0x1.2a661004150b1p-12, -0x1.6373226eb142p-10, 0x1.9ef71691608a9p-08,
		-0x1.da39533524a4fp-06, 0x1.08e62ce8c8a53p-03}

	sinPD = [8]float64(taylorD(3, 8))
	// (cos(r) - 1 + r²/2)/r⁴ in u = r²: 1/4!, -1/6!, ..., -1/18!; the first term left out,
	// r²⁰/20!, is below 2⁻⁶⁷.
	cosPD = [8]float64(taylorD(4, 8))
	// (log(1+f) - 2s)/(s·z) with s = f/(2+f), z = s², on z ≤ 0.0295: the series of 2·atanh(s)
	// beyond its first term, 2/21, 2/19, ..., 2/3; the first term left out, 2z¹¹/23 of 2s, is
	// below 2⁻⁶⁰.
	logPD = func() (p [10]float64) {
		for j := range p {
			p[len(p)-1-j] = 2 / float64(2*j+3)
		}
		return p
	}()
)

// taylorD returns the n coefficients ±1/k! for k = k0, k0+2, ..., highest first, with the
// alternating signs of sin's and cos's series (positive for k ≡ 0, 1 mod 4).
func taylorD(k0, n int) []float64 {
	p := make([]float64, n)
	for i := range n {
		k := k0 + 2*i
		f := 1.0
		for j := 2; j <= k; j++ {
			f *= float64(j) // exact: 18! < 2⁵³
		}
		c := 1 / f
		if k%4 >= 2 {
			c = -c
		}
		p[n-1-i] = c
	}
	return p
}

// hornerD evaluates the polynomial p (highest coefficient first) at x with fused steps.
func hornerD(p []float64, x float64) float64 {
	y := p[0]
	for _, c := range p[1:] {
		y = math.FMA(y, x, c)
	}
	return y
}

// expF64Go is the reference of ExpF64. The kernels give a NaN back as it came, with its own
// bits, as math.Exp does, rather than what the arithmetic would make of its payload.
func expF64Go(x float64) float64 {
	if x != x {
		return x
	}
	return expCoreD(min(max(x, expLoD), expHiD))
}

// expReduceD returns t = expShiftD + n and r with x = n·ln2 + r, |r| ≤ ln2/2 (to within an
// ulp of r), and p = (e^r - 1 - r)/r².
func expReduceD(x float64) (t, r, p float64) {
	t = math.FMA(x, log2eD, expShiftD)
	n := t - expShiftD
	r = math.FMA(-n, ln2HiD, x)
	r = math.FMA(-n, ln2LoD, r)
	return t, r, hornerD(expPD[:], r)
}

// expCoreD is e^x for x in [expLoD, expHiD].
func expCoreD(x float64) float64 {
	t, r, p := expReduceD(x)
	p = math.FMA(p, r, 1)
	p = math.FMA(p, r, 1) // 1 + r + r²·P(r)
	return scale2D(p, t)
}

// scale2D returns p·2ⁿ rounded once, where t = expShiftD + n, for p in [½, 2) and n in
// [-1076, 1024]. 2ⁿ is applied as two normal factors 2^n1 and 2^(n-n1), n1 = n/2 rounded,
// the first exactly. Their exponent fields come from the bits of t (those of expShiftD plus
// n) and of s = n/2 + expShiftD + 1023 (those of expShiftD plus n1 + 1023), with integer
// additions on 64 bits and no shift of a signed value, which AVX2 does not have.
func scale2D(p, t float64) float64 {
	s := math.FMA(t-expShiftD, 0.5, expShiftD+1023)
	s1 := math.Float64frombits(math.Float64bits(s) << 52)
	s2 := math.Float64frombits((math.Float64bits(t) - math.Float64bits(s) + 2046) << 52)
	return float64(p*s1) * s2
}

// expm1NegD is e^x - 1 for x in [-2·tanhMaxD, 0]: with x = n·ln2 + r, n ≤ 0,
// e^x - 1 = 2ⁿ·((e^r - 1) + (1 - 2⁻ⁿ)), where e^r - 1 = r + r²·P(r) keeps r's accuracy
// near 0, 1 - 2⁻ⁿ is exact for the n ≥ -53 that count, and the product by 2ⁿ is exact.
func expm1NegD(x float64) float64 {
	t, r, p := expReduceD(x)
	m := math.FMA(float64(r*r), p, r)
	tb := math.Float64bits(t)
	c := math.Float64frombits((math.Float64bits(expShiftD) + 1023 - tb) << 52) // 2⁻ⁿ
	s := math.Float64frombits((tb - math.Float64bits(expShiftD) + 1023) << 52) // 2ⁿ
	return (m + (1 - c)) * s
}

// tanhF64Go is the reference of TanhF64: -m/(2+m) with m = e^-2|x| - 1, which neither
// overflows nor cancels, with the sign of x.
func tanhF64Go(x float64) float64 {
	if x != x {
		return x
	}
	a := min(math.Abs(x), tanhMaxD)
	m := expm1NegD(-2 * a)
	q := m / (m + 2)
	return math.Float64frombits(math.Float64bits(q)&^(1<<63) | math.Float64bits(x)&(1<<63))
}

// logCoreD splits x > 0 into 2^k·m with m in [√½, √2) and returns k and log(m) - without
// the last rounding - as f - d, f = m - 1 and d = f²/2 - s·(f²/2 + R) - k·lo (lo is ln2LoD
// for log, 0 for log2): that is log(1+f) = f - f²/2 + s·(f²/2 + R) with s = f/(2+f),
// R = z·P(z), z = s² (2·atanh(s) = 2s + s·R, and 2s = f - s·f = f - f²/2 + s·f²/2). The
// k·lo term rides in d, whose rounding is a fraction of f's ulp.
func logCoreD(x, lo float64) (k, f, d float64) {
	adj := 0.0
	if x < 0x1p-1022 {
		x *= subScaleD
		adj = -52
	}
	// u = bits(x) - bits(√½) as a 64-bit two's complement number: k is u >> 52 (arithmetic),
	// which is (u ^ 1<<63) >> 52 (logical) - 2048, and the bits of m are u's low 52 plus √½'s.
	u := math.Float64bits(x) - math.Float64bits(sqrtHalfD)
	m := math.Float64frombits(u&(1<<52-1) + math.Float64bits(sqrtHalfD))
	k = math.Float64frombits((u^1<<63)>>52|math.Float64bits(0x1p52)) - kIntD + adj
	f = m - 1 // exact (Sterbenz)
	s := f / (f + 2)
	z := s * s
	r := float64(z * hornerD(logPD[:], z))
	h := float64(f*f) * 0.5
	c := math.FMA(s, h+r, float64(k*lo))
	return k, f, h - c
}

// logSpecialD returns the logarithm of the special values: x itself for +Inf and NaN, NaN
// below 0, -Inf at ±0; r otherwise.
func logSpecialD(x, r float64) float64 {
	switch {
	case !(x < math.Inf(1)):
		return x
	case x < 0:
		return math.NaN()
	case x == 0:
		return math.Inf(-1)
	}
	return r
}

// logF64Go is the reference of LogF64.
func logF64Go(x float64) float64 {
	k, f, d := logCoreD(x, ln2LoD)
	return logSpecialD(x, math.FMA(k, ln2HiD, f-d))
}

// log2F64Go is the reference of Log2F64: k + (y + ey)·log2(e), where y = f - d rounded and
// ey its rounding error (exact: f is larger than d), the product carried as hi + lo, and the
// sum with k by Fast2Sum (|k| ≥ 1 > |hi|, or k = 0), so that neither the cancellation in
// f - d nor that in k + hi costs accuracy.
func log2F64Go(x float64) float64 {
	k, f, d := logCoreD(x, 0)
	y := f - d
	ey := (f - y) - d
	hi := float64(y * log2eD)
	lo := math.FMA(y, log2eD, -hi)
	lo = math.FMA(ey, log2eD, lo)
	lo = math.FMA(y, log2eTailD, lo)
	s := k + hi
	e := (k - s) + hi
	return logSpecialD(x, s+(e+lo))
}

// exp2F64Go is the reference of Exp2F64.
func exp2F64Go(x float64) float64 {
	if x != x {
		return x
	}
	x = min(max(x, exp2LoD), exp2HiD)
	t := x + expShiftD
	r := x - (t - expShiftD) // exact
	yh := float64(r * ln2D)
	yl := math.FMA(r, ln2D, -yh)
	yl = math.FMA(r, ln2TailD, yl)
	p := hornerD(expPD[:], yh)
	p = math.FMA(p, yh, 1)   // (e^yh - 1)/yh
	w := math.FMA(p, yh, yl) // e^(yh+yl) - 1
	return scale2D(1+w, t)
}

// trigF64Go is the reference of the vector kernels of SinF64 (cos false) and CosF64 (cos
// true). It returns x itself where |x| ≥ trigMaxD (and for NaN): never a sine or cosine, which
// lie in [-1, 1], so that trigLargeD can find those inputs in the results alone, in place too.
func trigF64Go(x float64, cos bool) float64 {
	t := math.FMA(x, twoOverPiD, expShiftD)
	n := t - expShiftD
	if cos {
		t++ // cos(x) = sin(x + π/2): the next quadrant
	}
	q := math.Float64bits(t)
	// r = x - n·π/2 as s + rl: r1 is exact, n·pio2MidD = ph + pl exactly, and r1 - ph = s + e
	// exactly (2Sum).
	r1 := math.FMA(-n, pio2HiD, x)
	ph := float64(n * pio2MidD)
	pl := math.FMA(n, pio2MidD, -ph)
	s := r1 - ph
	bb := s - r1
	e := (r1 - (s - bb)) + (-ph - bb)
	rl := math.FMA(-n, pio2LoD, e-pl)
	u := float64(s * s)
	var y float64
	if q&1 == 0 {
		// sin(s + rl) ≈ s + (s·u·S(u) + rl·(1 - u/2))
		c := math.FMA(float64(u*-0.5), rl, rl)
		y = s + math.FMA(float64(hornerD(sinPD[:], u)*u), s, c)
	} else {
		// cos(s + rl) ≈ w + (((1 - w) - u/2) + (u²·C(u) - s·rl)) with w = 1 - u/2 rounded:
		// (1 - w) - u/2 is what that rounding dropped.
		c := math.FMA(float64(u*u), hornerD(cosPD[:], u), -float64(s*rl))
		hz := float64(u * 0.5)
		w := 1 - hz
		y = w + (((1 - w) - hz) + c)
	}
	y = math.Float64frombits(math.Float64bits(y) ^ q<<62&(1<<63))
	if a := math.Abs(x); !(a < trigMaxD) || !cos && a < sinTinyD {
		return x
	}
	return y
}

// trigLargeD computes, after the vector pass, the sine or cosine of the inputs the pass left
// as they were: those of magnitude trigMaxD and above, by math's functions; the infinities
// and NaN come out NaN.
func trigLargeD(cos bool, dst []float64) {
	// The kernel's sines and cosines lie in [-1, 1], so bit 62 is set only in what it left
	// (|v| ≥ 2, NaN): a quick look for it first spares the usual block the slower test.
	var a0, a1, a2, a3 uint64
	d := dst
	for ; len(d) >= 4; d = d[4:] {
		a0 |= math.Float64bits(d[0])
		a1 |= math.Float64bits(d[1])
		a2 |= math.Float64bits(d[2])
		a3 |= math.Float64bits(d[3])
	}
	for _, v := range d {
		a0 |= math.Float64bits(v)
	}
	if (a0|a1|a2|a3)&(1<<62) == 0 {
		return
	}
	for i, v := range dst {
		if !(math.Abs(v) <= 1) {
			if cos {
				dst[i] = math.Cos(v)
			} else {
				dst[i] = math.Sin(v)
			}
		}
	}
}

// sinhPD is (sinh(a) - a)/a³ in u = a² for |a| < 1: 1/3!, 1/5!, ..., 1/17!; the first term
// left out, a¹⁹/19!, is below 2⁻⁵⁶ of sinh a.
var sinhPD = func() (p [8]float64) {
	for i, c := range taylorD(3, 8) {
		p[i] = math.Abs(c)
	}
	return p
}()

// hyperBlock is the number of elements hyperbolicF64 takes at a time: e^|x| for a block goes
// to the exp kernel, then the sums to a Go loop.
const hyperBlock = 256

const (
	erfC0HiD    = 0x1.20dd750429b6dp+00 // 2/√π in two parts
	erfC0LoD    = 0x1.1ae3a914fed8p-56
	erfMaxD     = 6 // erf x rounds to 1 from about 5.92 on
	erfSplitD   = 2.5
	erfCenter1D = 1.75
	erfCenter2D = 4.25
)

// erfF64Go is the reference of ErfF64. With a = min(|x|, 6): below 1, a·c0 + a·(c0lo +
// z·h(z)), z = a², the large term rounded once; from 1 on, 1 - e^-a²·g(a) with e^-a² =
// e^-z·e^(z-a²) ≈ e^-z·(1 + (z - a²)), z - a² exact. x's sign goes on last, and a NaN comes
// back as it came.
func erfF64Go(x float64) float64 {
	if x != x {
		return x
	}
	a := min(math.Abs(x), erfMaxD)
	z := a * a
	r := math.FMA(a, erfC0HiD, float64(a*math.FMA(hornerD(erfPD[:], z), z, erfC0LoD)))
	if !(a < 1) {
		e := expCoreD(-z)
		e = math.FMA(e, math.FMA(-a, a, z), e)
		g := hornerD(erfcP2D[:], a-erfCenter2D)
		if a < erfSplitD {
			g = hornerD(erfcP1D[:], a-erfCenter1D)
		}
		r = math.FMA(-e, g, 1)
	}
	return math.Float64frombits(math.Float64bits(r) | math.Float64bits(x)&(1<<63))
}

// π/2 and π/4 in two parts each, the high one the nearest float64.
const (
	pio2HiAtanD = 0x1.921fb54442d18p+00
	pio2LoAtanD = 0x1.1a62633145c07p-54
	pio4HiAtanD = 0x1.921fb54442d18p-01
	pio4LoAtanD = 0x1.1a62633145c07p-55
)

// atanF64Go is the reference of AtanF64. With a = |x|, t is a, or 1/a above 1 (atan a = π/2 -
// atan(1/a)); above ½, t is further (t-1)/(t+1) (atan t = π/4 + atan((t-1)/(t+1)); t - 1 is
// exact there), which leaves |t| ≤ ½ for atan t = t + t·z·q(z). The kernels compute every
// branch and select; x's sign goes on last, and a NaN comes back as it came.
func atanF64Go(x float64) float64 {
	if x != x {
		return x
	}
	a := math.Abs(x)
	inv := 1 < a
	t := a
	if inv {
		t = 1 / a
	}
	mid := 0.5 < t
	if mid {
		t = (t - 1) / (t + 1)
	}
	z := t * t
	r := math.FMA(float64(z*t), hornerD(atanPD[:], z), t)
	if mid {
		r = float64(r+pio4LoAtanD) + pio4HiAtanD
	}
	if inv {
		r = float64(pio2LoAtanD-r) + pio2HiAtanD
	}
	return math.Float64frombits(math.Float64bits(r) | math.Float64bits(x)&(1<<63))
}

// tanF64 sets dst to tan x = sin x / cos x by the kernels of isa, a block at a time, the
// cosines first into a block of their own, so that dst may be x.
func tanF64(isa vecISA, dst, x []float64) {
	x = x[:len(dst)]
	var c [hyperBlock]float64
	for i := 0; i < len(dst); i += hyperBlock {
		xs, d := x[i:min(i+hyperBlock, len(x))], dst[i:min(i+hyperBlock, len(dst))]
		cb := c[:len(xs)]
		unaryF64(isa, opCos, cb, xs)
		unaryF64(isa, opSin, d, xs)
		binaryF64(isa, opDiv, d, d, cb)
	}
}

// arcF64 sets dst to asin x (cos false) or acos x by the kernels of isa, a block at a time:
// 1-x and 1+x are exact where they cancel (x near ±1), and neither result subtracts from π/2
// near its zeros. Out of [-1, 1] the square root's argument is negative: NaN, as math's.
func arcF64(isa vecISA, cos bool, dst, x []float64) {
	x = x[:len(dst)]
	var one, m, p [hyperBlock]float64
	for j := range one {
		one[j] = 1
	}
	for i := 0; i < len(dst); i += hyperBlock {
		xs, d := x[i:min(i+hyperBlock, len(x))], dst[i:min(i+hyperBlock, len(dst))]
		n := len(xs)
		mb, pb := m[:n], p[:n]
		binaryF64(isa, opSub, mb, one[:n], xs)
		binaryF64(isa, opAdd, pb, one[:n], xs)
		if cos {
			binaryF64(isa, opDiv, mb, mb, pb)
			unaryF64(isa, opSqrt, mb, mb)
			unaryF64(isa, opAtan, mb, mb)
			binaryF64(isa, opAdd, d, mb, mb)
			continue
		}
		binaryF64(isa, opMul, mb, mb, pb)
		unaryF64(isa, opSqrt, mb, mb)
		binaryF64(isa, opDiv, d, xs, mb)
		unaryF64(isa, opAtan, d, d)
	}
}

// hyperbolicF64 sets dst to sinh x (cos false) or cosh x from e = e^|x| by the exp kernel of
// isa: (e ± 1/e)/2, and for sinh below 1 a + a³·S(a²), where (e - 1/e)/2 would cancel. Above
// 709, where e overflows and sinh and cosh do not (up to 710.4759), h·(h/2) with h = e^(|x|/2).
// The halving above 709 is a pass of its own, only for a block that needs it.
func hyperbolicF64(isa vecISA, cos bool, dst, x []float64) {
	x = x[:len(dst)]
	var e [hyperBlock]float64
	for i := 0; i < len(dst); i += hyperBlock {
		xs, d := x[i:min(i+hyperBlock, len(x))], dst[i:min(i+hyperBlock, len(dst))]
		eb := e[:len(xs)]
		rare := false
		for j, v := range xs {
			a := math.Abs(v)
			rare = rare || !(a <= 709)
			eb[j] = a
		}
		if rare {
			for j, a := range eb {
				if a > 709 {
					eb[j] = a * 0.5 // exact
				}
			}
		}
		unaryF64(isa, opExp, eb, eb)
		// dst may be x: each v is read before its result is written.
		if cos {
			for j, v := range xs {
				ea := eb[j]
				r := float64(ea+1/ea) * 0.5
				if !(math.Abs(v) <= 709) {
					r = hyperbolicRare(cos, v, ea)
				}
				d[j] = r
			}
			continue
		}
		for j, v := range xs {
			ea := eb[j]
			a := math.Abs(v)
			u := a * a
			// Both values, one taken by a mask: a branch on a < 1 follows the data, and
			// mispredicted it cost more than the series.
			s := math.FMA(float64(u*a), hornerD(sinhPD[:], u), a)
			l := float64(ea-1/ea) * 0.5
			var m uint64
			if a < 1 {
				m = 1<<64 - 1
			}
			r := math.Float64frombits(math.Float64bits(s)&m | math.Float64bits(l)&^m)
			r = math.Copysign(r, v)
			if !(a <= 709) {
				r = hyperbolicRare(cos, v, ea)
			}
			d[j] = r
		}
	}
}

// hyperbolicRare is sinh v or cosh v for |v| > 709 (from ea = e^(|v|/2)) and NaN.
func hyperbolicRare(cos bool, v, ea float64) float64 {
	if v != v {
		return v
	}
	r := ea * float64(ea*0.5)
	if !cos {
		r = math.Copysign(r, v)
	}
	return r
}

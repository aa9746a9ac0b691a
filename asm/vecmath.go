package asm

import "math"

// Vector math in float32: range reduction and a minimax polynomial, in FMA-friendly steps
// that every implementation does the same way, so that the assembly of each instruction set
// agrees with the Go reference (the ...F32Go functions) bit for bit. fma32 stands for the
// vector FMA instructions (vfmadd..ps, fmla), which round once; a product that an addition
// uses is converted explicitly, float32(a*b), which keeps the compiler from fusing the two
// (the Go spec allows it, and arm64 does it).
//
// The polynomials are minimax approximations (Remez exchange on the weighted error, then
// rounded to float32) of the functions named in their comments. The bounds in the doc comments
// are the largest distance, in float32 values (ulp), from the correctly rounded result, over
// all 2³² inputs (measured with TestMathULPExhaustive); NaN in gives NaN out.

// ExpF32 sets dst[i] = e^x[i]; x must be at least as long as dst. The error is at most 1 ulp,
// subnormal results (x < -87.33654) included; e^x is +Inf above 88.72283 and 0 below
// -103.97208.
//
//	for i := range dst {
//		dst[i] = float32(math.Exp(float64(x[i])))
//	}
func ExpF32(dst, x []float32) { unaryF32(activeISA(), opExp, dst, x) }

// Exp2F32 sets dst[i] = 2^x[i]; x must be at least as long as dst. The error is at most 1 ulp.
//
//	for i := range dst {
//		dst[i] = float32(math.Exp2(float64(x[i])))
//	}
func Exp2F32(dst, x []float32) { unaryF32(activeISA(), opExp2, dst, x) }

// LogF32 sets dst[i] to the natural logarithm of x[i]; x must be at least as long as dst. The
// error is at most 1 ulp; subnormals are handled, log(±0) = -Inf, log(x < 0) = NaN.
//
//	for i := range dst {
//		dst[i] = float32(math.Log(float64(x[i])))
//	}
func LogF32(dst, x []float32) { unaryF32(activeISA(), opLog, dst, x) }

// Log2F32 sets dst[i] to the base-2 logarithm of x[i]; x must be at least as long as dst. The
// error is at most 1 ulp; log2(±0) = -Inf, log2(x < 0) = NaN.
//
//	for i := range dst {
//		dst[i] = float32(math.Log2(float64(x[i])))
//	}
func Log2F32(dst, x []float32) { unaryF32(activeISA(), opLog2, dst, x) }

// TanhF32 sets dst[i] to the hyperbolic tangent of x[i]; x must be at least as long as dst.
// The error is at most 1 ulp.
//
//	for i := range dst {
//		dst[i] = float32(math.Tanh(float64(x[i])))
//	}
func TanhF32(dst, x []float32) { unaryF32(activeISA(), opTanh, dst, x) }

// SigmoidF32 sets dst[i] = 1/(1+e^-x[i]); x must be at least as long as dst. The error is at
// most 2 ulp, subnormal results included.
//
//	for i := range dst {
//		dst[i] = float32(1 / (1 + math.Exp(-float64(x[i]))))
//	}
func SigmoidF32(dst, x []float32) { unaryF32(activeISA(), opSigmoid, dst, x) }

// ErfF32 sets dst[i] to the error function of x[i]; x must be at least as long as dst. The
// error is at most 1 ulp.
//
//	for i := range dst {
//		dst[i] = float32(math.Erf(float64(x[i])))
//	}
func ErfF32(dst, x []float32) { unaryF32(activeISA(), opErf, dst, x) }

// SinF32 sets dst[i] to the sine of x[i]; x must be at least as long as dst. The error is at
// most 1 ulp; sin(±Inf) = NaN. Inputs of magnitude 2¹⁷ and above, whose reduction by π/2
// needs more bits of π than three float32 carry, are computed in float64 after the vector pass.
//
//	for i := range dst {
//		dst[i] = float32(math.Sin(float64(x[i])))
//	}
func SinF32(dst, x []float32) { unaryF32(activeISA(), opSin, dst, x) }

// CosF32 sets dst[i] to the cosine of x[i], as SinF32 does the sine.
//
//	for i := range dst {
//		dst[i] = float32(math.Cos(float64(x[i])))
//	}
func CosF32(dst, x []float32) { unaryF32(activeISA(), opCos, dst, x) }

// RoundF32 sets dst[i] to x[i] rounded to an integer, ties to even; x must be at least as
// long as dst. FloorF32, CeilF32 and TruncF32 round toward -Inf, +Inf and zero. All four are
// exact.
//
//	for i := range dst {
//		dst[i] = float32(math.RoundToEven(float64(x[i])))
//	}
func RoundF32(dst, x []float32) { unaryF32(activeISA(), opRound, dst, x) }

// FloorF32 sets dst[i] to the largest integer not above x[i] (see RoundF32).
func FloorF32(dst, x []float32) { unaryF32(activeISA(), opFloor, dst, x) }

// CeilF32 sets dst[i] to the smallest integer not below x[i] (see RoundF32).
func CeilF32(dst, x []float32) { unaryF32(activeISA(), opCeil, dst, x) }

// TruncF32 sets dst[i] to x[i] with its fraction dropped (see RoundF32).
func TruncF32(dst, x []float32) { unaryF32(activeISA(), opTrunc, dst, x) }

// The constants, by name for the Go references and as rows of vecConst for the assembly.
const (
	absMask  = 0x7fffffff
	signMask = 0x80000000

	// e^x = 2ⁿ·e^r with n = round(x·log2(e)) and r = x - n·ln2, n·ln2 in two parts
	// (Cody and Waite): ln2Hi has 15 significant bits, so n·ln2Hi is exact for |n| < 512,
	// and so is x - n·ln2Hi (Sterbenz).
	log2e    = 0x1.715476p+0
	expShift = 0x1.8p23 // t = x·log2e + expShift rounds x·log2e to an integer n, in t's low bits
	ln2Hi    = 0x1.62e4p-1
	ln2Lo    = 0x1.7f7d1cp-20
	expLo    = -104 // e^x rounds to 0 below -103.97208
	expHi    = 89   // and overflows above 88.72284
	exp2Lo   = -151
	exp2Hi   = 129

	// log x = k·ln2 + log(m) with m = x/2^k in [√½, √2).
	sqrtHalf = 0x1.6a09e6p-1
	subScale = 0x1p23 // subnormal x are scaled up first
	log2eHi  = 0x1.715476p+0
	log2eLo  = 0x1.4ae0cp-26

	tanhSmall = 0.6 // below: the odd polynomial; above: 1 - 2/(e^2x + 1)
	tanhMax   = 9.5 // tanh rounds to 1 above 9.0109

	erfSmall  = 0.9 // below: the odd polynomial; above: 1 - e^-x²·R(x)
	erfMax    = 4   // erf rounds to 1 above 3.9192
	erfC0Hi   = 0x1.20dd74p+0
	erfC0Lo   = 0x1.961852p-25
	erfCenter = 2.45

	// sin and cos of x = n·π/2 + r, |r| ≤ π/4, with n = round(x·2/π) (in the low bits of
	// t = x·2/π + expShift) and π/2 in three parts: n·pio2Hi is exact in the fused step and so
	// is x - n·pio2Hi, and the parts' sum is π/2 within 2⁻⁷⁶, which leaves r accurate for
	// |n| < 2¹⁷. The quadrant n mod 4 picks sin or cos of r and the sign.
	twoOverPi = 0x1.45f306p-1
	pio2Hi    = 0x1.921fb6p+0
	pio2Mid   = -0x1.777a5cp-25
	pio2Lo    = -0x1.ee59dap-50
	trigMax   = 0x1p17
	// Below sinTiny, sin x is x once rounded to float32 (x - x³/6 is within 2⁻²⁶·⁵ of x, under
	// half a unit), and the kernels return x itself, -0 included (whose reduction gives +0).
	sinTiny = 0x1p-12
)

// The polynomials, highest coefficient first (Horner's order).
var (
	// (e^r - 1 - r)/r² on [-0.3466, 0.3466], relative error of e^r 2⁻²⁸·³.
	expP = [...]float32{0x1.6a243ap-10, 0x1.1239ep-07, 0x1.5558f2p-05, 0x1.555492p-03, 0x1.fffffcp-02}
	// (2^r - 1)/r on [-0.5, 0.5], relative error of 2^r 2⁻²⁸·⁵.
	exp2P = [...]float32{0x1.470b4ap-13, 0x1.5f7276p-10, 0x1.3b270ep-07, 0x1.c6ae72p-05, 0x1.ebfbe2p-03, 0x1.62e432p-01}
	// (log(1+f) - f + f²/2)/f³ on [√½-1, √2-1], relative error of log(1+f) 2⁻²⁷·⁴.
	logP = [...]float32{-0x1.38b58ap-04, 0x1.055b6ep-03, -0x1.0d8542p-03, 0x1.22da1cp-03, -0x1.547244p-03, 0x1.99a008p-03, -0x1.000226p-02, 0x1.555554p-02}
	// (tanh(x) - x)/x³ in u = x² on [0, 0.6], relative error of tanh 2⁻²⁸·⁴.
	tanhP = [...]float32{-0x1.825858p-08, 0x1.54b8ap-06, -0x1.b898dep-05, 0x1.1109aep-03, -0x1.55553ep-02}
	// erf(x)/x in u = x² on [0, 0.9], relative error of erf 2⁻²⁶·³; the constant term (≈2/√π)
	// is erfC0Hi + erfC0Lo.
	erfP = [...]float32{-0x1.3f4f6ep-11, 0x1.4876c8p-08, -0x1.b6bee2p-06, 0x1.ce1dd2p-04, -0x1.8126fap-02}
	// erfc(x)·e^x² in y = x - 2.45 on [0.9, 4], absolute error of erfc 2⁻³⁰.
	erfcP = [...]float32{-0x1.2c33p-15, -0x1.6352eep-14, -0x1.82841cp-13, 0x1.f0e57ep-13, -0x1.64ada2p-11, 0x1.67cc7cp-09, -0x1.16c0bcp-07, 0x1.acaa9ep-06, -0x1.3b01a8p-04, 0x1.b77964p-03}
	// (sin(r) - r)/r³ in u = r² on [0, (π/4)²], relative error of sin 2⁻²⁸.
	sinP = [...]float32{-0x1.994eb2p-13, 0x1.11076p-07, -0x1.555546p-03}
	// (cos(r) - 1)/r² in u = r² on [0, (π/4)²], the constant term -1/2 fixed: relative error
	// of cos 2⁻³³.
	cosP = [...]float32{0x1.9a0258p-16, -0x1.6c0c8cp-10, 0x1.55554ap-05, -0.5}
)

// horner evaluates the polynomial p (highest coefficient first) at x with fused steps.
func horner(p []float32, x float32) float32 {
	y := p[0]
	for _, c := range p[1:] {
		y = fma32(y, x, c)
	}
	return y
}

func f32bits(x float32) uint32     { return math.Float32bits(x) }
func f32frombits(b uint32) float32 { return math.Float32frombits(b) }

// expF32Go is the reference of ExpF32.
func expF32Go(x float32) float32 { return expCore(min(max(x, expLo), expHi)) }

// expCore is e^x for x in [expLo, expHi] or NaN.
func expCore(x float32) float32 {
	t := fma32(x, log2e, expShift)
	n := t - expShift
	r := fma32(n, -ln2Hi, x)
	r = fma32(n, -ln2Lo, r)
	p := horner(expP[:], r)
	p = fma32(p, r, 1)
	p = fma32(p, r, 1) // 1 + r + r²·P(r)
	return scale2(p, t)
}

// scale2 returns p·2ⁿ rounded once, where t = expShift + n. 2ⁿ is applied as two normal
// factors 2^(n>>1) and 2^(n-n>>1), the first exactly, so that results near overflow and
// subnormal ones come out right for n in [-152, 130].
func scale2(p, t float32) float32 {
	n := int32(f32bits(t)) - int32(f32bits(expShift))
	n1 := n >> 1
	s1 := f32frombits(uint32(n1+127) << 23)
	s2 := f32frombits(uint32(n-n1+127) << 23)
	return p * s1 * s2
}

// exp2F32Go is the reference of Exp2F32.
func exp2F32Go(x float32) float32 {
	x = min(max(x, exp2Lo), exp2Hi)
	t := x + expShift
	r := x - (t - expShift) // exact
	p := horner(exp2P[:], r)
	return scale2(fma32(p, r, 1), t)
}

// logCore splits x > 0 into 2^k·(1+f) with 1+f in [√½, √2), and returns f, f² and q with
// log(1+f) ≈ f + f²·q: q = -1/2 + f·P(f).
func logCore(x float32) (f, f2, q, k float32) {
	var adj float32
	if x < 0x1p-126 {
		x *= subScale
		adj = -23
	}
	ix := int32(f32bits(x))
	ki := (ix - int32(f32bits(sqrtHalf))) >> 23
	f = f32frombits(uint32(ix-ki<<23)) - 1 // exact
	q = fma32(horner(logP[:], f), f, -0.5)
	return f, f * f, q, float32(ki) + adj
}

// logSpecial returns the logarithm of the special values: x itself for +Inf and NaN, NaN
// below 0, -Inf at ±0; r otherwise.
func logSpecial(x, r float32) float32 {
	switch {
	case !(x < float32(math.Inf(1))):
		return x
	case x < 0:
		return f32frombits(0x7fc00000)
	case x == 0:
		return float32(math.Inf(-1))
	}
	return r
}

// logF32Go is the reference of LogF32.
func logF32Go(x float32) float32 {
	f, f2, q, k := logCore(x)
	y := fma32(q, f2, f)
	return logSpecial(x, fma32(k, ln2Hi, fma32(k, ln2Lo, y)))
}

// log2F32Go is the reference of Log2F32: k + (f + f²·q)·log2(e), with f·log2(e) in two parts
// (hi, and e = hi - f·log2eHi exactly) so that the cancellation in k + ... for x just below 1
// or √½ costs no accuracy.
func log2F32Go(x float32) float32 {
	f, f2, q, k := logCore(x)
	t := q * f2
	hi := float32(f * log2eHi) // not fused with k + hi below
	e := fma32(-f, log2eHi, hi)
	e = fma32(-f, log2eLo, e)
	e = fma32(-t, log2eHi, e)
	return logSpecial(x, (k+hi)-e)
}

// tanhF32Go is the reference of TanhF32.
func tanhF32Go(x float32) float32 {
	a := min(f32frombits(f32bits(x)&absMask), tanhMax)
	a2 := a * a
	r := fma32(a2*horner(tanhP[:], a2), a, a) // a + a³·P(a²)
	if !(a < tanhSmall) {
		e := expCore(a + a)
		r = 1 - 2/(e+1)
	}
	return f32frombits(f32bits(r) | f32bits(x)&signMask)
}

// sigmoidF32Go is the reference of SigmoidF32: with e = e^-|x| (which cannot overflow),
// 1/(1+e) for x ≥ 0 and e/(1+e) below.
func sigmoidF32Go(x float32) float32 {
	e := expCore(max(f32frombits(f32bits(x)|signMask), expLo))
	num := float32(1)
	if x < 0 {
		num = e
	}
	return num / (1 + e)
}

// erfF32Go is the reference of ErfF32.
func erfF32Go(x float32) float32 {
	a := min(f32frombits(f32bits(x)&absMask), erfMax)
	a2 := a * a
	// a·(c0 + a²·P(a²)) with c0 in two parts, as c0 alone in float32 costs half an ulp.
	r := fma32(a, erfC0Hi, a*fma32(horner(erfP[:], a2), a2, erfC0Lo))
	if !(a < erfSmall) {
		// erfc(a) = e^-a²·R(a); a² = a2 - lo exactly, and e^-a² = e^-a2·(1 + lo) closely.
		lo := fma32(-a, a, a2) // a2 - a², exactly
		e := expCore(-a2)
		e = fma32(e, lo, e)
		r = fma32(-e, horner(erfcP[:], a-erfCenter), 1)
	}
	return f32frombits(f32bits(r) | f32bits(x)&signMask)
}

// trigF32Go is the reference of the vector kernels of SinF32 (cos false) and CosF32 (cos
// true). It returns x itself where |x| ≥ trigMax (and for NaN): never a sine or cosine, which
// lie in [-1, 1], so that trigLarge can find those inputs in the results alone, in place too.
func trigF32Go(x float32, cos bool) float32 {
	t := fma32(x, twoOverPi, expShift)
	n := t - expShift
	if cos {
		t++ // cos(x) = sin(x + π/2): the next quadrant
	}
	q := f32bits(t)
	// r = x - n·π/2 as s + rl, s rounded and rl what rounding s left out, so that the
	// rounding of r costs no accuracy: r1 is exact, n·pio2Mid = ph + pl exactly, and
	// r1 - ph = s + e exactly (2Sum).
	r1 := fma32(-n, pio2Hi, x)
	ph := float32(n * pio2Mid)
	pl := fma32(n, pio2Mid, -ph)
	s := r1 - ph
	bb := s - r1
	e := (r1 - (s - bb)) + (-ph - bb)
	rl := fma32(-n, pio2Lo, e-pl)
	u := s * s
	// sin(s + rl) ≈ s + (rl + s·u·P(u)); cos(s + rl) ≈ 1 + (u·Q(u) - s·rl).
	y := s + fma32(float32(horner(sinP[:], u)*u), s, rl)
	if q&1 != 0 {
		y = 1 + fma32(-s, rl, float32(horner(cosP[:], u)*u))
	}
	y = f32frombits(f32bits(y) ^ q<<30&signMask)
	if a := f32frombits(f32bits(x) & absMask); !(a < trigMax) || !cos && a < sinTiny {
		return x
	}
	return y
}

// trigLarge computes, after the vector pass, the sine or cosine of the inputs the pass left
// as they were: those of magnitude trigMax and above, in float64 (whose math.Sin reduces
// them with all the bits of π they need); the infinities come out NaN.
func trigLarge(cos bool, dst []float32) {
	// The kernel's sines and cosines lie in [-1, 1], so bit 30 is set only in what it left
	// (|v| ≥ 2, NaN): a quick look for it first spares the usual block the slower test.
	var a0, a1, a2, a3 uint32
	d := dst
	for ; len(d) >= 8; d = d[8:] {
		a0 |= f32bits(d[0]) | f32bits(d[4])
		a1 |= f32bits(d[1]) | f32bits(d[5])
		a2 |= f32bits(d[2]) | f32bits(d[6])
		a3 |= f32bits(d[3]) | f32bits(d[7])
	}
	for _, v := range d {
		a0 |= f32bits(v)
	}
	if (a0|a1|a2|a3)&(1<<30) == 0 {
		return
	}
	const lo, inf = 0x48000000, 0x7f800000 // the bits of trigMax and +Inf
	for i, v := range dst {
		if f32bits(v)&absMask-lo <= inf-lo { // trigMax ≤ |v| ≤ Inf, NaN not
			if cos {
				dst[i] = float32(math.Cos(float64(v)))
			} else {
				dst[i] = float32(math.Sin(float64(v)))
			}
		}
	}
}

// Indices of the constants in vecConst, for the assembly (go_asm.h exports them as
// const_k...); a polynomial takes consecutive rows, highest coefficient first.
const (
	kAbsMask = iota
	kSignMask
	kZero
	kOne
	kTwo
	kMinusHalf
	kMinus23
	kInf
	kNegInf
	kNaN
	kMinNormal
	kSubScale
	kSqrtHalf
	kBias
	kLog2e
	kExpShift
	kLn2Hi
	kLn2Lo
	kExpLo
	kExpHi
	kExp2Lo
	kExp2Hi
	kLog2eHi
	kLog2eLo
	kTanhSmall
	kTanhMax
	kErfSmall
	kErfMax
	kErfC0Hi
	kErfC0Lo
	kErfCenter
	kTwoOverPi
	kPio2Hi
	kPio2Mid
	kPio2Lo
	kTrigMax
	kSinTiny
	// float64's, in 64-bit lanes (vecmath64.go); an integer is a row of the number's bits.
	kDAbsMask
	kDSignMask
	kDOne
	kDTwo
	kDMinusTwo
	kDHalf
	kDInf
	kDNegInf
	kDNaN
	kDMinNormal
	kDSubScale
	kDMinus52
	kDSqrtHalf
	kDMantMask
	kDTwo52
	kDKInt
	kDLog2e
	kDExpShift
	kDShift1023
	kDInt2046
	kDShiftBias
	kDShiftUnbias
	kDLn2Hi
	kDLn2Lo
	kDExpLo
	kDExpHi
	kDTanhMax
	kDMinusHalf
	kDTwoOverPi
	kDPio2Hi
	kDPio2Mid
	kDPio2Lo
	kDTrigMax
	kDSinTiny
	kDExp2Lo
	kDExp2Hi
	kDLn2
	kDLn2Tail
	kDLog2eTail
	kDPio2HiAtan
	kDPio2LoAtan
	kDPio4HiAtan
	kDPio4LoAtan
	kDErfC0Hi
	kDErfC0Lo
	kDErfMax
	kDErfSplit
	kDErfCenter1
	kDErfCenter2
	kExpP
	kExp2P    = kExpP + len(expP)
	kLogP     = kExp2P + len(exp2P)
	kTanhP    = kLogP + len(logP)
	kErfP     = kTanhP + len(tanhP)
	kErfcP    = kErfP + len(erfP)
	kSinP     = kErfcP + len(erfcP)
	kCosP     = kSinP + len(sinP)
	kDExpP    = kCosP + len(cosP)
	kDLogP    = kDExpP + len(expPD)
	kDSinP    = kDLogP + len(logPD)
	kDCosP    = kDSinP + len(sinPD)
	kDAtanP   = kDCosP + len(cosPD)
	kDErfP    = kDAtanP + len(atanPD)
	kDErfcP1  = kDErfP + len(erfPD)
	kDErfcP2  = kDErfcP1 + len(erfcP1D)
	nVecConst = kDErfcP2 + len(erfcP2D)
)

// vecConst holds the constants of the assembly kernels, each as a 64-byte vector of 16 copies
// (AVX2 and NEON read the first 32 or 16 bytes).
var vecConst = func() (t [nVecConst][16]uint32) {
	f := f32bits
	set := func(k int, bits uint32) {
		for j := range t[k] {
			t[k][j] = bits
		}
	}
	for k, v := range map[int]uint32{
		kAbsMask: absMask, kSignMask: signMask, kZero: 0, kOne: f(1), kTwo: f(2),
		kMinusHalf: f(-0.5), kMinus23: f(-23), kInf: f(float32(math.Inf(1))),
		kNegInf: f(float32(math.Inf(-1))), kNaN: 0x7fc00000, kMinNormal: f(0x1p-126),
		kSubScale: f(subScale), kSqrtHalf: f(sqrtHalf), kBias: 127, kLog2e: f(log2e),
		kExpShift: f(expShift), kLn2Hi: f(ln2Hi), kLn2Lo: f(ln2Lo), kExpLo: f(expLo),
		kExpHi: f(expHi), kExp2Lo: f(exp2Lo), kExp2Hi: f(exp2Hi), kLog2eHi: f(log2eHi),
		kLog2eLo: f(log2eLo), kTanhSmall: f(tanhSmall), kTanhMax: f(tanhMax),
		kErfSmall: f(erfSmall), kErfMax: f(erfMax), kErfC0Hi: f(erfC0Hi), kErfC0Lo: f(erfC0Lo),
		kErfCenter: f(erfCenter), kTwoOverPi: f(twoOverPi), kPio2Hi: f(pio2Hi), kPio2Mid: f(pio2Mid),
		kPio2Lo: f(pio2Lo), kTrigMax: f(trigMax), kSinTiny: f(sinTiny),
	} {
		set(k, v)
	}
	for _, p := range []struct {
		k int
		c []float32
	}{{kExpP, expP[:]}, {kExp2P, exp2P[:]}, {kLogP, logP[:]}, {kTanhP, tanhP[:]}, {kErfP, erfP[:]}, {kErfcP, erfcP[:]},
		{kSinP, sinP[:]}, {kCosP, cosP[:]}} {
		for i, c := range p.c {
			set(p.k+i, f(c))
		}
	}
	set64 := func(k int, bits uint64) {
		for j := 0; j < len(t[k]); j += 2 {
			t[k][j], t[k][j+1] = uint32(bits), uint32(bits>>32)
		}
	}
	d := math.Float64bits
	shift := d(expShiftD)
	for k, v := range map[int]uint64{
		kDAbsMask: 1<<63 - 1, kDSignMask: 1 << 63, kDOne: d(1), kDTwo: d(2), kDMinusTwo: d(-2),
		kDHalf: d(0.5), kDInf: d(math.Inf(1)), kDNegInf: d(math.Inf(-1)), kDNaN: d(math.NaN()),
		kDMinNormal: d(0x1p-1022), kDSubScale: d(subScaleD), kDMinus52: d(-52), kDSqrtHalf: d(sqrtHalfD),
		kDMantMask: 1<<52 - 1, kDTwo52: d(0x1p52), kDKInt: d(kIntD), kDLog2e: d(log2eD),
		kDExpShift: shift, kDShift1023: d(expShiftD + 1023), kDInt2046: 2046, kDShiftBias: shift + 1023,
		kDShiftUnbias: shift - 1023, kDLn2Hi: d(ln2HiD), kDLn2Lo: d(ln2LoD), kDExpLo: d(expLoD),
		kDExpHi: d(expHiD), kDTanhMax: d(tanhMaxD), kDMinusHalf: d(-0.5), kDTwoOverPi: d(twoOverPiD),
		kDPio2Hi: d(pio2HiD), kDPio2Mid: d(pio2MidD), kDPio2Lo: d(pio2LoD), kDTrigMax: d(trigMaxD),
		kDSinTiny: d(sinTinyD), kDExp2Lo: d(exp2LoD), kDExp2Hi: d(exp2HiD), kDLn2: d(ln2D),
		kDLn2Tail: d(ln2TailD), kDLog2eTail: d(log2eTailD), kDPio2HiAtan: d(pio2HiAtanD),
		kDPio2LoAtan: d(pio2LoAtanD), kDPio4HiAtan: d(pio4HiAtanD), kDPio4LoAtan: d(pio4LoAtanD),
		kDErfC0Hi: d(erfC0HiD), kDErfC0Lo: d(erfC0LoD), kDErfMax: d(erfMaxD), kDErfSplit: d(erfSplitD),
		kDErfCenter1: d(erfCenter1D), kDErfCenter2: d(erfCenter2D),
	} {
		set64(k, v)
	}
	for _, p := range []struct {
		k int
		c []float64
	}{{kDExpP, expPD[:]}, {kDLogP, logPD[:]}, {kDSinP, sinPD[:]}, {kDCosP, cosPD[:]}, {kDAtanP, atanPD[:]},
		{kDErfP, erfPD[:]}, {kDErfcP1, erfcP1D[:]}, {kDErfcP2, erfcP2D[:]}} {
		for i, c := range p.c {
			set64(p.k+i, d(c))
		}
	}
	return t
}()

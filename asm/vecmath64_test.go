package asm

import (
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
)

// refPrec is the precision of the references: far beyond float64's 53 bits, so that rounding
// a reference to float64 gives the correctly rounded result.
const refPrec = 300

func newRef(x float64) *big.Float { return new(big.Float).SetPrec(refPrec).SetFloat64(x) }

// expRef returns e^x to refPrec bits: the Taylor series at x/2¹², squared 12 times.
func expRef(x *big.Float) *big.Float {
	const halvings = 12
	y := new(big.Float).SetPrec(refPrec).SetMantExp(x, -halvings)
	sum := newRef(1)
	term := newRef(1)
	for k := 1; k < 200; k++ {
		term.Mul(term, y)
		term.Quo(term, newRef(float64(k)))
		if term.Sign() == 0 || term.MantExp(nil)-sum.MantExp(nil) < -refPrec-8 {
			break
		}
		sum.Add(sum, term)
	}
	for range halvings {
		sum.Mul(sum, sum)
	}
	return sum
}

// expm1Ref returns e^x - 1 for |x| ≤ 1 to refPrec bits, from the series without its 1.
func expm1Ref(x *big.Float) *big.Float {
	sum := newRef(0)
	term := newRef(1)
	for k := 1; k < 400; k++ {
		term.Mul(term, x)
		term.Quo(term, newRef(float64(k)))
		if term.Sign() == 0 || sum.Sign() != 0 && term.MantExp(nil)-sum.MantExp(nil) < -refPrec-8 {
			break
		}
		sum.Add(sum, term)
	}
	return sum
}

// logRef returns log x for x > 0 to refPrec bits: Newton's steps y += 2·(x - e^y)/(x + e^y)
// (cubically convergent) from a float64 estimate. The estimate splits x first: math.Log on
// amd64 is off by up to 35 for subnormal x (log(2⁻¹⁰⁷⁴) = -744.44 comes out -709.09).
func logRef(x float64) *big.Float {
	bx := newRef(x)
	frac, exp := math.Frexp(x)
	y := newRef(math.Log(frac) + float64(exp)*math.Ln2)
	for range 3 {
		e := expRef(y)
		num := new(big.Float).SetPrec(refPrec).Sub(bx, e)
		den := new(big.Float).SetPrec(refPrec).Add(bx, e)
		num.Quo(num, den)
		y.Add(y, num.Add(num, num))
	}
	return y
}

// tanhRef returns tanh x to refPrec bits: -m/(2+m) with m = e^-2|x| - 1, from the series
// where |2x| ≤ 1 (no cancellation near 0).
func tanhRef(x float64) *big.Float {
	a := newRef(-2 * math.Abs(x))
	var m *big.Float
	if math.Abs(x) <= 0.5 {
		m = expm1Ref(a)
	} else {
		m = expRef(a)
		m.Sub(m, newRef(1))
	}
	d := new(big.Float).SetPrec(refPrec).Add(m, newRef(2))
	q := new(big.Float).SetPrec(refPrec).Quo(m, d)
	if x > 0 {
		q.Neg(q)
	}
	return q
}

// piRef is π to 2·refPrec bits (Machin's formula), enough to reduce arguments up to 2²⁸ and
// beyond to refPrec bits.
var piRef = func() *big.Float {
	const prec = 2 * refPrec
	// atanInv returns atan(1/x) = 1/x - 1/(3x³) + ...
	atanInv := func(x int64) *big.Float {
		x2 := new(big.Float).SetPrec(prec).SetInt64(x * x)
		pow := new(big.Float).SetPrec(prec).Quo(new(big.Float).SetPrec(prec).SetInt64(1),
			new(big.Float).SetPrec(prec).SetInt64(x))
		sum := new(big.Float).SetPrec(prec)
		for k := int64(0); pow.MantExp(nil) > -prec-8; k++ {
			term := new(big.Float).SetPrec(prec).Quo(pow, new(big.Float).SetPrec(prec).SetInt64(2*k+1))
			if k%2 == 0 {
				sum.Add(sum, term)
			} else {
				sum.Sub(sum, term)
			}
			pow.Quo(pow, x2)
		}
		return sum
	}
	a := atanInv(5)
	a.Mul(a, new(big.Float).SetPrec(prec).SetInt64(16))
	b := atanInv(239)
	b.Mul(b, new(big.Float).SetPrec(prec).SetInt64(4))
	return a.Sub(a, b)
}()

// trigRef returns sin x (cos false) or cos x to refPrec bits: x less the nearest multiple of
// 2π, then the Taylor series.
func trigRef(x float64, cos bool) *big.Float {
	const prec = 2 * refPrec
	bx := new(big.Float).SetPrec(prec).SetFloat64(x)
	twoPi := new(big.Float).SetPrec(prec).Mul(piRef, new(big.Float).SetPrec(prec).SetInt64(2))
	k := new(big.Float).SetPrec(prec).Quo(bx, twoPi)
	ki, _ := k.Int(nil)
	y := new(big.Float).SetPrec(prec).Sub(bx, new(big.Float).SetPrec(prec).Mul(new(big.Float).SetPrec(prec).SetInt(ki), twoPi))
	y2 := new(big.Float).SetPrec(prec).Mul(y, y)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	first := int64(0)
	if !cos {
		term.Set(y)
		first = 1
	}
	sum := new(big.Float).SetPrec(prec).Set(term)
	for k := first + 2; k < 400; k += 2 {
		term.Mul(term, y2)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64((k-1)*k))
		term.Neg(term)
		if term.Sign() == 0 || sum.Sign() != 0 && term.MantExp(nil)-sum.MantExp(nil) < -prec {
			break
		}
		sum.Add(sum, term)
	}
	return sum
}

// ln2Ref is log 2 to refPrec bits.
var ln2Ref = logRef(2)

// roundRef is r rounded to float64 (to nearest, subnormals and overflow included).
func roundRef(r *big.Float) float64 {
	v, _ := r.Float64()
	return v
}

// ulpDist64 returns how many float64 values lie between got and want (0 when equal, and when
// both are NaN); a NaN against a number is "infinitely" far.
func ulpDist64(got, want float64) int64 {
	if got != got || want != want {
		if got != got && want != want {
			return 0
		}
		return math.MaxInt64
	}
	return abs64(ordered64(got) - ordered64(want))
}

// ordered64 maps float64 values to integers in the same order, -0 and +0 to the same one.
func ordered64(x float64) int64 {
	b := int64(math.Float64bits(x) &^ (1 << 63))
	if math.Signbit(x) {
		return -b
	}
	return b
}

// mathFuncsF64 are the float64 math kernels with their references (nil where special
// handles the input) and the bound of their doc comments.
var mathFuncsF64 = []struct {
	name    string
	op      int
	ref     func(float64) float64
	bound   int64 // ulp
	inputs  func(r *rand.Rand) float64
	special []float64
}{
	{"Exp", opExp, func(x float64) float64 {
		switch {
		case x != x:
			return x
		case x > 710:
			return math.Inf(1)
		case x < -746:
			return 0
		}
		return roundRef(expRef(newRef(x)))
	}, 1, func(r *rand.Rand) float64 {
		switch r.IntN(4) {
		case 0:
			return r.Float64()*1460 - 750 // the whole range, subnormal results and overflow too
		case 1:
			return r.Float64() - 0.5 // n = 0, 1 and -1
		case 2:
			return math.Ldexp(r.Float64()-0.5, -r.IntN(60)) // near 0
		}
		return r.Float64()*40 - 20
	}, []float64{0, -0.0, 1, -1, 0.34657359027997264, 0.3465735902799727, 709.782712893384,
		709.7827128933841, 710, -708.3964185322641, -708.4, -745.1332191019411, -745.1332191019412,
		-745.13321910194122, -746, -750, 1e-300, -1e-300, 0x1p-1074, math.Inf(1), math.Inf(-1), math.NaN()}},
	{"Log", opLog, func(x float64) float64 {
		switch {
		case x != x || x < 0:
			return math.NaN()
		case x == 0:
			return math.Inf(-1)
		case math.IsInf(x, 1):
			return x
		case x == 1:
			return 0
		}
		return roundRef(logRef(x))
	}, 1, func(r *rand.Rand) float64 {
		switch r.IntN(4) {
		case 0:
			return math.Float64frombits(r.Uint64() >> 1) // every positive float64, subnormals too
		case 1:
			return 1 + math.Ldexp(r.Float64()-0.5, -r.IntN(52)) // near 1, where log cancels
		case 2:
			return 0.5 + r.Float64()*1.5 // the reduced interval [√½, √2) and around it
		}
		return math.Exp(r.Float64()*40 - 20)
	}, []float64{0, -0.0, 1, -1, 2, 0.5, 1 - 0x1p-53, 1 + 0x1p-52, 0x1.6a09e667f3bcdp-1, 0x1.6a09e667f3bccp-1,
		0x1.6a09e667f3bcep-1, math.Sqrt2, 0x1p-1074, 0x1p-1022, 0x1.fffffffffffffp-1023, math.MaxFloat64,
		math.E, math.Inf(1), math.Inf(-1), math.NaN(), -0x1p-1074}},
	{"Exp2", opExp2, func(x float64) float64 {
		switch {
		case x != x:
			return x
		case x > 1025:
			return math.Inf(1)
		case x < -1076:
			return 0
		}
		return roundRef(expRef(new(big.Float).SetPrec(refPrec).Mul(newRef(x), ln2Ref)))
	}, 1, func(r *rand.Rand) float64 {
		switch r.IntN(4) {
		case 0:
			return r.Float64()*2110 - 1080 // the whole range, subnormal results and overflow too
		case 1:
			return float64(r.IntN(2100) - 1075) // exact powers
		case 2:
			return math.Ldexp(r.Float64()-0.5, -r.IntN(60)) // near 0
		}
		return r.Float64()*40 - 20
	}, []float64{0, -0.0, 1, -1, 0.5, -0.5, 1023, 1023.9999999999999, 1024, -1022, -1074, -1074.5, -1075,
		-1075.0000000000002, -1076, -2000, 2000, math.Inf(1), math.Inf(-1), math.NaN()}},
	{"Log2", opLog2, func(x float64) float64 {
		switch {
		case x != x || x < 0:
			return math.NaN()
		case x == 0:
			return math.Inf(-1)
		case math.IsInf(x, 1):
			return x
		case x == 1:
			return 0
		}
		return roundRef(new(big.Float).SetPrec(refPrec).Quo(logRef(x), ln2Ref))
	}, 1, func(r *rand.Rand) float64 {
		switch r.IntN(4) {
		case 0:
			return math.Float64frombits(r.Uint64() >> 1)
		case 1:
			return 1 + math.Ldexp(r.Float64()-0.5, -r.IntN(52))
		case 2:
			return math.Ldexp(1, r.IntN(2098)-1074) // exact powers
		}
		return 0.5 + r.Float64()*1.5
	}, []float64{0, -0.0, 1, -1, 2, 0.5, 1 - 0x1p-53, 1 + 0x1p-52, 0x1.6a09e667f3bcdp-1, 0x1.6a09e667f3bccp-1,
		math.Sqrt2, 0x1p-1074, 0x1p-1022, 0x1.fffffffffffffp-1023, math.MaxFloat64, 3, 10, math.Inf(1), math.NaN()}},
	{"Tanh", opTanh, func(x float64) float64 {
		switch {
		case x != x:
			return x
		case math.Abs(x) > 20:
			return math.Copysign(1, x)
		case x == 0:
			return x
		}
		return roundRef(tanhRef(x))
	}, 2, func(r *rand.Rand) float64 {
		switch r.IntN(3) {
		case 0:
			return r.Float64()*44 - 22
		case 1:
			return math.Ldexp(r.Float64()-0.5, -r.IntN(60))
		}
		return r.Float64()*4 - 2
	}, []float64{0, -0.0, 1, -1, 0.17328679513998632, 0.5, 0.55, 19.06, -19.06, 20, 21, 0x1p-1074, -0x1p-1074,
		0x1p-1022, 1e-300, 0x1p-27, math.Inf(1), math.Inf(-1), math.NaN()}},
	{"Sin", opSin, func(x float64) float64 { return trigRefF64(x, false) }, 1, trigInputs,
		[]float64{0, -0.0, 1, -1, math.Pi / 4, math.Pi / 2, math.Pi, 3 * math.Pi / 2, 0x1p28, -0x1.fffffffffffffp39,
			0x1p-26, 0x1.fffffffffffffp-27, 0x1p-1074, 0x1p-1022, math.Inf(1), math.NaN()}},
	{"Cos", opCos, func(x float64) float64 { return trigRefF64(x, true) }, 1, trigInputs,
		[]float64{0, -0.0, 1, -1, math.Pi / 4, math.Pi / 2, math.Pi, 3 * math.Pi / 2, 0x1p28, -0x1.fffffffffffffp39,
			0x1p-26, 0x1p-1074, math.Inf(1), math.NaN()}},
	{"Atan", opAtan, atanRefF64, 2, func(r *rand.Rand) float64 {
		switch r.IntN(4) {
		case 0:
			return r.Float64()*4 - 2 // both reductions and their edges
		case 1:
			return math.Ldexp(r.Float64()-0.5, r.IntN(120)-60)
		case 2:
			return 1 / (r.Float64() - 0.5)
		}
		return r.NormFloat64()
	}, []float64{0, -0.0, 1, -1, 0.5, -0.5, 0.5000000000000001, 0.4999999999999999, 2, 1.9999999999999998, 0x1p-1074,
		0x1p-1022, 0x1p-27, 1e300, -1e300, math.Inf(1), math.Inf(-1), math.NaN()}},
	{"Erf", opErf, erfRefF64, 1, func(r *rand.Rand) float64 {
		switch r.IntN(4) {
		case 0:
			return r.Float64()*14 - 7 // every branch and the edges between them
		case 1:
			return math.Ldexp(r.Float64()-0.5, -r.IntN(60))
		case 2:
			return r.Float64()*2 - 1
		}
		return r.NormFloat64()
	}, []float64{0, -0.0, 1, -1, 0.9999999999999999, 2.5, 2.4999999999999996, 5.86, 5.9, 6, -6, 6.5, 0x1p-1074, 0x1p-1022,
		1e-300, math.Inf(1), math.Inf(-1), math.NaN()}},
}

// erfRefF64 is erf x correctly rounded: the Taylor series to 600 bits (its terms grow to
// about 2⁵² below 6, where it is used), ±1 from 6 on (erfc 6 < 2⁻⁵⁵).
func erfRefF64(x float64) float64 {
	if x != x || x == 0 {
		return x
	}
	if math.Abs(x) >= 6 {
		return math.Copysign(1, x)
	}
	const prec = 2 * refPrec
	bf := func() *big.Float { return new(big.Float).SetPrec(prec) }
	bx := bf().SetFloat64(x)
	x2 := bf().Mul(bx, bx)
	sum, p := bf(), bf().Set(bx) // p = x^(2n+1)/n!
	for n := int64(0); n < 400; n++ {
		q := bf().Quo(p, bf().SetInt64(2*n+1))
		if n%2 == 0 {
			sum.Add(sum, q)
		} else {
			sum.Sub(sum, q)
		}
		p.Mul(p, x2)
		p.Quo(p, bf().SetInt64(n+1))
	}
	return roundRef(sum.Quo(sum.Mul(sum, bf().SetInt64(2)), bf().Sqrt(piRef)))
}

// atanRefF64 is atan x correctly rounded.
func atanRefF64(x float64) float64 {
	if x != x {
		return x
	}
	if math.IsInf(x, 0) {
		return math.Copysign(math.Pi/2, x)
	}
	if x == 0 {
		return x
	}
	return roundRef(atanRef(new(big.Float).SetPrec(2 * refPrec).SetFloat64(x)))
}

// atanRef returns atan y: for |y| ≤ 1 the Taylor series after halving the argument (atan y =
// 2·atan(y / (1 + √(1+y²)))) until it is below 2⁻²⁰; above, ±π/2 - atan(1/y).
func atanRef(y *big.Float) *big.Float {
	const prec = 2 * refPrec
	bf := func() *big.Float { return new(big.Float).SetPrec(prec) }
	if new(big.Float).Abs(y).Cmp(big.NewFloat(1)) > 0 {
		r := atanRef(bf().Quo(bf().SetInt64(1), y))
		h := bf().Quo(piRef, bf().SetInt64(2))
		if y.Sign() < 0 {
			h.Neg(h)
		}
		return r.Sub(h, r)
	}
	k := 0
	for new(big.Float).Abs(y).Cmp(big.NewFloat(0x1p-20)) > 0 {
		s := bf().Sqrt(bf().Add(bf().SetInt64(1), bf().Mul(y, y)))
		y = bf().Quo(y, s.Add(s, bf().SetInt64(1)))
		k++
	}
	y2 := bf().Mul(y, y)
	sum, term := bf().Set(y), bf().Set(y)
	for i := int64(1); i < 40; i++ {
		term.Mul(term, y2)
		q := bf().Quo(term, bf().SetInt64(2*i+1))
		if i%2 == 1 {
			sum.Sub(sum, q)
		} else {
			sum.Add(sum, q)
		}
	}
	return sum.SetMantExp(sum, k)
}

// arcRefF64 is asin x (cos false) or acos x correctly rounded, NaN out of [-1, 1].
func arcRefF64(x float64, cos bool) float64 {
	if !(math.Abs(x) <= 1) {
		return math.NaN()
	}
	const prec = 2 * refPrec
	bf := func() *big.Float { return new(big.Float).SetPrec(prec) }
	bx := bf().SetFloat64(x)
	m, p := bf().Sub(bf().SetInt64(1), bx), bf().Add(bf().SetInt64(1), bx)
	if cos {
		if p.Sign() == 0 {
			return roundRef(piRef)
		}
		r := atanRef(bf().Sqrt(bf().Quo(m, p)))
		return roundRef(r.Add(r, r))
	}
	if x == 0 {
		return x
	}
	if m.Sign() == 0 || p.Sign() == 0 {
		h := bf().Quo(piRef, bf().SetInt64(2))
		if x < 0 {
			h.Neg(h)
		}
		return roundRef(h)
	}
	return roundRef(atanRef(bf().Quo(bx, bf().Sqrt(bf().Mul(m, p)))))
}

// TestArcF64 measures AsinF64 and AcosF64 against 300-bit references on [-1, 1], in place
// too, and checks the values out of their domain and the special ones against math's.
func TestArcF64(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 13))
	x := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, -0.5, 0x1p-1074, 0x1p-30, 0.9999999999999999, -0.9999999999999999,
		1e-300, 0.7071067811865476}
	n := 8000
	if raceEnabled || testing.Short() {
		n = 2000
	}
	for range n {
		switch r.IntN(3) {
		case 0:
			x = append(x, r.Float64()*2-1)
		case 1:
			x = append(x, math.Copysign(1-math.Ldexp(r.Float64(), -r.IntN(50)), r.Float64()-0.5)) // near ±1
		default:
			x = append(x, math.Ldexp(r.Float64()-0.5, -r.IntN(60)))
		}
	}
	forEachISA(t, func(t *testing.T, isa vecISA) {
		for _, cos := range []bool{false, true} {
			name := map[bool]string{false: "asin", true: "acos"}[cos]
			got := make([]float64, len(x))
			arcF64(isa, cos, got, x)
			inPlace := slices.Clone(x)
			arcF64(isa, cos, inPlace, inPlace)
			var worst int64
			for i, v := range x {
				if !identical(inPlace[i], got[i]) {
					t.Fatalf("%s %v in place: %v, want %v", name, v, inPlace[i], got[i])
				}
				want := arcRefF64(v, cos)
				d := ulpDist64(got[i], want)
				worst = max(worst, d)
				if d > 2 {
					t.Fatalf("%s %v: %v, want %v (%d ulp)", name, v, got[i], want, d)
				}
			}
			t.Logf("%s: at most %d ulp over %d inputs", name, worst, len(x))
			ref := math.Asin
			if cos {
				ref = math.Acos
			}
			checkSpecialsF64(t, name, func(d, x []float64) { arcF64(isa, cos, d, x) }, ref,
				math.NaN(), math.Inf(1), math.Inf(-1), 1.0000000000000002, -1.0000000000000002, 2, -3)
		}
	})
}

// trigRefF64 is sin x or cos x correctly rounded, NaN for ±Inf and NaN.
func trigRefF64(x float64, cos bool) float64 {
	if math.IsInf(x, 0) || x != x {
		return math.NaN()
	}
	if x == 0 && !cos {
		return x
	}
	return roundRef(trigRef(x, cos))
}

// trigInputs draws the inputs of the sine and cosine tests: a few periods, the whole range
// of the vector pass (beyond it, math's functions are a few ulp off), numbers near multiples of π/2 (where x - n·π/2 cancels),
// and small ones.
func trigInputs(r *rand.Rand) float64 {
	switch r.IntN(5) {
	case 0:
		return r.Float64()*20 - 10
	case 1:
		return math.Ldexp(r.Float64()-0.5, r.IntN(41)) // up to the vector pass's trigMaxD
	case 2:
		n := float64(r.Int64N(1 << 39)) // n·π/2 below trigMaxD
		return math.Nextafter(n*math.Pi/2, math.Inf(r.IntN(2)*2-1))
	case 3:
		return math.Ldexp(r.Float64()-0.5, -r.IntN(40))
	}
	return r.NormFloat64() * 1e4
}

// TestMathULPF64 measures the float64 math kernels against 300-bit references on random
// inputs across their ranges and on their special values, on the fastest implementation (all
// agree bit for bit, which TestUnaryF64 checks). CROSSBAR_ULP_F64_INPUTS sets the number of
// random inputs (4000 by default); the bounds in the doc comments come from 10⁶.
func TestMathULPF64(t *testing.T) {
	isa := slices.Max(testISAs())
	n := 4000
	if v, err := strconv.Atoi(os.Getenv("CROSSBAR_ULP_F64_INPUTS")); err == nil && v > 0 {
		n = v
	} else if raceEnabled || testing.Short() || (isa != isaAVX2 && isa != isaAVX512) {
		n = 400
	}
	for _, f := range mathFuncsF64 {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(7, uint64(f.op)))
			x := slices.Clone(f.special)
			for range n {
				x = append(x, f.inputs(r))
			}
			y := make([]float64, len(x))
			unaryF64(isa, f.op, y, x)
			var worst int64
			var at float64
			for i, v := range x {
				if d := ulpDist64(y[i], f.ref(v)); d > worst {
					worst, at = d, v
				}
			}
			if worst > f.bound {
				var got [1]float64
				unaryF64(isa, f.op, got[:], []float64{at})
				t.Errorf("%s: %d ulp at x = %v (%#016x): got %v, want %v", f.name, worst, at, math.Float64bits(at),
					got[0], f.ref(at))
			}
			t.Logf("%s: at most %d ulp over %d inputs", f.name, worst, len(x))
		})
	}
}

// TestExp2Log2Exact checks that 2^n and log2(2^n) are exact for every n of float64's range,
// on every implementation.
func TestExp2Log2Exact(t *testing.T) {
	var n, p []float64
	for e := -1074; e <= 1023; e++ {
		n, p = append(n, float64(e)), append(p, math.Ldexp(1, e))
	}
	forEachISA(t, func(t *testing.T, isa vecISA) {
		got := make([]float64, len(n))
		unaryF64(isa, opExp2, got, n)
		for i := range got {
			if got[i] != p[i] {
				t.Fatalf("2^%v = %v, want %v", n[i], got[i], p[i])
			}
		}
		unaryF64(isa, opLog2, got, p)
		for i := range got {
			if got[i] != n[i] {
				t.Fatalf("log2(%v) = %v, want %v", p[i], got[i], n[i])
			}
		}
	})
}

// hyperbolicRef returns sinh x (cos false) or cosh x to refPrec bits: (e^x ∓ e^-x)/2, with
// the series of e^x - 1 where |x| ≤ 1, so that sinh does not cancel.
func hyperbolicRef(x float64, cos bool) *big.Float {
	var p, m *big.Float
	if math.Abs(x) <= 1 {
		p, m = expm1Ref(newRef(x)), expm1Ref(newRef(-x))
	} else {
		p, m = expRef(newRef(x)), expRef(newRef(-x))
	}
	r := new(big.Float).SetPrec(refPrec)
	if cos {
		r.Add(p, m)
		if math.Abs(x) <= 1 {
			r.Add(r, newRef(2))
		}
	} else {
		r.Sub(p, m)
	}
	return r.Quo(r, newRef(2))
}

// TestHyperbolicF64 measures SinhF64 and CoshF64 against 300-bit references on every level:
// within 2 ulp below 709 in magnitude, 3 above (the doc comments' bounds; 300,000 inputs
// showed 2 at most); NaN and the infinities as math's.
func TestHyperbolicF64(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	x := []float64{0, math.Copysign(0, -1), 1, -1, 0.9999999999999999, 1.0000000000000002, 709, 709.0000000000001,
		710.4758600739439, 710.475860073944, -710.4758600739439, 711, 0x1p-1074, 1e-300, 0x1p-27, 20, 30}
	for range 3000 {
		x = append(x, r.Float64()*1440-720, r.Float64()*4-2, math.Ldexp(r.Float64()-0.5, -r.IntN(60)))
	}
	forEachISA(t, func(t *testing.T, isa vecISA) {
		for _, cos := range []bool{false, true} {
			got := make([]float64, len(x))
			hyperbolicF64(isa, cos, got, x)
			inPlace := slices.Clone(x)
			hyperbolicF64(isa, cos, inPlace, inPlace)
			var worst int64
			for i, v := range x {
				if !identical(inPlace[i], got[i]) {
					t.Fatalf("cosh %v (%v) in place: %v, want %v", cos, v, inPlace[i], got[i])
				}
				want := roundRef(hyperbolicRef(v, cos))
				bound := int64(2)
				if math.Abs(v) > 709 {
					bound = 3
				}
				d := ulpDist64(got[i], want)
				worst = max(worst, d)
				if d > bound {
					t.Fatalf("cosh %v (%v): %v, want %v (%d ulp)", cos, v, got[i], want, d)
				}
			}
			t.Logf("cosh %v: at most %d ulp", cos, worst)
			ref := math.Sinh
			if cos {
				ref = math.Cosh
			}
			checkSpecialsF64(t, map[bool]string{false: "sinh", true: "cosh"}[cos], func(d, x []float64) { hyperbolicF64(isa, cos, d, x) }, ref,
				math.NaN(), math.Inf(1), math.Inf(-1))
		}
	})
}

// TestTanF64 measures TanF64 against 300-bit references over inputs drawn as the sine and
// cosine tests draw theirs, in place too, and checks its special values against math.Tan's.
func TestTanF64(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 11))
	x := []float64{0, math.Copysign(0, -1), 0x1p-1074, 1e-300, math.Pi / 2, -math.Pi / 2, math.Pi / 4, math.Pi,
		1.5707963267948966, 1.5707963267948968, 0x1p40 - 1}
	n := 20000
	if raceEnabled || testing.Short() {
		n = 2000
	}
	for range n {
		x = append(x, trigInputs(r))
	}
	forEachISA(t, func(t *testing.T, isa vecISA) {
		got := make([]float64, len(x))
		tanF64(isa, got, x)
		inPlace := slices.Clone(x)
		tanF64(isa, inPlace, inPlace)
		var worst int64
		for i, v := range x {
			if !identical(inPlace[i], got[i]) {
				t.Fatalf("tan %v in place: %v, want %v", v, inPlace[i], got[i])
			}
			want := v
			if v != 0 {
				want = roundRef(new(big.Float).SetPrec(2*refPrec).Quo(trigRef(v, false), trigRef(v, true)))
			}
			d := ulpDist64(got[i], want)
			worst = max(worst, d)
			if d > 2 {
				t.Fatalf("tan %v (%#016x): %v, want %v (%d ulp)", v, math.Float64bits(v), got[i], want, d)
			}
		}
		t.Logf("tan: at most %d ulp over %d inputs", worst, len(x))
		checkSpecialsF64(t, "tan", func(d, x []float64) { tanF64(isa, d, x) }, math.Tan,
			math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1))
	})
}

// checkSpecialsF64 checks that f gives what ref gives for the special values in.
func checkSpecialsF64(t *testing.T, name string, f func(dst, x []float64), ref func(float64) float64, in ...float64) {
	t.Helper()
	out := make([]float64, len(in))
	f(out, in)
	for i, v := range in {
		if want := ref(v); !sameFloat(out[i], want) {
			t.Errorf("%s %v = %v, want %v", name, v, out[i], want)
		}
	}
}

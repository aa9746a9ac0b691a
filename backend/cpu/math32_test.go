package cpu

import (
	"math"
	"testing"
)

// ulps32 is the error of got against want in units in the last place of want rounded to
// float32 (subnormal units below float32's normal range; MaxFloat32's above it): 0 where
// both are the same NaN-ness or infinity, +Inf where they differ so.
func ulps32(got float32, want float64) float64 {
	g := float64(got)
	switch {
	case math.IsNaN(want) || math.IsNaN(g):
		if math.IsNaN(want) && math.IsNaN(g) {
			return 0
		}
		return math.Inf(1)
	case g == want || math.IsInf(g, 0) && float64(float32(want)) == g:
		return 0
	}
	_, e := math.Frexp(float64(float32(want))) // want in [2^(e-1), 2^e)
	if math.IsInf(float64(float32(want)), 0) {
		e = 128
	}
	return math.Abs(g-want) / math.Ldexp(1, max(e-24, -149))
}

// TestMath32 checks the float32 tan, atan, asin, acos, sinh and cosh of math32.go against
// package math in float64, each within the units in the last place measured over every other
// float32 (see math32MaxULP) and a little more, all within math32MaxULP: on a sweep through
// every float32 (a value in 65521 of them, both signs, subnormals, the largest), dense
// sweeps where the reductions change over or the functions grow steep (tan(π/8), 1, 88.5,
// near ±1, near multiples of π/2), and the special values; computed in place as well.
func TestMath32(t *testing.T) {
	var xs []float32
	for b := uint64(0); b < 1<<32; b += 65521 {
		xs = append(xs, math.Float32frombits(uint32(b)))
	}
	dense := func(c float64, w float32) {
		f := float32(c)
		for k := range 2000 {
			d := float32(k-1000) * w
			xs = append(xs, f+d*f, -(f + d*f))
		}
	}
	dense(0.41421356, 1e-6) // tan(π/8)
	dense(0.41421356, 1e-4)
	dense(1, 1e-6) // atan's reduction, sinh's series, asin and acos at the ends
	dense(1, 1e-3)
	dense(88.5, 1e-5)         // sinh and cosh through float64 from here
	dense(89.41598, 1e-6)     // where sinh and cosh overflow float32
	dense(math.Pi/2, 1e-6)    // tan's poles
	dense(3*math.Pi/2, 1e-6)  //
	dense(1e-3, 0.5)          // small arguments
	dense(0x1p-126, 1e-3)     // the smallest normals
	dense(math.Pi*1000, 1e-6) // a reduction of many periods
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	xs = append(xs, 0, float32(math.Copysign(0, -1)), inf, -inf, nan, math.MaxFloat32, -math.MaxFloat32,
		math.SmallestNonzeroFloat32, 1, -1, 2, -2, 0x1p17, 1e10)
	c := newCtx(1, nil)
	s := c.math32()
	for _, f := range []struct {
		name   string
		f      func(out, x []float32)
		ref    func(float64) float64
		maxULP float64
	}{
		{"tan", func(o, x []float32) { tanF32(s, o, x) }, math.Tan, 3.5},
		{"atan", func(o, x []float32) { atanF32(s, o, x) }, math.Atan, 1.5},
		{"asin", func(o, x []float32) { asinF32(s, o, x) }, math.Asin, 2.75},
		{"acos", func(o, x []float32) { acosF32(s, o, x) }, math.Acos, 2.5},
		{"sinh", func(o, x []float32) { sinhCoshF32(s, o, x, false) }, math.Sinh, 2},
		{"cosh", func(o, x []float32) { sinhCoshF32(s, o, x, true) }, math.Cosh, 1.5},
	} {
		if f.maxULP > math32MaxULP {
			t.Fatalf("%s: bound %g above math32MaxULP", f.name, f.maxULP)
		}
		got := make([]float32, len(xs))
		f.f(got, xs)
		inPlace := append([]float32(nil), xs...)
		f.f(inPlace, inPlace)
		for j, x := range xs {
			want := f.ref(float64(x))
			if e := ulps32(got[j], want); !(e <= f.maxULP) {
				t.Fatalf("%s(%g) = %g, want %g (%.2f units in the last place)", f.name, x, got[j], want, e)
			}
			if math.Float32bits(inPlace[j]) != math.Float32bits(got[j]) {
				t.Fatalf("%s(%g) in place = %g, not %g", f.name, x, inPlace[j], got[j])
			}
			if want == 0 && math.Signbit(want) != math.Signbit(float64(got[j])) {
				t.Fatalf("%s(%g) = %g, want %g", f.name, x, got[j], want)
			}
		}
	}
}

package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPowF32 checks powF32 against float32(math.Pow) bit for bit: on a sweep of positive
// float32 values (subnormals and the largest included) for exponents that reach every
// branch of the fast path and past it, on random pairs, on powers that are exact or lie on
// a float32 halfway point, and on the special values.
func TestPowF32(t *testing.T) {
	check := func(x, y float32) {
		t.Helper()
		got := pow32(x, y)
		want := float32(math.Pow(float64(x), float64(y)))
		if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			t.Fatalf("%g ** %g = %g (%#08x), want %g (%#08x)", x, y, got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
	step := uint32(4999)
	if testing.Short() {
		step = 49999
	}
	for _, y := range []float32{1.5, 2.2, 0.3, -1.7, 1 / 2.4, 3, -2, 0.75, 100.25, -37.5, 1e-3, 1023.9, 1024, 1025, 7e5} {
		for b := uint32(1); b < 0x7f800000; b += step {
			check(math.Float32frombits(b), y)
		}
		check(math.MaxFloat32, y)
		check(math.SmallestNonzeroFloat32, y)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		x := float32(math.Exp(r.NormFloat64() * 4))
		if r.IntN(4) == 0 {
			x = 1 + float32(r.NormFloat64())*1e-5 // near 1, where large exponents stay in range
		}
		check(x, float32(r.NormFloat64()*float64([]float32{1, 10, 1000, 1e5}[r.IntN(4)])))
	}
	// Exact powers, some of them halfway between two float32 values.
	for _, c := range [][2]float32{
		{1 + 0x1p-12, 2}, {(1 + 0x1p-12) * (1 + 0x1p-12), 0.5}, {1 + 0x1p-12, 3}, {4, 1.5}, {9, 0.5}, {9, 1.5},
		{2, -126}, {2, 127}, {2, 127.5}, {2, -126.5}, {0.5, 126}, {1, 1000}, {1, 0.3}, {3, 1},
	} {
		check(c[0], c[1])
	}
	// (1+a·2⁻¹²)² for odd a is 1 + a·2⁻¹¹ + a²·2⁻²⁴: exact in float64 and halfway between
	// two float32 values, rounded up or down by the evenness of the one below.
	for a := 1; a < 1697; a += 2 {
		for _, scale := range []float32{1, 0x1p-40, 0x1p30} {
			check((1+float32(a)*0x1p-12)*scale, 2)
		}
	}
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	specials := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 2, -2, 0.5, -0.5, 3, -3, inf, -inf, nan, 1.5, -1.5}
	for _, x := range specials {
		for _, y := range specials {
			check(x, y)
		}
	}
}

// TestPowFastPath checks that the fast path, not math.Pow, computes ordinary powers: in a
// sweep of them, only about powMargin/2²⁸ of the values are left to math.Pow.
func TestPowFastPath(t *testing.T) {
	left, n := 0, 0
	for b := uint32(0x3c000000); b < 0x43000000; b += 997 { // about 2⁻⁷ to 128
		n++
		if _, ok := powFast(float64(math.Float32frombits(b)), 1.7); !ok {
			left++
		}
	}
	if left > n/1000 {
		t.Errorf("%d of %d powers x**1.7 left to math.Pow", left, n)
	}
}

package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/crossbar-compute/crossbar/graph"
)

// TestModF32 checks modF32 against binaryF (math.Mod in float64, rounded to float32) bit for
// bit, for Mod and Rem: on random pairs of every scale (quotients from below 1 to far past
// modMaxQuotient), exact multiples and their neighbours, quotients next to the bound,
// subnormals, and the special values.
func TestModF32(t *testing.T) {
	var xs, ys []float32
	add := func(x, y float32) { xs, ys = append(xs, x), append(ys, y) }
	r := rand.New(rand.NewPCG(5, 6))
	for range 200000 {
		x := float32(r.NormFloat64() * math.Exp(r.NormFloat64()*8))
		y := float32(r.NormFloat64() * math.Exp(r.NormFloat64()*8))
		add(x, y)
	}
	for range 20000 {
		// Multiples of y and the float32 values next to them, where a quotient is an integer
		// or a hair from one.
		y := float32(r.NormFloat64() * math.Exp(r.NormFloat64()*4))
		q := float32(r.Int64N(1<<(1+r.IntN(30))) - 1<<r.IntN(20))
		x := q * y
		add(x, y)
		add(math.Nextafter32(x, float32(math.Inf(1))), y)
		add(math.Nextafter32(x, float32(math.Inf(-1))), y)
	}
	for _, q := range []float32{modMaxQuotient, modMaxQuotient - 1, modMaxQuotient + 16, 1 << 29, 1 << 24, 1<<24 + 2} {
		for _, y := range []float32{1, 3, 0.1, -7.25, 1e-30, 0x1p-140} {
			for _, x := range []float32{q * y, math.Nextafter32(q*y, 0), math.Nextafter32(q*y, float32(math.Inf(1)))} {
				add(x, y)
				add(-x, y)
			}
		}
	}
	for b := uint32(1); b < 0x00800000; b += 9973 { // subnormal dividends and divisors
		s := math.Float32frombits(b)
		add(s, math.SmallestNonzeroFloat32*3)
		add(1, s)
		add(s, -0x1p-130)
	}
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	specials := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 2, -2, 0.5, -1.5, 3, -3, 7, inf, -inf, nan,
		math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 0x1p-126}
	for _, x := range specials {
		for _, y := range specials {
			add(x, y)
		}
	}
	for _, op := range []graph.Op{graph.OpMod, graph.OpRem} {
		got := make([]float32, len(xs))
		modF32(op, got, xs, ys)
		a, b := make([]float64, len(xs)), make([]float64, len(xs))
		for j := range xs {
			a[j], b[j] = float64(xs[j]), float64(ys[j])
		}
		binaryF(op, a, b)
		for j, w := range a {
			want := float32(w)
			if g := got[j]; math.Float32bits(g) != math.Float32bits(want) && !(g != g && want != want) {
				t.Fatalf("%v(%g, %g) = %g (%#08x), want %g (%#08x)", op, xs[j], ys[j], g, math.Float32bits(g), want, math.Float32bits(want))
			}
		}
	}
}

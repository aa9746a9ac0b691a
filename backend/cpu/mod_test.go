package cpu

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/crossbar-compute/crossbar/graph"
)

// modRef is math.Mod, and for Mod the divisor added where the remainder is not zero and
// the signs differ: the floored remainder (for float32 operands, exact in float64).
func modRef(op graph.Op, x, y float64) float64 {
	r := math.Mod(x, y)
	if op == graph.OpMod && r != 0 && (r < 0) != (y < 0) {
		r += y
	}
	return r
}

// TestModF32 checks modF32 against modRef (math.Mod in float64, rounded to float32) bit for
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
		for j := range xs {
			want := float32(modRef(op, float64(xs[j]), float64(ys[j])))
			if g := got[j]; math.Float32bits(g) != math.Float32bits(want) && !(g != g && want != want) {
				t.Fatalf("%v(%g, %g) = %g (%#08x), want %g (%#08x)", op, xs[j], ys[j], g, math.Float32bits(g), want, math.Float32bits(want))
			}
		}
	}
}

// TestModF64 checks modF64 (and so Float64 Mod and Rem) against modRef bit for bit, NaN
// payloads aside: on random pairs of every scale (quotients from below 1 to far past
// modMaxQuotient64), exact multiples and their neighbours, where a rounded quotient is an
// integer or one away from the truncated one, quotients next to the bound, subnormals and the
// special values.
func TestModF64(t *testing.T) {
	var xs, ys []float64
	add := func(x, y float64) { xs, ys = append(xs, x), append(ys, y) }
	r := rand.New(rand.NewPCG(7, 8))
	for range 200000 {
		add(r.NormFloat64()*math.Exp(r.NormFloat64()*20), r.NormFloat64()*math.Exp(r.NormFloat64()*20))
	}
	for range 20000 {
		y := r.NormFloat64() * math.Exp(r.NormFloat64()*4)
		q := float64(r.Int64N(1<<(1+r.IntN(60))) - 1<<r.IntN(40))
		x := q * y
		add(x, y)
		add(math.Nextafter(x, math.Inf(1)), y)
		add(math.Nextafter(x, math.Inf(-1)), y)
		// x just below a multiple: a quotient that rounds up to the integer past it.
		add(math.Nextafter(math.Nextafter(x, 0), 0), y)
	}
	for _, q := range []float64{modMaxQuotient64, modMaxQuotient64 - 1, modMaxQuotient64 - 0.5, modMaxQuotient64 + 2, 1 << 53, 1 << 60} {
		for _, y := range []float64{1, 3, 0.1, -7.25, 1e-300, 0x1p-1060} {
			for _, x := range []float64{q * y, math.Nextafter(q*y, 0), math.Nextafter(q*y, math.Inf(1))} {
				add(x, y)
				add(-x, y)
			}
		}
	}
	for b := uint64(1); b < 1<<52; b += 1<<52/5003 + 7 { // subnormal dividends and divisors
		s := math.Float64frombits(b)
		add(s, math.SmallestNonzeroFloat64*3)
		add(1, s)
		add(s, -0x1p-1030)
	}
	inf, nan := math.Inf(1), math.NaN()
	specials := []float64{0, math.Copysign(0, -1), 1, -1, 2, -2, 0.5, -1.5, 3, -3, 7, 0.1, inf, -inf, nan,
		math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, 0x1p-1022}
	for _, x := range specials {
		for _, y := range specials {
			add(x, y)
		}
	}
	for _, op := range []graph.Op{graph.OpMod, graph.OpRem} {
		got := slices.Clone(xs)
		modF64(op, got, got, ys)
		for j, g := range got {
			want := modRef(op, xs[j], ys[j])
			if math.Float64bits(g) != math.Float64bits(want) && !(g != g && want != want) {
				t.Fatalf("%v(%g, %g) = %g (%#016x), want %g (%#016x)", op, xs[j], ys[j], g, math.Float64bits(g), want, math.Float64bits(want))
			}
		}
	}
}

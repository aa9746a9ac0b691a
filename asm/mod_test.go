package asm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// modRef is math.Mod, and for a floored remainder the divisor added where the remainder is
// not zero and the signs differ.
func modRef(x, y float64, floored bool) float64 {
	r := math.Mod(x, y)
	if floored && r != 0 && (r < 0) != (y < 0) {
		r += y
	}
	return r
}

// modCases returns operand pairs for the remainder tests, as float64s exact in the float
// type whose significand has mant bits and smallest normal exponent emin: random pairs of
// every scale (quotients from below 1 to far past the kernels' bound), exact multiples and
// their neighbours (where a quotient is an integer or a hair from one, and where a rounded
// quotient crosses the integer past the truncated one), quotients next to the bound,
// subnormals, and the special values, which land in every lane of a step.
func modCases(r *rand.Rand, round func(float64) float64, next func(x, toward float64) float64, scale float64, qbits int, bound float64, tiny []float64) (xs, ys []float64) {
	add := func(x, y float64) { xs, ys = append(xs, round(x)), append(ys, round(y)) }
	for range 50000 {
		add(r.NormFloat64()*math.Exp(r.NormFloat64()*scale), r.NormFloat64()*math.Exp(r.NormFloat64()*scale))
	}
	for range 8000 {
		y := round(r.NormFloat64() * math.Exp(r.NormFloat64()*4))
		q := float64(r.Int64N(1<<(1+r.IntN(qbits))) - 1<<r.IntN(qbits*2/3))
		x := round(q * y)
		add(x, y)
		add(next(x, math.Inf(1)), y)
		add(next(x, math.Inf(-1)), y)
		add(next(next(x, 0), 0), y)
	}
	for _, q := range []float64{bound, bound - 1, bound - 0.5, bound + 16, bound * 2, bound / 16, bound/16 + 2} {
		for _, y := range append([]float64{1, 3, 0.1, -7.25}, tiny...) {
			for _, x := range []float64{round(q * y), next(round(q*y), 0), next(round(q*y), math.Inf(1))} {
				add(x, y)
				add(-x, y)
			}
		}
	}
	for _, s := range tiny {
		for k := 1.0; k < 1<<20; k = k*3 + 1 {
			add(s*k, tiny[0]*3)
			add(1, s*k)
			add(s*k, -s*2)
		}
	}
	inf, nan := math.Inf(1), math.NaN()
	specials := []float64{0, math.Copysign(0, -1), 1, -1, 2, -2, 0.5, -1.5, 3, -3, 7, 0.1, inf, -inf, nan, 1e30, -3e-30}
	specials = append(specials, tiny...)
	for _, x := range specials {
		for _, y := range specials {
			add(x, y)
		}
	}
	// Special pairs one at a time amid ordinary ones, so that a kernel stops and starts
	// again at every offset of a step.
	for k := range 64 {
		for range k % 9 {
			add(r.NormFloat64()*100, r.NormFloat64())
		}
		add(specials[k%len(specials)], specials[(k*7)%len(specials)])
	}
	return xs, ys
}

func sameMod(g, w float64) bool {
	return math.Float64bits(g) == math.Float64bits(w) || g != g && w != w
}

// TestModF32 compares every implementation of ModF32 with modRef rounded to float32 bit for
// bit (NaN payloads aside), truncated and floored, over every tail length and the cases of
// modCases, and checks that nothing past dst is written.
func TestModF32(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	round := func(x float64) float64 { return float64(float32(x)) }
	next := func(x, toward float64) float64 { return float64(math.Nextafter32(float32(x), float32(toward))) }
	xs64, ys64 := modCases(r, round, next, 8, 30, modMaxQuotient32, []float64{math.SmallestNonzeroFloat32, 0x1p-140, 0x1p-126})
	xs, ys := make([]float32, len(xs64)), make([]float32, len(ys64))
	for i := range xs {
		xs[i], ys[i] = float32(xs64[i]), float32(ys64[i])
	}
	forEachISA(t, func(t *testing.T, isa vecISA) {
		for _, floored := range []bool{false, true} {
			check := func(n int, x, y []float32) {
				const pad = 3
				got := make([]float32, n+pad)
				for i := range got {
					got[i] = 7
				}
				modF32(isa, got[:n], x, y, floored)
				for i := range n {
					want := float32(modRef(float64(x[i]), float64(y[i]), floored))
					if !sameMod(float64(got[i]), float64(want)) {
						t.Fatalf("floored %v, n %d: mod(%g, %g) = %g (%#08x), want %g (%#08x)", floored, n, x[i], y[i], got[i], math.Float32bits(got[i]), want, math.Float32bits(want))
					}
				}
				for i := n; i < n+pad; i++ {
					if got[i] != 7 {
						t.Fatalf("floored %v, n %d: written past the end at %d", floored, n, i)
					}
				}
			}
			for _, n := range vecLengths {
				if n <= len(xs) {
					check(n, xs[len(xs)-n:], ys[len(ys)-n:])
				}
			}
			check(len(xs), xs, ys)
		}
		// The kernel, where there is one, does the steps of ordinary operands itself.
		if step := modStep32(isa); step > 0 {
			x, y := []float32{5.5, -7, 1e6, 0.25, -3, 9, 1e-3, 2}, []float32{0.75, 2, -3, 0.1, 1e3, -0.5, 7, 2}
			if n := modF32Arch(isa, make([]float32, len(x)), x, y, true); n != len(x) {
				t.Fatalf("the kernel did %d of %d ordinary elements", n, len(x))
			}
		}
	})
}

// TestModF64 is TestModF32 for ModF64, with dst the same slice as x.
func TestModF64(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	xs, ys := modCases(r, func(x float64) float64 { return x }, math.Nextafter, 20, 60, modMaxQuotient64,
		[]float64{math.SmallestNonzeroFloat64, 0x1p-1060, 0x1p-1022})
	forEachISA(t, func(t *testing.T, isa vecISA) {
		for _, floored := range []bool{false, true} {
			check := func(n int, x, y []float64) {
				const pad = 3
				got := make([]float64, n+pad)
				copy(got, x[:n])
				for i := n; i < len(got); i++ {
					got[i] = 7
				}
				modF64(isa, got[:n], got[:n], y, floored)
				for i := range n {
					if want := modRef(x[i], y[i], floored); !sameMod(got[i], want) {
						t.Fatalf("floored %v, n %d: mod(%g, %g) = %g (%#016x), want %g (%#016x)", floored, n, x[i], y[i], got[i], math.Float64bits(got[i]), want, math.Float64bits(want))
					}
				}
				for i := n; i < n+pad; i++ {
					if got[i] != 7 {
						t.Fatalf("floored %v, n %d: written past the end at %d", floored, n, i)
					}
				}
			}
			for _, n := range vecLengths {
				if n <= len(xs) {
					check(n, xs[len(xs)-n:], ys[len(ys)-n:])
				}
			}
			check(len(xs), xs, ys)
		}
		if step := modStep64(isa); step > 0 {
			x, y := []float64{5.5, -7, 1e6, 0.25, -3, 9, 1e-3, 2}, []float64{0.75, 2, -3, 0.1, 1e3, -0.5, 7, 2}
			if n := modF64Arch(isa, make([]float64, len(x)), x, y, true); n != len(x) {
				t.Fatalf("the kernel did %d of %d ordinary elements", n, len(x))
			}
		}
	})
}

func BenchmarkMod(b *testing.B) {
	const n = 4096
	r := rand.New(rand.NewPCG(1, 2))
	x32, y32, d32 := make([]float32, n), make([]float32, n), make([]float32, n)
	x64, y64, d64 := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		x64[i], y64[i] = r.NormFloat64()*100, 0.75
		x32[i], y32[i] = float32(x64[i]), float32(y64[i])
	}
	for _, isa := range testISAs() {
		b.Run("f32/"+isa.String(), func(b *testing.B) {
			b.SetBytes(12 * n)
			for b.Loop() {
				modF32(isa, d32, x32, y32, true)
			}
		})
		b.Run("f64/"+isa.String(), func(b *testing.B) {
			b.SetBytes(24 * n)
			for b.Loop() {
				modF64(isa, d64, x64, y64, true)
			}
		})
	}
}

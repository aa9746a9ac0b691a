package asm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// guarded returns a slice of n elements inside NaN guard bands, starting off elements into
// its backing array so that every alignment is tried.
func guarded(r *rand.Rand, n, off int) (full, s []float64) {
	full = make([]float64, n+off+8)
	for i := range full {
		full[i] = math.NaN()
	}
	s = full[off : off+n]
	for i := range s {
		s[i] = r.Float64()*2 - 1
	}
	return full, s
}

func checkGuards(t *testing.T, name string, full []float64, n, off int) {
	t.Helper()
	for i, v := range full {
		if (i < off || i >= off+n) && !math.IsNaN(v) {
			t.Fatalf("%s n=%d off=%d: guard element %d overwritten with %v", name, n, off, i, v)
		}
	}
}

func TestAxpyF64(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for n := range 200 {
		for off := range 4 {
			_, x := guarded(r, n, off)
			fy, y := guarded(r, n, off)
			want := append([]float64(nil), y...)
			axpyF64Go(0.75, x, want)
			AxpyF64(0.75, x, y)
			for i := range y {
				if y[i] != want[i] {
					t.Fatalf("n=%d off=%d: y[%d] = %v, want %v", n, off, i, y[i], want[i])
				}
			}
			checkGuards(t, "AxpyF64", fy, n, off)
		}
	}
}

func TestDotF64(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for n := range 200 {
		for off := range 4 {
			_, x := guarded(r, n, off)
			_, y := guarded(r, n, off)
			if got, want := DotF64(x, y), dotF64Go(x, y); got != want {
				t.Fatalf("n=%d off=%d: %v, want %v", n, off, got, want)
			}
			var naive float64
			for i := range x {
				naive += x[i] * y[i]
			}
			if math.Abs(DotF64(x, y)-naive) > 1e-12*float64(n+1) {
				t.Fatalf("n=%d: %v differs from the naive sum %v", n, DotF64(x, y), naive)
			}
		}
	}
}

package asm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestReduceRows compares every implementation of ReduceMaxRowsF32 and ReduceMinRowsF32
// with the Go twin bit for bit, over row lengths around the vector widths and their
// multiples, rows holding a NaN, zeros of both signs or infinities at every position, and
// checks that nothing past dst is written.
func TestReduceRows(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	negZero := float32(math.Copysign(0, -1))
	forEachISA(t, func(t *testing.T, isa vecISA) {
		for _, w := range []int{1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 39, 40, 41, 47, 48, 63, 64, 65, 100, 128, 129, 300, 1031} {
			const rows, pad = 40, 3
			x := make([]float32, rows*w)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			for i := range rows {
				row := x[i*w : i*w+w]
				at := (i * 7) % w
				switch i % 8 {
				case 1:
					row[at] = nan
				case 2: // only zeros, one of them -0 or +0 among the others
					for j := range row {
						row[j] = negZero
					}
					row[at] = 0
				case 3:
					for j := range row {
						row[j] = 0
					}
					row[at] = negZero
				case 4:
					row[at] = inf
				case 5:
					row[at] = -inf
				case 6:
					for j := range row {
						row[j] = -inf
					}
				}
			}
			for _, op := range []int{opMax, opMin} {
				want := make([]float32, rows)
				reduceRowsGo(op, want, x, w)
				got := make([]float32, rows+pad)
				for i := range got {
					got[i] = 7
				}
				reduceRowsF32(isa, op, got[:rows], x, w)
				for i := range rows {
					if g := got[i]; math.Float32bits(g) != math.Float32bits(want[i]) && !(g != g && want[i] != want[i]) {
						t.Fatalf("op %d, w %d, row %d: %g (%#08x), want %g (%#08x)", op, w, i, g, math.Float32bits(g), want[i], math.Float32bits(want[i]))
					}
				}
				for i := rows; i < len(got); i++ {
					if got[i] != 7 {
						t.Fatalf("op %d, w %d: written past the end at %d", op, w, i)
					}
				}
			}
		}
	})
}

// TestSumRows compares every implementation of SumRowsF32 with the Go twin (SumF32's
// definition) bit for bit, over row lengths of whole blocks and others, values of mixed
// scales whose sums depend on the order of the additions, and checks that nothing past dst
// is written.
func TestSumRows(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	forEachISA(t, func(t *testing.T, isa vecISA) {
		for _, w := range []int{1, 4, 5, 8, 16, 31, 32, 33, 64, 96, 100, 128, 256, 1024} {
			const rows, pad = 17, 3
			x := make([]float32, rows*w)
			for i := range x {
				x[i] = float32(r.NormFloat64() * math.Exp(r.NormFloat64()*10))
			}
			if w > 40 {
				x[3], x[w+7] = float32(math.Inf(1)), float32(math.NaN())
			}
			if w <= 16 {
				// Rows of -0 (a sum of +0), of -0 and +0, with infinities and NaN.
				negz := float32(math.Copysign(0, -1))
				for i := range w {
					x[i], x[w+i] = negz, negz
				}
				x[w+w/2] = 0
				x[2*w+1], x[3*w], x[3*w+w-1] = float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Inf(1))
				x[4*w+w-1] = float32(math.NaN())
				if w >= 4 {
					// Lanes 0 and w/2 cancel only when added first, as SumF32's halvings do.
					clear(x[5*w : 6*w])
					x[5*w], x[5*w+w/2], x[5*w+w/4] = 1e20, -1e20, 1
				}
			}
			want := make([]float64, rows)
			sumRowsGo(want, x, w)
			got := make([]float64, rows+pad)
			for i := range got {
				got[i] = 7
			}
			sumRowsF32(isa, got[:rows], x, w)
			for i := range rows {
				if g := got[i]; math.Float64bits(g) != math.Float64bits(want[i]) && !(g != g && want[i] != want[i]) {
					t.Fatalf("w %d, row %d: %g (%#016x), want %g (%#016x)", w, i, g, math.Float64bits(g), want[i], math.Float64bits(want[i]))
				}
			}
			for i := rows; i < len(got); i++ {
				if got[i] != 7 {
					t.Fatalf("w %d: written past the end at %d", w, i)
				}
			}
		}
	})
}

func BenchmarkReduceRows(b *testing.B) {
	const n, w = 4096, 64
	x := make([]float32, n)
	dst := make([]float32, n/w)
	sums := make([]float64, n/w)
	for _, isa := range testISAs() {
		b.Run("rows/"+isa.String(), func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				reduceRowsF32(isa, opMax, dst, x, w)
			}
		})
		b.Run("calls/"+isa.String(), func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				for i := range dst {
					dst[i] = reduceF32(isa, opMax, x[i*w:i*w+w])
				}
			}
		})
		b.Run("sumrows/"+isa.String(), func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				sumRowsF32(isa, sums, x, w)
			}
		})
		b.Run("sumcalls/"+isa.String(), func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				for i := range sums {
					sums[i] = sumF32(isa, x[i*w:i*w+w])
				}
			}
		})
	}
}

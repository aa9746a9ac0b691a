package asm

import (
	"math"
	"testing"
)

// TestFillRows compares every implementation of FillRowsF32 and FillRowsF64 with the Go
// twin over row lengths around the vector widths and their multiples, source strides of 0,
// 1 and more, and checks that nothing past dst is written.
func TestFillRows(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) {
		for _, w := range []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 128, 200} {
			for _, rows := range []int{1, 2, 3, 7} {
				for _, stride := range []int{0, 1, 3} {
					const pad = 5
					src32 := make([]float32, (rows-1)*stride+1)
					src64 := make([]float64, len(src32))
					for i := range src32 {
						src32[i] = float32(i) + 0.5
						src64[i] = -float64(i) - 0.25
					}
					d32 := make([]float32, rows*w+pad)
					d64 := make([]float64, rows*w+pad)
					for i := range d32 {
						d32[i], d64[i] = float32(math.NaN()), math.NaN()
					}
					fillRowsF32(isa, d32[:rows*w], w, src32, stride)
					fillRowsF64(isa, d64[:rows*w], w, src64, stride)
					for i := range rows * w {
						if want := src32[i/w*stride]; d32[i] != want {
							t.Fatalf("w %d, rows %d, stride %d: float32 [%d] = %g, want %g", w, rows, stride, i, d32[i], want)
						}
						if want := src64[i/w*stride]; d64[i] != want {
							t.Fatalf("w %d, rows %d, stride %d: float64 [%d] = %g, want %g", w, rows, stride, i, d64[i], want)
						}
					}
					for i := rows * w; i < len(d32); i++ {
						if d32[i] == d32[i] || d64[i] == d64[i] {
							t.Fatalf("w %d, rows %d, stride %d: written past the end at %d", w, rows, stride, i)
						}
					}
				}
			}
		}
	})
}

func BenchmarkFillRows(b *testing.B) {
	const n, w = 4096, 64
	src := make([]float32, n/w)
	dst := make([]float32, n)
	src64, dst64 := make([]float64, n/w), make([]float64, n)
	for _, isa := range testISAs() {
		b.Run("rows/"+isa.String(), func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				fillRowsF32(isa, dst, w, src, 1)
			}
		})
		b.Run("rows64/"+isa.String(), func(b *testing.B) {
			b.SetBytes(8 * n)
			for b.Loop() {
				fillRowsF64(isa, dst64, w, src64, 1)
			}
		})
		b.Run("fills/"+isa.String(), func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				for i := range n / w {
					fillF32(isa, dst[i*w:i*w+w], src[i])
				}
			}
		})
	}
}

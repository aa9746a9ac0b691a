package asm

import (
	"math"
	"testing"
)

// TestWidenNarrow compares every implementation of WidenI32 and NarrowI32 with the Go
// conversions, over every length that leaves a tail and values at the ends of the ranges,
// and checks that nothing past dst is written.
func TestWidenNarrow(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) {
		for _, n := range vecLengths {
			const pad = 3
			s32 := make([]int32, n)
			s64 := make([]int64, n)
			for i := range n {
				s32[i] = int32(uint32(i) * 0x9E3779B9)
				s64[i] = int64(uint64(i) * 0x9E3779B97F4A7C15)
			}
			if n > 2 {
				s32[0], s32[1], s32[2] = math.MinInt32, math.MaxInt32, -1
				s64[0], s64[1], s64[2] = math.MinInt64, math.MaxInt64, 1<<32-1
			}
			w := make([]int64, n+pad)
			for i := range w {
				w[i] = 7
			}
			widenI32(isa, w[:n], s32)
			for i := range n {
				if w[i] != int64(s32[i]) {
					t.Fatalf("n %d: widened [%d] = %d, want %d", n, i, w[i], s32[i])
				}
			}
			d := make([]int32, n+pad)
			for i := range d {
				d[i] = 7
			}
			narrowI32(isa, d[:n], s64)
			for i := range n {
				if d[i] != int32(s64[i]) {
					t.Fatalf("n %d: narrowed [%d] = %d, want %d", n, i, d[i], int32(s64[i]))
				}
			}
			for i := n; i < n+pad; i++ {
				if w[i] != 7 || d[i] != 7 {
					t.Fatalf("n %d: written past the end at %d", n, i)
				}
			}
		}
	})
}

// TestWidenNarrowU8 is TestWidenNarrow for WidenU8 and NarrowU8.
func TestWidenNarrowU8(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) {
		for _, n := range vecLengths {
			const pad = 3
			s8 := make([]uint8, n)
			s64 := make([]int64, n)
			for i := range n {
				s8[i] = uint8(i*37 + 11)
				s64[i] = int64(uint64(i) * 0x9E3779B97F4A7C15)
			}
			if n > 3 {
				s8[0], s8[1] = 0, 255
				s64[0], s64[1], s64[2], s64[3] = -1, 256, 255, math.MinInt64+0x80
			}
			w := make([]int64, n+pad)
			for i := range w {
				w[i] = 7
			}
			widenU8(isa, w[:n], s8)
			for i := range n {
				if w[i] != int64(s8[i]) {
					t.Fatalf("n %d: widened [%d] = %d, want %d", n, i, w[i], s8[i])
				}
			}
			d := make([]uint8, n+pad)
			for i := range d {
				d[i] = 7
			}
			narrowU8(isa, d[:n], s64)
			for i := range n {
				if d[i] != uint8(s64[i]) {
					t.Fatalf("n %d: narrowed [%d] = %d, want %d", n, i, d[i], uint8(s64[i]))
				}
			}
			for i := n; i < n+pad; i++ {
				if w[i] != 7 || d[i] != 7 {
					t.Fatalf("n %d: written past the end at %d", n, i)
				}
			}
		}
	})
}

func BenchmarkWidenNarrow(b *testing.B) {
	const n = 2048
	s32, s64, s8 := make([]int32, n), make([]int64, n), make([]uint8, n)
	for _, isa := range testISAs() {
		b.Run("widen/"+isa.String(), func(b *testing.B) {
			b.SetBytes(12 * n)
			for b.Loop() {
				widenI32(isa, s64, s32)
			}
		})
		b.Run("narrow/"+isa.String(), func(b *testing.B) {
			b.SetBytes(12 * n)
			for b.Loop() {
				narrowI32(isa, s32, s64)
			}
		})
		b.Run("widenu8/"+isa.String(), func(b *testing.B) {
			b.SetBytes(9 * n)
			for b.Loop() {
				widenU8(isa, s64, s8)
			}
		})
		b.Run("narrowu8/"+isa.String(), func(b *testing.B) {
			b.SetBytes(9 * n)
			for b.Loop() {
				narrowU8(isa, s8, s64)
			}
		})
	}
}

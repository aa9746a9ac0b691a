package asm

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestTranspose checks TransposeF32 and TransposeF64 at every level against the
// element-by-element definition, bit for bit (NaN payloads included), for sizes with and
// without whole blocks, strides wider than the rows, and destinations whose elements between
// the rows they write must stay as they were.
func TestTranspose(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) {
		testTranspose(t, isa, func(i int) float32 { return math.Float32frombits(0x7fc00000 | uint32(i)) },
			func(v float32) uint64 { return uint64(math.Float32bits(v)) })
		testTranspose(t, isa, func(i int) float64 { return math.Float64frombits(0x7ff8_0000_0000_0000 | uint64(i)) },
			math.Float64bits)
	})
}

// testTranspose transposes matrices of NaNs whose payloads, made by nan, are their indices.
func testTranspose[T Float](t *testing.T, isa vecISA, nan func(i int) T, bits func(T) uint64) {
	for _, rows := range []int{1, 3, 4, 5, 8, 9, 16, 17, 31, 40} {
		for _, cols := range []int{1, 2, 4, 7, 8, 12, 16, 23, 33} {
			for _, pad := range []int{0, 3} {
				lds, ldd := cols+pad, rows+2*pad
				src := make([]T, (rows-1)*lds+cols)
				for i := range src {
					src[i] = nan(i)
				}
				dst := make([]T, (cols-1)*ldd+rows+5)
				for i := range dst {
					dst[i] = -1
				}
				transposeF(isa, dst, ldd, src, lds, rows, cols)
				for k, v := range dst {
					j, i := k/ldd, k%ldd
					want := bits(-1)
					if j < cols && i < rows {
						want = bits(src[i*lds+j])
					}
					if bits(v) != want {
						t.Fatalf("%T %d x %d, strides %d and %d: dst[%d] (row %d, column %d) is %#x, want %#x",
							v, rows, cols, lds, ldd, k, j, i, bits(v), want)
					}
				}
			}
		}
	}
}

// TestTransposeBadStrides checks that a stride shorter than its row is refused, not read.
func TestTransposeBadStrides(t *testing.T) {
	for _, c := range []struct{ ldd, lds int }{{3, 4}, {4, 3}} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "TransposeF32") {
					t.Errorf("strides %d, %d: recovered %v, want a panic naming TransposeF32", c.lds, c.ldd, r)
				}
			}()
			TransposeF32(make([]float32, 64), c.ldd, make([]float32, 64), c.lds, 4, 4)
		}()
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "TransposeF64") {
					t.Errorf("float64, strides %d, %d: recovered %v, want a panic naming TransposeF64", c.lds, c.ldd, r)
				}
			}()
			TransposeF64(make([]float64, 64), c.ldd, make([]float64, 64), c.lds, 4, 4)
		}()
	}
}

package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/crossbar-compute/crossbar/internal/half"
)

// TestGemvHalf checks GemvRowsBF16, GemvColsBF16 and their float16 twins at every level
// against GemvRowsF32's and GemvColsF32's kernels of the same level on the widened matrix,
// bit for bit (NaN for NaN): every m and k up to 40 and a few large ones, padded lines and
// unaligned slices, with infinities, NaN and -0 among the values, and NaN in the padding and
// guard bands, where any value read turns a result into NaN.
func TestGemvHalf(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) {
		for _, bf16 := range []bool{true, false} {
			for _, special := range []bool{false, true} {
				for _, rows := range []bool{true, false} {
					testGemvHalf(t, isa, bf16, special, rows)
				}
			}
		}
	})
}

func testGemvHalf(t *testing.T, isa vecISA, bf16, special, rows bool) {
	r := rand.New(rand.NewPCG(uint64(isa), 9))
	fill := gemvFill[float32](r, special)
	narrow, nan := half.Float16From, half.Float16From(float32(math.NaN()))
	widen := half.Float16To
	if bf16 {
		narrow, nan, widen = half.BFloat16From, half.BFloat16From(float32(math.NaN())), half.BFloat16To
	}
	for _, sh := range gemvShapes() {
		_, x := guardedVec(sh.k, sh.offX, fill)
		lines, n := sh.m, sh.k // rows of a, or columns
		if !rows {
			lines, n = sh.k, sh.m
		}
		lda := n + sh.pad
		span := 0
		if lines > 0 && n > 0 {
			span = (lines-1)*lda + n
		}
		full := make([]uint16, sh.offA+span+8)
		for i := range full {
			full[i] = nan
		}
		a := full[sh.offA : sh.offA+span]
		wide := make([]float32, span)
		for l := range lines {
			for j := range n {
				a[l*lda+j] = narrow(fill(0))
			}
		}
		for i, v := range a {
			wide[i] = widen(v)
		}
		want := make([]float32, sh.m)
		yFull, y := guardedVec(sh.m, sh.offY, func(int) float32 { return 7 })
		if rows {
			gemvRowsF32(isa, sh.m, sh.k, wide, lda, x, want)
			gemvRowsHalf(isa, bf16, sh.m, sh.k, a, lda, x, y)
		} else {
			gemvColsF32(isa, sh.m, sh.k, wide, lda, x, want)
			gemvColsHalf(isa, bf16, sh.m, sh.k, a, lda, x, y)
		}
		what := fmt.Sprintf("gemv rows=%v bf16=%v m=%d k=%d lda=%d offsets a %d x %d y %d special=%v",
			rows, bf16, sh.m, sh.k, lda, sh.offA, sh.offX, sh.offY, special)
		checkGemv(t, what, special, y, want, yFull, sh.offY)
	}
}

// TestGemvHalfArgs checks the exported functions' slicing: a matrix, x or y too short
// panics in Go, before any kernel runs.
func TestGemvHalfArgs(t *testing.T) {
	x, y := make([]float32, 5), make([]float32, 3)
	a := make([]uint16, 2*7+5)
	for i := range a {
		a[i] = half.BFloat16From(float32(i % 5))
	}
	GemvRowsBF16(3, 5, a, 7, []float32{1, 1, 1, 1, 1}, y)
	for i := range y {
		s := float32(0)
		for p := range 5 {
			s += float32((i*7 + p) % 5)
		}
		if y[i] != s {
			t.Fatalf("GemvRowsBF16: y[%d] = %v, want %v", i, y[i], s)
		}
	}
	// The same matrix read by columns: y[i] = a[i] + a[7+i] + a[14+i].
	yc := make([]float32, 5)
	GemvColsBF16(5, 3, a, 7, []float32{1, 1, 1}, yc)
	for i := range yc {
		if s := float32(i%5 + (7+i)%5 + (14+i)%5); yc[i] != s {
			t.Fatalf("GemvColsBF16: y[%d] = %v, want %v", i, yc[i], s)
		}
	}
	for _, c := range []func(){
		func() { GemvRowsBF16(3, 5, a[:len(a)-1], 7, x, y) },
		func() { GemvRowsF16(3, 5, a, 7, x[:4], y) },
		func() { GemvRowsF16(3, 5, a, 7, x, y[:2]) },
		func() { GemvRowsBF16(3, 5, a, 4, x, y) },
		func() { GemvColsBF16(5, 3, a[:len(a)-1], 7, x[:3], y) },
		func() { GemvColsF16(5, 3, a, 7, x[:2], y) },
		func() { GemvColsF16(5, 3, a, 4, x[:3], y) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("a call with a slice too short or lda < k did not panic")
				}
			}()
			c()
		}()
	}
}

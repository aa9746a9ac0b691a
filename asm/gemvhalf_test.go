package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/crossbar-compute/crossbar/internal/half"
)

// TestGemvRowsHalf checks GemvRowsBF16 and GemvRowsF16 at every level against GemvRowsF32's
// kernel of the same level on the widened matrix, bit for bit (NaN for NaN): every m and k up
// to 40 and a few large ones, padded rows and unaligned slices, with infinities, NaN and -0
// among the values, and NaN in the padding and guard bands, where any value read turns a
// result into NaN.
func TestGemvRowsHalf(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) {
		for _, bf16 := range []bool{true, false} {
			for _, special := range []bool{false, true} {
				testGemvRowsHalf(t, isa, bf16, special)
			}
		}
	})
}

func testGemvRowsHalf(t *testing.T, isa vecISA, bf16, special bool) {
	r := rand.New(rand.NewPCG(uint64(isa), 9))
	fill := gemvFill[float32](r, special)
	narrow, nan := half.Float16From, half.Float16From(float32(math.NaN()))
	widen := half.Float16To
	if bf16 {
		narrow, nan, widen = half.BFloat16From, half.BFloat16From(float32(math.NaN())), half.BFloat16To
	}
	for _, sh := range gemvShapes() {
		_, x := guardedVec(sh.k, sh.offX, fill)
		lda := sh.k + sh.pad
		span := 0
		if sh.m > 0 && sh.k > 0 {
			span = (sh.m-1)*lda + sh.k
		}
		full := make([]uint16, sh.offA+span+8)
		for i := range full {
			full[i] = nan
		}
		a := full[sh.offA : sh.offA+span]
		wide := make([]float32, span)
		for i := range sh.m {
			for p := range sh.k {
				a[i*lda+p] = narrow(fill(0))
			}
		}
		for i, v := range a {
			wide[i] = widen(v)
		}
		want := make([]float32, sh.m)
		gemvRowsF32(isa, sh.m, sh.k, wide, lda, x, want)
		yFull, y := guardedVec(sh.m, sh.offY, func(int) float32 { return 7 })
		gemvRowsHalf(isa, bf16, sh.m, sh.k, a, lda, x, y)
		what := fmt.Sprintf("gemv rows bf16=%v m=%d k=%d lda=%d offsets a %d x %d y %d special=%v",
			bf16, sh.m, sh.k, lda, sh.offA, sh.offX, sh.offY, special)
		for i := range want {
			if !sameFloat(y[i], want[i]) {
				t.Fatalf("%s: y[%d] = %v, want %v", what, i, y[i], want[i])
			}
			if !special && y[i] != y[i] {
				t.Fatalf("%s: y[%d] is NaN: the kernel read outside the matrix", what, i)
			}
		}
		checkGuardBands(t, what, yFull, sh.m, sh.offY)
	}
}

// TestGemvRowsHalfArgs checks the exported functions' slicing: a matrix, x or y too short
// panics in Go, before any kernel runs.
func TestGemvRowsHalfArgs(t *testing.T) {
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
	for _, c := range []func(){
		func() { GemvRowsBF16(3, 5, a[:len(a)-1], 7, x, y) },
		func() { GemvRowsF16(3, 5, a, 7, x[:4], y) },
		func() { GemvRowsF16(3, 5, a, 7, x, y[:2]) },
		func() { GemvRowsBF16(3, 5, a, 4, x, y) },
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

package asm

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// halfOf rounds x's slice, guards and all, to float16 or bfloat16 bits, which it returns as
// a HalfMatrix with x's view, and sets x's slice to their values: the operand GemmMixed reads
// and its float32 twin.
func halfOf(x Matrix[float32], bf16 bool) *HalfMatrix {
	h := &HalfMatrix{Data: make([]uint16, len(x.Data)), Offset: x.Offset, RowStride: x.RowStride, ColStride: x.ColStride, BF16: bf16}
	if bf16 {
		f32ToBFloat16Go(h.Data, x.Data)
		bfloat16ToF32Go(x.Data, h.Data)
	} else {
		f32ToFloat16Go(h.Data, x.Data)
		float16ToF32Go(x.Data, h.Data)
	}
	return h
}

// TestGemmMixed checks GemmMixed with a 16-bit A, B or both, in every layout (pieces of
// columns, of rows, strided, flipped; C by rows, or by columns, which turns the product
// around), with blockings that cut k, the rows and the columns into many blocks and partial
// micro-panels, and with few rows or columns of C (the matrix-vector kernels), against
// GemmEpilogue of the float32 twins: bit for bit, the 16-bit slices' guards NaN. Two
// bfloat16 operands are widened here too (TestGemmPairs checks them multiplied in pairs).
func TestGemmMixed(t *testing.T) {
	pairsOK = false
	defer func() { pairsOK = true }()
	for _, lv := range available {
		t.Run(lv.name, func(t *testing.T) { testGemmMixed(t, lv) })
	}
}

func testGemmMixed(t *testing.T, lv *level) {
	r := rand.New(rand.NewPCG(10, 11))
	epi := doubleAddRow
	layouts := []layout{rowMajor, colMajor, strided, flipped}
	n := 0
	for _, sh := range [][3]int{{1, 1, 1}, {3, 37, 20}, {37, 3, 20}, {2, 300, 700}, {1200, 4, 30}, {13, 45, 600}, {30, 1100, 70}, {70, 50, 9}} {
		m, n0, k := sh[0], sh[1], sh[2]
		for _, la := range layouts {
			for _, lb := range layouts {
				for half := 1; half <= 3; half++ { // bit 0: A 16-bit, bit 1: B
					n++
					bf16, lc := n%2 == 0, layouts[n/2%2]
					beta := float32(0)
					if n%3 == 0 {
						beta = 0.5
					}
					prm := GemmParams{Level: lv.name}
					var e Epilogue[float32]
					if n%5 < 2 {
						prm = GemmParams{Level: lv.name, MC: 28, KC: 40, NC: 64, Threads: 2}
						e = epi
					}
					name := fmt.Sprintf("%dx%dx%d A:%v B:%v C:%v half=%d bf16=%v beta=%v params=%+v", m, n0, k, la, lb, lc, half, bf16, beta, prm)
					a := guardedMatrix[float32](r, m, k, la, n%4, true)
					b := guardedMatrix[float32](r, k, n0, lb, (n+1)%4, true)
					var oa, ob Operand
					oa.Float, ob.Float = a, b
					if half&1 != 0 {
						oa = Operand{Half: halfOf(a, bf16)}
					}
					if half&2 != 0 {
						ob = Operand{Half: halfOf(b, bf16)}
					}
					c := guardedMatrix[float32](r, m, n0, lc, 2, beta != 0)
					want := Matrix[float32]{Data: slices.Clone(c.Data), Offset: c.Offset, RowStride: c.RowStride, ColStride: c.ColStride}
					if err := GemmEpilogue(m, n0, k, a, b, beta, want, &prm, e); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if err := GemmMixed(m, n0, k, oa, ob, beta, c, &prm, e); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if o, ok := sameBits(c.Data, want.Data); !ok {
						t.Fatalf("%s: element %d of C's slice is %v, the float32 GEMM gives %v", name, o, c.Data[o], want.Data[o])
					}
				}
			}
		}
	}
}

// doubleAddRow is an epilogue that doubles C and adds the row index, to see that the tiles'
// coordinates are passed on.
func doubleAddRow(i, _, rows, cols int, c []float32, off, rs, cs int) {
	for x := range rows {
		for y := range cols {
			o := off + x*rs + y*cs
			c[o] = 2*c[o] + float32(i+x)
		}
	}
}

// TestGemmMixedErrors checks that a 16-bit operand reaching outside its slice is an error.
func TestGemmMixedErrors(t *testing.T) {
	c := Matrix[float32]{Data: make([]float32, 16), RowStride: 4, ColStride: 1}
	f := Operand{Float: Matrix[float32]{Data: make([]float32, 16), RowStride: 4, ColStride: 1}}
	for _, h := range []*HalfMatrix{
		{Data: make([]uint16, 15), RowStride: 4, ColStride: 1},
		{Data: make([]uint16, 16), Offset: -1, RowStride: 4, ColStride: 1},
		{Data: make([]uint16, 16), RowStride: -4, ColStride: 1},
		{RowStride: 4, ColStride: 1},
	} {
		for _, ab := range [][2]Operand{{{Half: h}, f}, {f, {Half: h}}} {
			if err := GemmMixed(4, 4, 4, ab[0], ab[1], 0, c, nil, nil); !errors.Is(err, ErrView) {
				t.Errorf("%+v: %v, want ErrView", h, err)
			}
		}
	}
}

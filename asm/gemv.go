package asm

import (
	"fmt"
	"math"
)

// Matrix-vector products (GEMV) in two layouts: GemvRows for a matrix stored by rows (each
// y[i] is a dot product of a row with x) and GemvCols for one stored by columns (y is built
// as a sum of columns scaled by x). The result overwrites y; there is no alpha or beta, as
// callers scale and add with the elementwise kernels.
//
// Both accumulate in the element type, as BLAS does, with fused multiply-adds in a fixed
// order, so that the assembly (vec_amd64.s, vec_arm64.s, written by _asm/vecgen.go) and the
// Go references below agree bit for bit at every level:
//
//   - GemvRows keeps L partial sums per row, L being two vector registers of elements (see
//     gemvLanes): element p of a row goes to lane p%L while a whole block of L elements
//     remains; the lanes are then added pairwise (lane j+L/2 into lane j, then j+L/4, ...,
//     j+1), and the last k%L elements are fused into lane 0 in order. The rounding therefore
//     depends on the level, as SumF32's does not; the error stays within about
//     (k/L+log2 L+k%L)·ε·Σ|a[i,p]·x[p]|.
//   - GemvCols computes every y[i] as one chain of fused multiply-adds from zero in the order
//     p = 0, 1, ..., k-1, whatever the level: the vector registers run across i, never
//     across p.
//
// The exported functions slice a, x and y to what the sizes reach before any kernel runs (up
// to their lengths, not capacities), so that a call with slices too short panics in Go with
// an index error and the assembly never reads or writes outside them.

// GemvRowsF32 sets y[i] to the dot product of row i of the m×k row-major matrix a (row i
// starts at a[i*lda]; lda ≥ k) with x, for i < m. x needs k elements, y m, a (m-1)·lda+k.
//
//	for i := range m {
//		var s float32
//		for p := range k {
//			s += a[i*lda+p] * x[p]
//		}
//		y[i] = s
//	}
func GemvRowsF32(m, k int, a []float32, lda int, x, y []float32) {
	a = a[:matrixSpan("GemvRowsF32", m, k, lda):len(a)]
	gemvRowsF32(activeISA(), m, k, a, lda, x[:k:len(x)], y[:m:len(y)])
}

// GemvRowsF64 is GemvRowsF32 for float64.
//
//	for i := range m {
//		var s float64
//		for p := range k {
//			s += a[i*lda+p] * x[p]
//		}
//		y[i] = s
//	}
func GemvRowsF64(m, k int, a []float64, lda int, x, y []float64) {
	a = a[:matrixSpan("GemvRowsF64", m, k, lda):len(a)]
	gemvRowsF64(activeISA(), m, k, a, lda, x[:k:len(x)], y[:m:len(y)])
}

// GemvColsF32 sets y to the product of the m×k column-major matrix a (column p starts at
// a[p*lda]; lda ≥ m) with x: the sum of the columns scaled by the elements of x. x needs k
// elements, y m, a (k-1)·lda+m.
//
//	clear(y[:m])
//	for p := range k {
//		for i := range m {
//			y[i] += x[p] * a[p*lda+i]
//		}
//	}
func GemvColsF32(m, k int, a []float32, lda int, x, y []float32) {
	a = a[:matrixSpan("GemvColsF32", k, m, lda):len(a)]
	gemvColsF32(activeISA(), m, k, a, lda, x[:k:len(x)], y[:m:len(y)])
}

// GemvColsF64 is GemvColsF32 for float64.
//
//	clear(y[:m])
//	for p := range k {
//		for i := range m {
//			y[i] += x[p] * a[p*lda+i]
//		}
//	}
func GemvColsF64(m, k int, a []float64, lda int, x, y []float64) {
	a = a[:matrixSpan("GemvColsF64", k, m, lda):len(a)]
	gemvColsF64(activeISA(), m, k, a, lda, x[:k:len(x)], y[:m:len(y)])
}

// matrixSpan returns how many elements a matrix of lines lines (rows or columns) of n
// contiguous elements, ld apart, reaches: (lines-1)·ld+n, or 0 when it is empty. It panics on
// negative sizes, ld < n, or a span that does not fit in an int.
func matrixSpan(fn string, lines, n, ld int) int {
	if lines < 0 || n < 0 || ld < n {
		panic(fmt.Sprintf("asm: %s: invalid sizes: %d lines of %d elements, stride %d", fn, lines, n, ld))
	}
	if lines == 0 || n == 0 {
		return 0
	}
	if ld > 0 && lines-1 > (math.MaxInt-n)/ld {
		panic(fmt.Sprintf("asm: %s: %d lines of stride %d overflow an int", fn, lines, ld))
	}
	return (lines-1)*ld + n
}

// gemvLanes returns the number of partial sums per row of GemvRows at isa for elements of
// size bytes: two vector registers' worth (two, so that each row has two independent chains
// of fused multiply-adds), and 4 for the Go level.
func (isa vecISA) gemvLanes(size int) int {
	if isa == isaGo {
		return 4
	}
	return 2 * isa.lanes(size)
}

// gemvColsBlock is the number of elements of y (16 KiB) that GemvCols finishes before it
// moves on, so that y stays in the L1 cache while the columns stream past it.
const gemvColsBlock = 16 << 10

// The dispatchers: the arguments are already sliced to their exact lengths.

func gemvRowsF32(isa vecISA, m, k int, a []float32, lda int, x, y []float32) {
	if isa == isaGo || m == 0 || k == 0 {
		gemvRowsGo(isa.gemvLanes(4), m, k, a, lda, x, y)
		return
	}
	gemvRowsF32Arch(isa, m, k, a, lda, x, y)
}

func gemvRowsF64(isa vecISA, m, k int, a []float64, lda int, x, y []float64) {
	if isa == isaGo || m == 0 || k == 0 {
		gemvRowsGo(isa.gemvLanes(8), m, k, a, lda, x, y)
		return
	}
	gemvRowsF64Arch(isa, m, k, a, lda, x, y)
}

func gemvColsF32(isa vecISA, m, k int, a []float32, lda int, x, y []float32) {
	// The kernels accumulate into y: start it from +0, as the reference does.
	clear(y)
	gemvColsAddF32(isa, m, k, a, lda, x, y)
}

func gemvColsF64(isa vecISA, m, k int, a []float64, lda int, x, y []float64) {
	clear(y)
	gemvColsAddF64(isa, m, k, a, lda, x, y)
}

// gemvColsAddF32 and gemvColsAddF64 add A·x to y, y a block at a time: the columns of a
// split into pieces, one after another, thus give what they give whole.
func gemvColsAddF32(isa vecISA, m, k int, a []float32, lda int, x, y []float32) {
	if isa == isaGo || m == 0 || k == 0 {
		gemvColsAddGo(m, k, a, lda, x, y)
		return
	}
	for i := 0; i < m; i += gemvColsBlock / 4 {
		n := min(gemvColsBlock/4, m-i)
		gemvColsF32Arch(isa, n, k, a[i:], lda, x, y[i:i+n])
	}
}

func gemvColsAddF64(isa vecISA, m, k int, a []float64, lda int, x, y []float64) {
	if isa == isaGo || m == 0 || k == 0 {
		gemvColsAddGo(m, k, a, lda, x, y)
		return
	}
	for i := 0; i < m; i += gemvColsBlock / 8 {
		n := min(gemvColsBlock/8, m-i)
		gemvColsF64Arch(isa, n, k, a[i:], lda, x, y[i:i+n])
	}
}

// gemvRowsGo is the reference of GemvRows with lanes partial sums per row (a power of two,
// at most 32): the order of operations of the assembly at the level of that many lanes.
func gemvRowsGo[T Float](lanes, m, k int, a []T, lda int, x, y []T) {
	x, y = x[:k], y[:m]
	if k == 0 {
		clear(y) // and a may be empty
		return
	}
	kv := k &^ (lanes - 1)
	var acc [32]T
	for i := range y {
		row := a[i*lda : i*lda+k]
		lane := acc[:lanes]
		clear(lane)
		for p := 0; p < kv; p += lanes {
			r, v := row[p:p+lanes], x[p:p+lanes]
			for j := range lane {
				lane[j] = gemvFMA(r[j], v[j], lane[j])
			}
		}
		for h := lanes / 2; h > 0; h /= 2 {
			for j := range h {
				lane[j] += lane[j+h]
			}
		}
		s := lane[0]
		for p := kv; p < k; p++ {
			s = gemvFMA(row[p], x[p], s)
		}
		y[i] = s
	}
}

// gemvColsGo is the reference of GemvCols: one chain of fused multiply-adds per element of
// y, from +0, in the order of the columns.
func gemvColsGo[T Float](m, k int, a []T, lda int, x, y []T) {
	clear(y[:m])
	gemvColsAddGo(m, k, a, lda, x, y)
}

// gemvColsAddGo adds A·x to y as the GemvCols kernels do.
func gemvColsAddGo[T Float](m, k int, a []T, lda int, x, y []T) {
	y = y[:m]
	if m == 0 {
		return // and a may be empty
	}
	for p, xp := range x[:k] {
		col := a[p*lda : p*lda+m]
		for i, v := range col {
			y[i] = gemvFMA(xp, v, y[i])
		}
	}
}

// gemvFMA returns x*y+z rounded once, as fma does, taking the shortcut of fastFMA32 for
// float32: the references run at the Go level, where their speed is the product's.
func gemvFMA[T Float](x, y, z T) T {
	if _, ok := any(x).(float32); ok {
		return T(fastFMA32(float32(x), float32(y), float32(z)))
	}
	return T(math.FMA(float64(x), float64(y), float64(z)))
}

// fastFMA32 is fma32 with a shortcut for the usual case. The product of two float32 is exact
// in float64, so t = x*y+z is the exact result rounded once to float64; converting t to
// float32 then gives the correctly rounded result unless t landed exactly on a midpoint
// between two float32 (low 29 bits of the significand 1<<28), or lies below the normal
// float32 range, where the midpoints are elsewhere. Only those rare cases take fma32's
// rounding to odd; the test is a well-predicted branch.
func fastFMA32(x, y, z float32) float32 {
	t := float64(x)*float64(y) + float64(z)
	b := math.Float64bits(t)
	if b&(1<<29-1) != 1<<28 && b&(0x7ff<<52) >= (1023-126)<<52 {
		return float32(t)
	}
	return fma32(x, y, z)
}

//go:build !noasm

package asm

// reduceRowsF32Arch reduces the rows of x into dst at the avx2 and avx512 levels (the AVX2
// kernel serves both) when a row holds at least a vector, and reports how many rows it did.
func reduceRowsF32Arch(isa vecISA, op int, dst, x []float32, w int) int {
	if w < 8 || isa != isaAVX2 && isa != isaAVX512 {
		return 0
	}
	if op == opMax {
		reduceMaxRowsF32AVX2(&dst[0], &x[0], len(dst), w)
	} else {
		reduceMinRowsF32AVX2(&dst[0], &x[0], len(dst), w)
	}
	return len(dst)
}

// reduceMaxRowsF32AVX2 and reduceMinRowsF32AVX2 reduce rows > 0 rows of w elements, w at
// least 8.
//
//go:noescape
func reduceMaxRowsF32AVX2(dst, x *float32, rows, w int)

//go:noescape
func reduceMinRowsF32AVX2(dst, x *float32, rows, w int)

// sumRowsF32Arch sums the rows of x, of a multiple of 32 elements, into dst at the avx2 and
// avx512 levels (the AVX2 kernel serves both) and reports how many rows it did.
func sumRowsF32Arch(isa vecISA, dst []float64, x []float32, w int) int {
	if w == 0 || isa != isaAVX2 && isa != isaAVX512 {
		return 0
	}
	sumRowsF32AVX2(&dst[0], &x[0], len(dst), w)
	return len(dst)
}

// sumNarrowRowsF32Arch sums the rows of x, of 4, 8 or 16 elements (sumNarrowRows), into dst
// at the avx2 and avx512 levels and reports how many rows it did.
func sumNarrowRowsF32Arch(isa vecISA, dst []float64, x []float32, w int) int {
	if !sumNarrowRows(isa, w) {
		return 0
	}
	sumNarrowRowsF32AVX2(&dst[0], &x[0], len(dst), w)
	return len(dst)
}

// sumNarrowRows reports whether the vector kernels of level isa sum rows of w elements,
// fewer than SumF32's block, several at a call.
func sumNarrowRows(isa vecISA, w int) bool {
	return (w == 4 || w == 8 || w == 16) && (isa == isaAVX2 || isa == isaAVX512)
}

// sumNarrowRowsF32AVX2 sums rows > 0 rows of w elements, w 4, 8 or 16.
//
//go:noescape
func sumNarrowRowsF32AVX2(dst *float64, x *float32, rows, w int)

// sumRowsF32AVX2 sums rows > 0 rows of w elements, w a multiple of 32.
//
//go:noescape
func sumRowsF32AVX2(dst *float64, x *float32, rows, w int)

//go:build !noasm

package asm

// fillRowsF32Arch and fillRowsF64Arch fill the rows of dst at the avx2 and avx512 levels
// (the AVX2 kernels serve both) when a row holds at least a vector, and report how many rows
// they filled.
func fillRowsF32Arch(isa vecISA, dst []float32, w int, src []float32, stride int) int {
	if w < 8 || isa != isaAVX2 && isa != isaAVX512 {
		return 0
	}
	rows := len(dst) / w
	fillRowsF32AVX2(&dst[0], rows, w, &src[0], stride)
	return rows
}

func fillRowsF64Arch(isa vecISA, dst []float64, w int, src []float64, stride int) int {
	if w < 4 || isa != isaAVX2 && isa != isaAVX512 {
		return 0
	}
	rows := len(dst) / w
	fillRowsF64AVX2(&dst[0], rows, w, &src[0], stride)
	return rows
}

// fillRowsF32AVX2 and fillRowsF64AVX2 fill rows > 0 rows of w elements, w at least a vector.
//
//go:noescape
func fillRowsF32AVX2(dst *float32, rows, w int, src *float32, stride int)

//go:noescape
func fillRowsF64AVX2(dst *float64, rows, w int, src *float64, stride int)

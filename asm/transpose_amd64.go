//go:build !noasm

package asm

// transposeBlock is the side of the blocks the assembly of TransposeF32 (size 4) or
// TransposeF64 (size 8) takes at level isa, or 0 where it has none.
func transposeBlock(isa vecISA, size int) int {
	if isa == isaAVX2 || isa == isaAVX512 {
		return 32 / size
	}
	return 0
}

func transposeF32Arch(_ vecISA, dst []float32, ldd int, src []float32, lds, rows, cols int) {
	transposeF32AVX2(dst, ldd, src, lds, rows, cols)
}

// transposeF32AVX2 transposes rows × cols, both multiples of 8, in blocks of 8 × 8.
//
//go:noescape
func transposeF32AVX2(dst []float32, ldd int, src []float32, lds, rows, cols int)

func transposeF64Arch(_ vecISA, dst []float64, ldd int, src []float64, lds, rows, cols int) {
	transposeF64AVX2(dst, ldd, src, lds, rows, cols)
}

// transposeF64AVX2 transposes rows × cols, both multiples of 4, in blocks of 4 × 4.
//
//go:noescape
func transposeF64AVX2(dst []float64, ldd int, src []float64, lds, rows, cols int)

//go:build !noasm

package asm

// transposeBlock is the side of the blocks the assembly of TransposeF32 takes at level isa,
// or 0 where it has none.
func transposeBlock(isa vecISA) int {
	if isa == isaAVX2 || isa == isaAVX512 {
		return 8
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

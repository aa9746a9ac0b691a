//go:build !noasm

package asm

// transposeBlock is the side of the blocks the assembly of TransposeF32 (size 4) takes at
// level isa, or 0 where it has none (TransposeF64 has none).
func transposeBlock(isa vecISA, size int) int {
	if isa == isaNEON && size == 4 {
		return 4
	}
	return 0
}

func transposeF32Arch(_ vecISA, dst []float32, ldd int, src []float32, lds, rows, cols int) {
	transposeF32NEON(dst, ldd, src, lds, rows, cols)
}

// transposeF32NEON transposes rows × cols, both multiples of 4, in blocks of 4 × 4.
//
//go:noescape
func transposeF32NEON(dst []float32, ldd int, src []float32, lds, rows, cols int)

func transposeF64Arch(_ vecISA, dst []float64, ldd int, src []float64, lds, rows, cols int) {
	transposeGo(dst, ldd, src, lds, rows, cols)
}

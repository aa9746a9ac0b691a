//go:build (!amd64 && !arm64) || noasm

package asm

// Without assembly TransposeF32 and TransposeF64 are their Go twin.

func transposeBlock(vecISA, int) int { return 0 }

func transposeF32Arch(_ vecISA, dst []float32, ldd int, src []float32, lds, rows, cols int) {
	transposeGo(dst, ldd, src, lds, rows, cols)
}

func transposeF64Arch(_ vecISA, dst []float64, ldd int, src []float64, lds, rows, cols int) {
	transposeGo(dst, ldd, src, lds, rows, cols)
}

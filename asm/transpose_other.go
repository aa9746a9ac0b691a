//go:build (!amd64 && !arm64) || noasm

package asm

// Without assembly TransposeF32 is its Go twin.

func transposeBlock(vecISA) int { return 0 }

func transposeF32Arch(_ vecISA, dst []float32, ldd int, src []float32, lds, rows, cols int) {
	transposeF32Go(dst, ldd, src, lds, rows, cols)
}

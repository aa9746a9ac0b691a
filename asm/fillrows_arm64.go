//go:build !noasm

package asm

import "unsafe"

// fillRowsF32Arch and fillRowsF64Arch fill the rows of dst at the neon level when a row
// holds at least a vector, and report how many rows they filled.
func fillRowsF32Arch(isa vecISA, dst []float32, w int, src []float32, stride int) int {
	if w < 4 || isa != isaNEON {
		return 0
	}
	rows := len(dst) / w
	fillRowsNEON(unsafe.Pointer(&dst[0]), rows, 4*w, unsafe.Pointer(&src[0]), 4*stride, false)
	return rows
}

func fillRowsF64Arch(isa vecISA, dst []float64, w int, src []float64, stride int) int {
	if w < 2 || isa != isaNEON {
		return 0
	}
	rows := len(dst) / w
	fillRowsNEON(unsafe.Pointer(&dst[0]), rows, 8*w, unsafe.Pointer(&src[0]), 8*stride, true)
	return rows
}

// fillRowsNEON fills rows > 0 rows of rowBytes bytes, at least 16, each with the 4-byte
// value (8-byte when wide) at src plus a multiple of strideBytes.
//
//go:noescape
func fillRowsNEON(dst unsafe.Pointer, rows, rowBytes int, src unsafe.Pointer, strideBytes int, wide bool)

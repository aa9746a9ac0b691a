//go:build !noasm

package asm

import (
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

//go:generate go run ./_asm/gen.go

// archLevels returns the amd64 levels this CPU (and its operating system) supports.
func archLevels() []*level {
	var ls []*level
	if cpuid.CPU.Supports(cpuid.AVX2) {
		packRows4F32, packRows4F64 = packRows4F32AVX2, packRows4F64AVX2
	}
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		ls = append(ls, avx2Level)
	}
	if cpuid.CPU.Supports(cpuid.AVX512F, cpuid.FMA3) {
		ls = append(ls, avx512Level)
	}
	return ls
}

// avx2Level: 12 of the 16 ymm registers hold the tile of C.
var avx2Level = &level{
	name: "avx2",
	s:    microKernel[float32]{6, 16, gemmKernel6x16F32AVX2},
	d:    microKernel[float64]{6, 8, gemmKernel6x8F64AVX2},
}

// avx512Level: 28 of the 32 zmm registers hold the tile of C.
var avx512Level = &level{
	name: "avx512",
	s:    microKernel[float32]{14, 32, gemmKernel14x32F32AVX512},
	d:    microKernel[float64]{14, 16, gemmKernel14x16F64AVX512},
}

// The micro-kernels compute one tile of C from packed micro-panels; each is gemmMicroGo with
// its tile size (see microKernel). c must hold (MR-1)*ldc+NR elements.

//go:noescape
func gemmKernel6x16F32AVX2(k int, a, b, c []float32, ldc int, beta float32)

//go:noescape
func gemmKernel6x8F64AVX2(k int, a, b, c []float64, ldc int, beta float64)

//go:noescape
func gemmKernel14x32F32AVX512(k int, a, b, c []float32, ldc int, beta float32)

//go:noescape
func gemmKernel14x16F64AVX512(k int, a, b, c []float64, ldc int, beta float64)

// packRows4F32AVX2 and packRows4F64AVX2 are packRows4Go (see gemm.go) for four rows, from
// src = the first row (rows rs apart), into d = the first column of the micro-panel (w ≥ 4).
//
//go:noescape
func packRows4F32AVX2(d, src []float32, rs, kc, w int)

//go:noescape
func packRows4F64AVX2(d, src []float64, rs, kc, w int)

// prefetchL2 asks for the 64-byte lines from p on into L2 (a hint: p need not be valid
// memory).
//
//go:noescape
func prefetchL2(p unsafe.Pointer, lines int)

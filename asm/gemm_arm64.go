//go:build !noasm

package asm

import "unsafe"

//go:generate go run ./_asm/neongen.go

// archLevels: every arm64 CPU has NEON. The vector kernels (vec_arm64.s) and the GEMM
// micro-kernels (gemm_arm64.s) run at this level.
func archLevels() []*level { return []*level{neonLevel} }

// neonLevel: 24 of the 32 vector registers hold the tile of C.
var neonLevel = &level{
	name: "neon",
	s:    microKernel[float32]{8, 12, gemmKernel8x12F32NEON, nil, nil, nil},
	d:    microKernel[float64]{6, 8, gemmKernel6x8F64NEON, nil, nil, nil},
}

// The micro-kernels compute one tile of C from packed micro-panels; each is gemmMicroGo with
// its tile size (see microKernel). c must hold (MR-1)*ldc+NR elements.

//go:noescape
func gemmKernel8x12F32NEON(k int, a, b, c []float32, ldc int, beta float32)

//go:noescape
func gemmKernel6x8F64NEON(k int, a, b, c []float64, ldc int, beta float64)

// prefetchL2 is a hint that the NEON micro-kernels have no use for.
func prefetchL2(p unsafe.Pointer, lines int) {}

// prefetchRows is a hint that the NEON kernels, which have no row-major B, have no use for.
func prefetchRows(p unsafe.Pointer, rows, stride int) {}

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
		packRows8F32 = packRows8F32AVX2
		interleavePairs = interleavePairsAVX2
	}
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		ls = append(ls, avx2Level)
	}
	if cpuid.CPU.Supports(cpuid.AVX512F, cpuid.FMA3) {
		if !cpuid.CPU.Supports(cpuid.AVX512BF16) {
			avx512Level.b, avx512Level.bn = microKernel[float32]{}, microKernel[float32]{}
		}
		ls = append(ls, avx512Level)
	}
	return ls
}

// avx2Level: 12 of the 16 ymm registers hold the tile of C.
var avx2Level = &level{
	name: "avx2",
	s:    microKernel[float32]{6, 16, gemmKernel6x16F32AVX2, gemmKernel6x16F32AVX2RowA, gemmKernel6x16F32AVX2RowB, nil},
	d:    microKernel[float64]{6, 8, gemmKernel6x8F64AVX2, gemmKernel6x8F64AVX2RowA, gemmKernel6x8F64AVX2RowB, nil},
	sn:   microKernel[float32]{12, 8, gemmKernel12x8F32AVX2, gemmKernel12x8F32AVX2RowA, nil, nil},
	dn:   microKernel[float64]{12, 4, gemmKernel12x4F64AVX2, gemmKernel12x4F64AVX2RowA, nil, gemmKernel12x4F64AVX2ColA},
}

// avx512Level: 28 of the 32 zmm registers hold the tile of C.
var avx512Level = &level{
	name: "avx512",
	s:    microKernel[float32]{14, 32, gemmKernel14x32F32AVX512, gemmKernel14x32F32AVX512RowA, gemmKernel14x32F32AVX512RowB, nil},
	d:    microKernel[float64]{14, 16, gemmKernel14x16F64AVX512, gemmKernel14x16F64AVX512RowA, gemmKernel14x16F64AVX512RowB, gemmKernel14x16F64AVX512ColA},
	sn:   microKernel[float32]{28, 16, gemmKernel28x16F32AVX512, gemmKernel28x16F32AVX512RowA, nil, gemmKernel28x16F32AVX512ColA},
	dn:   microKernel[float64]{28, 8, gemmKernel28x8F64AVX512, gemmKernel28x8F64AVX512RowA, nil, gemmKernel28x8F64AVX512ColA},
	// With AVX512_BF16 (archLevels clears them without): the float32 tiles, each step a
	// pair of bfloat16 products.
	b:  microKernel[float32]{14, 32, gemmKernel14x32BF16AVX512, gemmKernel14x32BF16AVX512RowA, nil, nil},
	bn: microKernel[float32]{28, 16, gemmKernel28x16BF16AVX512, nil, nil, nil},
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

// The BF16 kernels are gemmMicroPairsGo with their tile sizes: a and b hold pairs of
// bfloat16 values, not float32 ones (AVX512_BF16's VDPBF16PS).

//go:noescape
func gemmKernel14x32BF16AVX512(k int, a, b, c []float32, ldc int, beta float32)

//go:noescape
func gemmKernel28x16BF16AVX512(k int, a, b, c []float32, ldc int, beta float32)

// gemmKernel14x32BF16AVX512RowA reads A's pairs from rows lda 32-bit words apart.
//
//go:noescape
func gemmKernel14x32BF16AVX512RowA(k int, a []float32, lda int, b, c []float32, ldc int, beta float32)

// The RowA kernels read the micro-panel of A from a row-major A (element (i, p) at
// a[i*lda+p]) instead of a packed one; see microKernel.rowA.

//go:noescape
func gemmKernel6x16F32AVX2RowA(k int, a []float32, lda int, b, c []float32, ldc int, beta float32)

//go:noescape
func gemmKernel6x8F64AVX2RowA(k int, a []float64, lda int, b, c []float64, ldc int, beta float64)

//go:noescape
func gemmKernel14x32F32AVX512RowA(k int, a []float32, lda int, b, c []float32, ldc int, beta float32)

//go:noescape
func gemmKernel14x16F64AVX512RowA(k int, a []float64, lda int, b, c []float64, ldc int, beta float64)

//go:noescape
func gemmKernel12x8F32AVX2RowA(k int, a []float32, lda int, b, c []float32, ldc int, beta float32)

//go:noescape
func gemmKernel12x4F64AVX2RowA(k int, a []float64, lda int, b, c []float64, ldc int, beta float64)

//go:noescape
func gemmKernel28x16F32AVX512RowA(k int, a []float32, lda int, b, c []float32, ldc int, beta float32)

//go:noescape
func gemmKernel28x8F64AVX512RowA(k int, a []float64, lda int, b, c []float64, ldc int, beta float64)

// The ColA kernels read the micro-panel of A from a column-major A (element (i, p) at
// a[p*lda+i]); see microKernel.colA.

//go:noescape
func gemmKernel14x16F64AVX512ColA(k int, a []float64, lda int, b, c []float64, ldc int, beta float64)

//go:noescape
func gemmKernel12x4F64AVX2ColA(k int, a []float64, lda int, b, c []float64, ldc int, beta float64)

//go:noescape
func gemmKernel28x16F32AVX512ColA(k int, a []float32, lda int, b, c []float32, ldc int, beta float32)

//go:noescape
func gemmKernel28x8F64AVX512ColA(k int, a []float64, lda int, b, c []float64, ldc int, beta float64)

// The RowB kernels read the micro-panel of B from a row-major B (element (p, j) at
// b[p*ldb+j]); see microKernel.rowB.

//go:noescape
func gemmKernel6x16F32AVX2RowB(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32)

//go:noescape
func gemmKernel6x8F64AVX2RowB(k int, a, b []float64, ldb int, c []float64, ldc int, beta float64)

//go:noescape
func gemmKernel14x32F32AVX512RowB(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32)

//go:noescape
func gemmKernel14x16F64AVX512RowB(k int, a, b []float64, ldb int, c []float64, ldc int, beta float64)

//go:noescape
func gemmKernel12x8F32AVX2(k int, a, b, c []float32, ldc int, beta float32)

//go:noescape
func gemmKernel12x4F64AVX2(k int, a, b, c []float64, ldc int, beta float64)

//go:noescape
func gemmKernel28x16F32AVX512(k int, a, b, c []float32, ldc int, beta float32)

//go:noescape
func gemmKernel28x8F64AVX512(k int, a, b, c []float64, ldc int, beta float64)

// packRows4F32AVX2 and packRows4F64AVX2 are packRows4Go (see gemm.go) for four rows, from
// src = the first row (rows rs apart), into d = the first column of the micro-panel (w ≥ 4).
//
//go:noescape
func packRows4F32AVX2(d, src []float32, rs, kc, w int)

//go:noescape
func packRows4F64AVX2(d, src []float64, rs, kc, w int)

// packRows8F32AVX2 is packRows8Go for float32 (w ≥ 8).
//
//go:noescape
func packRows8F32AVX2(d, src []float32, rs, kc, w int)

// interleavePairsAVX2 is interleavePairsGo; lo and hi hold at least len(dst) elements.
//
//go:noescape
func interleavePairsAVX2(dst []uint32, lo, hi []uint16)

// prefetchL2 asks for the 64-byte lines from p on into L2 (a hint: p need not be valid
// memory).
//
//go:noescape
func prefetchL2(p unsafe.Pointer, lines int)

// prefetchRows asks for the two 64-byte lines at p, p+stride, ... (rows of them) into L1 (a
// hint: p need not be valid memory).
//
//go:noescape
func prefetchRows(p unsafe.Pointer, rows, stride int)

//go:build !noasm

package asm

import "github.com/klauspost/cpuid/v2"

// hasF16C reports whether the avx2 and avx512 levels convert binary16 with F16C.
var hasF16C = cpuid.CPU.Supports(cpuid.F16C)

// halfVec returns how many elements of n the AVX2 kernels convert at level isa: whole
// vectors of 8, or 0 for the Go level.
func halfVec(isa vecISA, n int) int {
	if isa != isaAVX2 && isa != isaAVX512 {
		return 0
	}
	return n &^ 7
}

func float16ToF32Arch(isa vecISA, dst []float32, src []uint16) int {
	n := halfVec(isa, len(dst))
	if n == 0 || !hasF16C {
		return 0
	}
	float16ToF32AVX2(dst[:n], src[:n])
	return n
}

func f32ToFloat16Arch(isa vecISA, dst []uint16, src []float32) int {
	n := halfVec(isa, len(dst))
	if n == 0 || !hasF16C {
		return 0
	}
	f32ToFloat16AVX2(dst[:n], src[:n])
	return n
}

func bfloat16ToF32Arch(isa vecISA, dst []float32, src []uint16) int {
	n := halfVec(isa, len(dst))
	if n == 0 {
		return 0
	}
	bfloat16ToF32AVX2(dst[:n], src[:n])
	return n
}

func f32ToBFloat16Arch(isa vecISA, dst []uint16, src []float32) int {
	n := halfVec(isa, len(dst))
	if n == 0 {
		return 0
	}
	f32ToBFloat16AVX2(dst[:n], src[:n])
	return n
}

// The kernels of half_amd64.s take whole vectors: len(dst) a multiple of 8, src as long.

//go:noescape
func float16ToF32AVX2(dst []float32, src []uint16)

//go:noescape
func f32ToFloat16AVX2(dst []uint16, src []float32)

//go:noescape
func bfloat16ToF32AVX2(dst []float32, src []uint16)

//go:noescape
func f32ToBFloat16AVX2(dst []uint16, src []float32)

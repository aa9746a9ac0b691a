//go:build !noasm

package asm

import "github.com/klauspost/cpuid/v2"

// hasF16C reports whether the avx2 and avx512 levels convert binary16 with F16C.
var hasF16C = cpuid.CPU.Supports(cpuid.F16C)

// halfVec returns how many elements of n the kernels of level isa convert: all of them at
// AVX-512 (masked tails), whole vectors of 8 at AVX2, none at the Go level.
func halfVec(isa vecISA, n int) int {
	switch isa {
	case isaAVX512:
		return n
	case isaAVX2:
		return n &^ 7
	}
	return 0
}

func float16ToF32Arch(isa vecISA, dst []float32, src []uint16) int {
	n := halfVec(isa, len(dst))
	switch {
	case n == 0 || !hasF16C:
		return 0
	case isa == isaAVX512:
		float16ToF32AVX512(dst[:n], src[:n])
	default:
		float16ToF32AVX2(dst[:n], src[:n])
	}
	return n
}

func f32ToFloat16Arch(isa vecISA, dst []uint16, src []float32) int {
	n := halfVec(isa, len(dst))
	switch {
	case n == 0 || !hasF16C:
		return 0
	case isa == isaAVX512:
		f32ToFloat16AVX512(dst[:n], src[:n])
	default:
		f32ToFloat16AVX2(dst[:n], src[:n])
	}
	return n
}

func bfloat16ToF32Arch(isa vecISA, dst []float32, src []uint16) int {
	n := halfVec(isa, len(dst))
	switch {
	case n == 0:
		return 0
	case isa == isaAVX512:
		bfloat16ToF32AVX512(dst[:n], src[:n])
	default:
		bfloat16ToF32AVX2(dst[:n], src[:n])
	}
	return n
}

func f32ToBFloat16Arch(isa vecISA, dst []uint16, src []float32) int {
	n := halfVec(isa, len(dst))
	switch {
	case n == 0:
		return 0
	case isa == isaAVX512:
		f32ToBFloat16AVX512(dst[:n], src[:n])
	default:
		f32ToBFloat16AVX2(dst[:n], src[:n])
	}
	return n
}

func roundToFloat16Arch(isa vecISA, v []float32) int {
	n := halfVec(isa, len(v))
	switch {
	case n == 0 || !hasF16C:
		return 0
	case isa == isaAVX512:
		roundToFloat16AVX512(v[:n])
	default:
		roundToFloat16AVX2(v[:n])
	}
	return n
}

func roundToBFloat16Arch(isa vecISA, v []float32) int {
	n := halfVec(isa, len(v))
	switch {
	case n == 0:
		return 0
	case isa == isaAVX512:
		roundToBFloat16AVX512(v[:n])
	default:
		roundToBFloat16AVX2(v[:n])
	}
	return n
}

// The AVX2 kernels of half_amd64.s take whole vectors: len(dst) a multiple of 8, src as
// long; the AVX-512 ones any length, src as long.

//go:noescape
func float16ToF32AVX2(dst []float32, src []uint16)

//go:noescape
func f32ToFloat16AVX2(dst []uint16, src []float32)

//go:noescape
func bfloat16ToF32AVX2(dst []float32, src []uint16)

//go:noescape
func f32ToBFloat16AVX2(dst []uint16, src []float32)

//go:noescape
func float16ToF32AVX512(dst []float32, src []uint16)

//go:noescape
func f32ToFloat16AVX512(dst []uint16, src []float32)

//go:noescape
func bfloat16ToF32AVX512(dst []float32, src []uint16)

//go:noescape
func f32ToBFloat16AVX512(dst []uint16, src []float32)

//go:noescape
func roundToFloat16AVX512(v []float32)

//go:noescape
func roundToBFloat16AVX512(v []float32)

//go:noescape
func roundToFloat16AVX2(v []float32)

//go:noescape
func roundToBFloat16AVX2(v []float32)

package asm

import "github.com/crossbar-compute/crossbar/internal/half"

// Batch conversions between float32 and the 16-bit float formats of internal/half: IEEE 754
// binary16 (Float16) and bfloat16 (BFloat16). Each has a Go twin (the ...Go functions below,
// built on internal/half) and, where the level has one, an assembly kernel that agrees with it
// bit for bit, NaN payloads aside: AVX2+F16C on amd64 (also used at the avx512 level). The
// neon level, and amd64 CPUs without F16C, use the Go twins. The kernels take whole vectors of
// 8 elements; the last partial vector goes through the Go twin.
//
// src must be at least as long as dst; dst and src must not overlap.

// Float16ToF32 sets dst[i] to the float32 value of the binary16 bits src[i] (exact).
//
//	for i := range dst {
//		dst[i] = half.Float16To(src[i])
//	}
func Float16ToF32(dst []float32, src []uint16) { float16ToF32(activeISA(), dst, src) }

// F32ToFloat16 sets dst[i] to the binary16 bits of src[i] rounded to nearest, ties to even
// (overflow gives ±Inf, NaN a quiet NaN).
//
//	for i := range dst {
//		dst[i] = half.Float16From(src[i])
//	}
func F32ToFloat16(dst []uint16, src []float32) { f32ToFloat16(activeISA(), dst, src) }

// BFloat16ToF32 sets dst[i] to the float32 value of the bfloat16 bits src[i] (exact: a shift).
//
//	for i := range dst {
//		dst[i] = half.BFloat16To(src[i])
//	}
func BFloat16ToF32(dst []float32, src []uint16) { bfloat16ToF32(activeISA(), dst, src) }

// F32ToBFloat16 sets dst[i] to the bfloat16 bits of src[i] rounded to nearest, ties to even;
// NaN stays a quiet NaN.
//
//	for i := range dst {
//		dst[i] = half.BFloat16From(src[i])
//	}
func F32ToBFloat16(dst []uint16, src []float32) { f32ToBFloat16(activeISA(), dst, src) }

// The dispatchers: the ...Arch functions convert a prefix of whole vectors and return its
// length (0 where the level has no kernel); the Go twin does the rest.

func float16ToF32(isa vecISA, dst []float32, src []uint16) {
	src = src[:len(dst)]
	n := float16ToF32Arch(isa, dst, src)
	float16ToF32Go(dst[n:], src[n:])
}

func f32ToFloat16(isa vecISA, dst []uint16, src []float32) {
	src = src[:len(dst)]
	n := f32ToFloat16Arch(isa, dst, src)
	f32ToFloat16Go(dst[n:], src[n:])
}

func bfloat16ToF32(isa vecISA, dst []float32, src []uint16) {
	src = src[:len(dst)]
	n := bfloat16ToF32Arch(isa, dst, src)
	bfloat16ToF32Go(dst[n:], src[n:])
}

func f32ToBFloat16(isa vecISA, dst []uint16, src []float32) {
	src = src[:len(dst)]
	n := f32ToBFloat16Arch(isa, dst, src)
	f32ToBFloat16Go(dst[n:], src[n:])
}

func float16ToF32Go(dst []float32, src []uint16) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] = half.Float16To(src[i])
	}
}

func f32ToFloat16Go(dst []uint16, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] = half.Float16From(src[i])
	}
}

func bfloat16ToF32Go(dst []float32, src []uint16) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] = half.BFloat16To(src[i])
	}
}

func f32ToBFloat16Go(dst []uint16, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] = half.BFloat16From(src[i])
	}
}

package asm

import "github.com/crossbar-compute/crossbar/internal/half"

// Batch conversions between float32 and the 16-bit float formats of internal/half: IEEE 754
// binary16 (Float16) and bfloat16 (BFloat16). Each has a Go twin (the ...Go functions below,
// built on internal/half) and, where the level has one, an assembly kernel that agrees with it
// bit for bit, NaN payloads aside: AVX-512 and AVX2 (float16 with F16C) on amd64, NEON on
// arm64; float16 on amd64 CPUs without F16C uses the Go twins. The AVX-512 kernels take any
// length (masked tails); the AVX2 and NEON ones whole vectors of 8, the rest going through
// the Go twin.
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

// RoundToFloat16 rounds each float32 of v to the nearest binary16 value, ties to even, in
// place: F32ToFloat16 then Float16ToF32, in one pass where the level has a kernel.
//
//	for i := range v {
//		v[i] = half.Float16To(half.Float16From(v[i]))
//	}
func RoundToFloat16(v []float32) { roundHalf(activeISA(), false, v) }

// RoundToBFloat16 is RoundToFloat16 for bfloat16.
//
//	for i := range v {
//		v[i] = half.BFloat16To(half.BFloat16From(v[i]))
//	}
func RoundToBFloat16(v []float32) { roundHalf(activeISA(), true, v) }

// roundHalf rounds v to bfloat16 (bf16) or float16 in place: with the level's kernel where it
// has one, else narrowed and widened a stretch at a time by the level's conversions.
func roundHalf(isa vecISA, bf16 bool, v []float32) {
	var n int
	if bf16 {
		n = roundToBFloat16Arch(isa, v)
	} else {
		n = roundToFloat16Arch(isa, v)
	}
	var h [256]uint16
	for v = v[n:]; len(v) > 0; {
		m := min(len(v), len(h))
		if bf16 {
			f32ToBFloat16(isa, h[:m], v[:m])
			bfloat16ToF32(isa, v[:m], h[:m])
		} else {
			f32ToFloat16(isa, h[:m], v[:m])
			float16ToF32(isa, v[:m], h[:m])
		}
		v = v[m:]
	}
}

// roundHalfGo is the Go twin of the rounding kernels.
func roundHalfGo(bf16 bool, v []float32) {
	for i, x := range v {
		if bf16 {
			v[i] = half.BFloat16To(half.BFloat16From(x))
		} else {
			v[i] = half.Float16To(half.Float16From(x))
		}
	}
}

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

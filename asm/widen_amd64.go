//go:build !noasm

package asm

// widenI32Arch and narrowI32Arch convert the whole steps of 16 elements in dst at the avx2
// and avx512 levels (the AVX2 kernels serve both) and report how many they converted.
func widenI32Arch(isa vecISA, dst []int64, src []int32) int {
	n := len(dst) &^ 15
	if n == 0 || isa != isaAVX2 && isa != isaAVX512 {
		return 0
	}
	widenI32AVX2(&dst[0], &src[0], n)
	return n
}

func narrowI32Arch(isa vecISA, dst []int32, src []int64) int {
	n := len(dst) &^ 15
	if n == 0 || isa != isaAVX2 && isa != isaAVX512 {
		return 0
	}
	narrowI32AVX2(&dst[0], &src[0], n)
	return n
}

// widenU8Arch and narrowU8Arch are widenI32Arch and narrowI32Arch for uint8 values.
func widenU8Arch(isa vecISA, dst []int64, src []uint8) int {
	n := len(dst) &^ 15
	if n == 0 || isa != isaAVX2 && isa != isaAVX512 {
		return 0
	}
	widenU8AVX2(&dst[0], &src[0], n)
	return n
}

func narrowU8Arch(isa vecISA, dst []uint8, src []int64) int {
	n := len(dst) &^ 15
	if n == 0 || isa != isaAVX2 && isa != isaAVX512 {
		return 0
	}
	narrowU8AVX2(&dst[0], &src[0], n)
	return n
}

// widenI32AVX2 and narrowI32AVX2 convert n elements, a multiple of 16.
//
//go:noescape
func widenI32AVX2(dst *int64, src *int32, n int)

//go:noescape
func narrowI32AVX2(dst *int32, src *int64, n int)

// widenU8AVX2 and narrowU8AVX2 convert n elements, a multiple of 16.
//
//go:noescape
func widenU8AVX2(dst *int64, src *uint8, n int)

//go:noescape
func narrowU8AVX2(dst *uint8, src *int64, n int)

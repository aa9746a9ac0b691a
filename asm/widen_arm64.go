//go:build !noasm

package asm

// widenI32Arch and narrowI32Arch convert the whole steps of 8 elements in dst at the neon
// level and report how many they converted.
func widenI32Arch(isa vecISA, dst []int64, src []int32) int {
	n := len(dst) &^ 7
	if n == 0 || isa != isaNEON {
		return 0
	}
	widenI32NEON(&dst[0], &src[0], n)
	return n
}

func narrowI32Arch(isa vecISA, dst []int32, src []int64) int {
	n := len(dst) &^ 7
	if n == 0 || isa != isaNEON {
		return 0
	}
	narrowI32NEON(&dst[0], &src[0], n)
	return n
}

// widenU8Arch and narrowU8Arch convert the whole steps of 16 elements in dst at the neon
// level and report how many they converted.
func widenU8Arch(isa vecISA, dst []int64, src []uint8) int {
	n := len(dst) &^ 15
	if n == 0 || isa != isaNEON {
		return 0
	}
	widenU8NEON(&dst[0], &src[0], n)
	return n
}

func narrowU8Arch(isa vecISA, dst []uint8, src []int64) int {
	n := len(dst) &^ 15
	if n == 0 || isa != isaNEON {
		return 0
	}
	narrowU8NEON(&dst[0], &src[0], n)
	return n
}

// widenI32NEON and narrowI32NEON convert n elements, a multiple of 8.
//
//go:noescape
func widenI32NEON(dst *int64, src *int32, n int)

//go:noescape
func narrowI32NEON(dst *int32, src *int64, n int)

// widenU8NEON and narrowU8NEON convert n elements, a multiple of 16.
//
//go:noescape
func widenU8NEON(dst *int64, src *uint8, n int)

//go:noescape
func narrowU8NEON(dst *uint8, src *int64, n int)

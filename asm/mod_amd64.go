//go:build !noasm

package asm

// modStep32 and modStep64 are the widths of the remainder kernels' steps at the avx2 and
// avx512 levels (the AVX2 kernels serve both), 0 at the others.
func modStep32(isa vecISA) int {
	if isa != isaAVX2 && isa != isaAVX512 {
		return 0
	}
	return 8
}

func modStep64(isa vecISA) int {
	if isa != isaAVX2 && isa != isaAVX512 {
		return 0
	}
	return 4
}

// modF32Arch and modF64Arch compute the whole steps of dst up to the first that holds an
// operand out of the kernels' range and report how many elements they did.
func modF32Arch(isa vecISA, dst, x, y []float32, floored bool) int {
	n := len(dst) &^ 7
	if n == 0 || modStep32(isa) == 0 {
		return 0
	}
	return modF32AVX2(&dst[0], &x[0], &y[0], n, floored)
}

func modF64Arch(isa vecISA, dst, x, y []float64, floored bool) int {
	n := len(dst) &^ 3
	if n == 0 || modStep64(isa) == 0 {
		return 0
	}
	return modF64AVX2(&dst[0], &x[0], &y[0], n, floored)
}

// modF32AVX2 and modF64AVX2 compute up to n elements, a multiple of their step.
//
//go:noescape
func modF32AVX2(dst, x, y *float32, n int, floored bool) int

//go:noescape
func modF64AVX2(dst, x, y *float64, n int, floored bool) int

//go:build !noasm

package asm

// modStep32 and modStep64 are the widths of the remainder kernels' steps at the neon level,
// 0 at the others.
func modStep32(isa vecISA) int {
	if isa != isaNEON {
		return 0
	}
	return 4
}

func modStep64(isa vecISA) int { return modStep32(isa) }

// modF32Arch and modF64Arch compute the whole steps of dst up to the first that holds an
// operand out of the kernels' range and report how many elements they did.
func modF32Arch(isa vecISA, dst, x, y []float32, floored bool) int {
	n := len(dst) &^ 3
	if n == 0 || isa != isaNEON {
		return 0
	}
	return modF32NEON(&dst[0], &x[0], &y[0], n, floored)
}

func modF64Arch(isa vecISA, dst, x, y []float64, floored bool) int {
	n := len(dst) &^ 3
	if n == 0 || isa != isaNEON {
		return 0
	}
	return modF64NEON(&dst[0], &x[0], &y[0], n, floored)
}

// modF32NEON and modF64NEON compute up to n elements, a multiple of 4.
//
//go:noescape
func modF32NEON(dst, x, y *float32, n int, floored bool) int

//go:noescape
func modF64NEON(dst, x, y *float64, n int, floored bool) int

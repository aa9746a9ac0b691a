//go:build !noasm

package asm

// reduceRowsF32Arch reduces the rows of x into dst at the neon level when a row holds at
// least a vector, and reports how many rows it did.
func reduceRowsF32Arch(isa vecISA, op int, dst, x []float32, w int) int {
	if w < 4 || isa != isaNEON {
		return 0
	}
	if op == opMax {
		reduceMaxRowsF32NEON(&dst[0], &x[0], len(dst), w)
	} else {
		reduceMinRowsF32NEON(&dst[0], &x[0], len(dst), w)
	}
	return len(dst)
}

// reduceMaxRowsF32NEON and reduceMinRowsF32NEON reduce rows > 0 rows of w elements, w at
// least 4.
//
//go:noescape
func reduceMaxRowsF32NEON(dst, x *float32, rows, w int)

//go:noescape
func reduceMinRowsF32NEON(dst, x *float32, rows, w int)

// sumRowsF32Arch sums the rows of x, of a multiple of 32 elements, into dst at the neon level
// and reports how many rows it did.
func sumRowsF32Arch(isa vecISA, dst []float64, x []float32, w int) int {
	if w == 0 || isa != isaNEON {
		return 0
	}
	sumRowsF32NEON(&dst[0], &x[0], len(dst), w)
	return len(dst)
}

// sumRowsF32NEON sums rows > 0 rows of w elements, w a multiple of 32.
//
//go:noescape
func sumRowsF32NEON(dst *float64, x *float32, rows, w int)

// sumNarrowRowsF32Arch: rows shorter than SumF32's block are summed a row at a time on
// arm64.
func sumNarrowRowsF32Arch(vecISA, []float64, []float32, int) int { return 0 }

func sumNarrowRows(vecISA, int) bool { return false }

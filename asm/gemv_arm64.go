//go:build !noasm

package asm

func gemvRowsF32Arch(_ vecISA, m, k int, a []float32, lda int, x, y []float32) {
	gemvRowsF32NEON(m, k, a, lda, x, y)
}

func gemvRowsF64Arch(_ vecISA, m, k int, a []float64, lda int, x, y []float64) {
	gemvRowsF64NEON(m, k, a, lda, x, y)
}

func gemvColsF32Arch(_ vecISA, m, k int, a []float32, lda int, x, y []float32) {
	gemvColsF32NEON(m, k, a, lda, x, y)
}

func gemvColsF64Arch(_ vecISA, m, k int, a []float64, lda int, x, y []float64) {
	gemvColsF64NEON(m, k, a, lda, x, y)
}

// The GEMV kernels of vec_arm64.s take m, k ≥ 1 and slices of exactly the lengths the sizes
// reach (see gemv.go); the GemvCols ones add A·x to y.

//go:noescape
func gemvRowsF32NEON(m, k int, a []float32, lda int, x, y []float32)

//go:noescape
func gemvRowsF64NEON(m, k int, a []float64, lda int, x, y []float64)

//go:noescape
func gemvColsF32NEON(m, k int, a []float32, lda int, x, y []float32)

//go:noescape
func gemvColsF64NEON(m, k int, a []float64, lda int, x, y []float64)

// There are no kernels of GemvRowsBF16, GemvColsBF16 and their float16 twins here: the
// dispatchers widen a row or a column at a time.
func gemvHalfArch(vecISA, bool, bool) gemvHalfKernel { return nil }

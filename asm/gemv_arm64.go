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

// gemvHalfKernels are the kernels of vec_arm64.s that widen 16-bit matrices as they read
// them, by [GemvCols][bfloat16].
var gemvHalfKernels = [2][2]gemvHalfKernel{
	{gemvRowsF16NEON, gemvRowsBF16NEON},
	{gemvColsF16NEON, gemvColsBF16NEON},
}

// gemvHalfArch returns the kernel of GemvRowsBF16 (bf16, not cols), GemvColsBF16 (bf16, cols)
// or their float16 twins at level isa, or nil for the Go level.
func gemvHalfArch(isa vecISA, bf16, cols bool) gemvHalfKernel {
	if isa != isaNEON {
		return nil
	}
	return gemvHalfKernels[b2i(cols)][b2i(bf16)]
}

//go:noescape
func gemvRowsBF16NEON(m, k int, a []uint16, lda int, x, y []float32)

//go:noescape
func gemvRowsF16NEON(m, k int, a []uint16, lda int, x, y []float32)

//go:noescape
func gemvColsBF16NEON(m, k int, a []uint16, lda int, x, y []float32)

//go:noescape
func gemvColsF16NEON(m, k int, a []uint16, lda int, x, y []float32)

//go:build !noasm

package asm

func gemvRowsF32Arch(isa vecISA, m, k int, a []float32, lda int, x, y []float32) {
	if isa == isaAVX512 {
		gemvRowsF32AVX512(m, k, a, lda, x, y)
	} else {
		gemvRowsF32AVX2(m, k, a, lda, x, y)
	}
}

func gemvRowsF64Arch(isa vecISA, m, k int, a []float64, lda int, x, y []float64) {
	if isa == isaAVX512 {
		gemvRowsF64AVX512(m, k, a, lda, x, y)
	} else {
		gemvRowsF64AVX2(m, k, a, lda, x, y)
	}
}

func gemvColsF32Arch(isa vecISA, m, k int, a []float32, lda int, x, y []float32) {
	if isa == isaAVX512 {
		gemvColsF32AVX512(m, k, a, lda, x, y)
	} else {
		gemvColsF32AVX2(m, k, a, lda, x, y)
	}
}

func gemvColsF64Arch(isa vecISA, m, k int, a []float64, lda int, x, y []float64) {
	if isa == isaAVX512 {
		gemvColsF64AVX512(m, k, a, lda, x, y)
	} else {
		gemvColsF64AVX2(m, k, a, lda, x, y)
	}
}

// gemvHalfKernels are the kernels of vec_amd64.s that widen 16-bit matrices as they read
// them, by [GemvCols][bfloat16][AVX-512].
var gemvHalfKernels = [2][2][2]gemvHalfKernel{
	{{gemvRowsF16AVX2, gemvRowsF16AVX512}, {gemvRowsBF16AVX2, gemvRowsBF16AVX512}},
	{{gemvColsF16AVX2, gemvColsF16AVX512}, {gemvColsBF16AVX2, gemvColsBF16AVX512}},
}

// gemvHalfArch returns the kernel of GemvRowsBF16 (bf16, not cols), GemvColsBF16 (bf16, cols)
// or their float16 twins at level isa, or nil where it has none (float16 needs F16C).
func gemvHalfArch(isa vecISA, bf16, cols bool) gemvHalfKernel {
	if isa != isaAVX2 && isa != isaAVX512 || !bf16 && !hasF16C {
		return nil
	}
	return gemvHalfKernels[b2i(cols)][b2i(bf16)][b2i(isa == isaAVX512)]
}

// The GEMV kernels of vec_amd64.s take m, k ≥ 1 and slices of exactly the lengths the sizes
// reach (see gemv.go); the GemvCols ones add A·x to y.

//go:noescape
func gemvRowsF32AVX2(m, k int, a []float32, lda int, x, y []float32)

//go:noescape
func gemvRowsF32AVX512(m, k int, a []float32, lda int, x, y []float32)

//go:noescape
func gemvRowsF64AVX2(m, k int, a []float64, lda int, x, y []float64)

//go:noescape
func gemvRowsF64AVX512(m, k int, a []float64, lda int, x, y []float64)

//go:noescape
func gemvColsF32AVX2(m, k int, a []float32, lda int, x, y []float32)

//go:noescape
func gemvColsF32AVX512(m, k int, a []float32, lda int, x, y []float32)

//go:noescape
func gemvColsF64AVX2(m, k int, a []float64, lda int, x, y []float64)

//go:noescape
func gemvColsF64AVX512(m, k int, a []float64, lda int, x, y []float64)

//go:noescape
func gemvRowsBF16AVX2(m, k int, a []uint16, lda int, x, y []float32)

//go:noescape
func gemvRowsBF16AVX512(m, k int, a []uint16, lda int, x, y []float32)

//go:noescape
func gemvRowsF16AVX2(m, k int, a []uint16, lda int, x, y []float32)

//go:noescape
func gemvRowsF16AVX512(m, k int, a []uint16, lda int, x, y []float32)

//go:noescape
func gemvColsBF16AVX2(m, k int, a []uint16, lda int, x, y []float32)

//go:noescape
func gemvColsBF16AVX512(m, k int, a []uint16, lda int, x, y []float32)

//go:noescape
func gemvColsF16AVX2(m, k int, a []uint16, lda int, x, y []float32)

//go:noescape
func gemvColsF16AVX512(m, k int, a []uint16, lda int, x, y []float32)

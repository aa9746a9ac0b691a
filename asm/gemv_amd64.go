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

// hasGemvHalf reports whether level isa has kernels for GemvRowsBF16 and GemvColsBF16 (bf16)
// or their float16 twins, which need F16C.
func hasGemvHalf(isa vecISA, bf16 bool) bool {
	return (isa == isaAVX2 || isa == isaAVX512) && (bf16 || hasF16C)
}

// gemvRowsHalfArch runs the kernel of GemvRowsBF16 (bf16) or GemvRowsF16 at level isa (see
// hasGemvHalf).
func gemvRowsHalfArch(isa vecISA, bf16 bool, m, k int, a []uint16, lda int, x, y []float32) {
	switch {
	case bf16 && isa == isaAVX512:
		gemvRowsBF16AVX512(m, k, a, lda, x, y)
	case bf16:
		gemvRowsBF16AVX2(m, k, a, lda, x, y)
	case isa == isaAVX512:
		gemvRowsF16AVX512(m, k, a, lda, x, y)
	default:
		gemvRowsF16AVX2(m, k, a, lda, x, y)
	}
}

// gemvColsHalfArch runs the kernel of GemvColsBF16 (bf16) or GemvColsF16 at level isa,
// adding A·x to y.
func gemvColsHalfArch(isa vecISA, bf16 bool, m, k int, a []uint16, lda int, x, y []float32) {
	switch {
	case bf16 && isa == isaAVX512:
		gemvColsBF16AVX512(m, k, a, lda, x, y)
	case bf16:
		gemvColsBF16AVX2(m, k, a, lda, x, y)
	case isa == isaAVX512:
		gemvColsF16AVX512(m, k, a, lda, x, y)
	default:
		gemvColsF16AVX2(m, k, a, lda, x, y)
	}
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

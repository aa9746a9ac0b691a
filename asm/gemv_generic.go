//go:build (!amd64 && !arm64) || noasm

package asm

// Without assembly the dispatchers of gemv.go call only the Go references (hasISA admits no
// other level); these do what the assembly would, for completeness.

func gemvRowsF32Arch(isa vecISA, m, k int, a []float32, lda int, x, y []float32) {
	gemvRowsGo(isa.gemvLanes(4), m, k, a, lda, x, y)
}

func gemvRowsF64Arch(isa vecISA, m, k int, a []float64, lda int, x, y []float64) {
	gemvRowsGo(isa.gemvLanes(8), m, k, a, lda, x, y)
}

// The GemvCols kernels add A·x to y.

func gemvColsF32Arch(_ vecISA, m, k int, a []float32, lda int, x, y []float32) {
	gemvColsAddGo(m, k, a, lda, x, y)
}

func gemvColsF64Arch(_ vecISA, m, k int, a []float64, lda int, x, y []float64) {
	gemvColsAddGo(m, k, a, lda, x, y)
}

// There are no kernels of GemvRowsBF16, GemvColsBF16 and their float16 twins here: the
// dispatchers widen a row or a column at a time.
func gemvHalfArch(vecISA, bool, bool) gemvHalfKernel { return nil }

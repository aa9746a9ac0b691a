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

// There is no kernel of GemvRowsBF16 or GemvRowsF16 here: gemvRowsHalf widens row by row.
func gemvRowsHalfArch(vecISA, bool, int, int, []uint16, int, []float32, []float32) bool { return false }

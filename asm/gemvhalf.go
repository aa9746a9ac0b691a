package asm

// GemvRowsBF16 is GemvRowsF32 for a matrix of bfloat16 values (their bits, as BFloat16ToF32
// reads them): y[i] is the dot product of row i of the m×k row-major matrix a (row i starts
// at a[i*lda]; lda ≥ k) with x, for i < m, each row widened to float32 as it is read. y is
// bit for bit what GemvRowsF32 gives for the widened matrix, at every level (NaN payloads
// aside). A matrix-vector product with a 16-bit weight matrix (a language model's decoding
// step) thus reads the weights once, two bytes an element, instead of a widened copy.
//
//	for i := range m {
//		var s float32
//		for p := range k {
//			s += bf16(a[i*lda+p]) * x[p]
//		}
//		y[i] = s
//	}
func GemvRowsBF16(m, k int, a []uint16, lda int, x, y []float32) {
	a = a[:matrixSpan("GemvRowsBF16", m, k, lda):len(a)]
	gemvRowsHalf(activeISA(), true, m, k, a, lda, x[:k:len(x)], y[:m:len(y)])
}

// GemvRowsF16 is GemvRowsBF16 for a matrix of IEEE binary16 values (as Float16ToF32 reads
// them).
func GemvRowsF16(m, k int, a []uint16, lda int, x, y []float32) {
	a = a[:matrixSpan("GemvRowsF16", m, k, lda):len(a)]
	gemvRowsHalf(activeISA(), false, m, k, a, lda, x[:k:len(x)], y[:m:len(y)])
}

// gemvRowsHalf dispatches GemvRowsBF16 (bf16) and GemvRowsF16: to a kernel that widens the
// rows as it goes where there is one (AVX2 and AVX-512; float16 there with F16C), else row
// by row, each widened whole and then multiplied by GemvRowsF32's kernel at the same level,
// which is also the Go twin of the kernels.
func gemvRowsHalf(isa vecISA, bf16 bool, m, k int, a []uint16, lda int, x, y []float32) {
	if m == 0 || k == 0 {
		clear(y)
		return
	}
	if isa != isaGo && gemvRowsHalfArch(isa, bf16, m, k, a, lda, x, y) {
		return
	}
	gemvRowsHalfGo(isa, bf16, m, k, a, lda, x, y)
}

// gemvRowsHalfGo widens each row of a into a scratch row and runs GemvRowsF32's kernel of
// level isa on it.
func gemvRowsHalfGo(isa vecISA, bf16 bool, m, k int, a []uint16, lda int, x, y []float32) {
	row := make([]float32, k)
	for i := range m {
		r := a[i*lda : i*lda+k]
		if bf16 {
			bfloat16ToF32(isa, row, r)
		} else {
			float16ToF32(isa, row, r)
		}
		gemvRowsF32(isa, 1, k, row, k, x, y[i:i+1])
	}
}

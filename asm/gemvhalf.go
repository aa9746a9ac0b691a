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

// GemvColsBF16 is GemvColsF32 for a matrix of bfloat16 values: y is the product of the m×k
// column-major matrix a (column p starts at a[p*lda]; lda ≥ m) with x, each column widened
// to float32 as it is read, bit for bit GemvColsF32's of the widened matrix (NaN payloads
// aside). A row-major k×m weight matrix (stored [in, out]) times a vector is this product.
//
//	clear(y[:m])
//	for p := range k {
//		for i := range m {
//			y[i] += x[p] * bf16(a[p*lda+i])
//		}
//	}
func GemvColsBF16(m, k int, a []uint16, lda int, x, y []float32) {
	a = a[:matrixSpan("GemvColsBF16", k, m, lda):len(a)]
	gemvColsHalf(activeISA(), true, m, k, a, lda, x[:k:len(x)], y[:m:len(y)])
}

// GemvColsF16 is GemvColsBF16 for a matrix of IEEE binary16 values.
func GemvColsF16(m, k int, a []uint16, lda int, x, y []float32) {
	a = a[:matrixSpan("GemvColsF16", k, m, lda):len(a)]
	gemvColsHalf(activeISA(), false, m, k, a, lda, x[:k:len(x)], y[:m:len(y)])
}

// gemvHalfKernel is a kernel of GemvRowsBF16, GemvColsBF16 or their float16 twins (the
// GemvCols ones add A·x to y); gemvHalfArch returns the one of level isa, or nil.
type gemvHalfKernel func(m, k int, a []uint16, lda int, x, y []float32)

// gemvRowsHalf dispatches GemvRowsBF16 (bf16) and GemvRowsF16: to a kernel that widens the
// rows as it goes where there is one (AVX2 and AVX-512, float16 there with F16C; NEON), else
// row by row, each widened whole and then multiplied by GemvRowsF32's kernel at the same
// level, which is also the Go twin of the kernels.
func gemvRowsHalf(isa vecISA, bf16 bool, m, k int, a []uint16, lda int, x, y []float32) {
	if m == 0 || k == 0 {
		clear(y)
		return
	}
	if kern := gemvHalfArch(isa, bf16, false); kern != nil {
		kern(m, k, a, lda, x, y)
		return
	}
	row := make([]float32, k)
	for i := range m {
		widenHalf(isa, bf16, row, a[i*lda:i*lda+k])
		gemvRowsF32(isa, 1, k, row, k, x, y[i:i+1])
	}
}

// gemvColsHalf dispatches GemvColsBF16 (bf16) and GemvColsF16 as gemvColsF32 does its
// kernels, y a block at a time, where there is a kernel that widens as it goes; else column
// by column, each widened whole and added by GemvColsF32's kernel at the same level.
func gemvColsHalf(isa vecISA, bf16 bool, m, k int, a []uint16, lda int, x, y []float32) {
	clear(y)
	gemvColsAddHalf(isa, bf16, m, k, a, lda, x, y)
}

// gemvColsAddHalf is gemvColsHalf adding A·x to y.
func gemvColsAddHalf(isa vecISA, bf16 bool, m, k int, a []uint16, lda int, x, y []float32) {
	if m == 0 || k == 0 {
		return
	}
	if kern := gemvHalfArch(isa, bf16, true); kern != nil {
		for i := 0; i < m; i += gemvColsBlock / 4 {
			n := min(gemvColsBlock/4, m-i)
			kern(n, k, a[i:], lda, x, y[i:i+n])
		}
		return
	}
	col := make([]float32, m)
	for p := range k {
		widenHalf(isa, bf16, col, a[p*lda:p*lda+m])
		if isa == isaGo {
			gemvColsAddGo(m, 1, col, m, x[p:p+1], y)
		} else {
			gemvColsF32Arch(isa, m, 1, col, m, x[p:p+1], y)
		}
	}
}

// widenHalf converts the bfloat16 (bf16) or float16 values src to dst at level isa.
func widenHalf(isa vecISA, bf16 bool, dst []float32, src []uint16) {
	if bf16 {
		bfloat16ToF32(isa, dst, src)
	} else {
		float16ToF32(isa, dst, src)
	}
}

// b2i is 1 for true, 0 for false: an index of the tables of kernels.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

package asm

import "math"

// ReduceMaxRowsF32 sets dst[i] to the largest element of row i of x, rows of w > 0
// elements, as ReduceMaxF32 of the row: NaN if any is NaN, +0 over -0. x must hold
// len(dst) rows.
//
//	for i := range dst {
//		dst[i] = ReduceMaxF32(x[i*w : i*w+w])
//	}
//
// It is one call for many short rows (a softmax's row maxima over rows of 64), where
// ReduceMaxF32 would be a call a row.
func ReduceMaxRowsF32(dst, x []float32, w int) { reduceRowsF32(activeISA(), opMax, dst, x, w) }

// ReduceMinRowsF32 is ReduceMaxRowsF32 for the smallest elements: NaN if any is NaN, -0
// under +0.
func ReduceMinRowsF32(dst, x []float32, w int) { reduceRowsF32(activeISA(), opMin, dst, x, w) }

func reduceRowsF32(isa vecISA, op int, dst, x []float32, w int) {
	if len(dst) == 0 {
		return
	}
	x = x[:len(dst)*w]
	n := reduceRowsF32Arch(isa, op, dst, x, w)
	for i := n; i < len(dst); i++ {
		dst[i] = reduceF32(isa, op, x[i*w:i*w+w])
	}
}

// reduceRowsGo is the reference of ReduceMaxRowsF32's and ReduceMinRowsF32's kernels.
func reduceRowsGo(op int, dst, x []float32, w int) {
	id := float32(math.Inf(-1))
	if op == opMin {
		id = float32(math.Inf(1))
	}
	for i := range dst {
		dst[i] = reduceGo(op, id, x[i*w:i*w+w])
	}
}

// SumRowsF32 sets dst[i] to the sum of row i of x, rows of w > 0 elements, as SumF32 of the
// row (the same bits). x must hold len(dst) rows.
//
//	for i := range dst {
//		dst[i] = SumF32(x[i*w : i*w+w])
//	}
//
// It is one call for many short rows (a softmax's sums over rows of 64), where SumF32 would
// be a call a row; rows whose length is not a multiple of 32 (SumF32's block) are summed a
// call a row, but for rows of 4, 8 and 16 where SumRowsNarrow says so.
func SumRowsF32(dst []float64, x []float32, w int) { sumRowsF32(activeISA(), dst, x, w) }

// SumRowsNarrow reports whether SumRowsF32 sums rows of w (fewer than 32) values in one
// call of a vector kernel on this CPU, rather than a call a row.
func SumRowsNarrow(w int) bool { return sumNarrowRows(activeISA(), w) }

func sumRowsF32(isa vecISA, dst []float64, x []float32, w int) {
	if len(dst) == 0 {
		return
	}
	x = x[:len(dst)*w]
	n := 0
	if w%sumBlock == 0 {
		n = sumRowsF32Arch(isa, dst, x, w)
	} else if sumNarrowRows(isa, w) {
		n = sumNarrowRowsF32Arch(isa, dst, x, w)
	}
	for i := n; i < len(dst); i++ {
		dst[i] = sumF32(isa, x[i*w:i*w+w])
	}
}

// sumRowsGo is the reference of SumRowsF32's kernels: SumF32's definition, a row at a time.
func sumRowsGo(dst []float64, x []float32, w int) {
	for i := range dst {
		var lane [32]float64
		for j, v := range x[i*w : i*w+w] {
			lane[j%32] += float64(v)
		}
		dst[i] = sumLanes(&lane)
	}
}

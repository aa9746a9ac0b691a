package asm

// FillRowsF32 fills dst, rows of w elements (len(dst) a multiple of w), row i with
// src[i*stride] (stride >= 0): a value a row spread along it, as a row's maximum is spread
// over the row's elements in a softmax.
//
//	for i := 0; i*w < len(dst); i++ {
//		for j := range w {
//			dst[i*w+j] = src[i*stride]
//		}
//	}
//
// It is one call for many short rows, where FillF32 would be a call a row.
func FillRowsF32(dst []float32, w int, src []float32, stride int) {
	fillRowsF32(activeISA(), dst, w, src, stride)
}

// FillRowsF64 is FillRowsF32 for float64 values.
func FillRowsF64(dst []float64, w int, src []float64, stride int) {
	fillRowsF64(activeISA(), dst, w, src, stride)
}

func fillRowsF32(isa vecISA, dst []float32, w int, src []float32, stride int) {
	fillRows(isa, dst, w, src, stride, fillRowsF32Arch)
}

func fillRowsF64(isa vecISA, dst []float64, w int, src []float64, stride int) {
	fillRows(isa, dst, w, src, stride, fillRowsF64Arch)
}

// fillRows fills the rows of dst by the kernel arch, which reports how many rows it did,
// and the rest by fillRowsGo.
func fillRows[T float32 | float64](isa vecISA, dst []T, w int, src []T, stride int, arch func(vecISA, []T, int, []T, int) int) {
	if w <= 0 || len(dst) == 0 {
		return
	}
	rows := len(dst) / w
	_ = src[(rows-1)*stride] // the last row's value, before a kernel reads up to it
	if n := arch(isa, dst[:rows*w], w, src, stride); n < rows {
		fillRowsGo(dst[n*w:rows*w], w, src[n*stride:], stride)
	}
}

// fillRowsGo is the reference of FillRowsF32's and FillRowsF64's kernels.
func fillRowsGo[T float32 | float64](dst []T, w int, src []T, stride int) {
	for i := 0; i*w < len(dst); i++ {
		v := src[i*stride]
		row := dst[i*w : i*w+w]
		for j := range row {
			row[j] = v
		}
	}
}

package asm

import "fmt"

// TransposeF32 writes the transpose of the rows × cols matrix src, whose rows lie lds
// elements apart, to dst, whose rows lie ldd elements apart:
//
//	for i := range rows {
//		for j := range cols {
//			dst[j*ldd+i] = src[i*lds+j]
//		}
//	}
//
// The assembly moves square blocks through registers, 8 × 8 with AVX2 (also at the avx512
// level) and 4 × 4 with NEON, a block's rows read and written whole; the Go twin does the
// rows and columns past the last whole block. It panics when a stride is shorter than the
// row it spaces or a slice is too short; dst and src must not overlap.
func TransposeF32(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	transposeF32(activeISA(), dst, ldd, src, lds, rows, cols)
}

func transposeF32(isa vecISA, dst []float32, ldd int, src []float32, lds, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if lds < cols || ldd < rows {
		panic(fmt.Sprintf("asm: TransposeF32 of %d × %d with strides %d (source) and %d (destination)", rows, cols, lds, ldd))
	}
	src = src[:(rows-1)*lds+cols]
	dst = dst[:(cols-1)*ldd+rows]
	r, c := 0, 0
	if b := transposeBlock(isa); b > 0 {
		r, c = rows&^(b-1), cols&^(b-1)
		if r > 0 && c > 0 {
			transposeF32Arch(isa, dst, ldd, src, lds, r, c)
		} else {
			r, c = 0, 0
		}
	}
	if c < cols && r > 0 { // the columns right of the blocks
		transposeF32Go(dst[c*ldd:], ldd, src[c:], lds, r, cols-c)
	}
	if r < rows { // the rows below them
		transposeF32Go(dst[r:], ldd, src[r*lds:], lds, rows-r, cols)
	}
}

// transposeF32Go is the reference of TransposeF32.
func transposeF32Go(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	for i := range rows {
		for j, v := range src[i*lds : i*lds+cols] {
			dst[j*ldd+i] = v
		}
	}
}

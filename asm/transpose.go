package asm

import (
	"fmt"
	"unsafe"
)

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

// TransposeF64 is TransposeF32 for float64: the assembly moves 4 × 4 blocks with AVX2 (also
// at the avx512 level); arm64 has the Go twin only.
func TransposeF64(dst []float64, ldd int, src []float64, lds, rows, cols int) {
	transposeF(activeISA(), dst, ldd, src, lds, rows, cols)
}

func transposeF32(isa vecISA, dst []float32, ldd int, src []float32, lds, rows, cols int) {
	transposeF(isa, dst, ldd, src, lds, rows, cols)
}

func transposeF[T Float](isa vecISA, dst []T, ldd int, src []T, lds, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if lds < cols || ldd < rows {
		panic(fmt.Sprintf("asm: TransposeF%d of %d × %d with strides %d (source) and %d (destination)",
			8*unsafe.Sizeof(T(0)), rows, cols, lds, ldd))
	}
	src = src[:(rows-1)*lds+cols]
	dst = dst[:(cols-1)*ldd+rows]
	r, c := 0, 0
	if b := transposeBlock(isa, int(unsafe.Sizeof(T(0)))); b > 0 {
		r, c = rows&^(b-1), cols&^(b-1)
		if r > 0 && c > 0 {
			switch d := any(dst).(type) {
			case []float32:
				transposeF32Arch(isa, d, ldd, any(src).([]float32), lds, r, c)
			case []float64:
				transposeF64Arch(isa, d, ldd, any(src).([]float64), lds, r, c)
			}
		} else {
			r, c = 0, 0
		}
	}
	if c < cols && r > 0 { // the columns right of the blocks
		transposeGo(dst[c*ldd:], ldd, src[c:], lds, r, cols-c)
	}
	if r < rows { // the rows below them
		transposeGo(dst[r:], ldd, src[r*lds:], lds, rows-r, cols)
	}
}

// transposeGo is the reference of TransposeF32 and TransposeF64.
func transposeGo[T Float](dst []T, ldd int, src []T, lds, rows, cols int) {
	for i := range rows {
		for j, v := range src[i*lds : i*lds+cols] {
			dst[j*ldd+i] = v
		}
	}
}

package asm

// WidenI32 sets dst[i] = int64(src[i]); src must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = int64(src[i])
//	}
func WidenI32(dst []int64, src []int32) { widenI32(activeISA(), dst, src) }

// NarrowI32 sets dst[i] to the low 32 bits of src[i], int32(src[i]); src must be at least as
// long as dst.
//
//	for i := range dst {
//		dst[i] = int32(src[i])
//	}
func NarrowI32(dst []int32, src []int64) { narrowI32(activeISA(), dst, src) }

// convBlock is the number of elements a step of the conversion kernels takes (16 for AVX2,
// four registers of four; 8 for NEON, four registers of two), or 0 for Go.
func convBlock(isa vecISA) int {
	switch {
	case !convArchOK(isa):
		return 0
	case isa == isaNEON:
		return 8
	}
	return 16
}

func widenI32(isa vecISA, dst []int64, src []int32) {
	src = src[:len(dst)]
	n := 0
	if w := convBlock(isa); w > 0 {
		n = len(dst) / w * w
		if n > 0 {
			widenI32Arch(isa, dst[:n], src[:n])
		}
	}
	widenI32Go(dst[n:], src[n:])
}

func narrowI32(isa vecISA, dst []int32, src []int64) {
	src = src[:len(dst)]
	n := 0
	if w := convBlock(isa); w > 0 {
		n = len(dst) / w * w
		if n > 0 {
			narrowI32Arch(isa, dst[:n], src[:n])
		}
	}
	narrowI32Go(dst[n:], src[n:])
}

// widenI32Go is the reference of WidenI32's kernels.
func widenI32Go(dst []int64, src []int32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = int64(v)
	}
}

// narrowI32Go is the reference of NarrowI32's kernels.
func narrowI32Go(dst []int32, src []int64) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = int32(v)
	}
}

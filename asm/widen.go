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

func widenI32(isa vecISA, dst []int64, src []int32) {
	src = src[:len(dst)]
	n := widenI32Arch(isa, dst, src)
	widenI32Go(dst[n:], src[n:])
}

func narrowI32(isa vecISA, dst []int32, src []int64) {
	src = src[:len(dst)]
	n := narrowI32Arch(isa, dst, src)
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

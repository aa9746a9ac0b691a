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

// WidenU8 sets dst[i] = int64(src[i]); src must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = int64(src[i])
//	}
func WidenU8(dst []int64, src []uint8) { widenU8(activeISA(), dst, src) }

// NarrowU8 sets dst[i] to the low 8 bits of src[i], uint8(src[i]); src must be at least as
// long as dst.
//
//	for i := range dst {
//		dst[i] = uint8(src[i])
//	}
func NarrowU8(dst []uint8, src []int64) { narrowU8(activeISA(), dst, src) }

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

func widenU8(isa vecISA, dst []int64, src []uint8) {
	src = src[:len(dst)]
	n := widenU8Arch(isa, dst, src)
	widenU8Go(dst[n:], src[n:])
}

func narrowU8(isa vecISA, dst []uint8, src []int64) {
	src = src[:len(dst)]
	n := narrowU8Arch(isa, dst, src)
	narrowU8Go(dst[n:], src[n:])
}

// widenU8Go is the reference of WidenU8's kernels.
func widenU8Go(dst []int64, src []uint8) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = int64(v)
	}
}

// narrowU8Go is the reference of NarrowU8's kernels.
func narrowU8Go(dst []uint8, src []int64) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = uint8(v)
	}
}

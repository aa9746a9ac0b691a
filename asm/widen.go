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

func widenI32(isa vecISA, dst []int64, src []int32)  { convert(isa, dst, src, widenI32Arch) }
func narrowI32(isa vecISA, dst []int32, src []int64) { convert(isa, dst, src, narrowI32Arch) }
func widenU8(isa vecISA, dst []int64, src []uint8)   { convert(isa, dst, src, widenU8Arch) }
func narrowU8(isa vecISA, dst []uint8, src []int64)  { convert(isa, dst, src, narrowU8Arch) }

// convert converts src into dst: the kernel arch the whole steps it takes (it reports how
// many elements it did), convertGo the rest.
func convert[D, S int64 | int32 | uint8](isa vecISA, dst []D, src []S, arch func(vecISA, []D, []S) int) {
	src = src[:len(dst)]
	n := arch(isa, dst, src)
	convertGo(dst[n:], src[n:])
}

// convertGo is the reference of the conversion kernels: Go's conversion of each element
// (keeping the low bits when it narrows).
func convertGo[D, S int64 | int32 | uint8](dst []D, src []S) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = D(v)
	}
}

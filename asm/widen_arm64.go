//go:build !noasm

package asm

func convArchOK(isa vecISA) bool { return isa == isaNEON }

func widenI32Arch(_ vecISA, dst []int64, src []int32)  { widenI32NEON(&dst[0], &src[0], len(dst)) }
func narrowI32Arch(_ vecISA, dst []int32, src []int64) { narrowI32NEON(&dst[0], &src[0], len(dst)) }

// widenI32NEON and narrowI32NEON convert n elements, a multiple of 8.
//
//go:noescape
func widenI32NEON(dst *int64, src *int32, n int)

//go:noescape
func narrowI32NEON(dst *int32, src *int64, n int)

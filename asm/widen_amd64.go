//go:build !noasm

package asm

// The AVX2 kernels serve the AVX-512 level too: they move memory at its speed already.
func convArchOK(isa vecISA) bool { return isa == isaAVX2 || isa == isaAVX512 }

func widenI32Arch(_ vecISA, dst []int64, src []int32)  { widenI32AVX2(&dst[0], &src[0], len(dst)) }
func narrowI32Arch(_ vecISA, dst []int32, src []int64) { narrowI32AVX2(&dst[0], &src[0], len(dst)) }

// widenI32AVX2 and narrowI32AVX2 convert n elements, a multiple of 16.
//
//go:noescape
func widenI32AVX2(dst *int64, src *int32, n int)

//go:noescape
func narrowI32AVX2(dst *int32, src *int64, n int)

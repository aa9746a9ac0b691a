//go:build (!amd64 && !arm64) || noasm

package asm

// Without assembly WidenI32 and NarrowI32 are their Go twins.

func convArchOK(vecISA) bool { return false }

func widenI32Arch(_ vecISA, dst []int64, src []int32)  { widenI32Go(dst, src) }
func narrowI32Arch(_ vecISA, dst []int32, src []int64) { narrowI32Go(dst, src) }

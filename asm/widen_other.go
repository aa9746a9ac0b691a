//go:build (!amd64 && !arm64) || noasm

package asm

// Without assembly WidenI32 and NarrowI32 are their Go twins.

func widenI32Arch(vecISA, []int64, []int32) int  { return 0 }
func narrowI32Arch(vecISA, []int32, []int64) int { return 0 }

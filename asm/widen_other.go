//go:build (!amd64 && !arm64) || noasm

package asm

// Without assembly WidenI32, NarrowI32, WidenU8 and NarrowU8 are their Go twins.

func widenI32Arch(vecISA, []int64, []int32) int  { return 0 }
func narrowI32Arch(vecISA, []int32, []int64) int { return 0 }
func widenU8Arch(vecISA, []int64, []uint8) int   { return 0 }
func narrowU8Arch(vecISA, []uint8, []int64) int  { return 0 }

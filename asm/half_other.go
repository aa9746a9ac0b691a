//go:build (!amd64 && !arm64) || noasm

package asm

// Without assembly every level converts with the Go twins of half.go.

func float16ToF32Arch(vecISA, []float32, []uint16) int  { return 0 }
func f32ToFloat16Arch(vecISA, []uint16, []float32) int  { return 0 }
func bfloat16ToF32Arch(vecISA, []float32, []uint16) int { return 0 }
func f32ToBFloat16Arch(vecISA, []uint16, []float32) int { return 0 }
func roundToFloat16Arch(vecISA, []float32) int          { return 0 }
func roundToBFloat16Arch(vecISA, []float32) int         { return 0 }

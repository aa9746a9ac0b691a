//go:build (!amd64 && !arm64) || noasm

package asm

// Without assembly ModF32 and ModF64 are their Go twins.

func modStep32(vecISA) int { return 0 }
func modStep64(vecISA) int { return 0 }

func modF32Arch(vecISA, []float32, []float32, []float32, bool) int { return 0 }
func modF64Arch(vecISA, []float64, []float64, []float64, bool) int { return 0 }

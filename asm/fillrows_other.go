//go:build (!amd64 && !arm64) || noasm

package asm

// Without assembly FillRowsF32 and FillRowsF64 are their Go twin.

func fillRowsF32Arch(vecISA, []float32, int, []float32, int) int { return 0 }
func fillRowsF64Arch(vecISA, []float64, int, []float64, int) int { return 0 }

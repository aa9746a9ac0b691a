//go:build (!amd64 && !arm64) || noasm

package asm

// Without assembly the rows are reduced one at a time.

func reduceRowsF32Arch(vecISA, int, []float32, []float32, int) int { return 0 }
func sumRowsF32Arch(vecISA, []float64, []float32, int) int         { return 0 }
func sumNarrowRowsF32Arch(vecISA, []float64, []float32, int) int   { return 0 }
func sumNarrowRows(vecISA, int) bool                               { return false }

package asm_test

import (
	"fmt"

	"github.com/crossbar-compute/crossbar/asm"
)

func ExampleSgemm() {
	// C (2×2) = A (2×3) · Bᵀ, where B is a 2×3 buffer read through its transpose.
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{1, 0, 1, 0, 1, 0}
	c := make([]float32, 4)
	err := asm.Sgemm(2, 2, 3,
		asm.Matrix[float32]{Data: a, RowStride: 3, ColStride: 1},
		asm.Matrix[float32]{Data: b, RowStride: 1, ColStride: 3},
		0, asm.Matrix[float32]{Data: c, RowStride: 2, ColStride: 1})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println(c)
	// Output: [4 2 10 5]
}

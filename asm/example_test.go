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

func ExampleGemmMixed() {
	// x (1×3, float32) times a bfloat16 weight stored [out, in] = [2, 3], read through its
	// transpose: y = x·Wᵀ, the weight widened to float32 as the GEMM reads it.
	x := []float32{1, 2, 3}
	w := make([]uint16, 6)
	asm.F32ToBFloat16(w, []float32{1, 0, 1, 0.5, 0.5, 0.5})
	y := make([]float32, 2)
	err := asm.GemmMixed(1, 2, 3,
		asm.Operand{Float: asm.Matrix[float32]{Data: x, RowStride: 3, ColStride: 1}},
		asm.Operand{Half: &asm.HalfMatrix{Data: w, RowStride: 1, ColStride: 3, BF16: true}},
		0, asm.Matrix[float32]{Data: y, RowStride: 2, ColStride: 1}, nil, nil)
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println(y)
	// Output: [4 3]
}

package asm

// AxpyF64 and DotF64 stay on their Go references at every level: each product is rounded
// before it is added, and kernels with fused multiply-adds would round differently from what
// callers get today. The matrix-vector products with assembly kernels are in gemv.go.
var (
	axpyF64 = axpyF64Go
	dotF64  = dotF64Go
)

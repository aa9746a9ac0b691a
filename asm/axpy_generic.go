package asm

// Until the architecture kernels land, every platform runs the Go reference.
var (
	axpyF64 = axpyF64Go
	dotF64  = dotF64Go
)

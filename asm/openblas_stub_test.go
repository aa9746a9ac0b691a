//go:build !amd64 && !cgo

package asm

import "errors"

// openBLAS has no methods here: loadOpenBLAS always fails, and the benchmarks skip it.
type openBLAS struct {
	sgemm      func(order, transA, transB, m, n, k int32, alpha float32, a *float32, lda int32, b *float32, ldb int32, beta float32, c *float32, ldc int32)
	dgemm      func(order, transA, transB, m, n, k int32, alpha float64, a *float64, lda int32, b *float64, ldb int32, beta float64, c *float64, ldc int32)
	setThreads func(n int32)
}

const (
	cblasRowMajor = 101
	cblasNoTrans  = 111
)

func loadOpenBLAS() (*openBLAS, error) {
	return nil, errors.New("the OpenBLAS comparison needs cgo on this architecture (purego links dynamically)")
}

func (*openBLAS) core() string { return "" }

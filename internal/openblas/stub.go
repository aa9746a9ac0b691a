//go:build !amd64 && !cgo

package openblas

import "fmt"

var errStub = fmt.Errorf("%w: it is loaded with purego, which needs cgo on this architecture", ErrUnavailable)

// Available always fails here.
func Available() error { return errStub }

// SetThreads does nothing here.
func SetThreads(n int) {}

// CoreType is "" here.
func CoreType() string { return "" }

// Config is "" here.
func Config() string { return "" }

// Sgemm checks its arguments and reports the library unavailable.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
	if err := checkArgs(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc); err != nil {
		return err
	}
	return errStub
}

// Dgemm checks its arguments and reports the library unavailable.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) error {
	if err := checkArgs(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc); err != nil {
		return err
	}
	return errStub
}

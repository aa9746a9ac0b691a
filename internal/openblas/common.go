// Package openblas calls the system's OpenBLAS (Debian's libopenblas0) at run time through
// purego: nothing is linked at build time, and a machine without the library reports it
// through Available. It is the reference the benchmarks compare crossbar's GEMM with.
//
// OpenBLAS reads OPENBLAS_CORETYPE (Haswell, SkylakeX, ...) from the environment when it
// loads; on a CPU it does not recognize, that variable picks its kernels.
//
// On amd64, or with cgo, the package uses purego, which makes the binary dynamically linked.
// Elsewhere without cgo (CGO_ENABLED=0 GOARCH=arm64, run under qemu) it is a stub whose
// Available always fails, so that such builds stay statically linked.
package openblas

import (
	"errors"
	"fmt"
	"math"
)

// ErrUnavailable is wrapped by every error that says the library cannot be used.
var ErrUnavailable = errors.New("openblas: library unavailable")

const (
	rowMajor = 101
	noTrans  = 111
	doTrans  = 112
)

func trans(t bool) int32 {
	if t {
		return doTrans
	}
	return noTrans
}

// checkArgs validates the dimensions, leading dimensions and slice lengths of a row-major
// GEMM, so that a wrong call is an error instead of a write outside the slices.
func checkArgs(transA, transB bool, m, n, k, la, lda, lb, ldb, lc, ldc int) error {
	if m < 0 || n < 0 || k < 0 {
		return fmt.Errorf("openblas: negative dimension m=%d n=%d k=%d", m, n, k)
	}
	if m > math.MaxInt32 || n > math.MaxInt32 || k > math.MaxInt32 || lda > math.MaxInt32 || ldb > math.MaxInt32 || ldc > math.MaxInt32 {
		return errors.New("openblas: dimension over 32 bits")
	}
	// Rows and columns of the stored matrices.
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	for _, s := range []struct {
		name           string
		rows, cols, ld int
		n              int
	}{{"A", ar, ac, lda, la}, {"B", br, bc, ldb, lb}, {"C", m, n, ldc, lc}} {
		if s.ld < max(1, s.cols) {
			return fmt.Errorf("openblas: leading dimension of %s is %d, want >= %d", s.name, s.ld, max(1, s.cols))
		}
		if s.rows > 0 && s.cols > 0 && s.n < (s.rows-1)*s.ld+s.cols {
			return fmt.Errorf("openblas: %s has %d elements, want %d", s.name, s.n, (s.rows-1)*s.ld+s.cols)
		}
	}
	return nil
}

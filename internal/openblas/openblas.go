// purego makes a binary that imports this package dynamically linked; without cgo on another
// architecture (the arm64 builds run under qemu-aarch64, which has no dynamic loader) the
// stub in stub.go is used instead and the library is reported unavailable.

//go:build amd64 || cgo

package openblas

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

type lib struct {
	sgemm      cblasGemm[float32]
	dgemm      cblasGemm[float64]
	setThreads func(n int32)
	coreName   func() *byte
	config     func() *byte
}

var (
	once    sync.Once
	theLib  *lib
	loadErr error
)

// libNames are the names tried, in order: $CROSSBAR_OPENBLAS_LIB first when set.
func libNames() []string {
	var names []string
	if p := os.Getenv("CROSSBAR_OPENBLAS_LIB"); p != "" {
		names = append(names, p)
	}
	return append(names, "libopenblas.so.0", "/usr/lib/x86_64-linux-gnu/libopenblas.so.0", "libopenblas.so")
}

func load() (*lib, error) {
	once.Do(func() {
		names := libNames()
		var h uintptr
		var errs []string
		for _, name := range names {
			var err error
			if h, err = purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL); err == nil {
				break
			}
			errs = append(errs, err.Error())
			h = 0
		}
		if h == 0 {
			loadErr = fmt.Errorf("%w: tried %s (%s)", ErrUnavailable, strings.Join(names, ", "), strings.Join(errs, "; "))
			return
		}
		l := &lib{}
		for _, f := range []struct {
			fn   any
			name string
		}{{&l.sgemm, "cblas_sgemm"}, {&l.dgemm, "cblas_dgemm"}, {&l.setThreads, "openblas_set_num_threads"},
			{&l.coreName, "openblas_get_corename"}, {&l.config, "openblas_get_config"}} {
			sym, err := purego.Dlsym(h, f.name)
			if err != nil {
				loadErr = fmt.Errorf("%w: %s: %v", ErrUnavailable, f.name, err)
				return
			}
			purego.RegisterFunc(f.fn, sym)
		}
		theLib = l
	})
	return theLib, loadErr
}

// Available loads the library (once) and reports why it cannot be used, or nil.
func Available() error {
	_, err := load()
	return err
}

// SetThreads sets the number of threads OpenBLAS uses; it does nothing without the library.
func SetThreads(n int) {
	if l, err := load(); err == nil {
		l.setThreads(int32(n))
	}
}

// CoreType is the name of the kernels OpenBLAS runs (openblas_get_corename), or "" without
// the library.
func CoreType() string {
	l, err := load()
	if err != nil {
		return ""
	}
	return goString(l.coreName())
}

// Config is OpenBLAS's build configuration (openblas_get_config), or "" without the library.
func Config() string {
	l, err := load()
	if err != nil {
		return ""
	}
	return goString(l.config())
}

func goString(p *byte) string {
	if p == nil {
		return ""
	}
	var s []byte
	for q := unsafe.Pointer(p); *(*byte)(q) != 0; q = unsafe.Add(q, 1) {
		s = append(s, *(*byte)(q))
	}
	return string(s)
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C with row-major float32 matrices
// (cblas_sgemm with CblasRowMajor): op(A) is m×k, op(B) k×n, C m×n.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
	return gemm(func(l *lib) cblasGemm[float32] { return l.sgemm }, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm is Sgemm for float64 (cblas_dgemm).
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) error {
	return gemm(func(l *lib) cblasGemm[float64] { return l.dgemm }, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// cblasGemm is the signature of cblas_sgemm and cblas_dgemm.
type cblasGemm[T float32 | float64] func(order, transA, transB, m, n, k int32, alpha T, a *T, lda int32,
	b *T, ldb int32, beta T, c *T, ldc int32)

// gemm checks the arguments and calls the library's routine for T.
func gemm[T float32 | float64](fn func(*lib) cblasGemm[T], transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) error {
	l, err := load()
	if err != nil {
		return err
	}
	if err := checkArgs(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc); err != nil {
		return err
	}
	if m == 0 || n == 0 {
		return nil
	}
	fn(l)(rowMajor, trans(transA), trans(transB), int32(m), int32(n), int32(k), alpha, first(a), int32(lda),
		first(b), int32(ldb), beta, &c[0], int32(ldc))
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	runtime.KeepAlive(c)
	return nil
}

func first[T float32 | float64](s []T) *T {
	if len(s) == 0 {
		return nil
	}
	return &s[0]
}

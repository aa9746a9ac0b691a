// purego makes the test binary dynamically linked; without cgo on another architecture (the
// arm64 tests under qemu-aarch64, which has no dynamic loader to run it) it is left out.

//go:build amd64 || cgo

package asm

import (
	"os"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// openBLAS is the reference the GEMM benchmarks compare with: Debian's libopenblas0 loaded at
// run time with purego (nothing is linked). OPENBLAS_CORETYPE in the environment picks its
// kernels (Haswell, SkylakeX, ...); it is read when the library loads.
type openBLAS struct {
	sgemm func(order, transA, transB, m, n, k int32, alpha float32, a *float32, lda int32,
		b *float32, ldb int32, beta float32, c *float32, ldc int32)
	dgemm func(order, transA, transB, m, n, k int32, alpha float64, a *float64, lda int32,
		b *float64, ldb int32, beta float64, c *float64, ldc int32)
	setThreads func(n int32)
	coreName   func() *byte
}

const (
	cblasRowMajor = 101
	cblasNoTrans  = 111
)

var (
	blasOnce sync.Once
	blas     *openBLAS
	blasErr  error
)

// loadOpenBLAS returns the library, or the reason it could not be loaded.
func loadOpenBLAS() (*openBLAS, error) {
	blasOnce.Do(func() {
		var lib uintptr
		for _, name := range []string{os.Getenv("CROSSBAR_OPENBLAS_LIB"), "libopenblas.so.0", "libopenblas.so"} {
			if name == "" {
				continue
			}
			if lib, blasErr = purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL); blasErr == nil {
				break
			}
		}
		if blasErr != nil {
			return
		}
		b := &openBLAS{}
		for _, f := range []struct {
			fn   any
			name string
		}{{&b.sgemm, "cblas_sgemm"}, {&b.dgemm, "cblas_dgemm"}, {&b.setThreads, "openblas_set_num_threads"}, {&b.coreName, "openblas_get_corename"}} {
			sym, err := purego.Dlsym(lib, f.name)
			if err != nil {
				blasErr = err
				return
			}
			purego.RegisterFunc(f.fn, sym)
		}
		blas = b
	})
	return blas, blasErr
}

// core returns the name of the kernels OpenBLAS runs.
func (b *openBLAS) core() string {
	p := b.coreName()
	if p == nil {
		return "?"
	}
	var s []byte
	for q := unsafe.Pointer(p); *(*byte)(q) != 0; q = unsafe.Add(q, 1) {
		s = append(s, *(*byte)(q))
	}
	return string(s)
}

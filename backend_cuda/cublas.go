package backend_cuda

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"unsafe"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
)

// cuBLAS is the reference that the benchmarks hold crossbar's generated GEMMs against. It
// is optional: nothing else in the backend needs it, and a machine without it still has
// its devices.

// cublasNames are the sonames tried, newest first; each major release keeps one soname.
var cublasNames = []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11"}

// cuBLAS and CUDA enums (cublas_api.h, library_types.h).
const (
	cublasOpN = 0 // CUBLAS_OP_N
	cublasOpT = 1 // CUBLAS_OP_T

	cudaR32F  = 0  // CUDA_R_32F
	cudaR16F  = 2  // CUDA_R_16F
	cudaR16BF = 14 // CUDA_R_16BF

	cublasCompute32F  = 68 // CUBLAS_COMPUTE_32F: float32 accumulation, no TF32 or half down-conversion
	cublasGemmDefault = -1 // CUBLAS_GEMM_DEFAULT: cuBLAS's heuristics choose the algorithm
)

// cublasStatus is a cublasStatus_t (0: CUBLAS_STATUS_SUCCESS).
type cublasStatus int32

var cublasStatusNames = map[cublasStatus]string{
	1: "CUBLAS_STATUS_NOT_INITIALIZED", 3: "CUBLAS_STATUS_ALLOC_FAILED", 7: "CUBLAS_STATUS_INVALID_VALUE",
	8: "CUBLAS_STATUS_ARCH_MISMATCH", 11: "CUBLAS_STATUS_MAPPING_ERROR", 13: "CUBLAS_STATUS_EXECUTION_FAILED",
	14: "CUBLAS_STATUS_INTERNAL_ERROR", 15: "CUBLAS_STATUS_NOT_SUPPORTED", 16: "CUBLAS_STATUS_LICENSE_ERROR",
}

// check turns a cublasStatus_t into an error wrapping the matching sentinel.
func (s cublasStatus) check(what string) error {
	if s == 0 {
		return nil
	}
	name, ok := cublasStatusNames[s]
	if !ok {
		name = "unknown cuBLAS status"
	}
	sentinel := errCUDA
	switch s {
	case 1:
		sentinel = backend.ErrUnavailable
	case 3:
		sentinel = backend.ErrOutOfMemory
	case 8, 15:
		sentinel = backend.ErrUnsupported
	case 13:
		sentinel = backend.ErrLaunch
	}
	return fmt.Errorf("cuBLAS: %s: %s (%d): %w", what, name, int32(s), sentinel)
}

// cublasAPI holds the cuBLAS entry points (cublas_api.h); handles are pointers, device
// memory is passed as the 64-bit CUdeviceptr.
type cublasAPI struct {
	path string

	create     func(handle *uintptr) cublasStatus
	destroy    func(handle uintptr) cublasStatus
	setStream  func(handle uintptr, stream uintptr) cublasStatus
	getVersion func(handle uintptr, v *int32) cublasStatus
	gemmEx     func(handle uintptr, transa, transb int32, m, n, k int32, alpha unsafe.Pointer,
		a uint64, atype int32, lda int32, b uint64, btype int32, ldb int32, beta unsafe.Pointer,
		c uint64, ctype int32, ldc int32, compute int32, algo int32) cublasStatus
}

var (
	cublasMu  sync.Mutex
	cublasLib *cublasAPI
)

// loadCUBLAS loads cuBLAS the first time it is found; a failure is not remembered, so
// that a library installed or named later is still found.
func loadCUBLAS(cuda int) (*cublasAPI, error) {
	cublasMu.Lock()
	defer cublasMu.Unlock()
	if cublasLib != nil {
		return cublasLib, nil
	}
	api, err := openCUBLAS(cuda)
	if err != nil {
		return nil, err
	}
	cublasLib = api
	return api, nil
}

// openCUBLAS loads cuBLAS from CROSSBAR_CUBLAS_LIB, else cublasNames in the standard
// places, those the driver of CUDA version cuda supports first. The error wraps
// backend.ErrUnavailable and lists every path tried.
func openCUBLAS(cuda int) (api *cublasAPI, err error) {
	h, path, err := openLib("CROSSBAR_CUBLAS_LIB", forDriver(cublasNames, cuda)...)
	if err != nil {
		return nil, fmt.Errorf("cuBLAS: %v: %w", err, backend.ErrUnavailable)
	}
	api = &cublasAPI{path: path}
	// purego refuses (by panicking) a signature with more stack arguments than the
	// platform's calls carry; cublasGemmEx has 19, which some architectures cannot pass.
	defer func() {
		if p := recover(); p != nil {
			api, err = nil, fmt.Errorf("cuBLAS %s: cannot bind: %v: %w", path, p, backend.ErrUnavailable)
		}
	}()
	err = bind(h, path, map[string]any{
		"cublasCreate_v2":     &api.create,
		"cublasDestroy_v2":    &api.destroy,
		"cublasSetStream_v2":  &api.setStream,
		"cublasGetVersion_v2": &api.getVersion,
		"cublasGemmEx":        &api.gemmEx,
	})
	if err != nil {
		return nil, fmt.Errorf("cuBLAS: %v: %w", err, backend.ErrUnavailable)
	}
	return api, nil
}

// BLAS is a cuBLAS handle bound to a device's context and stream. It exists to measure
// crossbar's kernels against the vendor library (the benchmarks and the bench suite);
// crossbar itself never calls it. Its methods may be called from any goroutine; calls are
// serialized with the device's other calls.
type BLAS struct {
	d       *Device
	api     *cublasAPI
	handle  uintptr
	version int32
}

// BLAS loads cuBLAS (CROSSBAR_CUBLAS_LIB, else libcublas.so.13, .12 or .11, those of the
// driver's CUDA version or older first, in the places where the driver is looked for) and
// creates a handle that runs on the device's stream, so that its work is ordered with the
// device's launches and copies and timed by Time.
// Without cuBLAS the error wraps backend.ErrUnavailable and lists the paths tried. Close
// releases the handle.
func (d *Device) BLAS() (*BLAS, error) {
	api, err := loadCUBLAS(int(d.drv.version))
	if err != nil {
		return nil, err
	}
	b := &BLAS{d: d, api: api}
	err = d.do(func() error {
		// cuBLAS binds a handle to the context current when it is created.
		if err := api.create(&b.handle).check("cublasCreate"); err != nil {
			return err
		}
		if err := api.setStream(b.handle, d.stream).check("cublasSetStream"); err != nil {
			api.destroy(b.handle)
			return err
		}
		api.getVersion(b.handle, &b.version)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cuda:%d: %w", d.index, err)
	}
	return b, nil
}

// Info names the library and its version, "cuBLAS 12.6.4 (/usr/lib/x86_64-linux-gnu/libcublas.so.12)".
func (b *BLAS) Info() string {
	return fmt.Sprintf("cuBLAS %s (%s)", cublasVersion(b.version), b.api.path)
}

// cublasVersion spells CUBLAS_VERSION: major*10000 + minor*100 + patch since cuBLAS 11.9
// (minors reached two digits), major*1000 + minor*100 + patch before.
func cublasVersion(v int32) string {
	if v < 100000 {
		return fmt.Sprintf("%d.%d.%d", v/1000, v%1000/100, v%100)
	}
	return fmt.Sprintf("%d.%d.%d", v/10000, v%10000/100, v%100)
}

// Close destroys the handle; later calls return an error wrapping backend.ErrFreed.
func (b *BLAS) Close() error {
	if b == nil || b.d == nil {
		return nil
	}
	// The handle is read and cleared under the device's lock, as Gemm reads it: a Gemm
	// running beside Close must not use a destroyed handle.
	return b.d.do(func() error {
		h := b.handle
		if h == 0 {
			return nil
		}
		b.handle = 0
		return b.api.destroy(h).check("cublasDestroy")
	})
}

// Gemm computes C = op(A)·op(B) for row-major matrices: C is m×n, op(A) m×k and op(B) k×n,
// where A is stored m×k, or k×m and used transposed when transA (B likewise: k×n, or n×k
// when transB). The three buffers have one dtype: Float32 (SGEMM, float32 accumulation
// without TF32), or Float16 or BFloat16 (inputs and output in that type, float32
// accumulation). It is queued on the device's stream and returns before it completes, as a
// launch does; Synchronize, a copy or Time's end waits for it. An unsupported dtype wraps
// backend.ErrUnsupported; a buffer too small or not of this device, graph.ErrShape or
// backend.ErrUnsupported.
func (b *BLAS) Gemm(transA, transB bool, m, n, k int, a, bm, c backend.Buffer) error {
	if b == nil || b.d == nil {
		return fmt.Errorf("cuBLAS: Gemm without a handle: %w", backend.ErrFreed)
	}
	var bufs [3]*Buffer
	for i, x := range []backend.Buffer{a, bm, c} {
		cb, err := b.d.buffer(x)
		if err != nil {
			return err
		}
		bufs[i] = cb
	}
	dt := bufs[2].dt
	var typ int32
	switch dt {
	case graph.Float32:
		typ = cudaR32F
	case graph.Float16:
		typ = cudaR16F
	case graph.BFloat16:
		typ = cudaR16BF
	default:
		return fmt.Errorf("cuBLAS: Gemm of %v: %w", dt, backend.ErrUnsupported)
	}
	for _, x := range bufs[:2] {
		if x.dt != dt {
			return fmt.Errorf("cuBLAS: Gemm of %v and %v into %v: %w", bufs[0].dt, bufs[1].dt, dt, backend.ErrUnsupported)
		}
	}
	if m < 0 || n < 0 || k < 0 || m > math.MaxInt32 || n > math.MaxInt32 || k > math.MaxInt32 {
		return fmt.Errorf("cuBLAS: Gemm %dx%dx%d: dimensions out of range: %w", m, n, k, graph.ErrShape)
	}
	for i, need := range []int{m * k, k * n, m * n} {
		if bufs[i].n < need {
			return fmt.Errorf("cuBLAS: Gemm %dx%dx%d: %s has %d elements, needs %d: %w",
				m, n, k, [...]string{"A", "B", "C"}[i], bufs[i].n, need, graph.ErrShape)
		}
	}
	// cuBLAS is column-major, and a row-major r×c matrix is the column-major c×r matrix
	// of its transpose. So the row-major C = op(A)·op(B) is computed as the column-major
	// Cᵀ (n×m) = op(B)ᵀ·op(A)ᵀ: B is the first operand, A the second, each with its own
	// transposition flag and as leading dimension the length of its stored rows.
	opB, ldb := int32(cublasOpN), n
	if transB {
		opB, ldb = cublasOpT, k
	}
	opA, lda := int32(cublasOpN), k
	if transA {
		opA, lda = cublasOpT, m
	}
	alpha, beta := float32(1), float32(0) // CUBLAS_COMPUTE_32F scales in float32
	return b.d.onStream(func() error {
		if b.handle == 0 {
			return fmt.Errorf("cuBLAS: Gemm %dx%dx%d on a closed handle: %w", m, n, k, backend.ErrFreed)
		}
		if m == 0 || n == 0 {
			return nil
		}
		defer runtime.KeepAlive(&alpha)
		defer runtime.KeepAlive(&beta)
		return b.api.gemmEx(b.handle, opB, opA, int32(n), int32(m), int32(k), unsafe.Pointer(&alpha),
			bufs[1].ptr, typ, int32(max(ldb, 1)), bufs[0].ptr, typ, int32(max(lda, 1)), unsafe.Pointer(&beta),
			bufs[2].ptr, typ, int32(n), cublasCompute32F, cublasGemmDefault).check(fmt.Sprintf("cublasGemmEx(%v, %dx%dx%d)", dt, m, n, k))
	})
}

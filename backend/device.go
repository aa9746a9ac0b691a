package backend

import (
	"errors"
	"time"

	"github.com/crossbar-compute/crossbar/graph"
)

// The sentinels that device failures wrap.
var (
	// ErrUnavailable: the vendor runtime or the device is absent.
	ErrUnavailable = errors.New("device unavailable")
	// ErrOutOfMemory: the device could not allocate a buffer.
	ErrOutOfMemory = errors.New("out of device memory")
	// ErrCompile: a kernel failed to compile; the error carries the log and the source.
	ErrCompile = errors.New("kernel compilation failed")
	// ErrLaunch: a kernel failed to run.
	ErrLaunch = errors.New("kernel launch failed")
	// ErrUnsupported: the device cannot do this op or dtype; the executor then runs the kernel
	// on the CPU.
	ErrUnsupported = errors.New("unsupported on this device")
	// ErrFreed: a tensor's buffer was released with Free and then used.
	ErrFreed = errors.New("use of freed buffer")
)

// Capabilities describe what a device can do, for the scheduler and the code generators.
type Capabilities struct {
	// GraphLevel devices compile whole scheduled subgraphs (PJRT) instead of single kernels;
	// the executor hands subgraphs to those that implement SubgraphDevice.
	GraphLevel bool
	// DTypes the device computes natively; kernels with other dtypes run on the CPU.
	DTypes []graph.DType
	// MaxWorkgroup is the largest number of threads in one workgroup (0: not a GPU).
	MaxWorkgroup int
	// SharedMemory is the workgroup-shared memory in bytes.
	SharedMemory int
	// WarpWidth is the SIMD width of the device's threads (warp, wavefront, simdgroup).
	WarpWidth int
	// UnifiedMemory is set where host and device share memory.
	UnifiedMemory bool
	// Cores is the number of compute units (CPU cores, SMs, CUs).
	Cores int
	// Software is set for a device that emulates its API on the CPU (Mesa's llvmpipe, say):
	// correct, but slower than the CPU device, so Default never prefers it.
	Software bool
	// CumSum is set where the device computes graph.OpCumSum natively: tensor's CumSum is
	// then one kernel, elsewhere passes of additions of shifted views.
	CumSum bool
	// Softmax is set where the device computes graph.OpSoftmax and graph.OpLogSoftmax
	// natively: tensor's Softmax and LogSoftmax are then one kernel, elsewhere a maximum, a
	// sum of exponentials and an elementwise quotient or difference.
	Softmax bool
	// LayerNorm is set where the device computes graph.OpLayerNorm natively: tensor's
	// LayerNorm is then one kernel, elsewhere a mean, a variance and the normalization.
	LayerNorm bool
	// ArgMax is set where the device computes graph.OpArgMax and graph.OpArgMin natively:
	// tensor's ArgMax and ArgMin are then one kernel, elsewhere an extreme and a search for
	// its first place.
	ArgMax bool
}

// Supports reports whether dt is in c.DTypes.
func (c Capabilities) Supports(dt graph.DType) bool {
	for _, d := range c.DTypes {
		if d == dt {
			return true
		}
	}
	return false
}

// A Buffer is device memory holding Len elements of DType.
type Buffer interface {
	DType() graph.DType
	Len() int
}

// A Program is a kernel compiled for one device.
type Program interface{}

// Device is one compute device. Its methods may be called from several goroutines at once.
type Device interface {
	// Name is the name Open accepts: "cpu", "cuda:0", ...
	Name() string
	Capabilities() Capabilities
	// Alloc returns a buffer of n elements of dt (n may be 0).
	Alloc(dt graph.DType, n int) (Buffer, error)
	// Free releases b; using b afterwards is an error.
	Free(b Buffer) error
	// CopyIn copies little-endian host bytes into b (len(src) = b's size in bytes).
	CopyIn(dst Buffer, src []byte) error
	// CopyOut copies b into host bytes.
	CopyOut(dst []byte, src Buffer) error
	// Compile prepares a program for kernel k; errors wrap ErrCompile or ErrUnsupported.
	Compile(k *graph.Kernel) (Program, error)
	// Launch runs p, writing out and reading inputs (in the order of the kernel's Inputs).
	Launch(p Program, out Buffer, inputs []Buffer) error
	// Synchronize waits for all work launched so far.
	Synchronize() error
	// Time runs fn and returns the device time it took (device events where the device has
	// them, wall time otherwise), for the autotuner and the benchmarks.
	Time(fn func() error) (time.Duration, error)
}

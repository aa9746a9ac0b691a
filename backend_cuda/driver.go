package backend_cuda

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/crossbar-compute/crossbar/backend"
)

// cuResult is a CUresult of the driver API (0: CUDA_SUCCESS).
type cuResult int32

// cuSentinels are the CUresults that wrap one of crossbar's sentinels (the others wrap
// errCUDA), with the driver's names for them, which TestRealDriverLibrary checks. Of the
// codes 700-720, those of a kernel that failed are launch errors; the others (704-709,
// 711-713) are about peer access, registered host memory and destroyed contexts. Those
// marked lost leave the context unusable, as cuda.h says of each: a kernel faulted (700,
// 714-719), ran past the display's watchdog (702) or failed an assertion (710), and the
// driver returns the same error from every later call in the process.
var cuSentinels = map[cuResult]struct {
	name     string
	sentinel error
	lost     bool // the context is lost with it (errContextLost)
}{
	2:   {"CUDA_ERROR_OUT_OF_MEMORY", backend.ErrOutOfMemory, false},
	100: {"CUDA_ERROR_NO_DEVICE", backend.ErrUnavailable, false},
	200: {"CUDA_ERROR_INVALID_IMAGE", backend.ErrCompile, false},
	209: {"CUDA_ERROR_NO_BINARY_FOR_GPU", backend.ErrCompile, false},
	218: {"CUDA_ERROR_INVALID_PTX", backend.ErrCompile, false},
	221: {"CUDA_ERROR_JIT_COMPILER_NOT_FOUND", backend.ErrCompile, false},
	222: {"CUDA_ERROR_UNSUPPORTED_PTX_VERSION", backend.ErrCompile, false},
	700: {"CUDA_ERROR_ILLEGAL_ADDRESS", backend.ErrLaunch, true},
	701: {"CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", backend.ErrLaunch, false},
	702: {"CUDA_ERROR_LAUNCH_TIMEOUT", backend.ErrLaunch, true},
	703: {"CUDA_ERROR_LAUNCH_INCOMPATIBLE_TEXTURING", backend.ErrLaunch, false},
	710: {"CUDA_ERROR_ASSERT", backend.ErrLaunch, true},
	714: {"CUDA_ERROR_HARDWARE_STACK_ERROR", backend.ErrLaunch, true},
	715: {"CUDA_ERROR_ILLEGAL_INSTRUCTION", backend.ErrLaunch, true},
	716: {"CUDA_ERROR_MISALIGNED_ADDRESS", backend.ErrLaunch, true},
	717: {"CUDA_ERROR_INVALID_ADDRESS_SPACE", backend.ErrLaunch, true},
	718: {"CUDA_ERROR_INVALID_PC", backend.ErrLaunch, true},
	719: {"CUDA_ERROR_LAUNCH_FAILED", backend.ErrLaunch, true},
	720: {"CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE", backend.ErrLaunch, false},
}

// Device attributes (CUdevice_attribute).
const (
	attrMaxThreadsPerBlock   = 1
	attrMaxGridDimX          = 5
	attrMaxGridDimY          = 6
	attrMaxGridDimZ          = 7
	attrMaxSharedPerBlock    = 8
	attrWarpSize             = 10
	attrClockRate            = 13
	attrMultiprocessorCount  = 16
	attrIntegrated           = 18
	attrMemoryClockRate      = 36
	attrGlobalMemoryBusWidth = 37
	attrL2CacheSize          = 38
	attrCCMajor              = 75
	attrCCMinor              = 76
	attrMaxSharedPerSM       = 81
	attrMaxSharedPerBlockOpt = 97
	attrReservedSharedBlock  = 111

	// funcAttrMaxDynamicShared is CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES.
	funcAttrMaxDynamicShared = 8
)

// driverAPI holds the CUDA driver API entry points (cuda.h), the _v2 ones where the
// unsuffixed name is the legacy ABI. Handles (CUcontext, CUmodule, ...) are pointers,
// CUdevice an int and CUdeviceptr 64 bits.
type driverAPI struct {
	path    string
	version int32

	init              func(flags uint32) cuResult
	driverGetVersion  func(v *int32) cuResult
	getErrorString    func(r cuResult, s **byte) cuResult
	getErrorName      func(r cuResult, s **byte) cuResult
	deviceGetCount    func(n *int32) cuResult
	deviceGet         func(dev *int32, ordinal int32) cuResult
	deviceGetName     func(name *byte, n int32, dev int32) cuResult
	deviceGetAttr     func(v *int32, attr int32, dev int32) cuResult
	deviceTotalMem    func(bytes *uintptr, dev int32) cuResult
	primaryCtxRetain  func(ctx *uintptr, dev int32) cuResult
	primaryCtxRelease func(dev int32) cuResult
	ctxPushCurrent    func(ctx uintptr) cuResult
	ctxPopCurrent     func(ctx *uintptr) cuResult
	memAlloc          func(p *uint64, bytes uintptr) cuResult
	memFree           func(p uint64) cuResult
	memAllocHost      func(p *unsafe.Pointer, bytes uintptr) cuResult
	memFreeHost       func(p unsafe.Pointer) cuResult
	memcpyHtoDAsync   func(dst uint64, src unsafe.Pointer, bytes uintptr, stream uintptr) cuResult
	memcpyDtoHAsync   func(dst unsafe.Pointer, src uint64, bytes uintptr, stream uintptr) cuResult
	memcpyDtoDAsync   func(dst, src uint64, bytes uintptr, stream uintptr) cuResult
	memsetD32Async    func(dst uint64, v uint32, n uintptr, stream uintptr) cuResult
	moduleLoadDataEx  func(m *uintptr, image unsafe.Pointer, n uint32, options *int32, values *uintptr) cuResult
	moduleUnload      func(m uintptr) cuResult
	moduleGetFunction func(f *uintptr, m uintptr, name string) cuResult
	launchKernel      func(f uintptr, gx, gy, gz, bx, by, bz uint32, shared uint32, stream uintptr, params, extra unsafe.Pointer) cuResult
	funcSetAttribute  func(f uintptr, attr int32, v int32) cuResult
	streamCreate      func(s *uintptr, flags uint32) cuResult
	streamDestroy     func(s uintptr) cuResult
	streamSynchronize func(s uintptr) cuResult
	eventCreate       func(e *uintptr, flags uint32) cuResult
	eventRecord       func(e uintptr, s uintptr) cuResult
	eventSynchronize  func(e uintptr) cuResult
	eventElapsedTime  func(ms *float32, start, end uintptr) cuResult
	eventDestroy      func(e uintptr) cuResult
	// tensorMapEncodeTiled builds a TMA descriptor (CUDA 12.0 on; nil where the driver
	// lacks it): map, data type, rank, global address, dimensions, strides of dimensions
	// 1.., box, element strides, interleave, swizzle, L2 promotion, out-of-bounds fill.
	tensorMapEncodeTiled func(m *[16]uint64, dt int32, rank uint32, global uint64, dims, strides *uint64, box, elemStrides *uint32,
		interleave, swizzle, l2, oob int32) cuResult
}

var (
	driverOnce sync.Once
	driverLib  *driverAPI
	driverErr  error
)

// loadDriver loads libcuda.so.1 (CROSSBAR_CUDA_LIB, else the standard places) and calls
// cuInit once.
func loadDriver() (*driverAPI, error) {
	driverOnce.Do(func() {
		h, path, err := openLib("CROSSBAR_CUDA_LIB", "libcuda.so.1")
		if err != nil {
			driverErr = fmt.Errorf("CUDA driver: %v", err)
			return
		}
		d := &driverAPI{path: path}
		if err := bind(h, path, d.symbols()); err != nil {
			driverErr = fmt.Errorf("CUDA driver: %v", err)
			return
		}
		// Tensor maps are optional: without them the kernels copy their tiles themselves.
		if bind(h, path, map[string]any{"cuTensorMapEncodeTiled": &d.tensorMapEncodeTiled}) != nil {
			d.tensorMapEncodeTiled = nil
		}
		if r := d.init(0); r != 0 {
			driverErr = fmt.Errorf("CUDA driver %s: cuInit: %s", path, d.errString(r))
			return
		}
		d.driverGetVersion(&d.version)
		driverLib = d
	})
	return driverLib, driverErr
}

// symbols maps each required entry point's name in libcuda to the field it is bound to.
func (d *driverAPI) symbols() map[string]any {
	return map[string]any{
		"cuInit":                       &d.init,
		"cuDriverGetVersion":           &d.driverGetVersion,
		"cuGetErrorString":             &d.getErrorString,
		"cuGetErrorName":               &d.getErrorName,
		"cuDeviceGetCount":             &d.deviceGetCount,
		"cuDeviceGet":                  &d.deviceGet,
		"cuDeviceGetName":              &d.deviceGetName,
		"cuDeviceGetAttribute":         &d.deviceGetAttr,
		"cuDeviceTotalMem_v2":          &d.deviceTotalMem,
		"cuDevicePrimaryCtxRetain":     &d.primaryCtxRetain,
		"cuDevicePrimaryCtxRelease_v2": &d.primaryCtxRelease,
		"cuCtxPushCurrent_v2":          &d.ctxPushCurrent,
		"cuCtxPopCurrent_v2":           &d.ctxPopCurrent,
		"cuMemAlloc_v2":                &d.memAlloc,
		"cuMemFree_v2":                 &d.memFree,
		"cuMemAllocHost_v2":            &d.memAllocHost,
		"cuMemFreeHost":                &d.memFreeHost,
		"cuMemcpyHtoDAsync_v2":         &d.memcpyHtoDAsync,
		"cuMemcpyDtoHAsync_v2":         &d.memcpyDtoHAsync,
		"cuMemcpyDtoDAsync_v2":         &d.memcpyDtoDAsync,
		"cuMemsetD32Async":             &d.memsetD32Async,
		"cuModuleLoadDataEx":           &d.moduleLoadDataEx,
		"cuModuleUnload":               &d.moduleUnload,
		"cuModuleGetFunction":          &d.moduleGetFunction,
		"cuLaunchKernel":               &d.launchKernel,
		"cuFuncSetAttribute":           &d.funcSetAttribute,
		"cuStreamCreate":               &d.streamCreate,
		"cuStreamDestroy_v2":           &d.streamDestroy,
		"cuStreamSynchronize":          &d.streamSynchronize,
		"cuEventCreate":                &d.eventCreate,
		"cuEventRecord":                &d.eventRecord,
		"cuEventSynchronize":           &d.eventSynchronize,
		"cuEventElapsedTime":           &d.eventElapsedTime,
		"cuEventDestroy_v2":            &d.eventDestroy,
	}
}

func (d *driverAPI) errString(r cuResult) string {
	var name, desc *byte
	d.getErrorName(r, &name)
	d.getErrorString(r, &desc)
	return fmt.Sprintf("%s: %s (%d)", cString(name), cString(desc), int32(r))
}

// Version is the driver's CUDA version, "12.4".
func (d *driverAPI) Version() string {
	return fmt.Sprintf("%d.%d", d.version/1000, d.version%1000/10)
}

// check turns a CUresult into an error wrapping the matching sentinel.
func (d *driverAPI) check(what string, r cuResult) error {
	if r == 0 {
		return nil
	}
	c, ok := cuSentinels[r]
	if !ok {
		c.sentinel = errCUDA
	}
	if c.lost {
		return fmt.Errorf("cuda: %s: %s: %w (%w)", what, d.errString(r), c.sentinel, errContextLost)
	}
	return fmt.Errorf("cuda: %s: %s: %w", what, d.errString(r), c.sentinel)
}

var (
	errCUDA = errors.New("CUDA error")
	// errContextLost is wrapped by the errors after which the driver fails every call on
	// the context (cuSentinels' lost): the device refuses further calls (Device.lost).
	errContextLost = errors.New("the device's context is lost: CUDA fails every later call on it in this process")
)

// The options of cuModuleLoadDataEx (CUjit_option) that ask for the log of the driver's
// compiler, which compiles PTX when it is loaded.
const (
	jitErrorLogBuffer     = 5 // CU_JIT_ERROR_LOG_BUFFER: char *
	jitErrorLogBufferSize = 6 // CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES: unsigned int, in and out
)

// loadModule loads image, a CUBIN or NUL-terminated PTX, as a module of the current
// context. The error of PTX that the driver's compiler refuses (a .version newer than the
// driver knows, say) carries the compiler's log. what names the image in errors.
func (d *driverAPI) loadModule(m *uintptr, image []byte, what string) error {
	log := make([]byte, 16<<10)
	// The option values handed to C hold the log's address: it must not move.
	var pin runtime.Pinner
	pin.Pin(&log[0])
	defer pin.Unpin()
	opts := [2]int32{jitErrorLogBuffer, jitErrorLogBufferSize}
	vals := [2]uintptr{uintptr(unsafe.Pointer(&log[0])), uintptr(len(log))}
	r := d.moduleLoadDataEx(m, unsafe.Pointer(&image[0]), uint32(len(opts)), &opts[0], &vals[0])
	runtime.KeepAlive(image)
	err := d.check("cuModuleLoadDataEx("+what+")", r)
	if err == nil {
		return nil
	}
	// The size option comes back as the bytes the driver wrote, an unsigned int in the
	// low half of its slot.
	n := min(int(uint32(vals[1])), len(log))
	if s := strings.TrimSpace(goString(log[:n])); s != "" {
		err = fmt.Errorf("%w\n%s", err, s)
	}
	return err
}

// cString copies a NUL-terminated C string owned by the library.
func cString(p *byte) string {
	if p == nil {
		return "?"
	}
	var b []byte
	for q := unsafe.Pointer(p); *(*byte)(q) != 0 && len(b) < 4096; q = unsafe.Add(q, 1) {
		b = append(b, *(*byte)(q))
	}
	return string(b)
}

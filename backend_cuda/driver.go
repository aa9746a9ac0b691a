package backend_cuda

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/crossbar-compute/crossbar/backend"
)

// cuResult is a CUresult of the driver API (0: CUDA_SUCCESS).
type cuResult int32

// cuSentinels are the CUresults that wrap one of crossbar's sentinels (the others wrap
// errCUDA), with the driver's names for them, which TestRealDriverLibrary checks. Of the
// codes 700-720, those of a kernel that failed are launch errors; the others (704-709,
// 711-713) are about peer access, registered host memory and destroyed contexts.
var cuSentinels = map[cuResult]struct {
	name     string
	sentinel error
}{
	2:   {"CUDA_ERROR_OUT_OF_MEMORY", backend.ErrOutOfMemory},
	100: {"CUDA_ERROR_NO_DEVICE", backend.ErrUnavailable},
	200: {"CUDA_ERROR_INVALID_IMAGE", backend.ErrCompile},
	209: {"CUDA_ERROR_NO_BINARY_FOR_GPU", backend.ErrCompile},
	218: {"CUDA_ERROR_INVALID_PTX", backend.ErrCompile},
	221: {"CUDA_ERROR_JIT_COMPILER_NOT_FOUND", backend.ErrCompile},
	222: {"CUDA_ERROR_UNSUPPORTED_PTX_VERSION", backend.ErrCompile},
	700: {"CUDA_ERROR_ILLEGAL_ADDRESS", backend.ErrLaunch},
	701: {"CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", backend.ErrLaunch},
	702: {"CUDA_ERROR_LAUNCH_TIMEOUT", backend.ErrLaunch},
	703: {"CUDA_ERROR_LAUNCH_INCOMPATIBLE_TEXTURING", backend.ErrLaunch},
	710: {"CUDA_ERROR_ASSERT", backend.ErrLaunch},
	714: {"CUDA_ERROR_HARDWARE_STACK_ERROR", backend.ErrLaunch},
	715: {"CUDA_ERROR_ILLEGAL_INSTRUCTION", backend.ErrLaunch},
	716: {"CUDA_ERROR_MISALIGNED_ADDRESS", backend.ErrLaunch},
	717: {"CUDA_ERROR_INVALID_ADDRESS_SPACE", backend.ErrLaunch},
	718: {"CUDA_ERROR_INVALID_PC", backend.ErrLaunch},
	719: {"CUDA_ERROR_LAUNCH_FAILED", backend.ErrLaunch},
	720: {"CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE", backend.ErrLaunch},
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
	moduleLoadData    func(m *uintptr, image unsafe.Pointer) cuResult
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
		"cuModuleLoadData":             &d.moduleLoadData,
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
	sentinel := errCUDA
	if c, ok := cuSentinels[r]; ok {
		sentinel = c.sentinel
	}
	return fmt.Errorf("cuda: %s: %s: %w", what, d.errString(r), sentinel)
}

var errCUDA = errors.New("CUDA error")

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

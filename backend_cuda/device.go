package backend_cuda

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/backend/codegen/kerneltune"
	"github.com/crossbar-compute/crossbar/graph"
)

func init() { backend.Register(cudaBackend{}) }

type cudaBackend struct{}

func (cudaBackend) Name() string { return "cuda" }

// Priority puts CUDA devices before GL and the CPU.
func (cudaBackend) Priority() int { return 100 }

var (
	probeOnce  sync.Once
	theDevices []backend.Device
	probeErr   error
)

// Devices implements backend.Backend. The first call loads the driver and NVRTC and
// retains each device's primary context.
func (cudaBackend) Devices() ([]backend.Device, error) {
	probeOnce.Do(func() { theDevices, probeErr = probe() })
	if probeErr != nil {
		return nil, fmt.Errorf("cuda: %v: %w", probeErr, backend.ErrUnavailable)
	}
	return theDevices, nil
}

func probe() ([]backend.Device, error) {
	drv, err := loadDriver()
	if err != nil {
		return nil, err
	}
	nv, err := loadNVRTC(int(drv.version))
	if err != nil {
		return nil, fmt.Errorf("driver %s found, but %v", drv.path, err)
	}
	var count int32
	if err := drv.check("cuDeviceGetCount", drv.deviceGetCount(&count)); err != nil {
		return nil, err
	}
	if count == 0 {
		return nil, fmt.Errorf("driver %s (CUDA %s) sees no device", drv.path, drv.Version())
	}
	// A device that cannot be opened (one NVRTC cannot compile for, one in exclusive use by
	// another process) leaves the others usable.
	var devs []backend.Device
	var errs []error
	for i := range count {
		d, err := openDevice(drv, nv, int(i))
		if err != nil {
			errs = append(errs, err)
			slog.Warn("crossbar: CUDA device skipped", "device", i, "err", err)
			continue
		}
		devs = append(devs, d)
	}
	if len(devs) == 0 {
		return nil, errors.Join(errs...)
	}
	return devs, nil
}

// Device is one Nvidia GPU. Its methods may be called from any goroutine: each call locks
// its goroutine to an OS thread and pushes the device's primary context for the duration
// of the call (CUDA contexts are current per thread), and calls are serialized on the
// device's stream.
type Device struct {
	drv    *driverAPI
	nv     *nvrtcAPI
	index  int
	dev    int32
	ctx    uintptr
	stream uintptr
	name   string
	arch   Arch
	caps   backend.Capabilities
	target codegen.Target
	opts   codegen.Options
	tuning *kerneltune.Site
	flag   uint64 // the gather error flag buffer
	// The workspace of split-K launches (codegen.Program.Split), grown as launches need:
	// counters, all zero between launches, and partial tiles. One stream runs the
	// launches, so one workspace serves them all.
	counters, partials         uint64
	counterBytes, partialBytes int
	mu                         sync.Mutex
	pinned                     unsafe.Pointer // pinned staging memory for copies, nil if unavailable
	pinSize                    int
	// timeMu serializes Time; timer (guarded by mu) is the start event of the Time in
	// progress, nil when none is.
	timeMu sync.Mutex
	timer  *timer
	// lost is the error that lost the context (errContextLost), after which the device
	// makes no call and returns it; launched are the latest launches, which it names,
	// as the launch at fault may be any that ran before the call that reported it. Both
	// are guarded by mu.
	lost     error
	launched []string
}

// launchesNamed is how many of the latest launches an error that loses the context names.
const launchesNamed = 4

const pinnedBytes = 8 << 20

// eventDisableTiming is CU_EVENT_DISABLE_TIMING: the events of staged copies only order.
const eventDisableTiming = 0x2

func openDevice(drv *driverAPI, nv *nvrtcAPI, index int) (*Device, error) {
	d := &Device{drv: drv, nv: nv, index: index}
	if err := drv.check("cuDeviceGet", drv.deviceGet(&d.dev, int32(index))); err != nil {
		return nil, err
	}
	name := make([]byte, 256)
	if err := drv.check("cuDeviceGetName", drv.deviceGetName(&name[0], int32(len(name)), d.dev)); err != nil {
		return nil, err
	}
	d.name = goString(name)
	attr := func(a int32) int {
		var v int32
		if drv.deviceGetAttr(&v, a, d.dev) != 0 {
			return 0
		}
		return int(v)
	}
	var mem uintptr
	drv.deviceTotalMem(&mem, d.dev)
	d.arch = Arch{
		CC:             10*attr(attrCCMajor) + attr(attrCCMinor),
		MaxThreads:     attr(attrMaxThreadsPerBlock),
		SharedMemory:   attr(attrMaxSharedPerBlock),
		MaxGrid:        [3]int{attr(attrMaxGridDimX), attr(attrMaxGridDimY), attr(attrMaxGridDimZ)},
		WarpSize:       attr(attrWarpSize),
		SMs:            attr(attrMultiprocessorCount),
		Integrated:     attr(attrIntegrated) != 0,
		MemoryBytes:    int64(mem),
		ClockKHz:       attr(attrClockRate),
		L2Bytes:        attr(attrL2CacheSize),
		MemoryClockKHz: attr(attrMemoryClockRate),
		MemoryBusWidth: attr(attrGlobalMemoryBusWidth),
		SharedOptIn:    attr(attrMaxSharedPerBlockOpt),
		SharedPerSM:    attr(attrMaxSharedPerSM),
		SharedReserved: attr(attrReservedSharedBlock),
	}
	if _, err := nv.target(d.arch.CC); err != nil {
		return nil, fmt.Errorf("device %d (%s): %v", index, d.name, err)
	}
	// CROSSBAR_CUDA_WGMMA=off keeps products on sm_80's mma.sync, to compare or to rule
	// the warpgroup MMAs out.
	d.arch.WarpgroupMMA = nv.warpgroupMMA(d.arch.CC) && os.Getenv("CROSSBAR_CUDA_WGMMA") != "off"
	// CROSSBAR_CUDA_TMA=off keeps the warpgroup kernels on copies by every thread.
	d.arch.TensorMaps = d.arch.WarpgroupMMA && drv.tensorMapEncodeTiled != nil && os.Getenv("CROSSBAR_CUDA_TMA") != "off"
	d.target = d.arch.Target()
	d.tuning = d.newSite()
	d.caps = backend.Capabilities{DTypes: dtypes, MaxWorkgroup: d.target.MaxWorkgroup, SharedMemory: d.target.SharedMemory,
		WarpWidth: d.target.WarpWidth, UnifiedMemory: d.arch.Integrated, Cores: d.arch.SMs, Softmax: true, LayerNorm: true, ArgMax: true}
	if err := drv.check("cuDevicePrimaryCtxRetain", drv.primaryCtxRetain(&d.ctx, d.dev)); err != nil {
		return nil, err
	}
	err := d.do(func() error {
		if err := drv.check("cuStreamCreate", drv.streamCreate(&d.stream, 0)); err != nil {
			return err
		}
		if err := drv.check("cuMemAlloc(flag)", drv.memAlloc(&d.flag, 4*codegen.GatherFlag)); err != nil {
			// The primary context may outlive this device (another library may hold it).
			drv.streamDestroy(d.stream)
			return err
		}
		var p unsafe.Pointer
		if drv.memAllocHost(&p, pinnedBytes) == 0 {
			d.pinned, d.pinSize = p, pinnedBytes
		}
		return nil
	})
	if err != nil {
		drv.primaryCtxRelease(d.dev)
		return nil, fmt.Errorf("device %d (%s): %w", index, d.name, err)
	}
	return d, nil
}

// do runs f with the device's context current on a locked OS thread, one call at a time.
// Once an error has lost the context, do returns it, wrapping ErrUnavailable, and runs
// nothing: the driver would fail every call with it.
func (d *Device) do(f func() error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lost != nil {
		return fmt.Errorf("cuda: %s cannot be used after an earlier error: %w: %w", d.Name(), d.lost, backend.ErrUnavailable)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := d.drv.check("cuCtxPushCurrent", d.drv.ctxPushCurrent(d.ctx)); err != nil {
		return err
	}
	err := f()
	var old uintptr
	if perr := d.drv.check("cuCtxPopCurrent", d.drv.ctxPopCurrent(&old)); err == nil {
		err = perr
	}
	if errors.Is(err, errContextLost) {
		if len(d.launched) > 0 {
			err = fmt.Errorf("%w; the latest launches on %s, newest last: %s", err, d.Name(), strings.Join(d.launched, "; "))
		}
		d.lost = err
		slog.Error("crossbar: CUDA device lost", "device", d.Name(), "err", err)
	}
	return err
}

// noteLaunch records a launch among the latest. The caller holds d.mu.
func (d *Device) noteLaunch(what string) {
	if len(d.launched) == launchesNamed {
		d.launched = append(d.launched[:0], d.launched[1:]...)
	}
	d.launched = append(d.launched, what)
}

// Name implements backend.Device.
func (d *Device) Name() string { return fmt.Sprintf("cuda:%d", d.index) }

// Info describes the device, the driver and NVRTC.
func (d *Device) Info() string {
	a := d.arch
	target, _ := d.gpuArch()
	var with string
	switch {
	case a.TensorMaps:
		with = ", warpgroup MMAs with tensor copies"
	case a.WarpgroupMMA:
		with = ", warpgroup MMAs"
	}
	return fmt.Sprintf("%s, sm_%d, %d SMs at %d MHz, %.1f GiB at %d MHz x %d bits, %d KiB shared memory per block (%d opt-in, %d an SM), %d MiB L2; driver %s (CUDA %s), NVRTC %s (kernels for %v%s)",
		d.name, a.CC, a.SMs, a.ClockKHz/1000, float64(a.MemoryBytes)/(1<<30), a.MemoryClockKHz/1000, a.MemoryBusWidth,
		a.SharedMemory>>10, a.SharedOptIn>>10, a.SharedPerSM>>10, a.L2Bytes>>20, d.drv.path, d.drv.Version(), d.nv.Version(), target, with)
}

// gpuArch is what NVRTC compiles the device's kernels for: sm_90a where the kernels may
// use its warpgroup MMAs.
func (d *Device) gpuArch() (gpuArch, error) {
	a, err := d.nv.target(d.arch.CC)
	a.specific = err == nil && d.arch.WarpgroupMMA
	return a, err
}

// Arch returns the device's architecture and limits.
func (d *Device) Arch() Arch { return d.arch }

// Capabilities implements backend.Device.
func (d *Device) Capabilities() backend.Capabilities {
	c := d.caps
	c.DTypes = append([]graph.DType(nil), c.DTypes...)
	return c
}

// Buffer is device memory.
type Buffer struct {
	dev   *Device // whose memory it is: another device's context cannot use it
	ptr   uint64
	dt    graph.DType
	n     int
	freed atomic.Bool // set once, by the one Free that releases ptr
}

// DType implements backend.Buffer.
func (b *Buffer) DType() graph.DType { return b.dt }

// Len implements backend.Buffer.
func (b *Buffer) Len() int { return b.n }

// Alloc implements backend.Device. Elements are stored as the host stores them.
func (d *Device) Alloc(dt graph.DType, n int) (backend.Buffer, error) {
	if !dt.Valid() || n < 0 {
		return nil, fmt.Errorf("cuda: alloc %d of %v: %w", n, dt, backend.ErrUnsupported)
	}
	// A size that wraps around would allocate a small buffer that copies and kernels
	// then overrun.
	if n > math.MaxInt/dt.Size() {
		return nil, fmt.Errorf("cuda: alloc %d x %v: the size in bytes overflows: %w", n, dt, backend.ErrOutOfMemory)
	}
	bytes := n * dt.Size()
	b := &Buffer{dev: d, dt: dt, n: n}
	if n == 0 {
		return b, nil
	}
	err := d.do(func() error {
		return d.drv.check(fmt.Sprintf("cuMemAlloc(%d x %v, %d bytes)", n, dt, bytes), d.drv.memAlloc(&b.ptr, uintptr(bytes)))
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

func (d *Device) buffer(b backend.Buffer) (*Buffer, error) {
	cb, ok := b.(*Buffer)
	if !ok || cb == nil {
		return nil, fmt.Errorf("cuda: buffer %T is not a cuda buffer: %w", b, backend.ErrUnsupported)
	}
	if cb.dev != d {
		owner := "no device"
		if cb.dev != nil {
			owner = cb.dev.Name()
		}
		return nil, fmt.Errorf("cuda: buffer of %s used on %s: %w", owner, d.Name(), backend.ErrUnsupported)
	}
	if cb.freed.Load() {
		return nil, fmt.Errorf("cuda: %d x %v: %w", cb.n, cb.dt, backend.ErrFreed)
	}
	return cb, nil
}

// Free implements backend.Device.
func (d *Device) Free(b backend.Buffer) error {
	cb, err := d.buffer(b)
	if err != nil {
		return err
	}
	// Of concurrent Frees of one buffer, one releases the memory: a second cuMemFree
	// could release an allocation made at the same address in between.
	if !cb.freed.CompareAndSwap(false, true) {
		return fmt.Errorf("cuda: free %d x %v: %w", cb.n, cb.dt, backend.ErrFreed)
	}
	if cb.ptr == 0 {
		return nil
	}
	return d.do(func() error {
		return d.drv.check(fmt.Sprintf("cuMemFree(%d x %v)", cb.n, cb.dt), d.drv.memFree(cb.ptr))
	})
}

// CopyIn implements backend.Device, through the pinned staging buffer.
func (d *Device) CopyIn(dst backend.Buffer, src []byte) error {
	b, err := d.buffer(dst)
	if err != nil {
		return err
	}
	if len(src) != b.n*b.dt.Size() {
		return fmt.Errorf("cuda: copy in %d bytes to %d x %v", len(src), b.n, b.dt)
	}
	if len(src) == 0 {
		return nil
	}
	what := fmt.Sprintf("cuMemcpyHtoD(%d bytes to %d x %v)", len(src), b.n, b.dt)
	return d.onStream(func() error {
		if d.pinned == nil {
			err := d.drv.check(what, d.drv.memcpyHtoDAsync(b.ptr, unsafe.Pointer(&src[0]), uintptr(len(src)), d.stream))
			if err == nil {
				err = d.drv.check("cuStreamSynchronize", d.drv.streamSynchronize(d.stream))
			}
			runtime.KeepAlive(src)
			return err
		}
		return d.stageIn(b.ptr, src, what)
	})
}

// CopyOut implements backend.Device, through the pinned staging buffer.
func (d *Device) CopyOut(dst []byte, src backend.Buffer) error {
	b, err := d.buffer(src)
	if err != nil {
		return err
	}
	if len(dst) != b.n*b.dt.Size() {
		return fmt.Errorf("cuda: copy out %d x %v to %d bytes", b.n, b.dt, len(dst))
	}
	if len(dst) == 0 {
		return nil
	}
	what := fmt.Sprintf("cuMemcpyDtoH(%d x %v to %d bytes)", b.n, b.dt, len(dst))
	return d.onStream(func() error {
		if d.pinned == nil {
			err := d.drv.check(what, d.drv.memcpyDtoHAsync(unsafe.Pointer(&dst[0]), b.ptr, uintptr(len(dst)), d.stream))
			if err == nil {
				err = d.drv.check("cuStreamSynchronize", d.drv.streamSynchronize(d.stream))
			}
			runtime.KeepAlive(dst)
			return err
		}
		return d.stageOut(dst, b.ptr, what)
	})
}

// The pinned staging memory is used in two halves: while the DMA engine moves one half,
// the host fills (stageIn) or empties (stageOut) the other, so that the two overlap
// (BenchmarkHostCopy measures the copies against the DMA alone). An event recorded after
// each DMA tells when its half is free again (stageIn) or filled (stageOut).

// stageHalf is half h of the pinned staging memory.
func (d *Device) stageHalf(h int) []byte {
	half := d.pinSize / 2
	return unsafe.Slice((*byte)(unsafe.Add(d.pinned, h*half)), half)
}

// copyEvents creates the two events of a staged copy; release destroys those created.
func (d *Device) copyEvents() (ev [2]uintptr, release func(), err error) {
	release = func() {
		for _, e := range ev {
			if e != 0 {
				d.drv.eventDestroy(e)
			}
		}
	}
	for i := range ev {
		if err := d.drv.check("cuEventCreate", d.drv.eventCreate(&ev[i], eventDisableTiming)); err != nil {
			release()
			return ev, nil, err
		}
	}
	return ev, release, nil
}

// stageIn copies src to the device memory at ptr through the staging halves and waits for
// the copy to end. The caller holds the context; what names the copy in errors.
func (d *Device) stageIn(ptr uint64, src []byte, what string) (err error) {
	defer func() {
		if err != nil {
			// No DMA may still read the staging memory when the next copy fills it.
			d.drv.streamSynchronize(d.stream)
		}
	}()
	half := d.pinSize / 2
	var ev [2]uintptr
	if len(src) > 2*half { // a half is filled again: its first DMA must have ended
		var release func()
		if ev, release, err = d.copyEvents(); err != nil {
			return err
		}
		defer release()
	}
	for i, off := 0, 0; off < len(src); i, off = i+1, off+half {
		h := i % 2
		if i >= 2 {
			if err := d.drv.check("cuEventSynchronize", d.drv.eventSynchronize(ev[h])); err != nil {
				return err
			}
		}
		stage := d.stageHalf(h)
		n := copy(stage, src[off:])
		if err := d.drv.check(what, d.drv.memcpyHtoDAsync(ptr+uint64(off), unsafe.Pointer(&stage[0]), uintptr(n), d.stream)); err != nil {
			return err
		}
		if ev[h] != 0 {
			if err := d.drv.check("cuEventRecord", d.drv.eventRecord(ev[h], d.stream)); err != nil {
				return err
			}
		}
	}
	return d.drv.check("cuStreamSynchronize", d.drv.streamSynchronize(d.stream))
}

// stageOut copies the device memory at ptr into dst through the staging halves. The
// caller holds the context; what names the copy in errors.
func (d *Device) stageOut(dst []byte, ptr uint64, what string) (err error) {
	defer func() {
		if err != nil {
			// No DMA may still write the staging memory when the next copy uses it.
			d.drv.streamSynchronize(d.stream)
		}
	}()
	half := d.pinSize / 2
	chunks := (len(dst) + half - 1) / half
	var ev [2]uintptr
	if chunks > 1 {
		var release func()
		if ev, release, err = d.copyEvents(); err != nil {
			return err
		}
		defer release()
	}
	issue := func(i int) error {
		h, off := i%2, i*half
		stage := d.stageHalf(h)
		n := min(half, len(dst)-off)
		if err := d.drv.check(what, d.drv.memcpyDtoHAsync(unsafe.Pointer(&stage[0]), ptr+uint64(off), uintptr(n), d.stream)); err != nil {
			return err
		}
		if ev[h] != 0 {
			return d.drv.check("cuEventRecord", d.drv.eventRecord(ev[h], d.stream))
		}
		return nil
	}
	for i := range min(chunks, 2) {
		if err := issue(i); err != nil {
			return err
		}
	}
	for i := range chunks {
		h, off := i%2, i*half
		if ev[h] != 0 {
			err = d.drv.check("cuEventSynchronize", d.drv.eventSynchronize(ev[h]))
		} else {
			err = d.drv.check("cuStreamSynchronize", d.drv.streamSynchronize(d.stream))
		}
		if err != nil {
			return err
		}
		copy(dst[off:min(off+half, len(dst))], d.stageHalf(h))
		if i+2 < chunks {
			if err := issue(i + 2); err != nil {
				return err
			}
		}
	}
	return nil
}

// program is a loaded module and its kernel.
type program struct {
	dev    *Device // whose context the module is loaded in
	module uintptr
	fn     uintptr
	groups [3]int
	local  [3]int
	params int
	flag   bool
	split  codegen.Workspace
	maps   []codegen.TensorMap // parameters after the buffers, built for each launch's buffers
	// mapPtrs and mapSlots are the parameters of the last launch with tensor maps and the
	// maps built for them, used again while the buffers stay the same (under dev.mu).
	mapPtrs  []uint64
	mapSlots []*[16]uint64
	// dynamicShared is the bytes of dynamic shared memory of a kernel past the static
	// limit (codegen.CUDAStaticShared), given at every launch; 0 for static shared memory.
	dynamicShared int
	where         string // gather: the axis, for errors
	source        string
	what          string // the kernel in a few words, for errors
}

// kernelBrief describes k in a few words: its core op (or elementwise) and its output.
func kernelBrief(k *graph.Kernel) string {
	op := "elementwise"
	if k.Core != nil {
		op = k.Core.Op.String()
	}
	return fmt.Sprintf("%s to %v%v", op, k.Out.DType, k.Out.Shape)
}

// Source returns the CUDA C++ that Compile would build for k, for humans and tests.
func (d *Device) Source(k *graph.Kernel) (string, error) {
	p, err := codegen.Lower(k, d.target, d.tuning.Options(k))
	if err != nil {
		return "", err
	}
	return Source(p)
}

// Compile implements backend.Device: lower, render, NVRTC to a CUBIN for the device's
// sm_XY (PTX for the newest architecture NVRTC knows when it does not know the device's),
// load the module. A kernel with tuned knobs gets them where the tuning cache has them (see
// tune.go), the prior of optionsFor otherwise.
func (d *Device) Compile(k *graph.Kernel) (backend.Program, error) {
	return d.CompileWith(k, d.tuning.Options(k))
}

// CompileWith compiles k with code-generation options o, tuned knobs not looked up: the
// tuner measures candidates with it.
func (d *Device) CompileWith(k *graph.Kernel, o codegen.Options) (backend.Program, error) {
	p, err := codegen.Lower(k, d.target, o)
	if err != nil {
		return nil, fmt.Errorf("cuda: %w", err)
	}
	src, err := Source(p)
	if err != nil {
		return nil, err
	}
	arch, err := d.gpuArch()
	if err != nil {
		return nil, fmt.Errorf("cuda: %w", err)
	}
	image, err := d.nv.compileCached(src, p.Name, arch)
	if err != nil {
		return nil, err
	}
	prog := &program{dev: d, groups: p.Groups, local: p.Local, params: len(p.Params), flag: p.ErrorFlag, split: p.Split, maps: p.TensorMaps,
		source: src, what: kernelBrief(k)}
	if n := codegen.SharedBytes(p); n > codegen.CUDAStaticShared {
		prog.dynamicShared = n
	}
	if c := k.Core; p.ErrorFlag && c != nil && c.Op == graph.OpGather {
		shape := c.Src[0].View.Shape
		prog.where = fmt.Sprintf("for axis %d of size %d in %v", c.Axes[0], shape[c.Axes[0]], shape)
	}
	err = d.do(func() error {
		if err := d.drv.loadModule(&prog.module, image, fmt.Sprintf("%s for %v, %d bytes", p.Name, arch, len(image))); err != nil {
			return err
		}
		if err := d.drv.check("cuModuleGetFunction("+p.Name+")", d.drv.moduleGetFunction(&prog.fn, prog.module, p.Name)); err != nil {
			d.drv.moduleUnload(prog.module)
			return err
		}
		if prog.dynamicShared > 0 {
			// Past 48 KiB a kernel must ask for its shared memory.
			r := d.drv.funcSetAttribute(prog.fn, funcAttrMaxDynamicShared, int32(prog.dynamicShared))
			if err := d.drv.check(fmt.Sprintf("cuFuncSetAttribute(%s, %d bytes of dynamic shared memory)", p.Name, prog.dynamicShared), r); err != nil {
				d.drv.moduleUnload(prog.module)
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Programs live in the executor's cache; one that is dropped unloads its module.
	runtime.AddCleanup(prog, d.unload, prog.module)
	return prog, nil
}

// unload unloads the module of a dropped program, once the launches of its kernel that
// are still queued on the stream have run.
func (d *Device) unload(module uintptr) {
	_ = d.do(func() error {
		d.drv.streamSynchronize(d.stream)
		d.drv.moduleUnload(module)
		return nil
	})
}

// workspace returns the counters and the partial tiles of a split-K launch, growing the
// device's workspace as w needs. New counters are zeroed; each kernel leaves its counters
// zero. The caller holds d.mu with the context current.
func (d *Device) workspace(w codegen.Workspace) (counters, partials uint64, err error) {
	grow := func(ptr *uint64, have *int, need int, what string, zero bool) error {
		if need <= *have {
			return nil
		}
		mib := func(n int) int { return (n + 1<<20 - 1) &^ (1<<20 - 1) }
		if *ptr != 0 {
			// Launches still on the stream may use the old memory.
			if err := d.drv.check("cuStreamSynchronize", d.drv.streamSynchronize(d.stream)); err != nil {
				return err
			}
			d.drv.memFree(*ptr)
		}
		// Whole MiB, at least doubling, or just what is needed when that fails.
		size := mib(max(need, 2*(*have)))
		*ptr, *have = 0, 0
		if d.drv.memAlloc(ptr, uintptr(size)) != 0 {
			size = mib(need)
			if err := d.drv.check(fmt.Sprintf("cuMemAlloc(split-K %s, %d bytes)", what, size), d.drv.memAlloc(ptr, uintptr(size))); err != nil {
				*ptr = 0
				return err
			}
		}
		if zero {
			if err := d.drv.check("cuMemsetD32Async(split-K counters)", d.drv.memsetD32Async(*ptr, 0, uintptr(size/4), d.stream)); err != nil {
				d.drv.memFree(*ptr)
				*ptr = 0
				return err
			}
		}
		*have = size
		return nil
	}
	if err := grow(&d.counters, &d.counterBytes, 4*w.Counters, "counters", true); err != nil {
		return 0, 0, err
	}
	if err := grow(&d.partials, &d.partialBytes, 4*w.Partials, "partial tiles", false); err != nil {
		return 0, 0, err
	}
	return d.counters, d.partials, nil
}

// Launch implements backend.Device.
func (d *Device) Launch(p backend.Program, out backend.Buffer, inputs []backend.Buffer) error {
	prog, ok := p.(*program)
	if !ok || prog == nil {
		return fmt.Errorf("cuda: program %T: %w", p, backend.ErrLaunch)
	}
	if prog.dev != d {
		// Its function handle belongs to another device's context.
		return fmt.Errorf("cuda: program compiled for another device launched on %s: %w", d.Name(), backend.ErrLaunch)
	}
	ptrs := make([]uint64, 0, 2+len(inputs))
	for _, b := range append([]backend.Buffer{out}, inputs...) {
		cb, err := d.buffer(b)
		if err != nil {
			return err
		}
		ptrs = append(ptrs, cb.ptr)
	}
	want := prog.params
	if prog.flag {
		want--
	}
	split := prog.split.Counters > 0
	if split {
		want -= 2
	}
	if len(ptrs) != want {
		return fmt.Errorf("cuda: program takes %d buffers, got %d: %w", want, len(ptrs), backend.ErrLaunch)
	}
	if prog.flag {
		ptrs = append(ptrs, d.flag)
	}
	if split {
		ptrs = append(ptrs, 0, 0) // the workspace's, set below
	}
	// kernelParams: one pointer per parameter, to the parameter's value, which the driver
	// reads during cuLaunchKernel only. Go memory handed to C may hold Go pointers only to
	// pinned memory. The tensor maps' pointers follow, below.
	args := make([]unsafe.Pointer, len(ptrs), len(ptrs)+len(prog.maps))
	for i := range ptrs {
		args[i] = unsafe.Pointer(&ptrs[i])
	}
	var pin runtime.Pinner
	pin.Pin(&ptrs[0])
	defer pin.Unpin()
	var flag [codegen.GatherFlag]int32
	err := d.do(func() error {
		if split {
			// Before the timer starts: growing the workspace is host work.
			c, p, err := d.workspace(prog.split)
			if err != nil {
				return err
			}
			ptrs[len(ptrs)-2], ptrs[len(ptrs)-1] = c, p
		}
		maps, err := d.launchMaps(prog, ptrs)
		if err != nil {
			return err
		}
		for _, m := range maps {
			args = append(args, unsafe.Pointer(m))
		}
		if len(maps) > 0 {
			pin.Pin(maps[0])
		}
		if err := d.begin(); err != nil {
			return err
		}
		if prog.flag {
			if err := d.drv.check("cuMemsetD32Async", d.drv.memsetD32Async(d.flag, 0, codegen.GatherFlag, d.stream)); err != nil {
				return err
			}
		}
		g, l := prog.groups, prog.local
		r := d.drv.launchKernel(prog.fn, uint32(max(g[0], 1)), uint32(max(g[1], 1)), uint32(max(g[2], 1)),
			uint32(max(l[0], 1)), uint32(max(l[1], 1)), uint32(max(l[2], 1)), uint32(prog.dynamicShared), d.stream, unsafe.Pointer(&args[0]), nil)
		runtime.KeepAlive(ptrs)
		runtime.KeepAlive(args)
		if err := d.drv.check(fmt.Sprintf("cuLaunchKernel(%s: %v blocks of %v threads, %d bytes of dynamic shared memory)", prog.what, g, l, prog.dynamicShared), r); err != nil {
			if !errors.Is(err, backend.ErrLaunch) && !errors.Is(err, backend.ErrOutOfMemory) {
				err = fmt.Errorf("%w: %w", err, backend.ErrLaunch)
			}
			return err
		}
		d.noteLaunch(fmt.Sprintf("%s in %v blocks", prog.what, g))
		if prog.flag {
			if err := d.drv.check("cuMemcpyDtoH(flag)", d.drv.memcpyDtoHAsync(unsafe.Pointer(&flag[0]), d.flag, 4*codegen.GatherFlag, d.stream)); err != nil {
				return err
			}
			return d.drv.check("cuStreamSynchronize", d.drv.streamSynchronize(d.stream))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if flag[0] != 0 {
		return fmt.Errorf("gather: index %d out of range %s: %w", flag[1], prog.where, graph.ErrShape)
	}
	return nil
}

// launchMaps returns the tensor maps of a launch of prog whose parameters are ptrs: those
// of the last launch where its buffers are the same, else new ones. The caller holds d.mu
// with the context current.
func (d *Device) launchMaps(prog *program, ptrs []uint64) ([]*[16]uint64, error) {
	if len(prog.maps) == 0 {
		return nil, nil
	}
	if slices.Equal(prog.mapPtrs, ptrs) {
		return prog.mapSlots, nil
	}
	slots := tensorMapSlots(len(prog.maps))
	if err := d.tensorMaps(slots, prog.maps, ptrs); err != nil {
		return nil, err
	}
	prog.mapPtrs, prog.mapSlots = slices.Clone(ptrs), slots
	return slots, nil
}

// tensorMapSlots returns n CUtensorMaps, 128 bytes each, in one array, 128-byte aligned:
// the driver requires 64, and CUDA 13's cuda.h declares the type with 128.
func tensorMapSlots(n int) []*[16]uint64 {
	if n == 0 {
		return nil
	}
	buf := make([]uint64, 16*n+16)
	skip := int((128 - uintptr(unsafe.Pointer(&buf[0]))%128) % 128 / 8)
	out := make([]*[16]uint64, n)
	for i := range out {
		out[i] = (*[16]uint64)(buf[skip+16*i : skip+16*i+16])
	}
	return out
}

// tensorMaps builds into out the tensor maps of a launch whose buffer parameters are at
// ptrs. The caller holds d.mu with the context current.
func (d *Device) tensorMaps(out []*[16]uint64, maps []codegen.TensorMap, ptrs []uint64) error {
	if len(maps) == 0 {
		return nil
	}
	if d.drv.tensorMapEncodeTiled == nil {
		return fmt.Errorf("cuda: a kernel with tensor maps, and the driver %s builds none: %w", d.drv.Version(), backend.ErrLaunch)
	}
	for i, m := range maps {
		dt, ok := tensorMapTypes[m.DType]
		if err := m.Check(); err != nil || !ok || m.Param < 0 || m.Param >= len(ptrs) {
			return fmt.Errorf("cuda: tensor map %d of buffer %d (%v): %v: %w", i, m.Param, m.DType, err, backend.ErrLaunch)
		}
		r := len(m.Dims)
		dims, strides := make([]uint64, r), make([]uint64, r)
		box, elems := make([]uint32, r), make([]uint32, r)
		for j := range r {
			dims[j], box[j], elems[j] = uint64(m.Dims[j]), uint32(m.Box[j]), 1
			if j > 0 {
				strides[j-1] = uint64(m.Strides[j-1])
			}
		}
		global := ptrs[m.Param] + uint64(m.Offset*m.DType.Size())
		// Out-of-bounds elements read as zeros (fill "none"); L2 promotion in 256-byte
		// sectors, as the boxes' rows are 128 bytes and neighbouring boxes share lines.
		res := d.drv.tensorMapEncodeTiled(out[i], dt, uint32(r), global, &dims[0], &strides[0], &box[0], &elems[0], 0,
			tensorMapSwizzles[m.Swizzle], 3, 0)
		if err := d.drv.check(fmt.Sprintf("cuTensorMapEncodeTiled(buffer %d, %v, dims %v, strides %v, box %v, swizzle %d)",
			m.Param, m.DType, m.Dims, m.Strides, m.Box, m.Swizzle), res); err != nil {
			if !errors.Is(err, backend.ErrLaunch) {
				err = fmt.Errorf("%w: %w", err, backend.ErrLaunch)
			}
			return err
		}
	}
	return nil
}

// tensorMapSwizzles are the CUtensorMapSwizzle of the swizzles in bytes (TensorMap.Check
// allows no others).
var tensorMapSwizzles = map[int]int32{0: 0, 32: 1, 64: 2, 128: 3}

// tensorMapTypes are the CUtensorMapDataType of the dtypes tensor maps read.
var tensorMapTypes = map[graph.DType]int32{graph.Uint8: 0, graph.Int32: 3, graph.Int64: 5, graph.Float16: 6,
	graph.Float32: 7, graph.Float64: 8, graph.BFloat16: 9}

// Synchronize implements backend.Device.
func (d *Device) Synchronize() error {
	return d.do(func() error { return d.drv.check("cuStreamSynchronize", d.drv.streamSynchronize(d.stream)) })
}

// timer is the start event of a Time in progress, recorded on the stream by begin.
type timer struct {
	start    uintptr
	recorded bool
}

// onStream is do for f, which puts work on the stream: the Time in progress, if any,
// starts before it.
func (d *Device) onStream(f func() error) error {
	return d.do(func() error {
		if err := d.begin(); err != nil {
			return err
		}
		return f()
	})
}

// begin records the start event of the Time in progress, if there is one and it is not
// recorded yet: every method that puts work on the stream calls it first (most through
// onStream; Launch after growing the workspace, which is host work). The caller
// holds d.mu with the context current.
func (d *Device) begin() error {
	if t := d.timer; t != nil && !t.recorded {
		t.recorded = true
		return d.drv.check("cuEventRecord", d.drv.eventRecord(t.start, d.stream))
	}
	return nil
}

// Time implements backend.Device with events on the device's stream: from the first work
// fn puts on the stream (a launch, a copy, a cuBLAS call) to the end of the last. What the
// host does before the first (scheduling a graph, allocating its output, compiling) is
// not device time: with an event recorded when Time is called, the stream's idle wait for
// it would be counted, which for a product of a few microseconds is most of the time.
// Calls of Time are serialized; fn must not call Time.
func (d *Device) Time(fn func() error) (time.Duration, error) {
	d.timeMu.Lock()
	defer d.timeMu.Unlock()
	var ev [2]uintptr
	err := d.do(func() error {
		for i := range ev {
			if err := d.drv.check("cuEventCreate", d.drv.eventCreate(&ev[i], 0)); err != nil {
				return err
			}
		}
		d.timer = &timer{start: ev[0]}
		return nil
	})
	defer func() {
		_ = d.do(func() error {
			d.timer = nil
			for _, e := range ev {
				if e != 0 {
					d.drv.eventDestroy(e)
				}
			}
			return nil
		})
	}()
	if err != nil {
		return 0, err
	}
	ferr := fn()
	var ms float32
	err = d.do(func() error {
		if err := d.begin(); err != nil { // fn put nothing on the stream: no time
			return err
		}
		d.timer = nil
		if err := d.drv.check("cuEventRecord", d.drv.eventRecord(ev[1], d.stream)); err != nil {
			return err
		}
		if err := d.drv.check("cuEventSynchronize", d.drv.eventSynchronize(ev[1])); err != nil {
			return err
		}
		return d.drv.check("cuEventElapsedTime", d.drv.eventElapsedTime(&ms, ev[0], ev[1]))
	})
	if ferr != nil {
		return 0, ferr
	}
	return time.Duration(float64(ms) * float64(time.Millisecond)), err
}

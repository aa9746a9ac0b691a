package backend_cuda

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/backendtest"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/tensor"
)

// TestFakeDriver runs the device code against testdata/fakecuda.c, a fake driver built with
// the C compiler, in a child process: the probe, Info, copies through the pinned buffer,
// NVRTC CUBINs loaded as modules, launches with their parameters, the gather flag, events,
// the OOM mapping, and calls from many goroutines (the fake aborts when a call comes
// without the context current). It needs NVRTC and a C compiler, and skips without them.
func TestFakeDriver(t *testing.T) {
	if inFakeChild() {
		fakeDriverChild(t)
		return
	}
	runFakeChild(t, "TestFakeDriver")
}

// inFakeChild reports whether this process is the child of runFakeChild.
func inFakeChild() bool { return os.Getenv("CROSSBAR_CUDA_FAKE_CHILD") == "1" }

// runFakeChild runs the test named name again in a child process whose driver is the fake
// (the driver is loaded once per process, so the fake cannot replace a real one in this
// process), with the environment variables env added. It needs NVRTC and a C compiler, and
// skips without them.
func runFakeChild(t *testing.T, name string, env ...string) {
	t.Helper()
	nvrtcForTest(t)
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skipf("no C compiler for the fake driver: %v", err)
	}
	lib := filepath.Join(t.TempDir(), "libfakecuda.so")
	if out, err := exec.Command(cc, "-shared", "-fPIC", "-o", lib, "testdata/fakecuda.c").CombinedOutput(); err != nil {
		t.Skipf("cannot build the fake driver: %v\n%s", err, out)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.v")
	cmd.Env = append(append(os.Environ(), "CROSSBAR_CUDA_FAKE_CHILD=1", "CROSSBAR_CUDA_LIB="+lib), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("child:\n%s", out)
}

// fakeFunc sets fn (a pointer to a func variable) to the fake driver's function name, one
// of its controls for tests.
func fakeFunc(t *testing.T, name string, fn any) {
	t.Helper()
	h, err := dlopen(os.Getenv("CROSSBAR_CUDA_LIB"))
	if err != nil {
		t.Fatal(err)
	}
	addr, err := dlsym(h, name)
	if err != nil {
		t.Fatal(err)
	}
	purego.RegisterFunc(fn, addr)
}

// testStagedCopies copies two buffers larger than the pinned memory in and out, one after
// the other, with the fake's stream doing its copies at the host's waits and then as soon
// as they are queued. They go through the halves of the pinned memory in turns, five
// pieces each, no two alike: a half must be filled only once the copy reading it has
// ended, and read only once the copy filling it has. It returns one of the buffers, freed.
func testStagedCopies(t *testing.T, d *Device) backend.Buffer {
	var eager func(int32)
	fakeFunc(t, "fakeStreamEager", &eager)
	defer eager(0)
	var ins [2][]byte
	x := uint64(1)
	for i := range ins {
		ins[i] = make([]byte, pinnedBytes*2+12)
		for j := range ins[i] {
			x = x*6364136223846793005 + 1442695040888963407
			ins[i][j] = byte(x >> 56)
		}
	}
	var bufs [2]backend.Buffer
	for i := range bufs {
		var err error
		if bufs[i], err = d.Alloc(graph.Uint8, len(ins[i])); err != nil {
			t.Fatal(err)
		}
	}
	for _, mode := range []int32{0, 1} {
		eager(mode)
		for i := range bufs {
			if err := d.CopyIn(bufs[i], ins[i]); err != nil {
				t.Fatal(err)
			}
		}
		for i := range bufs {
			out := make([]byte, len(ins[i]))
			if err := d.CopyOut(out, bufs[i]); err != nil || !bytes.Equal(out, ins[i]) {
				t.Fatalf("copy round trip of buffer %d, eager %d: %v, equal %v", i, mode, err, bytes.Equal(out, ins[i]))
			}
		}
	}
	for _, b := range bufs {
		if err := d.Free(b); err != nil {
			t.Fatal(err)
		}
	}
	return bufs[0]
}

func fakeDriverChild(t *testing.T) {
	dev, err := backend.Open("cuda")
	if err != nil {
		t.Fatal(err)
	}
	d := dev.(*Device)
	if info := d.Info(); !strings.Contains(info, "Fake H200, sm_90, 132 SMs") || !strings.Contains(info, "CUDA 12.4") {
		t.Errorf("Info: %s", info)
	}
	if c := d.Capabilities(); c.Cores != 132 || c.WarpWidth != 32 || c.MaxWorkgroup != 1024 || len(c.DTypes) != 8 {
		t.Errorf("Capabilities: %+v", c)
	}
	b := testStagedCopies(t, d)
	if err := d.CopyIn(b, make([]byte, pinnedBytes*2+12)); !errors.Is(err, backend.ErrFreed) {
		t.Errorf("CopyIn to a freed buffer: %v", err)
	}
	if _, err := d.Alloc(graph.Float64, 1<<40); !errors.Is(err, backend.ErrOutOfMemory) {
		t.Errorf("Alloc of 8 TiB: %v, want ErrOutOfMemory", err)
	}
	// Kernels compile, load and launch (the fake runs none, so values are not checked).
	x := tensor.New([]float32{1, 2, 3, 4}, 2, 2).To(d)
	if _, err := tensor.Data[float32](x.MatMul(x).Add(x).ReLU().Sum(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := tensor.Data[float32](x.Gather(0, tensor.New([]int32{1, 0}, 2).To(d))); err != nil {
		t.Fatal(err)
	}
	// A Float16 product that fills the fake's 132 SMs with 128 x 256 tensor-core tiles: 72 KiB
	// of dynamic shared memory, which the launch may use only once the kernel has asked for
	// it (the fake refuses the launch otherwise).
	h := tensor.RandUniform(1, tensor.Float16, 2048, 64).To(d).MatMul(tensor.RandUniform(2, tensor.Float16, 64, 4352).To(d))
	if err := h.Realize(); err != nil {
		t.Fatal(err)
	}
	// TestConformance's first pass: the sources the device compiles for the suite, then
	// compiled ahead of time (a few here: NVRTC takes tens of milliseconds each).
	col := &sourceCollector{Device: cpu.New(), cuda: d, seen: map[string]bool{}}
	t.Run("collect", func(t *testing.T) { backendtest.Run(t, col) })
	if len(col.sources) < 1000 || !strings.Contains(col.sources[0], "extern \"C\" __global__") {
		t.Errorf("collected %d sources", len(col.sources))
	}
	if err := d.precompile(col.sources[:4], col.names[:4], 2); err != nil {
		t.Error(err)
	}
	// The fake's events count 1.5 ms for each driver call between them. Time starts at the
	// launch: the output's allocation before it is host work, not device time.
	if dt, err := d.Time(func() error { return x.Exp().Realize() }); err != nil || dt != 1500*time.Microsecond {
		t.Errorf("Time: %v, %v; want the fake's 1.5ms of one launch", dt, err)
	}
	if dt, err := d.Time(func() error {
		b, err := d.Alloc(graph.Float32, 4)
		if err == nil {
			err = d.Free(b)
		}
		return err
	}); err != nil || dt != 0 {
		t.Errorf("Time of an Alloc and a Free: %v, %v; want no device time", dt, err)
	}
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				b, err := d.Alloc(graph.Float32, 64)
				if err == nil {
					err = d.CopyIn(b, make([]byte, 256))
				}
				if err == nil {
					err = d.Free(b)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if s := backend.ReadStats(); s.Compiles < 3 || s.Fallbacks != 0 {
		t.Errorf("executor: %+v", s)
	}
}

// TestFakeDevices runs the fake driver with three devices, the first of compute capability
// 3.0: the other two must still be listed, keep their buffers apart, refuse sizes that
// overflow, free a buffer once however many goroutines free it, and unload the module of a
// dropped program only after its queued launches.
func TestFakeDevices(t *testing.T) {
	if inFakeChild() {
		fakeDevicesChild(t)
		return
	}
	runFakeChild(t, "TestFakeDevices", "FAKECUDA_DEVICES=3", "FAKECUDA_OLD_DEVICE=0")
}

func fakeDevicesChild(t *testing.T) {
	ds, err := cudaBackend{}.Devices()
	if err != nil || len(ds) != 2 || ds[0].Name() != "cuda:1" || ds[1].Name() != "cuda:2" {
		t.Fatalf("Devices with cuda:0 of sm_30: %d devices, %v; want cuda:1 and cuda:2", len(ds), err)
	}
	d1, d2 := ds[0].(*Device), ds[1].(*Device)
	b, err := d1.Alloc(graph.Float32, 4)
	if err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"CopyIn":  d2.CopyIn(b, make([]byte, 16)),
		"CopyOut": d2.CopyOut(make([]byte, 16), b),
		"Free":    d2.Free(b),
	} {
		if !errors.Is(err, backend.ErrUnsupported) || !strings.Contains(err.Error(), "cuda:1") {
			t.Errorf("%s on cuda:2 of a buffer of cuda:1: %v, want ErrUnsupported naming cuda:1", name, err)
		}
	}
	if _, err := d1.Alloc(graph.Float64, 1<<61+1); !errors.Is(err, backend.ErrOutOfMemory) {
		t.Errorf("Alloc of 2^61+1 float64 (2^64+8 bytes): %v, want ErrOutOfMemory", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 16)
	start := make(chan struct{})
	for i := range errs {
		wg.Go(func() { <-start; errs[i] = d1.Free(b) })
	}
	close(start)
	wg.Wait()
	freed := 0
	for _, err := range errs {
		if err == nil {
			freed++
		} else if !errors.Is(err, backend.ErrFreed) {
			t.Errorf("concurrent Free: %v, want nil or ErrFreed", err)
		}
	}
	if freed != 1 {
		t.Errorf("%d of %d concurrent Frees of one buffer released it, want 1", freed, len(errs))
	}
	fakeUnloadAfterLaunch(t, d1)
}

// fakeUnloadAfterLaunch launches a product's kernel and drops its program, whose cleanup
// unloads the module: the fake counts unloads that come while launches are not waited for.
func fakeUnloadAfterLaunch(t *testing.T, d *Device) {
	h, err := dlopen(os.Getenv("CROSSBAR_CUDA_LIB"))
	if err != nil {
		t.Fatal(err)
	}
	var fakeUnloads func(withPending *int32) int32
	if err := bind(h, "fake", map[string]any{"fakeUnloads": &fakeUnloads}); err != nil {
		t.Fatal(err)
	}
	var ops [2]*graph.Node
	for i := range ops {
		if ops[i], err = graph.Host(graph.Float32, []int{4, 4}, make([]byte, 64)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := graph.Contract(ops[0], ops[1])
	if err != nil {
		t.Fatal(err)
	}
	ks, err := graph.Schedule([]*graph.Node{c})
	if err != nil {
		t.Fatal(err)
	}
	var bufs []backend.Buffer
	for range 3 {
		b, err := d.Alloc(graph.Float32, 16)
		if err != nil {
			t.Fatal(err)
		}
		bufs = append(bufs, b)
	}
	launch := func() error {
		p, err := d.Compile(ks[len(ks)-1])
		if err != nil {
			return err
		}
		return d.Launch(p, bufs[0], bufs[1:])
	}
	if err := launch(); err != nil {
		t.Fatal(err)
	}
	var pending int32
	for i := 0; i < 500 && fakeUnloads(&pending) == 0; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := fakeUnloads(&pending); n == 0 || pending != 0 {
		t.Errorf("%d modules unloaded, %d of them with launches not waited for", n, pending)
	}
}

// TestFakeTensorMaps builds tensor maps through the fake driver's cuTensorMapEncodeTiled,
// which checks the alignment of the map, the address and the strides: the maps of a launch
// are 64-byte aligned and carry the buffer's address plus the map's offset, the
// dimensions, boxes and strides innermost first, the data type and the swizzle; a
// program's launches on the same buffers share them; maps the device cannot build are
// errors wrapping backend.ErrLaunch.
func TestFakeTensorMaps(t *testing.T) {
	if inFakeChild() {
		fakeTensorMapsChild(t)
		return
	}
	runFakeChild(t, "TestFakeTensorMaps")
}

func fakeTensorMapsChild(t *testing.T) {
	dev, err := backend.Open("cuda")
	if err != nil {
		t.Fatal(err)
	}
	d := dev.(*Device)
	if d.drv.tensorMapEncodeTiled == nil {
		t.Fatal("cuTensorMapEncodeTiled not bound")
	}
	maps := []codegen.TensorMap{
		{Param: 1, DType: graph.Float16, Offset: 64, Dims: []int{64, 100, 3}, Strides: []int{128, 12800}, Box: []int{64, 128, 1}, Swizzle: 128},
		{Param: 0, DType: graph.BFloat16, Dims: []int{32, 16}, Strides: []int{64}, Box: []int{32, 64}, Swizzle: 64},
		{Param: 1, DType: graph.Float16, Dims: []int{8, 16}, Strides: []int{16}, Box: []int{8, 16}},
	}
	ptrs := []uint64{0x10000, 0x20000}
	// The fake, like the driver, wants the context current.
	build := func(maps []codegen.TensorMap, ptrs []uint64) ([]*[16]uint64, error) {
		out := tensorMapSlots(len(maps))
		return out, d.do(func() error { return d.tensorMaps(out, maps, ptrs) })
	}
	got, err := build(maps, ptrs)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range maps {
		g := got[i]
		want := [16]uint64{ptrs[m.Param] + uint64(2*m.Offset), uint64(len(m.Dims)) | uint64(tensorMapTypes[m.DType])<<8 |
			uint64(tensorMapSwizzles[m.Swizzle])<<16 | 3<<24}
		for j := range m.Dims {
			want[2+j], want[7+j] = uint64(m.Dims[j]), uint64(m.Box[j])
			if j > 0 {
				want[11+j] = uint64(m.Strides[j-1])
			}
		}
		if *g != want || uintptr(unsafe.Pointer(g))%128 != 0 {
			t.Errorf("map %d at %p: %x, want %x", i, g, *g, want)
		}
	}
	// A program's launches build its maps again only for other buffers.
	prog := &program{dev: d, maps: maps}
	var first, again, other []*[16]uint64
	err = d.do(func() error {
		var err error
		if first, err = d.launchMaps(prog, ptrs); err != nil {
			return err
		}
		if again, err = d.launchMaps(prog, ptrs); err != nil {
			return err
		}
		other, err = d.launchMaps(prog, []uint64{0x30000, 0x20000})
		return err
	})
	if err != nil || first[0] != again[0] || other[0] == first[0] || other[1][0] != 0x30000 || first[1][0] != 0x10000 {
		t.Errorf("launch maps: %v; the same buffers' maps built again: %v; others' map of buffer 0 at %#x (first %#x)", err,
			first[0] != again[0], other[1][0], first[1][0])
	}
	for name, c := range map[string]struct {
		m    codegen.TensorMap
		ptrs []uint64
	}{
		"no such buffer":    {codegen.TensorMap{Param: 2, DType: graph.Float16, Dims: []int{8}, Box: []int{8}, Strides: []int{}}, ptrs},
		"unaligned stride":  {codegen.TensorMap{Param: 0, DType: graph.Float16, Dims: []int{8, 4}, Box: []int{8, 4}, Strides: []int{24}}, ptrs},
		"unaligned address": {codegen.TensorMap{Param: 0, DType: graph.Float16, Dims: []int{8, 4}, Box: []int{8, 4}, Strides: []int{16}}, []uint64{0x10008}},
		"bool elements":     {codegen.TensorMap{Param: 0, DType: graph.Bool, Dims: []int{16, 4}, Box: []int{16, 4}, Strides: []int{16}}, ptrs},
	} {
		if _, err := build([]codegen.TensorMap{c.m}, c.ptrs); !errors.Is(err, backend.ErrLaunch) {
			t.Errorf("%s: %v, want ErrLaunch", name, err)
		}
	}
}

// TestFakeJITLog loads PTX, which a device newer than NVRTC gets, into the fake driver,
// whose compiler refuses it with a log: the error names the module and the CUresult, wraps
// ErrCompile, and carries the log.
func TestFakeJITLog(t *testing.T) {
	if inFakeChild() {
		fakeJITLogChild(t)
		return
	}
	// Compute capability 12.9: no NVRTC that the backend loads knows sm_129.
	runFakeChild(t, "TestFakeJITLog", "FAKECUDA_CC=129")
}

func fakeJITLogChild(t *testing.T) {
	dev, err := backend.Open("cuda")
	if err != nil {
		t.Fatal(err)
	}
	d := dev.(*Device)
	if arch, err := d.gpuArch(); err != nil || arch.cubin {
		t.Fatalf("the fake's sm_129 gets %v, %v; want PTX", arch, err)
	}
	err = tensor.New([]float32{1, 2, 3, 4}, 4).To(d).Exp().Realize()
	if !errors.Is(err, backend.ErrCompile) || !strings.Contains(err.Error(), "cuModuleLoadDataEx(kernel for compute_") ||
		!strings.Contains(err.Error(), "\nptxas application ptx input, line 1; fatal   : the fake's compiler knows no .version") {
		t.Errorf("PTX that the driver's compiler refuses: %v\nwant ErrCompile naming the module, with the compiler's log", err)
	}
}

// TestFakeLostContext has the fake driver lose the context, as it does after a kernel
// faults: the call that reports it names the latest launches, and from then on the device
// makes no driver call and fails every method with that first error, wrapping
// ErrUnavailable as well as ErrLaunch.
func TestFakeLostContext(t *testing.T) {
	if inFakeChild() {
		fakeLostContextChild(t)
		return
	}
	runFakeChild(t, "TestFakeLostContext")
}

func fakeLostContextChild(t *testing.T) {
	h, err := dlopen(os.Getenv("CROSSBAR_CUDA_LIB"))
	if err != nil {
		t.Fatal(err)
	}
	var (
		fakeLoseContext func(r int32)
		fakeCalls       func() int64
	)
	if err := bind(h, "fake", map[string]any{"fakeLoseContext": &fakeLoseContext, "fakeCalls": &fakeCalls}); err != nil {
		t.Fatal(err)
	}
	dev, err := backend.Open("cuda")
	if err != nil {
		t.Fatal(err)
	}
	d := dev.(*Device)
	x := tensor.New([]float32{1, 2, 3, 4}, 2, 2).To(d)
	for i := range launchesNamed + 1 {
		if err := x.Add(tensor.Scalar(float32(i))).Exp().Realize(); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.MatMul(x).Realize(); err != nil {
		t.Fatal(err)
	}
	fakeLoseContext(700)
	first := d.Synchronize()
	msg := fmt.Sprint(first)
	if !errors.Is(first, backend.ErrLaunch) || !errors.Is(first, errContextLost) || !strings.Contains(msg, "cuStreamSynchronize") ||
		!strings.HasSuffix(msg, "; contract to float32[2 2] in [1 1 1] blocks") ||
		strings.Count(msg, "elementwise to float32[2 2]") != launchesNamed-1 {
		t.Errorf("Synchronize once the context is lost: %v\nwant ErrLaunch, the context lost, and the latest %d launches", first, launchesNamed)
	}
	calls := fakeCalls()
	y := tensor.New([]float32{1, 2}, 2)
	for name, err := range map[string]error{
		"Synchronize": d.Synchronize(),
		"Realize":     x.Neg().Realize(),
		"Data":        func() error { _, err := tensor.Data[float32](x); return err }(),
		"To":          y.To(d).Realize(),
		"Free":        x.Free(),
		"Time":        func() error { _, err := d.Time(func() error { return nil }); return err }(),
	} {
		if !errors.Is(err, backend.ErrUnavailable) || !errors.Is(err, backend.ErrLaunch) ||
			!strings.Contains(fmt.Sprint(err), "cuda:0 cannot be used after an earlier error: "+msg) {
			t.Errorf("%s after the context was lost: %v\nwant ErrUnavailable, ErrLaunch and the first error", name, err)
		}
	}
	if n := fakeCalls() - calls; n != 0 {
		t.Errorf("%d driver calls after the context was lost, want none", n)
	}
}

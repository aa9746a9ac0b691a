package backend_cuda

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/backendtest"
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
	// Copies larger than the pinned buffer go through it in pieces.
	in := make([]byte, pinnedBytes*2+12)
	for i := range in {
		in[i] = byte(i * 7)
	}
	b, err := d.Alloc(graph.Uint8, len(in))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.CopyIn(b, in); err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(in))
	if err := d.CopyOut(out, b); err != nil || string(out) != string(in) {
		t.Fatalf("copy round trip: %v, equal %v", err, string(out) == string(in))
	}
	if err := d.Free(b); err != nil {
		t.Fatal(err)
	}
	if err := d.CopyIn(b, in); !errors.Is(err, backend.ErrFreed) {
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
	if dt, err := d.Time(func() error { return x.Exp().Realize() }); err != nil || dt != 1500*time.Microsecond {
		t.Errorf("Time: %v, %v; want the fake's 1.5ms", dt, err)
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

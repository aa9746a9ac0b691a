package backend_cuda

import (
	"errors"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/backendtest"
	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/internal/randprog"
)

// device opens cuda:0, or skips the test: CI machines have no Nvidia GPU.
func device(t *testing.T) *Device {
	t.Helper()
	d, err := backend.Open("cuda")
	if err != nil {
		if !errors.Is(err, backend.ErrUnavailable) {
			t.Fatalf("Open(cuda): %v, want an error wrapping ErrUnavailable", err)
		}
		t.Skipf("no CUDA device: %v", err)
	}
	return d.(*Device)
}

// TestConformance runs the conformance suite on cuda:0 (needs an Nvidia GPU). A first pass
// of the suite on the CPU collects the sources that cuda:0 will compile, which NVRTC then
// compiles on every CPU, so that the suite itself finds them in the image cache instead of
// compiling thousands of kernels one after another.
func TestConformance(t *testing.T) {
	d := device(t)
	t.Logf("%s", d.Info())
	runPrecompiled(t, d, "suite", func(t *testing.T, dev backend.Device) { backendtest.Run(t, dev) })
}

// TestRandomPrograms runs random programs (package randprog) on cuda:0 (needs an Nvidia
// GPU) and compares each result with the CPU device's; their kernels are compiled ahead,
// as in TestConformance.
func TestRandomPrograms(t *testing.T) {
	d := device(t)
	progs := randprog.First(150)
	runPrecompiled(t, d, "programs", func(t *testing.T, dev backend.Device) { randprog.Check(t, dev, progs) })
}

// runPrecompiled runs run, a test of a device, first on a sourceCollector for d, then
// compiles the sources collected with NVRTC on every CPU, and last runs it on d as the
// subtest name.
func runPrecompiled(t *testing.T, d *Device, name string, run func(t *testing.T, dev backend.Device)) {
	start := time.Now()
	col := &sourceCollector{Device: cpu.New(), cuda: d, seen: map[string]bool{}}
	t.Run("collect", func(t *testing.T) { run(t, col) })
	collected := time.Since(start)
	start = time.Now()
	if err := d.precompile(col.sources, col.names, runtime.NumCPU()); err != nil {
		t.Errorf("precompile: %v", err)
	}
	t.Logf("%d distinct kernels collected in %v, compiled on %d CPUs in %v", len(col.sources),
		collected.Round(time.Millisecond), runtime.NumCPU(), time.Since(start).Round(time.Millisecond))
	start = time.Now()
	t.Run(name, func(t *testing.T) { run(t, d) })
	t.Logf("%s on %s in %v; executor: %+v", name, d.Name(), time.Since(start).Round(time.Millisecond), backend.ReadStats())
}

// sourceCollector is the CPU device with the capabilities of a CUDA device, whose Compile
// records the source that the CUDA device would compile for the kernel.
type sourceCollector struct {
	backend.Device
	cuda    *Device
	mu      sync.Mutex
	seen    map[string]bool
	sources []string
	names   []string
}

func (c *sourceCollector) Name() string { return "cuda-sources" }

func (c *sourceCollector) Capabilities() backend.Capabilities { return c.cuda.Capabilities() }

func (c *sourceCollector) Compile(k *graph.Kernel) (backend.Program, error) {
	if src, err := c.cuda.Source(k); err == nil {
		c.mu.Lock()
		if !c.seen[src] {
			c.seen[src] = true
			c.sources, c.names = append(c.sources, src), append(c.names, "kernel")
		}
		c.mu.Unlock()
	}
	return c.Device.Compile(k)
}

// TestTime checks that events measure device time (needs an Nvidia GPU).
func TestTime(t *testing.T) {
	d := device(t)
	dt, err := d.Time(func() error { return d.Synchronize() })
	if err != nil || dt < 0 {
		t.Fatalf("Time: %v, %v", dt, err)
	}
}

// TestUnavailable checks that a missing driver gives no device and an Open error wrapping
// ErrUnavailable that names what was looked for, without a panic. It runs in a child
// process with CROSSBAR_CUDA_LIB naming a missing file, since this process may have a
// device open; on a machine without libcuda it also checks the standard search.
func TestUnavailable(t *testing.T) {
	if os.Getenv("CROSSBAR_CUDA_CHILD") == "1" {
		_, err := backend.Open("cuda")
		want := os.Getenv("CROSSBAR_CUDA_LIB")
		if want == "" {
			want = "libcuda.so.1"
		}
		if !errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), want) {
			t.Fatalf("Open(cuda) without a driver: %v, want ErrUnavailable naming %s", err, want)
		}
		t.Logf("Open(cuda): %v", err)
		if _, err := backend.Open("cuda:1"); !errors.Is(err, backend.ErrUnavailable) {
			t.Fatalf("Open(cuda:1) without a driver: %v", err)
		}
		for _, d := range backend.Devices() {
			if strings.HasPrefix(d.Name(), "cuda") {
				t.Fatalf("device %s listed without a driver", d.Name())
			}
		}
		return
	}
	envs := [][]string{{"CROSSBAR_CUDA_LIB=/nonexistent/no-such-libcuda.so.1"}}
	if _, err := loadDriver(); err != nil {
		// No driver here: the standard search must fail the same way, and say where it looked.
		envs = append(envs, []string{"CROSSBAR_CUDA_LIB="})
		if !strings.Contains(err.Error(), "/usr/lib") {
			t.Errorf("driver error does not list the directories searched: %v", err)
		}
	}
	for _, env := range envs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestUnavailable$", "-test.v")
		cmd.Env = append(append(os.Environ(), "CROSSBAR_CUDA_CHILD=1"), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child with %v: %v\n%s", env, err, out)
		}
	}
}

// TestRealDriverLibrary loads a real libcuda.so.1, the one CROSSBAR_TEST_LIBCUDA names
// (scripts/test.sh unpacks Debian's libcuda1 for it), in a child process: every entry
// point binds by the name the backend uses, tensor maps included; the driver names the
// CUresults that the backend maps to its sentinels as the backend expects; and, where the
// machine has no GPU, Open("cuda") fails at cuInit with ErrUnavailable and the driver's
// own name for the failure. It skips without CROSSBAR_TEST_LIBCUDA.
func TestRealDriverLibrary(t *testing.T) {
	lib := os.Getenv("CROSSBAR_TEST_LIBCUDA")
	if lib == "" {
		t.Skip("CROSSBAR_TEST_LIBCUDA does not name a libcuda.so.1")
	}
	if os.Getenv("CROSSBAR_CUDA_REAL_CHILD") == "1" {
		realDriverChild(t, lib)
		return
	}
	if os.Getenv("CROSSBAR_TEST_EMULATED") != "" {
		t.Skip("child processes are left to the native run")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRealDriverLibrary$", "-test.v")
	cmd.Env = append(os.Environ(), "CROSSBAR_CUDA_REAL_CHILD=1", "CROSSBAR_CUDA_LIB="+lib)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("child:\n%s", out)
}

func realDriverChild(t *testing.T, lib string) {
	h, path, err := openLib("CROSSBAR_CUDA_LIB", "libcuda.so.1")
	if err != nil {
		t.Fatalf("openLib(%s): %v", lib, err)
	}
	d := &driverAPI{path: path}
	if err := bind(h, path, d.symbols()); err != nil {
		t.Fatalf("binding the driver's entry points: %v", err)
	}
	if r := d.driverGetVersion(&d.version); r != 0 {
		t.Fatalf("cuDriverGetVersion: %s", d.errString(r))
	}
	t.Logf("%s: CUDA %s", path, d.Version())
	if d.version >= 12000 {
		if err := bind(h, path, map[string]any{"cuTensorMapEncodeTiled": &d.tensorMapEncodeTiled}); err != nil {
			t.Errorf("a CUDA %s driver without tensor maps: %v", d.Version(), err)
		}
	}
	for r, c := range cuSentinels {
		var name *byte
		if e := d.getErrorName(r, &name); e != 0 || cString(name) != c.name {
			t.Errorf("cuGetErrorName(%d) = %q (result %d), the backend takes it for %s", r, cString(name), e, c.name)
		}
	}
	if r := d.init(0); r == 0 {
		t.Logf("cuInit succeeded: this machine has a GPU")
		return
	}
	_, err = backend.Open("cuda")
	if !errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), path) ||
		!strings.Contains(err.Error(), "cuInit: CUDA_ERROR_") {
		t.Fatalf("Open(cuda) with a driver but no GPU: %v, want ErrUnavailable naming %s and cuInit's CUresult", err, path)
	}
	t.Logf("Open(cuda): %v", err)
}

// TestRelativeLibPath checks that a relative CROSSBAR_CUDA_LIB is refused: nothing is
// loaded from the working directory.
func TestRelativeLibPath(t *testing.T) {
	t.Setenv("CROSSBAR_CUDA_LIB", "libcuda.so.1")
	if _, _, err := openLib("CROSSBAR_CUDA_LIB", "libcuda.so.1"); err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Fatalf("openLib with a relative path: %v", err)
	}
}

// TestBadArguments checks that arguments a device cannot use are errors wrapping the
// right sentinels, returned before any driver call (these devices have no driver).
func TestBadArguments(t *testing.T) {
	d0, d1 := &Device{index: 0}, &Device{index: 1}
	other := &Buffer{dev: d1, dt: graph.Float32}
	own := &Buffer{dev: d0, dt: graph.Float32}
	cases := []struct {
		name string
		call func() error
		want error
	}{
		{"Alloc of 2^61+1 float64 (2^64+8 bytes)", func() error { _, err := d0.Alloc(graph.Float64, 1<<61+1); return err }, backend.ErrOutOfMemory},
		{"Alloc of MaxInt int32", func() error { _, err := d0.Alloc(graph.Int32, math.MaxInt); return err }, backend.ErrOutOfMemory},
		{"Free of another device's buffer", func() error { return d0.Free(other) }, backend.ErrUnsupported},
		{"CopyIn to another device's buffer", func() error { return d0.CopyIn(other, nil) }, backend.ErrUnsupported},
		{"CopyBuffer from another device's buffer", func() error { return d0.CopyBuffer(own, other) }, backend.ErrUnsupported},
		{"Launch of another device's buffer", func() error { return d0.Launch(&program{dev: d0}, other, nil) }, backend.ErrUnsupported},
		{"Launch of a program of another device", func() error { return d0.Launch(&program{dev: d1}, own, nil) }, backend.ErrLaunch},
		{"Launch of a nil *program", func() error { return d0.Launch((*program)(nil), own, nil) }, backend.ErrLaunch},
		{"Free of a nil *Buffer", func() error { return d0.Free((*Buffer)(nil)) }, backend.ErrUnsupported},
	}
	for _, c := range cases {
		if err := c.call(); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want an error wrapping %v", c.name, err, c.want)
		}
	}
	if other.freed.Load() {
		t.Errorf("a buffer of cuda:1 was marked freed by cuda:0")
	}
	if err := d0.precompile([]string{"a", "b"}, []string{"kernel"}, 1); err == nil {
		t.Errorf("precompile of 2 sources with 1 name: no error")
	}
}

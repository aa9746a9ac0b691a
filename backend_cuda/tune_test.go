package backend_cuda

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/backend/codegen/kerneltune"
	"github.com/crossbar-compute/crossbar/graph"
)

// TestFakeDriverTuning looks tuned knobs up on the fake driver (see TestFakeDriver), with
// kernels compiled by NVRTC: the prior of a search is optionsFor's choice, a cached entry
// reaches Compile as a program of its own, an entry that names the prior is no variant,
// and CROSSBAR_TUNE=off ignores the cache.
func TestFakeDriverTuning(t *testing.T) {
	if inFakeChild() {
		fakeTuningChild(t)
		return
	}
	runFakeChild(t, "TestFakeDriverTuning", autotune.EnvCacheDir+"="+t.TempDir(), autotune.EnvMode+"=cached")
}

// fakeProduct returns the m×n×k product of dt (operands of zeros: the fake driver runs no
// kernel, and lowering reads none) and its kernel.
func fakeProduct(t *testing.T, dt graph.DType, m, n, k int) (*graph.Node, *graph.Kernel) {
	t.Helper()
	a, err := graph.Host(dt, []int{m, k}, make([]byte, m*k*dt.Size()))
	if err != nil {
		t.Fatal(err)
	}
	b, err := graph.Host(dt, []int{k, n}, make([]byte, k*n*dt.Size()))
	if err != nil {
		t.Fatal(err)
	}
	c, err := graph.Contract(a, b)
	if err != nil {
		t.Fatal(err)
	}
	return c, lastKernel(t, c)
}

func fakeTuningChild(t *testing.T) {
	if dir := os.Getenv(autotune.EnvCacheDir); dir == "" || !strings.HasPrefix(autotune.OpenCache("").Path(), dir) {
		t.Fatalf("the tuning cache %q is not in %s=%q", autotune.OpenCache("").Path(), autotune.EnvCacheDir, dir)
	}
	dev, err := backend.Open("cuda")
	if err != nil {
		t.Fatal(err)
	}
	d := dev.(*Device)
	store := func(key autotune.Key, c autotune.Config) {
		t.Helper()
		if err := autotune.OpenCache("").Store(autotune.Entry{Key: key, Config: c, Median: time.Millisecond, Prior: 2 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		kerneltune.Reset()
	}
	compiles := func() int64 { return backend.ReadStats().Compiles }
	// run computes a fresh product: a node once read keeps its result.
	run := func(m, n, k int) {
		t.Helper()
		node, _ := fakeProduct(t, graph.Float32, m, n, k)
		if _, err := backend.Read(d, node); err != nil {
			t.Fatal(err)
		}
	}

	// A float32 product of 256 blocks of 128 × 128, two waves of the fake's 132 SMs: the
	// heuristic takes the large SIMT tiles, and they are the prior of the search.
	const m, n, k = 2048, 2048, 64
	_, kern := fakeProduct(t, graph.Float32, m, n, k)
	base := optionsFor(kern, d.arch, d.opts)
	if base.BlockM != 128 {
		t.Fatalf("optionsFor: %+v, want the large SIMT tiles", base)
	}
	g, err := d.NewMatMulTuning(graph.Float32, m, n, k)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if g.Key.Kernel != "cuda."+codegen.ContractSpaceVersion || g.Key.Device.Model != "Fake H200 sm_90" ||
		g.Key.Device.Driver != "CUDA 12.4" || !strings.HasPrefix(g.Key.Device.Compiler, "NVRTC ") {
		t.Errorf("key %+v", g.Key)
	}
	if prior := codegen.ContractConfig(base); !g.Space.Prior.Equal(prior) {
		t.Errorf("prior %v, want optionsFor's %v", g.Space.Prior, prior)
	}
	if dt, err := g.Measure(context.Background(), g.Space.Prior); err != nil || dt != 1500*time.Microsecond {
		t.Errorf("measure the prior: %v, %v; want the fake's 1.5ms", dt, err)
	}
	if v := d.ProgramVariant(kern); v != "" {
		t.Errorf("nothing cached: variant %q", v)
	}
	run(m, n, k)

	// codegen's default tiles differ from the prior: a variant, compiled once.
	defaults := codegen.ContractConfig(codegen.Options{})
	store(g.Key, defaults)
	want := base.WithContract(defaults).String()
	if v := d.ProgramVariant(kern); v != want {
		t.Fatalf("cached %v: variant %q, want %q", defaults, v, want)
	}
	before := compiles()
	run(m, n, k)
	run(m, n, k)
	if got := compiles() - before; got != 1 {
		t.Errorf("the tuned product compiled %d times, want once, apart from the untuned one", got)
	}

	// Mode off ignores the cache and finds the untuned program in the executor's cache.
	t.Setenv(autotune.EnvMode, "off")
	kerneltune.Reset()
	if v := d.ProgramVariant(kern); v != "" {
		t.Errorf("mode off: variant %q", v)
	}
	before = compiles()
	run(m, n, k)
	if got := compiles() - before; got != 0 {
		t.Errorf("mode off compiled %d programs, want the untuned one reused", got)
	}

	// An entry that names the prior is no variant.
	t.Setenv(autotune.EnvMode, "cached")
	store(g.Key, g.Space.Prior)
	if v := d.ProgramVariant(kern); v != "" {
		t.Errorf("cached prior: variant %q", v)
	}

	// A float16 product on the fake's sm_90 goes to tensor cores, a family of its own.
	_, hkern := fakeProduct(t, graph.Float16, 1024, 1024, 64)
	h, err := d.NewMatMulTuning(graph.Float16, 1024, 1024, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.Key.Kernel != "cuda."+codegen.TensorContractSpaceVersion {
		t.Errorf("float16 key %v, want the tensor-core family", h.Key)
	}
	if prior := codegen.TensorContractConfig(optionsFor(hkern, d.arch, d.opts)); !h.Space.Prior.Equal(prior) {
		t.Errorf("float16 prior %v, want optionsFor's %v", h.Space.Prior, prior)
	}
	if _, err := h.Measure(context.Background(), h.Space.Prior); err != nil {
		t.Errorf("measure the tensor-core prior: %v", err)
	}

	if _, err := d.NewMatMulTuning(graph.Int32, 256, 256, 256); err == nil {
		t.Errorf("int32 product: no error")
	}
	if _, err := d.NewMatMulTuning(graph.Float32, 8, 8, 8); !errors.Is(err, kerneltune.ErrNotTiled) {
		t.Errorf("8x8x8: %v, want ErrNotTiled", err)
	}
}

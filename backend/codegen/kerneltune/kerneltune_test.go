package kerneltune

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
)

// cpuDevice runs kernels on the CPU and records the options each compilation was asked for.
type cpuDevice struct {
	backend.Device
	compiled []codegen.Options
}

func (d *cpuDevice) CompileWith(k *graph.Kernel, o codegen.Options) (backend.Program, error) {
	d.compiled = append(d.compiled, o)
	return d.Compile(k)
}

func must(t *testing.T) func(*graph.Node, error) *graph.Node {
	return func(n *graph.Node, err error) *graph.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
}

func leaf(t *testing.T, dt graph.DType, shape ...int) *graph.Node {
	t.Helper()
	return must(t)(graph.Host(dt, shape, make([]byte, graph.NumElements(shape)*dt.Size())))
}

func lastKernel(t *testing.T, n *graph.Node) *graph.Kernel {
	t.Helper()
	ks, err := graph.Schedule([]*graph.Node{n})
	if err != nil {
		t.Fatal(err)
	}
	return ks[len(ks)-1]
}

// gpu is a target with the limits of a recent GPU, tensor cores included.
var gpu = codegen.Target{MaxWorkgroup: 1024, SharedMemory: 48 << 10, WarpWidth: 32, MaxGroups: 65535, Shuffle: true, TensorCores: true}

func TestProblemOf(t *testing.T) {
	m := must(t)
	fs := newFamilies("test")
	noTC := gpu
	noTC.TensorCores = false
	product := func(dt graph.DType, mm, n, k int) *graph.Node {
		return m(graph.Contract(leaf(t, dt, mm, k), leaf(t, dt, k, n)))
	}
	idx := m(graph.Host(graph.Int32, []int{2}, make([]byte, 8)))
	for _, c := range []struct {
		name   string
		node   *graph.Node
		target codegen.Target
		family *Family // nil: no family
		dims   []int
	}{
		{"exp", m(graph.Unary(graph.OpExp, leaf(t, graph.Float32, 3001))), gpu, fs.elementwise, []int{3001}},
		{"row sum", m(graph.Reduce(graph.OpSum, leaf(t, graph.Float32, 5, 701), []int{1})), gpu, fs.reduce, []int{5, 701}},
		{"column sum", m(graph.Reduce(graph.OpSum, leaf(t, graph.Float32, 701, 40), []int{0})), gpu, fs.reduceColumns, []int{40, 701}},
		{"column sum, 8 columns", m(graph.Reduce(graph.OpSum, leaf(t, graph.Float32, 701, 8), []int{0})), gpu, fs.reduce, []int{8, 701}},
		{"float32 product", product(graph.Float32, 65, 65, 33), gpu, fs.contract, []int{65, 65, 33}},
		{"float16 product, tensor cores", product(graph.Float16, 256, 256, 64), gpu, fs.tensorContract, []int{256, 256, 64}},
		{"float16 product, no tensor cores", product(graph.Float16, 256, 256, 64), noTC, fs.contract, []int{256, 256, 64}},
		{"gather", m(graph.Gather(leaf(t, graph.Float32, 4, 3), 0, idx)), gpu, nil, nil},
	} {
		p, ok := fs.problemOf(lastKernel(t, c.node), c.target, codegen.Options{})
		if c.family == nil {
			if ok {
				t.Errorf("%s: family %s, want none", c.name, p.Family.Name)
			}
			continue
		}
		if !ok || p.Family != c.family || len(p.Dims) != len(c.dims) {
			t.Errorf("%s: %+v, %v; want family %s, dims %v", c.name, p, ok, c.family.Name, c.dims)
			continue
		}
		for i := range p.Dims {
			if p.Dims[i] != c.dims[i] {
				t.Errorf("%s: dims %v, want %v", c.name, p.Dims, c.dims)
				break
			}
		}
	}
}

// TestSiteOptions looks knobs up for a product whose base options are a heuristic choice
// of large tiles: that choice is the prior, an entry naming it is no variant, an entry
// naming codegen's defaults is, and mode off ignores the cache.
func TestSiteOptions(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(autotune.EnvCacheDir, dir)
	t.Setenv(autotune.EnvMode, "cached")
	Reset()
	t.Cleanup(Reset)
	large := codegen.Options{BlockM: 128, BlockN: 128, BlockK: 8, ThreadM: 8, ThreadN: 8}
	dev := &cpuDevice{Device: cpu.New()}
	site := NewSite("test", dev, autotune.Fingerprint{Model: "test device"}, gpu, func(*graph.Kernel) codegen.Options { return large })
	kern := lastKernel(t, must(t)(graph.Contract(leaf(t, graph.Float32, 256, 64), leaf(t, graph.Float32, 64, 256))))

	g, err := site.NewKernelTuning(kern)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if prior := codegen.ContractConfig(large); !g.Space.Prior.Equal(prior) {
		t.Errorf("prior %v, want the base's %v", g.Space.Prior, prior)
	}
	if _, err := g.Measure(context.Background(), g.Space.Prior); err != nil {
		t.Fatal(err)
	}
	if len(dev.compiled) != 1 || dev.compiled[0] != large.WithContract(g.Space.Prior) {
		t.Errorf("measuring the prior compiled %+v, want %+v", dev.compiled, large)
	}
	if o := site.Options(kern); o != large || site.Variant(kern) != "" {
		t.Errorf("no cache: options %+v, variant %q; want the base", o, site.Variant(kern))
	}

	store := func(c autotune.Config) {
		t.Helper()
		if err := autotune.OpenCache(dir).Store(autotune.Entry{Key: g.Key, Config: c, Median: time.Millisecond, Prior: 2 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		Reset()
	}
	defaults := codegen.ContractConfig(codegen.Options{})
	store(defaults)
	if o := site.Options(kern); o != large.WithContract(defaults) || site.Variant(kern) != o.String() {
		t.Errorf("cached defaults: options %+v, variant %q", o, site.Variant(kern))
	}
	store(g.Space.Prior)
	if v := site.Variant(kern); v != "" {
		t.Errorf("cached prior: variant %q, want none", v)
	}
	store(defaults)
	t.Setenv(autotune.EnvMode, "off")
	Reset()
	if v := site.Variant(kern); v != "" {
		t.Errorf("mode off: variant %q, want none", v)
	}

	gather := lastKernel(t, must(t)(graph.Gather(leaf(t, graph.Float32, 4, 3), 0, leaf(t, graph.Int32, 2))))
	if _, err := site.NewKernelTuning(gather); !errors.Is(err, ErrNoKnobs) {
		t.Errorf("gather: %v, want ErrNoKnobs", err)
	}
	if _, err := site.NewMatMulTuning(graph.Float32, 8, 8, 8); !errors.Is(err, ErrNotTiled) {
		t.Errorf("8x8x8: %v, want ErrNotTiled", err)
	}
}

// TestReduceSplitTuning checks the ReduceSplit knob of a reduction's tuning on a target
// that splits: the prior is the device's split (off the grid), splits past the most the
// kernel takes (543 workgroups of 129 elements for a sum of 70000 in workgroups of 128
// threads, 68 in workgroups of 1024) are refused but the prior, the serial strategy takes
// none, and a candidate compiles with its split.
func TestReduceSplitTuning(t *testing.T) {
	splitting := gpu
	splitting.SplitK = true
	base := codegen.Options{ReduceSplit: 300}
	dev := &cpuDevice{Device: cpu.New()}
	site := NewSite("test", dev, autotune.Fingerprint{Model: "test device"}, splitting, func(*graph.Kernel) codegen.Options { return base })
	g, err := site.NewKernelTuning(lastKernel(t, must(t)(graph.Reduce(graph.OpSum, leaf(t, graph.Float32, 70000), []int{0}))))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if g.Space.Prior["ReduceSplit"] != 300 || !g.Space.Valid(g.Space.Prior) {
		t.Errorf("prior %v (valid %v), want a split of 300", g.Space.Prior, g.Space.Valid(g.Space.Prior))
	}
	cfg := func(s codegen.ReduceStrategy, local, split int) autotune.Config {
		return autotune.Config{"Reduce": int(s), "Local": 256, "ReduceLocal": local, "ReduceSplit": split}
	}
	for _, c := range []struct {
		c    autotune.Config
		want bool
	}{
		{cfg(codegen.ReduceGroup, 128, 512), true},
		{cfg(codegen.ReduceGroup, 128, 543), true},
		{cfg(codegen.ReduceGroup, 128, 544), false},
		{cfg(codegen.ReduceAuto, 128, 1024), false},
		{cfg(codegen.ReduceGroup, 1024, 64), true},
		{cfg(codegen.ReduceGroup, 1024, 128), false},
		{cfg(codegen.ReduceGroup, 1024, 300), false},
		{cfg(codegen.ReduceSerial, 128, 2), false},
		{cfg(codegen.ReduceSerial, 128, 1), true},
	} {
		if got := g.Space.Valid(c.c); got != c.want {
			t.Errorf("%v: valid %v, want %v", c.c, got, c.want)
		}
	}
	if _, err := g.Measure(context.Background(), cfg(codegen.ReduceGroup, 256, 64)); err != nil {
		t.Fatal(err)
	}
	if o := dev.compiled[len(dev.compiled)-1]; o.ReduceSplit != 64 || o.Reduce != codegen.ReduceGroup || o.ReduceLocal != 256 {
		t.Errorf("compiled with %+v, want a split of 64", o)
	}
}

// wrongDevice runs kernels on the CPU, but compiles a product of 64-row tiles as the product
// scaled by 1.01, and one of 32-row tiles not at all; it counts the compilations.
type wrongDevice struct {
	cpuDevice
	wrong *graph.Kernel
}

func (d *wrongDevice) CompileWith(k *graph.Kernel, o codegen.Options) (backend.Program, error) {
	d.compiled = append(d.compiled, o)
	switch o.BlockM {
	case 64:
		return d.Compile(d.wrong)
	case 32:
		return nil, errors.New("no 32-row tiles here")
	}
	return d.Compile(k)
}

// TestWrongOutputRefused checks that a candidate whose kernel computes something else than
// the base options' is refused with ErrWrongOutput, never timed, and that one that computes
// the same passes, whichever is measured first; without a reference no candidate is timed.
func TestWrongOutputRefused(t *testing.T) {
	m := must(t)
	a, b := leaf(t, graph.Float32, 256, 64), leaf(t, graph.Float32, 64, 256)
	prod := m(graph.Contract(a, b))
	one := m(graph.Reshape(m(graph.Const(graph.ScalarOf(1.01, graph.Float32), graph.Float32)), []int{1, 1}))
	scale := m(graph.Expand(one, []int{256, 256}))
	wrong := lastKernel(t, m(graph.Binary(graph.OpMul, prod, scale)))
	if len(wrong.Inputs) != 2 {
		t.Fatalf("the scaled product reads %d inputs", len(wrong.Inputs))
	}
	kern := lastKernel(t, prod)
	large := codegen.Options{BlockM: 128, BlockN: 128, BlockK: 8, ThreadM: 8, ThreadN: 8}
	cfg := func(bm int) autotune.Config {
		c := codegen.ContractConfig(large)
		c["BlockM"] = bm
		return c
	}
	for _, first := range []string{"prior", "right", "wrong"} {
		t.Run(first, func(t *testing.T) {
			dev := &wrongDevice{cpuDevice: cpuDevice{Device: cpu.New()}, wrong: wrong}
			site := NewSite("test", dev, autotune.Fingerprint{Model: "test device"}, gpu, func(*graph.Kernel) codegen.Options { return large })
			g, err := site.NewKernelTuning(kern)
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			order := map[string][]autotune.Config{
				"prior": {g.Space.Prior, cfg(64), cfg(256)},
				"right": {cfg(256), g.Space.Prior, cfg(64)},
				"wrong": {cfg(64), cfg(256), g.Space.Prior},
			}[first]
			for _, c := range order {
				_, err := g.Measure(context.Background(), c)
				if bad := c["BlockM"] == 64; bad != errors.Is(err, ErrWrongOutput) {
					t.Errorf("%v: %v", c, err)
				}
				if c["BlockM"] == 64 {
					n := len(dev.compiled)
					if _, err := g.Measure(context.Background(), c); !errors.Is(err, ErrWrongOutput) || len(dev.compiled) != n {
						t.Errorf("%v again: %v, %d compilations more", c, err, len(dev.compiled)-n)
					}
				}
			}
			// The base options compile once, as the prior or as the reference before the first
			// other candidate.
			base := 0
			for _, o := range dev.compiled {
				if o.BlockM == large.BlockM {
					base++
				}
			}
			if want := map[string]int{"prior": 1, "right": 2, "wrong": 2}[first]; base != want {
				t.Errorf("the base options compiled %d times, want %d", base, want)
			}
		})
	}
	// A reference that does not compile: no candidate is timed, and the error says why.
	dev := &wrongDevice{cpuDevice: cpuDevice{Device: cpu.New()}, wrong: wrong}
	small := large
	small.BlockM = 32
	site := NewSite("test", dev, autotune.Fingerprint{Model: "test device"}, gpu, func(*graph.Kernel) codegen.Options { return small })
	g, err := site.NewKernelTuning(kern)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := g.Measure(context.Background(), cfg(256)); err == nil || !strings.Contains(err.Error(), "reference") {
		t.Errorf("no reference: %v, want an error about the reference run", err)
	}
}

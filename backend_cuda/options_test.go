package backend_cuda

import (
	"strings"
	"testing"

	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/graph"
)

// TestOptionsFor checks the tile choice of contractions: large SIMT tiles and wide
// tensor-core tiles once a product fills a wave of SMs, the defaults below that, explicit
// tiles untouched.
func TestOptionsFor(t *testing.T) {
	arch := TypicalArch(80)
	arch.SMs = 8
	product := func(dt graph.DType, m, n, k int) *graph.Kernel {
		_, kern := fakeProduct(t, dt, m, n, k)
		return kern
	}
	for _, c := range []struct {
		name  string
		k     *graph.Kernel
		opts  codegen.Options
		large bool // the large SIMT tiles
		wide  bool // the 128 x 256 tensor-core tiles
	}{
		{"float32 8 blocks", product(graph.Float32, 256, 512, 64), codegen.Options{}, true, false},
		{"float32 4 blocks", product(graph.Float32, 256, 256, 64), codegen.Options{}, false, false},
		{"float64 16 blocks", product(graph.Float64, 512, 512, 64), codegen.Options{}, true, false},
		{"float16 8 wide blocks", product(graph.Float16, 512, 1024, 64), codegen.Options{}, false, true},
		{"float16 4 wide blocks", product(graph.Float16, 256, 512, 64), codegen.Options{}, false, false},
		{"float16 2 blocks", product(graph.Float16, 128, 256, 64), codegen.Options{}, false, false},
		{"bfloat16 explicit tiles", product(graph.BFloat16, 512, 1024, 64), codegen.Options{TCBlockM: 64}, false, false},
		{"explicit tiles", product(graph.Float32, 512, 512, 64), codegen.Options{BlockM: 32}, false, false},
	} {
		o := optionsFor(c.k, arch, c.opts)
		if got := o.BlockM == 128 && o.ThreadM == 8 && o.Spread; got != c.large {
			t.Errorf("%s: large tiles %v, want %v (%+v)", c.name, got, c.large, o)
		}
		if got := o.TCBlockN == 256; got != c.wide {
			t.Errorf("%s: wide tensor-core tiles %v, want %v (%+v)", c.name, got, c.wide, o)
		}
		if small := o.TCBlockM == 64 && o.TCWarpsM == 2 && o.TCWarpsN == 2; small != (c.name == "float16 2 blocks") {
			t.Errorf("%s: small tensor-core tiles %v (%+v)", c.name, small, o)
		}
		if _, err := codegen.Lower(c.k, arch.Target(), o); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// TestOptionsForWarpgroup checks the tiles of products on warpgroup MMAs (sm_90a): 64
// deep, 128 × 256 in four stages for a wave, 128 × 128 in three for a wave of those,
// 64 × 128 below; each lowers to the warpgroup template.
func TestOptionsForWarpgroup(t *testing.T) {
	arch := TypicalArch(90)
	arch.SMs = 8
	arch.WarpgroupMMA = true
	for _, c := range []struct {
		m, n          int
		bm, bn, steps int
	}{
		{512, 1024, 128, 256, 4},
		{256, 512, 128, 128, 3},
		{256, 256, 64, 128, 3},
	} {
		_, k := fakeProduct(t, graph.BFloat16, c.m, c.n, 128)
		o := optionsFor(k, arch, codegen.Options{})
		if o.TCBlockM != c.bm || o.TCBlockN != c.bn || o.TCBlockK != 64 || o.TCStages != c.steps {
			t.Errorf("%dx%d: %+v, want %dx%dx64 in %d stages", c.m, c.n, o, c.bm, c.bn, c.steps)
		}
		p, err := codegen.Lower(k, arch.Target(), o)
		if err != nil {
			t.Fatal(err)
		}
		if notes := strings.Join(p.Notes, "\n"); !strings.Contains(notes, "warpgroup MMA") {
			t.Errorf("%dx%d: %s, want the warpgroup template", c.m, c.n, notes)
		}
	}
}

// TestOptionsForElementwise checks that large elementwise kernels compute 4 elements a
// thread, small ones one, and that options the device was given are kept.
func TestOptionsForElementwise(t *testing.T) {
	arch := TypicalArch(90)
	arch.SMs = 132
	kernel := func(n int) *graph.Kernel {
		x, err := graph.Host(graph.Float32, []int{n}, make([]byte, 4*n))
		if err != nil {
			t.Fatal(err)
		}
		y, err := graph.Unary(graph.OpExp, x)
		if err != nil {
			t.Fatal(err)
		}
		ks, err := graph.Schedule([]*graph.Node{y})
		if err != nil {
			t.Fatal(err)
		}
		return ks[len(ks)-1]
	}
	large, small := kernel(1<<24), kernel(1<<16)
	if o := optionsFor(large, arch, codegen.Options{}); o.Elems != 4 {
		t.Errorf("2^24 elements: Elems %d, want 4", o.Elems)
	}
	if o := optionsFor(small, arch, codegen.Options{}); o.Elems != 0 {
		t.Errorf("2^16 elements: Elems %d, want the default", o.Elems)
	}
	if o := optionsFor(large, arch, codegen.Options{Elems: 2}); o.Elems != 2 {
		t.Errorf("Elems 2 given: %d", o.Elems)
	}
}

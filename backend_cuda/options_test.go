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
// 64 × 128 below (64 × 64 for at most 64 columns); each lowers to the warpgroup template.
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
		{256, 48, 64, 64, 3},
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

// TestOptionsForElementwise checks that large elementwise kernels compute 8 or 4 elements
// a thread by their size, small ones one, and that options the device was given are kept.
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
		return lastKernel(t, y)
	}
	large, mid, small := kernel(1<<24), kernel(1<<21), kernel(1<<16)
	if o := optionsFor(large, arch, codegen.Options{}); o.Elems != 8 {
		t.Errorf("2^24 elements: Elems %d, want 8", o.Elems)
	}
	if o := optionsFor(mid, arch, codegen.Options{}); o.Elems != 4 {
		t.Errorf("2^21 elements: Elems %d, want 4", o.Elems)
	}
	if o := optionsFor(small, arch, codegen.Options{}); o.Elems != 0 {
		t.Errorf("2^16 elements: Elems %d, want the default", o.Elems)
	}
	if o := optionsFor(large, arch, codegen.Options{Elems: 2}); o.Elems != 2 {
		t.Errorf("Elems 2 given: %d", o.Elems)
	}
}

// TestSplitFor checks the splits of K that products of few tiles get.
func TestSplitFor(t *testing.T) {
	for _, c := range []struct {
		tiles, steps, sms, perSM, want int
	}{
		{28, 28, 132, 1, 4},   // 112 workgroups of 7 steps
		{28, 28, 132, 2, 4},   // fewer tiles than SMs: one workgroup an SM counts
		{16, 32, 132, 1, 8},   // 128 workgroups of 4 steps
		{16, 8, 132, 1, 2},    // shares of at least 4 steps
		{100, 64, 132, 1, 6},  // 5 waves of 11 steps, against one of 64
		{133, 64, 132, 2, 2},  // two workgroups of four warps an SM
		{133, 64, 132, 1, 3},  // one SM would run two tiles; 4 of 399 shares, 1.33 tiles' worth
		{133, 128, 132, 1, 6}, // 7 of 798 shares, 1.17 tiles' worth
		{133, 31, 132, 1, 1},  // shares too short to even out
		{264, 64, 132, 1, 1},  // two on every SM
		{133, 7, 132, 2, 1},   // too few steps to share
		{300, 64, 132, 2, 1},  // two an SM and more already
		{200, 64, 132, 4, 3},  // 600 of the 528 places
		{0, 64, 132, 1, 1},    // nothing to split
		{28, 28, 0, 1, 1},     // no SMs known
	} {
		if got := splitFor(c.tiles, c.steps, c.sms, c.perSM); got != c.want {
			t.Errorf("splitFor(%d tiles, %d steps, %d SMs, %d an SM) = %d, want %d", c.tiles, c.steps, c.sms, c.perSM, got, c.want)
		}
	}
	// The splits of products on tensor cores that skinnyTensorCore gives: as many
	// workgroups as run at once.
	for _, c := range []struct{ tiles, steps, slots, want int }{
		{8, 7813, 264, 32}, {16, 7813, 264, 16}, {1, 313, 264, 32}, {4, 141, 264, 32}, {4, 20, 264, 4}, {300, 7813, 264, 1},
	} {
		if got := streamSplit(c.tiles, c.steps, c.slots); got != c.want {
			t.Errorf("streamSplit(%d tiles, %d steps, %d slots) = %d, want %d", c.tiles, c.steps, c.slots, got, c.want)
		}
	}
	// The workgroups an SM: 8 warps' worth, as far as shared memory goes.
	sm90 := TypicalArch(90)
	for _, c := range []struct{ warps, shared, want int }{
		{4, 24 << 10, 2}, {8, 24 << 10, 1}, {2, 24 << 10, 4}, {2, 100 << 10, 2}, {4, 200 << 10, 1}, {0, 0, 8},
	} {
		if got := residentFor(c.warps, c.shared, sm90); got != c.want {
			t.Errorf("residentFor(%d warps, %d bytes) = %d, want %d", c.warps, c.shared, got, c.want)
		}
	}
	// An A100's SM holds 164 KiB, less 1 KiB a workgroup: two of 54 KiB (not the 3 that
	// its 163 KiB opt-in per block would give), three of 53 KiB.
	sm80 := TypicalArch(80)
	for _, c := range []struct{ shared, want int }{{54 << 10, 2}, {53 << 10, 3}} {
		if got := residentFor(2, c.shared, sm80); got != c.want {
			t.Errorf("sm_80: residentFor(2 warps, %d KiB) = %d, want %d", c.shared>>10, got, c.want)
		}
	}
}

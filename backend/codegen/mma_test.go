package codegen

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/graph"
)

// tcTarget is an sm_80 device as far as the lowering cares.
var tcTarget = Target{MaxWorkgroup: 1024, SharedMemory: 48 << 10, WarpWidth: 32, MaxGroups: 65535, Shuffle: true, TensorCores: true, SplitK: true}

func TestTensorContractSpace(t *testing.T) {
	sp := TensorContractSpace(tcTarget)
	if err := sp.Validate(); err != nil {
		t.Fatal(err)
	}
	if !sp.Prior.Equal(TensorContractConfig(Options{})) || !sp.Allows(sp.Prior) {
		t.Errorf("prior %v (allowed %v), want the defaults", sp.Prior, sp.Allows(sp.Prior))
	}
	// 3 stages of 128x128x32 take 48 KiB: not in 32 KiB.
	small := tcTarget
	small.SharedMemory = 32 << 10
	if ss := TensorContractSpace(small); ss.Allows(sp.Prior) {
		t.Errorf("48 KiB of tiles allowed in 32 KiB of shared memory")
	}
	for _, c := range []autotune.Config{
		{"TCBlockM": 256, "TCBlockN": 256, "TCBlockK": 16, "TCWarpsM": 1, "TCWarpsN": 1, "TCStages": 2, "Warpgroup": 1, "TMA": 1, "SplitK": 1, "RasterM": 1}, // 1024 accumulators a thread
		{"TCBlockM": 64, "TCBlockN": 64, "TCBlockK": 32, "TCWarpsM": 4, "TCWarpsN": 4, "TCStages": 2, "Warpgroup": 1, "TMA": 1, "SplitK": 1, "RasterM": 1},   // warp tiles of 16x16: fine
		{"TCBlockM": 64, "TCBlockN": 128, "TCBlockK": 32, "TCWarpsM": 4, "TCWarpsN": 4, "TCStages": 3, "Warpgroup": 1, "TMA": 1, "SplitK": 1, "RasterM": 1},  // fine
		{"TCBlockM": 64, "TCBlockN": 64, "TCBlockK": 64, "TCWarpsM": 4, "TCWarpsN": 1, "TCStages": 2, "Warpgroup": 1, "TMA": 1, "SplitK": 1, "RasterM": 1},   // fine
	} {
		want := c["TCWarpsN"] != 1 || c["TCBlockM"] != 256
		if got := sp.Allows(c); got != want {
			t.Errorf("Allows(%v) = %v, want %v", c, got, want)
		}
	}
	// On sm_90a: warpgroup configurations keep the default warps and may have deeper
	// pipelines; the warp-level ones keep theirs.
	wsp := TensorContractSpace(wgTarget)
	if err := wsp.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		c    autotune.Config
		want bool
	}{
		{autotune.Config{"TCBlockM": 128, "TCBlockN": 256, "TCBlockK": 64, "TCWarpsM": 2, "TCWarpsN": 4, "TCStages": 4, "Warpgroup": 1, "TMA": 1, "SplitK": 1, "RasterM": 1}, true},
		{autotune.Config{"TCBlockM": 128, "TCBlockN": 256, "TCBlockK": 64, "TCWarpsM": 2, "TCWarpsN": 4, "TCStages": 5, "Warpgroup": 1, "TMA": 1, "SplitK": 1, "RasterM": 1}, false}, // 241 KiB
		{autotune.Config{"TCBlockM": 128, "TCBlockN": 256, "TCBlockK": 64, "TCWarpsM": 4, "TCWarpsN": 4, "TCStages": 4, "Warpgroup": 1, "TMA": 1, "SplitK": 1, "RasterM": 1}, false}, // warps repeat
		{autotune.Config{"TCBlockM": 128, "TCBlockN": 128, "TCBlockK": 64, "TCWarpsM": 2, "TCWarpsN": 4, "TCStages": 6, "Warpgroup": 1, "TMA": 1, "SplitK": 1, "RasterM": 1}, true},
		{autotune.Config{"TCBlockM": 128, "TCBlockN": 128, "TCBlockK": 64, "TCWarpsM": 2, "TCWarpsN": 4, "TCStages": 6, "Warpgroup": 0, "TMA": 1, "SplitK": 1, "RasterM": 1}, false},
		{autotune.Config{"TCBlockM": 128, "TCBlockN": 128, "TCBlockK": 32, "TCWarpsM": 4, "TCWarpsN": 2, "TCStages": 3, "Warpgroup": 0, "TMA": 1, "SplitK": 1, "RasterM": 1}, true},
	} {
		if got := wsp.Allows(c.c); got != c.want {
			t.Errorf("sm_90a: Allows(%v) = %v, want %v", c.c, got, c.want)
		}
	}
	if sp.Allows(autotune.Config{"TCBlockM": 128, "TCBlockN": 128, "TCBlockK": 32, "TCWarpsM": 2, "TCWarpsN": 4, "TCStages": 3, "Warpgroup": 0, "TMA": 1, "SplitK": 1, "RasterM": 1}) {
		t.Errorf("sm_80: Warpgroup 0 allowed; it is the same kernel as 1")
	}
	// TMA 0 (copies by every thread) only for warpgroup kernels on a target with tensor maps.
	tmaTarget := wgTarget
	tmaTarget.TensorMaps = true
	tsp := TensorContractSpace(tmaTarget)
	wgCopies := autotune.Config{"TCBlockM": 128, "TCBlockN": 256, "TCBlockK": 64, "TCWarpsM": 2, "TCWarpsN": 4, "TCStages": 4, "Warpgroup": 1, "TMA": 0, "SplitK": 1, "RasterM": 1}
	warpCopies := autotune.Config{"TCBlockM": 128, "TCBlockN": 128, "TCBlockK": 32, "TCWarpsM": 4, "TCWarpsN": 2, "TCStages": 3, "Warpgroup": 0, "TMA": 0, "SplitK": 1, "RasterM": 1}
	if err := tsp.Validate(); err != nil || !tsp.Allows(wgCopies) || tsp.Allows(warpCopies) || wsp.Allows(wgCopies) {
		t.Errorf("TMA 0: %v; allowed for warpgroups %v, for warps %v, without tensor maps %v", err, tsp.Allows(wgCopies),
			tsp.Allows(warpCopies), wsp.Allows(wgCopies))
	}
	// SplitK where the target can split K, and 1 alone where it cannot.
	split := autotune.Config{"TCBlockM": 64, "TCBlockN": 64, "TCBlockK": 32, "TCWarpsM": 2, "TCWarpsN": 2, "TCStages": 3, "Warpgroup": 1, "TMA": 1, "SplitK": 4, "RasterM": 1}
	noSplit := tcTarget
	noSplit.SplitK = false
	nsp := TensorContractSpace(noSplit)
	if !sp.Allows(split) || nsp.Allows(split) {
		t.Errorf("SplitK 4: allowed %v with split K, %v without", sp.Allows(split), nsp.Allows(split))
	}
	o := Options{}.WithTensorContract(autotune.Config{"TCBlockM": 64, "TCStages": 4})
	if o.TCBlockM != 64 || o.TCStages != 4 || o.String() == (Options{}).String() {
		t.Errorf("WithTensorContract: %v", o)
	}
	if err := (Options{TCBlockK: 8}).withDefaults().validate(tcTarget); err == nil {
		t.Errorf("TCBlockK 8 validated")
	}
	if err := (Options{TCBlockM: 96}).withDefaults().validate(tcTarget); err == nil {
		t.Errorf("TCBlockM 96 validated")
	}
}

// TestTensorCoreChoice checks which products go to the tensor-core template (Float16 and
// BFloat16 operands on a target with tensor cores; everything else keeps the tiled or
// simple templates) and how it reads them: asynchronous copies of aligned rows of either
// orientation, else element by element through registers.
func TestTensorCoreChoice(t *testing.T) {
	g := gb{t}
	tr := func(n *graph.Node) *graph.Node { return g.must(graph.Permute(n, []int{1, 0})) }
	cases := []struct {
		name   string
		a, b   *graph.Node
		target Target
		opts   Options
		want   bool
	}{
		{"f16", g.host(graph.Float16, 64, 32), g.host(graph.Float16, 32, 48), tcTarget, Options{}, true},
		{"bf16 transposed both", tr(g.host(graph.BFloat16, 32, 64)), tr(g.host(graph.BFloat16, 48, 32)), tcTarget, Options{}, true},
		{"f32", g.host(graph.Float32, 64, 32), g.host(graph.Float32, 32, 48), tcTarget, Options{}, false},
		{"no tensor cores", g.host(graph.Float16, 64, 32), g.host(graph.Float16, 32, 48), glTarget, Options{}, false},
		{"switched off", g.host(graph.Float16, 64, 32), g.host(graph.Float16, 32, 48), tcTarget, Options{TensorCore: new(false)}, false},
		{"K not a multiple of 8", g.host(graph.Float16, 64, 36), g.host(graph.Float16, 36, 48), tcTarget, Options{}, true},
		{"K not a multiple of 4", g.host(graph.Float16, 64, 34), g.host(graph.Float16, 34, 48), tcTarget, Options{}, true},
		{"N not a multiple of 8", g.host(graph.Float16, 64, 32), g.host(graph.Float16, 32, 52), tcTarget, Options{}, true},
		{"too small", g.host(graph.Float16, 8, 32), g.host(graph.Float16, 32, 48), tcTarget, Options{}, false},
		{"8 columns", g.host(graph.Float16, 64, 32), g.host(graph.Float16, 32, 8), tcTarget, Options{}, true},
		{"skinny", g.host(graph.Float16, 64, 8192), g.host(graph.Float16, 8192, 8), tcTarget, Options{}, false},
		{"skinny off", g.host(graph.Float16, 64, 8192), g.host(graph.Float16, 8192, 8), tcTarget, Options{Skinny: new(false)}, true},
		{"unaligned slice", g.must(graph.Slice(g.host(graph.Float16, 65, 32), []int{1, 0}, []int{64, 32}, []int{1, 1})), g.host(graph.Float16, 32, 48), tcTarget, Options{}, true},
		{"offset of 4", g.must(graph.Slice(g.host(graph.Float16, 64, 40), []int{0, 4}, []int{64, 32}, []int{1, 1})), g.host(graph.Float16, 32, 48), tcTarget, Options{}, true},
		{"odd offset", g.must(graph.Slice(g.host(graph.Float16, 64, 40), []int{0, 2}, []int{64, 32}, []int{1, 1})), g.host(graph.Float16, 32, 48), tcTarget, Options{}, true},
		{"padded", g.must(graph.Pad(g.host(graph.Float16, 60, 32), [][2]int{{2, 2}, {0, 0}})), g.host(graph.Float16, 32, 48), tcTarget, Options{}, true},
	}
	// How each operand is read, by case.
	layouts := map[string]string{
		"f16": "A K-major, B K-minor", "bf16 transposed both": "A K-minor, B K-major",
		"unaligned slice": "A K-major, B K-minor", "K not a multiple of 8": "A K-major in 8-byte copies, B K-minor",
		"K not a multiple of 4": "A gathered, B K-minor", "N not a multiple of 8": "A K-major, B K-minor in 8-byte copies",
		"offset of 4": "A K-major in 8-byte copies, B K-minor", "8 columns": "A K-major, B K-minor",
		"skinny off": "A K-major, B K-minor", "odd offset": "A gathered, B K-minor", "padded": "A gathered, B K-minor",
	}
	for _, c := range cases {
		k := g.kernel(g.must(graph.Contract(c.a, c.b)))
		if got := UsesTensorCores(k, c.target, c.opts); got != c.want {
			t.Errorf("%s: UsesTensorCores = %v, want %v", c.name, got, c.want)
		}
		p, err := Lower(k, c.target, c.opts)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		notes := strings.Join(p.Notes, "\n")
		if got := strings.Contains(notes, "tensor core"); got != c.want {
			t.Errorf("%s: lowered with the tensor-core template: %v, want %v (%v)", c.name, got, c.want, p.Notes)
		}
		if l := layouts[c.name]; c.want && !strings.Contains(notes, l) {
			t.Errorf("%s: %s, want %s", c.name, notes, l)
		}
	}
}

// TestTensorCoreNeedsCUDA checks that a dialect without the intrinsics refuses the
// template's kernels instead of rendering something else.
func TestTensorCoreNeedsCUDA(t *testing.T) {
	g := gb{t}
	k := g.kernel(g.must(graph.Contract(g.host(graph.Float16, 64, 32), g.host(graph.Float16, 32, 48))))
	p, err := Lower(k, tcTarget, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Render(p, glsl); err == nil || !strings.Contains(err.Error(), "intrinsic") {
		t.Errorf("GLSL rendered a tensor-core kernel: %v", err)
	}
}

// TestTileGridLimits checks that products with more row blocks than a launch dimension
// holds leave the tiled templates for the one-thread-per-output one, which spreads its
// threads over two dimensions.
func TestTileGridLimits(t *testing.T) {
	g := gb{t}
	small := tcTarget
	small.MaxGroups = 40
	for _, dt := range []graph.DType{graph.Float16, graph.Float32} {
		k := g.kernel(g.must(graph.Contract(g.host(dt, 8192, 32), g.host(dt, 32, 16))))
		p, err := Lower(k, small, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if notes := strings.Join(p.Notes, "\n"); !strings.Contains(notes, "contract simple") {
			t.Errorf("%v: %s, want the simple template", dt, notes)
		}
		for _, n := range p.Groups {
			if n > small.MaxGroups {
				t.Errorf("%v: groups %v past the limit %d", dt, p.Groups, small.MaxGroups)
			}
		}
	}
}

// wgTarget is an sm_90a device as far as the lowering cares.
var wgTarget = Target{MaxWorkgroup: 1024, SharedMemory: 227 << 10, WarpWidth: 32, MaxGroups: 65535, Shuffle: true,
	TensorCores: true, WarpgroupMMA: true}

// TestWarpgroupChoice checks which tensor-core products take warpgroup MMAs (operands in
// aligned rows, blocks of multiples of 64 that fit; the rest keep the warp-level
// template) and how the CUDA dialect spells them.
func TestWarpgroupChoice(t *testing.T) {
	g := gb{t}
	tr := func(n *graph.Node) *graph.Node { return g.must(graph.Permute(n, []int{1, 0})) }
	cases := []struct {
		name   string
		a, b   *graph.Node
		target Target
		opts   Options
		want   string // the template's note, "" for the warp-level one
	}{
		{"f16", g.host(graph.Float16, 128, 64), g.host(graph.Float16, 64, 128), wgTarget, Options{},
			"block 128x128x32, 2 warpgroups of 64x128, 3 stages, A K-major, B K-minor"},
		{"bf16 transposed both", tr(g.host(graph.BFloat16, 64, 128)), tr(g.host(graph.BFloat16, 256, 64)), wgTarget,
			Options{TCBlockM: 64, TCBlockN: 256, TCBlockK: 64, TCStages: 4}, "block 64x256x64, 1 warpgroup of 64x256, 4 stages, A K-minor, B K-major"},
		{"sm_80", g.host(graph.Float16, 128, 64), g.host(graph.Float16, 64, 128), tcTarget, Options{}, ""},
		{"switched off", g.host(graph.Float16, 128, 64), g.host(graph.Float16, 64, 128), wgTarget, Options{Warpgroup: new(false)}, ""},
		{"gathered", g.host(graph.Float16, 128, 58), g.host(graph.Float16, 58, 128), wgTarget, Options{}, ""},
		{"8-byte rows", g.host(graph.Float16, 128, 64), g.host(graph.Float16, 64, 132), wgTarget, Options{},
			"block 128x128x32, 2 warpgroups of 64x128, 3 stages, A K-major, B K-minor in 8-byte copies"},
		{"N block 32", g.host(graph.Float16, 128, 64), g.host(graph.Float16, 64, 128), wgTarget, Options{TCBlockN: 32, TCWarpsN: 2}, ""},
		{"too much shared memory", g.host(graph.Float16, 128, 64), g.host(graph.Float16, 64, 128),
			Target{MaxWorkgroup: 1024, SharedMemory: 96 << 10, WarpWidth: 32, MaxGroups: 65535, TensorCores: true, WarpgroupMMA: true},
			Options{TCBlockN: 256, TCBlockK: 64, TCStages: 4}, ""},
	}
	for _, c := range cases {
		k := g.kernel(g.must(graph.Contract(c.a, c.b)))
		p, err := Lower(k, c.target, c.opts)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		notes := strings.Join(p.Notes, "\n")
		if got := strings.Contains(notes, "warpgroup MMA"); got != (c.want != "") || !strings.Contains(notes, c.want) {
			t.Errorf("%s: %s, want %q", c.name, notes, c.want)
		}
		src, err := Render(p, CUDA{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := strings.Contains(src, "wgmma.mma_async"); got != (c.want != "") {
			t.Errorf("%s: wgmma in the source: %v", c.name, got)
		}
		if c.name == "bf16 transposed both" {
			for _, s := range []string{"wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16", "xb_wgmma_m64n256_bf16<1, 0>",
				"fence.proxy.async.shared::cta", "xb_wgmma_wait<1, 128>", "xb_wgmma_wait<0, 128>", "xb_cp_async_wait<1>"} {
				if !strings.Contains(src, s) {
					t.Errorf("%s: no %q in\n%s", c.name, s, src)
				}
			}
		}
		if _, err := Render(p, glsl); c.want != "" && err == nil {
			t.Errorf("%s: GLSL rendered a warpgroup kernel", c.name)
		}
	}
}

// TestSplitKLimits checks when a split of K asked for is not made: on a target without
// SplitK, for integer accumulators, and where the partial tiles would pass maxPartials
// (8192³ in 16 shares: 4 GiB); and that a split of more shares than steps takes one step a
// share.
func TestSplitKLimits(t *testing.T) {
	g := gb{t}
	noSplit := tcTarget
	noSplit.SplitK = false
	for _, c := range []struct {
		name    string
		dt      graph.DType
		m, n, k int
		target  Target
		splitK  int
		want    string // in the notes; "" for no split
	}{
		{"no SplitK target", graph.Float32, 64, 64, 1024, noSplit, 4, ""},
		{"int32", graph.Int32, 64, 64, 1024, tcTarget, 4, ""},
		{"4 GiB of partials", graph.Float32, 8192, 8192, 8192, tcTarget, 16, ""},
		{"more shares than steps", graph.Float32, 64, 64, 48, tcTarget, 8, "split K: 3 shares of 16"},
		{"split", graph.Float32, 64, 64, 1024, tcTarget, 4, "split K: 4 shares of 256"},
	} {
		k := g.kernel(g.must(graph.Contract(g.host(c.dt, c.m, c.k), g.host(c.dt, c.k, c.n))))
		p, err := Lower(k, c.target, Options{SplitK: c.splitK})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		notes := strings.Join(p.Notes, "; ")
		if split := strings.Contains(notes, "split K"); split != (c.want != "") || !strings.Contains(notes, c.want) {
			t.Errorf("%s: notes %q, want %q", c.name, notes, c.want)
		}
		if (p.Split.Counters > 0) != (c.want != "") {
			t.Errorf("%s: workspace %+v", c.name, p.Split)
		}
	}
}

// TestContractBlock checks the workgroup that ContractBlock reports for each template.
func TestContractBlock(t *testing.T) {
	g := gb{t}
	half := g.kernel(g.must(graph.Contract(g.host(graph.Float16, 256, 128), g.host(graph.Float16, 128, 256))))
	single := g.kernel(g.must(graph.Contract(g.host(graph.Float32, 256, 128), g.host(graph.Float32, 128, 256))))
	for _, c := range []struct {
		name                           string
		k                              *graph.Kernel
		t                              Target
		o                              Options
		bm, bn, bk, threads, sharedMem int
	}{
		{"warpgroup", half, wgTarget, Options{TCBlockM: 128, TCBlockN: 256, TCBlockK: 64, TCStages: 4}, 128, 256, 64, 256, 4*384*64*2 + 1024 + 4*16},
		{"mma.sync", half, tcTarget, Options{TCBlockM: 64, TCBlockN: 64, TCWarpsM: 2, TCWarpsN: 2}, 64, 64, 32, 128, 3 * 128 * 32 * 2},
		{"tiled", single, tcTarget, Options{Buffers: 2}, 64, 64, 16, 256, 2 * 128 * 16 * 8},
	} {
		bm, bn, bk, threads, shared := ContractBlock(c.k, c.t, c.o)
		if bm != c.bm || bn != c.bn || bk != c.bk || threads != c.threads || shared != c.sharedMem {
			t.Errorf("%s: %dx%dx%d, %d threads, %d bytes; want %dx%dx%d, %d, %d", c.name, bm, bn, bk, threads, shared,
				c.bm, c.bn, c.bk, c.threads, c.sharedMem)
		}
	}
}

// TestWarpgroupTensorMaps checks the tensor maps of the warpgroup template with tensor
// copies: which products get them (operands in 16-byte aligned rows, Options.TMA), the maps'
// dimensions, strides, boxes and swizzles for K-major and MN-major operands, batches and
// broadcast batches, and the CUDA source's parameters and intrinsics.
func TestWarpgroupTensorMaps(t *testing.T) {
	g := gb{t}
	tr := func(n *graph.Node) *graph.Node { return g.must(graph.Permute(n, []int{0, 2, 1})) }
	target := wgTarget
	target.TensorMaps = true

	cases := []struct {
		name string
		a, b *graph.Node
		t    Target
		o    Options
		want []TensorMap // nil: copies by every thread
	}{
		{"K-major A, MN-major B", g.host(graph.Float16, 128, 64), g.host(graph.Float16, 64, 128), target, Options{},
			[]TensorMap{
				{Param: 1, DType: graph.Float16, Dims: []int{64, 128}, Strides: []int{128}, Box: []int{32, 128}, Swizzle: 64},
				{Param: 2, DType: graph.Float16, Dims: []int{128, 64}, Strides: []int{256}, Box: []int{64, 32}, Swizzle: 128},
			}},
		{"64 deep, batched, MN-major A, K-major B", tr(g.host(graph.BFloat16, 3, 64, 128)), tr(g.host(graph.BFloat16, 3, 256, 64)), target,
			Options{TCBlockM: 64, TCBlockN: 256, TCBlockK: 64, TCStages: 4},
			[]TensorMap{
				{Param: 1, DType: graph.BFloat16, Dims: []int{128, 64, 3}, Strides: []int{256, 64 * 256}, Box: []int{64, 64, 1}, Swizzle: 128},
				{Param: 2, DType: graph.BFloat16, Dims: []int{64, 256, 3}, Strides: []int{128, 256 * 128}, Box: []int{64, 256, 1}, Swizzle: 128},
			}},
		{"broadcast B", g.host(graph.Float16, 2, 128, 64), g.must(graph.Expand(g.must(graph.Reshape(g.host(graph.Float16, 64, 128), []int{1, 64, 128})), []int{2, 64, 128})), target, Options{},
			[]TensorMap{
				{Param: 1, DType: graph.Float16, Dims: []int{64, 128, 2}, Strides: []int{128, 128 * 128}, Box: []int{32, 128, 1}, Swizzle: 64},
				{Param: 2, DType: graph.Float16, Dims: []int{128, 64}, Strides: []int{256}, Box: []int{64, 32}, Swizzle: 128},
			}},
		{"8-byte rows", g.host(graph.Float16, 128, 64), g.host(graph.Float16, 64, 132), target, Options{}, nil},
		{"switched off", g.host(graph.Float16, 128, 64), g.host(graph.Float16, 64, 128), target, Options{TMA: new(false)}, nil},
		{"no tensor maps", g.host(graph.Float16, 128, 64), g.host(graph.Float16, 64, 128), wgTarget, Options{}, nil},
	}
	for _, c := range cases {
		p, err := Lower(g.kernel(g.must(graph.Contract(c.a, c.b))), c.t, c.o)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(p.TensorMaps) != len(c.want) {
			t.Fatalf("%s: %d tensor maps %+v, want %d", c.name, len(p.TensorMaps), p.TensorMaps, len(c.want))
		}
		for i, w := range c.want {
			if got := p.TensorMaps[i]; fmt.Sprint(got) != fmt.Sprint(w) {
				t.Errorf("%s: map %d %+v, want %+v", c.name, i, got, w)
			}
		}
		src, err := Render(p, CUDA{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		has := func(s string) bool { return strings.Contains(src, s) }
		if c.want == nil {
			if has("xb_tma_load") || has("xb_tensor_map") || !has("xb_cp_async") {
				t.Errorf("%s: tensor copies without tensor maps, or no copies at all:\n%s", c.name, src)
			}
			continue
		}
		for _, s := range []string{"const __grid_constant__ xb_tensor_map tmap1", "cp.async.bulk.tensor.", "mbarrier.try_wait.parity",
			"mbarrier.arrive.expect_tx", "fence.mbarrier_init", "__syncwarp();", "tiles loaded by tensor copies",
			"prefetch.tensormap", "xb_prefetch_tensor_map(&tmap0);"} {
			if !has(s) {
				t.Errorf("%s: no %q in\n%s", c.name, s, src)
			}
		}
		// One workgroup barrier: after the transaction barriers' set-up, none in the steps
		// (the epilogue's are after them).
		steps, _, _ := strings.Cut(src, "Stage the tile in shared memory")
		if has("xb_cp_async") || strings.Count(steps, "__syncthreads();") != 1 {
			t.Errorf("%s: copies by every thread, or workgroup barriers in the steps, with tensor copies:\n%s", c.name, src)
		}
	}
}

// TestTensorMapCheck checks the limits a tensor map is held to.
func TestTensorMapCheck(t *testing.T) {
	ok := TensorMap{Param: 1, DType: graph.Float16, Dims: []int{64, 100}, Strides: []int{128}, Box: []int{64, 128}, Swizzle: 128}
	if err := ok.Check(); err != nil || ok.BoxBytes() != 64*128*2 {
		t.Fatalf("%+v: %v, %d box bytes", ok, err, ok.BoxBytes())
	}
	for name, f := range map[string]func(m *TensorMap){
		"rank 6":            func(m *TensorMap) { m.Dims, m.Box, m.Strides = make([]int, 6), make([]int, 6), make([]int, 5) },
		"strides":           func(m *TensorMap) { m.Strides = nil },
		"unaligned offset":  func(m *TensorMap) { m.Offset = 4 },
		"unaligned stride":  func(m *TensorMap) { m.Strides = []int{136} },
		"zero stride":       func(m *TensorMap) { m.Strides = []int{0} },
		"box past 256":      func(m *TensorMap) { m.Box = []int{64, 512} },
		"box row of 8":      func(m *TensorMap) { m.Box, m.Swizzle = []int{4, 8}, 0 },
		"swizzle too small": func(m *TensorMap) { m.Swizzle = 64 },
		"swizzle of 16":     func(m *TensorMap) { m.Swizzle = 16 },
		"empty dimension":   func(m *TensorMap) { m.Dims = []int{64, 0} },
		"bool elements":     func(m *TensorMap) { m.DType = graph.DType(200) },
	} {
		m := ok
		m.Dims, m.Strides, m.Box = slices.Clone(ok.Dims), slices.Clone(ok.Strides), slices.Clone(ok.Box)
		f(&m)
		if err := m.Check(); err == nil {
			t.Errorf("%s: %+v passes", name, m)
		}
	}
}

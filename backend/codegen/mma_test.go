package codegen

import (
	"strings"
	"testing"

	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/graph"
)

// tcTarget is an sm_80 device as far as the lowering cares.
var tcTarget = Target{MaxWorkgroup: 1024, SharedMemory: 48 << 10, WarpWidth: 32, MaxGroups: 65535, Shuffle: true, TensorCores: true}

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
		{"TCBlockM": 256, "TCBlockN": 256, "TCBlockK": 16, "TCWarpsM": 1, "TCWarpsN": 1, "TCStages": 2}, // 1024 accumulators a thread
		{"TCBlockM": 64, "TCBlockN": 64, "TCBlockK": 32, "TCWarpsM": 4, "TCWarpsN": 4, "TCStages": 2},   // warp tiles of 16x16: fine
		{"TCBlockM": 64, "TCBlockN": 128, "TCBlockK": 32, "TCWarpsM": 4, "TCWarpsN": 4, "TCStages": 3},  // fine
		{"TCBlockM": 64, "TCBlockN": 64, "TCBlockK": 64, "TCWarpsM": 4, "TCWarpsN": 1, "TCStages": 2},   // fine
	} {
		want := c["TCWarpsN"] != 1 || c["TCBlockM"] != 256
		if got := sp.Allows(c); got != want {
			t.Errorf("Allows(%v) = %v, want %v", c, got, want)
		}
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
		{"too small", g.host(graph.Float16, 8, 32), g.host(graph.Float16, 32, 48), tcTarget, Options{}, false},
		{"unaligned slice", g.must(graph.Slice(g.host(graph.Float16, 65, 32), []int{1, 0}, []int{64, 32}, []int{1, 1})), g.host(graph.Float16, 32, 48), tcTarget, Options{}, true},
		{"odd offset", g.must(graph.Slice(g.host(graph.Float16, 64, 40), []int{0, 4}, []int{64, 32}, []int{1, 1})), g.host(graph.Float16, 32, 48), tcTarget, Options{}, true},
		{"padded", g.must(graph.Pad(g.host(graph.Float16, 60, 32), [][2]int{{2, 2}, {0, 0}})), g.host(graph.Float16, 32, 48), tcTarget, Options{}, true},
	}
	// How each operand is read, by case.
	layouts := map[string]string{
		"f16": "A K-major, B K-minor", "bf16 transposed both": "A K-minor, B K-major",
		"unaligned slice": "A K-major, B K-minor", "K not a multiple of 8": "A gathered, B K-minor",
		"odd offset": "A gathered, B K-minor", "padded": "A gathered, B K-minor",
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

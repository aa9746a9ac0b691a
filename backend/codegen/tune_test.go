package codegen

import (
	"reflect"
	"testing"

	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/graph"
)

// TestTuningSpaces checks that every space is well formed, that its prior is the defaults
// and allowed, that the target's limits are applied, and that a configuration sets what it
// names.
func TestTuningSpaces(t *testing.T) {
	big := Target{MaxWorkgroup: 1024, SharedMemory: 32768}
	small := Target{MaxWorkgroup: 128, SharedMemory: 512}
	for _, c := range []struct {
		name  string
		space func(Target) autotune.Space
		prior autotune.Config
	}{
		{"contract", ContractSpace, ContractConfig(Options{})},
		{"elementwise", ElementwiseSpace, ElementwiseConfig(Options{})},
		{"reduce", ReduceSpace, ReduceConfig(Options{})},
	} {
		sp := c.space(big)
		if err := sp.Validate(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if !sp.Prior.Equal(c.prior) || !sp.Allows(sp.Prior) {
			t.Errorf("%s: prior %v (allowed %v), want the defaults %v", c.name, sp.Prior, sp.Allows(sp.Prior), c.prior)
		}
	}
	if sp := ElementwiseSpace(small); sp.Allows(autotune.Config{"Local": 256, "Elems": 1}) || !sp.Allows(autotune.Config{"Local": 128, "Elems": 4}) {
		t.Errorf("elementwise: the workgroup limit of 128 is not applied")
	}
	rs := ReduceSpace(small)
	if rs.Allows(autotune.Config{"Reduce": int(ReduceGroup), "Local": 256, "ReduceLocal": 128, "ReduceSplit": 1}) {
		t.Errorf("reduce: a group of 128 x 8 bytes allowed in 512 bytes of shared memory")
	}
	if !rs.Allows(autotune.Config{"Reduce": int(ReduceGroup), "Local": 256, "ReduceLocal": 64, "ReduceSplit": 1}) {
		t.Errorf("reduce: a group of 64 refused")
	}
	// Each strategy varies only the knobs it reads: one auto, four serial, five group, five
	// columns; with SplitK, the auto, group and column ones each with 13 splits.
	splitting := big
	splitting.SplitK = true
	for _, c := range []struct {
		t    Target
		want int
	}{{big, 15}, {splitting, 13 + 4 + 5*13 + 5*13}} {
		n := 0
		sp := ReduceSpace(c.t)
		if err := sp.Validate(); err != nil || !sp.Allows(sp.Prior) {
			t.Errorf("reduce, SplitK %v: %v, prior allowed %v", c.t.SplitK, err, sp.Allows(sp.Prior))
		}
		for _, s := range sp.Knobs[0].Values {
			for _, l := range sp.Knobs[1].Values {
				for _, rl := range sp.Knobs[2].Values {
					for _, split := range ReduceSplits {
						if sp.Allows(autotune.Config{"Reduce": s, "Local": l, "ReduceLocal": rl, "ReduceSplit": split}) {
							n++
						}
					}
				}
			}
		}
		if n != c.want {
			t.Errorf("reduce, SplitK %v: %d valid configurations, want %d", c.t.SplitK, n, c.want)
		}
	}
	// A device's prior may split off the grid (a whole device's worth of workgroups); no
	// split without SplitK, in the serial strategy, or past MaxReduceSplit.
	for _, c := range []struct {
		t     Target
		s     ReduceStrategy
		split int
		want  bool
	}{
		{splitting, ReduceGroup, 2112, true}, {splitting, ReduceAuto, 3, true}, {big, ReduceGroup, 2, false},
		{splitting, ReduceSerial, 2, false}, {splitting, ReduceColumns, 2 * MaxReduceSplit, false}, {splitting, ReduceGroup, 0, false},
	} {
		cfg := autotune.Config{"Reduce": int(c.s), "Local": 256, "ReduceLocal": 128, "ReduceSplit": c.split}
		if got := ReduceSpace(c.t).Valid(cfg); got != c.want {
			t.Errorf("reduce, SplitK %v: %v valid %v, want %v", c.t.SplitK, cfg, got, c.want)
		}
	}
	o := Options{}.WithReduce(autotune.Config{"Reduce": int(ReduceSerial), "Local": 64, "ReduceLocal": 512, "ReduceSplit": 8})
	if o.Reduce != ReduceSerial || o.Local != 64 || o.ReduceLocal != 512 || o.ReduceSplit != 8 {
		t.Errorf("WithReduce: %+v", o)
	}
	if o := (Options{}).WithElementwise(autotune.Config{"Local": 32}); o.Local != 32 || o.String() == (Options{}).String() {
		t.Errorf("WithElementwise: %v", o)
	}
	if err := (Options{Reduce: 7}).withDefaults().validate(big); err == nil {
		t.Errorf("an unknown reduction strategy validated")
	}
}

// TestReduceSplitMax checks that ReduceSplitMax is the largest split a reduction's kernel
// takes: a larger one renders the same source, a smaller one another (70000 elements in
// shares of at least 128 are at most 546 shares, of 129 elements: 543 of them). The
// reductions: a whole sum (group), sums over the rows of a matrix (columns), a row sum of
// short rows (serial: no split), a whole sum of float64 (two words a partial), and sums of
// 4 Mi broadcast rows, whose split the workspace's bound (maxPartials) limits.
func TestReduceSplitMax(t *testing.T) {
	g := gb{t}
	sum := func(x *graph.Node, axes ...int) *graph.Kernel {
		return g.kernel(g.must(graph.Reduce(graph.OpSum, x, axes)))
	}
	wide := g.must(graph.Expand(g.host(graph.Float32, 1, 4096), []int{1 << 22, 4096}))
	noSplit := tcTarget
	noSplit.SplitK = false
	for _, c := range []struct {
		name   string
		k      *graph.Kernel
		t      Target
		o      Options
		want   int
		strat  ReduceStrategy
		source bool // whether to render and compare sources
	}{
		{"whole sum", sum(g.host(graph.Float32, 70000), 0), tcTarget, Options{}, 543, ReduceGroup, true},
		{"whole sum, 1024 threads", sum(g.host(graph.Float32, 70000), 0), tcTarget, Options{ReduceLocal: 1024}, 68, ReduceGroup, true},
		{"column sums", sum(g.host(graph.Float32, 3000, 70), 0), tcTarget, Options{}, 750, ReduceColumns, true},
		{"short rows", sum(g.host(graph.Float32, 5000, 3), 1), tcTarget, Options{}, 1, ReduceSerial, true},
		{"no SplitK", sum(g.host(graph.Float32, 70000), 0), noSplit, Options{}, 1, ReduceGroup, true},
		{"float64", sum(g.host(graph.Float64, 9000), 0), tcTarget, Options{}, 70, ReduceGroup, true},
		{"4 Mi rows", sum(wide, 1), tcTarget, Options{GroupMaxOutputs: 1 << 30}, maxPartials >> 22, ReduceGroup, false},
	} {
		s, _, _, _ := ReduceLaunch(c.k, c.t, c.o)
		got := ReduceSplitMax(c.k, c.t, c.o)
		if s != c.strat || got != c.want {
			t.Errorf("%s: %v, ReduceSplitMax %d; want %v, %d", c.name, s, got, c.strat, c.want)
			continue
		}
		if !c.source {
			continue
		}
		render := func(n int) string {
			o := c.o
			o.ReduceSplit = n
			p, err := Lower(c.k, c.t, o)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			src, err := Render(p, CUDA{})
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			return src
		}
		at := render(got)
		if render(2*got+1) != at {
			t.Errorf("%s: a split of %d makes another kernel than %d", c.name, 2*got+1, got)
		}
		if got > 1 && render(got-1) == at {
			t.Errorf("%s: a split of %d makes the kernel of %d", c.name, got-1, got)
		}
	}
}

// TestOptionsStringEveryKnob checks that Options.String tells apart two options that differ
// in any one field: it keys compiled programs (a tuned variant against the device's own
// choice), so a knob it left out would let one kernel's program stand for another's.
func TestOptionsStringEveryKnob(t *testing.T) {
	base := Options{}.withDefaults()
	v := reflect.ValueOf(&base).Elem()
	for i := range v.NumField() {
		o := base
		f := reflect.ValueOf(&o).Elem().Field(i)
		switch f.Kind() {
		case reflect.Int:
			f.SetInt(f.Int() + 1)
		case reflect.Uint8: // ReduceStrategy
			f.SetUint(f.Uint() + 1)
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.Pointer:
			b := !f.Elem().Bool()
			f.Set(reflect.ValueOf(&b))
		default:
			t.Fatalf("field %s of kind %v: extend this test", v.Type().Field(i).Name, f.Kind())
		}
		if o.String() == base.String() {
			t.Errorf("options differing in %s have the same string %s", v.Type().Field(i).Name, o.String())
		}
	}
}

package backend_gl

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
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

// f32Node returns a float32 leaf of shape with values from r, and the values.
func f32Node(t *testing.T, r *rand.Rand, shape ...int) (*graph.Node, []float32) {
	t.Helper()
	v := make([]float32, graph.NumElements(shape))
	raw := make([]byte, 4*len(v))
	for i := range v {
		v[i] = float32(r.Float64()*2 - 1)
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v[i]))
	}
	n, err := graph.Host(graph.Float32, shape, raw)
	if err != nil {
		t.Fatal(err)
	}
	return n, v
}

// mustNode returns a function that stops the test on a graph error.
func mustNode(t *testing.T) func(*graph.Node, error) *graph.Node {
	return func(n *graph.Node, err error) *graph.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
}

// lastKernel schedules n and returns its last kernel.
func lastKernel(t *testing.T, n *graph.Node) *graph.Kernel {
	t.Helper()
	ks, err := graph.Schedule([]*graph.Node{n})
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) == 0 {
		t.Fatalf("%v: no kernel to run", n.Shape)
	}
	return ks[len(ks)-1]
}

func TestKernelSpacesOnDevice(t *testing.T) {
	d := device(t)
	must := mustNode(t)
	for _, c := range []struct {
		name  string
		space autotune.Space
		prior autotune.Config
	}{
		{"elementwise", codegen.ElementwiseSpace(d.target), codegen.ElementwiseConfig(d.opts)},
		{"reduce", codegen.ReduceSpace(d.target), codegen.ReduceConfig(d.opts)},
	} {
		if err := c.space.Validate(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if !c.space.Allows(c.space.Prior) || !c.space.Prior.Equal(c.prior) {
			t.Errorf("%s: prior %v, want the device's defaults %v", c.name, c.space.Prior, c.prior)
		}
	}
	// A gather has no knobs of its own.
	r := rand.New(rand.NewPCG(1, 2))
	x, _ := f32Node(t, r, 4, 3)
	idx := must(graph.Host(graph.Int32, []int{2}, make([]byte, 8)))
	g := must(graph.Gather(x, 0, idx))
	if _, err := d.NewKernelTuning(lastKernel(t, g)); !errors.Is(err, ErrNoKnobs) {
		t.Errorf("gather: %v, want ErrNoKnobs", err)
	}
}

// TestKernelTunedKnobs stores knobs far from the defaults for a fused elementwise kernel
// and a row reduction, then checks that each compiles with them as a program of its own
// and still gives the CPU's answer. The shapes are used by no other test.
func TestKernelTunedKnobs(t *testing.T) {
	d := device(t)
	must := mustNode(t)
	dir := useTuning(t)
	r := rand.New(rand.NewPCG(7, 8))
	const n, rows, cols = 4999, 37, 611
	a, va := f32Node(t, r, n)
	b, vb := f32Node(t, r, n)
	c, vc := f32Node(t, r, n)
	relu := must(graph.Binary(graph.OpMax, must(graph.Binary(graph.OpAdd, must(graph.Binary(graph.OpMul, a, b)), c)),
		must(graph.Expand(must(graph.Reshape(must(graph.Const(graph.ScalarOf(0, graph.Float32), graph.Float32)), []int{1})), []int{n}))))
	x, vx := f32Node(t, r, rows, cols)
	sum := must(graph.Reduce(graph.OpSum, x, []int{1}))
	cases := []struct {
		name string
		node *graph.Node
		want autotune.Config
		with func(codegen.Options, autotune.Config) codegen.Options
		ref  func(i int) float64
	}{
		{"relu(a*b+c)", relu, autotune.Config{"Local": 64, "Elems": 2}, codegen.Options.WithElementwise,
			func(i int) float64 { return math.Max(0, float64(va[i])*float64(vb[i])+float64(vc[i])) }},
		// Auto picks the group strategy for these rows; the stored entry says serial.
		{"row sum", sum, autotune.Config{"Reduce": int(codegen.ReduceSerial), "Local": 64, "ReduceLocal": 128, "ReduceSplit": 1}, codegen.Options.WithReduce,
			func(i int) float64 {
				var s float64
				for j := range cols {
					s += float64(vx[i*cols+j])
				}
				return s
			}},
	}
	kernels := make([]*graph.Kernel, len(cases))
	for i, cs := range cases {
		kern := lastKernel(t, cs.node)
		kernels[i] = kern
		g, err := d.NewKernelTuning(kern)
		if err != nil {
			t.Fatalf("%s: %v", cs.name, err)
		}
		if !g.Space.Allows(cs.want) {
			t.Fatalf("%s: %v not allowed", cs.name, cs.want)
		}
		if _, err := g.Measure(context.Background(), cs.want); err != nil {
			t.Fatalf("%s: measure %v: %v", cs.name, cs.want, err)
		}
		g.Close()
		if err := autotune.OpenCache(dir).Store(autotune.Entry{Key: g.Key, Config: cs.want, Median: time.Millisecond, Prior: 2 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		resetTuning()
		wantOpts := cs.with(d.opts, cs.want)
		if got := d.ProgramVariant(kern); got != wantOpts.String() {
			t.Fatalf("%s: variant %q, want the tuned options %q", cs.name, got, wantOpts.String())
		}
		before := backend.ReadStats().Compiles
		raw, err := backend.Read(d, cs.node)
		if err != nil {
			t.Fatalf("%s: %v", cs.name, err)
		}
		if backend.ReadStats().Compiles == before {
			t.Errorf("%s: reused a program compiled with other options", cs.name)
		}
		for i := range len(raw) / 4 {
			got := float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
			if want := cs.ref(i); math.Abs(got-want) > 1e-4*max(1, math.Abs(want)) {
				t.Fatalf("%s: element %d = %v, want %v", cs.name, i, got, want)
			}
		}
	}
	// Mode off ignores the cache.
	t.Setenv(autotune.EnvMode, "off")
	resetTuning()
	for i, cs := range cases {
		if v := d.ProgramVariant(kernels[i]); v != "" {
			t.Errorf("%s, mode off: variant %q, want the default", cs.name, v)
		}
	}
}

// TestKernelTuningAllCandidatesFail tunes an elementwise kernel and a reduction over
// workgroups the device cannot compile, the prior included: each search must fall back to
// the prior without an error and store nothing.
func TestKernelTuningAllCandidatesFail(t *testing.T) {
	d := device(t)
	must := mustNode(t)
	dir := useTuning(t)
	r := rand.New(rand.NewPCG(9, 10))
	a, _ := f32Node(t, r, 3001)
	x, _ := f32Node(t, r, 5, 701)
	huge := []int{1 << 20, 1 << 21}
	for _, cs := range []struct {
		name  string
		node  *graph.Node
		space autotune.Space
	}{
		{"exp", must(graph.Unary(graph.OpExp, a)), autotune.Space{
			Knobs: []autotune.Knob{{Name: "Local", Values: huge}},
			Prior: autotune.Config{"Local": huge[0]},
		}},
		{"sum", must(graph.Reduce(graph.OpSum, x, []int{1})), autotune.Space{
			Knobs: []autotune.Knob{{Name: "Reduce", Values: []int{int(codegen.ReduceGroup)}}, {Name: "Local", Values: []int{256}},
				{Name: "ReduceLocal", Values: huge}},
			Prior: autotune.Config{"Reduce": int(codegen.ReduceGroup), "Local": 256, "ReduceLocal": huge[0]},
		}},
	} {
		g, err := d.NewKernelTuning(lastKernel(t, cs.node))
		if err != nil {
			t.Fatalf("%s: %v", cs.name, err)
		}
		tu := &autotune.Tuner{Mode: autotune.ModeOn, Cache: autotune.OpenCache(dir),
			Options: autotune.Options{Budget: time.Millisecond, MinReps: 1, MaxReps: 1}}
		res, err := tu.Tune(context.Background(), g.Key, cs.space, g.Measure)
		if err != nil {
			t.Fatalf("%s: tune: %v", cs.name, err)
		}
		if !res.Fallback || !res.Best.Equal(cs.space.Prior) || res.Failed != res.Tried || res.Tried != 2 {
			t.Errorf("%s: result %+v: want a fallback to the prior after 2 failed candidates", cs.name, res)
		}
		if _, ok := autotune.OpenCache(dir).Lookup(g.Key); ok {
			t.Errorf("%s: a failed search stored an entry", cs.name)
		}
		if _, err := g.Measure(context.Background(), g.Space.Prior); err != nil {
			t.Errorf("%s: the default knobs after the failed search: %v", cs.name, err)
		}
		g.Close()
	}
}

// TestFoldedProductGrid runs products of 20 batches on gl:0 as if its launches took at
// most 7 workgroups a dimension (GL guarantees 65,535): the batches fold into bands of the
// grid's second dimension (3 a band, 21 places for 20, on 2 x 2 tiles a batch, those in
// bands of rows or not), and the results match the CPU's.
func TestFoldedProductGrid(t *testing.T) {
	d := device(t)
	saved := d.target.MaxGroups
	d.target.MaxGroups = 7
	defer func() { d.target.MaxGroups = saved }()
	simt := codegen.Options{BlockM: 16, BlockN: 16, BlockK: 8, ThreadM: 2, ThreadN: 2, TiledMin: 1}
	banded := simt
	banded.RasterM = 2
	for _, c := range []struct {
		name           string
		batch, m, n, k int
		o              codegen.Options
		note           string
	}{
		{"tiled", 20, 30, 20, 40, simt, "contract tiled"},
		{"bands-of-tiles", 20, 30, 20, 40, banded, "tiles in bands of 2 rows"},
	} {
		t.Run(c.name, func(t *testing.T) {
			must := mustNode(t)
			r := rand.New(rand.NewPCG(uint64(c.batch), uint64(c.k)))
			an, _ := f32Node(t, r, c.batch, c.m, c.k)
			bn, _ := f32Node(t, r, c.batch, c.k, c.n)
			kern := lastKernel(t, must(graph.Contract(an, bn)))
			p, err := d.CompileWith(kern, c.o)
			if err != nil {
				t.Fatal(err)
			}
			prog := p.(*program)
			for _, note := range []string{c.note, "grid: 20 batches and shares, 3 of them in bands"} {
				if !strings.Contains(prog.source, note) {
					t.Fatalf("the kernel does not note %q:\n%s", note, prog.source)
				}
			}
			if max(prog.groups[0], prog.groups[1], prog.groups[2]) > 7 {
				t.Fatalf("groups %v past 7 a dimension", prog.groups)
			}
			var ins []backend.Buffer
			for _, in := range kern.Inputs {
				buf, err := d.Alloc(in.DType, in.Numel())
				if err != nil {
					t.Fatal(err)
				}
				defer d.Free(buf)
				if err := d.CopyIn(buf, in.Host); err != nil {
					t.Fatal(err)
				}
				ins = append(ins, buf)
			}
			out, err := d.Alloc(graph.Float32, c.batch*c.m*c.n)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Free(out)
			if err := d.Launch(p, out, ins); err != nil {
				t.Fatal(err)
			}
			raw := make([]byte, 4*c.batch*c.m*c.n)
			if err := d.CopyOut(raw, out); err != nil {
				t.Fatal(err)
			}
			// The CPU's product (which takes the leaves' host bytes).
			cpu, err := backend.Open("cpu")
			if err != nil {
				t.Fatal(err)
			}
			want, err := backend.Read(cpu, must(graph.Contract(an, bn)))
			if err != nil {
				t.Fatal(err)
			}
			for i := range c.batch * c.m * c.n {
				got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
				if w := math.Float32frombits(binary.LittleEndian.Uint32(want[4*i:])); !(math.Abs(float64(got-w)) <= 1e-5*(1+math.Abs(float64(w)))) {
					t.Fatalf("element %d of [%d %d %d]: %v, the CPU's %v", i, c.batch, c.m, c.n, got, w)
				}
			}
		})
	}
}

// TestTuningSpacesCovering measures on gl:0 a covering sample of the tuning spaces of a
// float32 product with partial tiles, a sum over rows and an elementwise kernel: every knob
// value (with CROSSBAR_TEST_PAIRWISE=1 every pair of values of two knobs) that some valid
// configuration has, in a configuration whose kernel compiles and gives the untuned
// kernel's output (kerneltune's check; a wrong one fails the test).
func TestTuningSpacesCovering(t *testing.T) {
	d := device(t)
	must := mustNode(t)
	useTuning(t)
	r := rand.New(rand.NewPCG(11, 12))
	a, _ := f32Node(t, r, 3001)
	b, _ := f32Node(t, r, 3001)
	x, _ := f32Node(t, r, 37, 611)
	mm, err := d.NewMatMulTuning(graph.Float32, 150, 132, 70)
	if err != nil {
		t.Fatal(err)
	}
	type problem struct {
		name string
		g    *KernelTuning
	}
	problems := []problem{{"product", &mm.KernelTuning}}
	for name, node := range map[string]*graph.Node{
		"elementwise": must(graph.Binary(graph.OpMul, must(graph.Unary(graph.OpExp, a)), b)),
		"row sums":    must(graph.Reduce(graph.OpSum, x, []int{1})),
	} {
		g, err := d.NewKernelTuning(lastKernel(t, node))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		problems = append(problems, problem{name, g})
	}
	for _, p := range problems {
		failed := 0
		taken, valid, left := p.g.Space.Covering(os.Getenv("CROSSBAR_TEST_PAIRWISE") == "1", 1, func(c autotune.Config) bool {
			_, err := p.g.Measure(context.Background(), c)
			if errors.Is(err, kerneltune.ErrWrongOutput) {
				t.Errorf("%s: %v: %v", p.name, c, err)
			}
			if err != nil {
				failed++
			}
			return err == nil
		})
		if left > 0 {
			t.Errorf("%s: %d knob values in no configuration that runs", p.name, left)
		}
		t.Logf("%s: %d valid configurations, %d measured in the sample, %d refused", p.name, valid, len(taken), failed)
		p.g.Close()
	}
}

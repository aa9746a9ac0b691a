package codegen

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
)

func lowerGLSL(t *testing.T, k *graph.Kernel, o Options, d GLSL) (*Program, string, error) {
	t.Helper()
	p, err := Lower(k, glTarget, o)
	if err != nil {
		return nil, "", err
	}
	src, err := Render(p, d)
	return p, src, err
}

// TestIndexWidth checks that index arithmetic is 32-bit where every index fits and 64-bit
// for a tensor of 2^32 elements.
func TestIndexWidth(t *testing.T) {
	g := gb{t}
	small := g.kernel(g.bin(graph.OpAdd, g.host(graph.Float32, 1000, 1000), g.scalar(1, graph.Float32, 1000, 1000)))
	p, src, err := lowerGLSL(t, small, Options{}, glsl)
	if err != nil || p.Index != I32 || !strings.Contains(src, "int gid =") {
		t.Fatalf("1e6 elements: index %v, err %v\n%s", p.Index, err, src)
	}
	big := g.kernel(g.bin(graph.OpAdd, g.scalar(1, graph.Float32, 1<<16, 1<<16), g.scalar(2, graph.Float32, 1<<16, 1<<16)))
	p, src, err = lowerGLSL(t, big, Options{}, glsl)
	if err != nil || p.Index != I64 || !strings.Contains(src, "int64_t gid =") || !strings.Contains(src, "dst[uint(gid)]") {
		t.Fatalf("2^32 elements: index %v, err %v\n%s", p.Index, err, src)
	}
	if p.Groups[1] < 2 {
		t.Errorf("2^32 elements launched as %v workgroups: more than one launch dimension is needed", p.Groups)
	}
	// Without 64-bit integers the dialect cannot spell it, and says so.
	if _, _, err := lowerGLSL(t, big, Options{}, GLSL{Fp64: true}); !errors.Is(err, backend.ErrUnsupported) {
		t.Errorf("2^32 elements without int64: %v, want ErrUnsupported", err)
	}
}

// TestUnsupported checks that what GLSL lacks is reported as ErrUnsupported, for the
// executor to run on the CPU.
func TestUnsupported(t *testing.T) {
	g := gb{t}
	exp64 := g.kernel(g.must(graph.Unary(graph.OpExp, g.host(graph.Float64, 4))))
	if _, _, err := lowerGLSL(t, exp64, Options{}, glsl); !errors.Is(err, backend.ErrUnsupported) {
		t.Errorf("exp on float64: %v, want ErrUnsupported", err)
	}
	sqrt64 := g.kernel(g.must(graph.Unary(graph.OpSqrt, g.host(graph.Float64, 4))))
	if _, _, err := lowerGLSL(t, sqrt64, Options{}, glsl); err != nil {
		t.Errorf("sqrt on float64: %v", err)
	}
	add64 := g.kernel(g.bin(graph.OpAdd, g.host(graph.Int64, 4), g.host(graph.Int64, 4)))
	if _, _, err := lowerGLSL(t, add64, Options{}, GLSL{Fp64: true}); !errors.Is(err, backend.ErrUnsupported) {
		t.Errorf("int64 without GL_ARB_gpu_shader_int64: %v, want ErrUnsupported", err)
	}
	// A running sum is not generated (a device that computes one says so in its
	// capabilities); one that reaches a GPU anyway runs on the CPU.
	cs := g.kernel(g.must(graph.CumSum(g.host(graph.Float32, 3, 4), 1, false, false)))
	if _, _, err := lowerGLSL(t, cs, Options{}, glsl); !errors.Is(err, backend.ErrUnsupported) {
		t.Errorf("cumsum: %v, want ErrUnsupported", err)
	}
	am := g.kernel(g.must(graph.ArgExtreme(g.host(graph.Float32, 3, 4), 1, false)))
	// Nor an argmax where the dialect has no Int64 for its indices.
	if _, _, err := lowerGLSL(t, am, Options{}, GLSL{Fp64: true}); !errors.Is(err, backend.ErrUnsupported) {
		t.Errorf("argmax without int64: %v, want ErrUnsupported", err)
	}
	// Nor is a softmax of Float64 where GLSL has no float64 exponential.
	sm64 := g.kernel(g.must(graph.Softmax(g.host(graph.Float64, 3, 4), 1, false)))
	if _, _, err := lowerGLSL(t, sm64, Options{}, glsl); !errors.Is(err, backend.ErrUnsupported) {
		t.Errorf("float64 softmax: %v, want ErrUnsupported", err)
	}
}

// TestLineCores checks the launch of softmaxes and layer norms: one workgroup per row, of a
// power of two of threads from a warp up to ReduceLocal (up to 1024 for fewer than 64 rows),
// as wide as the row allows, with the row's statistics shared through shared memory between
// barriers; one thread per line across rows or shorter than GroupMin, without barriers.
func TestLineCores(t *testing.T) {
	g := gb{t}
	x := g.host(graph.Float32, 6, 5, 300)
	for _, c := range []struct {
		name          string
		n             *graph.Node
		groups, local int
		shared        bool
	}{
		{"softmax rows", g.must(graph.Softmax(x, 2, false)), 30, 512, true},
		{"log-softmax of a middle axis", g.must(graph.Softmax(x, 1, true)), 8, 256, false},
		{"softmax of short rows", g.must(graph.Softmax(g.host(graph.Float32, 4, 7), 1, false)), 1, 256, false},
		{"softmax of rows of 255", g.must(graph.Softmax(g.host(graph.Float32, 1000, 255), 1, false)), 4, 256, false},
		{"softmax of rows of 256", g.must(graph.Softmax(g.host(graph.Float32, 1000, 256), 1, false)), 1000, 128, true},
		{"softmax of one long row", g.must(graph.Softmax(g.host(graph.Float32, 1, 50000), 1, false)), 1, 1024, true},
		{"softmax of many long rows", g.must(graph.Softmax(g.host(graph.Float32, 64, 5000), 1, false)), 64, 128, true},
		{"layer norm of the last two axes", g.must(graph.LayerNorm(x, 1, 1e-5)), 6, 1024, true},
	} {
		p, err := Lower(g.kernel(c.n), glTarget, Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if p.Groups[0]*p.Groups[1] != c.groups || p.Local[0] != c.local {
			t.Errorf("%s: %v workgroups of %v, want %d of %d", c.name, p.Groups, p.Local, c.groups, c.local)
		}
		for _, d := range []Dialect{glsl, CUDA{}} {
			src, err := Render(p, d)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			barriers := strings.Count(src, "barrier()") + strings.Count(src, "__syncthreads()")
			if c.shared != strings.Contains(src, "linestat") || c.shared != (barriers >= 4) {
				t.Errorf("%s: statistics shared between %d barriers, want them shared: %v\n%s", c.name, barriers, c.shared, src)
			}
		}
	}
}

// TestArgCores checks the launch of argmaxes, laid out like the line cores: a workgroup per
// row whose threads combine their best values and places through a tree in shared memory
// or, where the target has them, through warp shuffles; a thread per line across rows, or
// along rows shorter than GroupMin where the target has no shuffles.
func TestArgCores(t *testing.T) {
	g := gb{t}
	x := g.host(graph.Float32, 6, 5, 300)
	for _, c := range []struct {
		name          string
		n             *graph.Node
		target        Target
		o             Options
		groups, local int
		want          []string // in the CUDA source
	}{
		{"argmax of rows", g.must(graph.ArgExtreme(x, 2, false)), glTarget, Options{}, 30, 512, []string{"argplace[512]", "__syncthreads"}},
		{"argmin of a middle axis", g.must(graph.ArgExtreme(x, 1, true)), glTarget, Options{}, 8, 256, []string{"v0 < best"}},
		{"argmax of short rows", g.must(graph.ArgExtreme(g.host(graph.Float32, 1000, 100), 1, false)), glTarget, Options{}, 4, 256, []string{"src0[gid * 100 + r]"}},
		{"argmax of short rows through shuffles", g.must(graph.ArgExtreme(g.host(graph.Float32, 1000, 100), 1, false)), tcTarget, Options{}, 1000, 128, []string{"__shfl_xor_sync", "argplace[4]"}},
		{"argmax of rows, serial", g.must(graph.ArgExtreme(x, 2, false)), glTarget, Options{Reduce: ReduceSerial}, 1, 256, []string{"src0[c0 * 1500 + c1 * 300 + r]"}},
		{"argmax of one long row", g.must(graph.ArgExtreme(g.host(graph.Float32, 1, 50000), 1, false)), glTarget, Options{}, 1, 1024, []string{"argplace[1024]"}},
		{"argmax of rows through shuffles", g.must(graph.ArgExtreme(x, 2, false)), tcTarget, Options{}, 30, 512, []string{"argplace[16]", "__shfl_xor_sync"}},
		{"argmax of booleans", g.must(graph.ArgExtreme(g.host(graph.Bool, 7, 400), 1, false)), tcTarget, Options{}, 7, 512, []string{"? 1 : 0", "argplace[16]"}},
		{"argmin of int64 in a warp", g.must(graph.ArgExtreme(g.host(graph.Int64, 3, 20), 1, true)), tcTarget, Options{GroupMin: 1}, 3, 32, []string{"__shfl_xor_sync"}},
	} {
		p, err := Lower(g.kernel(c.n), c.target, c.o)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if p.Groups[0]*p.Groups[1] != c.groups || p.Local[0] != c.local {
			t.Errorf("%s: %v workgroups of %v, want %d of %d", c.name, p.Groups, p.Local, c.groups, c.local)
		}
		if !c.target.Shuffle {
			if _, err := Render(p, glsl); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		src, err := Render(p, CUDA{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, w := range c.want {
			if !strings.Contains(src, w) {
				t.Errorf("%s: no %q in\n%s", c.name, w, src)
			}
		}
	}
}

// TestKnobs checks that the knobs choose the templates.
func TestKnobs(t *testing.T) {
	g := gb{t}
	red := g.kernel(g.must(graph.Reduce(graph.OpSum, g.host(graph.Float32, 8, 1024), []int{1})))
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{}, "group"},
		{Options{Reduce: ReduceSerial}, "serial"},
		{Options{GroupMin: 2048}, "serial"},
		{Options{Reduce: ReduceGroup, ReduceLocal: 64}, "one workgroup of 64"},
	} {
		p, src, err := lowerGLSL(t, red, c.o, glsl)
		if err != nil || !strings.Contains(strings.Join(p.Notes, " "), c.want) {
			t.Errorf("%+v: notes %q, err %v, want %q\n%s", c.o, p.Notes, err, c.want, src)
		}
	}
	// Over the rows of a matrix, neighbouring outputs read neighbouring elements; not so
	// through a transposition, or with fewer than 32 columns.
	cols := func(x *graph.Node) *graph.Kernel { return g.kernel(g.must(graph.Reduce(graph.OpSum, x, []int{0}))) }
	for _, c := range []struct {
		k    *graph.Kernel
		o    Options
		want string
	}{
		{cols(g.host(graph.Float32, 1024, 64)), Options{}, "columns: 64 outputs of 1024 elements, tiles of 32 outputs, one workgroup of 32 lanes × 4 rows"},
		{cols(g.host(graph.Float32, 1024, 64)), Options{ReduceLocal: 512}, "32 lanes × 16 rows"},
		{cols(g.host(graph.Float32, 1024, 64)), Options{GroupMin: 2048}, "sum serial"},
		{cols(g.host(graph.Float32, 1024, 64)), Options{Reduce: ReduceGroup}, "one workgroup of 128 each"},
		{cols(g.must(graph.Permute(g.host(graph.Float32, 64, 1024), []int{1, 0}))), Options{}, "sum group"},
		{cols(g.host(graph.Float32, 1024, 31)), Options{}, "sum group"},
		{cols(g.bin(graph.OpAdd, g.host(graph.Float32, 1024, 64), g.must(graph.Permute(g.host(graph.Float32, 64, 1024), []int{1, 0})))), Options{}, "sum group"},
		{cols(g.host(graph.Float32, 1024, 8000)), Options{}, "columns"},
		{red, Options{Reduce: ReduceColumns}, "columns: 8 outputs of 1024 elements"},
	} {
		p, src, err := lowerGLSL(t, c.k, c.o, glsl)
		if err != nil || !strings.Contains(strings.Join(p.Notes, " "), c.want) {
			t.Errorf("%v %+v: notes %q, err %v, want %q\n%s", c.k.Core.InShape, c.o, p.Notes, err, c.want, src)
		}
	}
	mm := g.kernel(g.must(graph.Contract(g.host(graph.Float32, 100, 64), g.host(graph.Float32, 64, 80))))
	off := false
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{}, "tiled: block 64x64x16, thread tile 4x4, 256 threads, vector loads A:true B:true (width 4)"},
		{Options{Tiled: &off}, "simple"},
		{Options{BlockM: 32, BlockN: 32, BlockK: 8, ThreadM: 2, ThreadN: 2, Vec: 2}, "block 32x32x8, thread tile 2x2, 256 threads"},
		{Options{Vec: 1}, "vector loads A:false B:false"},
	} {
		p, src, err := lowerGLSL(t, mm, c.o, glsl)
		if err != nil || !strings.Contains(strings.Join(p.Notes, " "), c.want) {
			t.Errorf("%+v: notes %q, err %v, want %q\n%s", c.o, p.Notes, err, c.want, src)
		}
	}
	// A transposed operand cannot be read as vectors along K.
	at := g.must(graph.Permute(g.host(graph.Float32, 64, 100), []int{1, 0}))
	p, _, err := lowerGLSL(t, g.kernel(g.must(graph.Contract(at, g.host(graph.Float32, 64, 80)))), Options{}, glsl)
	if err != nil || !strings.Contains(strings.Join(p.Notes, " "), "A:false B:true") {
		t.Errorf("transposed A: notes %q, err %v", p.Notes, err)
	}
	for _, bad := range []Options{{ReduceLocal: 100}, {BlockM: 30, ThreadM: 4}, {Vec: 3}, {Local: 4096}} {
		if _, err := Lower(red, glTarget, bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

// TestPrune checks that coordinates nothing reads are not declared.
func TestPrune(t *testing.T) {
	g := gb{t}
	k := g.kernel(g.must(graph.Unary(graph.OpNeg, g.host(graph.Float32, 3, 5, 7))))
	_, src, err := lowerGLSL(t, k, Options{}, glsl)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(src, "int i0") || !strings.Contains(src, "src0[gid]") {
		t.Errorf("a contiguous elementwise kernel decodes coordinates it does not use:\n%s", src)
	}
}

// TestEveryOp renders every elementwise op on every dtype the graph allows it on, so that
// the GLSL dialect spells all of them (or refuses with ErrUnsupported).
func TestEveryOp(t *testing.T) {
	g := gb{t}
	for _, dt := range graph.DTypes {
		for op := graph.OpNeg; op <= graph.OpMulAdd; op++ {
			x := g.host(dt, 5)
			var n *graph.Node
			var err error
			switch {
			case op == graph.OpCast:
				n, err = graph.Cast(x, graph.Int32)
			case op.IsUnary():
				n, err = graph.Unary(op, x)
			case op.IsBinary():
				n, err = graph.Binary(op, x, g.host(dt, 5))
			case op == graph.OpWhere:
				n, err = graph.Where(g.host(graph.Bool, 5), x, g.host(dt, 5))
			default:
				n, err = graph.MulAdd(x, g.host(dt, 5), g.host(dt, 5))
			}
			if err != nil || op == graph.OpCopy || n == x {
				continue // not defined on dt, or no kernel (a copy, a cast to the same dtype)
			}
			_, src, err := lowerGLSL(t, g.kernel(n), Options{}, glsl)
			if err != nil && !(errors.Is(err, backend.ErrUnsupported) && dt == graph.Float64) {
				t.Errorf("%v on %v: %v", op, dt, err)
			}
			if err == nil && !strings.Contains(src, "dst[gid] =") {
				t.Errorf("%v on %v: no store:\n%s", op, dt, src)
			}
		}
	}
}

// TestTwoDimensionalLaunch checks the launch of a copy of 128 Mi float32 in rounds of 8
// elements on a CUDA target: 65,536 workgroups, one more than a launch dimension takes,
// launched as two rows of 65,535, whose workgroups past the last leave before the rounds
// (which check no bounds, the copy being a whole number of workgroups).
func TestTwoDimensionalLaunch(t *testing.T) {
	g := gb{t}
	k := g.kernel(g.must(graph.Unary(graph.OpNeg, g.host(graph.Float32, 1<<27))))
	p, err := Lower(k, Target{MaxWorkgroup: 1024, SharedMemory: 48 << 10, WarpWidth: 32, MaxGroups: 65535}, Options{Elems: 8, Local: 256})
	if err != nil {
		t.Fatal(err)
	}
	src, err := Render(p, CUDA{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Groups != [3]int{65535, 2, 1} || !strings.Contains(src, "if (65536 <= group) return;") {
		t.Errorf("groups %v, source:\n%s", p.Groups, src)
	}
}

// TestFoldedProductGrid checks the launch of 100,001 products of 32 × 32 × 32 on a CUDA
// target, whose batches pass a launch dimension: they take the tiled templates (SIMT for
// float32, tensor cores for float16) with the batches two to a band of the second
// dimension, not one thread an output, and the one workgroup past the last batch leaves
// at once.
func TestFoldedProductGrid(t *testing.T) {
	g := gb{t}
	target := Target{MaxWorkgroup: 1024, SharedMemory: 48 << 10, WarpWidth: 32, MaxGroups: 65535, Shuffle: true, TensorCores: true}
	for _, c := range []struct {
		dt   graph.DType
		want string
	}{{graph.Float32, "contract tiled"}, {graph.Float16, "contract tensor core"}} {
		k := g.kernel(g.must(graph.Contract(g.host(c.dt, 100001, 32, 32), g.host(c.dt, 100001, 32, 32))))
		p, err := Lower(k, target, Options{})
		if err != nil {
			t.Fatal(err)
		}
		src, err := Render(p, CUDA{})
		if err != nil {
			t.Fatal(err)
		}
		notes := strings.Join(p.Notes, "; ")
		if !strings.Contains(notes, c.want) || !strings.Contains(notes, "grid: 100001 batches and shares, 2 of them in bands") ||
			p.Groups != [3]int{1, 2, 50001} ||
			!strings.Contains(src, "if (100001 <= gz) return;") {
			t.Errorf("%v: groups %v, notes %s, source:\n%s", c.dt, p.Groups, notes, src)
		}
	}
}

// TestSharedValueOnce checks that a value the kernel reads twice (see graph.Expr) is computed
// once per element: exp(x+y) * (x+y) renders one addition and one exponential.
func TestSharedValueOnce(t *testing.T) {
	g := gb{t}
	s := g.must(graph.Binary(graph.OpAdd, g.host(graph.Float32, 300), g.host(graph.Float32, 300)))
	k := g.kernel(g.must(graph.Binary(graph.OpMul, g.must(graph.Unary(graph.OpExp, s)), s)))
	p, err := Lower(k, Target{MaxWorkgroup: 1024, SharedMemory: 48 << 10, WarpWidth: 32, MaxGroups: 65535}, Options{Local: 256})
	if err != nil {
		t.Fatal(err)
	}
	src, err := Render(p, CUDA{})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(src, "expf("); n != 1 {
		t.Errorf("%d exponentials, want 1:\n%s", n, src)
	}
	if n := len(regexp.MustCompile(`v\d+ \+ v\d+;`).FindAllString(src, -1)); n != 1 {
		t.Errorf("%d additions of values, want 1:\n%s", n, src)
	}
}

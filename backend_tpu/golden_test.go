package backend_tpu

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
)

var update = flag.Bool("update", false, "rewrite testdata/*.mlir from the emitter's output")

func must(n *graph.Node, err error) *graph.Node {
	if err != nil {
		panic(err)
	}
	return n
}

func host(dt graph.DType, shape ...int) *graph.Node {
	return must(graph.Host(dt, shape, make([]byte, graph.NumElements(shape)*dt.Size())))
}

func scalar(v float64, dt graph.DType, shape ...int) *graph.Node {
	c := must(graph.Const(graph.ScalarOf(v, dt), dt))
	ones := make([]int, len(shape))
	for i := range ones {
		ones[i] = 1
	}
	return must(graph.Expand(must(graph.Reshape(c, ones)), shape))
}

// goldenGraphs are representative graphs; each is scheduled and emitted as one module.
var goldenGraphs = []struct {
	name  string
	build func() *graph.Node
}{
	{"elementwise_broadcast", func() *graph.Node {
		// [2,1,3] + [4,3] -> [2,4,3], then exp.
		a := must(graph.Expand(host(graph.Float32, 2, 1, 3), []int{2, 4, 3}))
		b := must(graph.Expand(must(graph.Reshape(host(graph.Float32, 4, 3), []int{1, 4, 3})), []int{2, 4, 3}))
		return must(graph.Unary(graph.OpExp, must(graph.Binary(graph.OpAdd, a, b))))
	}},
	{"reduce_prologue", func() *graph.Node {
		// sum over axis 1 of exp(x^T - 1), x: [5,3]: a transposed view and a fused prologue.
		x := must(graph.Permute(host(graph.Float32, 5, 3), []int{1, 0}))
		d := must(graph.Binary(graph.OpSub, x, scalar(1, graph.Float32, 3, 5)))
		return must(graph.Reduce(graph.OpSum, must(graph.Unary(graph.OpExp, d)), []int{1}))
	}},
	{"matmul_bias_relu", func() *graph.Node {
		a, b := host(graph.Float32, 4, 8), host(graph.Float32, 8, 5)
		bias := must(graph.Expand(must(graph.Reshape(host(graph.Float32, 5), []int{1, 5})), []int{4, 5}))
		y := must(graph.Binary(graph.OpAdd, must(graph.Contract(a, b)), bias))
		return must(graph.Binary(graph.OpMax, y, scalar(0, graph.Float32, 4, 5)))
	}},
	{"batched_matmul", func() *graph.Node {
		return must(graph.Contract(host(graph.Float64, 2, 3, 4), host(graph.Float64, 2, 4, 6)))
	}},
	{"gather", func() *graph.Node {
		return must(graph.Gather(host(graph.Float32, 5, 3), 0, host(graph.Int32, 2, 2)))
	}},
	{"int_mod_div", func() *graph.Node {
		a, b := host(graph.Int32, 6), host(graph.Int32, 6)
		return must(graph.Binary(graph.OpAdd, must(graph.Binary(graph.OpMod, a, b)), must(graph.Binary(graph.OpDiv, a, b))))
	}},
	{"softmax_of_matmul", func() *graph.Node {
		// softmax(relu(a·b + c), axis 1): five kernels (product, row max, exp, row sum,
		// division) in one module, later kernels reading earlier results directly.
		a, b := host(graph.Float64, 4, 3), host(graph.Float64, 3, 5)
		bias := must(graph.Expand(must(graph.Reshape(host(graph.Float64, 5), []int{1, 5})), []int{4, 5}))
		y := must(graph.Binary(graph.OpAdd, must(graph.Contract(a, b)), bias))
		r := must(graph.Binary(graph.OpMax, y, scalar(0, graph.Float64, 4, 5)))
		m := must(graph.Expand(must(graph.Reduce(graph.OpReduceMax, r, []int{1})), []int{4, 5}))
		e := must(graph.Unary(graph.OpExp, must(graph.Binary(graph.OpSub, r, m))))
		s := must(graph.Expand(must(graph.Reduce(graph.OpSum, e, []int{1})), []int{4, 5}))
		return must(graph.Binary(graph.OpDiv, e, s))
	}},
	{"strided_view", func() *graph.Node {
		// Every step of a view: slice with a step, flip, pad (a mask) and a cast.
		x := host(graph.Float32, 6, 7)
		s := must(graph.Slice(x, []int{1, 0}, []int{3, 4}, []int{2, 2}))
		f := must(graph.Flip(s, []bool{false, true}))
		p := must(graph.Pad(f, [][2]int{{1, 0}, {0, 2}}))
		return must(graph.Cast(p, graph.Int32))
	}},
}

func emitGraph(t *testing.T, root *graph.Node) *Module {
	t.Helper()
	ks, err := graph.Schedule([]*graph.Node{root})
	if err != nil {
		t.Fatal(err)
	}
	m, err := EmitSubgraph(ks, []*graph.Node{root})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestGolden(t *testing.T) {
	var texts []string
	for _, g := range goldenGraphs {
		t.Run(g.name, func(t *testing.T) {
			m := emitGraph(t, g.build())
			path := filepath.Join("testdata", g.name+".mlir")
			if *update {
				if err := os.WriteFile(path, []byte(m.Text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update)", err)
			}
			if m.Text != string(want) {
				t.Errorf("emitted module differs from %s (go test -run TestGolden -update rewrites it):\n%s", path, m.Text)
			}
			texts = append(texts, m.Text)
		})
	}
	t.Run("mlir-opt", func(t *testing.T) {
		tool := findMLIROpt(t)
		bad, msgs := validateModules(t, tool, texts)
		for i := range bad {
			t.Errorf("%s:\n%s", msgs[i], bad[i])
		}
	})
}

// A graph of several kernels is one module: later kernels read earlier results directly.
func TestSubgraphIsOneModule(t *testing.T) {
	x := host(graph.Float32, 4, 6)
	m := must(graph.Reduce(graph.OpReduceMax, x, []int{1}))
	e := must(graph.Unary(graph.OpExp, must(graph.Binary(graph.OpSub, x, must(graph.Expand(m, []int{4, 6}))))))
	s := must(graph.Reduce(graph.OpSum, e, []int{1}))
	y := must(graph.Binary(graph.OpDiv, e, must(graph.Expand(s, []int{4, 6}))))
	ks, err := graph.Schedule([]*graph.Node{y})
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) < 2 {
		t.Fatalf("softmax scheduled as %d kernel(s); the test wants several", len(ks))
	}
	mod, err := EmitSubgraph(ks, []*graph.Node{y})
	if err != nil {
		t.Fatal(err)
	}
	if len(mod.Inputs) != 1 || mod.Inputs[0] != x || len(mod.Outputs) != 1 {
		t.Errorf("module inputs %d, outputs %d; want 1 and 1", len(mod.Inputs), len(mod.Outputs))
	}
	if n := strings.Count(mod.Text, "\"stablehlo.reduce\""); n != 2 {
		t.Errorf("%d reductions in the module, want 2:\n%s", n, mod.Text)
	}
	if tool, err := lookTool(); err == nil {
		if bad, msgs := validateModules(t, tool, []string{mod.Text}); len(bad) > 0 {
			t.Errorf("%s:\n%s", msgs[0], bad[0])
		}
	}
}

func TestInvalidModuleIsRejected(t *testing.T) {
	tool := findMLIROpt(t)
	m := emitGraph(t, goldenGraphs[0].build())
	broken := strings.Replace(m.Text, "tensor<2x4x3xf32>", "tensor<2x4x4xf32>", 1)
	if bad, _ := validateModules(t, tool, []string{m.Text, broken}); len(bad) != 1 || bad[0] != broken {
		t.Errorf("%s accepted a module with a type error (or rejected the good one): %d bad", mlirOpt, len(bad))
	}
}

func TestUnsupportedWraps(t *testing.T) {
	// Float And cannot be built, so hand-craft a kernel the emitter must refuse.
	x := host(graph.Float32, 3)
	k := &graph.Kernel{Out: x, Shape: []int{3}, Inputs: []*graph.Node{x},
		Expr: &graph.Expr{Op: graph.OpAnd, DType: graph.Float32, Src: []*graph.Expr{
			{Op: graph.OpLoad, DType: graph.Float32, View: graph.Contiguous([]int{3})},
			{Op: graph.OpLoad, DType: graph.Float32, View: graph.Contiguous([]int{3})},
		}}}
	if _, err := EmitKernel(k); !errors.Is(err, backend.ErrUnsupported) {
		t.Errorf("EmitKernel(float and) = %v, want ErrUnsupported", err)
	}
	// A running sum is not emitted (devices that compute one say so): the executor runs its
	// kernel on the CPU.
	cs, err := graph.CumSum(x, 0, true, false)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := graph.Schedule([]*graph.Node{cs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := EmitKernel(ks[0]); !errors.Is(err, backend.ErrUnsupported) {
		t.Errorf("EmitKernel(cumsum) = %v, want ErrUnsupported", err)
	}
	// Nor is a softmax, a layer norm or an argmax, which tensor decomposes for devices that
	// do not compute one.
	sm, err := graph.Softmax(x, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := graph.LayerNorm(x, 0, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	am, err := graph.ArgExtreme(x, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []*graph.Node{sm, ln, am} {
		if ks, err = graph.Schedule([]*graph.Node{n}); err != nil {
			t.Fatal(err)
		}
		if _, err := EmitKernel(ks[0]); !errors.Is(err, backend.ErrUnsupported) {
			t.Errorf("EmitKernel(%v) = %v, want ErrUnsupported", n.Op, err)
		}
	}
	// A malformed kernel is an error, not a panic.
	k = &graph.Kernel{Out: x, Shape: []int{3}, Expr: &graph.Expr{Op: graph.OpLoad, DType: graph.Float32, Input: 2}}
	if _, err := EmitKernel(k); !errors.Is(err, backend.ErrUnsupported) {
		t.Errorf("EmitKernel(bad input) = %v, want ErrUnsupported", err)
	}
}

// TestSharedEmittedOnce checks that a value the kernel reads twice (see graph.Expr) is
// emitted once: exp(x+y) * (x+y) in one kernel, one addition and one exponential.
func TestSharedEmittedOnce(t *testing.T) {
	s := must(graph.Binary(graph.OpAdd, host(graph.Float32, 3, 4), host(graph.Float32, 3, 4)))
	m := emitGraph(t, must(graph.Binary(graph.OpMul, must(graph.Unary(graph.OpExp, s)), s)))
	for _, op := range []string{"stablehlo.add", "stablehlo.exponential", "stablehlo.multiply"} {
		if n := strings.Count(m.Text, "\""+op+"\""); n != 1 {
			t.Errorf("%d of %s in the module, want 1:\n%s", n, op, m.Text)
		}
	}
	if tool, err := lookTool(); err == nil {
		if bad, msgs := validateModules(t, tool, []string{m.Text}); len(bad) > 0 {
			t.Errorf("%s:\n%s", msgs[0], bad[0])
		}
	}
}

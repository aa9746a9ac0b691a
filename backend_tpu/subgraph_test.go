package backend_tpu

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
)

// A subgraph whose intermediate results are also read outside it returns them as further
// results of @main, in the order asked; the interpreter checks every one against the CPU.
func TestSubgraphSeveralOutputs(t *testing.T) {
	x := host(graph.Float64, 4, 6)
	fillRandom(rand.New(rand.NewPCG(5, 6)), x)
	m := must(graph.Reduce(graph.OpReduceMax, x, []int{1}))
	e := must(graph.Unary(graph.OpExp, must(graph.Binary(graph.OpSub, x, must(graph.Expand(m, []int{4, 6}))))))
	s := must(graph.Reduce(graph.OpSum, e, []int{1}))
	y := must(graph.Binary(graph.OpDiv, e, must(graph.Expand(s, []int{4, 6}))))
	ks, err := graph.Schedule([]*graph.Node{y})
	if err != nil {
		t.Fatal(err)
	}
	outs := []*graph.Node{y, m, s}
	mod, err := EmitSubgraph(ks, outs)
	if err != nil {
		t.Fatal(err)
	}
	if got := backend.SubgraphInputs(ks); len(mod.Inputs) != 1 || len(got) != 1 || mod.Inputs[0] != x || got[0] != x {
		t.Errorf("module inputs %v, subgraph inputs %v; want [x]", mod.Inputs, got)
	}
	res, err := interpretAll(mod.Text, []arr{{shape: []int{x.Numel()}, data: decode(x.DType, x.Host)}})
	if err != nil {
		t.Fatalf("%v\n%s", err, mod.Text)
	}
	cpu, err := backend.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(outs) {
		t.Fatalf("%d results, want %d\n%s", len(res), len(outs), mod.Text)
	}
	for r, o := range outs {
		b, err := backend.Read(cpu, o)
		if err != nil {
			t.Fatal(err)
		}
		want := decode(o.DType, b)
		for i := range want {
			if math.Abs(res[r].data[i]-want[i]) > 1e-12*math.Max(1, math.Abs(want[i])) {
				t.Fatalf("result %d element %d = %v, want %v (cpu)\n%s", r, i, res[r].data[i], want[i], mod.Text)
			}
		}
	}
	if tool, err := lookTool(); err == nil {
		if bad, msgs := validateModules(t, tool, []string{mod.Text}); len(bad) > 0 {
			t.Errorf("%s:\n%s", msgs[0], bad[0])
		}
	}
}

// The device's subgraph entry points refuse what they cannot do before they reach the
// plugin: dtypes the platform lacks (TPUs have no float64), and foreign programs.
func TestDeviceSubgraphChecks(t *testing.T) {
	tpu := &Device{name: "tpu:0", caps: capsFor("tpu")}
	gpu := &Device{name: "pjrt:cuda:0", caps: capsFor("cuda")}
	ks, err := graph.Schedule([]*graph.Node{must(graph.Unary(graph.OpExp, host(graph.Float64, 3)))})
	if err != nil {
		t.Fatal(err)
	}
	if err := tpu.CheckKernel(ks[0]); !errors.Is(err, backend.ErrUnsupported) {
		t.Errorf("tpu: CheckKernel(float64 kernel) = %v, want ErrUnsupported", err)
	}
	if err := gpu.CheckKernel(ks[0]); err != nil {
		t.Errorf("cuda: CheckKernel(float64 kernel) = %v", err)
	}
	if _, err := tpu.CompileSubgraph(ks, []*graph.Node{ks[0].Out}); !errors.Is(err, backend.ErrUnsupported) {
		t.Errorf("tpu: CompileSubgraph(float64 kernel) = %v, want ErrUnsupported", err)
	}
	b := &Buffer{dt: graph.Float64, n: 3}
	if err := tpu.LaunchSubgraph(nil, []backend.Buffer{b}, nil); !errors.Is(err, backend.ErrLaunch) {
		t.Errorf("LaunchSubgraph(nil program) = %v, want ErrLaunch", err)
	}
	if err := tpu.LaunchSubgraph(&Program{dev: tpu, outputs: make([]flatType, 2)}, []backend.Buffer{b}, nil); !errors.Is(err, backend.ErrLaunch) {
		t.Errorf("LaunchSubgraph with 1 buffer for 2 results = %v, want ErrLaunch", err)
	}
}

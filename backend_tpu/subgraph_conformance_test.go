//go:build !race && amd64

// Like conformance_test.go, a check of emitted text run once: not again under -race, nor
// under emulation.

package backend_tpu

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/backendtest"
	"github.com/crossbar-compute/crossbar/graph"
)

// subgraphCheck is a graph-level device made of the CPU device: the executor hands it whole
// subgraphs, which it emits as one StableHLO module each (recorded for mlir-opt) and runs
// kernel by kernel on the CPU; modules over float64, integer and bool buffers are also run
// by the test interpreter and every result compared with the CPU's.
type subgraphCheck struct {
	backend.Device
	mu       sync.Mutex
	modules  map[string]int // module text -> kernels in it
	order    []string
	launches int
	// multi counts launches of subgraphs of several kernels.
	multi                int
	numChecked, numSkip  int
	multiChecked         int // numeric checks of subgraphs of several kernels
	numFail, unsupported []string
}

func (d *subgraphCheck) Name() string { return "stablehlo-subgraph-check" }

func (d *subgraphCheck) Capabilities() backend.Capabilities {
	c := d.Device.Capabilities()
	c.GraphLevel = true
	return c
}

func (d *subgraphCheck) CheckKernel(k *graph.Kernel) error {
	_, err := EmitKernel(k)
	return err
}

// checkProgram is a compiled subgraph: its module, a CPU program per kernel, and where each
// kernel's inputs come from (j >= 0: the j-th input of the subgraph; -1-i: kernel i's result).
type checkProgram struct {
	module  *Module
	text    string
	kernels []backend.Program
	outDT   []graph.DType
	outLen  []int
	reads   [][]int
	outs    []int
}

// detached returns a copy of k over stand-in nodes of the same dtypes and shapes, so that a
// cached program does not keep the graph it was compiled for.
func detached(k *graph.Kernel) *graph.Kernel {
	c := *k
	c.Out = &graph.Node{Op: k.Out.Op, DType: k.Out.DType, Shape: k.Out.Shape}
	c.Inputs = make([]*graph.Node, len(k.Inputs))
	for i, in := range k.Inputs {
		c.Inputs[i] = &graph.Node{Op: graph.OpHost, DType: in.DType, Shape: in.Shape}
	}
	return &c
}

func (d *subgraphCheck) CompileSubgraph(kernels []*graph.Kernel, outs []*graph.Node) (backend.Program, error) {
	m, err := EmitSubgraph(kernels, outs)
	if err != nil {
		d.mu.Lock()
		d.unsupported = append(d.unsupported, err.Error())
		d.mu.Unlock()
		return nil, err
	}
	want := backend.SubgraphInputs(kernels)
	if len(want) != len(m.Inputs) {
		return nil, fmt.Errorf("module takes %d arguments for %d subgraph inputs: %w", len(m.Inputs), len(want), backend.ErrCompile)
	}
	for i := range want {
		if want[i] != m.Inputs[i] {
			return nil, fmt.Errorf("module argument %d is not subgraph input %d: %w", i, i, backend.ErrCompile)
		}
	}
	p := &checkProgram{text: m.Text, module: &Module{Inputs: make([]*graph.Node, len(m.Inputs)), Outputs: make([]*graph.Node, len(outs))}}
	pos := map[*graph.Node]int{}
	ext := map[*graph.Node]int{}
	for i, k := range kernels {
		kp, err := d.Device.Compile(detached(k))
		if err != nil {
			return nil, err
		}
		var reads []int
		for _, in := range k.Inputs {
			if j, ok := pos[in]; ok {
				reads = append(reads, -1-j)
				continue
			}
			if _, ok := ext[in]; !ok {
				ext[in] = len(ext)
			}
			reads = append(reads, ext[in])
		}
		pos[k.Out] = i
		p.kernels = append(p.kernels, kp)
		p.outDT = append(p.outDT, k.Out.DType)
		p.outLen = append(p.outLen, k.Out.Numel())
		p.reads = append(p.reads, reads)
	}
	for _, o := range outs {
		p.outs = append(p.outs, pos[o])
	}
	d.mu.Lock()
	if _, ok := d.modules[m.Text]; !ok {
		d.modules[m.Text] = len(kernels)
		d.order = append(d.order, m.Text)
	}
	d.mu.Unlock()
	return p, nil
}

func (d *subgraphCheck) LaunchSubgraph(p backend.Program, outs []backend.Buffer, inputs []backend.Buffer) error {
	cp := p.(*checkProgram)
	results := make([]backend.Buffer, len(cp.kernels))
	for i, k := range cp.outs {
		results[k] = outs[i]
	}
	for i := range cp.kernels {
		if results[i] == nil {
			b, err := d.Device.Alloc(cp.outDT[i], cp.outLen[i])
			if err != nil {
				return err
			}
			defer d.Device.Free(b)
			results[i] = b
		}
		var ins []backend.Buffer
		for _, r := range cp.reads[i] {
			if r >= 0 {
				ins = append(ins, inputs[r])
			} else {
				ins = append(ins, results[-1-r])
			}
		}
		if cp.outLen[i] > 0 {
			if err := d.Device.Launch(cp.kernels[i], results[i], ins); err != nil {
				return err
			}
		}
	}
	d.mu.Lock()
	d.launches++
	if len(cp.kernels) > 1 {
		d.multi++
	}
	d.mu.Unlock()
	return d.interpretAndCompare(cp, outs, inputs)
}

func (d *subgraphCheck) interpretAndCompare(cp *checkProgram, outs, inputs []backend.Buffer) error {
	skip := func() error {
		d.mu.Lock()
		d.numSkip++
		d.mu.Unlock()
		return nil
	}
	for _, o := range outs {
		if o.DType() != graph.Float64 && o.DType() != graph.Bool {
			return skip()
		}
	}
	var args []arr
	for _, in := range inputs {
		if !interpretable(in.DType()) {
			return skip()
		}
		b := make([]byte, in.Len()*in.DType().Size())
		if err := d.Device.CopyOut(b, in); err != nil {
			return err
		}
		args = append(args, arr{shape: []int{in.Len()}, data: decodeAny(in.DType(), b)})
	}
	got, err := interpretAll(cp.text, args)
	if err != nil || len(got) != len(outs) {
		return skip() // an op the interpreter lacks
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.numChecked++
	if len(cp.kernels) > 1 {
		d.multiChecked++
	}
	for r, o := range outs {
		b := make([]byte, o.Len()*o.DType().Size())
		if err := d.Device.CopyOut(b, o); err != nil {
			return err
		}
		want := decodeAny(o.DType(), b)
		for i := range want {
			g, w := got[r].data[i], want[i]
			if math.IsNaN(g) && math.IsNaN(w) || g == w || math.Abs(g-w) <= 1e-9*math.Max(1, math.Abs(w)) {
				continue
			}
			if len(d.numFail) < 5 {
				d.numFail = append(d.numFail, fmt.Sprintf("result %d element %d = %v, cpu %v\n%s", r, i, g, w, cp.text))
			}
			return nil
		}
	}
	return nil
}

// The conformance suite with whole subgraphs: every module the executor asks for is valid
// for mlir-opt, and where the interpreter can run it, its results are the CPU's.
func TestConformanceSubgraphs(t *testing.T) {
	tool := findMLIROpt(t)
	cpu, err := backend.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	dev := &subgraphCheck{Device: cpu, modules: map[string]int{}}
	before := backend.ReadStats()
	t.Run("suite", func(t *testing.T) { backendtest.Run(t, dev) })
	after := backend.ReadStats()

	bad, msgs := validateModules(t, tool, dev.order)
	for i := range bad {
		if i >= 5 {
			t.Errorf("... and %d more invalid modules", len(bad)-5)
			break
		}
		t.Errorf("%s rejects an emitted module of %d kernels:\n%s\nmodule:\n%s", mlirOpt, dev.modules[bad[i]], msgs[i], bad[i])
	}
	for _, f := range dev.numFail {
		t.Errorf("the interpreted module disagrees with the CPU: %s", f)
	}
	for i, u := range dev.unsupported {
		if i >= 5 {
			break
		}
		t.Logf("subgraph not emitted (its kernels ran one at a time): %s", u)
	}
	multiModules := 0
	for _, n := range dev.modules {
		if n > 1 {
			multiModules++
		}
	}
	// The suite computes softmax, layer norm, matmul chains and more: many of its graphs are
	// several kernels, which must arrive as one subgraph.
	if dev.multi < 100 || multiModules < 50 || dev.multiChecked < 50 {
		t.Errorf("only %d launches (%d distinct modules, %d checked numerically) of subgraphs of several kernels",
			dev.multi, multiModules, dev.multiChecked)
	}
	t.Logf("subgraph launches: %d, of several kernels: %d; distinct modules %d (%d of several kernels, %d invalid); "+
		"checked numerically by the interpreter: %d, of several kernels %d (skipped: %d); fallbacks to the CPU: %d",
		dev.launches, dev.multi, len(dev.order), multiModules, len(bad), dev.numChecked, dev.multiChecked, dev.numSkip,
		after.Fallbacks-before.Fallbacks)
}

//go:build !race && amd64

// Like conformance_test.go, a check of emitted text run once: not again under -race, nor
// under emulation.

package backend_tpu

import (
	"fmt"
	"sync"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/backendtest"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/internal/randprog"
)

// subgraphCheck is a graph-level device made of the CPU device: the executor hands it whole
// subgraphs, which it emits as one StableHLO module each (recorded for mlir-opt) and runs
// kernel by kernel on the CPU; modules over float64, integer and bool buffers are also run
// by the test interpreter and every result compared with the CPU's.
type subgraphCheck struct {
	backend.Device
	name     string // the executor's cache key; "" for "stablehlo-subgraph-check"
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

func (d *subgraphCheck) Name() string {
	if d.name != "" {
		return d.name
	}
	return "stablehlo-subgraph-check"
}

func (d *subgraphCheck) Capabilities() backend.Capabilities {
	c := d.Device.Capabilities()
	c.GraphLevel = true
	return c
}

func (d *subgraphCheck) CheckKernel(k *graph.Kernel) error {
	_, err := EmitKernel(k)
	return err
}

// checkProgram is a compiled subgraph: its module's text and its kernels' CPU programs.
type checkProgram struct {
	text string
	*backendtest.KernelByKernel
}

func (d *subgraphCheck) CompileSubgraph(kernels []*graph.Kernel, outs []*graph.Node) (backend.Program, error) {
	m, err := EmitSubgraph(kernels, outs)
	if err != nil {
		d.mu.Lock()
		d.unsupported = append(d.unsupported, err.Error())
		d.mu.Unlock()
		return nil, err
	}
	if err := checkArguments(m, kernels); err != nil {
		return nil, err
	}
	kp, err := backendtest.CompileKernelByKernel(d.Device, kernels, outs)
	if err != nil {
		return nil, err
	}
	p := &checkProgram{text: m.Text, KernelByKernel: kp}
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
	if err := cp.Launch(d.Device, outs, inputs); err != nil {
		return err
	}
	d.mu.Lock()
	d.launches++
	if len(cp.Programs) > 1 {
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
		if !interpretable(o.DType()) {
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
	if len(cp.Programs) > 1 {
		d.multiChecked++
	}
	for r, o := range outs {
		b := make([]byte, o.Len()*o.DType().Size())
		if err := d.Device.CopyOut(b, o); err != nil {
			return err
		}
		want := decodeAny(o.DType(), b)
		tol := tolerance(cp.text, want)
		for i := range want {
			g, w := got[r].data[i], want[i]
			if tol.near(g, w) {
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

// report fails t for every module the device emitted that mlir-opt (tool) rejects and
// every numeric disagreement of the interpreter with the CPU, logs the subgraphs that were
// not emitted, and returns the rejected modules.
func (d *subgraphCheck) report(t *testing.T, tool string) (bad []string) {
	t.Helper()
	bad, msgs := validateModules(t, tool, d.order)
	for i := range bad {
		if i >= 5 {
			t.Errorf("... and %d more invalid modules", len(bad)-5)
			break
		}
		t.Errorf("%s rejects an emitted module of %d kernels:\n%s\nmodule:\n%s", mlirOpt, d.modules[bad[i]], msgs[i], bad[i])
	}
	for _, f := range d.numFail {
		t.Errorf("the interpreted module disagrees with the CPU: %s", f)
	}
	for i, u := range d.unsupported {
		if i >= 5 {
			break
		}
		t.Logf("subgraph not emitted (its kernels ran one at a time): %s", u)
	}
	return bad
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

	bad := dev.report(t, tool)
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

// TestRandomProgramsSubgraphs runs random programs (package randprog) as whole subgraphs:
// every module the executor asks for is valid for mlir-opt, and those of the float64
// programs, which the interpreter runs, give the CPU's results.
func TestRandomProgramsSubgraphs(t *testing.T) {
	tool := findMLIROpt(t)
	cpu, err := backend.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	dev := &subgraphCheck{Device: cpu, name: "stablehlo-subgraph-check-random", modules: map[string]int{}}
	var progs []randprog.Program
	for i := range 250 {
		if i%5 == 0 {
			progs = append(progs, randprog.New(uint64(i)))
		} else {
			progs = append(progs, randprog.NewOf(uint64(i), graph.Float64))
		}
	}
	t.Run("programs", func(t *testing.T) { randprog.Check(t, dev, progs) })
	bad := dev.report(t, tool)
	t.Logf("%d programs: %d subgraph launches, %d of several kernels; %d distinct modules, %d invalid; "+
		"checked numerically by the interpreter: %d, of several kernels %d (skipped: %d)",
		len(progs), dev.launches, dev.multi, len(dev.order), len(bad), dev.numChecked, dev.multiChecked, dev.numSkip)
	if dev.multiChecked < 150 {
		t.Errorf("only %d subgraphs of several kernels checked numerically", dev.multiChecked)
	}
}

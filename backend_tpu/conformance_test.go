//go:build !race && amd64

// The conformance validation runs every kernel the suite schedules through the emitter and
// mlir-opt-15; it is a check of emitted text, so it runs once: not again under -race, nor
// under emulation for other architectures.

package backend_tpu

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/backendtest"
	_ "github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
)

// checkDevice is the CPU device, except that Compile first emits StableHLO for the kernel
// and records it; execution stays on the CPU, so the conformance suite runs as usual and
// produces every kernel shape it knows.
type checkDevice struct {
	backend.Device
	mu          sync.Mutex
	modules     map[string]bool
	order       []string
	kernels     int
	unsupported map[string]int
	// Numeric checks: modules of float64 (or bool) results over float64, integer and bool
	// inputs, whose ops the test interpreter knows, are run by it and compared with the CPU.
	programs            map[backend.Program]*Module
	numChecked, numSkip int
	numFail             []string
}

// interpretable are the element types the interpreter computes as the CPU does: exactly,
// or for float32, float16 and bfloat16 up to rounding (it rounds each op's result to them,
// but computes in float64, and in its own order).
func interpretable(dt graph.DType) bool {
	switch dt {
	case graph.Float64, graph.Float32, graph.Float16, graph.BFloat16, graph.Int32, graph.Int64, graph.Bool:
		return true
	}
	return false
}

// closeness is how near an interpreted value must be to the CPU's: within rel of its
// magnitude (at least 1), or within abs.
type closeness struct{ rel, abs float64 }

func (c closeness) near(got, want float64) bool {
	return math.IsNaN(got) && math.IsNaN(want) || got == want || math.Abs(got-want) <= max(c.rel*math.Max(1, math.Abs(want)), c.abs)
}

// tolerance is the closeness asked of the interpreted results of a module (text) whose CPU
// values are want: 1e-9 relative where the module computes in float64 (and integers)
// only, else 16 units of the last place of the least precise floating-point type it
// names, in the largest magnitude of want.
func tolerance(text string, want []float64) closeness {
	eps := 0.0
	for _, t := range []struct {
		re  *regexp.Regexp
		eps float64
	}{{f32Type, 0x1p-23}, {f16Type, 0x1p-10}, {bf16Type, 0x1p-7}} {
		if t.re.MatchString(text) {
			eps = max(eps, t.eps)
		}
	}
	if eps == 0 {
		return closeness{rel: 1e-9}
	}
	mag := 1.0
	for _, w := range want {
		if !math.IsInf(w, 0) && !math.IsNaN(w) {
			mag = max(mag, math.Abs(w))
		}
	}
	return closeness{rel: 1e-9, abs: 16 * eps * mag}
}

var (
	f32Type  = regexp.MustCompile(`[x<]f32>`)
	f16Type  = regexp.MustCompile(`[x<]f16>`)
	bf16Type = regexp.MustCompile(`[x<]bf16>`)
)

func (d *checkDevice) Launch(p backend.Program, out backend.Buffer, inputs []backend.Buffer) error {
	if err := d.Device.Launch(p, out, inputs); err != nil {
		return err
	}
	d.mu.Lock()
	m := d.programs[p]
	d.mu.Unlock()
	if m == nil || !interpretable(out.DType()) {
		return nil
	}
	var args []arr
	for i := range m.Inputs {
		in := inputs[i]
		if !interpretable(in.DType()) {
			d.mu.Lock()
			d.numSkip++
			d.mu.Unlock()
			return nil
		}
		b := make([]byte, in.Len()*in.DType().Size())
		if err := d.Device.CopyOut(b, in); err != nil {
			return err
		}
		args = append(args, arr{shape: []int{in.Len()}, data: decodeAny(in.DType(), b)})
	}
	got, err := interpret(m.Text, args)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		d.numSkip++ // an op the interpreter lacks
		return nil
	}
	b := make([]byte, out.Len()*out.DType().Size())
	if err := d.Device.CopyOut(b, out); err != nil {
		return err
	}
	want := decodeAny(out.DType(), b)
	tol := tolerance(m.Text, want)
	d.numChecked++
	for i := range want {
		g, w := got.data[i], want[i]
		if tol.near(g, w) {
			continue
		}
		if len(d.numFail) < 5 {
			d.numFail = append(d.numFail, fmt.Sprintf("element %d = %v, cpu %v\n%s", i, g, w, m.Text))
		}
		return nil
	}
	return nil
}

func (d *checkDevice) Name() string { return "stablehlo-check" }

func (d *checkDevice) Compile(k *graph.Kernel) (backend.Program, error) {
	m, err := EmitKernel(k)
	p, cerr := d.Device.Compile(k)
	d.mu.Lock()
	if err == nil && cerr == nil {
		d.programs[p] = m
	}
	d.kernels++
	switch {
	case err == nil:
		if !d.modules[m.Text] {
			d.modules[m.Text] = true
			d.order = append(d.order, m.Text)
		}
	case errors.Is(err, backend.ErrUnsupported):
		d.unsupported[err.Error()]++
	default:
		d.unsupported["unexpected: "+err.Error()]++
	}
	d.mu.Unlock()
	return p, cerr
}

func TestConformanceStableHLO(t *testing.T) {
	tool := findMLIROpt(t)
	cpu, err := backend.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	dev := &checkDevice{Device: cpu, modules: map[string]bool{}, unsupported: map[string]int{},
		programs: map[backend.Program]*Module{}}
	start := time.Now()
	t.Run("suite", func(t *testing.T) { backendtest.Run(t, dev) })
	suiteTime := time.Since(start)

	start = time.Now()
	bad, msgs := validateModules(t, tool, dev.order)
	for i := range bad {
		if i >= 5 {
			t.Errorf("... and %d more invalid modules", len(bad)-5)
			break
		}
		t.Errorf("%s rejects an emitted module:\n%s\nmodule:\n%s", mlirOpt, msgs[i], bad[i])
	}
	nUnsup := 0
	var reasons []string
	for r, n := range dev.unsupported {
		nUnsup += n
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		t.Logf("unsupported (%d kernels): %s", dev.unsupported[r], r)
		if len(r) > 11 && r[:11] == "unexpected:" {
			t.Errorf("emitter error that does not wrap ErrUnsupported: %s", r)
		}
	}
	for _, f := range dev.numFail {
		t.Errorf("the interpreted module disagrees with the CPU: %s", f)
	}
	t.Logf("launches checked numerically by the interpreter: %d (skipped: %d)", dev.numChecked, dev.numSkip)
	t.Logf("kernels compiled: %d; emitted: %d (%d distinct modules, %d valid); unsupported: %d; suite %v, %s %v",
		dev.kernels, dev.kernels-nUnsup, len(dev.order), len(dev.order)-len(bad), nUnsup,
		suiteTime.Round(time.Millisecond), mlirOpt, time.Since(start).Round(time.Millisecond))
}

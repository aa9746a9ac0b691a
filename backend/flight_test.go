package backend_test

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
)

// gated is a CPU device on which the kernels that hold stops at a gate: their compilation or
// their launch (stopAt) signals entered and waits for open, so that a test can hold one
// realization in the middle of its work while others run. It counts compilations and
// launches by kernel structure.
type gated struct {
	backend.Device
	name    string
	holds   func(k *graph.Kernel) bool
	stopAt  string // "compile" or "launch"
	entered chan struct{}
	open    chan struct{}

	mu                  sync.Mutex
	compiles            map[string]int
	held                int // launches of held kernels
	enteredOnce, closed sync.Once
}

type gatedProgram struct {
	backend.Program
	hold bool
}

// gatedDevices numbers the gated devices: each has a name, and so programs, of its own, also
// when a test runs again (-count).
var gatedDevices atomic.Int64

func newGated(stopAt string, holds func(k *graph.Kernel) bool) *gated {
	name := fmt.Sprintf("gated-%s-%d", stopAt, gatedDevices.Add(1))
	return &gated{Device: cpu.New(), name: name, holds: holds, stopAt: stopAt,
		entered: make(chan struct{}), open: make(chan struct{}), compiles: map[string]int{}}
}

func (d *gated) Name() string { return d.name }

func (d *gated) wait() {
	d.enteredOnce.Do(func() { close(d.entered) })
	<-d.open
}

// waitEntered waits until a held kernel has reached the gate.
func (d *gated) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-d.entered:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: no kernel reached the gate in 30 s", d.name)
	}
}

func (d *gated) release() { d.closed.Do(func() { close(d.open) }) }

func (d *gated) Compile(k *graph.Kernel) (backend.Program, error) {
	hold := d.holds(k)
	d.mu.Lock()
	d.compiles[k.Key()]++
	d.mu.Unlock()
	if hold && d.stopAt == "compile" {
		d.wait()
	}
	p, err := d.Device.Compile(k)
	if err != nil {
		return nil, err
	}
	return &gatedProgram{Program: p, hold: hold}, nil
}

func (d *gated) Launch(p backend.Program, out backend.Buffer, inputs []backend.Buffer) error {
	gp := p.(*gatedProgram)
	if gp.hold {
		d.mu.Lock()
		d.held++
		d.mu.Unlock()
		if d.stopAt == "launch" {
			d.wait()
		}
	}
	return d.Device.Launch(gp.Program, out, inputs)
}

func (d *gated) compilesOf(k *graph.Kernel) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.compiles[k.Key()]
}

func (d *gated) heldLaunches() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.held
}

func isSum(k *graph.Kernel) bool { return k.Core != nil && k.Core.Op == graph.OpSum }

// realizeAsync realizes nodes on dev in a goroutine; its error arrives on the channel.
func realizeAsync(dev backend.Device, nodes ...*graph.Node) chan error {
	done := make(chan error, 1)
	go func() { done <- backend.Realize(dev, nodes...) }()
	return done
}

// within waits for a realization's end, failing the test after a generous time (a
// realization of a few small kernels takes microseconds) with what it was waiting for.
func within(t *testing.T, done chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: no end after 30 s", what)
	}
}

// notYet fails the test if the realization ends within 100 ms, while it should be waiting for
// what the gate holds. (Where it would not wait, it ends in microseconds.)
func notYet(t *testing.T, done chan error, what, while string) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("%s ended (%v) while %s", what, err, while)
	case <-time.After(100 * time.Millisecond):
	}
}

// scaled is x * c + 0 on a float32 vector: an elementwise kernel of its own key for each c.
func scaled(x *graph.Node, c float64) *graph.Node {
	ones := make([]int, len(x.Shape))
	for i := range ones {
		ones[i] = 1
	}
	k := must(graph.Expand(must(graph.Reshape(must(graph.Const(graph.ScalarOf(c, graph.Float32), graph.Float32)), ones)), x.Shape))
	return must(graph.Binary(graph.OpMul, x, k))
}

// TestRealizeConcurrently holds one realization in a launch while others run: one of an
// unrelated graph ends meanwhile (realizations do not take turns), and one that asks for the
// node being computed waits for it rather than computing it again.
func TestRealizeConcurrently(t *testing.T) {
	dev := newGated("launch", isSum)
	defer dev.release()
	x := must(graph.Host(graph.Float32, []int{2, 3}, f32s(1, 2, 3, 4, 5, 6)))
	s := must(graph.Reduce(graph.OpSum, x, []int{1})) // [6 15], held
	doneA := realizeAsync(dev, s)
	dev.waitEntered(t)

	// An unrelated graph on the same device, and one on another device.
	y := must(graph.Host(graph.Float32, []int{2}, f32s(1, 2)))
	within(t, realizeAsync(dev, scaled(y, 5)), "a realization while another launches")
	within(t, realizeAsync(cpu.New(), scaled(y, 7)), "a realization on the CPU while another launches")

	b := scaled(s, 3)
	doneB := realizeAsync(dev, s, b)
	notYet(t, doneB, "the realization of the sum and its multiple", "the sum was being computed")
	dev.release()
	within(t, doneA, "the realization computing the sum")
	within(t, doneB, "the realization waiting for the sum")
	if n := dev.heldLaunches(); n != 1 {
		t.Errorf("the sum was launched %d times, want once", n)
	}
	if got, want := readF32(t, dev, s), []float32{6, 15}; !slices.Equal(got, want) {
		t.Errorf("s = %v, want %v", got, want)
	}
	if got, want := readF32(t, dev, b), []float32{18, 45}; !slices.Equal(got, want) {
		t.Errorf("b = %v, want %v", got, want)
	}
}

// TestCompileOnce starts two realizations of one kernel structure while the first compiles
// it: the second waits for that compilation and uses its program.
func TestCompileOnce(t *testing.T) {
	dev := newGated("compile", isSum)
	defer dev.release()
	sum := func(v float32) *graph.Node {
		return must(graph.Reduce(graph.OpSum, must(graph.Host(graph.Float32, []int{2, 2}, f32s(v, v, v, v))), []int{1}))
	}
	a, b := sum(1), sum(2)
	doneA := realizeAsync(dev, a)
	dev.waitEntered(t)
	doneB := realizeAsync(dev, b)
	notYet(t, doneB, "the second realization", "its program was being compiled")
	dev.release()
	within(t, doneA, "the realization compiling the sum")
	within(t, doneB, "the realization waiting for the compilation")
	ks, err := graph.Schedule([]*graph.Node{sum(3)})
	if err != nil || len(ks) != 1 {
		t.Fatalf("schedule of a sum: %d kernels, %v", len(ks), err)
	}
	if n := dev.compilesOf(ks[0]); n != 1 {
		t.Errorf("the sum was compiled %d times, want once", n)
	}
	if got, want := readF32(t, dev, b), []float32{4, 4}; !slices.Equal(got, want) {
		t.Errorf("b = %v, want %v", got, want)
	}
}

// TestTransientReadersCounted: a transient node read by a realization in flight is not
// released by another that is done with it; the last reader releases it.
func TestTransientReadersCounted(t *testing.T) {
	dev := newGated("launch", isSum)
	defer dev.release()
	x := must(graph.Host(graph.Float32, []int{2, 2}, f32s(1, 2, 3, 4)))
	tr := scaled(x, 2)
	tr.SetTransient()
	if err := backend.Realize(dev, tr); err != nil {
		t.Fatal(err)
	}
	a := must(graph.Reduce(graph.OpSum, tr, []int{1})) // held in its launch: [6 14]
	b := scaled(tr, 3)                                 // [6 12; 18 24]
	doneA := realizeAsync(dev, a)
	dev.waitEntered(t)
	within(t, realizeAsync(dev, b), "a realization reading the transient node")
	if tr.Realized() == nil {
		t.Errorf("the transient node was released while another realization read it")
	}
	dev.release()
	within(t, doneA, "the realization held in its launch")
	if tr.Realized() != nil {
		t.Errorf("the transient node is still realized after its last reader")
	}
	if got, want := readF32(t, dev, a), []float32{6, 14}; !slices.Equal(got, want) {
		t.Errorf("a = %v, want %v", got, want)
	}
	if got, want := readF32(t, dev, b), []float32{6, 12, 18, 24}; !slices.Equal(got, want) {
		t.Errorf("b = %v, want %v", got, want)
	}
}

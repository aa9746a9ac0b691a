package backend_test

import (
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
)

// budgeted is a CPU device with little memory, as a GPU is small next to what a loop can
// drop: it allocates at most limit bytes at a time.
type budgeted struct {
	backend.Device
	name  string
	limit int

	mu   sync.Mutex
	used int
	ooms int
}

func (d *budgeted) Name() string { return d.name }

// Capabilities: a GPU's, whose memory is not Go's.
func (d *budgeted) Capabilities() backend.Capabilities {
	c := d.Device.Capabilities()
	c.UnifiedMemory, c.MaxWorkgroup = false, 256
	return c
}

func (d *budgeted) Alloc(dt graph.DType, n int) (backend.Buffer, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.used+n*dt.Size() > d.limit {
		d.ooms++
		return nil, fmt.Errorf("budgeted: %d bytes in use, %d more: %w", d.used, n*dt.Size(), backend.ErrOutOfMemory)
	}
	b, err := d.Device.Alloc(dt, n)
	if err == nil {
		d.used += n * dt.Size()
	}
	return b, err
}

func (d *budgeted) Free(b backend.Buffer) error {
	err := d.Device.Free(b)
	if err == nil {
		d.mu.Lock()
		d.used -= b.Len() * b.DType().Size()
		d.mu.Unlock()
	}
	return err
}

func (d *budgeted) state() (used, ooms int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.used, d.ooms
}

// TestAllocCollects drops the results of a loop without freeing them, many times the
// device's memory over, with the collector off but for the executor's own runs:
// allocations that fail collect the garbage, release it and succeed.
func TestAllocCollects(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // no collection but the executor's
	const n = 1024                                   // float32s: 4 KiB a node
	dev := &budgeted{Device: cpu.New(), name: "budgeted", limit: 10 * 4 * n}
	kept := must(graph.Host(graph.Float32, []int{n}, make([]byte, 4*n)))
	if err := backend.Realize(dev, kept); err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		x := must(graph.Host(graph.Float32, []int{n}, f32s(make([]float32, n)...)))
		y := must(graph.Binary(graph.OpAdd, must(graph.Unary(graph.OpNeg, x)), kept))
		if err := backend.Realize(dev, y); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	used, ooms := dev.state()
	if ooms == 0 {
		t.Errorf("the device never ran out of memory: %d bytes in use after 40 steps of 8 KiB in 40 KiB", used)
	}
	if got := readF32(t, dev, kept); len(got) != n {
		t.Errorf("the kept node reads %d values", len(got))
	}

	// A request that garbage cannot make room for fails as before, wrapping the device's
	// error.
	huge := must(graph.Host(graph.Float32, []int{20 * n}, make([]byte, 80*n)))
	err := backend.Realize(dev, huge)
	if !errors.Is(err, backend.ErrOutOfMemory) || !strings.Contains(fmt.Sprint(err), "budgeted: ") {
		t.Errorf("a node larger than the device: %v, want the device's ErrOutOfMemory", err)
	}
}

// scratched is a budgeted device whose launches take scratch memory from the same budget
// while they run, as a split-K GEMM's workspace does on a GPU.
type scratched struct {
	*budgeted
	scratch int // bytes
}

func (d *scratched) Launch(p backend.Program, out backend.Buffer, inputs []backend.Buffer) error {
	d.mu.Lock()
	if d.used+d.scratch > d.limit {
		d.ooms++
		used := d.used
		d.mu.Unlock()
		return fmt.Errorf("scratched: %d bytes in use, %d bytes of scratch: %w", used, d.scratch, backend.ErrOutOfMemory)
	}
	d.used += d.scratch
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.used -= d.scratch
		d.mu.Unlock()
	}()
	return d.budgeted.Launch(p, out, inputs)
}

// TestLaunchCollects: a launch that runs out of memory for its scratch collects the garbage
// of dropped results and runs, as an allocation does; one that no collection can make room
// for fails with the device's error.
func TestLaunchCollects(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	const n = 1024 // float32s: 4 KiB a node
	dev := &scratched{budgeted: &budgeted{Device: cpu.New(), name: "scratched", limit: 10 * 4 * n}, scratch: 5 * 4 * n}
	kept := must(graph.Host(graph.Float32, []int{n}, make([]byte, 4*n)))
	if err := backend.Realize(dev, kept); err != nil {
		t.Fatal(err)
	}
	want := make([]float32, n)
	for i := range 40 {
		x := must(graph.Host(graph.Float32, []int{n}, f32s(make([]float32, n)...)))
		y := must(graph.Binary(graph.OpAdd, must(graph.Unary(graph.OpNeg, x)), kept))
		if err := backend.Realize(dev, y); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if i == 39 {
			if got := readF32(t, dev, y); !slices.Equal(got, want) {
				t.Errorf("the last step reads %v..., want zeros", got[:4])
			}
		}
	}
	if _, ooms := dev.state(); ooms == 0 {
		t.Errorf("the device never ran out of memory")
	}

	dev.scratch = 20 * 4 * n
	y := must(graph.Unary(graph.OpNeg, kept))
	err := backend.Realize(dev, y)
	if !errors.Is(err, backend.ErrOutOfMemory) || !strings.Contains(fmt.Sprint(err), "scratched: ") {
		t.Errorf("a launch whose scratch is larger than the device: %v, want the device's ErrOutOfMemory", err)
	}
}

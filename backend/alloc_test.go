package backend_test

import (
	"errors"
	"fmt"
	"runtime/debug"
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

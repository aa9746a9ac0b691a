package backend_tpu

import (
	"errors"
	"math"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
)

// A buffer whose size in bytes does not fit an int is refused: its copies and the zeros
// uploaded for it if it is never written would otherwise overflow.
func TestAllocTooLarge(t *testing.T) {
	d := &Device{name: "tpu:0", caps: capsFor("tpu")}
	for _, c := range []struct {
		dt graph.DType
		n  int
	}{{graph.Float64, math.MaxInt/8 + 1}, {graph.Float32, math.MaxInt / 2}, {graph.Bool, -1}} {
		if b, err := d.Alloc(c.dt, c.n); err == nil {
			t.Errorf("Alloc(%v, %d) = %d %v, want an error", c.dt, c.n, b.Len(), b.DType())
		}
	}
	if _, err := d.Alloc(graph.Float64, math.MaxInt/8+1); !errors.Is(err, backend.ErrOutOfMemory) {
		t.Errorf("Alloc(float64, MaxInt/8+1) = %v, want ErrOutOfMemory", err)
	}
	if b, err := d.Alloc(graph.Float64, math.MaxInt/8); err != nil || b.Len() != math.MaxInt/8 {
		t.Errorf("Alloc(float64, MaxInt/8) = %v", err)
	}
}

// A gather from an empty axis with a non-empty result has only out-of-range indices, and no
// StableHLO gather can express it: the emitter refuses it, so that the CPU reports the error.
func TestGatherFromEmptyAxis(t *testing.T) {
	for _, c := range []struct {
		src, idx []int
		axis     int
		ok       bool
	}{
		{[]int{0, 3}, []int{2}, 0, false},
		{[]int{4, 0}, []int{2, 2}, 1, false},
		{[]int{0, 3}, []int{0}, 0, true}, // an empty result
		{[]int{2, 0}, []int{3}, 0, true}, // an empty result
	} {
		g := must(graph.Gather(host(graph.Float32, c.src...), c.axis, host(graph.Int32, c.idx...)))
		ks, err := graph.Schedule([]*graph.Node{g})
		if err != nil {
			t.Fatal(err)
		}
		_, err = EmitKernel(ks[len(ks)-1])
		if c.ok && err != nil {
			t.Errorf("gather of %v from axis %d of %v: %v", c.idx, c.axis, c.src, err)
		}
		if !c.ok && !errors.Is(err, backend.ErrUnsupported) {
			t.Errorf("gather of %v from axis %d of %v: %v, want ErrUnsupported", c.idx, c.axis, c.src, err)
		}
	}
}

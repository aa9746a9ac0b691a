package backend_test

import (
	"testing"
	"unsafe"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
)

// BenchmarkSmallGraph measures the fixed cost of building and realizing a small graph
// (1K elements, 3 ops: x*x + x, then max with x) with the program cache warm: scheduling, the cache lookup, allocation
// and the launch.
func BenchmarkSmallGraph(b *testing.B) {
	dev := cpu.New()
	vals := make([]float32, 1024)
	x := must(graph.Host(graph.Float32, []int{1024}, unsafe.Slice((*byte)(unsafe.Pointer(&vals[0])), 4096)))
	if err := backend.Realize(dev, x); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		y := must(graph.Binary(graph.OpMax, must(graph.Binary(graph.OpAdd, must(graph.Binary(graph.OpMul, x, x)), x)), x))
		if err := backend.Realize(dev, y); err != nil {
			b.Fatal(err)
		}
	}
}

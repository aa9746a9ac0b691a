package backend_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
)

// smallGraph is max(x*x + x, x).
func smallGraph(x *graph.Node) *graph.Node {
	return must(graph.Binary(graph.OpMax, must(graph.Binary(graph.OpAdd, must(graph.Binary(graph.OpMul, x, x)), x)), x))
}

// smallInput is a realized vector of 1,024 float32 zeros.
func smallInput(dev backend.Device) (*graph.Node, error) {
	vals := make([]float32, 1024)
	x := must(graph.Host(graph.Float32, []int{1024}, unsafe.Slice((*byte)(unsafe.Pointer(&vals[0])), 4096)))
	return x, backend.Realize(dev, x)
}

// BenchmarkSmallGraph measures the fixed cost of building and realizing a small graph
// (1K elements, 3 ops: x*x + x, then max with x) with the program cache warm: scheduling, the cache lookup, allocation
// and the launch.
func BenchmarkSmallGraph(b *testing.B) { loopSmallGraph(b, cpu.New()) }

// loopSmallGraph is the loop of BenchmarkSmallGraph on dev.
func loopSmallGraph(b *testing.B, dev backend.Device) {
	x, err := smallInput(dev)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := backend.Realize(dev, smallGraph(x)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSmallGraphParallel is BenchmarkSmallGraph from GOMAXPROCS goroutines at once,
// each on graphs of its own: realizations of unrelated graphs share only the scheduling
// lock and the program cache.
func BenchmarkSmallGraphParallel(b *testing.B) {
	dev := cpu.New()
	b.RunParallel(func(pb *testing.PB) {
		x, err := smallInput(dev)
		if err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			if err := backend.Realize(dev, smallGraph(x)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSmallGraphBeside is BenchmarkSmallGraph while another goroutine realizes 256 ×
// 256 × 256 float32 products without pause: a realization does not wait for another's
// kernels, only shares the cores with them.
func BenchmarkSmallGraphBeside(b *testing.B) {
	dev := cpu.New()
	const n = 256
	m := must(graph.Host(graph.Float32, []int{n, n}, make([]byte, 4*n*n)))
	if err := backend.Realize(dev, m); err != nil {
		b.Fatal(err)
	}
	stop := make(chan struct{})
	var products atomic.Int64
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop) // also when the loop fails
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := backend.Realize(dev, must(graph.Contract(m, m))); err != nil {
				b.Error(err)
				return
			}
			products.Add(1)
		}
	})
	loopSmallGraph(b, dev)
	b.ReportMetric(float64(products.Load())/b.Elapsed().Seconds(), "products/s")
}

package backend_test

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/backendtest"
	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
)

// wholeGraph is a graph-level device for testing the executor's subgraph dispatch: it runs
// each subgraph kernel by kernel on the CPU device, keeping intermediate results in buffers
// of its own, and counts what the executor asks of it.
type wholeGraph struct {
	backend.Device // the CPU device
	name           string
	reject         func(*graph.Kernel) bool // kernels CheckKernel refuses
	failCompile    error                    // returned by CompileSubgraph when set
	failLaunch     error                    // returned by LaunchSubgraph when set
	oomLaunches    atomic.Int64             // launches still to fail with ErrOutOfMemory
	checkErr       error                    // returned by CheckKernel when set
	noCombine      bool                     // CompileSubgraph refuses runs of several kernels

	compiles, launches, checks atomic.Int64
	live                       atomic.Int64 // buffers allocated by the executor and not freed
	mu                         sync.Mutex
	allocs                     []int // element counts of the executor's allocations
}

// newWholeGraph returns a device named name and a number of its own: the executor's program
// cache is keyed by device name, and each test counts the compiles of its own device, also
// when run again (go test -count).
func newWholeGraph(name string) *wholeGraph {
	return &wholeGraph{Device: cpu.New(), name: fmt.Sprintf("%s-%d", name, wholeGraphs.Add(1))}
}

var wholeGraphs atomic.Int64

func (d *wholeGraph) Name() string { return d.name }

func (d *wholeGraph) Capabilities() backend.Capabilities {
	c := d.Device.Capabilities()
	c.GraphLevel = true
	return c
}

func (d *wholeGraph) Alloc(dt graph.DType, n int) (backend.Buffer, error) {
	b, err := d.Device.Alloc(dt, n)
	if err == nil {
		d.live.Add(1)
		d.mu.Lock()
		d.allocs = append(d.allocs, n)
		d.mu.Unlock()
	}
	return b, err
}

func (d *wholeGraph) Free(b backend.Buffer) error {
	d.live.Add(-1)
	return d.Device.Free(b)
}

func (d *wholeGraph) takeAllocs() []int {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.allocs
	d.allocs = nil
	return a
}

func (d *wholeGraph) CheckKernel(k *graph.Kernel) error {
	d.checks.Add(1)
	if d.checkErr != nil {
		return d.checkErr
	}
	if d.reject != nil && d.reject(k) {
		return fmt.Errorf("%s: refused: %w", d.name, backend.ErrUnsupported)
	}
	return nil
}

func (d *wholeGraph) CompileSubgraph(kernels []*graph.Kernel, outs []*graph.Node) (backend.Program, error) {
	d.compiles.Add(1)
	if d.failCompile != nil {
		return nil, d.failCompile
	}
	if d.noCombine && len(kernels) > 1 {
		return nil, fmt.Errorf("%s: runs of several kernels: %w", d.name, backend.ErrUnsupported)
	}
	kp, err := backendtest.CompileKernelByKernel(d.Device, kernels, outs)
	if err != nil {
		return nil, err
	}
	return kp, nil
}

func (d *wholeGraph) LaunchSubgraph(p backend.Program, outs []backend.Buffer, inputs []backend.Buffer) error {
	d.launches.Add(1)
	if d.failLaunch != nil {
		return d.failLaunch
	}
	if d.oomLaunches.Add(-1) >= 0 {
		return fmt.Errorf("%s: out of memory for the results: %w", d.name, backend.ErrOutOfMemory)
	}
	return p.(*backendtest.KernelByKernel).Launch(d.Device, outs, inputs)
}

func hostF32(shape []int, vals func(i int) float32) *graph.Node {
	n := graph.NumElements(shape)
	data := make([]float32, max(n, 1))
	for i := range n {
		data[i] = vals(i)
	}
	return must(graph.Host(graph.Float32, shape, f32s(data...)[:4*n]))
}

func bcast(x *graph.Node, shape []int, keep ...int) *graph.Node {
	rs := make([]int, len(shape))
	for i := range rs {
		rs[i] = 1
	}
	for i, k := range keep {
		rs[k] = x.Shape[i]
	}
	return must(graph.Expand(must(graph.Reshape(x, rs)), shape))
}

// chain builds relu(a·b + c).sum() for a [4,3], b [3,5], c [5] (two kernels: the product,
// then the sum with the bias and ReLU as its prologue); it returns the sum, the product
// node and the expected value.
func chain(seed float32) (sum, product *graph.Node, want float64) {
	a := hostF32([]int{4, 3}, func(i int) float32 { return seed + float32(i%5) - 2 })
	b := hostF32([]int{3, 5}, func(i int) float32 { return float32(i%7)/2 - 1 })
	c := hostF32([]int{5}, func(i int) float32 { return float32(i) - 2 })
	product = must(graph.Contract(a, b))
	y := must(graph.Binary(graph.OpAdd, product, bcast(c, []int{4, 5}, 1)))
	zero := bcast(must(graph.Const(graph.ScalarOf(0, graph.Float32), graph.Float32)), []int{4, 5})
	sum = must(graph.Reduce(graph.OpSum, must(graph.Binary(graph.OpMax, y, zero)), []int{0, 1}))
	for i := range 4 {
		for j := range 5 {
			v := float64(j) - 2
			for k := range 3 {
				v += float64(seed+float32((3*i+k)%5)-2) * (float64((5*k+j)%7)/2 - 1)
			}
			want += math.Max(v, 0)
		}
	}
	return sum, product, want
}

// softmaxOfChain builds softmax(relu(a·b + c), axis 1): five kernels (product, row max,
// exp, row sum, division); it returns the result and the exp node.
func softmaxOfChain() (out, exp *graph.Node) {
	a := hostF32([]int{4, 3}, func(i int) float32 { return float32(i%5) - 2 })
	b := hostF32([]int{3, 5}, func(i int) float32 { return float32(i%7)/2 - 1 })
	c := hostF32([]int{5}, func(i int) float32 { return float32(i)/3 - 0.5 })
	y := must(graph.Binary(graph.OpAdd, must(graph.Contract(a, b)), bcast(c, []int{4, 5}, 1)))
	r := must(graph.Binary(graph.OpMax, y, bcast(must(graph.Const(graph.ScalarOf(0, graph.Float32), graph.Float32)), []int{4, 5})))
	m := must(graph.Reduce(graph.OpReduceMax, r, []int{1}))
	exp = must(graph.Unary(graph.OpExp, must(graph.Binary(graph.OpSub, r, bcast(m, []int{4, 5}, 0)))))
	s := must(graph.Reduce(graph.OpSum, exp, []int{1}))
	return must(graph.Binary(graph.OpDiv, exp, bcast(s, []int{4, 5}, 0))), exp
}

func closeTo(got []float32, want []float32) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-5*math.Max(1, math.Abs(float64(want[i]))) {
			return false
		}
	}
	return true
}

// A chain of kernels is one compile and one launch; the product, read only inside the
// subgraph, never gets a buffer; the same structure again is a cache hit.
func TestSubgraphChain(t *testing.T) {
	dev := newWholeGraph("wholegraph-chain")
	before := backend.ReadStats()
	sum, product, want := chain(0)
	got := readF32(t, dev, sum)
	if len(got) != 1 || math.Abs(float64(got[0])-want) > 1e-4*math.Max(1, math.Abs(want)) {
		t.Fatalf("relu(a·b + c).sum() = %v, want %v", got, want)
	}
	after := backend.ReadStats()
	if c, l := dev.compiles.Load(), dev.launches.Load(); c != 1 || l != 1 {
		t.Errorf("%d subgraph compiles and %d launches, want 1 and 1", c, l)
	}
	if n := after.Subgraphs - before.Subgraphs; n != 1 {
		t.Errorf("Stats.Subgraphs grew by %d, want 1", n)
	}
	if n := after.Kernels - before.Kernels; n != 2 {
		t.Errorf("Stats.Kernels grew by %d, want 2 (the product and the sum)", n)
	}
	if product.Realized() != nil {
		t.Errorf("the product, read only inside the subgraph, was realized")
	}
	// a [4 3], b [3 5] and c [5] are uploaded, the sum gets a buffer; the product [4 5] not.
	if allocs := dev.takeAllocs(); !slices.Equal(allocs, []int{12, 15, 5, 1}) {
		t.Errorf("allocated buffers of %v elements, want [12 15 5 1]", allocs)
	}

	before = backend.ReadStats()
	sum, _, want = chain(1)
	got = readF32(t, dev, sum)
	if len(got) != 1 || math.Abs(float64(got[0])-want) > 1e-4*math.Max(1, math.Abs(want)) {
		t.Fatalf("second run: relu(a·b + c).sum() = %v, want %v", got, want)
	}
	after = backend.ReadStats()
	if c, l := dev.compiles.Load(), dev.launches.Load(); c != 1 || l != 2 {
		t.Errorf("after a second run of the same structure: %d compiles, %d launches; want 1 and 2", c, l)
	}
	if after.CacheHits <= before.CacheHits || after.Compiles != before.Compiles {
		t.Errorf("second run: cache hits %d -> %d, compiles %d -> %d; want a hit and no compile",
			before.CacheHits, after.CacheHits, before.Compiles, after.Compiles)
	}
	if n := dev.checks.Load(); n != 2 {
		t.Errorf("CheckKernel asked %d times for two kernel structures, want 2", n)
	}
}

// A kernel the device refuses runs on the CPU and splits the subgraph; results read across
// the split leave the subgraph in buffers, the others stay inside.
func TestSubgraphFallback(t *testing.T) {
	ref, _ := softmaxOfChain()
	want := readF32(t, cpu.New(), ref)
	dev := newWholeGraph("wholegraph-fallback")
	dev.reject = func(k *graph.Kernel) bool { return k.Core != nil && k.Core.Op == graph.OpReduceMax }
	before := backend.ReadStats()
	out, exp := softmaxOfChain()
	got := readF32(t, dev, out)
	if !closeTo(got, want) {
		t.Fatalf("softmax(relu(a·b + c)) = %v, want %v (cpu)", got, want)
	}
	after := backend.ReadStats()
	if n := after.Fallbacks - before.Fallbacks; n != 1 {
		t.Errorf("%d kernels fell back to the CPU, want 1 (the row max)", n)
	}
	// [product] | row max on the CPU | [exp, row sum, division]
	if c, l := dev.compiles.Load(), dev.launches.Load(); c != 2 || l != 2 {
		t.Errorf("%d subgraph compiles and %d launches, want 2 and 2", c, l)
	}
	if exp.Realized() != nil {
		t.Errorf("exp, read only inside its subgraph, was realized")
	}
	// Uploads of a, b, c; the product [4 5] (read by the CPU's row max); the row max [4],
	// copied back for the second subgraph; the result [4 5]. Not exp nor the row sums.
	if allocs := dev.takeAllocs(); !slices.Equal(allocs, []int{12, 15, 5, 20, 4, 20}) {
		t.Errorf("allocated buffers of %v elements, want [12 15 5 20 4 20]", allocs)
	}
}

// A device that accepts each kernel but not the run as a whole gets them one at a time.
func TestSubgraphNotCombined(t *testing.T) {
	dev := newWholeGraph("wholegraph-separate")
	dev.noCombine = true
	sum, product, want := chain(0)
	got := readF32(t, dev, sum)
	if len(got) != 1 || math.Abs(float64(got[0])-want) > 1e-4*math.Max(1, math.Abs(want)) {
		t.Fatalf("relu(a·b + c).sum() = %v, want %v", got, want)
	}
	if product.Realized() == nil {
		t.Errorf("kernels run one at a time, yet the product has no buffer")
	}
	// The refusal is remembered: the same structure again is not offered as a subgraph.
	compiles := dev.compiles.Load()
	sum, _, want = chain(2)
	if got := readF32(t, dev, sum); math.Abs(float64(got[0])-want) > 1e-4*math.Max(1, math.Abs(want)) {
		t.Fatalf("second run: %v, want %v", got, want)
	}
	if n := dev.compiles.Load() - compiles; n != 0 {
		t.Errorf("a subgraph the device refused was offered again (%d times)", n)
	}
}

// The cache tells apart runs whose kernels have equal keys but read different things: here
// the sum reads the exp kernel's result in one run and a host input in the other.
func TestSubgraphCacheKeyWiring(t *testing.T) {
	dev := newWholeGraph("wholegraph-wiring")
	build := func(fromExp bool) (*graph.Node, *graph.Node, []float32) {
		x := hostF32([]int{3}, func(i int) float32 { return float32(i) })
		y := hostF32([]int{3}, func(i int) float32 { return 1 })
		w := hostF32([]int{3}, func(i int) float32 { return 10 })
		e := must(graph.Unary(graph.OpExp, x))
		first := e
		if !fromExp {
			first = w
		}
		s := must(graph.Reduce(graph.OpSum, must(graph.Binary(graph.OpAdd, first, y)), []int{0}))
		want := float32(33)
		if fromExp {
			want = float32(math.Exp(0) + math.Exp(1) + math.Exp(2) + 3)
		}
		return e, s, []float32{float32(math.Exp(0)), float32(math.Exp(1)), float32(math.Exp(2)), want}
	}
	for _, fromExp := range []bool{true, false, true} {
		e, s, want := build(fromExp)
		if err := backend.Realize(dev, e, s); err != nil {
			t.Fatal(err)
		}
		got := append(readF32(t, dev, e), readF32(t, dev, s)...)
		if !closeTo(got, want) {
			t.Errorf("sum reads the exp kernel: %v; exp and sum %v, want %v", fromExp, got, want)
		}
	}
	if n := dev.compiles.Load(); n != 2 {
		t.Errorf("%d subgraph compiles for two structures, want 2", n)
	}
}

// A subgraph launch that runs out of memory collects the garbage of dropped results and runs
// again; where there is no garbage to collect, the device's error comes back.
func TestSubgraphLaunchCollects(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	dev := newWholeGraph("wholegraph-oom")
	func() {
		dropped, _, _ := chain(1)
		if err := backend.Realize(dev, dropped); err != nil {
			t.Fatal(err)
		}
	}()
	dev.oomLaunches.Store(1)
	before := dev.launches.Load()
	sum, _, want := chain(0)
	if err := backend.Realize(dev, sum); err != nil {
		t.Fatalf("Realize after an out-of-memory launch: %v", err)
	}
	if got := readF32(t, dev, sum); !closeTo(got, []float32{float32(want)}) {
		t.Errorf("sum %v, want %v", got, want)
	}
	if n := dev.launches.Load() - before; n != 2 {
		t.Errorf("%d launches, want 2 (one out of memory, one after collecting)", n)
	}

	dev.oomLaunches.Store(math.MaxInt32)
	sum, _, _ = chain(2)
	if err := backend.Realize(dev, sum); !errors.Is(err, backend.ErrOutOfMemory) || !strings.Contains(err.Error(), "out of memory for the results") {
		t.Errorf("Realize with no garbage to collect: %v, want the device's ErrOutOfMemory", err)
	}
}

// Failures name the operations of the subgraph, wrap the device's sentinel, and leave no
// buffer behind.
func TestSubgraphErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(d *wholeGraph)
		want error
		ops  []string
	}{
		{"compile", func(d *wholeGraph) { d.failCompile = fmt.Errorf("no: %w", backend.ErrCompile) }, backend.ErrCompile, []string{"compile", "contract float32[4 5]", "sum float32[1 1]"}},
		{"launch", func(d *wholeGraph) { d.failLaunch = fmt.Errorf("no: %w", backend.ErrLaunch) }, backend.ErrLaunch, []string{"launch", "contract float32[4 5]", "sum float32[1 1]"}},
		{"check", func(d *wholeGraph) { d.checkErr = fmt.Errorf("no: %w", backend.ErrCompile) }, backend.ErrCompile, []string{"contract float32[4 5]"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dev := newWholeGraph("wholegraph-fail-" + c.name)
			c.set(dev)
			func() {
				sum, _, _ := chain(0)
				err := backend.Realize(dev, sum)
				if !errors.Is(err, c.want) {
					t.Fatalf("Realize: %v, want %v", err, c.want)
				}
				for _, op := range c.ops {
					if !strings.Contains(err.Error(), op) {
						t.Errorf("error %q does not name %q", err, op)
					}
				}
				if sum.Realized() != nil {
					t.Errorf("a failed realization attached a buffer")
				}
			}()
			// Only the uploaded inputs, owned by their nodes, may remain; they go with them.
			if live := waitDeviceLive(dev); live != 0 {
				t.Errorf("%d buffers of the device still allocated", live)
			}
		})
	}
}

func waitDeviceLive(d *wholeGraph) int64 {
	var got int64
	for range 100 {
		runtime.GC()
		if got = d.live.Load(); got == 0 {
			return 0
		}
		time.Sleep(10 * time.Millisecond)
	}
	return got
}

// Buffers of realized results are freed when their nodes go, as on kernel-level devices.
func TestSubgraphBufferLifetime(t *testing.T) {
	dev := newWholeGraph("wholegraph-lifetime")
	base := waitLive(math.MaxInt64)
	func() {
		for range 20 {
			out, _ := softmaxOfChain()
			readF32(t, dev, out)
		}
	}()
	if live := waitDeviceLive(dev); live != 0 {
		t.Errorf("%d buffers of the device still allocated after their nodes became unreachable", live)
	}
	if live := waitLive(base); live > base {
		t.Errorf("%d executor buffers live, %d before", live, base)
	}
}

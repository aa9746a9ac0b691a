package backend_test

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
)

func f32s(vals ...float32) []byte {
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(&vals[0])), 4*len(vals))...)
}

func readF32(t *testing.T, dev backend.Device, n *graph.Node) []float32 {
	t.Helper()
	raw, err := backend.Read(dev, n)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(uint32(raw[4*i]) | uint32(raw[4*i+1])<<8 | uint32(raw[4*i+2])<<16 | uint32(raw[4*i+3])<<24)
	}
	return out
}

func must(n *graph.Node, err error) *graph.Node {
	if err != nil {
		panic(err)
	}
	return n
}

// expGraph builds exp(a) + b over fresh host leaves.
func expGraph() *graph.Node {
	a := must(graph.Host(graph.Float32, []int{3}, f32s(0, 1, 2)))
	b := must(graph.Host(graph.Float32, []int{3}, f32s(1, 1, 1)))
	return must(graph.Binary(graph.OpAdd, must(graph.Unary(graph.OpExp, a)), b))
}

func TestOpen(t *testing.T) {
	for _, name := range []string{"cpu", "cpu:0"} {
		d, err := backend.Open(name)
		if err != nil || d.Name() != "cpu" {
			t.Errorf("Open(%q) = %v, %v", name, d, err)
		}
	}
	for _, c := range []struct{ name, want string }{
		{"cpu:1", "cpu has 1 device"},
		{"cpu:x", "no such device (cpu has: cpu)"},
		{"warp-drive", `no backend "warp-drive" is registered`},
	} {
		_, err := backend.Open(c.name)
		if !errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%q) error %v, want ErrUnavailable mentioning %q", c.name, err, c.want)
		}
	}
}

func TestDefault(t *testing.T) {
	t.Setenv("CROSSBAR_DEVICE", "cpu")
	if d := backend.Default(); d == nil || d.Name() != "cpu" {
		t.Errorf("Default with CROSSBAR_DEVICE=cpu = %v", d)
	}
	t.Setenv("CROSSBAR_DEVICE", "nonexistent:3")
	if d := backend.Default(); d == nil || d.Name() != "cpu" {
		t.Errorf("Default with an absent CROSSBAR_DEVICE = %v, want the cpu", d)
	}
	found := false
	for _, d := range backend.Devices() {
		found = found || d.Name() == "cpu"
	}
	if !found {
		t.Errorf("Devices() = %v lacks the cpu", backend.Devices())
	}
}

func TestProgramCache(t *testing.T) {
	dev := cpu.New()
	first := expGraph()
	if got := readF32(t, dev, first); math.Abs(float64(got[2])-(math.Exp(2)+1)) > 1e-5 {
		t.Fatalf("exp(a)+b = %v", got)
	}
	before := backend.ReadStats()
	second := expGraph()
	readF32(t, dev, second)
	after := backend.ReadStats()
	if after.Compiles != before.Compiles {
		t.Errorf("the second realization of the same structure compiled %d programs", after.Compiles-before.Compiles)
	}
	if after.CacheHits <= before.CacheHits {
		t.Errorf("the second realization found nothing in the cache")
	}
}

func waitLive(want int64) int64 {
	var got int64
	for range 100 {
		runtime.GC()
		if got = backend.ReadStats().Live; got <= want {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
	return got
}

func TestBufferLifetime(t *testing.T) {
	dev := cpu.New()
	base := waitLive(math.MaxInt64)
	func() {
		for range 50 {
			readF32(t, dev, expGraph())
		}
	}()
	if live := waitLive(base); live > base {
		t.Errorf("%d device buffers still live after their nodes became unreachable (%d before)", live, base)
	}

	n := expGraph()
	readF32(t, dev, n)
	st := n.Realized().(*backend.Storage)
	liveBefore := backend.ReadStats().Live
	if err := st.Free(); err != nil {
		t.Fatal(err)
	}
	if got := backend.ReadStats().Live; got != liveBefore-1 {
		t.Errorf("Free: live buffers %d -> %d", liveBefore, got)
	}
	if err := st.Free(); err != nil {
		t.Errorf("a second Free: %v", err)
	}
	if _, err := backend.Read(dev, n); !errors.Is(err, backend.ErrFreed) {
		t.Errorf("Read after Free: %v, want ErrFreed", err)
	}
	neg := must(graph.Unary(graph.OpNeg, n))
	if err := backend.Realize(dev, neg); !errors.Is(err, backend.ErrFreed) {
		t.Errorf("computing from a freed node: %v, want ErrFreed", err)
	}
}

// picky is a device that compiles nothing and cannot allocate more than a few elements.
type picky struct{ backend.Device }

func (picky) Name() string { return "picky" }
func (picky) Compile(k *graph.Kernel) (backend.Program, error) {
	return nil, backend.ErrUnsupported
}
func (p picky) Alloc(dt graph.DType, n int) (backend.Buffer, error) {
	if n > 4 {
		return nil, backend.ErrOutOfMemory
	}
	return p.Device.Alloc(dt, n)
}

func TestFallbackAndErrors(t *testing.T) {
	dev := picky{cpu.New()}
	// Kernels the device cannot compile run on the CPU, and the fallback is counted.
	before := backend.ReadStats().Fallbacks
	got := readF32(t, dev, expGraph())
	if backend.ReadStats().Fallbacks == before {
		t.Errorf("the fallback to the CPU was not counted")
	}
	if len(got) != 3 || got[0] != 2 {
		t.Errorf("fallback result %v", got)
	}
	big := must(graph.Host(graph.Float32, []int{8}, make([]byte, 32)))
	err := backend.Realize(dev, big)
	if !errors.Is(err, backend.ErrOutOfMemory) || !strings.Contains(err.Error(), "float32[8]") {
		t.Errorf("allocation failure: %v, want ErrOutOfMemory naming the shape", err)
	}
	if err := backend.Realize(nil, expGraph()); !errors.Is(err, backend.ErrUnavailable) {
		t.Errorf("nil device: %v", err)
	}
}

// named is a device of the multi backend, which names its devices like PJRT plugins do.
type named struct {
	backend.Device
	name string
}

func (n named) Name() string { return n.name }

type multi struct{}

func (multi) Name() string  { return "multi" }
func (multi) Priority() int { return -1 }
func (multi) Devices() ([]backend.Device, error) {
	var ds []backend.Device
	for _, n := range []string{"multi:x:0", "multi:x:1", "multi:y:0"} {
		ds = append(ds, named{cpu.New(), n})
	}
	return ds, nil
}

func init() { backend.Register(multi{}) }

func TestOpenLongNames(t *testing.T) {
	for name, want := range map[string]string{
		"multi": "multi:x:0", "multi:1": "multi:x:1", "multi:y:0": "multi:y:0", "multi:y": "multi:y:0", "multi:x:1": "multi:x:1",
	} {
		d, err := backend.Open(name)
		if err != nil || d.Name() != want {
			t.Errorf("Open(%q) = %v, %v; want %s", name, d, err, want)
		}
	}
	if _, err := backend.Open("multi:z"); !errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), "multi:x:0, multi:x:1, multi:y:0") {
		t.Errorf("Open(multi:z): %v, want ErrUnavailable listing the devices", err)
	}
}

// variants is a CPU device whose programs come in variants, as tuned ones do.
type variants struct {
	backend.Device
	name     string // of its own, for the program cache (see newWholeGraph)
	variant  string
	compiled []string // the variant of every Compile call
}

func (v *variants) Name() string                        { return v.name }
func (v *variants) ProgramVariant(*graph.Kernel) string { return v.variant }
func (v *variants) Compile(k *graph.Kernel) (backend.Program, error) {
	v.compiled = append(v.compiled, v.variant)
	return v.Device.Compile(k)
}

// TestProgramCacheVariants checks that the program cache tells the variants of one kernel
// apart and reuses each.
func TestProgramCacheVariants(t *testing.T) {
	dev := &variants{Device: cpu.New(), name: fmt.Sprintf("variants-%d", wholeGraphs.Add(1))}
	for _, v := range []string{"", "block=32x32x8", "", "block=32x32x8", "block=64x64x16"} {
		dev.variant = v
		if got := readF32(t, dev, expGraph()); math.Abs(float64(got[2])-(math.Exp(2)+1)) > 1e-5 {
			t.Fatalf("variant %q: exp(a)+b = %v", v, got)
		}
	}
	want := []string{"", "block=32x32x8", "block=64x64x16"}
	if strings.Join(dev.compiled, "|") != strings.Join(want, "|") {
		t.Errorf("compiled variants %q, want %q: each once", dev.compiled, want)
	}
}

// TestTransientReleased realizes products of a transient intermediate: the realization
// releases the intermediate's buffer once the product has read it and leaves the node
// unrealized, a later realization that reads it computes it again, and one that asks for it
// keeps it. An intermediate that is not transient stays realized.
func TestTransientReleased(t *testing.T) {
	dev, err := backend.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	a := must(graph.Host(graph.Float32, []int{2, 2}, f32s(1, 2, 3, 4)))
	two := must(graph.Expand(must(graph.Reshape(must(graph.Const(graph.ScalarOf(2, graph.Float32), graph.Float32)), []int{1, 1})), []int{2, 2}))
	doubled := func() *graph.Node { return must(graph.Binary(graph.OpMul, a, two)) }
	if err := backend.Realize(dev, a); err != nil {
		t.Fatal(err)
	}

	tr := doubled() // [2 4; 6 8]
	tr.SetTransient()
	kept := doubled()
	y := must(graph.Contract(tr, a))
	y2 := must(graph.Contract(kept, a))
	before := backend.ReadStats().Live
	if err := backend.Realize(dev, y, y2); err != nil {
		t.Fatal(err)
	}
	if tr.Realized() != nil {
		t.Errorf("the transient intermediate is still realized after the product")
	}
	if kept.Realized() == nil {
		t.Errorf("the intermediate that is not transient was released")
	}
	// y, y2 and kept: the transient buffer was allocated and released.
	if live := backend.ReadStats().Live - before; live != 3 {
		t.Errorf("%d more live buffers after the realization, want 3", live)
	}
	want := []float32{14, 20, 30, 44}
	if got := readF32(t, dev, y); !slices.Equal(got, want) {
		t.Errorf("product of the transient intermediate: %v, want %v", got, want)
	}

	// Built after the release: the intermediate is computed again from its sources.
	z := must(graph.Contract(tr, tr))
	if got, want := readF32(t, dev, z), []float32{28, 40, 60, 88}; !slices.Equal(got, want) {
		t.Errorf("a product reading the released intermediate again: %v, want %v", got, want)
	}
	if tr.Realized() != nil {
		t.Errorf("the transient intermediate is realized after its second product")
	}
	// Asked for, it stays.
	if got, want := readF32(t, dev, tr), []float32{2, 4, 6, 8}; !slices.Equal(got, want) || tr.Realized() == nil {
		t.Errorf("the transient intermediate realized on its own: %v (realized %v), want %v", got, tr.Realized() != nil, want)
	}
}

// TestReadInto checks that ReadInto fills a buffer of exactly the node's bytes, and refuses
// one of another size and a nil node with errors wrapping graph.ErrShape.
func TestReadInto(t *testing.T) {
	dev := cpu.New()
	n := expGraph()
	dst := make([]float32, 3)
	if err := backend.ReadInto(dev, n, unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 12)); err != nil {
		t.Fatal(err)
	}
	if want := readF32(t, dev, n); !slices.Equal(dst, want) || dst[0] != 2 {
		t.Errorf("ReadInto gave %v, Read %v", dst, want)
	}
	for _, size := range []int{11, 13, 0} {
		if err := backend.ReadInto(dev, n, make([]byte, size)); !errors.Is(err, graph.ErrShape) || !strings.Contains(err.Error(), "float32[3]") {
			t.Errorf("%d bytes: %v, want an ErrShape naming the node", size, err)
		}
	}
	if err := backend.ReadInto(dev, nil, nil); !errors.Is(err, graph.ErrShape) {
		t.Errorf("nil node: %v", err)
	}
	if _, err := backend.Read(dev, nil); !errors.Is(err, graph.ErrShape) {
		t.Errorf("Read of a nil node: %v", err)
	}
}

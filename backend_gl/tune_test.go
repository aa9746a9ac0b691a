package backend_gl

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/graph"
)

// useTuning points the tuning cache at a fresh directory in mode cached, with the device's
// memo of tuned options cleared now and after the test, and returns the directory.
func useTuning(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv(autotune.EnvCacheDir, dir)
	t.Setenv(autotune.EnvMode, "cached")
	resetTuning()
	t.Cleanup(resetTuning)
	return dir
}

func TestContractSpaceOnDevice(t *testing.T) {
	d := device(t)
	sp := codegen.ContractSpace(d.target)
	if err := sp.Validate(); err != nil {
		t.Fatal(err)
	}
	if !sp.Allows(sp.Prior) || !sp.Prior.Equal(codegen.ContractConfig(d.opts)) {
		t.Fatalf("prior %v: allowed %v, want the device's defaults %v", sp.Prior, sp.Allows(sp.Prior), codegen.ContractConfig(d.opts))
	}
	if _, err := d.NewMatMulTuning(graph.Float32, 8, 8, 8); !errors.Is(err, ErrNotTiled) {
		t.Errorf("8x8x8: %v, want ErrNotTiled", err)
	}
	if _, err := d.NewMatMulTuning(graph.Int32, 64, 64, 64); err == nil {
		t.Errorf("int32: no error")
	}
}

// TestMatMulTunedTiles tunes one conformance shape with a few quick candidates, then checks
// that a product of that shape compiles with the stored tiles as a program of its own and
// still gives the CPU's answer.
func TestMatMulTunedTiles(t *testing.T) {
	d := device(t)
	dir := useTuning(t)
	const m, n, k = 65, 65, 33
	g, err := d.NewMatMulTuning(graph.Float32, m, n, k)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	// Store a configuration far from the defaults, as a search might have found (the knobs
	// not named here at their defaults).
	want := codegen.ContractConfig(codegen.Options{BlockM: 32, BlockN: 16, BlockK: 8, ThreadM: 2, ThreadN: 2, Vec: 1})
	if !g.Space.Allows(want) {
		t.Fatalf("%v not allowed", want)
	}
	if _, err := g.Measure(context.Background(), want); err != nil {
		t.Fatalf("measure %v: %v", want, err)
	}
	if err := autotune.OpenCache(dir).Store(autotune.Entry{Key: g.Key, Config: want, Median: time.Millisecond, Prior: 2 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	tu := &autotune.Tuner{Mode: autotune.ModeOn, Cache: autotune.OpenCache(dir),
		Options: autotune.Options{Budget: time.Millisecond, MinReps: 1, MaxReps: 1, MaxCandidates: 2}}
	if res, err := g.Tune(context.Background(), tu); err != nil || res.Source != autotune.SourceCache {
		t.Fatalf("tune: %v, source %v; want the stored entry", err, res.Source)
	}

	r := rand.New(rand.NewPCG(5, 6))
	a, b := make([]float32, m*k), make([]float32, k*n)
	for i := range a {
		a[i] = float32(r.Float64()*2 - 1)
	}
	for i := range b {
		b[i] = float32(r.Float64()*2 - 1)
	}
	bytesOf := func(v []float32) []byte {
		raw := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
		}
		return raw
	}
	an, err := graph.Host(graph.Float32, []int{m, k}, bytesOf(a))
	if err != nil {
		t.Fatal(err)
	}
	bn, err := graph.Host(graph.Float32, []int{k, n}, bytesOf(b))
	if err != nil {
		t.Fatal(err)
	}
	c, err := graph.Contract(an, bn)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := graph.Schedule([]*graph.Node{c})
	if err != nil {
		t.Fatal(err)
	}
	kern := ks[len(ks)-1]
	if got := d.ProgramVariant(kern); got != d.opts.WithContract(want).String() {
		t.Fatalf("variant %q, want the tuned options %q", got, d.opts.WithContract(want).String())
	}
	before := backend.ReadStats().Compiles
	raw, err := backend.Read(d, c)
	if err != nil {
		t.Fatal(err)
	}
	if backend.ReadStats().Compiles == before {
		t.Errorf("the tuned product reused a program compiled with other options")
	}
	got := make([]float32, m*n)
	for i := range got {
		got[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	for i := range m {
		for j := range n {
			var s float64
			for q := range k {
				s += float64(a[i*k+q]) * float64(b[q*n+j])
			}
			if e := math.Abs(float64(got[i*n+j]) - s); e > 1e-4 {
				t.Fatalf("C[%d,%d] = %v, want %v", i, j, got[i*n+j], s)
			}
		}
	}
	// Mode off ignores the cache: the default options, no variant.
	t.Setenv(autotune.EnvMode, "off")
	resetTuning()
	if v := d.ProgramVariant(kern); v != "" {
		t.Errorf("mode off: variant %q, want the default", v)
	}
}

// TestMatMulTuningAllCandidatesFail tunes over tiles that the device cannot compile
// (workgroups of a million threads and more, the prior included): the search must end
// without a panic or an error, fall back to the prior, store nothing, and leave the device
// compiling products with its defaults.
func TestMatMulTuningAllCandidatesFail(t *testing.T) {
	d := device(t)
	dir := useTuning(t)
	g, err := d.NewMatMulTuning(graph.Float32, 65, 65, 33)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	space := autotune.Space{
		Knobs: []autotune.Knob{
			{Name: "BlockM", Values: []int{1024, 2048}}, {Name: "BlockN", Values: []int{1024, 2048}},
			{Name: "BlockK", Values: []int{256}}, {Name: "ThreadM", Values: []int{1}},
			{Name: "ThreadN", Values: []int{1}}, {Name: "Vec", Values: []int{1}},
		},
		Prior: autotune.Config{"BlockM": 1024, "BlockN": 1024, "BlockK": 256, "ThreadM": 1, "ThreadN": 1, "Vec": 1},
	}
	tu := &autotune.Tuner{Mode: autotune.ModeOn, Cache: autotune.OpenCache(dir),
		Options: autotune.Options{Budget: time.Millisecond, MinReps: 1, MaxReps: 1}}
	res, err := tu.Tune(context.Background(), g.Key, space, g.Measure)
	if err != nil {
		t.Fatalf("tune: %v", err)
	}
	if !res.Fallback || !res.Best.Equal(space.Prior) || res.Failed != res.Tried || res.Tried != 4 {
		t.Fatalf("result %+v: want a fallback to the prior after 4 failed candidates", res)
	}
	for _, tr := range res.Trials {
		if tr.Err == nil {
			t.Errorf("candidate %v measured without an error", tr.Config)
		}
	}
	if _, ok := autotune.OpenCache(dir).Lookup(g.Key); ok {
		t.Errorf("a failed search stored an entry")
	}
	// The device still compiles and runs the product with its own tiles.
	if _, err := g.Measure(context.Background(), codegen.ContractConfig(d.opts)); err != nil {
		t.Errorf("the default tiles after the failed search: %v", err)
	}
}

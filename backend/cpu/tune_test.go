package cpu

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/graph"
)

// useTuning points the package's blocking lookup at a fresh cache directory in the given
// mode, and returns the directory; everything is restored when the test ends.
func useTuning(t *testing.T, mode string) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv(autotune.EnvCacheDir, dir)
	t.Setenv(autotune.EnvMode, mode)
	gemmTuner.reset()
	t.Cleanup(gemmTuner.reset)
	return dir
}

// paramsSeen records the blockings gemmBatched passes to asm, by shape.
type paramsSeen struct {
	mu   sync.Mutex
	seen map[[3]int]*asm.GemmParams
	n    int
}

func watchParams(t *testing.T) *paramsSeen {
	ps := &paramsSeen{seen: map[[3]int]*asm.GemmParams{}}
	h := func(m, n, k int, p *asm.GemmParams) {
		ps.mu.Lock()
		defer ps.mu.Unlock()
		ps.n++
		if p != nil {
			c := *p
			p = &c
		}
		ps.seen[[3]int{m, n, k}] = p
	}
	gemmParamsHook.Store(&h)
	t.Cleanup(func() { gemmParamsHook.Store(nil) })
	return ps
}

func (ps *paramsSeen) get(m, n, k int) (*asm.GemmParams, bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p, ok := ps.seen[[3]int{m, n, k}]
	return p, ok
}

// matmulChecked computes a random m×k by k×n product of dt on the CPU device and compares
// it with a float64 sum computed here.
func matmulChecked(t *testing.T, dt graph.DType, m, n, k int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	a, b := hostRand(r, dt, m, k), hostRand(r, dt, k, n)
	ha, hb := append([]byte(nil), a.Host...), append([]byte(nil), b.Host...)
	raw, err := backend.Read(New(), must(graph.Contract(a, b)))
	if err != nil {
		t.Fatalf("%v %dx%dx%d: %v", dt, m, n, k, err)
	}
	at := func(h []byte, i int) float64 {
		if dt == graph.Float32 {
			return float64(math.Float32frombits(binary.LittleEndian.Uint32(h[4*i:])))
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(h[8*i:]))
	}
	got := func(i int) float64 { return at(raw, i) }
	tol := 1e-12
	if dt == graph.Float32 {
		tol = 1e-5
	}
	for i := range m {
		for j := range n {
			var want, mag float64
			for q := range k {
				v := at(ha, i*k+q) * at(hb, q*n+j)
				want += v
				mag += math.Abs(v)
			}
			if d := math.Abs(got(i*n+j) - want); !(d <= tol*mag) {
				t.Fatalf("%v %dx%dx%d: C[%d,%d] = %v, want %v", dt, m, n, k, i, j, got(i*n+j), want)
			}
		}
	}
}

// smallest returns the configuration of the smallest value of every knob: far from the
// prior, always valid, and a blocking that cuts a modest product into many blocks.
func smallest(sp autotune.Space) autotune.Config {
	c := autotune.Config{}
	for _, k := range sp.Knobs {
		c[k.Name] = k.Values[0]
	}
	return c
}

func TestGemmSpace(t *testing.T) {
	shapes := [][3]int{{2, 2, 2}, {35, 8457, 2048}, {300, 260, 200}, {1760, 7000, 1760}, {8448, 48000, 2816}, {64, 1500, 1216}}
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		for _, s := range shapes {
			name := fmt.Sprintf("%v %dx%dx%d", dt, s[0], s[1], s[2])
			g, err := NewGemmTuning(dt, s[0], s[1], s[2])
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			sp := g.Space
			if err := sp.Validate(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			def := defaultGemmParams(dt, "", g.Key.Shape[0], g.Key.Shape[1])
			want := autotune.Config{"MC": def.MC, "KC": def.KC, "NC": def.NC, "NR": def.NR}
			if !sp.Prior.Equal(want) {
				t.Errorf("%s: prior %v, want asm.DefaultGemmParamsFor %v", name, sp.Prior, want)
			}
			if p := g.Params(sp.Prior); p.MR != def.MR || p.NR != def.NR {
				t.Errorf("%s: the prior's parameters %+v name another kernel than %+v", name, p, def)
			}
			kernels := microKernels(dt, "")
			units := map[string]int{"MC": kernels[0][0], "KC": 8, "NC": kernels[0][1]}
			for _, kt := range kernels {
				units["MC"], units["NC"] = min(units["MC"], kt[0]), min(units["NC"], kt[1])
			}
			for _, k := range sp.Knobs {
				for _, v := range k.Values {
					if k.Name == "NR" {
						if !slices.ContainsFunc(kernels, func(kt [2]int) bool { return kt[1] == v }) {
							t.Errorf("%s: NR %d is no micro-kernel's", name, v)
						}
						continue
					}
					if v <= 0 || v%units[k.Name] != 0 {
						t.Errorf("%s: knob %s value %d is not a positive multiple of %d", name, k.Name, v, units[k.Name])
					}
				}
			}
			if !sp.Allows(smallest(sp)) {
				t.Errorf("%s: the smallest blocking %v is not allowed", name, smallest(sp))
			}
			if g.Key.Kernel != gemmFamily+asm.Level() || g.Key.DType != dt.String() || g.Key.Device.Model == "" {
				t.Errorf("%s: key %v", name, g.Key)
			}
			floor := [3]int{def.MC, def.NC, 2 * def.KC}
			for i, d := range g.Measured {
				if d > g.Key.Shape[i] || d < min(g.Key.Shape[i], floor[i]) {
					t.Errorf("%s: measured %v for bucket %v", name, g.Measured, g.Key.Shape)
				}
			}
		}
	}
	// A large product keeps the prior a candidate of its own space.
	g, _ := NewGemmTuning(graph.Float32, 4096, 4096, 4096)
	if !g.Space.Allows(g.Space.Prior) {
		t.Errorf("4096³: prior %v is not allowed", g.Space.Prior)
	}
}

func TestGemmTuningErrors(t *testing.T) {
	for _, c := range []struct {
		dt      graph.DType
		m, n, k int
		gemv    bool
	}{
		{graph.Int32, 10, 10, 10, false},
		{graph.Float32, 0, 10, 10, false},
		{graph.Float64, 10, 10, -1, false},
		{graph.Float32, 1, 100, 100, true},
		{graph.Float64, 100, 1, 100, true},
	} {
		_, err := NewGemmTuning(c.dt, c.m, c.n, c.k)
		if err == nil {
			t.Errorf("%v %dx%dx%d: no error", c.dt, c.m, c.n, c.k)
			continue
		}
		if got := errors.Is(err, ErrNothingToTune); got != c.gemv {
			t.Errorf("%v %dx%dx%d: errors.Is(%v, ErrNothingToTune) = %v", c.dt, c.m, c.n, c.k, err, got)
		}
	}
}

// storeEntry writes a cache entry for the product's key with configuration c.
func storeEntry(t *testing.T, dir string, g *GemmTuning, c autotune.Config) {
	t.Helper()
	if err := autotune.OpenCache(dir).Store(autotune.Entry{Key: g.Key, Config: c, Median: time.Millisecond, Prior: 2 * time.Millisecond, Tried: 5}); err != nil {
		t.Fatal(err)
	}
}

func TestGemmUsesCachedBlocking(t *testing.T) {
	const m, n, k = 300, 260, 200
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		t.Run(dt.String(), func(t *testing.T) {
			dir := useTuning(t, "cached")
			g, err := NewGemmTuning(dt, m, n, k)
			if err != nil {
				t.Fatal(err)
			}
			want := smallest(g.Space)
			storeEntry(t, dir, g, want)
			ps := watchParams(t)
			matmulChecked(t, dt, m, n, k, 1)
			p, ok := ps.get(m, n, k)
			if !ok || p == nil {
				t.Fatalf("gemm used the prior (seen %v, %v), want the cached %v", ok, p, want)
			}
			if p.MC != want["MC"] || p.KC != want["KC"] || p.NC != want["NC"] || p.Level != asm.Level() || p.Threads != 0 {
				t.Fatalf("gemm used %+v, want the cached %v on level %s", *p, want, asm.Level())
			}
			// A shape of the same bucket shares the entry; another bucket does not.
			matmulChecked(t, dt, m-10, n, k, 2)
			if p, _ := ps.get(m-10, n, k); p == nil || p.MC != want["MC"] {
				t.Errorf("same bucket %dx%dx%d: got %v, want the cached %v", m-10, n, k, p, want)
			}
			matmulChecked(t, dt, 2*m, n, k, 3)
			if p, ok := ps.get(2*m, n, k); !ok || p != nil {
				t.Errorf("another bucket: got %v, want the prior (nil)", p)
			}
			// Batched products that share out the cores use the blocking one thread each.
			r := rand.New(rand.NewPCG(3, 3))
			a, b := hostRand(r, dt, 2, m, k), hostRand(r, dt, 2, k, n)
			if _, err := backend.Read(New(), must(graph.Contract(a, b))); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestGemmTuneOffIgnoresCache(t *testing.T) {
	const m, n, k = 300, 260, 200
	dir := useTuning(t, "off")
	g, err := NewGemmTuning(graph.Float64, m, n, k)
	if err != nil {
		t.Fatal(err)
	}
	storeEntry(t, dir, g, smallest(g.Space))
	ps := watchParams(t)
	matmulChecked(t, graph.Float64, m, n, k, 4)
	if p, ok := ps.get(m, n, k); !ok || p != nil {
		t.Fatalf("mode off: gemm used %v (seen %v), want the prior", p, ok)
	}
}

func TestGemmCorruptCache(t *testing.T) {
	const m, n, k = 300, 260, 200
	dir := useTuning(t, "cached")
	path := filepath.Join(dir, autotune.CacheFile)
	if err := os.WriteFile(path, []byte("{not json\n\x00\x01garbage\n{\"v\":1,\"key\":{\"kernel\":\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ps := watchParams(t)
	matmulChecked(t, graph.Float32, m, n, k, 5)
	if p, ok := ps.get(m, n, k); !ok || p != nil {
		t.Fatalf("corrupt cache: gemm used %v (seen %v), want the prior", p, ok)
	}
	// A valid entry after the garbage is still found.
	g, err := NewGemmTuning(graph.Float32, m, n, k)
	if err != nil {
		t.Fatal(err)
	}
	want := smallest(g.Space)
	storeEntry(t, dir, g, want)
	gemmTuner.reset()
	matmulChecked(t, graph.Float32, m, n, k, 6)
	if p, _ := ps.get(m, n, k); p == nil || p.KC != want["KC"] {
		t.Fatalf("entry after garbage: gemm used %v, want %v", p, want)
	}
	// An entry whose configuration does not fit the space (another version of the family)
	// is ignored.
	storeEntry(t, dir, g, autotune.Config{"MC": 28, "KC": 64})
	gemmTuner.reset()
	matmulChecked(t, graph.Float32, m, n, k, 7)
	if p, _ := ps.get(m, n, k); p != nil {
		t.Fatalf("foreign configuration: gemm used %v, want the prior", p)
	}
}

func TestGemmCachedModeCreatesNothing(t *testing.T) {
	dir := filepath.Join(useTuning(t, "cached"), "not-yet")
	t.Setenv(autotune.EnvCacheDir, dir)
	gemmTuner.reset()
	matmulChecked(t, graph.Float32, 100, 90, 80, 8)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("mode cached created the cache directory %s (stat: %v)", dir, err)
	}
}

// TestGemmTuneStoresAndIsUsed tunes a small product with a tuner cut down to a few quick
// candidates, then checks that GEMMs of that bucket use what was stored.
func TestGemmTuneStoresAndIsUsed(t *testing.T) {
	const m, n, k = 96, 80, 72
	dir := useTuning(t, "cached")
	g, err := NewGemmTuning(graph.Float64, m, n, k)
	if err != nil {
		t.Fatal(err)
	}
	tu := &autotune.Tuner{Mode: autotune.ModeOn, Cache: autotune.OpenCache(dir),
		Options: autotune.Options{Budget: time.Millisecond, MinReps: 1, MaxReps: 2, MaxCandidates: 4}}
	res, err := g.Tune(context.Background(), tu)
	if err != nil {
		t.Fatal(err)
	}
	if res.Source != autotune.SourceSearch || res.Tried == 0 || res.Failed != 0 {
		t.Fatalf("tune: source %v, tried %d, failed %d", res.Source, res.Tried, res.Failed)
	}
	e, ok := autotune.OpenCache(dir).Lookup(g.Key)
	if !ok || !e.Config.Equal(res.Best) {
		t.Fatalf("cache holds %v (%v), want %v", e.Config, ok, res.Best)
	}
	ps := watchParams(t)
	matmulChecked(t, graph.Float64, m, n, k, 9)
	p, _ := ps.get(m, n, k)
	if res.Best.Equal(res.Prior) {
		if p != nil {
			t.Fatalf("the prior won, gemm used %+v", *p)
		}
		return
	}
	if p == nil || p.MC != res.Best["MC"] || p.KC != res.Best["KC"] || p.NC != res.Best["NC"] {
		t.Fatalf("gemm used %v, want the tuned %v", p, res.Best)
	}
}

// TestGemmTuneOnDemand runs a GEMM in mode on with a cut-down tuner: the first call of the
// bucket searches and stores, the product stays right.
func TestGemmTuneOnDemand(t *testing.T) {
	const m, n, k = 64, 70, 50
	dir := useTuning(t, "on")
	gemmTuner.mu.Lock()
	gemmTuner.tuner = &autotune.Tuner{Mode: autotune.ModeOn, Cache: autotune.OpenCache(dir),
		Options: autotune.Options{Budget: time.Millisecond, MinReps: 1, MaxReps: 2, MaxCandidates: 3}}
	gemmTuner.mu.Unlock()
	ps := watchParams(t)
	matmulChecked(t, graph.Float32, m, n, k, 10)
	if _, ok := ps.get(m, n, k); !ok {
		t.Fatal("gemm not seen")
	}
	g, err := NewGemmTuning(graph.Float32, m, n, k)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := autotune.OpenCache(dir).Lookup(g.Key); !ok {
		t.Fatalf("mode on stored nothing for %v", g.Key)
	}
}

// TestGemmTunedProductsMatch computes products with blockings from all over the space and
// compares them with the prior's: a blocking changes the order of the sums over k, nothing
// else.
func TestGemmTunedProductsMatch(t *testing.T) {
	for _, s := range [][3]int{{300, 260, 200}, {45, 513, 777}, {130, 70, 1030}} {
		m, n, k := s[0], s[1], s[2]
		for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
			g, err := NewGemmTuning(dt, m, n, k)
			if err != nil {
				t.Fatal(err)
			}
			ref := prodWith(t, dt, m, n, k, nil)
			configs := []autotune.Config{smallest(g.Space), g.Space.Prior}
			last := autotune.Config{}
			for _, kn := range g.Space.Knobs {
				last[kn.Name] = kn.Values[len(kn.Values)-1]
			}
			configs = append(configs, last)
			for _, c := range configs {
				p := g.Params(c)
				got := prodWith(t, dt, m, n, k, &p)
				tol := 1e-12
				if dt == graph.Float32 {
					tol = 1e-5
				}
				for i := range ref {
					if d := math.Abs(got[i] - ref[i]); !(d <= tol*math.Sqrt(float64(k))*(1+math.Abs(ref[i]))) {
						t.Fatalf("%v %dx%dx%d blocking %v: C[%d] = %v, prior gives %v", dt, m, n, k, c, i, got[i], ref[i])
					}
				}
			}
		}
	}
}

// prodWith computes a fixed m×k by k×n product with asm.Gemm and blocking p (nil: the prior).
func prodWith(t *testing.T, dt graph.DType, m, n, k int, p *asm.GemmParams) []float64 {
	r := rand.New(rand.NewPCG(uint64(m*n), uint64(k)))
	a, b := make([]float64, m*k), make([]float64, k*n)
	for i := range a {
		a[i] = r.Float64()*2 - 1
	}
	for i := range b {
		b[i] = r.Float64()*2 - 1
	}
	out := make([]float64, m*n)
	if dt == graph.Float32 {
		c := make([]float32, m*n)
		run := gemmRunner(m, n, k, toF32(a), toF32(b), c)
		if err := run(p); err != nil {
			t.Fatal(err)
		}
		for i, v := range c {
			out[i] = float64(v)
		}
		return out
	}
	if err := gemmRunner(m, n, k, a, b, out)(p); err != nil {
		t.Fatal(err)
	}
	return out
}

package cpu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/cpuid/v2"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/graph"
)

// The GEMM kernel family of the autotuner: the cache blocking MC, KC and NC of the asm GEMM
// for one shape bucket, dtype and kernel level on this CPU. The prior is asm's BLIS model
// (asm.DefaultGemmParams); the number of threads is not a knob, GEMMs use every core.
//
// A GEMM looks its blocking up once per shape, level and dtype in a process: after the first
// call the answer is a map lookup. CROSSBAR_TUNE=off keeps the prior and reads no cache;
// cached (the default) takes a cached entry and never measures; on searches on the first
// call of a shape bucket the cache has no entry for, within gemmOnDemandBudget.

// gemmFamily is the kernel signature's prefix; the version changes whenever the knobs,
// their grids or what is measured change, so that old entries are never reused.
const gemmFamily = "cpu.gemm/v2/"

// ErrNothingToTune is wrapped by NewGemmTuning for a shape whose blocking does not matter:
// a single row or column of C runs on the GEMV kernels, which do not block.
var ErrNothingToTune = errors.New("nothing to tune")

// gemmMinWork is the least m·n·k whose blocking is looked up: smaller products fit in the
// caches whatever the blocking, and tuning them on demand would cost more than it saves.
const gemmMinWork = 32 * 32 * 32

// gemmFlopsPerCore bounds the work of one measured run, per core: about 25 ms on an
// AVX-512 core. A larger problem is measured on a sub-problem (see measuredShape).
const gemmFlopsPerCore = 2.5e9

// gemmOnDemandBudget bounds a search that a GEMM call starts in mode on.
const gemmOnDemandBudget = 30 * time.Second

// A GemmTuning is the tuning problem of one GEMM shape on this CPU: its cache key, its
// search space and the measurement that times a candidate blocking. Its Measure runs one
// candidate at a time (as a Tuner calls it); it is not for concurrent use.
type GemmTuning struct {
	Key   autotune.Key
	Space autotune.Space
	// Measured is the m, n, k of the problem each candidate is timed on: the bucketed
	// shape, or a sub-problem of it (see measuredShape).
	Measured [3]int

	dt      graph.DType
	level   string
	kernels [][2]int // the level's micro-kernels, MR×NR

	once sync.Once
	run  func(p *asm.GemmParams) error
}

// gemmCaches are the cache sizes the validity predicate works from, with the fallbacks asm
// uses where cpuid reports nothing.
func gemmCaches() (l1, l2, l3 int) {
	l1, l2, l3 = cpuid.CPU.Cache.L1D, cpuid.CPU.Cache.L2, cpuid.CPU.Cache.L3
	if l1 <= 0 {
		l1 = 32 << 10
	}
	if l2 <= 0 {
		l2 = 256 << 10
	}
	if l3 <= 0 {
		l3 = 4 << 20
	}
	return l1, l2, l3
}

// gemmFingerprint identifies the CPU a measurement holds for: its model, the number of
// workers (which sets each worker's share of L3) and the Go toolchain that built the
// kernels around the assembly.
func gemmFingerprint() autotune.Fingerprint {
	model := cpuid.CPU.BrandName
	if model == "" {
		model = runtime.GOARCH + " cpu"
	}
	return autotune.Fingerprint{
		Model:    model,
		Driver:   fmt.Sprintf("%d threads", runtime.GOMAXPROCS(0)),
		Compiler: runtime.Version(),
	}
}

// elemSize returns the size of a GEMM element of dt, or an error for a dtype the asm GEMM
// does not compute.
func elemSize(dt graph.DType) (int, error) {
	switch dt {
	case graph.Float32:
		return 4, nil
	case graph.Float64:
		return 8, nil
	}
	return 0, fmt.Errorf("dtype %v: the asm GEMM computes float32 and float64", dt)
}

// defaultGemmParams returns the prior of an m×n product of dt on level: the micro-kernel
// asm chooses for the shape and the BLIS model's blocking for it.
func defaultGemmParams(dt graph.DType, level string, m, n int) asm.GemmParams {
	if dt == graph.Float64 {
		return asm.DefaultGemmParamsFor[float64](level, m, n)
	}
	return asm.DefaultGemmParamsFor[float32](level, m, n)
}

// microKernels returns the MR×NR tiles of dt's micro-kernels on level.
func microKernels(dt graph.DType, level string) [][2]int {
	if dt == graph.Float64 {
		return asm.MicroKernels[float64](level)
	}
	return asm.MicroKernels[float32](level)
}

// NewGemmTuning returns the tuning problem of an m×n×k GEMM of dtype dt (Float32 or
// Float64) on the kernel level in use. A product with a single row or column of C is an
// error wrapping ErrNothingToTune. Nothing is allocated until the first measurement.
func NewGemmTuning(dt graph.DType, m, n, k int) (*GemmTuning, error) {
	fail := func(err error) (*GemmTuning, error) {
		return nil, fmt.Errorf("cpu: gemm tuning %v %dx%dx%d: %w", dt, m, n, k, err)
	}
	size, err := elemSize(dt)
	if err != nil {
		return fail(err)
	}
	if m <= 0 || n <= 0 || k <= 0 {
		return fail(errors.New("dimensions must be positive"))
	}
	if m == 1 || n == 1 {
		return fail(fmt.Errorf("%w: a single row or column of C runs on the GEMV kernels", ErrNothingToTune))
	}
	bucket, err := autotune.Bucket([]int{m, n, k})
	if err != nil {
		return fail(err)
	}
	level := asm.Level()
	prior := defaultGemmParams(dt, level, bucket[0], bucket[1])
	g := &GemmTuning{dt: dt, level: level, kernels: microKernels(dt, level)}
	g.Key = autotune.Key{Kernel: gemmFamily + level, Shape: bucket, DType: dt.String(), Device: gemmFingerprint()}
	floor := [3]int{prior.MC, prior.NC, 2 * prior.KC}
	g.Measured = measuredShape([3]int(bucket), floor, gemmFlopsPerCore*float64(runtime.GOMAXPROCS(0)))
	g.Space = gemmSpace(prior, g.kernels, size, g.Measured)
	return g, nil
}

// measuredShape cuts the largest dimension of d in halves until the product costs at most
// maxFlops, but none below its floor (or its own size): the prior's MC rows, NC columns and
// two KC panels of depth. The sub-problem goes through blocks of the prior's size, just
// fewer of them, so that a candidate costs tens of milliseconds instead of seconds; the price
// is that along a cut dimension, blocks larger than the prior's cannot be told apart from
// it, and are left out of the search (see gemmSpace).
func measuredShape(d, floor [3]int, maxFlops float64) [3]int {
	for 2*float64(d[0])*float64(d[1])*float64(d[2]) > maxFlops {
		i := -1
		for j := range d {
			if d[j] > floor[j] && (i < 0 || d[j] > d[i]) {
				i = j
			}
		}
		if i < 0 {
			break
		}
		d[i] = max(floor[i], d[i]/2)
	}
	return d
}

// gemmSpace builds the knobs around the prior: the micro-kernel (NR, which tells the
// level's kernels apart), KC in multiples of 8 (the packing's unit of depth), MC and NC in
// multiples of every kernel's MR and NR. A candidate is valid when its blocks fit the caches
// they are meant for (the kc×NR micro-panel of B̃ in L1, the mc×kc block Ã in L2, the kc×nc
// panel B̃ in this core's share of L3) and when it is not the same computation as a smaller
// value on the measured shape: an MC past the rows of the problem behaves as MC = the rows,
// and measuring it again would only measure noise.
func gemmSpace(prior asm.GemmParams, kernels [][2]int, size int, shape [3]int) autotune.Space {
	l1, l2, l3 := gemmCaches()
	l3share := max(l2, l3/max(1, cpuid.CPU.PhysicalCores))
	grid := func(p, unit, lo, hi int, scales []float64) []int {
		var vs []int
		for _, s := range scales {
			v := int(float64(p)*s+float64(unit)/2) / unit * unit
			vs = append(vs, min(hi, max(lo, v)))
		}
		vs = append(vs, p)
		slices.Sort(vs)
		return slices.Compact(vs)
	}
	mrOf := map[int]int{} // NR → MR
	var nrs []int
	mrUnit, nrUnit := 1, 1
	for _, t := range kernels {
		mrOf[t[1]] = t[0]
		nrs = append(nrs, t[1])
		mrUnit, nrUnit = lcm(mrUnit, t[0]), lcm(nrUnit, t[1])
	}
	slices.Sort(nrs)
	nrs = slices.Compact(nrs)
	kcs := grid(prior.KC, 8, 16, 2048, []float64{0.5, 0.625, 0.75, 0.875, 1.125, 1.25, 1.5})
	mcs := grid(prior.MC, mrUnit, mrUnit, 1<<16, []float64{0.25, 0.5, 0.75, 1.25, 1.5, 2})
	ncs := grid(prior.NC, nrUnit, nrUnit, 1<<16, []float64{0.125, 0.25, 0.5, 0.75, 1.5, 2})
	// redundant reports whether v behaves as the grid value below it on a dimension of d
	// (both cover d whole).
	redundant := func(vs []int, v, d, unit int) bool {
		full := (d + unit - 1) / unit * unit
		i := slices.Index(vs, v)
		return i > 0 && vs[i-1] >= full
	}
	return autotune.Space{
		Knobs: []autotune.Knob{{Name: "MC", Values: mcs}, {Name: "KC", Values: kcs}, {Name: "NC", Values: ncs}, {Name: "NR", Values: nrs}},
		Prior: autotune.Config{"MC": prior.MC, "KC": prior.KC, "NC": prior.NC, "NR": prior.NR},
		Valid: func(c autotune.Config) bool {
			mc, kc, nc, nr := c["MC"], c["KC"], c["NC"], c["NR"]
			if mc == prior.MC && kc == prior.KC && nc == prior.NC && nr == prior.NR {
				return true // what asm uses untuned runs anywhere; a cached prior must be found
			}
			mr, ok := mrOf[nr]
			switch {
			case !ok || mc <= 0 || kc <= 0 || nc <= 0 || mc%mr != 0 || nc%nr != 0 || kc%8 != 0:
				return false
			case kc*nr*size > l1, mc*kc*size > l2, kc*nc*size > l3share:
				return false
			}
			return !redundant(mcs, mc, shape[0], mr) && !redundant(ncs, nc, shape[1], nr) &&
				!redundant(kcs, kc, shape[2], 8)
		},
	}
}

func lcm(a, b int) int {
	g, h := a, b
	for h != 0 {
		g, h = h, g%h
	}
	return a / g * b
}

// Params translates a configuration of the space into the asm GEMM's parameters (the
// blocking and the micro-kernel), on the level the tuning problem was made for; Threads is
// left 0 (every core).
func (g *GemmTuning) Params(c autotune.Config) asm.GemmParams {
	p := asm.GemmParams{MC: c["MC"], KC: c["KC"], NC: c["NC"], Level: g.level}
	for _, t := range g.kernels {
		if t[1] == c["NR"] {
			p.MR, p.NR = t[0], t[1]
		}
	}
	return p
}

// Measure times one run of the measured problem with the blocking c, wall time. The operands
// are allocated at the first call and kept for the next ones.
func (g *GemmTuning) Measure(ctx context.Context, c autotune.Config) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	g.once.Do(g.alloc)
	p := g.Params(c)
	t0 := time.Now()
	err := g.run(&p)
	return time.Since(t0), err
}

// alloc makes the operands of the measured problem: row-major A, B and C with values of
// either sign, so that the product is neither zero nor growing, and with NaN nowhere.
func (g *GemmTuning) alloc() {
	m, n, k := g.Measured[0], g.Measured[1], g.Measured[2]
	fill := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(i%13-6) / 8
		}
		return v
	}
	switch g.dt {
	case graph.Float32:
		g.run = gemmRunner(m, n, k, toF32(fill(m*k)), toF32(fill(k*n)), make([]float32, m*n))
	default:
		g.run = gemmRunner(m, n, k, fill(m*k), fill(k*n), make([]float64, m*n))
	}
	// The first runs fault the operands' pages in and grow the packing buffers; left to
	// the first candidate, the prior, they would make it look slower than it is.
	for range 2 {
		_ = g.run(&asm.GemmParams{Level: g.level})
	}
}

func toF32(v []float64) []float32 {
	w := make([]float32, len(v))
	for i, x := range v {
		w[i] = float32(x)
	}
	return w
}

func gemmRunner[T asm.Float](m, n, k int, a, b, c []T) func(p *asm.GemmParams) error {
	am := asm.Matrix[T]{Data: a, RowStride: k, ColStride: 1}
	bm := asm.Matrix[T]{Data: b, RowStride: n, ColStride: 1}
	cm := asm.Matrix[T]{Data: c, RowStride: n, ColStride: 1}
	return func(p *asm.GemmParams) error { return asm.Gemm(m, n, k, am, bm, 0, cm, p) }
}

// Flush evicts the CPU caches, as the family's tuner does before every timed run.
func (g *GemmTuning) Flush() { gemmFlush() }

// Tune runs t on the problem and returns its result. The package's GEMMs look their
// blockings up again afterwards, so that a new winner is used at once.
func (g *GemmTuning) Tune(ctx context.Context, t *autotune.Tuner) (autotune.Result, error) {
	res, err := t.Tune(ctx, g.Key, g.Space, g.Measure)
	gemmTuner.reset()
	return res, err
}

// NewGemmTuner returns a tuner for the GEMM family in the given mode, with the cache of
// CROSSBAR_CACHE_DIR (none in mode off) and the family's measurement protocol: caches
// flushed before each repetition, and the prior kept unless a candidate beats it by 2%,
// less than which is noise on a shared machine.
func NewGemmTuner(mode autotune.Mode) *autotune.Tuner {
	t := &autotune.Tuner{Mode: mode}
	if mode != autotune.ModeOff {
		t.Cache = autotune.OpenCache("")
	}
	t.Options.Flush = gemmFlush
	t.Options.MinGain = 1.02
	return t
}

// gemmFlushSize caps the flush buffer: a virtual machine may report its host's whole L3
// (hundreds of MiB), and writing that before every repetition would cost more than most
// candidates take to run. 128 MiB evicts the private caches and whatever share of a larger
// L3 one core can hold.
const gemmFlushSize = 128 << 20

var (
	flushOnce sync.Once
	flushMu   sync.Mutex
	flusher   *autotune.Flusher
)

// gemmFlush evicts the CPU caches; the flusher is made at the first call and shared.
func gemmFlush() {
	flushOnce.Do(func() { flusher = autotune.NewFlusher(min(2*autotune.LastLevelCacheSize(), gemmFlushSize)) })
	flushMu.Lock()
	flusher.Flush()
	flushMu.Unlock()
}

// gemmParamsHook, when set, sees every blocking gemmBatched passes to asm (nil: the prior),
// so that tests can observe the choice without timing anything.
var gemmParamsHook atomic.Pointer[func(m, n, k int, p *asm.GemmParams)]

// gemmTuner is the package's blocking lookup. It reads CROSSBAR_TUNE and opens the cache at
// the first GEMM, and remembers every answer, so that a GEMM pays one map lookup.
var gemmTuner tunedBlocking

type gemmMemoKey struct {
	level   string
	dt      graph.DType
	m, n, k int
}

type tunedBlocking struct {
	mu     sync.RWMutex
	tuner  *autotune.Tuner // nil until the first lookup
	memo   map[gemmMemoKey]*asm.GemmParams
	search sync.Mutex // one on-demand search at a time: they would time each other
}

// reset forgets the mode, the cache and every answer; the next lookup reads the
// environment again.
func (tb *tunedBlocking) reset() {
	tb.mu.Lock()
	tb.tuner, tb.memo = nil, nil
	tb.mu.Unlock()
}

// envTuner returns the tuner of CROSSBAR_TUNE and CROSSBAR_CACHE_DIR. In mode cached a
// missing cache file means that there is nothing to look up: the cache is then not
// opened, so that merely running a GEMM never creates the cache directory.
func envTuner() *autotune.Tuner {
	mode, err := autotune.ModeFromEnv()
	if err != nil {
		slog.Warn("cpu: "+autotune.EnvMode+" not understood; GEMMs use cached blockings", "err", err)
	}
	if mode == autotune.ModeCached {
		dir, err := autotune.DefaultDir()
		if err != nil {
			return &autotune.Tuner{Mode: autotune.ModeOff}
		}
		if _, err := os.Stat(filepath.Join(dir, autotune.CacheFile)); err != nil {
			return &autotune.Tuner{Mode: autotune.ModeOff}
		}
	}
	t := NewGemmTuner(mode)
	t.Options.MaxCandidates = 48
	return t
}

// get returns the tuner of the environment, made at the first call after a reset.
func (tb *tunedBlocking) get() *autotune.Tuner {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.tuner == nil {
		tb.tuner = envTuner()
	}
	return tb.tuner
}

// params returns the blocking for an m×n×k product of dt on level, or nil for the prior.
func (tb *tunedBlocking) params(dt graph.DType, level string, m, n, k int) *asm.GemmParams {
	if m <= 1 || n <= 1 || m*n*k < gemmMinWork {
		return nil
	}
	mk := gemmMemoKey{level, dt, m, n, k}
	tb.mu.RLock()
	p, ok := tb.memo[mk]
	t := tb.tuner
	tb.mu.RUnlock()
	if ok {
		return p
	}
	if t == nil {
		t = tb.get()
	}
	p = tb.lookup(t, dt, level, m, n, k)
	tb.mu.Lock()
	if tb.memo == nil {
		tb.memo = map[gemmMemoKey]*asm.GemmParams{}
	}
	tb.memo[mk] = p
	tb.mu.Unlock()
	return p
}

// lookup asks t for the blocking of one shape; any failure leaves the prior.
func (tb *tunedBlocking) lookup(t *autotune.Tuner, dt graph.DType, level string, m, n, k int) *asm.GemmParams {
	if t.Mode == autotune.ModeOff {
		return nil
	}
	g, err := NewGemmTuning(dt, m, n, k)
	if err != nil || g.level != level {
		return nil
	}
	ctx := context.Background()
	if t.Mode == autotune.ModeOn {
		tb.search.Lock()
		defer tb.search.Unlock()
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, gemmOnDemandBudget)
		defer cancel()
	}
	// An error names a cancelled search (Best is then the best measured) or input the
	// family never makes; either way Best is usable.
	res, _ := t.Tune(ctx, g.Key, g.Space, g.Measure)
	if res.CacheErr != nil {
		slog.Warn("cpu: the tuning cache keeps entries in memory only", "err", res.CacheErr)
	}
	if res.Best == nil || res.Best.Equal(res.Prior) {
		return nil
	}
	p := g.Params(res.Best)
	return &p
}

package backend_gl

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/graph"
)

// The tuning families of the autotuner on GL, one per template of codegen with knobs: the
// tiles of the tiled Contract template (codegen.ContractSpace) for one shape bucket and
// dtype, the workgroup size of elementwise kernels (codegen.ElementwiseSpace) by bucketed
// element count, and the strategy and workgroup sizes of reductions (codegen.ReduceSpace)
// by bucketed output count and group length, each on this driver. Compile looks the knobs
// of a kernel up in the tuning cache, once per family, dtype and shape in a process; the
// program cache tells the variants apart (ProgramVariant). CROSSBAR_TUNE=off keeps the
// defaults; cached and on take a cached entry. Searching is done ahead of time (go run
// ./bench -tune on a gl device, KernelTuning.Tune or MatMulTuning.Tune), never inside
// Compile, which runs under the executor's lock.

// The kernel signatures of the families.
const (
	matmulFamily      = "gl." + codegen.ContractSpaceVersion
	elementwiseFamily = "gl." + codegen.ElementwiseSpaceVersion
	reduceFamily      = "gl." + codegen.ReduceSpaceVersion
)

// ErrNotTiled is wrapped by NewMatMulTuning for a product too small for the tiled
// template, which then runs one thread per output whatever the tiles.
var ErrNotTiled = errors.New("too small for tiles")

// ErrNoKnobs is wrapped by NewKernelTuning for a kernel no family tunes (a gather, or an
// empty output).
var ErrNoKnobs = errors.New("no tuned knobs")

// A family is one template's tuning problem: its signature, its space on a target and the
// translation of a configuration into options.
type family struct {
	name  string
	space func(codegen.Target) autotune.Space
	with  func(codegen.Options, autotune.Config) codegen.Options
}

var (
	contractFam    = &family{matmulFamily, codegen.ContractSpace, codegen.Options.WithContract}
	elementwiseFam = &family{elementwiseFamily, codegen.ElementwiseSpace, codegen.Options.WithElementwise}
	reduceFam      = &family{reduceFamily, codegen.ReduceSpace, codegen.Options.WithReduce}
)

// fingerprint identifies the driver a measurement holds for.
func (d *Device) fingerprint() autotune.Fingerprint {
	return autotune.Fingerprint{Model: d.info}
}

// contractShape returns the dtype, batch, m, n and k of a contraction kernel.
func contractShape(k *graph.Kernel) (dt graph.DType, batch, m, n, kk int, ok bool) {
	c := k.Core
	if c == nil || c.Op != graph.OpContract || len(c.Shape) < 2 || len(c.Src) != 2 {
		return 0, 0, 0, 0, 0, false
	}
	r := len(c.Shape)
	return c.DType, graph.NumElements(c.Shape[:r-2]), c.Shape[r-2], c.Shape[r-1], c.Src[0].View.Shape[r-1], true
}

// problemOf returns the family that tunes k, the dtype and the dimensions its key buckets:
// m, n and k of a contraction, the element count of an elementwise kernel, the output count
// and group length of a reduction. ok is false for a kernel no family tunes.
func problemOf(k *graph.Kernel) (f *family, dt graph.DType, dims []int, ok bool) {
	if k == nil || k.Out == nil {
		return nil, 0, nil, false
	}
	c := k.Core
	switch {
	case c == nil:
		if n := k.Out.Numel(); n > 0 {
			return elementwiseFam, k.Out.DType, []int{n}, true
		}
	case c.Op == graph.OpContract:
		if dt, _, m, n, kk, ok := contractShape(k); ok && m > 0 && n > 0 && kk > 0 {
			return contractFam, dt, []int{m, n, kk}, true
		}
	case c.Op.IsReduce():
		outs, in := graph.NumElements(c.Shape), graph.NumElements(c.InShape)
		if outs > 0 && in > 0 {
			return reduceFam, c.DType, []int{outs, in / outs}, true
		}
	}
	return nil, 0, nil, false
}

// tuningKey is the key of a kernel of family f, dtype dt and dimensions dims.
func (d *Device) tuningKey(f *family, dt graph.DType, dims []int) (autotune.Key, error) {
	b, err := autotune.Bucket(dims)
	if err != nil {
		return autotune.Key{}, err
	}
	return autotune.Key{Kernel: f.name, Shape: b, DType: dt.String(), Device: d.fingerprint()}, nil
}

// memoKey is what a lookup of tuned knobs depends on.
type memoKey struct {
	family string
	dt     graph.DType
	dims   [3]int
}

// knobs is the lookup of tuned configurations, by family, dtype and shape; nil records
// that the cache has none.
type knobs struct {
	mu    sync.Mutex
	tuner *autotune.Tuner
	memo  map[memoKey]autotune.Config
}

var tuned knobs

// optionsFor returns the options to compile k with: the device's, with the knobs of the
// tuning cache for a kernel whose family, dtype and shape have an entry. The device's
// options are read at every call, so that a change of them is never hidden by a memo.
func (d *Device) optionsFor(k *graph.Kernel) codegen.Options {
	f, dt, dims, ok := problemOf(k)
	if !ok {
		return d.opts
	}
	if c := d.tunedConfig(f, dt, dims); c != nil {
		return f.with(d.opts, c)
	}
	return d.opts
}

// tunedConfig returns the cached configuration of a kernel of family f, dtype dt and
// dimensions dims, or nil when there is none or it is the prior.
func (d *Device) tunedConfig(f *family, dt graph.DType, dims []int) autotune.Config {
	mk := memoKey{family: f.name, dt: dt}
	copy(mk.dims[:], dims)
	tuned.mu.Lock()
	defer tuned.mu.Unlock()
	if c, ok := tuned.memo[mk]; ok {
		return c
	}
	if tuned.tuner == nil {
		tuned.tuner = envTuner()
	}
	var c autotune.Config
	if key, err := d.tuningKey(f, dt, dims); err == nil {
		// Mode on searches only ahead of time: here it reads the cache like mode cached.
		t := *tuned.tuner
		if t.Mode == autotune.ModeOn {
			t.Mode = autotune.ModeCached
		}
		res, _ := t.Tune(context.Background(), key, f.space(d.target), nil)
		if res.CacheErr != nil {
			slog.Warn("gl: the tuning cache keeps entries in memory only", "err", res.CacheErr)
		}
		if res.Source == autotune.SourceCache && !res.Best.Equal(res.Prior) {
			c = res.Best
		}
	}
	if tuned.memo == nil {
		tuned.memo = map[memoKey]autotune.Config{}
	}
	tuned.memo[mk] = c
	return c
}

// envTuner returns the tuner of CROSSBAR_TUNE and CROSSBAR_CACHE_DIR; a missing cache file
// is nothing to look up, and is not created.
func envTuner() *autotune.Tuner {
	mode, err := autotune.ModeFromEnv()
	if err != nil {
		slog.Warn("gl: "+autotune.EnvMode+" not understood; kernels use cached knobs", "err", err)
	}
	if mode == autotune.ModeOff {
		return &autotune.Tuner{Mode: mode}
	}
	dir, err := autotune.DefaultDir()
	if err != nil {
		return &autotune.Tuner{Mode: autotune.ModeOff}
	}
	if _, err := os.Stat(filepath.Join(dir, autotune.CacheFile)); err != nil {
		return &autotune.Tuner{Mode: autotune.ModeOff}
	}
	return &autotune.Tuner{Mode: mode, Cache: autotune.OpenCache(dir)}
}

// resetTuning forgets the mode, the cache and every answer; the next lookup reads the
// environment again.
func resetTuning() {
	tuned.mu.Lock()
	tuned.tuner, tuned.memo = nil, nil
	tuned.mu.Unlock()
}

// A KernelTuning is the tuning problem of one scheduled kernel on the device: its key, the
// space of its family and a measurement that compiles the kernel with a candidate's knobs
// (once per candidate) and times one launch with the device's timer, over inputs of
// pseudo-random values. It holds device buffers until Close. Its Measure runs one
// candidate at a time, as a Tuner calls it.
type KernelTuning struct {
	Key   autotune.Key
	Space autotune.Space

	d      *Device
	kernel *graph.Kernel
	family *family
	out    backend.Buffer
	ins    []backend.Buffer
	progs  map[string]*program
	errs   map[string]error
}

// NewKernelTuning returns the tuning problem of k, a contraction, an elementwise kernel or a
// reduction; a kernel of another kind, or with an empty output, is an error wrapping
// ErrNoKnobs, and one with a buffer larger than the device's storage blocks (which runs on
// the CPU) an error wrapping backend.ErrUnsupported.
func (d *Device) NewKernelTuning(k *graph.Kernel) (*KernelTuning, error) {
	fail := func(err error) (*KernelTuning, error) { return nil, fmt.Errorf("gl: kernel tuning: %w", err) }
	f, dt, dims, ok := problemOf(k)
	if !ok {
		return fail(ErrNoKnobs)
	}
	key, err := d.tuningKey(f, dt, dims)
	if err != nil {
		return fail(err)
	}
	for _, nd := range append([]*graph.Node{k.Out}, k.Inputs...) {
		if storageBytes(nd.DType, nd.Numel()) > d.maxBlock {
			return fail(fmt.Errorf("buffer of %d x %v exceeds the device's %d-byte storage blocks: %w",
				nd.Numel(), nd.DType, d.maxBlock, backend.ErrUnsupported))
		}
	}
	g := &KernelTuning{Key: key, Space: f.space(d.target), d: d, kernel: k, family: f,
		progs: map[string]*program{}, errs: map[string]error{}}
	r := rand.New(rand.NewPCG(uint64(len(k.Inputs)), uint64(k.Out.Numel())))
	for _, in := range k.Inputs {
		buf, err := d.Alloc(in.DType, in.Numel())
		if err == nil {
			err = d.CopyIn(buf, randomData(r, in.DType, in.Numel()))
			g.ins = append(g.ins, buf)
		}
		if err != nil {
			g.Close()
			return fail(err)
		}
	}
	if g.out, err = d.Alloc(k.Out.DType, k.Out.Numel()); err != nil {
		g.Close()
		return fail(err)
	}
	return g, nil
}

// randomData returns n values of dt drawn from r, small and positive (between 0.5 and 1.5,
// or 1 to 8 for integers), so that no operation of a kernel meets a domain error.
func randomData(r *rand.Rand, dt graph.DType, n int) []byte {
	sz := dt.Size()
	raw := make([]byte, n*sz)
	for i := range n {
		v := 0.5 + r.Float64()
		b := raw[i*sz:]
		switch dt {
		case graph.Bool:
			b[0] = byte(r.IntN(2))
		case graph.Uint8:
			b[0] = byte(1 + r.IntN(8))
		case graph.Int32:
			binary.LittleEndian.PutUint32(b, uint32(1+r.IntN(8)))
		case graph.Int64:
			binary.LittleEndian.PutUint64(b, uint64(1+r.IntN(8)))
		case graph.Float16:
			// 1 + m/1024 for a 10-bit mantissa m: values in [1, 2).
			binary.LittleEndian.PutUint16(b, 0x3C00|uint16(r.IntN(1024)))
		case graph.BFloat16:
			binary.LittleEndian.PutUint16(b, uint16(math.Float32bits(float32(v))>>16))
		case graph.Float32:
			binary.LittleEndian.PutUint32(b, math.Float32bits(float32(v)))
		case graph.Float64:
			binary.LittleEndian.PutUint64(b, math.Float64bits(v))
		}
	}
	return raw
}

// Options returns the device's options with the knobs of c.
func (g *KernelTuning) Options(c autotune.Config) codegen.Options { return g.family.with(g.d.opts, c) }

// Measure times one launch of the kernel with the knobs of c, compiling it at the first
// call for c; a configuration that does not compile returns the compiler's error.
func (g *KernelTuning) Measure(ctx context.Context, c autotune.Config) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	id := c.String()
	if err, ok := g.errs[id]; ok {
		return 0, err
	}
	p, ok := g.progs[id]
	if !ok {
		var err error
		if p, err = g.d.compileWith(g.kernel, g.Options(c)); err != nil {
			g.errs[id] = err
			return 0, err
		}
		g.progs[id] = p
	}
	return g.d.Time(func() error { return g.d.Launch(p, g.out, g.ins) })
}

// Tune runs t on the problem and returns its result. Later compilations look their knobs up
// again, so that a new winner is used at once.
func (g *KernelTuning) Tune(ctx context.Context, t *autotune.Tuner) (autotune.Result, error) {
	res, err := t.Tune(ctx, g.Key, g.Space, g.Measure)
	resetTuning()
	return res, err
}

// Close frees the device buffers; the compiled programs go with the garbage collector.
func (g *KernelTuning) Close() {
	for _, b := range append(g.ins, g.out) {
		if b != nil {
			_ = g.d.Free(b)
		}
	}
	g.ins, g.out = nil, nil
	clear(g.progs)
}

// A MatMulTuning is the tuning problem of one m×n×k product of row-major matrices on the
// device: the KernelTuning of its contraction kernel.
type MatMulTuning struct {
	KernelTuning
}

// NewMatMulTuning returns the tuning problem of an m×n×k product of dtype dt (Float32 or
// Float64). A product too small for the tiled template is an error wrapping ErrNotTiled.
func (d *Device) NewMatMulTuning(dt graph.DType, m, n, k int) (*MatMulTuning, error) {
	fail := func(err error) (*MatMulTuning, error) {
		return nil, fmt.Errorf("gl: matmul tuning %v %dx%dx%d: %w", dt, m, n, k, err)
	}
	if dt != graph.Float32 && dt != graph.Float64 {
		return fail(fmt.Errorf("dtype %v: only float32 and float64 are tuned", dt))
	}
	if m <= 0 || n <= 0 || k <= 0 {
		return fail(errors.New("dimensions must be positive"))
	}
	if m < 16 || n < 16 || m*n*k < 32768 {
		return fail(fmt.Errorf("%w: under 16 rows or columns, or 32768 multiply-adds", ErrNotTiled))
	}
	// The operands' host data is never read: the tuning uploads values of its own.
	a, err := graph.Host(dt, []int{m, k}, make([]byte, m*k*dt.Size()))
	if err != nil {
		return fail(err)
	}
	b, err := graph.Host(dt, []int{k, n}, make([]byte, k*n*dt.Size()))
	if err != nil {
		return fail(err)
	}
	c, err := graph.Contract(a, b)
	if err != nil {
		return fail(err)
	}
	ks, err := graph.Schedule([]*graph.Node{c})
	if err != nil {
		return fail(err)
	}
	kern := ks[len(ks)-1]
	for _, in := range kern.Inputs {
		if in != a && in != b {
			return fail(errors.New("the product is not one kernel over its two operands"))
		}
	}
	g, err := d.NewKernelTuning(kern)
	if err != nil {
		return fail(err)
	}
	return &MatMulTuning{*g}, nil
}

package backend_gl

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/graph"
)

// The contraction family of the autotuner on GL: the tiles of codegen's tiled Contract
// template (codegen.ContractSpace) for one shape bucket and dtype on this driver. Compile
// looks the tiles of a contraction up in the tuning cache, once per shape in a process; the
// program cache tells the variants apart (ProgramVariant). CROSSBAR_TUNE=off keeps the
// defaults; cached and on take a cached entry. Searching is done ahead of time (go run
// ./bench -tune on a gl device, or MatMulTuning.Tune), never inside Compile, which runs
// under the executor's lock.

// matmulFamily is the kernel signature of tuned contractions.
const matmulFamily = "gl." + codegen.ContractSpaceVersion

// ErrNotTiled is wrapped by NewMatMulTuning for a product too small for the tiled
// template, which then runs one thread per output whatever the tiles.
var ErrNotTiled = errors.New("too small for tiles")

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

// matmulKey is the tuning key of an m×n×k contraction of dt.
func (d *Device) matmulKey(dt graph.DType, m, n, k int) (autotune.Key, error) {
	b, err := autotune.Bucket([]int{m, n, k})
	if err != nil {
		return autotune.Key{}, err
	}
	return autotune.Key{Kernel: matmulFamily, Shape: b, DType: dt.String(), Device: d.fingerprint()}, nil
}

// tiles is the device's lookup of tuned tiles, by dtype and shape.
type tiles struct {
	mu    sync.Mutex
	tuner *autotune.Tuner
	memo  map[[4]int]codegen.Options
}

var tuned tiles

// optionsFor returns the options to compile k with: the device's, with the tiles of the
// tuning cache for a contraction whose shape has an entry.
func (d *Device) optionsFor(k *graph.Kernel) codegen.Options {
	dt, _, m, n, kk, ok := contractShape(k)
	if !ok || m <= 0 || n <= 0 || kk <= 0 {
		return d.opts
	}
	mk := [4]int{int(dt), m, n, kk}
	tuned.mu.Lock()
	defer tuned.mu.Unlock()
	if o, ok := tuned.memo[mk]; ok {
		return o
	}
	if tuned.tuner == nil {
		tuned.tuner = envTuner()
	}
	o := d.opts
	if key, err := d.matmulKey(dt, m, n, kk); err == nil {
		sp := codegen.ContractSpace(d.target)
		// Mode on searches only ahead of time: here it reads the cache like mode cached.
		t := *tuned.tuner
		if t.Mode == autotune.ModeOn {
			t.Mode = autotune.ModeCached
		}
		res, _ := t.Tune(context.Background(), key, sp, nil)
		if res.CacheErr != nil {
			slog.Warn("gl: the tuning cache keeps entries in memory only", "err", res.CacheErr)
		}
		if res.Source == autotune.SourceCache && !res.Best.Equal(res.Prior) {
			o = o.WithContract(res.Best)
		}
	}
	if tuned.memo == nil {
		tuned.memo = map[[4]int]codegen.Options{}
	}
	tuned.memo[mk] = o
	return o
}

// envTuner returns the tuner of CROSSBAR_TUNE and CROSSBAR_CACHE_DIR; a missing cache file
// is nothing to look up, and is not created.
func envTuner() *autotune.Tuner {
	mode, err := autotune.ModeFromEnv()
	if err != nil {
		slog.Warn("gl: "+autotune.EnvMode+" not understood; kernels use cached tiles", "err", err)
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

// A MatMulTuning is the tuning problem of one m×n×k product of row-major matrices on the
// device: its key, its space and a measurement that compiles the kernel with a candidate's
// tiles (once per candidate) and times one launch with the device's timer. It holds device
// buffers until Close. Its Measure runs one candidate at a time, as a Tuner calls it.
type MatMulTuning struct {
	Key   autotune.Key
	Space autotune.Space

	d      *Device
	kernel *graph.Kernel
	out    backend.Buffer
	ins    []backend.Buffer
	progs  map[string]*program
	errs   map[string]error
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
	key, err := d.matmulKey(dt, m, n, k)
	if err != nil {
		return fail(err)
	}
	host := func(rows, cols int) (*graph.Node, []byte, error) {
		raw := make([]byte, rows*cols*dt.Size())
		for i := range rows * cols {
			v := float64(i%11-5) / 4
			if dt == graph.Float32 {
				binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32(v)))
			} else {
				binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(v))
			}
		}
		nd, err := graph.Host(dt, []int{rows, cols}, raw)
		return nd, raw, err
	}
	a, ra, err := host(m, k)
	if err != nil {
		return fail(err)
	}
	b, rb, err := host(k, n)
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
	g := &MatMulTuning{Key: key, Space: codegen.ContractSpace(d.target), d: d, kernel: ks[len(ks)-1],
		progs: map[string]*program{}, errs: map[string]error{}}
	data := map[*graph.Node][]byte{a: ra, b: rb}
	for _, in := range g.kernel.Inputs {
		raw, ok := data[in]
		if !ok {
			g.Close()
			return fail(errors.New("the product is not one kernel over its two operands"))
		}
		buf, err := d.Alloc(dt, in.Numel())
		if err == nil {
			err = d.CopyIn(buf, raw)
			g.ins = append(g.ins, buf)
		}
		if err != nil {
			g.Close()
			return fail(err)
		}
	}
	if g.out, err = d.Alloc(dt, m*n); err != nil {
		g.Close()
		return fail(err)
	}
	return g, nil
}

// Options returns the device's options with the tiles of c.
func (g *MatMulTuning) Options(c autotune.Config) codegen.Options { return g.d.opts.WithContract(c) }

// Measure times one launch of the product with the tiles of c, compiling it at the first
// call for c; a configuration that does not compile returns the compiler's error.
func (g *MatMulTuning) Measure(ctx context.Context, c autotune.Config) (time.Duration, error) {
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

// Tune runs t on the problem and returns its result. Later compilations look their tiles up
// again, so that a new winner is used at once.
func (g *MatMulTuning) Tune(ctx context.Context, t *autotune.Tuner) (autotune.Result, error) {
	res, err := t.Tune(ctx, g.Key, g.Space, g.Measure)
	resetTuning()
	return res, err
}

// Close frees the device buffers; the compiled programs go with the garbage collector.
func (g *MatMulTuning) Close() {
	for _, b := range append(g.ins, g.out) {
		if b != nil {
			_ = g.d.Free(b)
		}
	}
	g.ins, g.out = nil, nil
	clear(g.progs)
}

package kerneltune

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/internal/half"
)

// A KernelTuning is the tuning problem of one scheduled kernel on a device: its key, the
// space of its family and a measurement that compiles the kernel with a candidate's knobs
// (once per candidate) and times one launch with the device's timer, over inputs of
// pseudo-random values. It holds device buffers until Close. Its Measure runs one
// candidate at a time, as a Tuner calls it.
type KernelTuning struct {
	Key   autotune.Key
	Space autotune.Space

	site   *Site
	kernel *graph.Kernel
	family *Family
	base   codegen.Options
	out    backend.Buffer
	ins    []backend.Buffer
	progs  map[string]backend.Program
	errs   map[string]error
	// ref is the output of the kernel compiled with its base options, the device's own
	// choice (which the conformance suites run), and got a candidate's, both over the
	// inputs above; ref is nil until the first candidate is measured.
	ref, got []byte
}

// NewKernelTuning returns the tuning problem of k, a contraction, an elementwise kernel or a
// reduction; a kernel of another kind, or with an empty output, is an error wrapping
// ErrNoKnobs, and one the site's Check rejects that check's error.
func (s *Site) NewKernelTuning(k *graph.Kernel) (*KernelTuning, error) {
	fail := func(err error) (*KernelTuning, error) {
		return nil, fmt.Errorf("%s: kernel tuning: %w", s.backend, err)
	}
	base := s.base(k)
	p, ok := s.fams.problemOf(k, s.target, base)
	if !ok {
		return fail(ErrNoKnobs)
	}
	key, err := p.Key(s.fp)
	if err != nil {
		return fail(err)
	}
	if s.Check != nil {
		if err := s.Check(k); err != nil {
			return fail(err)
		}
	}
	g := &KernelTuning{Key: key, Space: p.Space(s.target, base), site: s, kernel: k, family: p.Family, base: base,
		progs: map[string]backend.Program{}, errs: map[string]error{}}
	if p.Family == s.fams.reduce || p.Family == s.fams.reduceColumns {
		// A split past the most that this kernel takes makes the kernel of that one: it is
		// measured once, as that one (the prior aside, which is measured as it is).
		valid, prior := g.Space.Valid, g.Space.Prior
		g.Space.Valid = func(c autotune.Config) bool {
			return valid(c) && (c.Equal(prior) || c["ReduceSplit"] <= codegen.ReduceSplitMax(k, s.target, p.Family.With(base, c)))
		}
	}
	d := s.dev
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

// Options returns the kernel's base options with the knobs of c.
func (g *KernelTuning) Options(c autotune.Config) codegen.Options { return g.family.With(g.base, c) }

// Measure times one launch of the kernel with the knobs of c, compiling it at the first
// call for c; a configuration that does not compile returns the compiler's error. At that
// first call the kernel is also run once and its output compared with the base options'
// (see check): a configuration that computes something else returns an error wrapping
// ErrWrongOutput, and is never timed.
func (g *KernelTuning) Measure(ctx context.Context, c autotune.Config) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	id := c.String()
	if err, ok := g.errs[id]; ok {
		return 0, err
	}
	d := g.site.dev
	p, ok := g.progs[id]
	if !ok {
		o := g.Options(c)
		if g.ref == nil && o.String() != g.base.String() {
			// Not stored in errs: every candidate meets the same failure.
			if err := g.reference(); err != nil {
				return 0, err
			}
		}
		var err error
		if p, err = d.CompileWith(g.kernel, o); err == nil {
			err = g.check(p)
		}
		if err != nil {
			g.errs[id] = err
			return 0, err
		}
		g.progs[id] = p
	}
	return d.Time(func() error { return d.Launch(p, g.out, g.ins) })
}

// ErrWrongOutput is wrapped by Measure for a configuration whose kernel's output differs
// from that of the kernel with the device's own options by more than rounding.
var ErrWrongOutput = errors.New("output differs from the untuned kernel's")

// reference compiles the kernel with its base options and runs it through check, which
// keeps its output as the reference.
func (g *KernelTuning) reference() error {
	p, err := g.site.dev.CompileWith(g.kernel, g.base)
	if err == nil {
		err = g.check(p)
	}
	if err != nil {
		return fmt.Errorf("%s: kernel tuning: the reference run with the base options: %w", g.site.backend, err)
	}
	return nil
}

// check runs p once and compares its output with the reference; the first program checked,
// when there is no reference yet, is the base options' own (see Measure and reference), and
// its output becomes the reference. Candidates sum in other orders (other tiles, splits,
// workgroup sizes), so values may differ by a few roundings of the output's dtype (see
// outputTolerance); integers and booleans must agree exactly. Whatever a faster kernel would gain, a tuning must never store one that computes
// something else: later runs would take it for the kernel's own.
func (g *KernelTuning) check(p backend.Program) error {
	d := g.site.dev
	if g.got == nil {
		g.got = make([]byte, g.kernel.Out.Numel()*g.kernel.Out.DType.Size())
	}
	got := g.got
	if err := d.Launch(p, g.out, g.ins); err != nil {
		return err
	}
	if err := d.CopyOut(got, g.out); err != nil {
		return err
	}
	if g.ref == nil {
		g.ref = append([]byte(nil), got...)
		return nil
	}
	dt := g.kernel.Out.DType
	n, sz := g.kernel.Out.Numel(), dt.Size()
	tol, float := outputTolerance(dt)
	for i := range n {
		w, v := g.ref[i*sz:(i+1)*sz], got[i*sz:(i+1)*sz]
		if bytes.Equal(w, v) {
			continue
		}
		if float {
			fw, fv := value(dt, w), value(dt, v)
			if fw != fw && fv != fv || math.Abs(fv-fw) <= tol*(1+math.Abs(fw)) {
				continue
			}
		}
		return fmt.Errorf("%s: kernel tuning: element %d of %d is %x, the untuned kernel's %x (%v): %w",
			g.site.backend, i, n, v, w, dt, ErrWrongOutput)
	}
	return nil
}

// outputTolerance is how far, relative to 1 + |value|, a candidate's output may lie from
// the reference's, and whether dt is a float (other dtypes must agree bit for bit). The
// inputs are between 0.5 and 1.5 (see randomData), so that nothing cancels: four roundings
// of a 16-bit float, and for float32 and float64 more than sums of millions of terms in
// another order differ by. A float32 sum with one of 256 blocks left out (0.4%) is still
// refused; in 16 bits only errors over 0.4% (float16) or 3.1% (bfloat16) are, such as
// garbage, a tile not written, a sum counted twice.
func outputTolerance(dt graph.DType) (float64, bool) {
	switch dt {
	case graph.Float16:
		return 0x1p-8, true
	case graph.BFloat16:
		return 0x1p-5, true
	case graph.Float32:
		return 2e-3, true
	case graph.Float64:
		return 1e-8, true
	}
	return 0, false
}

// value is the float of little-endian bytes b of dtype dt, as a float64.
func value(dt graph.DType, b []byte) float64 {
	switch dt {
	case graph.Float16:
		return float64(half.Float16To(binary.LittleEndian.Uint16(b)))
	case graph.BFloat16:
		return float64(half.BFloat16To(binary.LittleEndian.Uint16(b)))
	case graph.Float32:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

// Tune runs t on the problem and returns its result. Later compilations look their knobs up
// again, so that a new winner is used at once.
func (g *KernelTuning) Tune(ctx context.Context, t *autotune.Tuner) (autotune.Result, error) {
	res, err := t.Tune(ctx, g.Key, g.Space, g.Measure)
	Reset()
	return res, err
}

// Close frees the device buffers; the compiled programs go with the garbage collector.
func (g *KernelTuning) Close() {
	for _, b := range append(g.ins, g.out) {
		if b != nil {
			_ = g.site.dev.Free(b)
		}
	}
	g.ins, g.out = nil, nil
	clear(g.progs)
}

// A MatMulTuning is the tuning problem of one m×n×k product of row-major matrices on a
// device: the KernelTuning of its contraction kernel.
type MatMulTuning struct {
	KernelTuning
}

// NewMatMulTuning returns the tuning problem of an m×n×k product of dtype dt: Float32 or
// Float64 on the tiled template, Float16 or BFloat16 where the product goes to tensor
// cores. A Float32 or Float64 product too small for the tiled template is an error
// wrapping ErrNotTiled.
func (s *Site) NewMatMulTuning(dt graph.DType, m, n, k int) (*MatMulTuning, error) {
	fail := func(err error) (*MatMulTuning, error) {
		return nil, fmt.Errorf("%s: matmul tuning %v %dx%dx%d: %w", s.backend, dt, m, n, k, err)
	}
	if !dt.Valid() {
		return fail(fmt.Errorf("dtype %v", dt))
	}
	if m <= 0 || n <= 0 || k <= 0 {
		return fail(errors.New("dimensions must be positive"))
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
	if p, ok := s.Problem(kern); !ok || p.Family != s.fams.tensorContract {
		if dt != graph.Float32 && dt != graph.Float64 {
			return fail(fmt.Errorf("dtype %v: only float32 and float64 are tuned, and float16 and bfloat16 on tensor cores: %w", dt, backend.ErrUnsupported))
		}
		if m < 16 || n < 16 || m*n*k < 32768 {
			return fail(fmt.Errorf("%w: under 16 rows or columns, or 32768 multiply-adds", ErrNotTiled))
		}
	}
	g, err := s.NewKernelTuning(kern)
	if err != nil {
		return fail(err)
	}
	return &MatMulTuning{*g}, nil
}

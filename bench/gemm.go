package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/internal/half"
	"github.com/crossbar-compute/crossbar/internal/openblas"
	"github.com/crossbar-compute/crossbar/tensor"
)

func init() { register(gemmSuite{}) }

// gemmSuite measures square SGEMM and DGEMM through the tensor API, each next to OpenBLAS
// on the host, in the same run, and the BFloat16 product next to the SGEMM.
type gemmSuite struct{}

func (gemmSuite) Name() string { return "gemm" }

func (gemmSuite) Description() string {
	return "square float32 and float64 matmul for each of -sizes (default 1024,2048) next to OpenBLAS on all cores; bfloat16 next to float32"
}

// headerLine says which OpenBLAS runs (writeHeader prints it).
func (gemmSuite) headerLine() string { return openblasLine() }

// openblasLine describes the OpenBLAS the suites compare with.
func openblasLine() string {
	if err := openblas.Available(); err != nil {
		return "openblas: " + err.Error()
	}
	ct := os.Getenv("OPENBLAS_CORETYPE")
	if ct == "" {
		ct = "unset"
	}
	return fmt.Sprintf("openblas: core %s (OPENBLAS_CORETYPE %s), %d threads; %s",
		openblas.CoreType(), ct, runtime.GOMAXPROCS(0), openblas.Config())
}

// gemmSizes are the sizes of the gemm suite: -sizes when given, else its own defaults.
func gemmSizes(opts Options) []int {
	switch {
	case opts.sizesGiven:
		return opts.Sizes
	case opts.Quick:
		return []int{128, 256}
	}
	return []int{1024, 2048}
}

func (s gemmSuite) Run(ctx context.Context, dev backend.Device, opts Options) ([]Row, error) {
	var rows []Row
	for i, n := range gemmSizes(opts) {
		for _, f64 := range []bool{false, true} {
			if err := ctx.Err(); err != nil {
				return rows, err
			}
			name := "sgemm"
			if f64 {
				name = "dgemm"
			}
			opts.progress("%s: %s %s n=%d", dev.Name(), s.Name(), name, n)
			sh := gemmShape{m: n, n: n, k: n}
			cb, ob := runGemmPair(ctx, dev, opts, s.Name(), name, strconv.Itoa(n), sh, f64, uint64(i))
			rows = append(rows, cb, ob)
			if !f64 && cb.OK() {
				opts.progress("%s: %s sgemm+bias+relu n=%d", dev.Name(), s.Name(), n)
				rows = append(rows, runEpilogue(ctx, dev, opts, s.Name(), n, cb.Time))
			}
			if !f64 {
				opts.progress("%s: %s bf16gemm n=%d", dev.Name(), s.Name(), n)
				rows = append(rows, runBF16(ctx, dev, opts, s.Name(), sh, uint64(i), cb))
			}
		}
	}
	return rows, ctx.Err()
}

// gemmShape is C[m,n] = op(A)[m,k]·op(B)[k,n] in row-major storage; A is stored k×m when
// ta, B n×k when tb.
type gemmShape struct {
	m, n, k int
	ta, tb  bool
}

func (g gemmShape) flops() float64 { return 2 * float64(g.m) * float64(g.n) * float64(g.k) }

// stored returns the stored shapes of A and B.
func (g gemmShape) stored() (ar, ac, br, bc int) {
	ar, ac, br, bc = g.m, g.k, g.k, g.n
	if g.ta {
		ar, ac = g.k, g.m
	}
	if g.tb {
		br, bc = g.n, g.k
	}
	return
}

// runGemmPair measures one product with crossbar on dev and with OpenBLAS on the host,
// and returns the two rows; the crossbar row's note gets the ratio of the rates.
func runGemmPair(ctx context.Context, dev backend.Device, opts Options, suite, name, size string, g gemmShape, f64 bool, seed uint64) (Row, Row) {
	ar, ac, br, bc := g.stored()
	ha, hb := randomVector(100+2*seed, ar*ac), randomVector(101+2*seed, br*bc)
	cb := Row{Device: dev.Name(), Suite: suite, Case: name, Size: size}
	var err error
	if f64 {
		err = runCrossbar(ctx, dev, opts, g, widen(ha), widen(hb), &cb)
	} else {
		err = runCrossbar(ctx, dev, opts, g, ha, hb, &cb)
	}
	if err != nil {
		cb.fail(err)
	}
	ob := Row{Device: dev.Name(), Suite: suite, Case: name + "-openblas", Size: size}
	if ctx.Err() != nil {
		ob.fail(ctx.Err())
		return cb, ob
	}
	if f64 {
		err = runOpenBLAS(ctx, opts, g, widen(ha), widen(hb), &ob)
	} else {
		err = runOpenBLAS(ctx, opts, g, ha, hb, &ob)
	}
	if err != nil {
		ob.fail(err)
	}
	if cb.OK() && ob.OK() && ob.Rate > 0 {
		note := fmt.Sprintf("%.2fx OpenBLAS", cb.Rate/ob.Rate)
		if cb.Note != "" {
			note += "; " + cb.Note
		}
		cb.Note = note
	}
	return cb, ob
}

func widen(v []float32) []float64 {
	w := make([]float64, len(v))
	for i, x := range v {
		w[i] = float64(x)
	}
	return w
}

// runCrossbar measures op(A)·op(B) through the tensor API (Transpose views for ta, tb).
func runCrossbar[T float32 | float64](ctx context.Context, dev backend.Device, opts Options, g gemmShape, ha, hb []T, row *Row) error {
	ar, ac, br, bc := g.stored()
	a, err := onDeviceT(dev, ha, ar, ac)
	if err != nil {
		return err
	}
	defer freeTensor(a)
	b, err := onDeviceT(dev, hb, br, bc)
	if err != nil {
		return err
	}
	defer freeTensor(b)
	tm, out, err := measureProduct(ctx, dev, opts.Reps, g, a, b)
	if err != nil {
		return err
	}
	defer freeTensor(out)
	row.setTiming(tm, g.flops(), "flops", 1e9, "GFLOP/s", 1)
	got, err := tensor.Data[T](out)
	if err != nil {
		return err
	}
	return checkGemm(got, ha, hb, g)
}

// runEpilogue measures relu(A·B + bias) for square float32 matrices, which the device
// should compute as one kernel, and notes its time relative to the product alone (plain,
// measured before) and to the bias and activation run as a pass of their own.
func runEpilogue(ctx context.Context, dev backend.Device, opts Options, suite string, n int, plain time.Duration) Row {
	row := Row{Device: dev.Name(), Suite: suite, Case: "sgemm+bias+relu", Size: strconv.Itoa(n)}
	var ts []*tensor.Tensor
	defer func() {
		for _, t := range ts {
			freeTensor(t)
		}
	}()
	for i, shape := range [][]int{{n, n}, {n, n}, {n}} {
		size := 1
		for _, d := range shape {
			size *= d
		}
		t, err := onDevice(dev, randomVector(200+uint64(i), size), shape...)
		if err != nil {
			row.fail(err)
			return row
		}
		ts = append(ts, t)
	}
	a, b, bias := ts[0], ts[1], ts[2]
	tm, out, err := measure(ctx, dev, opts.Reps, func() *tensor.Tensor { return a.MatMul(b).Add(bias).ReLU() })
	if err != nil {
		row.fail(err)
		return row
	}
	freeTensor(out)
	row.setTiming(tm, 2*float64(n)*float64(n)*float64(n), "flops", 1e9, "GFLOP/s", 1)
	// The same bias and activation as a pass of their own over a realized product.
	mm := a.MatMul(b)
	if err := mm.Realize(); err != nil {
		row.fail(err)
		return row
	}
	ts = append(ts, mm)
	sep, out, err := measure(ctx, dev, opts.Reps, func() *tensor.Tensor { return mm.Add(bias).ReLU() })
	if err != nil {
		row.fail(err)
		return row
	}
	freeTensor(out)
	note := fmt.Sprintf("%.3fx the time of sgemm alone; as two passes (sgemm, then bias+relu) %.3fx",
		row.Time.Seconds()/plain.Seconds(), (plain+sep.best()).Seconds()/plain.Seconds())
	if row.Note != "" {
		note += "; " + row.Note
	}
	row.Note = note
	return row
}

// runBF16 measures the product of the sgemm row's operands rounded to BFloat16 (with the
// same seed), and notes its rate relative to that row's.
func runBF16(ctx context.Context, dev backend.Device, opts Options, suite string, g gemmShape, seed uint64, sgemm Row) Row {
	row := Row{Device: dev.Name(), Suite: suite, Case: "bf16gemm", Size: strconv.Itoa(g.m)}
	ar, ac, br, bc := g.stored()
	ha, hb := randomVector(100+2*seed, ar*ac), randomVector(101+2*seed, br*bc)
	var ts []*tensor.Tensor
	defer func() {
		for _, t := range ts {
			freeTensor(t)
		}
	}()
	var ops [2]*tensor.Tensor
	for i, x := range [][]float32{ha, hb} {
		for j, v := range x {
			x[j] = half.BFloat16To(half.BFloat16From(v)) // the values the product sees
		}
		shape := []int{ar, ac}
		if i == 1 {
			shape = []int{br, bc}
		}
		t, err := onDevice(dev, x, shape...)
		if err != nil {
			row.fail(err)
			return row
		}
		ts = append(ts, t)
		ops[i] = t.Cast(tensor.BFloat16)
		if err := ops[i].Realize(); err != nil {
			row.fail(fmt.Errorf("BFloat16 input on %s: %w", dev.Name(), err))
			return row
		}
		ts = append(ts, ops[i])
	}
	tm, out, err := measureProduct(ctx, dev, opts.Reps, g, ops[0], ops[1])
	if err != nil {
		row.fail(err)
		return row
	}
	ts = append(ts, out)
	row.setTiming(tm, g.flops(), "flops", 1e9, "GFLOP/s", 1)
	got, err := tensor.Data[float32](out)
	if err == nil {
		// The result is rounded to BFloat16 (8 bits).
		err = checkGemmWithin(got, ha, hb, g, 1e-2)
	}
	if err != nil {
		row.fail(err)
		return row
	}
	if sgemm.OK() && sgemm.Rate > 0 {
		note := fmt.Sprintf("%.2fx sgemm", row.Rate/sgemm.Rate)
		if row.Note != "" {
			note += "; " + row.Note
		}
		row.Note = note
	}
	return row
}

// onDeviceT is onDevice for float32 or float64 data.
func onDeviceT[T float32 | float64](dev backend.Device, data []T, shape ...int) (*tensor.Tensor, error) {
	t := tensor.New(data, shape...).To(dev)
	if err := t.Realize(); err != nil {
		return nil, fmt.Errorf("input %v on %s: %w", shape, dev.Name(), err)
	}
	return t, nil
}

// openblasSpin outlasts the spinning of OpenBLAS's idle worker threads.
const openblasSpin = 300 * time.Millisecond

// runOpenBLAS measures the same product with OpenBLAS on all cores (wall time).
func runOpenBLAS[T float32 | float64](ctx context.Context, opts Options, g gemmShape, ha, hb []T, row *Row) error {
	if err := openblas.Available(); err != nil {
		return err
	}
	openblas.SetThreads(runtime.GOMAXPROCS(0))
	// OpenBLAS's worker threads keep spinning for a while after a call (2^28 cycles by
	// default), which would take a core from whatever is measured next.
	defer time.Sleep(openblasSpin)
	_, ac, _, bc := g.stored()
	c := make([]T, g.m*g.n)
	call := func() error {
		switch a := any(ha).(type) {
		case []float32:
			return openblas.Sgemm(g.ta, g.tb, g.m, g.n, g.k, 1, a, ac, any(hb).([]float32), bc, 0, any(c).([]float32), g.n)
		case []float64:
			return openblas.Dgemm(g.ta, g.tb, g.m, g.n, g.k, 1, a, ac, any(hb).([]float64), bc, 0, any(c).([]float64), g.n)
		}
		return errors.New("unsupported type")
	}
	if err := call(); err != nil { // warm-up: threads start, pages are touched
		return err
	}
	var tm timing
	for range opts.Reps {
		if err := ctx.Err(); err != nil {
			return err
		}
		runtime.GC()
		t0 := time.Now()
		err := call()
		d := time.Since(t0)
		if err != nil {
			return err
		}
		tm.times = append(tm.times, d)
	}
	row.setTiming(tm, g.flops(), "flops", 1e9, "GFLOP/s", 0)
	row.Note = "core " + openblas.CoreType()
	return checkGemm(c, ha, hb, g)
}

// checkGemm compares some elements of c = op(a)·op(b) with sums computed on the host, as
// checkMatMul does; float64 results get a tighter tolerance.
func checkGemm[T float32 | float64](c, a, b []T, g gemmShape) error {
	tol := 1e-3
	if _, ok := any(c).([]float64); ok {
		tol = 1e-9
	}
	return checkGemmWithin(c, a, b, g, tol)
}

// checkGemmWithin is checkGemm with the tolerance tol relative to sum_k |a_ik·b_kj|.
func checkGemmWithin[T float32 | float64](c, a, b []T, g gemmShape, tol float64) error {
	m, n, k := g.m, g.n, g.k
	if len(c) != m*n {
		return fmt.Errorf("product has %d elements, want %d", len(c), m*n)
	}
	if m == 0 || n == 0 {
		return nil
	}
	points := [][2]int{{0, 0}, {0, n - 1}, {m - 1, 0}, {m - 1, n - 1}}
	for p := range 60 {
		points = append(points, [2]int{(p*7919 + 13) % m, (p*104729 + 7) % n})
	}
	for _, p := range points {
		i, j := p[0], p[1]
		var want, mag float64
		for q := range k {
			av := a[i*k+q]
			if g.ta {
				av = a[q*m+i]
			}
			bv := b[q*n+j]
			if g.tb {
				bv = b[j*k+q]
			}
			v := float64(av) * float64(bv)
			want += v
			mag += math.Abs(v)
		}
		got := float64(c[i*n+j])
		if d := math.Abs(got - want); !(d <= tol*mag) {
			return fmt.Errorf("wrong result: C[%d,%d] is %v, want %v", i, j, got, want)
		}
	}
	return nil
}

// findModuleRoot returns the nearest directory at or above dir holding a go.mod, or "".
func findModuleRoot(dir string) string {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

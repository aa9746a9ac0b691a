package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend_cuda"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/internal/half"
	"github.com/crossbar-compute/crossbar/tensor"
)

func init() { register(cublasSuite{}) }

// cublasSuite measures GEMMs in float16, bfloat16 and float32 on a cuda device, each next
// to cuBLAS on the same device and values, in the same run.
type cublasSuite struct{}

func (cublasSuite) Name() string { return "cublas" }

func (cublasSuite) Description() string {
	return "cuda devices: f16, bf16 and f32 GEMM at 8192³ (or -sizes) and the DeepBench training shapes, each next to cuBLAS"
}

// cublasDTypes are the dtypes measured, with the tolerance of a product relative to
// sum_k |a_ik·b_kj|: float32 accumulation and the rounding of the output to the dtype.
var cublasDTypes = []struct {
	name string
	dt   graph.DType
	tol  float64
}{{"hgemm", graph.Float16, 2e-3}, {"bf16gemm", graph.BFloat16, 1e-2}, {"sgemm", graph.Float32, 1e-3}}

// cublasShape is a product of the suite and its row labels.
type cublasShape struct {
	set, size string
	gemmShape
}

// cublasShapes are the cubes (-sizes when given, else 8192; 1024 with -quick), then the
// "train" problems of the DeepBench list (none with -deepbench none). A missing list is
// returned as an error after the cubes, which are still measured.
func cublasShapes(opts Options) ([]cublasShape, error) {
	sizes := []int{8192}
	switch {
	case opts.sizesGiven:
		sizes = opts.Sizes
	case opts.Quick:
		sizes = []int{1024}
	}
	var out []cublasShape
	for _, n := range sizes {
		out = append(out, cublasShape{set: "square", size: strconv.Itoa(n), gemmShape: gemmShape{m: n, n: n, k: n}})
	}
	if opts.Deepbench == "none" {
		return out, nil
	}
	probs, err := deepbenchProblems(opts)
	for _, p := range probs {
		if p.set == "train" {
			out = append(out, cublasShape{set: p.set + "-" + tn(p.ta) + tn(p.tb), size: fmt.Sprintf("%dx%dx%d", p.m, p.n, p.k), gemmShape: p.gemmShape})
		}
	}
	return out, err
}

func (s cublasSuite) Run(ctx context.Context, dev backend.Device, opts Options) ([]Row, error) {
	cd, ok := dev.(*backend_cuda.Device)
	if !ok {
		return []Row{{Device: dev.Name(), Suite: s.Name(), Case: "-", Size: "-", Skip: "cuBLAS runs on cuda devices only"}}, nil
	}
	blas, blasErr := cd.BLAS()
	if blasErr == nil {
		defer blas.Close()
		opts.progress("%s: %s", dev.Name(), blas.Info())
	}
	shapes, listErr := cublasShapes(opts)
	var rows []Row
	for i, sh := range shapes {
		// One set of values per shape, rounded to each dtype in turn.
		ar, ac, br, bc := sh.stored()
		fa, fb := randomVector(3000+2*uint64(i), ar*ac), randomVector(3001+2*uint64(i), br*bc)
		for _, d := range cublasDTypes {
			if err := ctx.Err(); err != nil {
				return rows, err
			}
			name := d.name
			if sh.set != "square" {
				name = sh.set + "-" + d.name
			}
			opts.progress("%s: %s %s %s", dev.Name(), s.Name(), name, sh.size)
			ha, hb := roundTo(d.dt, fa), roundTo(d.dt, fb)
			cb := Row{Device: dev.Name(), Suite: s.Name(), Case: name, Size: sh.size}
			if err := runCrossbarHalf(ctx, dev, opts, sh.gemmShape, d.dt, d.tol, ha, hb, &cb); err != nil {
				cb.fail(err)
			}
			vb := Row{Device: dev.Name(), Suite: s.Name(), Case: name + "-cublas", Size: sh.size}
			switch {
			case blasErr != nil:
				vb.Skip = "reference unavailable: " + blasErr.Error()
			case ctx.Err() != nil:
				vb.fail(ctx.Err())
			default:
				if err := runCUBLAS(ctx, cd, blas, opts, sh.gemmShape, d.dt, d.tol, ha, hb, &vb); err != nil {
					vb.fail(err)
				}
			}
			if cb.OK() && vb.OK() && vb.Skip == "" && vb.Rate > 0 {
				note := fmt.Sprintf("%.2fx cuBLAS", cb.Rate/vb.Rate)
				if cb.Note != "" {
					note += "; " + cb.Note
				}
				cb.Note = note
			}
			if cb.OK() {
				if k := kernelNote(cd.Source, sh.gemmShape, d.dt); k != "" {
					cb.Note = strings.TrimPrefix(cb.Note+"; "+k, "; ")
				}
			}
			rows = append(rows, cb, vb)
		}
	}
	if listErr != nil {
		return rows, listErr
	}
	return rows, ctx.Err()
}

// keptNotes are the beginnings of the notes of codegen, past the template's, that
// kernelNote keeps.
var keptNotes = []string{"split K: ", "tiles in bands ", "tiles loaded by ", "tiles stored in "}

// kernelNote is what codegen notes of the kernel that source renders for the product g in
// dtype dt (its template, tiles, a split of K, the order of its tiles), "" if that cannot
// be had: for reading the ratios. The operands' host data is never read.
func kernelNote(source func(*graph.Kernel) (string, error), g gemmShape, dt graph.DType) string {
	ar, ac, br, bc := g.stored()
	zero := make([]byte, max(ar*ac, br*bc)*dt.Size())
	operand := func(rows, cols int, trans bool) (*graph.Node, error) {
		x, err := graph.Host(dt, []int{rows, cols}, zero[:rows*cols*dt.Size()])
		if err != nil || !trans {
			return x, err
		}
		return graph.Permute(x, []int{1, 0})
	}
	a, err := operand(ar, ac, g.ta)
	if err != nil {
		return ""
	}
	b, err := operand(br, bc, g.tb)
	if err != nil {
		return ""
	}
	c, err := graph.Contract(a, b)
	if err != nil {
		return ""
	}
	ks, err := graph.Schedule([]*graph.Node{c})
	if err != nil || len(ks) == 0 {
		return ""
	}
	src, err := source(ks[len(ks)-1])
	if err != nil {
		return ""
	}
	var notes []string
	for _, line := range strings.Split(src, "\n") {
		if n, ok := strings.CutPrefix(line, "// contract "); ok {
			notes = append(notes, n)
		} else if n, ok := strings.CutPrefix(line, "// "); ok && slices.ContainsFunc(keptNotes, func(p string) bool { return strings.HasPrefix(n, p) }) {
			notes = append(notes, n)
		}
	}
	return strings.Join(notes, "; ")
}

// roundTo returns v rounded to dt (float32 values are kept as they are).
func roundTo(dt graph.DType, v []float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		switch dt {
		case graph.Float16:
			x = half.Float16To(half.Float16From(x))
		case graph.BFloat16:
			x = half.BFloat16To(half.BFloat16From(x))
		}
		out[i] = x
	}
	return out
}

// deviceBytes returns v (already rounded to dt) as the device stores dt.
func deviceBytes(dt graph.DType, v []float32) []byte {
	out := make([]byte, len(v)*dt.Size())
	for i, x := range v {
		switch dt {
		case graph.Float16:
			binary.LittleEndian.PutUint16(out[2*i:], half.Float16From(x))
		case graph.BFloat16:
			binary.LittleEndian.PutUint16(out[2*i:], half.BFloat16From(x))
		default:
			binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
		}
	}
	return out
}

// runCrossbarHalf measures op(A)·op(B) in dtype dt through the tensor API, as runCrossbar
// does for float32: inputs are made on the device from ha and hb (exact in dt) by a cast.
func runCrossbarHalf(ctx context.Context, dev backend.Device, opts Options, g gemmShape, dt graph.DType, tol float64, ha, hb []float32, row *Row) error {
	ar, ac, br, bc := g.stored()
	input := func(h []float32, rows, cols int) (*tensor.Tensor, error) {
		t := tensor.New(h, rows, cols).To(dev)
		if dt != graph.Float32 {
			t = t.Cast(dt)
		}
		if err := t.Realize(); err != nil {
			return nil, fmt.Errorf("input %v %dx%d on %s: %w", dt, rows, cols, dev.Name(), err)
		}
		return t, nil
	}
	a, err := input(ha, ar, ac)
	if err != nil {
		return err
	}
	defer freeTensor(a)
	b, err := input(hb, br, bc)
	if err != nil {
		return err
	}
	defer freeTensor(b)
	tm, out, err := measureProduct(ctx, dev, opts.Reps, g, a, b)
	if err != nil {
		return err
	}
	defer freeTensor(out)
	row.setTiming(tm, g.flops(), "flops", 1e12, "TFLOP/s", 1)
	got, err := tensor.Data[float32](out)
	if err != nil {
		return err
	}
	return checkGemmWithin(got, ha, hb, g, tol)
}

// runCUBLAS measures the same product with cuBLAS on the device (device events around
// each call), after an untimed warm-up, and checks its last result.
func runCUBLAS(ctx context.Context, dev *backend_cuda.Device, blas *backend_cuda.BLAS, opts Options, g gemmShape, dt graph.DType, tol float64, ha, hb []float32, row *Row) error {
	var bufs []backend.Buffer
	defer func() {
		for _, b := range bufs {
			_ = dev.Free(b)
		}
	}()
	for _, h := range [][]float32{ha, hb, nil} {
		n := g.m * g.n
		if h != nil {
			n = len(h)
		}
		b, err := dev.Alloc(dt, n)
		if err != nil {
			return err
		}
		bufs = append(bufs, b)
		if h != nil {
			if err := dev.CopyIn(b, deviceBytes(dt, h)); err != nil {
				return err
			}
		}
	}
	call := func() error { return blas.Gemm(g.ta, g.tb, g.m, g.n, g.k, bufs[0], bufs[1], bufs[2]) }
	tm, err := measureCalls(ctx, dev, opts.Reps, call)
	if err != nil {
		return err
	}
	row.setTiming(tm, g.flops(), "flops", 1e12, "TFLOP/s", 0)
	raw := make([]byte, g.m*g.n*dt.Size())
	if err := dev.CopyOut(raw, bufs[2]); err != nil {
		return err
	}
	got := make([]float32, g.m*g.n)
	for i := range got {
		switch dt {
		case graph.Float16:
			got[i] = half.Float16To(binary.LittleEndian.Uint16(raw[2*i:]))
		case graph.BFloat16:
			got[i] = half.BFloat16To(binary.LittleEndian.Uint16(raw[2*i:]))
		default:
			got[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	}
	return checkGemmWithin(got, ha, hb, g, tol)
}

// cublasLine describes the cuBLAS the suite compares with (writeHeader prints it).
func (cublasSuite) headerLine() string {
	for _, d := range backend.Devices() {
		if cd, ok := d.(*backend_cuda.Device); ok {
			b, err := cd.BLAS()
			if err != nil {
				return "cublas: " + strings.TrimPrefix(err.Error(), "cuBLAS: ")
			}
			defer b.Close()
			return "cublas: " + b.Info()
		}
	}
	return "cublas: no cuda device"
}

package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/codegen/kerneltune"
	"github.com/crossbar-compute/crossbar/graph"
)

// The GL device registers kernelTuneProblems where cgo builds it (backends_cgo.go).
func init() { tuneFamilies["cuda"] = kernelTuneProblems }

// A kernelDevice is a device that tunes the knobs of codegen's templates (GL, CUDA).
type kernelDevice interface {
	backend.Device
	NewKernelTuning(k *graph.Kernel) (*kerneltune.KernelTuning, error)
	NewMatMulTuning(dt graph.DType, m, n, k int) (*kerneltune.MatMulTuning, error)
}

// kernelTuneProblems returns the float32 products of the matmul and gemm suites (or of
// -tune-shapes), and the cubes of the cublas suite in each of its dtypes, as tile tuning
// problems of a device that compiles through codegen, and the elementwise kernels and
// reductions of the elementwise suite as problems of their own knobs.
func kernelTuneProblems(dev backend.Device, suite string, opts Options) ([]tuneProblem, error) {
	d, ok := dev.(kernelDevice)
	if !ok {
		return nil, fmt.Errorf("%s does not tune codegen's knobs", dev.Name())
	}
	var dims [][3]int
	name := "f32"
	dts := []graph.DType{graph.Float32}
	switch suite {
	case "cublas":
		// The cubes, in each dtype of the suite (Float16 and BFloat16 tune the tensor-core
		// tiles); the DeepBench rows read transposed operands, which the problems here do not.
		name, dts = "", nil
		for _, c := range cublasDTypes {
			dts = append(dts, c.dt)
		}
		shapes, _ := cublasShapes(opts)
		for _, c := range shapes {
			if c.set == "square" {
				dims = append(dims, [3]int{c.m, c.n, c.k})
			}
		}
	case "elementwise":
		return kernelProblems(d, suite, opts.N)
	case tuneShapesSuite:
		dims = opts.TuneShapes
	case "matmul":
		for _, n := range opts.Sizes {
			dims = append(dims, [3]int{n, n, n})
		}
	case "gemm":
		name = "sgemm"
		for _, n := range gemmSizes(opts) {
			dims = append(dims, [3]int{n, n, n})
		}
	default:
		return nil, nil
	}
	var out []tuneProblem
	for _, dt := range dts {
		for _, s := range dims {
			p, err := matMulProblem(d, suite, name, dt, s)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// matMulProblem is the tile tuning problem of the product s (m, n, k) of dtype dt, named
// name (the suite's name of the dtype when empty).
func matMulProblem(d kernelDevice, suite, name string, dt graph.DType, s [3]int) (tuneProblem, error) {
	size := fmt.Sprintf("%dx%dx%d", s[0], s[1], s[2])
	if suite != tuneShapesSuite {
		size = strconv.Itoa(s[0])
	}
	if name == "" {
		for _, c := range cublasDTypes {
			if c.dt == dt {
				name = c.name
			}
		}
	}
	p := tuneProblem{suite: suite, name: name, size: size, dtype: dt}
	g, err := d.NewMatMulTuning(dt, s[0], s[1], s[2])
	switch {
	case errors.Is(err, kerneltune.ErrNotTiled):
		p.skip = "too small for the tiled template"
	case errors.Is(err, backend.ErrUnsupported) && dt != graph.Float32:
		p.skip = "no tuned tiles for " + dt.String() + " here (tensor cores only)"
	case err != nil:
		return p, err
	default:
		p.key, p.space, p.measure, p.tune, p.close = g.Key, g.Space, g.Measure, g.Tune, g.Close
	}
	return p, nil
}

// kernelProblems returns the elementwise and reduction kernels of the elementwise suite
// for vectors of n float32 as tuning problems: the fused relu(a*b+c) over n, the sum over
// 4n, and a row reduction as in a softmax, the maximum of each 1024-element row of n.
func kernelProblems(d kernelDevice, suite string, n int) ([]tuneProblem, error) {
	if n <= 0 {
		return nil, fmt.Errorf("vector length %d", n)
	}
	// The leaves' host data is never read (the tuning uploads values of its own), so one
	// untouched zero buffer serves them all.
	zeros := make([]byte, 4*4*n)
	leaf := func(shape ...int) (*graph.Node, error) {
		return graph.Host(graph.Float32, shape, zeros[:4*graph.NumElements(shape)])
	}
	relu := func() (*graph.Node, error) { return reluGraph(n) }
	sum := func() (*graph.Node, error) {
		x, err := leaf(4 * n)
		if err != nil {
			return nil, err
		}
		return graph.Reduce(graph.OpSum, x, []int{0})
	}
	rows := func() (*graph.Node, error) {
		x, err := leaf(max(1, n/1024), 1024)
		if err != nil {
			return nil, err
		}
		return graph.Reduce(graph.OpReduceMax, x, []int{1})
	}
	matrix := fmt.Sprintf("%dx1024", max(1, n/1024)) // the rows' and the columns' shape
	cols := func() (*graph.Node, error) {
		x, err := leaf(max(1, n/1024), 1024)
		if err != nil {
			return nil, err
		}
		return graph.Reduce(graph.OpSum, x, []int{0})
	}
	cases := []struct {
		name, size string
		build      func() (*graph.Node, error)
	}{
		{"relu(a*b+c)", strconv.Itoa(n), relu},
		{"sum", strconv.Itoa(4 * n), sum},
		{"row max", matrix, rows},
		{"column sums", matrix, cols},
	}
	var out []tuneProblem
	for _, c := range cases {
		p := tuneProblem{suite: suite, name: c.name, size: c.size, dtype: graph.Float32}
		node, err := c.build()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		ks, err := graph.Schedule([]*graph.Node{node})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		// Every kernel of the case is tuned; the last one bears the case's name.
		for i, k := range ks {
			q := p
			if i < len(ks)-1 {
				q.name = fmt.Sprintf("%s (kernel %d)", c.name, i+1)
			}
			g, err := d.NewKernelTuning(k)
			switch {
			case errors.Is(err, kerneltune.ErrNoKnobs):
				q.skip = "no tuned knobs"
			case errors.Is(err, backend.ErrUnsupported):
				q.skip = "buffers larger than the device holds: the kernel runs on the CPU"
			case err != nil:
				return nil, err
			default:
				q.key, q.space, q.measure, q.tune, q.close = g.Key, g.Space, g.Measure, g.Tune, g.Close
			}
			out = append(out, q)
		}
	}
	return out, nil
}

//go:build cgo

package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend_gl"
	"github.com/crossbar-compute/crossbar/graph"
)

func init() { tuneFamilies["gl"] = glTuneProblems }

// glTuneProblems returns the float32 products of the matmul and gemm suites (or of
// -tune-shapes) as tile tuning problems of a gl device.
func glTuneProblems(dev backend.Device, suite string, opts Options) ([]tuneProblem, error) {
	d, ok := dev.(*backend_gl.Device)
	if !ok {
		return nil, fmt.Errorf("%s is not a gl device", dev.Name())
	}
	var dims [][3]int
	name := "f32"
	switch suite {
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
	for _, s := range dims {
		size := fmt.Sprintf("%dx%dx%d", s[0], s[1], s[2])
		if suite != tuneShapesSuite {
			size = strconv.Itoa(s[0])
		}
		p := tuneProblem{suite: suite, name: name, size: size, dtype: graph.Float32}
		g, err := d.NewMatMulTuning(graph.Float32, s[0], s[1], s[2])
		switch {
		case errors.Is(err, backend_gl.ErrNotTiled):
			p.skip = "too small for the tiled template"
		case err != nil:
			return nil, err
		default:
			p.key, p.space, p.measure, p.tune, p.close = g.Key, g.Space, g.Measure, g.Tune, g.Close
		}
		out = append(out, p)
	}
	return out, nil
}

package main

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/tensor"
)

func init() { register(matmulSuite{}) }

// matmulSuite measures square float32 matrix products.
type matmulSuite struct{}

func (matmulSuite) Name() string { return "matmul" }

func (matmulSuite) Description() string {
	return "square float32 matmul C = A·B for each of -sizes; GFLOP/s = 2n³/time"
}

func (s matmulSuite) Run(ctx context.Context, dev backend.Device, opts Options) ([]Row, error) {
	var rows []Row
	for i, n := range opts.Sizes {
		if err := ctx.Err(); err != nil {
			return rows, err
		}
		opts.progress("%s: %s n=%d", dev.Name(), s.Name(), n)
		row := Row{Device: dev.Name(), Suite: s.Name(), Case: "f32", Size: strconv.Itoa(n)}
		if err := s.runSize(ctx, dev, opts, n, uint64(i), &row); err != nil {
			row.fail(err)
		}
		rows = append(rows, row)
		if ctx.Err() != nil {
			return rows, ctx.Err()
		}
	}
	return rows, nil
}

// runSize measures one n×n product into row.
func (matmulSuite) runSize(ctx context.Context, dev backend.Device, opts Options, n int, seed uint64, row *Row) error {
	ha, hb := randomVector(100+2*seed, n*n), randomVector(101+2*seed, n*n)
	a, err := onDevice(dev, ha, n, n)
	if err != nil {
		return err
	}
	defer freeTensor(a)
	b, err := onDevice(dev, hb, n, n)
	if err != nil {
		return err
	}
	defer freeTensor(b)
	tm, out, err := measure(ctx, dev, opts.Reps, func() *tensor.Tensor { return a.MatMul(b) })
	if err != nil {
		return err
	}
	defer freeTensor(out)
	flops := 2 * float64(n) * float64(n) * float64(n)
	row.setTiming(tm, flops, "flops", 1e9, "GFLOP/s", 1)
	got, err := tensor.Data[float32](out)
	if err != nil {
		return err
	}
	return checkMatMul(got, ha, hb, n)
}

// checkMatMul compares some elements of c = a·b (n×n, row-major) with products computed on
// the host: the corners and a deterministic scatter of others. The tolerance, 1e-3 of
// sum_k |a_ik·b_kj|, admits float32 accumulation in any order and TF32-style reduced
// precision inputs, and rejects wrong indexing or missing tiles, whose errors are of the
// order of the elements themselves.
func checkMatMul(c, a, b []float32, n int) error {
	if len(c) != n*n {
		return fmt.Errorf("product has %d elements, want %d", len(c), n*n)
	}
	if n == 0 {
		return nil
	}
	points := [][2]int{{0, 0}, {0, n - 1}, {n - 1, 0}, {n - 1, n - 1}}
	for k := range 60 {
		// A multiplicative scatter covering rows and columns of every tile.
		points = append(points, [2]int{(k*7919 + 13) % n, (k*104729 + 7) % n})
	}
	for _, p := range points {
		i, j := p[0], p[1]
		var want, mag float64
		for k := range n {
			v := float64(a[i*n+k]) * float64(b[k*n+j])
			want += v
			mag += math.Abs(v)
		}
		got := float64(c[i*n+j])
		if d := math.Abs(got - want); !(d <= 1e-3*mag) {
			return fmt.Errorf("wrong result: C[%d,%d] is %v, want %v", i, j, got, want)
		}
	}
	return nil
}

package main

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/tensor"
)

func init() { register(elementwiseSuite{}) }

// elementwiseSuite measures fused elementwise chains and reductions against the bandwidth of
// a plain memory copy of the same bytes on the host, measured in the same run, and the fixed
// cost of realizing a small graph.
type elementwiseSuite struct{}

func (elementwiseSuite) Name() string { return "elementwise" }

func (elementwiseSuite) Description() string {
	return "fused relu(a*b+c) over -n float32, and sums of 4n float32 (whole, over the rows and over the columns of 1024-wide rows) vs a host memory copy (GB/s, ratio); small-graph overhead (µs)"
}

// hostCopy returns the best time of copying n float32 between two host buffers with all
// cores, the reference bandwidth of the machine.
func hostCopy(n, reps int) time.Duration {
	src, dst := make([]float32, n), make([]float32, n)
	for i := range src {
		src[i] = float32(i)
	}
	copy(dst, src) // fault the pages in
	workers := runtime.GOMAXPROCS(0)
	var times []time.Duration
	for range max(reps, 3) {
		t0 := time.Now()
		var wg sync.WaitGroup
		for w := range workers {
			lo, hi := n*w/workers, n*(w+1)/workers
			wg.Go(func() { copy(dst[lo:hi], src[lo:hi]) })
		}
		wg.Wait()
		times = append(times, time.Since(t0))
	}
	return slices.Min(times)
}

func (s elementwiseSuite) Run(ctx context.Context, dev backend.Device, opts Options) ([]Row, error) {
	n := opts.N
	var rows []Row
	copyTime := hostCopy(4*n, opts.Reps)
	copyRate := float64(2*4*4*n) / copyTime.Seconds() / 1e9
	rows = append(rows, Row{Device: "host", Suite: s.Name(), Case: "memcpy", Size: strconv.Itoa(4 * n),
		Reps: max(opts.Reps, 3), Time: copyTime, Median: copyTime, Work: float64(2 * 4 * 4 * n),
		WorkUnit: "bytes", Rate: copyRate, MedianRate: copyRate, Unit: "GB/s"})

	ha, hb, hc := randomVector(11, n), randomVector(12, n), randomVector(13, n)
	hs := randomVector(14, 4*n)
	inputs := make([]*tensor.Tensor, 0, 4)
	defer func() {
		for _, t := range inputs {
			freeTensor(t)
		}
	}()
	for _, in := range []struct {
		data []float32
	}{{ha}, {hb}, {hc}, {hs}} {
		t, err := onDevice(dev, in.data, len(in.data))
		if err != nil {
			return rows, err
		}
		inputs = append(inputs, t)
	}
	a, b, c, big := inputs[0], inputs[1], inputs[2], inputs[3]
	// The sums over rows and over columns view the 4n elements as rows of 1024 (a
	// softmax's sums, a bias's gradient).
	const width = 1024
	height := max(1, 4*n/width)
	shape := fmt.Sprintf("%dx%d", height, width)
	matrix := func() *tensor.Tensor { return big.Reshape(height, width) }

	cases := []struct {
		name  string
		size  string
		bytes float64
		build func() *tensor.Tensor
		check func(*tensor.Tensor) error
	}{
		{"relu(a*b+c)", strconv.Itoa(n), float64(4 * 4 * n),
			func() *tensor.Tensor { return a.Mul(b).Add(c).ReLU() },
			func(out *tensor.Tensor) error {
				got, err := tensor.Data[float32](out)
				if err != nil {
					return err
				}
				for i, g := range got {
					want := math.Max(0, float64(ha[i])*float64(hb[i])+float64(hc[i]))
					if math.Abs(float64(g)-want) > 1e-6 {
						return fmt.Errorf("element %d is %v, want %v", i, g, want)
					}
				}
				return nil
			}},
		{"sum", strconv.Itoa(4 * n), float64(4 * 4 * n),
			func() *tensor.Tensor { return big.Sum() },
			func(out *tensor.Tensor) error {
				ones := make([]float32, len(hs))
				for i := range ones {
					ones[i] = 1
				}
				got, err := tensor.Data[float32](out)
				if err != nil {
					return err
				}
				return checkDot(got[0], hs, ones)
			}},
		{"row sums", shape, float64(4 * height * width),
			func() *tensor.Tensor { return matrix().Sum(1) },
			func(out *tensor.Tensor) error { return checkSums(out, hs, height, width, 1) }},
		{"column sums", shape, float64(4 * height * width),
			func() *tensor.Tensor { return matrix().Sum(0) },
			func(out *tensor.Tensor) error { return checkSums(out, hs, height, width, 0) }},
	}
	if 4*n%width != 0 {
		cases = cases[:2] // 4n elements are not rows of 1024
	}
	for _, cs := range cases {
		if err := ctx.Err(); err != nil {
			return rows, err
		}
		opts.progress("%s: %s %s", dev.Name(), s.Name(), cs.name)
		row := Row{Device: dev.Name(), Suite: s.Name(), Case: cs.name, Size: cs.size}
		tm, out, err := measure(ctx, dev, opts.Reps, cs.build)
		if err == nil {
			row.setTiming(tm, cs.bytes, "bytes", 1e9, "GB/s", 1)
			if row.Note == "" {
				row.Note = fmt.Sprintf("%.2fx memcpy", row.Rate/copyRate)
			}
			err = cs.check(out)
			freeTensor(out)
		}
		if err != nil {
			row.fail(err)
		}
		rows = append(rows, row)
	}
	rows = append(rows, s.overhead(ctx, dev, opts))
	return rows, nil
}

// checkSums checks out, the sums of the rows × cols matrix x over axis (0: each column's,
// 1: each row's), within the rounding that float32 sums of that length may carry.
func checkSums(out *tensor.Tensor, x []float32, rows, cols, axis int) error {
	got, err := tensor.Data[float32](out)
	if err != nil {
		return err
	}
	n, length, outer, inner := cols, rows, cols, 1 // axis 0: output j sums x[i*cols+j]
	if axis == 1 {
		n, length, outer, inner = rows, cols, 1, cols
	}
	if len(got) != n {
		return fmt.Errorf("%d sums, want %d", len(got), n)
	}
	const eps = 0x1p-23
	for j := range n {
		var want, mag float64
		for i := range length {
			v := float64(x[j*inner+i*outer])
			want += v
			mag += math.Abs(v)
		}
		tol := 4 * eps * math.Sqrt(float64(length)) * mag
		if d := math.Abs(float64(got[j]) - want); !(d <= tol) {
			return fmt.Errorf("sum %d: got %v, want %v (error %.3g > tolerance %.3g)", j, got[j], want, d, tol)
		}
	}
	return nil
}

// overhead times building and realizing a 3-op graph over 1K elements with the program cache
// warm: the fixed cost that small workloads pay per realization.
func (s elementwiseSuite) overhead(ctx context.Context, dev backend.Device, opts Options) Row {
	row := Row{Device: dev.Name(), Suite: s.Name(), Case: "small graph", Size: "1024"}
	x, err := onDevice(dev, randomVector(15, 1024), 1024)
	if err != nil {
		row.fail(err)
		return row
	}
	defer freeTensor(x)
	const batch = 200
	build := func() *tensor.Tensor { return x.Mul(x).Add(x).ReLU() }
	if err := build().Realize(); err != nil {
		row.fail(err)
		return row
	}
	var times []time.Duration
	for range max(opts.Reps, 3) {
		if ctx.Err() != nil {
			break
		}
		t0 := time.Now()
		for range batch {
			if err := build().Realize(); err != nil {
				row.fail(err)
				return row
			}
		}
		times = append(times, time.Since(t0)/batch)
	}
	tm := timing{times: times, kernels: 1}
	row.setTiming(tm, 1, "realizations", 1, "", 1)
	// The rate of this case is the time itself: microseconds per realization.
	row.Rate = float64(tm.best()) / 1e3
	row.MedianRate = float64(tm.median()) / 1e3
	row.Unit = "µs each"
	return row
}

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
	return "fused relu(a*b+c) over -n float32 and sum over 4n float32 vs a host memory copy (GB/s, ratio); small-graph overhead (µs)"
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

	cases := []struct {
		name  string
		size  int
		bytes float64
		build func() *tensor.Tensor
		check func(*tensor.Tensor) error
	}{
		{"relu(a*b+c)", n, float64(4 * 4 * n),
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
		{"sum", 4 * n, float64(4 * 4 * n),
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
	}
	for _, cs := range cases {
		if err := ctx.Err(); err != nil {
			return rows, err
		}
		opts.progress("%s: %s %s", dev.Name(), s.Name(), cs.name)
		row := Row{Device: dev.Name(), Suite: s.Name(), Case: cs.name, Size: strconv.Itoa(cs.size)}
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

package main

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/tensor"
)

// A Suite is a named group of benchmark cases. A suite registers itself from an init function
// of its own file (register), so adding one touches no other suite.
type Suite interface {
	// Name is what -suite selects.
	Name() string
	// Description is one line for -list.
	Description() string
	// Run measures the suite's cases on dev and returns one row per case. A failing case
	// is a row with Err set, and the suite goes on with the next case. The error is for a
	// failure of the whole suite (its inputs could not be made, ctx was cancelled); the
	// rows returned with it are still reported.
	Run(ctx context.Context, dev backend.Device, opts Options) ([]Row, error)
}

var suites = map[string]Suite{}

// defaultSuites are the suites run without -suite.
var defaultSuites = []string{"stream", "matmul"}

// register adds a suite; it is called from init functions, so a duplicate name is a
// programming error.
func register(s Suite) {
	if _, dup := suites[s.Name()]; dup {
		panic("bench: suite " + s.Name() + " registered twice")
	}
	suites[s.Name()] = s
}

// suiteNames returns the registered suite names, sorted.
func suiteNames() []string {
	names := make([]string, 0, len(suites))
	for n := range suites {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Row is one measured case.
type Row struct {
	Device string `json:"device"`
	Suite  string `json:"suite"`
	Case   string `json:"case"`
	// Size describes the problem: "16777216" elements, "1024" for a square matmul.
	Size string `json:"size"`
	// Reps is the number of timed repetitions.
	Reps int `json:"reps"`
	// Time is the best repetition, Median the median one.
	Time   time.Duration `json:"time_ns"`
	Median time.Duration `json:"median_ns"`
	// Work is what one repetition does, in WorkUnit ("bytes", "flops").
	Work     float64 `json:"work"`
	WorkUnit string  `json:"work_unit"`
	// Rate is Work per second at the best time, scaled to Unit; MedianRate at the median.
	Rate       float64 `json:"rate"`
	MedianRate float64 `json:"median_rate"`
	Unit       string  `json:"unit"`
	// Kernels is the number of kernels one repetition launched.
	Kernels int64 `json:"kernels"`
	// Note is a remark on a successful case (more kernels than expected, ...).
	Note string `json:"note,omitempty"`
	// Err is set when the case failed; the measurements are then not valid.
	Err string `json:"error,omitempty"`
	// Skip says why a case was not measured (a reference absent on this machine or not
	// meant for this device); a skipped case has no measurements and is not a failure.
	Skip string `json:"skipped,omitempty"`
}

// OK reports whether the row is not a failure: a successful measurement, or a skipped case.
func (r Row) OK() bool { return r.Err == "" }

// setTiming fills the time and rate fields from t; scale converts work per second to Unit
// (1e9 for GB/s and GFLOP/s).
func (r *Row) setTiming(t timing, work float64, workUnit string, scale float64, unit string, wantKernels int64) {
	r.Reps = len(t.times)
	r.Time, r.Median = t.best(), t.median()
	r.Work, r.WorkUnit, r.Unit = work, workUnit, unit
	if r.Time > 0 {
		r.Rate = work / r.Time.Seconds() / scale
	}
	if r.Median > 0 {
		r.MedianRate = work / r.Median.Seconds() / scale
	}
	r.Kernels = t.kernels
	if t.kernels != wantKernels {
		r.Note = fmt.Sprintf("%d kernels/rep, expected %d", t.kernels, wantKernels)
	}
}

// fail records err in the row.
func (r *Row) fail(err error) { r.Err = err.Error() }

// timing is what measure observed.
type timing struct {
	times   []time.Duration // one per timed repetition
	kernels int64           // kernels launched by the last repetition
}

func (t timing) best() time.Duration {
	if len(t.times) == 0 {
		return 0
	}
	return slices.Min(t.times)
}

func (t timing) median() time.Duration {
	if len(t.times) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(t.times))
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// measure times the realization of the tensors that build returns. build is called once per
// repetition and must build the expression anew (from realized inputs), so that the program
// cached by the first call is reused while a new output is computed each time. The first call
// is an untimed warm-up (it compiles); then reps calls are realized inside dev.Time. Each
// output is freed before the next repetition; the last one is returned realized, for the
// caller to check and free. A repetition that launches no kernel is an error: it would time
// nothing.
func measure(ctx context.Context, dev backend.Device, reps int, build func() *tensor.Tensor) (timing, *tensor.Tensor, error) {
	var tm timing
	if err := ctx.Err(); err != nil {
		return tm, nil, err
	}
	warm := build()
	if err := warm.Realize(); err != nil {
		return tm, nil, fmt.Errorf("warm-up: %w", err)
	}
	_ = warm.Free() // a failing Free only delays the release to the garbage collector
	var last *tensor.Tensor
	for i := range reps {
		if err := ctx.Err(); err != nil {
			freeTensor(last)
			return tm, nil, err
		}
		freeTensor(last)
		last = nil
		// Collect the garbage of the previous repetition now rather than inside the timer.
		runtime.GC()
		t := build()
		if err := t.Err(); err != nil {
			return tm, nil, err
		}
		k0 := backend.ReadStats().Kernels
		d, err := dev.Time(t.Realize)
		k := backend.ReadStats().Kernels - k0
		if err != nil {
			freeTensor(t)
			return tm, nil, fmt.Errorf("repetition %d: %w", i+1, err)
		}
		if k == 0 {
			freeTensor(t)
			return tm, nil, fmt.Errorf("repetition %d launched no kernel: the expression was not computed", i+1)
		}
		tm.times = append(tm.times, d)
		tm.kernels = k
		last = t
	}
	return tm, last, nil
}

// measureCalls times call, a launch on dev that works on buffers allocated once (a
// reference library, a device copy): an untimed warm-up, then reps calls each inside
// dev.Time.
func measureCalls(ctx context.Context, dev backend.Device, reps int, call func() error) (timing, error) {
	var tm timing
	if err := call(); err != nil {
		return tm, err
	}
	for range reps {
		if err := ctx.Err(); err != nil {
			return tm, err
		}
		d, err := dev.Time(call)
		if err != nil {
			return tm, err
		}
		tm.times = append(tm.times, d)
	}
	return tm, nil
}

// measureProduct times op(a)·op(b) through the tensor API with measure (Transpose views for
// g.ta and g.tb) and returns the last product, realized, for the caller to check and free.
func measureProduct(ctx context.Context, dev backend.Device, reps int, g gemmShape, a, b *tensor.Tensor) (timing, *tensor.Tensor, error) {
	return measure(ctx, dev, reps, func() *tensor.Tensor {
		x, y := a, b
		if g.ta {
			x = x.Transpose()
		}
		if g.tb {
			y = y.Transpose()
		}
		return x.MatMul(y)
	})
}

// freeTensor releases t's device memory now (t may be nil). An error is ignored: the memory
// is then released when t becomes unreachable.
func freeTensor(t *tensor.Tensor) {
	if t != nil {
		_ = t.Free()
	}
}

// onDevice makes a realized float32 tensor of shape from host data on dev.
func onDevice(dev backend.Device, data []float32, shape ...int) (*tensor.Tensor, error) {
	t := tensor.New(data, shape...).To(dev)
	if err := t.Realize(); err != nil {
		return nil, fmt.Errorf("input %v on %s: %w", shape, dev.Name(), err)
	}
	return t, nil
}

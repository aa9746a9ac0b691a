package autotune

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// A Measure runs the kernel once in configuration c and returns the time it took. The
// caller decides what is timed and with which clock: device events where the device has
// them, wall time otherwise. Compilation belongs in the first call (or in a cache of the
// caller's), which the tuner spends as warm-up; a configuration that cannot compile or run
// returns an error, and ranks last. A Measure should return promptly once ctx is done.
type Measure func(ctx context.Context, c Config) (time.Duration, error)

// ErrPanic is wrapped by the error of a candidate whose Measure (or the flush hook) panicked;
// the tuner recovers it and goes on with the next candidate.
var ErrPanic = errors.New("autotune: panic while measuring")

// Stats summarize the timed repetitions of one configuration.
type Stats struct {
	Median   time.Duration
	P20, P80 time.Duration // the 20th and 80th percentiles: the spread around the median
	Samples  int           // timed repetitions (warm-up not counted)
	// Pruned is set when the measurement stopped early because the first samples were all
	// clearly slower than the best so far; Median then comes from those few samples.
	Pruned bool
}

// A Trial is one measured candidate: its statistics, or the error that ranked it last.
type Trial struct {
	Config Config
	Stats  Stats
	Err    error
}

// OK reports whether the trial was measured to the end without error.
func (t *Trial) OK() bool { return t.Err == nil && !t.Stats.Pruned && t.Stats.Samples > 0 }

// call runs m once, turning a panic into an error so that a faulty kernel cannot take the
// tuning call down.
func call(ctx context.Context, m Measure, c Config) (d time.Duration, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = 0, fmt.Errorf("%w: %s: %v", ErrPanic, c, r)
		}
	}()
	// A copy, so that a Measure that changes its argument cannot change the tuner's record.
	d, err = m(ctx, c.Clone())
	if err != nil {
		return 0, fmt.Errorf("autotune: measure %s: %w", c, err)
	}
	if d < 0 {
		return 0, fmt.Errorf("autotune: measure %s: negative time %v", c, d)
	}
	return d, nil
}

func flush(f func()) (err error) {
	if f == nil {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: flush hook: %v", ErrPanic, r)
		}
	}()
	f()
	return nil
}

// measure runs the protocol on one candidate: warm-up, then repetitions sized by the time
// budget from the first time seen, each preceded by the flush hook, stopping early when the
// first EarlyStopAfter samples all exceed EarlyStopRatio × best (best ≤ 0: no best yet). It
// returns cancelled = true, and no trial, when ctx ends before the candidate is complete:
// an unfinished measurement says nothing about the candidate.
func measure(ctx context.Context, o *Options, m Measure, c Config, best time.Duration) (tr Trial, cancelled bool) {
	tr.Config = c
	// run calls the candidate once; ok is false when the measurement ended there, cancelled
	// by ctx or failed (tr.Err).
	run := func() (d time.Duration, ok bool) {
		d, err := call(ctx, m, c)
		if err != nil && ctx.Err() == nil {
			tr.Err = err
		}
		return d, err == nil
	}
	var est time.Duration
	known := false
	for range max(0, o.Warmup) {
		if ctx.Err() != nil {
			return tr, true
		}
		d, ok := run()
		if !ok {
			return tr, tr.Err == nil
		}
		est, known = d, true
	}
	target := o.MaxReps
	if known {
		target = o.reps(est)
	}
	bound := time.Duration(math.MaxInt64)
	if best > 0 && o.EarlyStopRatio < math.MaxInt64/float64(best) {
		bound = time.Duration(float64(best) * o.EarlyStopRatio)
	}
	samples := make([]time.Duration, 0, target)
	for len(samples) < target {
		if ctx.Err() != nil {
			return tr, true
		}
		if err := flush(o.Flush); err != nil {
			tr.Err = err
			return tr, false
		}
		d, ok := run()
		if !ok {
			return tr, tr.Err == nil
		}
		samples = append(samples, d)
		if !known {
			est, known = d, true
			target = o.reps(est)
		}
		if best > 0 && len(samples) == o.EarlyStopAfter && len(samples) < target &&
			!slices.ContainsFunc(samples, func(s time.Duration) bool { return s <= bound }) {
			tr.Stats = summarize(samples)
			tr.Stats.Pruned = true
			return tr, false
		}
	}
	tr.Stats = summarize(samples)
	return tr, false
}

// summarize returns the median and the 20th and 80th percentiles (nearest rank).
func summarize(samples []time.Duration) Stats {
	n := len(samples)
	if n == 0 {
		return Stats{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	med := s[n/2]
	if n%2 == 0 {
		med = s[n/2-1] + (s[n/2]-s[n/2-1])/2
	}
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(n))) - 1
		return s[min(n-1, max(0, i))]
	}
	return Stats{Median: med, P20: rank(0.2), P80: rank(0.8), Samples: n}
}

package autotune

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		in            []time.Duration
		med, p20, p80 time.Duration
	}{
		{[]time.Duration{5 * ms}, 5 * ms, 5 * ms, 5 * ms},
		{[]time.Duration{4 * ms, 2 * ms}, 3 * ms, 2 * ms, 4 * ms},
		{[]time.Duration{9, 1, 5, 3, 7}, 5, 1, 7},
		{[]time.Duration{10, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 5, 2, 8},
	}
	for _, tt := range tests {
		s := summarize(tt.in)
		if s.Median != tt.med || s.P20 != tt.p20 || s.P80 != tt.p80 || s.Samples != len(tt.in) {
			t.Errorf("summarize(%v) = %+v, want median %v p20 %v p80 %v", tt.in, s, tt.med, tt.p20, tt.p80)
		}
	}
	if s := summarize(nil); s != (Stats{}) {
		t.Errorf("summarize(nil) = %+v, want zero", s)
	}
}

// constant returns a Measure that always reports d and counts its calls.
func constant(d time.Duration, calls *int) Measure {
	return func(context.Context, Config) (time.Duration, error) {
		*calls++
		return d, nil
	}
}

func TestMeasureRepsFromBudget(t *testing.T) {
	tests := []struct {
		per, budget time.Duration
		want        int
	}{
		{time.Millisecond, 10 * time.Millisecond, 10},
		{time.Millisecond, time.Second, 25},          // MaxReps
		{50 * time.Millisecond, time.Millisecond, 3}, // MinReps
		{0, time.Millisecond, 25},                    // a zero time buys as many as allowed
	}
	for _, tt := range tests {
		o, err := Options{Budget: tt.budget}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		calls := 0
		tr, cancelled := measure(context.Background(), &o, constant(tt.per, &calls), Config{"a": 1}, 0)
		if cancelled || tr.Err != nil || tr.Stats.Samples != tt.want || calls != tt.want+1 {
			t.Errorf("%v per run, budget %v: %d samples in %d calls (err %v); want %d samples after one warm-up",
				tt.per, tt.budget, tr.Stats.Samples, calls, tr.Err, tt.want)
		}
	}
}

func TestMeasureEarlyStop(t *testing.T) {
	o, _ := Options{MinReps: 10}.withDefaults()
	calls := 0
	slow := constant(20*time.Millisecond, &calls)
	tr, _ := measure(context.Background(), &o, slow, Config{"a": 1}, 10*time.Millisecond)
	if !tr.Stats.Pruned || tr.Stats.Samples != 3 || tr.OK() {
		t.Errorf("2× the best: %+v, want pruned after 3 samples", tr.Stats)
	}
	calls = 0
	close := constant(14*time.Millisecond, &calls)
	tr, _ = measure(context.Background(), &o, close, Config{"a": 1}, 10*time.Millisecond)
	if tr.Stats.Pruned || tr.Stats.Samples != 10 || !tr.OK() {
		t.Errorf("1.4× the best: %+v, want measured to the end", tr.Stats)
	}
}

func TestMeasureFlushAndWarmup(t *testing.T) {
	f := &fakeKernel{opt: map[string]int{"a": 1}}
	// The fake takes a few microseconds over 1ms a run.
	o, _ := Options{Budget: 5*time.Millisecond + 100*time.Microsecond, Warmup: 2, Flush: f.flush}.withDefaults()
	tr, _ := measure(context.Background(), &o, f.measure, Config{"a": 1}, 0)
	calls, flushes := f.counts()
	if tr.Stats.Samples != 5 || calls != 7 || flushes != 5 {
		t.Errorf("%d samples, %d calls, %d flushes; want 5 samples after 2 warm-ups, a flush before each", tr.Stats.Samples, calls, flushes)
	}
	o.Warmup = -1
	f = &fakeKernel{opt: map[string]int{"a": 1}}
	tr, _ = measure(context.Background(), &o, f.measure, Config{"a": 1}, 0)
	if calls, _ := f.counts(); calls != tr.Stats.Samples {
		t.Errorf("no warm-up: %d calls for %d samples", calls, tr.Stats.Samples)
	}
}

func TestMeasureFailures(t *testing.T) {
	o, _ := Options{}.withDefaults()
	bg := context.Background()
	tests := []struct {
		name string
		m    Measure
		o    Options
		is   error
	}{
		{"error", func(context.Context, Config) (time.Duration, error) { return 0, errors.New("no such kernel") }, o, nil},
		{"panic", func(context.Context, Config) (time.Duration, error) { panic("boom") }, o, ErrPanic},
		{"nil pointer", func(context.Context, Config) (time.Duration, error) { var p *int; return time.Duration(*p), nil }, o, ErrPanic},
		{"negative", func(context.Context, Config) (time.Duration, error) { return -1, nil }, o, nil},
		{"flush panics", constant(time.Millisecond, new(int)), func() Options { p := o; p.Flush = func() { panic("flush") }; return p }(), ErrPanic},
	}
	for _, tt := range tests {
		tr, cancelled := measure(bg, &tt.o, tt.m, Config{"a": 1}, 0)
		if cancelled || tr.Err == nil || tr.OK() {
			t.Errorf("%s: trial %+v, cancelled %v; want a failed trial", tt.name, tr, cancelled)
			continue
		}
		if tt.is != nil && !errors.Is(tr.Err, tt.is) {
			t.Errorf("%s: error %v, want it to wrap %v", tt.name, tr.Err, tt.is)
		}
	}
}

func TestMeasureCancelled(t *testing.T) {
	o, _ := Options{}.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	m := func(ctx context.Context, c Config) (time.Duration, error) {
		n++
		if n == 3 {
			cancel()
			return 0, ctx.Err() // a Measure that notices the end of its context
		}
		return time.Millisecond, nil
	}
	if tr, cancelled := measure(ctx, &o, m, Config{"a": 1}, 0); !cancelled || tr.Err != nil {
		t.Errorf("cancelled mid-measurement: trial %+v, cancelled %v; want cancelled and no failure", tr, cancelled)
	}
}

package autotune

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// bestOf returns the valid grid point of least fake cost, found by brute force.
func bestOf(sp Space, f *fakeKernel) Config {
	var best Config
	sp.all(func(c Config) bool {
		if sp.Allows(c) && (best == nil || f.cost(c) < f.cost(best)) {
			best = c
		}
		return true
	})
	return best
}

func TestTuneFindsOptimum(t *testing.T) {
	// 8 values on each of 5 knobs: 32768 points, far beyond exhaustive search.
	large := Space{Prior: Config{}}
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		large.Knobs = append(large.Knobs, Knob{n, pow2(1, 128)})
		large.Prior[n] = 1
	}
	largeOpt := map[string]int{"a": 16, "b": 2, "c": 64, "d": 8, "e": 32}
	tests := []struct {
		name     string
		space    Space
		opt      map[string]int
		opts     Options
		strategy Strategy // the one Auto must pick
	}{
		{"auto exhaustive", tileSpace(), tileOpt, Options{ExhaustiveLimit: 400, MaxCandidates: 1000}, StrategyExhaustive},
		{"exhaustive", tileSpace(), tileOpt, Options{Strategy: StrategyExhaustive, MaxCandidates: 1000}, StrategyExhaustive},
		{"beam", tileSpace(), tileOpt, Options{Strategy: StrategyBeam}, StrategyBeam},
		{"auto beam, large", large, largeOpt, Options{MaxCandidates: 1000}, StrategyBeam},
	}
	tried := map[string]int{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeKernel{opt: tt.opt}
			tu := &Tuner{Mode: ModeOn, Options: tt.opts}
			res, err := tu.Tune(context.Background(), testKey("convex"), tt.space, f.measure)
			if err != nil {
				t.Fatal(err)
			}
			want := bestOf(tt.space, f)
			if !res.Best.Equal(want) {
				t.Fatalf("best %s (%v), want %s (%v); %d tried", res.Best, f.cost(res.Best), want, f.cost(want), res.Tried)
			}
			if res.Source != SourceSearch || res.Gain <= 1 || res.Fallback || res.Partial {
				t.Errorf("result %+v, want a search with a gain", res)
			}
			tried[tt.name] = res.Tried
			t.Logf("%s: %d measured, %d rejected, %d pruned, gain %.2f", tt.name, res.Tried, res.Rejected, res.Pruned, res.Gain)
		})
	}
	valid, ts := 0, tileSpace()
	ts.all(func(c Config) bool {
		if ts.Allows(c) {
			valid++
		}
		return true
	})
	if tried["exhaustive"] != valid || tried["beam"] >= valid/2 {
		t.Errorf("exhaustive measured %d of %d valid points, beam %d; want all, and beam fewer than half", tried["exhaustive"], valid, tried["beam"])
	}
}

func TestTuneNeverWorseThanPrior(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 40 {
		sp := tileSpace()
		// Priors anywhere, on the grid or off it, including the optimum itself.
		for _, k := range sp.Knobs {
			sp.Prior[k.Name] = k.Values[rng.IntN(len(k.Values))] + rng.IntN(2)*3
		}
		if i == 0 {
			for n, v := range tileOpt {
				sp.Prior[n] = v
			}
		}
		f := &fakeKernel{opt: tileOpt}
		tu := &Tuner{Mode: ModeOn, Options: Options{Seed: uint64(i), MaxCandidates: 20 + i}}
		res, err := tu.Tune(context.Background(), testKey("prior"), sp, f.measure)
		if err != nil {
			t.Fatal(err)
		}
		if res.PriorStats.Samples == 0 || !res.Trials[0].Config.Equal(sp.Prior) {
			t.Fatalf("prior %s was not measured first: %+v", sp.Prior, res.Trials[0])
		}
		if res.BestStats.Median > res.PriorStats.Median || res.Gain < 1 || f.cost(res.Best) > f.cost(sp.Prior) {
			t.Fatalf("prior %s: best %s has median %v > prior's %v (gain %v)", sp.Prior, res.Best, res.BestStats.Median, res.PriorStats.Median, res.Gain)
		}
		if i == 0 && !res.Best.Equal(sp.Prior) {
			t.Errorf("the prior is the optimum, yet best is %s", res.Best)
		}
	}
}

func TestTuneMinGainKeepsPrior(t *testing.T) {
	sp := tileSpace()
	f := &fakeKernel{opt: tileOpt}
	tu := &Tuner{Mode: ModeOn, Options: Options{MinGain: 100}}
	res, err := tu.Tune(context.Background(), testKey("mingain"), sp, f.measure)
	if err != nil || !res.Best.Equal(sp.Prior) || res.Gain != 1 || res.Source != SourceSearch {
		t.Errorf("MinGain 100: best %s, gain %v, err %v; want the measured prior", res.Best, res.Gain, err)
	}
}

func TestTuneEveryCandidateFails(t *testing.T) {
	for _, name := range []string{"errors", "panics", "mixed"} {
		t.Run(name, func(t *testing.T) {
			f := &fakeKernel{opt: tileOpt}
			switch name {
			case "errors":
				f.fail = func(Config) bool { return true }
			case "panics":
				f.panics = func(Config) bool { return true }
			default:
				f.fail = func(c Config) bool { return c["Unroll"] <= 2 }
				f.panics = func(c Config) bool { return c["Unroll"] > 2 }
			}
			cache := OpenCache(t.TempDir())
			tu := &Tuner{Mode: ModeOn, Cache: cache, Options: Options{MaxCandidates: 30}}
			sp := tileSpace()
			res, err := tu.Tune(context.Background(), testKey("broken"), sp, f.measure)
			if err != nil {
				t.Fatalf("error %v, want none", err)
			}
			if !res.Fallback || res.Source != SourcePrior || !res.Best.Equal(sp.Prior) || res.Gain != 0 {
				t.Errorf("result %+v, want the prior marked as fallback", res)
			}
			if res.Tried == 0 || res.Failed != res.Tried || res.PriorErr == nil {
				t.Errorf("%d tried, %d failed, prior error %v; want all failed", res.Tried, res.Failed, res.PriorErr)
			}
			if name == "panics" && !errors.Is(res.PriorErr, ErrPanic) {
				t.Errorf("prior error %v, want it to wrap ErrPanic", res.PriorErr)
			}
			if s := cache.Stats(); s.Entries != 0 {
				t.Errorf("a fallback was stored: %+v", s)
			}
		})
	}
}

func TestTunePriorFails(t *testing.T) {
	sp := tileSpace()
	f := &fakeKernel{opt: tileOpt, fail: func(c Config) bool { return c.Equal(sp.Prior) }}
	res, err := (&Tuner{Mode: ModeOn}).Tune(context.Background(), testKey("badprior"), sp, f.measure)
	if err != nil || res.Fallback || res.PriorErr == nil || res.Best.Equal(sp.Prior) || res.Gain != 0 {
		t.Errorf("result %+v, err %v; want a working candidate, the prior's error, unknown gain", res, err)
	}
}

func TestTuneCancelled(t *testing.T) {
	sp := tileSpace()
	t.Run("before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		f := &fakeKernel{opt: tileOpt}
		res, err := (&Tuner{Mode: ModeOn}).Tune(ctx, testKey("cancel"), sp, f.measure)
		if !errors.Is(err, context.Canceled) || !res.Best.Equal(sp.Prior) || !res.Fallback {
			t.Errorf("result %+v, err %v; want the prior and context.Canceled", res, err)
		}
		if calls, _ := f.counts(); calls != 0 {
			t.Errorf("%d measurements after cancellation", calls)
		}
	})
	storedAny := false
	defer func() {
		if !storedAny {
			t.Errorf("no cancelled search stored a partial entry; the case went untested")
		}
	}()
	for _, after := range []int{1, 5, 40, 200, 400} {
		t.Run(fmt.Sprintf("after %d calls", after), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f := &fakeKernel{opt: tileOpt}
			f.onCall = func(n int) {
				if n == after {
					cancel()
				}
			}
			cache := OpenCache(t.TempDir())
			tu := &Tuner{Mode: ModeOn, Cache: cache, Options: Options{Strategy: StrategyBeam}}
			res, err := tu.Tune(ctx, testKey("cancel"), sp, f.measure)
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "autotune: tune") {
				t.Fatalf("error %v, want a wrapped context.Canceled", err)
			}
			if res.Best == nil || !res.Partial {
				t.Fatalf("result %+v, want the best so far marked partial", res)
			}
			if res.Tried > 0 && !slices.ContainsFunc(res.Trials, func(tr Trial) bool { return tr.Config.Equal(res.Best) }) {
				t.Errorf("best %s is not among the measured candidates", res.Best)
			}
			if res.PriorStats.Samples > 0 && res.BestStats.Median > res.PriorStats.Median {
				t.Errorf("best %v slower than prior %v", res.BestStats.Median, res.PriorStats.Median)
			}
			// Only a measured improvement over a measured prior may be stored, marked partial.
			e, stored := cache.Lookup(testKey("cancel"))
			improved := res.PriorStats.Samples > 0 && !res.Best.Equal(sp.Prior)
			if stored != improved || (stored && (!e.Partial || !e.Config.Equal(res.Best))) {
				t.Errorf("stored %v (%+v), want %v and partial", stored, e, improved)
			}
			if !stored {
				return
			}
			storedAny = true
			// Mode cached uses the partial entry; mode on searches again and replaces it.
			if r, err := (&Tuner{Mode: ModeCached, Cache: cache}).Tune(context.Background(), testKey("cancel"), sp, nil); err != nil || r.Source != SourceCache || !r.Partial {
				t.Errorf("cached mode on a partial entry: %+v, %v", r, err)
			}
			f.onCall = nil
			r, err := tu.Tune(context.Background(), testKey("cancel"), sp, f.measure)
			if err != nil || r.Source != SourceSearch || r.Partial {
				t.Errorf("mode on over a partial entry: %+v, %v; want a new search", r, err)
			}
			if e, _ := cache.Lookup(testKey("cancel")); e.Partial || !e.Config.Equal(r.Best) {
				t.Errorf("entry after the full search: %+v", e)
			}
		})
	}
}

func TestTuneModes(t *testing.T) {
	sp := tileSpace()
	key := testKey("modes")
	f := &fakeKernel{opt: tileOpt}
	cache := OpenCache(t.TempDir())
	calls := func() int { n, _ := f.counts(); return n }

	res, err := (&Tuner{Mode: ModeCached, Cache: cache}).Tune(context.Background(), key, sp, f.measure)
	if err != nil || res.Source != SourcePrior || !res.Best.Equal(sp.Prior) || calls() != 0 {
		t.Fatalf("cached, miss: %+v, %v, %d calls; want the prior unmeasured", res, err, calls())
	}
	on := &Tuner{Mode: ModeOn, Cache: cache}
	tuned, err := on.Tune(context.Background(), key, sp, f.measure)
	if err != nil || tuned.Source != SourceSearch || calls() == 0 {
		t.Fatalf("on, miss: %+v, %v; want a search", tuned, err)
	}
	n := calls()
	for _, tu := range []*Tuner{on, {Mode: ModeCached, Cache: cache}, {Mode: ModeOn, Cache: OpenCache(cache.Path()[:len(cache.Path())-len(CacheFile)])}} {
		res, err := tu.Tune(context.Background(), key, sp, f.measure)
		if err != nil || res.Source != SourceCache || !res.Best.Equal(tuned.Best) || res.Gain != tuned.Gain {
			t.Errorf("%v, hit: %+v, %v; want the tuned %s with gain %v", tu.Mode, res, err, tuned.Best, tuned.Gain)
		}
	}
	res, err = (&Tuner{Mode: ModeOff, Cache: cache}).Tune(context.Background(), key, sp, f.measure)
	if err != nil || res.Source != SourcePrior || !res.Best.Equal(sp.Prior) {
		t.Errorf("off: %+v, %v; want the prior", res, err)
	}
	if calls() != n {
		t.Errorf("%d measurements after the search, want none", calls()-n)
	}
	// A cached entry that no longer fits the family's space is a miss.
	sp2 := tileSpace()
	sp2.Knobs = append(sp2.Knobs, Knob{"Stages", []int{1, 2}})
	sp2.Prior["Stages"] = 1
	if res, err := (&Tuner{Mode: ModeCached, Cache: cache}).Tune(context.Background(), key, sp2, nil); err != nil || res.Source != SourcePrior {
		t.Errorf("entry of another space: %+v, %v; want the prior", res, err)
	}
	// A zero Tuner is cached mode without a cache: the prior.
	if res, err := (&Tuner{}).Tune(context.Background(), key, sp, nil); err != nil || !res.Best.Equal(sp.Prior) {
		t.Errorf("zero Tuner: %+v, %v", res, err)
	}
}

func TestTuneBadInput(t *testing.T) {
	f := &fakeKernel{opt: tileOpt}
	good := tileSpace()
	noKnobs := Space{Prior: Config{"a": 1}}
	tests := []struct {
		name  string
		tu    Tuner
		key   Key
		space Space
		m     Measure
		want  string
	}{
		{"bad space", Tuner{Mode: ModeOn}, testKey("k"), noKnobs, f.measure, "space has no knobs"},
		{"no kernel", Tuner{Mode: ModeOn}, Key{}, good, f.measure, "no kernel signature"},
		{"bad options", Tuner{Mode: ModeOn, Options: Options{Beam: -1}}, testKey("k"), good, f.measure, "Beam"},
		{"bad ratio", Tuner{Mode: ModeOn, Options: Options{EarlyStopRatio: 0.5}}, testKey("k"), good, f.measure, "EarlyStopRatio"},
		{"bad min gain", Tuner{Mode: ModeOn, Options: Options{MinGain: 0.9}}, testKey("k"), good, f.measure, "MinGain"},
		{"bad strategy", Tuner{Mode: ModeOn, Options: Options{Strategy: 9}}, testKey("k"), good, f.measure, "Strategy(9)"},
		{"bad mode", Tuner{Mode: 7}, testKey("k"), good, f.measure, "Mode(7)"},
		{"nil measure", Tuner{Mode: ModeOn}, testKey("k"), good, nil, "needs a Measure"},
	}
	for _, tt := range tests {
		res, err := tt.tu.Tune(context.Background(), tt.key, tt.space, tt.m)
		if err == nil || !strings.HasPrefix(err.Error(), "autotune: tune") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one naming the operation and %q", tt.name, err, tt.want)
		}
		if !res.Best.Equal(tt.space.Prior) {
			t.Errorf("%s: best %s, want the prior %s", tt.name, res.Best, tt.space.Prior)
		}
	}
	if calls, _ := f.counts(); calls != 0 {
		t.Errorf("%d measurements despite bad input", calls)
	}
}

func TestTuneDeterministic(t *testing.T) {
	run := func(seed uint64) []string {
		f := &fakeKernel{opt: tileOpt}
		tu := &Tuner{Mode: ModeOn, Options: Options{Strategy: StrategyBeam, Seed: seed}}
		res, err := tu.Tune(context.Background(), testKey("det"), tileSpace(), f.measure)
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, tr := range res.Trials {
			order = append(order, tr.Config.String())
		}
		return order
	}
	a, b := run(42), run(42)
	if !slices.Equal(a, b) {
		t.Errorf("two searches with seed 42 differ:\n%v\n%v", a, b)
	}
}

func TestTuneProgressAndPruning(t *testing.T) {
	f := &fakeKernel{opt: tileOpt}
	var events []Progress
	tu := &Tuner{
		Mode:     ModeOn,
		Options:  Options{Flush: f.flush, Budget: 10 * time.Millisecond},
		Progress: func(p Progress) { events = append(events, p) },
	}
	res, err := tu.Tune(context.Background(), testKey("progress"), tileSpace(), f.measure)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != res.Tried {
		t.Fatalf("%d progress events for %d candidates", len(events), res.Tried)
	}
	for i, p := range events {
		if p.Tried != i+1 || p.Limit < res.Tried || p.Best == nil || !p.Trial.Config.Equal(res.Trials[i].Config) {
			t.Fatalf("event %d: %+v", i, p)
		}
		if i > 0 && p.BestStats.Median > events[i-1].BestStats.Median {
			t.Fatalf("event %d: the best got slower", i)
		}
	}
	if !events[len(events)-1].Best.Equal(res.Best) {
		t.Errorf("last event's best %s, result's %s", events[len(events)-1].Best, res.Best)
	}
	if res.Pruned == 0 {
		t.Errorf("no candidate stopped early in a space where most are far slower than the best")
	}
	samples := 0
	for _, tr := range res.Trials {
		samples += tr.Stats.Samples
		if tr.Stats.Pruned && tr.Stats.Median <= res.BestStats.Median*3/2 {
			t.Errorf("%s stopped early at median %v, best %v", tr.Config, tr.Stats.Median, res.BestStats.Median)
		}
	}
	if _, flushes := f.counts(); flushes != samples {
		t.Errorf("%d flushes for %d timed repetitions", flushes, samples)
	}
}

func TestTuneRejectsInvalid(t *testing.T) {
	sp := tileSpace()
	seen := 0
	m := func(_ context.Context, c Config) (time.Duration, error) {
		if !c.Equal(sp.Prior) && !sp.Valid(c) {
			return 0, fmt.Errorf("measured %s, which the predicate rejects", c)
		}
		seen++
		return time.Millisecond, nil
	}
	res, err := (&Tuner{Mode: ModeOn, Options: Options{ExhaustiveLimit: 400, MaxCandidates: 400}}).Tune(context.Background(), testKey("valid"), sp, m)
	if err != nil || res.Failed != 0 || res.Rejected == 0 || res.Tried+res.Rejected != 400 {
		t.Errorf("%d tried, %d rejected, %d failed, err %v; want invalid points rejected unmeasured", res.Tried, res.Rejected, res.Failed, err)
	}
}

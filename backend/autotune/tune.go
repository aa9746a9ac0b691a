package autotune

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Strategy chooses how the search walks the space.
type Strategy int

const (
	// StrategyAuto is exhaustive when the space has at most Options.ExhaustiveLimit grid
	// points, beam search otherwise.
	StrategyAuto Strategy = iota
	// StrategyExhaustive measures every valid grid point.
	StrategyExhaustive
	// StrategyBeam keeps the Options.Beam best configurations and measures their
	// neighbours (one knob moved to an adjacent value) until no new neighbour is left or
	// Options.MaxCandidates is reached. Random grid points, drawn from Options.Seed, join
	// the prior as starting points so that the search is not confined to the prior's basin.
	StrategyBeam
)

func (s Strategy) String() string {
	switch s {
	case StrategyAuto:
		return "auto"
	case StrategyExhaustive:
		return "exhaustive"
	case StrategyBeam:
		return "beam"
	}
	return fmt.Sprintf("Strategy(%d)", int(s))
}

// Options tune the tuner. The zero value of a field means its default.
type Options struct {
	Strategy        Strategy
	ExhaustiveLimit int    // largest space searched exhaustively by StrategyAuto (default 64)
	Beam            int    // width of the beam (default 4)
	MaxCandidates   int    // most configurations measured in one search, prior included (default 128)
	Seed            uint64 // seeds the random starting points of the beam search

	// Measurement protocol.
	Warmup int           // untimed runs before the repetitions (default 1; negative: none)
	Budget time.Duration // measured time to spend on the repetitions of one candidate (default 100ms)
	// MinReps and MaxReps bound the repetitions the budget buys (defaults 3 and 25): a slow
	// kernel still gets a median of several runs, a fast one no more than it needs.
	MinReps, MaxReps int
	// A candidate stops after EarlyStopAfter repetitions (default 3) when all of them
	// exceed EarlyStopRatio (default 1.5; +Inf never stops) times the best median so far.
	EarlyStopAfter int
	EarlyStopRatio float64
	// MinGain is how much faster than the measured prior a candidate must be to replace it
	// (default 1: any gain). Above 1 it keeps the prior when the difference may be noise.
	MinGain float64
	// Flush, if set, runs before every timed repetition; NewFlusher(0).Flush evicts the CPU
	// caches, a device backend may pass a hook that evicts the device's.
	Flush func()
}

func (o Options) withDefaults() (Options, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"ExhaustiveLimit", o.ExhaustiveLimit}, {"Beam", o.Beam}, {"MaxCandidates", o.MaxCandidates},
		{"MinReps", o.MinReps}, {"MaxReps", o.MaxReps}, {"EarlyStopAfter", o.EarlyStopAfter},
	} {
		if f.v < 0 {
			return o, fmt.Errorf("options: %s is %d, want ≥ 0", f.name, f.v)
		}
	}
	if o.Budget < 0 {
		return o, fmt.Errorf("options: Budget is %v, want ≥ 0", o.Budget)
	}
	if o.Strategy < StrategyAuto || o.Strategy > StrategyBeam {
		return o, fmt.Errorf("options: unknown %v", o.Strategy)
	}
	if o.EarlyStopRatio != 0 && !(o.EarlyStopRatio > 1) {
		return o, fmt.Errorf("options: EarlyStopRatio is %v, want > 1", o.EarlyStopRatio)
	}
	if o.MinGain != 0 && !(o.MinGain >= 1 && !math.IsInf(o.MinGain, 1)) {
		return o, fmt.Errorf("options: MinGain is %v, want a finite value ≥ 1", o.MinGain)
	}
	def(&o.ExhaustiveLimit, 64)
	def(&o.Beam, 4)
	def(&o.MaxCandidates, 128)
	def(&o.Warmup, 1)
	def(&o.MinReps, 3)
	def(&o.MaxReps, 25)
	o.MaxReps = max(o.MaxReps, o.MinReps)
	def(&o.EarlyStopAfter, 3)
	if o.Budget == 0 {
		o.Budget = 100 * time.Millisecond
	}
	if o.EarlyStopRatio == 0 {
		o.EarlyStopRatio = 1.5
	}
	if o.MinGain == 0 {
		o.MinGain = 1
	}
	return o, nil
}

// reps is the number of repetitions the budget buys at est per run.
func (o *Options) reps(est time.Duration) int {
	n := int64(o.Budget / max(est, time.Nanosecond))
	return int(min(int64(o.MaxReps), max(int64(o.MinReps), n)))
}

// Source says where a Result's configuration came from.
type Source int

const (
	SourcePrior  Source = iota // the analytic prior, unmeasured (mode off, cache miss in mode cached, or a fallback)
	SourceCache                // a cache entry
	SourceSearch               // a search in this call (the prior may have won it)
)

func (s Source) String() string {
	switch s {
	case SourcePrior:
		return "prior"
	case SourceCache:
		return "cache"
	case SourceSearch:
		return "search"
	}
	return fmt.Sprintf("Source(%d)", int(s))
}

// Result is the outcome of a tuning call.
type Result struct {
	Key    Key
	Best   Config // the configuration to use; never nil when the space has a prior
	Prior  Config
	Source Source

	// BestStats and PriorStats are zero where nothing was measured; from a cache entry only
	// the medians (and the best's percentiles) are known.
	BestStats  Stats
	PriorStats Stats
	PriorErr   error // why the prior's measurement failed, if it did

	// Gain is PriorStats.Median / BestStats.Median, at least MinGain when the search replaced
	// the prior, 1 when the prior won, 0 when unknown (nothing measured, or the prior failed).
	Gain float64

	// Fallback is set when a search was wanted but no candidate was measured to the end
	// (all failed, or the context ended first): Best is then the unmeasured prior.
	Fallback bool
	// Partial is set when the context ended the search early (or, from the cache, ended
	// the search that stored the entry).
	Partial bool

	Tried    int     // candidates measured, including those that failed or stopped early
	Failed   int     // candidates whose measurement returned an error or panicked
	Pruned   int     // candidates stopped early as clearly slower than the best
	Rejected int     // grid points the validity predicate excluded without measuring
	Trials   []Trial // every measured candidate, in the order measured; the prior is first

	// CacheErr reports, once per Cache, that the cache could not be read or written and
	// keeps its entries in memory only; the tuning call itself did not fail.
	CacheErr error
}

// Progress is reported after each measured candidate of a search.
type Progress struct {
	Key       Key
	Trial     Trial // the candidate just measured
	Tried     int   // candidates measured so far, this one included
	Limit     int   // the most the search will measure
	Best      Config
	BestStats Stats // the best so far; Best is nil while no candidate succeeded
}

// A Tuner chooses configurations for kernels. Its fields are read, never written, by Tune,
// which may be called from several goroutines; measurements of one call run one at a time.
type Tuner struct {
	Mode     Mode
	Cache    *Cache // nil: nothing is remembered between calls
	Options  Options
	Progress func(Progress) // called on the tuning goroutine after each candidate; may be nil
}

// NewFromEnv returns a tuner in the mode of CROSSBAR_TUNE with the cache of
// CROSSBAR_CACHE_DIR (see OpenCache). An unknown mode gives ModeCached and an error.
func NewFromEnv() (*Tuner, error) {
	mode, err := ModeFromEnv()
	t := &Tuner{Mode: mode}
	if mode != ModeOff {
		t.Cache = OpenCache("")
	}
	return t, err
}

// Tune returns the configuration to use for the kernel of key over space sp, measuring
// candidates with m when the mode and the cache call for it (m may be nil in the other
// modes).
//
// Tuning never fails the caller's kernel: every path returns a usable Best. A candidate
// whose measurement fails or panics ranks last; when all fail, Best is the prior with
// Fallback set and no error. When ctx ends, Tune returns the best configuration measured
// so far (or the prior) and an error wrapping ctx.Err(); measurements completed by then may
// be stored, marked partial, when they beat the measured prior. Errors name bad input: a
// malformed space or key, bad options, an unknown mode, or a nil Measure when one is needed.
func (t *Tuner) Tune(ctx context.Context, key Key, sp Space, m Measure) (Result, error) {
	res := Result{Key: key, Prior: sp.Prior.Clone(), Best: sp.Prior.Clone(), Source: SourcePrior}
	fail := func(err error) (Result, error) {
		return res, fmt.Errorf("autotune: tune %s: %w", key, err)
	}
	if err := sp.validate(); err != nil {
		return fail(err)
	}
	if key.Kernel == "" {
		return fail(fmt.Errorf("key has no kernel signature"))
	}
	opts, err := t.Options.withDefaults()
	if err != nil {
		return fail(err)
	}
	switch t.Mode {
	case ModeOff:
		return res, nil
	case ModeCached, ModeOn:
	default:
		return fail(fmt.Errorf("unknown %v", t.Mode))
	}
	if t.Cache != nil {
		e, ok := t.Cache.Lookup(key)
		res.CacheErr = t.Cache.takeError()
		if ok && sp.Fits(e.Config) && sp.valid(e.Config) && (!e.Partial || t.Mode != ModeOn) {
			res.Best = e.Config
			res.Source = SourceCache
			res.BestStats = Stats{Median: e.Median, P20: e.P20, P80: e.P80}
			res.PriorStats = Stats{Median: e.Prior}
			res.Gain = gain(e.Prior, e.Median)
			res.Partial = e.Partial
			res.Tried = e.Tried
			return res, nil
		}
	}
	if t.Mode == ModeCached {
		return res, nil
	}
	if m == nil {
		return fail(fmt.Errorf("mode on needs a Measure"))
	}
	if ctx.Err() != nil {
		res.Fallback = true
		return fail(ctx.Err())
	}

	s := newSearch(key, &sp, m, &opts, t.Progress)
	s.run(ctx)
	s.fill(&res)
	if t.Cache != nil && s.worthStoring(&res) {
		t.Cache.Store(Entry{
			Key: key, Config: res.Best,
			Median: res.BestStats.Median, P20: res.BestStats.P20, P80: res.BestStats.P80,
			Prior: res.PriorStats.Median, Tried: res.Tried, Partial: res.Partial,
		})
		if err := t.Cache.takeError(); err != nil && res.CacheErr == nil {
			res.CacheErr = err
		}
	}
	if s.cancelled {
		return fail(ctx.Err())
	}
	return res, nil
}

func gain(prior, best time.Duration) float64 {
	if prior <= 0 {
		return 0
	}
	return float64(prior) / float64(max(best, 1))
}

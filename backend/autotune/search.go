package autotune

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"time"
)

// search is the state of one tuning call's search: every trial so far and the best one.
type search struct {
	key      Key
	sp       Space // the caller's space with the prior's values joined to the grid
	m        Measure
	o        *Options
	progress func(Progress)

	trials    []Trial
	seen      map[string]bool
	best      int // index in trials of the fastest complete trial; -1 while there is none
	rejected  int
	cancelled bool
	limit     int
}

func newSearch(key Key, sp *Space, m Measure, o *Options, progress func(Progress)) *search {
	s := &search{key: key, m: m, o: o, progress: progress, seen: map[string]bool{}, best: -1}
	// The prior's values join their knobs' grids, so that a prior off the grid (a BLIS
	// blocking of 384) still has neighbours the search may move to one knob at a time.
	s.sp = Space{Valid: sp.Valid, Prior: sp.Prior}
	for _, k := range sp.Knobs {
		vals := slices.Clone(k.Values)
		if v := sp.Prior[k.Name]; !slices.Contains(vals, v) {
			vals = append(vals, v)
			slices.Sort(vals)
		}
		s.sp.Knobs = append(s.sp.Knobs, Knob{Name: k.Name, Values: vals})
	}
	return s
}

func (s *search) run(ctx context.Context) {
	strategy := s.o.Strategy
	if strategy == StrategyAuto {
		strategy = StrategyBeam
		if s.sp.Size() <= s.o.ExhaustiveLimit {
			strategy = StrategyExhaustive
		}
	}
	s.limit = s.o.MaxCandidates
	if strategy == StrategyExhaustive && s.sp.Size() < s.limit {
		s.limit = s.sp.Size()
	}
	// The prior goes first: it is the yardstick of the gain, its median is the first bound
	// of early stopping, and the result may never be slower than it.
	if s.try(ctx, s.sp.Prior, true) {
		return
	}
	switch strategy {
	case StrategyExhaustive:
		s.sp.all(func(c Config) bool { return !s.try(ctx, c, false) })
	default:
		s.beam(ctx)
	}
}

// beam measures the prior's company of random starting points, then, round after round,
// the unmeasured neighbours of the Beam best configurations, until a round has none left.
// Candidates slower than the best stop early (see measure), and neither they nor failed
// ones are ever expanded.
func (s *search) beam(ctx context.Context) {
	rng := rand.New(rand.NewPCG(s.o.Seed, 0x6a09e667f3bcc908))
	starts := s.o.Beam - 1
	for draws := 0; starts > 0 && draws < 16*s.o.Beam; draws++ {
		c := make(Config, len(s.sp.Knobs))
		for _, k := range s.sp.Knobs {
			c[k.Name] = k.Values[rng.IntN(len(k.Values))]
		}
		if s.seen[c.String()] || !s.sp.Allows(c) {
			continue
		}
		starts--
		if s.try(ctx, c, false) {
			return
		}
	}
	for {
		var frontier []Config
		for _, i := range s.top(s.o.Beam) {
			for _, n := range s.sp.Neighbours(s.trials[i].Config) {
				if !s.seen[n.String()] {
					frontier = append(frontier, n)
				}
			}
		}
		if len(frontier) == 0 {
			return
		}
		for _, c := range frontier {
			if s.try(ctx, c, false) {
				return
			}
		}
	}
}

// top returns the indices of the k fastest complete trials, fastest first; ties go to the
// earlier trial, so the order depends on nothing but the measurements.
func (s *search) top(k int) []int {
	var idx []int
	for i := range s.trials {
		if s.trials[i].OK() {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Compare(s.trials[a].Stats.Median, s.trials[b].Stats.Median)
	})
	return idx[:min(k, len(idx))]
}

// try measures c unless it was seen before or the predicate rejects it, and reports whether
// the search must stop (the context ended or the candidate limit is reached). The prior is
// measured whatever the predicate says: it is the family's own choice.
func (s *search) try(ctx context.Context, c Config, prior bool) (stop bool) {
	if s.cancelled || len(s.trials) >= s.limit {
		return true
	}
	id := c.String()
	if s.seen[id] {
		return false
	}
	s.seen[id] = true
	if !prior && !s.sp.Allows(c) {
		s.rejected++
		return false
	}
	var best time.Duration
	if s.best >= 0 {
		best = s.trials[s.best].Stats.Median
	}
	tr, cancelled := measure(ctx, s.o, s.m, c.Clone(), best)
	if cancelled {
		s.cancelled = true
		return true
	}
	s.trials = append(s.trials, tr)
	if tr.OK() && (s.best < 0 || tr.Stats.Median < best) {
		s.best = len(s.trials) - 1
	}
	if s.progress != nil {
		p := Progress{Key: s.key, Trial: tr, Tried: len(s.trials), Limit: s.limit}
		if s.best >= 0 {
			p.Best = s.trials[s.best].Config.Clone()
			p.BestStats = s.trials[s.best].Stats
		}
		s.progress(p)
	}
	return len(s.trials) >= s.limit
}

// fill writes the search's outcome into res.
func (s *search) fill(res *Result) {
	res.Source = SourceSearch
	res.Trials = s.trials
	res.Tried = len(s.trials)
	res.Rejected = s.rejected
	res.Partial = s.cancelled
	for i := range s.trials {
		switch {
		case s.trials[i].Err != nil:
			res.Failed++
		case s.trials[i].Stats.Pruned:
			res.Pruned++
		}
	}
	var prior *Trial
	if len(s.trials) > 0 && s.trials[0].Config.Equal(s.sp.Prior) {
		prior = &s.trials[0]
		res.PriorErr = prior.Err
		if prior.OK() {
			res.PriorStats = prior.Stats
		}
	}
	if s.best < 0 {
		res.Source = SourcePrior
		res.Fallback = true
		return
	}
	best := &s.trials[s.best]
	if prior != nil && prior.OK() && gain(prior.Stats.Median, best.Stats.Median) < s.o.MinGain {
		best = prior
	}
	res.Best = best.Config.Clone()
	res.BestStats = best.Stats
	res.Gain = gain(res.PriorStats.Median, best.Stats.Median)
}

// worthStoring reports whether res may go into the cache: a finished search, or one the
// context ended after it had measured both the prior and something faster. A fallback is
// never stored, so a later process tries again.
func (s *search) worthStoring(res *Result) bool {
	if res.Fallback {
		return false
	}
	if !s.cancelled {
		return true
	}
	return res.PriorStats.Samples > 0 && !res.Best.Equal(res.Prior)
}

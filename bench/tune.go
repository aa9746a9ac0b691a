package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
)

// -tune: instead of benchmarking, tune the kernels of the selected suites' shapes on each
// selected device and store the winners in the tuning cache (mode on), then print one row
// per shape: the prior's median, the tuned median, their ratio, the candidates measured,
// and a recheck, the same ratio measured again with the two configurations alternating, so
// that a gain that was noise shows.

// tuneProblem is one kernel shape to tune on a device.
type tuneProblem struct {
	suite, name, size string
	dtype             graph.DType
	// skip, when set, says why the shape has nothing to tune; the other fields are unset.
	skip string

	key     autotune.Key
	space   autotune.Space
	measure autotune.Measure
	flush   func() // before every timed run; nil: none
	// tune runs the search with t (the family may have more to do than t.Tune).
	tune func(ctx context.Context, t *autotune.Tuner) (autotune.Result, error)
	// close, if set, releases what the problem holds (device buffers) once it is done.
	close func()
}

// A tuneFamily makes the tuning problems of one kind of device for a suite's shapes; nil
// problems and no error mean the suite has nothing that device tunes.
type tuneFamily func(dev backend.Device, suite string, opts Options) ([]tuneProblem, error)

// tuneFamilies are the families by device kind (the name before the colon); a backend's
// file adds its own.
var tuneFamilies = map[string]tuneFamily{"cpu": cpuTuneProblems}

// tuneRow is the report of one shape.
type tuneRow struct {
	Device string `json:"device"`
	Suite  string `json:"suite"`
	Case   string `json:"case"`
	Size   string `json:"size"`
	DType  string `json:"dtype"`
	// Source is where the configuration came from: "search" or "cache" (tuned before).
	Source string        `json:"source,omitempty"`
	Prior  time.Duration `json:"prior_ns"` // median of the prior
	Tuned  time.Duration `json:"tuned_ns"` // median of the chosen configuration
	Gain   float64       `json:"gain"`     // Prior / Tuned
	// RecheckPrior and RecheckTuned are medians measured again after the search, the two
	// configurations alternating; Recheck is their ratio.
	RecheckPrior time.Duration `json:"recheck_prior_ns,omitempty"`
	RecheckTuned time.Duration `json:"recheck_tuned_ns,omitempty"`
	Recheck      float64       `json:"recheck,omitempty"`
	Tried        int           `json:"tried"`
	Failed       int           `json:"failed,omitempty"`
	Partial      bool          `json:"partial,omitempty"`
	Best         string        `json:"best,omitempty"`
	PriorConfig  string        `json:"prior,omitempty"`
	Note         string        `json:"note,omitempty"`
	Err          string        `json:"error,omitempty"`
}

// tuneShapesSuite is the suite name of the shapes of -tune-shapes.
const tuneShapesSuite = "shapes"

// parseShape reads "MxNxK".
func parseShape(s string) ([3]int, error) {
	var d [3]int
	f := strings.Split(s, "x")
	if len(f) != 3 {
		return d, fmt.Errorf("shape %q is not MxNxK", s)
	}
	for i, v := range f {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return d, fmt.Errorf("shape %q: %q is not a positive integer", s, v)
		}
		d[i] = n
	}
	return d, nil
}

// recheckRounds is the number of alternating runs of the recheck.
const recheckRounds = 9

// cpuTuneProblems returns the GEMM shapes of the gemm, deepbench and matmul suites.
func cpuTuneProblems(dev backend.Device, suite string, opts Options) ([]tuneProblem, error) {
	type shape struct {
		name, size string
		dt         graph.DType
		m, n, k    int
	}
	var shapes []shape
	switch suite {
	case "gemm":
		for _, n := range gemmSizes(opts) {
			shapes = append(shapes, shape{"sgemm", strconv.Itoa(n), graph.Float32, n, n, n},
				shape{"dgemm", strconv.Itoa(n), graph.Float64, n, n, n})
		}
	case "matmul":
		for _, n := range opts.Sizes {
			shapes = append(shapes, shape{"f32", strconv.Itoa(n), graph.Float32, n, n, n})
		}
	case tuneShapesSuite:
		for _, d := range opts.TuneShapes {
			shapes = append(shapes, shape{"f32", fmt.Sprintf("%dx%dx%d", d[0], d[1], d[2]), graph.Float32, d[0], d[1], d[2]})
		}
	case "elementwise":
		return cpuBlockProblems(suite, opts.N)
	case "deepbench":
		probs, err := deepbenchProblems(opts)
		if err != nil {
			return nil, err
		}
		for _, p := range probs {
			shapes = append(shapes, shape{p.set + "-" + tn(p.ta) + tn(p.tb), fmt.Sprintf("%dx%dx%d", p.m, p.n, p.k), graph.Float32, p.m, p.n, p.k})
		}
	default:
		return nil, nil
	}
	var out []tuneProblem
	for _, s := range shapes {
		p := tuneProblem{suite: suite, name: s.name, size: s.size, dtype: s.dt}
		g, err := cpu.NewGemmTuning(s.dt, s.m, s.n, s.k)
		switch {
		case errors.Is(err, cpu.ErrNothingToTune):
			p.skip = "a single row or column: GEMV kernels, no blocking"
		case err != nil:
			return nil, err
		default:
			p.key, p.space, p.measure, p.tune = g.Key, g.Space, g.Measure, g.Tune
			p.flush = g.Flush
			if g.Measured != [3]int(g.Key.Shape) {
				p.size += fmt.Sprintf(" (measured %dx%dx%d)", g.Measured[0], g.Measured[1], g.Measured[2])
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// reluGraph returns relu(a*b+c) over n float32, the fused chain of the elementwise suite.
// Its leaves hold zeros: the tuning problems upload values of their own.
func reluGraph(n int) (*graph.Node, error) {
	if n <= 0 {
		return nil, fmt.Errorf("vector length %d", n)
	}
	zeros := make([]byte, 4*n)
	var leaves [3]*graph.Node
	for i := range leaves {
		l, err := graph.Host(graph.Float32, []int{n}, zeros)
		if err != nil {
			return nil, err
		}
		leaves[i] = l
	}
	ab, err := graph.Binary(graph.OpMul, leaves[0], leaves[1])
	if err != nil {
		return nil, err
	}
	abc, err := graph.Binary(graph.OpAdd, ab, leaves[2])
	if err != nil {
		return nil, err
	}
	z, err := graph.Const(graph.ScalarOf(0, graph.Float32), graph.Float32)
	if err != nil {
		return nil, err
	}
	if z, err = graph.Reshape(z, []int{1}); err != nil {
		return nil, err
	}
	if z, err = graph.Expand(z, []int{n}); err != nil {
		return nil, err
	}
	return graph.Binary(graph.OpMax, abc, z)
}

// cpuBlockProblems returns the elementwise kernels of the elementwise suite (relu(a*b+c)
// over n float32) as block-size tuning problems of the CPU; the suite's reductions share
// out their own work and have no block to tune.
func cpuBlockProblems(suite string, n int) ([]tuneProblem, error) {
	node, err := reluGraph(n)
	if err != nil {
		return nil, err
	}
	ks, err := graph.Schedule([]*graph.Node{node})
	if err != nil {
		return nil, err
	}
	var out []tuneProblem
	for _, k := range ks {
		p := tuneProblem{suite: suite, name: "relu(a*b+c)", size: strconv.Itoa(n), dtype: graph.Float32}
		g, err := cpu.NewBlockTuning(k)
		switch {
		case errors.Is(err, cpu.ErrNothingToTune):
			p.skip = "no block to tune"
		case err != nil:
			return nil, err
		default:
			p.key, p.space, p.measure, p.tune, p.close = g.Key, g.Space, g.Measure, g.Tune, g.Close
		}
		out = append(out, p)
	}
	return out, nil
}

// tuneOptions sets the measurement protocol for a search of at most budget: enough
// repetitions for a median on a shared machine, few enough that a search tries dozens of
// candidates.
func tuneOptions(o autotune.Options, budget time.Duration) autotune.Options {
	o.Budget = min(100*time.Millisecond, max(5*time.Millisecond, budget/40))
	o.MinReps, o.MaxReps = 3, 9
	o.MaxCandidates = 64
	return o
}

// runTune is run for -tune: it tunes every selected device's shapes within opts.TuneBudget
// and writes the report to w.
func runTune(ctx context.Context, opts Options, selected []Suite, w io.Writer) error {
	parent := ctx
	if opts.TuneBudget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.TuneBudget)
		defer cancel()
	}
	var rows []tuneRow
	for _, tg := range selectDevices(opts.Devices) {
		if tg.err != nil {
			rows = append(rows, tuneRow{Device: tg.name, Suite: "-", Case: "open", Size: "-", Err: tg.err.Error()})
			continue
		}
		kind, _, _ := strings.Cut(tg.dev.Name(), ":")
		family := tuneFamilies[kind]
		if family == nil {
			rows = append(rows, tuneRow{Device: tg.name, Suite: "-", Case: "-", Size: "-", Note: "no tuning family for this device"})
			continue
		}
		names := []string{tuneShapesSuite}
		if len(opts.TuneShapes) == 0 {
			names = names[:0]
			for _, s := range selected {
				names = append(names, s.Name())
			}
		}
		var probs []tuneProblem
		for _, name := range names {
			ps, err := family(tg.dev, name, opts)
			if err != nil {
				rows = append(rows, tuneRow{Device: tg.name, Suite: name, Case: "-", Size: "-", Err: err.Error()})
			}
			probs = append(probs, ps...)
		}
		rows = append(rows, tuneProblems(ctx, tg.dev, probs, opts)...)
	}
	if err := writeTuneReport(w, rows, opts.JSON); err != nil {
		return err
	}
	failed := 0
	for _, r := range rows {
		if r.Err != "" {
			failed++
		}
	}
	switch {
	case parent.Err() != nil:
		// Stopped from outside (an interrupt); the end of -tune-budget is not an error: each
		// shape had its share of it, and the report says which searches it cut short.
		return fmt.Errorf("tuning stopped: %w", context.Cause(parent))
	case len(rows) == 0:
		return errors.New("no shape to tune")
	case failed > 0:
		return fmt.Errorf("%d of %d shapes failed", failed, len(rows))
	}
	return nil
}

// tuneProblems tunes the problems one after the other, each within an equal share of what
// is left of ctx's time (at most opts.TuneShape when set).
func tuneProblems(ctx context.Context, dev backend.Device, probs []tuneProblem, opts Options) []tuneRow {
	var rows []tuneRow
	todo := 0
	for _, p := range probs {
		if p.skip == "" {
			todo++
		}
	}
	for _, p := range probs {
		row := tuneRow{Device: dev.Name(), Suite: p.suite, Case: p.name, Size: p.size, DType: p.dtype.String()}
		if p.skip != "" {
			row.Note = "skipped: " + p.skip
			rows = append(rows, row)
			continue
		}
		if err := ctx.Err(); err != nil {
			if p.close != nil {
				p.close()
			}
			row.Err = "not tuned: " + err.Error()
			rows = append(rows, row)
			continue
		}
		budget := opts.TuneShape
		if dl, ok := ctx.Deadline(); ok {
			share := time.Until(dl) / time.Duration(max(1, todo))
			if budget <= 0 || share < budget {
				budget = share
			}
		}
		if budget <= 0 {
			budget = 30 * time.Second
		}
		todo--
		opts.progress("tune %s: %s %s %s %s, budget %v", dev.Name(), p.suite, p.name, p.size, p.dtype, budget.Round(time.Second))
		row = tuneOne(ctx, p, budget, opts)
		row.Device = dev.Name()
		if p.close != nil {
			p.close()
		}
		rows = append(rows, row)
		last := row
		opts.progress("tune %s: %s %s: prior %s, tuned %s, gain %.3f, recheck %.3f, %d tried",
			dev.Name(), p.suite, p.name, fmtDuration(last.Prior), fmtDuration(last.Tuned), last.Gain, last.Recheck, last.Tried)
	}
	return rows
}

// tuneOne searches one problem within budget, stores the winner and rechecks it.
func tuneOne(ctx context.Context, p tuneProblem, budget time.Duration, opts Options) tuneRow {
	row := tuneRow{Suite: p.suite, Case: p.name, Size: p.size, DType: p.dtype.String()}
	sctx, cancel := context.WithTimeout(ctx, budget*4/5) // the rest is for the recheck
	defer cancel()
	t := &autotune.Tuner{Mode: autotune.ModeOn, Cache: autotune.OpenCache("")}
	t.Options = tuneOptions(autotune.Options{Flush: p.flush, MinGain: 1.02}, budget)
	if opts.Progress != nil {
		t.Progress = func(pr autotune.Progress) {
			status := fmtDuration(pr.Trial.Stats.Median)
			if pr.Trial.Err != nil {
				status = "failed"
			} else if pr.Trial.Stats.Pruned {
				status += " (stopped early)"
			}
			fmt.Fprintf(opts.Progress, "bench:   %2d/%d  %-28s %-22s best %s %s\n", pr.Tried, pr.Limit,
				pr.Trial.Config, status, fmtDuration(pr.BestStats.Median), pr.Best)
		}
	}
	res, err := p.tune(sctx, t)
	row.Source = res.Source.String()
	row.Prior, row.Tuned = res.PriorStats.Median, res.BestStats.Median
	row.Gain, row.Tried, row.Failed, row.Partial = res.Gain, res.Tried, res.Failed, res.Partial
	row.Best, row.PriorConfig = res.Best.String(), res.Prior.String()
	var notes []string
	if res.CacheErr != nil {
		notes = append(notes, "cache: "+res.CacheErr.Error())
	}
	if res.Partial {
		notes = append(notes, "search cut short by its budget")
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		row.Err = err.Error()
		return row
	}
	if res.Fallback {
		row.Err = "no candidate measured within the budget"
		return row
	}
	if ctx.Err() == nil {
		pm, bm, err := recheck(ctx, p, res.Prior, res.Best)
		if err != nil {
			notes = append(notes, "recheck: "+err.Error())
		} else {
			row.RecheckPrior, row.RecheckTuned = pm, bm
			row.Recheck = float64(pm) / float64(max(bm, 1))
			if row.Recheck < 1 && t.Cache != nil {
				// The search's gain did not hold when measured again: it was noise, and the
				// prior is what later runs should use.
				err := t.Cache.Store(autotune.Entry{Key: p.key, Config: res.Prior, Median: pm, Prior: pm, Tried: res.Tried})
				if err == nil {
					notes = append(notes, fmt.Sprintf("not confirmed by the recheck: stored the prior instead of %s", res.Best))
					row.Best, row.Tuned, row.Recheck, row.RecheckTuned = row.PriorConfig, row.Prior, 1, pm
				}
			}
		}
	}
	row.Note = strings.Join(notes, "; ")
	return row
}

// recheck measures prior and best again, alternating, after a warm-up run of each, and
// returns their medians. When best is the prior, it is measured once per round.
func recheck(ctx context.Context, p tuneProblem, prior, best autotune.Config) (time.Duration, time.Duration, error) {
	same := prior.Equal(best)
	var pt, bt []time.Duration
	for i := -1; i < recheckRounds; i++ {
		for j, c := range []autotune.Config{prior, best} {
			if j == 1 && same {
				continue
			}
			if p.flush != nil {
				p.flush()
			}
			d, err := p.measure(ctx, c)
			if err != nil {
				return 0, 0, err
			}
			if i < 0 {
				continue
			}
			if j == 0 {
				pt = append(pt, d)
			} else {
				bt = append(bt, d)
			}
		}
	}
	if same {
		bt = pt
	}
	return medianOf(pt), medianOf(bt), nil
}

func medianOf(ts []time.Duration) time.Duration { return timing{times: ts}.median() }

// writeTuneReport writes the rows as a table (or JSON lines), with a summary line.
func writeTuneReport(w io.Writer, rows []tuneRow, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tSUITE\tCASE\tSIZE\tDTYPE\tPRIOR\tTUNED\tGAIN\tRECHECK\tTRIED\tSOURCE\tCONFIG\tSTATUS")
	var gains []float64
	slower := 0
	for _, r := range rows {
		status := "ok"
		if r.Note != "" {
			status = "ok: " + r.Note
		}
		if r.Err != "" {
			status = "error: " + oneLine(r.Err, 160)
		}
		if r.Tried == 0 && r.Source == "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t-\t-\t-\t-\t-\t-\t-\t%s\n", r.Device, r.Suite, r.Case, r.Size, r.DType, status)
			continue
		}
		recheck := "-"
		if r.Recheck > 0 {
			recheck = fmt.Sprintf("%.3f", r.Recheck)
			if r.Recheck < 0.97 {
				slower++
			}
		}
		cfg := r.Best
		if r.Best == r.PriorConfig {
			cfg = "prior " + cfg
		}
		if r.Gain > 0 {
			gains = append(gains, r.Gain)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.3f\t%s\t%d\t%s\t%s\t%s\n", r.Device, r.Suite, r.Case, r.Size, r.DType,
			fmtDuration(r.Prior), fmtDuration(r.Tuned), r.Gain, recheck, r.Tried, r.Source, cfg, status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(gains) > 0 {
		fmt.Fprintf(w, "\n%d shapes tuned: gain min %.3f, max %.3f; %d rechecked below 0.97x the prior\n",
			len(gains), slices.Min(gains), slices.Max(gains), slower)
	}
	return nil
}

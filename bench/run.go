package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
)

// Options are the settings of a run. Zero values mean the defaults (which -quick changes).
type Options struct {
	Devices []string      // device names; none: every device found
	Suites  []string      // suite names; none: defaultSuites
	N       int           // stream: vector length
	Sizes   []int         // matmul: square sizes
	Reps    int           // timed repetitions per case
	Quick   bool          // small sizes, few repetitions
	Timeout time.Duration // bound on the whole run; 0: none
	JSON    bool          // JSON lines instead of a table
	List    bool          // list suites and devices only
	Verbose bool          // progress on standard error (main sets Progress)
	// Deepbench is the DeepBench problem list of the deepbench suite; "": the default places.
	Deepbench string

	// Tune tunes the kernels of the selected suites' shapes instead of benchmarking them
	// (-tune), within TuneBudget in all (0: no bound) and TuneShape per shape (0: an equal
	// share of what is left).
	Tune       bool
	TuneBudget time.Duration
	TuneShape  time.Duration
	// TuneShapes, when set, are the float32 products (m, n, k) to tune instead of the
	// suites' shapes (-tune-shapes).
	TuneShapes [][3]int

	// sizesGiven records that Sizes came from the user (the gemm suite has its own defaults).
	sizesGiven bool

	// Progress, when set, receives a line as each case starts.
	Progress io.Writer
}

// withDefaults returns o with the defaults filled in, or a usage error for a bad value.
func (o Options) withDefaults() (Options, error) {
	if len(o.Suites) == 0 {
		o.Suites = defaultSuites
	}
	switch {
	case o.N < 0:
		return o, usagef("-n %d: must be positive", o.N)
	case o.N == 0 && o.Quick:
		o.N = 1 << 20
	case o.N == 0:
		o.N = 16 << 20
	}
	switch {
	case o.Reps < 0:
		return o, usagef("-reps %d: must be positive", o.Reps)
	case o.Reps == 0 && o.Quick:
		o.Reps = 2
	case o.Reps == 0:
		o.Reps = 5
	}
	o.sizesGiven = o.sizesGiven || len(o.Sizes) > 0
	for _, s := range o.Sizes {
		if s <= 0 {
			return o, usagef("-sizes: %d must be positive", s)
		}
	}
	if len(o.Sizes) == 0 {
		o.Sizes = []int{256, 512, 1024}
		if o.Quick {
			o.Sizes = []int{64, 128, 256}
		}
	}
	if o.Timeout < 0 {
		return o, usagef("-timeout %v: must not be negative", o.Timeout)
	}
	if o.TuneBudget < 0 || o.TuneShape < 0 {
		return o, usagef("-tune-budget %v, -tune-shape %v: must not be negative", o.TuneBudget, o.TuneShape)
	}
	return o, nil
}

// progress writes one line to o.Progress, if set.
func (o Options) progress(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "bench: "+format+"\n", args...)
	}
}

// selectSuites resolves names to suites, in the order given; an unknown name is a usage error
// that lists the valid names.
func selectSuites(names []string) ([]Suite, error) {
	var out []Suite
	var unknown []string
	seen := map[string]bool{}
	for _, n := range names {
		s, ok := suites[n]
		switch {
		case !ok:
			unknown = append(unknown, strconv.Quote(n))
		case !seen[n]:
			seen[n] = true
			out = append(out, s)
		}
	}
	if len(unknown) > 0 {
		return nil, usagef("unknown suite %s (valid suites: %s)", strings.Join(unknown, ", "), strings.Join(suiteNames(), ", "))
	}
	return out, nil
}

// target is a device to run on, or the error of opening it.
type target struct {
	name string
	dev  backend.Device
	err  error
}

// selectDevices opens the named devices (all present devices with no names).
func selectDevices(names []string) []target {
	var out []target
	if len(names) == 0 {
		for _, d := range backend.Devices() {
			out = append(out, target{name: d.Name(), dev: d})
		}
		return out
	}
	seen := map[string]bool{}
	for _, n := range names {
		d, err := backend.Open(n)
		name := n
		if err == nil {
			name = d.Name()
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, target{name: name, dev: d, err: err})
	}
	return out
}

// host describes the machine, for the header and every JSON row.
type host struct {
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Go         string `json:"go"`
}

func thisHost() host {
	return host{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0), Go: runtime.Version()}
}

// capsSummary describes a device's capabilities in one line.
func capsSummary(c backend.Capabilities) string {
	var parts []string
	if c.GraphLevel {
		parts = append(parts, "graph-level")
	} else {
		parts = append(parts, "kernel-level")
	}
	if c.Cores > 0 {
		parts = append(parts, fmt.Sprintf("%d cores", c.Cores))
	}
	if c.WarpWidth > 1 {
		parts = append(parts, fmt.Sprintf("warp %d", c.WarpWidth))
	}
	if c.MaxWorkgroup > 0 {
		parts = append(parts, fmt.Sprintf("workgroup %d", c.MaxWorkgroup))
	}
	if c.SharedMemory > 0 {
		parts = append(parts, fmt.Sprintf("shared %d KiB", c.SharedMemory>>10))
	}
	if c.UnifiedMemory {
		parts = append(parts, "unified memory")
	}
	dts := make([]string, len(c.DTypes))
	for i, d := range c.DTypes {
		dts[i] = d.String()
	}
	parts = append(parts, "dtypes "+strings.Join(dts, ","))
	return strings.Join(parts, ", ")
}

// run is the whole program after flag parsing: it writes the header and the results to w.
// It returns a usage error for bad options, and an error when a case failed or the run was
// stopped (the rows measured so far are written first).
func run(ctx context.Context, opts Options, w io.Writer) error {
	opts, err := opts.withDefaults()
	if err != nil {
		return err
	}
	selected, err := selectSuites(opts.Suites)
	if err != nil {
		return err
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	h := thisHost()
	if opts.List {
		return list(w, h)
	}
	if opts.Tune {
		return runTune(ctx, opts, selected, w)
	}
	var out reporter
	if opts.JSON {
		out = &jsonReporter{enc: json.NewEncoder(w), host: h}
	} else {
		writeHeader(w, h, opts, selected)
		out = newTableReporter(w)
	}

	var failed, total int
	add := func(r Row) error {
		total++
		if !r.OK() {
			failed++
		}
		return out.add(r)
	}
	var stopped error
	for _, t := range selectDevices(opts.Devices) {
		if t.err != nil {
			if err := add(Row{Device: t.name, Suite: "-", Case: "open", Size: "-", Err: t.err.Error()}); err != nil {
				return err
			}
			continue
		}
		for _, s := range selected {
			if stopped = ctx.Err(); stopped != nil {
				break
			}
			rows, err := runSuite(ctx, s, t.dev, opts)
			for _, r := range rows {
				if err := add(r); err != nil {
					return err
				}
			}
			if err != nil && ctx.Err() == nil {
				// The suite as a whole failed (not a cancellation, which its rows show).
				if err := add(Row{Device: t.name, Suite: s.Name(), Case: "-", Size: "-", Err: err.Error()}); err != nil {
					return err
				}
			}
		}
		if stopped = ctx.Err(); stopped != nil {
			break
		}
	}
	if err := out.flush(); err != nil {
		return err
	}
	switch {
	case stopped != nil:
		return fmt.Errorf("run stopped: %w", context.Cause(ctx))
	case total == 0:
		return errors.New("no device to run on")
	case failed > 0:
		return fmt.Errorf("%d of %d cases failed", failed, total)
	}
	return nil
}

// runSuite runs one suite, turning a panic inside it (a bug in the library or the suite)
// into an error so that the other suites still run.
func runSuite(ctx context.Context, s Suite, dev backend.Device, opts Options) (rows []Row, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in suite %s on %s: %v", s.Name(), dev.Name(), p)
		}
	}()
	return s.Run(ctx, dev, opts)
}

// list writes the suites and the devices.
func list(w io.Writer, h host) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "suites:")
	for _, n := range suiteNames() {
		fmt.Fprintf(tw, "  %s\t%s\n", n, suites[n].Description())
	}
	writeDevices(tw)
	return tw.Flush()
}

func writeHeader(w io.Writer, h host, opts Options, selected []Suite) {
	fmt.Fprintf(w, "crossbar bench: %s %s/%s, %d CPUs (GOMAXPROCS %d)\n", h.Go, h.GOOS, h.GOARCH, h.CPUs, h.GOMAXPROCS)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	writeDevices(tw)
	_ = tw.Flush()
	names := make([]string, len(selected))
	for i, s := range selected {
		names[i] = s.Name()
	}
	sizes := make([]string, len(opts.Sizes))
	for i, s := range opts.Sizes {
		sizes[i] = strconv.Itoa(s)
	}
	fmt.Fprintf(w, "suites: %s; stream n=%d; matmul sizes=%s; reps=%d (best and median)\n",
		strings.Join(names, ","), opts.N, strings.Join(sizes, ","), opts.Reps)
	// Suites comparing with a reference say which (one line each, printed once).
	seen := map[string]bool{}
	for _, s := range selected {
		if h, ok := s.(interface{ headerLine() string }); ok {
			if l := h.headerLine(); !seen[l] {
				seen[l] = true
				fmt.Fprintln(w, l)
			}
		}
	}
	fmt.Fprintln(w)
}

// writeDevices lists every device found, marking the default one.
func writeDevices(w io.Writer) {
	fmt.Fprintln(w, "devices:")
	def := ""
	if d := backend.Default(); d != nil {
		def = d.Name()
	}
	devs := backend.Devices()
	if len(devs) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for _, d := range devs {
		name := d.Name()
		if name == def {
			name += " (default)"
		}
		fmt.Fprintf(w, "  %s\t%s\n", name, capsSummary(d.Capabilities()))
	}
}

// A reporter writes rows.
type reporter interface {
	add(Row) error
	flush() error
}

// tableReporter aligns the rows in a table written at flush.
type tableReporter struct {
	tw *tabwriter.Writer
}

func newTableReporter(w io.Writer) *tableReporter {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tSUITE\tCASE\tSIZE\tTIME\tMEDIAN\tRATE\tUNIT\tSTATUS")
	return &tableReporter{tw: tw}
}

func (t *tableReporter) add(r Row) error {
	status := "ok"
	if r.Note != "" {
		status = "ok: " + r.Note
	}
	timeS, medS, rateS, unit := "-", "-", "-", r.Unit
	switch {
	case !r.OK():
		status = "error: " + oneLine(r.Err, 160)
	case r.Skip != "":
		status = "skipped: " + oneLine(r.Skip, 160)
	default:
		timeS, medS, rateS = fmtDuration(r.Time), fmtDuration(r.Median), fmtRate(r.Rate)
	}
	if unit == "" {
		unit = "-"
	}
	_, err := fmt.Fprintf(t.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
		r.Device, r.Suite, r.Case, r.Size, timeS, medS, rateS, unit, status)
	return err
}

func (t *tableReporter) flush() error { return t.tw.Flush() }

// jsonReporter writes each row at once as a JSON line, with the host's description.
type jsonReporter struct {
	enc  *json.Encoder
	host host
}

func (j *jsonReporter) add(r Row) error {
	return j.enc.Encode(struct {
		Row
		host
	}{r, j.host})
}

func (j *jsonReporter) flush() error { return nil }

// fmtDuration prints d with four significant digits.
func fmtDuration(d time.Duration) string {
	s := d.Seconds()
	switch {
	case d <= 0:
		return "0"
	case s < 1e-6:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case s < 1e-3:
		return fmt.Sprintf("%.4gµs", s*1e6)
	case s < 1:
		return fmt.Sprintf("%.4gms", s*1e3)
	}
	return fmt.Sprintf("%.4gs", s)
}

// fmtRate prints a rate with at least three significant digits.
func fmtRate(r float64) string {
	if r >= 100 {
		return strconv.FormatFloat(r, 'f', 1, 64)
	}
	return strconv.FormatFloat(r, 'g', 4, 64)
}

// oneLine returns the first line of s, cut to n runes.
func oneLine(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}

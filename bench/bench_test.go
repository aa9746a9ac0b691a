package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/tensor"
)

// tinyOptions is a -quick run on the CPU with sizes small enough for a fraction of a second.
func tinyOptions() Options {
	return Options{Devices: []string{"cpu"}, Quick: true, N: 4099, Sizes: []int{8, 33}, Reps: 2, Timeout: time.Minute}
}

// wantCases are the (suite, case, size) rows a tinyOptions run must print, in order.
var wantCases = [][3]string{
	{"stream", "copy", "4099"},
	{"stream", "scale", "4099"},
	{"stream", "add", "4099"},
	{"stream", "triad", "4099"},
	{"stream", "dot", "4099"},
	{"stream", "row-sums", "4x1024"},
	{"stream", "column-sums", "4x1024"},
	{"matmul", "f32", "8"},
	{"matmul", "f32", "33"},
}

func TestRunTable(t *testing.T) {
	var buf bytes.Buffer
	if err := run(context.Background(), tinyOptions(), &buf); err != nil {
		t.Fatalf("run: %v\n%s", err, buf.String())
	}
	out := buf.String()
	t.Log("\n" + out)
	for _, want := range []string{"crossbar bench: go", "devices:", "cpu (default)"} {
		if !strings.Contains(out, want) {
			t.Errorf("header lacks %q", want)
		}
	}
	// The table starts at its header line; every later line is a row.
	_, table, ok := strings.Cut(out, "DEVICE  ")
	if !ok {
		t.Fatalf("no table header in output")
	}
	header := strings.Fields("DEVICE  " + strings.SplitN(table, "\n", 2)[0])
	if got := strings.Join(header, " "); got != "DEVICE SUITE CASE SIZE TIME MEDIAN RATE UNIT STATUS" {
		t.Errorf("table header %q", got)
	}
	lines := strings.Split(strings.TrimSpace(table), "\n")[1:]
	if len(lines) != len(wantCases) {
		t.Fatalf("%d rows, want %d:\n%s", len(lines), len(wantCases), table)
	}
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) < 9 {
			t.Errorf("row %q: %d fields", line, len(f))
			continue
		}
		w := wantCases[i]
		if f[0] != "cpu" || f[1] != w[0] || f[2] != w[1] || f[3] != w[2] {
			t.Errorf("row %d is %q, want cpu %s %s %s", i, line, w[0], w[1], w[2])
		}
		rate, err := strconv.ParseFloat(f[6], 64)
		if err != nil || !(rate > 0) {
			t.Errorf("row %q: rate %q is not positive", line, f[6])
		}
		if unit := map[string]string{"stream": "GB/s", "matmul": "GFLOP/s"}[w[0]]; f[7] != unit {
			t.Errorf("row %q: unit %q, want %q", line, f[7], unit)
		}
		if !strings.HasPrefix(f[8], "ok") {
			t.Errorf("row %q: status is not ok", line)
		}
	}
}

func TestRunJSON(t *testing.T) {
	opts := tinyOptions()
	opts.JSON = true
	var buf bytes.Buffer
	if err := run(context.Background(), opts, &buf); err != nil {
		t.Fatalf("run: %v\n%s", err, buf.String())
	}
	sc := bufio.NewScanner(&buf)
	i := 0
	for sc.Scan() {
		var r struct {
			Row
			host
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if i >= len(wantCases) {
			t.Fatalf("extra row %q", sc.Text())
		}
		w := wantCases[i]
		i++
		if r.Device != "cpu" || r.Suite != w[0] || r.Case != w[1] || r.Size != w[2] {
			t.Errorf("row %q, want cpu %s %s %s", sc.Text(), w[0], w[1], w[2])
		}
		if !r.OK() || !(r.Rate > 0) || !(r.MedianRate > 0) || r.Time <= 0 || r.Median < r.Time || r.Reps != 2 || r.Kernels < 1 {
			t.Errorf("row %q: not a valid measurement", sc.Text())
		}
		if r.GOOS == "" || r.Go == "" || r.CPUs < 1 {
			t.Errorf("row %q lacks the host description", sc.Text())
		}
	}
	if i != len(wantCases) {
		t.Errorf("%d rows, want %d", i, len(wantCases))
	}
}

// TestDotIsRight checks the dot kernel the stream suite measures against the host, and that
// the suite's check rejects a wrong value, so that the benchmark cannot time a wrong kernel.
func TestDotIsRight(t *testing.T) {
	cpu, err := backend.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	var dot streamCase
	for _, c := range streamCases {
		if c.name == "dot" {
			dot = c
		}
	}
	for _, n := range []int{1, 7, 1000, 4099} {
		hx, hy := randomVector(1, n), randomVector(2, n)
		x, err := onDevice(cpu, hx, n)
		if err != nil {
			t.Fatal(err)
		}
		y, err := onDevice(cpu, hy, n)
		if err != nil {
			t.Fatal(err)
		}
		out := dot.build(x, y)
		got, err := tensor.Data[float32](out)
		if err != nil {
			t.Fatal(err)
		}
		var want float64
		for i := range hx {
			want += float64(hx[i]) * float64(hy[i])
		}
		if len(got) != 1 || abs(float64(got[0])-want) > 1e-4*float64(n) {
			t.Errorf("n=%d: dot = %v, host computes %v", n, got, want)
		}
		if err := dot.check(out, hx, hy); err != nil {
			t.Errorf("n=%d: %v", n, err)
		}
		// A kernel that dropped its largest term, or added it twice, must fail the check.
		k := 0
		for i := range hx {
			if abs(float64(hx[i]*hy[i])) > abs(float64(hx[k]*hy[k])) {
				k = i
			}
		}
		p := hx[k] * hy[k]
		if err := checkDot(got[0]-p, hx, hy); err == nil {
			t.Errorf("n=%d: dot without term %d passes the check", n, k)
		}
		if err := checkDot(got[0]+p, hx, hy); err == nil {
			t.Errorf("n=%d: dot with term %d twice passes the check", n, k)
		}
	}
}

func TestChecksRejectWrongResults(t *testing.T) {
	x := []float32{1, 2, 3, 4}
	y := []float32{1, 1, 1, 1}
	if err := checkMatMul([]float32{7, 10, 15, 22}, x, x, 2); err != nil {
		t.Errorf("right product rejected: %v", err)
	}
	if err := checkMatMul([]float32{7, 10, 15, 23}, x, x, 2); err == nil {
		t.Errorf("wrong product accepted")
	}
	out := tensor.New([]float32{2, 3, 4, 6})
	if err := elementwiseCheck(func(a, b float64) (float64, float64) { return a + b, a + b })(out, x, y); err == nil {
		t.Errorf("wrong sum accepted")
	}
}

func TestUnknownSuite(t *testing.T) {
	opts := tinyOptions()
	opts.Suites = []string{"stream", "nosuch"}
	var buf bytes.Buffer
	err := run(context.Background(), opts, &buf)
	var ue *usageError
	if !errors.As(err, &ue) {
		t.Fatalf("run: %v, want a usage error", err)
	}
	for _, want := range []string{`"nosuch"`, "matmul", "stream"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("output before the usage error:\n%s", buf.String())
	}
}

func TestParseFlags(t *testing.T) {
	var stderr bytes.Buffer
	o, err := parseFlags([]string{"-device", "cpu, cuda:1", "-suite", "matmul", "-sizes", "2048,64", "-quick", "-json"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.Devices, "|") != "cpu|cuda:1" || strings.Join(o.Suites, "|") != "matmul" ||
		len(o.Sizes) != 2 || o.Sizes[0] != 2048 || !o.Quick || !o.JSON {
		t.Errorf("parsed %+v", o)
	}
	o, err = o.withDefaults()
	if err != nil || o.N != 1<<20 || o.Reps != 2 || o.Sizes[0] != 2048 {
		t.Errorf("defaults with -quick: %+v, %v", o, err)
	}
	for _, args := range [][]string{{"-sizes", "12x"}, {"-nosuchflag"}, {"extra"}} {
		_, err := parseFlags(args, &stderr)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	if _, err := (Options{Reps: -1}).withDefaults(); err == nil {
		t.Errorf("-reps -1 accepted")
	}
}

func TestUnknownDeviceIsARow(t *testing.T) {
	opts := tinyOptions()
	opts.Devices = []string{"nosuchdevice:0", "cpu"}
	opts.Suites = []string{"matmul"}
	var buf bytes.Buffer
	err := run(context.Background(), opts, &buf)
	if err == nil || !strings.Contains(err.Error(), "1 of 3 cases failed") {
		t.Errorf("run: %v, want one failed case", err)
	}
	out := buf.String()
	if !strings.Contains(out, "nosuchdevice:0") || !strings.Contains(out, "error:") {
		t.Errorf("no error row for the unknown device:\n%s", out)
	}
	if strings.Count(out, "GFLOP/s") != 2 {
		t.Errorf("the cpu rows are missing after the failed device:\n%s", out)
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	err := run(ctx, tinyOptions(), &buf)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("run with a cancelled context: %v", err)
	}
}

func TestFmtDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0", 999: "999ns", 1234 * time.Nanosecond: "1.234µs", 1234567 * time.Nanosecond: "1.235ms",
		2 * time.Second: "2s",
	} {
		if got := fmtDuration(d); got != want {
			t.Errorf("fmtDuration(%d) = %q, want %q", d, got, want)
		}
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// runOnCPU runs suite s on the CPU with tinyOptions.
func runOnCPU(t *testing.T, s Suite) []Row {
	t.Helper()
	opts, err := tinyOptions().withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	dev, err := backend.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.Run(context.Background(), dev, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestElementwiseSuite(t *testing.T) {
	rows := runOnCPU(t, elementwiseSuite{})
	var cases []string
	for _, r := range rows {
		if !r.OK() || !(r.Rate > 0) {
			t.Errorf("row %+v", r)
		}
		cases = append(cases, r.Case)
	}
	if got := strings.Join(cases, ","); got != "memcpy,relu(a*b+c),sum,small graph" {
		t.Errorf("cases %s", got)
	}
	if !strings.HasSuffix(rows[1].Note, "x memcpy") {
		t.Errorf("the fused chain's note %q lacks the ratio to memcpy", rows[1].Note)
	}
}

func TestLinesSuite(t *testing.T) {
	rows := runOnCPU(t, linesSuite{})
	var cases []string
	for _, r := range rows {
		if !r.OK() || !(r.Rate > 0) {
			t.Errorf("row %+v", r)
		}
		cases = append(cases, r.Size+" "+r.Case)
		if strings.Contains(r.Case, "(decomposed)") != strings.Contains(r.Note, "x the one kernel's") {
			t.Errorf("row %q: note %q", r.Case, r.Note)
		}
	}
	// The CPU computes each in one kernel: every operation is measured twice.
	want := []string{}
	for _, sh := range []string{"1x4096 rows of 4096", "32x128 rows of 128", "1x4099 one row"} {
		want = append(want, sh+": negation")
		for _, op := range []string{"softmax", "layer norm", "argmax"} {
			want = append(want, sh+": "+op, sh+": "+op+" (decomposed)")
		}
	}
	if got := strings.Join(cases, ","); got != strings.Join(want, ",") {
		t.Errorf("cases\n%s\nwant\n%s", got, strings.Join(want, ","))
	}
}

// TestLinesChecks checks that the lines suite's checks reject the results of an input with
// one element changed.
func TestLinesChecks(t *testing.T) {
	const rows, cols = 3, 50
	x, s, b := randomVector(1, rows*cols), randomVector(2, cols), randomVector(3, cols)
	y := slices.Clone(x)
	y[cols+7] = 5
	for _, lc := range lineCases {
		out := lc.build(tensor.New(y, rows, cols), tensor.New(s), tensor.New(b))
		if err := lc.check(out, x, s, b, rows, cols); err == nil {
			t.Errorf("%s: the check passes a wrong result", lc.name)
		}
		out = lc.build(tensor.New(x, rows, cols), tensor.New(s), tensor.New(b))
		if err := lc.check(out, x, s, b, rows, cols); err != nil {
			t.Errorf("%s: %v", lc.name, err)
		}
	}
}

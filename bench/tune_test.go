package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/backend/autotune"
)

// TestTuneReport tunes two tiny products and a GEMV shape on the CPU and checks the report
// and the cache. The budget is far more than the searches need (they end when their small
// spaces are measured), so that a slow run (-race) still completes them.
func TestTuneReport(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(autotune.EnvCacheDir, dir)
	opts, err := parseFlags([]string{"-device", "cpu", "-tune", "-tune-budget", "60s", "-tune-shapes", "64x48x40,40x1x64,96x96x96"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	opts.Progress = &progress
	var out bytes.Buffer
	if err := run(context.Background(), opts, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Log("\n" + out.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if got := strings.Join(strings.Fields(lines[0]), " "); got != "DEVICE SUITE CASE SIZE DTYPE PRIOR TUNED GAIN RECHECK TRIED SOURCE CONFIG STATUS" {
		t.Fatalf("header %q", got)
	}
	for i, want := range []string{"64x48x40", "40x1x64", "96x96x96"} {
		f := strings.Fields(lines[1+i])
		if len(f) < 6 || f[0] != "cpu" || f[1] != "shapes" || f[3] != want {
			t.Errorf("row %d %q, want cpu shapes f32 %s", i, lines[1+i], want)
		}
	}
	if !strings.Contains(lines[2], "skipped") {
		t.Errorf("GEMV row %q is not skipped", lines[2])
	}
	if !strings.Contains(out.String(), "2 shapes tuned") {
		t.Errorf("no summary of 2 tuned shapes")
	}
	if !strings.Contains(progress.String(), "tune cpu: shapes f32 64x48x40") {
		t.Errorf("progress lacks the shape:\n%s", progress.String())
	}
	if st := autotune.OpenCache(dir).Stats(); st.Entries != 2 || st.Corrupt != 0 {
		t.Errorf("cache after tuning: %+v, want 2 entries", st)
	}

	// A second run finds both in the cache.
	out.Reset()
	opts.Progress = nil
	opts.TuneBudget = 20 * time.Second
	if err := run(context.Background(), opts, &out); err != nil {
		t.Fatalf("second run: %v\n%s", err, out.String())
	}
	if strings.Count(out.String(), " cache ") != 2 {
		t.Errorf("second run did not use the cache:\n%s", out.String())
	}
}

func TestTuneFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-tune", "-tune-shapes", "3x4"},
		{"-tune", "-tune-shapes", "3x0x4"},
		{"-tune", "-tune-budget", "-1s"},
	} {
		opts, err := parseFlags(args, &bytes.Buffer{})
		if err == nil {
			_, err = opts.withDefaults()
		}
		if err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

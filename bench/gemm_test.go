package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossbar-compute/crossbar/internal/openblas"
)

// runRows runs opts with JSON output and returns the rows and run's error.
func runRows(t *testing.T, opts Options) ([]Row, error) {
	t.Helper()
	opts.JSON = true
	var buf bytes.Buffer
	err := run(context.Background(), opts, &buf)
	var rows []Row
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var r Row
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		rows = append(rows, r)
	}
	return rows, err
}

// checkPairRows checks crossbar/OpenBLAS row pairs: the crossbar rows must be valid
// measurements (their results were checked against the host); the OpenBLAS rows too when
// the library is present, else errors that say so.
func checkPairRows(t *testing.T, rows []Row, runErr error, want [][3]string) {
	t.Helper()
	blasErr := openblas.Available()
	if blasErr == nil && runErr != nil {
		t.Errorf("run: %v", runErr)
	}
	if len(rows) != 2*len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), 2*len(want), rows)
	}
	for i, w := range want {
		cb, ob := rows[2*i], rows[2*i+1]
		if cb.Device != "cpu" || cb.Suite != w[0] || cb.Case != w[1] || cb.Size != w[2] {
			t.Errorf("row %+v, want cpu %s %s %s", cb, w[0], w[1], w[2])
		}
		if ob.Suite != w[0] || ob.Case != w[1]+"-openblas" || ob.Size != w[2] {
			t.Errorf("row %+v, want %s %s-openblas %s", ob, w[0], w[1], w[2])
		}
		if !cb.OK() || !(cb.Rate > 0) || cb.Reps != 2 || cb.Unit != "GFLOP/s" {
			t.Errorf("crossbar row %+v is not a valid measurement", cb)
		}
		if blasErr != nil {
			if ob.OK() || !strings.Contains(ob.Err, "unavailable") {
				t.Errorf("OpenBLAS row %+v: want an error saying it is unavailable", ob)
			}
			continue
		}
		if !ob.OK() || !(ob.Rate > 0) || ob.Reps != 2 {
			t.Errorf("OpenBLAS row %+v is not a valid measurement", ob)
		}
		if !strings.Contains(cb.Note, "x OpenBLAS") {
			t.Errorf("crossbar row %+v lacks the ratio", cb)
		}
	}
}

func TestGemmSuite(t *testing.T) {
	opts := tinyOptions()
	opts.Suites = []string{"gemm"}
	all, err := runRows(t, opts)
	// The fused-epilogue rows follow each sgemm pair; the pairs are checked apart from them.
	var rows []Row
	epi, bf16 := 0, 0
	for _, r := range all {
		switch r.Case {
		case "sgemm+bias+relu":
			epi++
			if !r.OK() || !(r.Rate > 0) {
				t.Errorf("epilogue row %+v is not a valid measurement", r)
			}
			continue
		case "bf16gemm":
			bf16++
			if !r.OK() || !(r.Rate > 0) || !strings.Contains(r.Note, "x sgemm") {
				t.Errorf("bfloat16 row %+v is not a valid measurement next to sgemm", r)
			}
			continue
		}
		rows = append(rows, r)
	}
	if epi != 2 || bf16 != 2 {
		t.Errorf("%d sgemm+bias+relu rows and %d bf16gemm rows, want 2 each", epi, bf16)
	}
	checkPairRows(t, rows, err, [][3]string{
		{"gemm", "sgemm", "8"}, {"gemm", "dgemm", "8"},
		{"gemm", "sgemm", "33"}, {"gemm", "dgemm", "33"},
	})
}

func TestDeepbenchSuite(t *testing.T) {
	opts := tinyOptions()
	opts.Suites = []string{"deepbench"}
	// A list of its own, so that the test does not depend on the shared data.
	path := filepath.Join(t.TempDir(), "problems.txt")
	list := "# set m n k transA transB\ntrain 40 24 56 N N\ntrain 48 8 80 T N  # comment\nserver 24 40 64 N T\nextra 8 8 8 T T\n"
	if err := os.WriteFile(path, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	opts.Deepbench = path
	rows, err := runRows(t, opts)
	// -quick: the first three shapes divided by 8.
	checkPairRows(t, rows, err, [][3]string{
		{"deepbench", "train-NN", "5x3x7"}, {"deepbench", "train-TN", "6x1x10"}, {"deepbench", "server-NT", "3x5x8"},
	})

	opts.Quick = false
	rows, err = runRows(t, opts)
	checkPairRows(t, rows, err, [][3]string{
		{"deepbench", "train-NN", "40x24x56"}, {"deepbench", "train-TN", "48x8x80"},
		{"deepbench", "server-NT", "24x40x64"}, {"deepbench", "extra-TT", "8x8x8"},
	})

	opts.Deepbench = filepath.Join(t.TempDir(), "absent.txt")
	rows, err = runRows(t, opts)
	if err == nil || len(rows) != 1 || rows[0].OK() || !strings.Contains(rows[0].Err, "absent.txt") {
		t.Errorf("absent list: rows %+v, error %v; want one error row naming the file", rows, err)
	}
}

// TestDeepbenchDefaultFile runs the quick suite on the shared problem list, when present.
func TestDeepbenchDefaultFile(t *testing.T) {
	path, err := deepbenchFile("")
	if err != nil {
		t.Skip(err)
	}
	probs, err := readDeepbench(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) < 3 {
		t.Fatalf("%s: %d problems", path, len(probs))
	}
	opts := tinyOptions()
	opts.Suites = []string{"deepbench"}
	rows, err := runRows(t, opts)
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6 (error %v)", len(rows), err)
	}
	for i := 0; i < len(rows); i += 2 {
		if r := rows[i]; !r.OK() {
			t.Errorf("row %+v failed", r)
		}
	}
}

// TestCheckGemm checks that the host check rejects a wrong product, transposed or not.
func TestCheckGemm(t *testing.T) {
	for _, g := range []gemmShape{{m: 5, n: 7, k: 3}, {m: 5, n: 7, k: 3, ta: true}, {m: 4, n: 6, k: 9, tb: true}, {m: 3, n: 3, k: 2, ta: true, tb: true}} {
		ar, ac, br, bc := g.stored()
		a, b := widen(randomVector(1, ar*ac)), widen(randomVector(2, br*bc))
		c := make([]float64, g.m*g.n)
		for i := range g.m {
			for j := range g.n {
				for q := range g.k {
					av, bv := a[i*g.k+q], b[q*g.n+j]
					if g.ta {
						av = a[q*g.m+i]
					}
					if g.tb {
						bv = b[j*g.k+q]
					}
					c[i*g.n+j] += av * bv
				}
			}
		}
		if err := checkGemm(c, a, b, g); err != nil {
			t.Errorf("%+v: %v", g, err)
		}
		c[len(c)-1] += 0.5
		if err := checkGemm(c, a, b, g); err == nil {
			t.Errorf("%+v: a wrong element was accepted", g)
		}
	}
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/crossbar-compute/crossbar/backend"
)

func init() { register(deepbenchSuite{}) }

// deepbenchSuite measures the GEMM shapes of a DeepBench problem list (-deepbench), float32,
// each next to OpenBLAS.
type deepbenchSuite struct{}

func (deepbenchSuite) Name() string { return "deepbench" }

func (deepbenchSuite) Description() string {
	return "float32 GEMM shapes of DeepBench (-deepbench file) next to OpenBLAS on all cores"
}

func (deepbenchSuite) headerLine() string { return openblasLine() }

// deepbenchRelPath is where the problem list is looked for, relative to the module root
// and to the working directory.
const deepbenchRelPath = "../shared/data/deepbench_gemm.txt"

// deepbenchProblem is one line of the list.
type deepbenchProblem struct {
	set string
	gemmShape
}

// deepbenchFile returns the problem list to read: path when set, else the first of the
// default places that exists.
func deepbenchFile(path string) (string, error) {
	if path != "" {
		return path, nil
	}
	var tried []string
	wd, err := os.Getwd()
	if err == nil {
		var dirs []string
		if root := findModuleRoot(wd); root != "" {
			dirs = append(dirs, root)
		}
		dirs = append(dirs, wd)
		for _, d := range dirs {
			p := filepath.Join(d, deepbenchRelPath)
			tried = append(tried, p)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("no DeepBench problem list (tried %s); give one with -deepbench", strings.Join(tried, ", "))
}

// readDeepbench parses the list: "set m n k transA transB" per line, # comments.
// DeepBench is column-major, C[m,n] = op(A)[m,k]·op(B)[k,n]; the suite computes the same
// logical product with row-major tensors: A is stored m×k (k×m when transA is T, used
// through a Transpose view), B k×n (n×k when T).
func readDeepbench(path string) ([]deepbenchProblem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []deepbenchProblem
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = strings.TrimSpace(s[:i])
		}
		if s == "" {
			continue
		}
		fs := strings.Fields(s)
		if len(fs) != 6 {
			return nil, fmt.Errorf("%s:%d: %d fields, want 6 (set m n k transA transB)", path, line, len(fs))
		}
		var p deepbenchProblem
		p.set = fs[0]
		dims := [3]*int{&p.m, &p.n, &p.k}
		for i, d := range dims {
			v, err := strconv.Atoi(fs[1+i])
			if err != nil || v <= 0 {
				return nil, fmt.Errorf("%s:%d: bad dimension %q", path, line, fs[1+i])
			}
			*d = v
		}
		for i, t := range []*bool{&p.ta, &p.tb} {
			switch fs[4+i] {
			case "N":
			case "T":
				*t = true
			default:
				return nil, fmt.Errorf("%s:%d: transposition %q is not N or T", path, line, fs[4+i])
			}
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no problems", path)
	}
	return out, nil
}

func (s deepbenchSuite) Run(ctx context.Context, dev backend.Device, opts Options) ([]Row, error) {
	probs, err := deepbenchProblems(opts)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for i, p := range probs {
		if err := ctx.Err(); err != nil {
			return rows, err
		}
		name := p.set + "-" + tn(p.ta) + tn(p.tb)
		size := fmt.Sprintf("%dx%dx%d", p.m, p.n, p.k)
		opts.progress("%s: %s %s %s", dev.Name(), s.Name(), name, size)
		cb, ob := runGemmPair(ctx, dev, opts, s.Name(), name, size, p.gemmShape, false, uint64(1000+i))
		rows = append(rows, cb, ob)
	}
	if err := ctx.Err(); err != nil {
		return rows, err
	}
	return rows, nil
}

// deepbenchProblems reads the problem list of opts: all of it, or with -quick the first three
// shapes scaled down by 8.
func deepbenchProblems(opts Options) ([]deepbenchProblem, error) {
	path, err := deepbenchFile(opts.Deepbench)
	if err != nil {
		return nil, err
	}
	probs, err := readDeepbench(path)
	if err != nil {
		return nil, err
	}
	if opts.Quick {
		probs = probs[:min(3, len(probs))]
		for i := range probs {
			p := &probs[i]
			p.m, p.n, p.k = max(1, p.m/8), max(1, p.n/8), max(1, p.k/8)
		}
	}
	return probs, nil
}

func tn(t bool) string {
	if t {
		return "T"
	}
	return "N"
}

package cpu

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
)

// TestSoftmax checks the CPU's softmax and log-softmax (graph.OpSoftmax, OpLogSoftmax)
// against a float64 reference, within a few units of the dtype's last place: along rows
// (groups of rows, a long row shared among the workers, rows longer than a sum's segment),
// middle axes, and columns wider than a worker's block; of plain loads (read straight from
// the input), of views and of a prologue, with and without an epilogue; with -Inf entries,
// rows of -Inf and rows holding NaN; on 1 and 3 workers. The input is never written.
func TestSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	shapes := []struct {
		shape []int
		axis  int
	}{
		{[]int{7, 37}, 1},
		{[]int{3, 300, 2}, 1},
		{[]int{2, 5, scanColumns + 3}, 1},
		{[]int{4100}, 0},
		{[]int{1, 2*softmaxSegment + 5}, 1}, // one long row, on every worker
		{[]int{5, softmaxSegment + 1}, 1},   // rows of two segments, a row a worker
		{[]int{1000, 3}, 0},
		{[]int{1, 1}, 1},
		{[]int{3, 0, 2}, 1},
		{[]int{0, 4}, 1},
	}
	for _, dt := range []graph.DType{graph.Float32, graph.Float64, graph.Float16, graph.BFloat16} {
		for _, sh := range shapes {
			for _, form := range []string{"load", "view", "prologue", "epilogue"} {
				for _, log := range []bool{false, true} {
					name := fmt.Sprintf("%v %v axis %d %s log=%v", dt, sh.shape, sh.axis, form, log)
					n := graph.NumElements(sh.shape)
					vals := make([]float64, n)
					for i := range vals {
						vals[i] = roundTo(dt, rng.Float64()*16-8)
					}
					if n > 40 {
						vals[3] = math.Inf(-1)
					}
					f := newLineForm(dt, sh.shape, vals, form, graph.OpAdd)
					ref, tol := f.finish(refSoftmax(dt, f.want, sh.shape, sh.axis, log))
					for _, procs := range []int{1, 3} {
						out := f.output(must(graph.Softmax(f.in, sh.axis, log)))
						prev := runtime.GOMAXPROCS(procs)
						raw, err := backend.Read(New(), out)
						runtime.GOMAXPROCS(prev)
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						got := rawValues(dt, raw)
						for i := range ref {
							if math.IsNaN(ref[i]) != math.IsNaN(got[i]) || !(math.Abs(got[i]-ref[i]) <= tol[i]) && got[i] != ref[i] {
								t.Fatalf("%s, %d workers: element %d is %v, want %v (within %g)", name, procs, i, got[i], ref[i], tol[i])
							}
						}
						f.checkInput(t, name)
					}
				}
			}
		}
	}
}

// refSoftmax returns the softmax (log: the log-softmax) of vals (shape, along axis) in
// float64, and a tolerance for each element of a result in dt: a few units of dt's last
// place of the result (Float64: of the reference too), times the difference x - max whose rounding in dt the exponential
// magnifies (of the terms a log-softmax subtracts), plus the error of float64 sums of the
// line's exponentials.
func refSoftmax(dt graph.DType, vals []float64, shape []int, axis int, log bool) (ref, tol []float64) {
	eps := map[graph.DType]float64{graph.Float32: 0x1p-23, graph.Float64: 0x1p-50, graph.Float16: 0x1p-10, graph.BFloat16: 0x1p-7}[dt]
	pre, n, post := graph.NumElements(shape[:axis]), shape[axis], graph.NumElements(shape[axis+1:])
	ref, tol = make([]float64, len(vals)), make([]float64, len(vals))
	for p := range pre {
		for c := range post {
			at := func(i int) int { return (p*n+i)*post + c }
			m := math.Inf(-1)
			for i := range n {
				m = math.Max(m, vals[at(i)])
			}
			if math.IsInf(m, 0) {
				m = 0
			}
			s := 0.0
			for i := range n {
				s += math.Exp(vals[at(i)] - m)
			}
			sumErr := float64(n) * 0x1p-52 // of float64 sums of n terms, this one and the CPU's
			for i := range n {
				d := vals[at(i)] - m
				if log {
					ref[at(i)] = roundTo(dt, d-math.Log(s))
					tol[at(i)] = 4*eps*(math.Abs(d)+math.Abs(math.Log(s))+1) + sumErr
				} else {
					ref[at(i)] = roundTo(dt, math.Exp(d)/s)
					tol[at(i)] = (4*eps*(math.Abs(d)+1)+sumErr)*ref[at(i)] + 0x1p-149
				}
			}
		}
	}
	return ref, tol
}

// TestSoftmaxSpecials checks lines holding NaN (NaN throughout), -Inf (0, log: -Inf) and
// +Inf (the maximum is taken as 0: the line's sum is +Inf), along rows and along columns;
// lines of one element (1, log: 0) and lines of -Inf (NaN, as the decomposition gives).
func TestSoftmaxSpecials(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		for _, axis := range []int{0, 1} {
			for _, log := range []bool{false, true} {
				// Lines along axis 1 are rows; the values are given so that lines along axis
				// 0 hold the same (the matrix is symmetric).
				vals := []float64{
					-inf, -inf, 1, nan,
					-inf, -inf, 2, 0,
					1, 2, inf, 3,
					nan, 0, 3, 4,
				}
				x := hostVals(dt, []int{4, 4}, func(i int) float64 { return vals[i] })
				raw, err := backend.Read(New(), must(graph.Softmax(x, axis, log)))
				if err != nil {
					t.Fatal(err)
				}
				got := rawValues(dt, raw)
				for l := range 4 {
					at := func(i int) int {
						if axis == 1 {
							return l*4 + i
						}
						return i*4 + l
					}
					for i := range 4 {
						v := got[at(i)]
						switch l {
						case 0, 3: // a NaN in the line
							if !math.IsNaN(v) {
								t.Errorf("%v axis %d log=%v: line %d element %d is %v, want NaN", dt, axis, log, l, i, v)
							}
						case 2: // +Inf: the maximum is taken as 0, so exp(+Inf) is +Inf and the sum too
							want := 0.0 // e/Inf
							if log {
								want = math.Inf(-1) // d - Inf
							}
							if i == 2 {
								want = math.NaN() // Inf/Inf, Inf - Inf
							}
							if v != want && !(math.IsNaN(v) && math.IsNaN(want)) {
								t.Errorf("%v axis %d log=%v: line 2 element %d is %v, want %v", dt, axis, log, i, v, want)
							}
						}
					}
				}
				// The line of -Inf with a 2 and a 0: all but those are 0 (log: -Inf).
				if axis == 1 {
					w := []float64{0, 0, 1 / (1 + math.Exp(-2)), 1 / (1 + math.Exp(2))}
					for i, v := range got[4:8] {
						want := roundTo(dt, w[i])
						if log {
							want = roundTo(dt, math.Log(w[i]))
						}
						if math.Abs(v-want) > 1e-6*math.Max(1, math.Abs(want)) && v != want {
							t.Errorf("%v log=%v: row 1 element %d is %v, want %v", dt, log, i, v, want)
						}
					}
				}
			}
		}
	}
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		for _, log := range []bool{false, true} {
			// Lines of one element: 1 (log: 0). A line of -Inf: 0/0 (log: -Inf - -Inf), NaN.
			raw, err := backend.Read(New(), must(graph.Softmax(hostVals(dt, []int{3, 1}, func(i int) float64 { return float64(i) - 1 }), 1, log)))
			if err != nil {
				t.Fatal(err)
			}
			want := 1.0
			if log {
				want = 0
			}
			for i, v := range rawValues(dt, raw) {
				if v != want {
					t.Errorf("%v log=%v: one-element line %d is %v, want %v", dt, log, i, v, want)
				}
			}
			raw, err = backend.Read(New(), must(graph.Softmax(hostVals(dt, []int{2, 3}, func(int) float64 { return -inf }), 1, log)))
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range rawValues(dt, raw) {
				if !math.IsNaN(v) {
					t.Errorf("%v log=%v: element %d of lines of -Inf is %v, want NaN", dt, log, i, v)
				}
			}
		}
	}
}

// TestSoftmaxEpilogue checks softmaxes whose kernel goes on (a bias along the rows, a cast to
// Float16; a comparison giving Bool) against the softmax read alone and finished here: the
// epilogue, computed a group of rows at a time from the rows in cache, gives the bits it
// gives computed from the whole softmax.
func TestSoftmaxEpilogue(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	for _, shape := range [][]int{{300, 37}, {3, 5000}, {2, 3, 64}} {
		for _, log := range []bool{false, true} {
			r := len(shape)
			n, rows := shape[r-1], graph.NumElements(shape)/shape[r-1]
			vals := make([]float64, rows*n)
			for i := range vals {
				vals[i] = float64(float32(rng.Float64()*8 - 4))
			}
			bias := make([]float64, n)
			for i := range bias {
				bias[i] = float64(float32(rng.Float64()))
			}
			x := hostVals(graph.Float32, shape, func(i int) float64 { return vals[i] })
			b := hostVals(graph.Float32, []int{n}, func(i int) float64 { return bias[i] })
			raw, err := backend.Read(New(), must(graph.Softmax(x, r-1, log)))
			if err != nil {
				t.Fatal(err)
			}
			sm := rawValues(graph.Float32, raw)
			ones := make([]int, r)
			for i := range ones {
				ones[i] = 1
			}
			ones[r-1] = n
			spread := must(graph.Expand(must(graph.Reshape(b, ones)), shape))
			half := must(graph.Cast(must(graph.Binary(graph.OpAdd, must(graph.Softmax(x, r-1, log)), spread)), graph.Float16))
			threshold := 0.02
			if log {
				threshold = -4
			}
			for i := range ones {
				ones[i] = 1
			}
			cut := must(graph.Expand(must(graph.Reshape(must(graph.Const(graph.ScalarOf(threshold, graph.Float32), graph.Float32)), ones)), shape))
			small := must(graph.Binary(graph.OpCmpLT, must(graph.Softmax(x, r-1, log)), cut))
			for _, procs := range []int{1, 3} {
				prev := runtime.GOMAXPROCS(procs)
				rawHalf, err := backend.Read(New(), half)
				if err != nil {
					t.Fatal(err)
				}
				rawBool, err := backend.Read(New(), small)
				runtime.GOMAXPROCS(prev)
				if err != nil {
					t.Fatal(err)
				}
				bools := rawValues(graph.Bool, rawBool)
				for i, v := range rawValues(graph.Float16, rawHalf) {
					want := roundTo(graph.Float16, float64(float32(sm[i])+float32(bias[i%n])))
					if v != want {
						t.Fatalf("%v log=%v, %d workers: element %d is %v, want %v", shape, log, procs, i, v, want)
					}
					if w := sm[i] < float64(float32(threshold)); bools[i] != b2f(w) {
						t.Fatalf("%v log=%v, %d workers: element %d (%v) < %v is %v", shape, log, procs, i, sm[i], threshold, bools[i])
					}
				}
			}
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// lineForm is the input of a core computed along lines (a softmax, a layer norm) in one of
// the forms the tests take it: "load" (a host node, read where it lies), "view" (a
// transposed host node, transposed back), "prologue" (op of the node with itself) and
// "epilogue" (a load, the core's result added to itself).
type lineForm struct {
	dt     graph.DType
	form   string
	x, in  *graph.Node // the host node, and the core's input
	want   []float64   // the core's input values
	before []byte      // x's bytes
}

func newLineForm(dt graph.DType, shape []int, vals []float64, form string, op graph.Op) *lineForm {
	x := hostVals(dt, shape, func(i int) float64 { return vals[i] })
	f := &lineForm{dt: dt, form: form, x: x, in: x, want: vals}
	switch form {
	case "view":
		r := len(shape)
		perm, rshape := make([]int, r), make([]int, r)
		for k := range perm {
			perm[k], rshape[k] = r-1-k, shape[r-1-k]
		}
		f.x = hostVals(dt, rshape, func(i int) float64 { return vals[permuted(i, shape, perm)] })
		f.in = must(graph.Permute(f.x, perm))
	case "prologue":
		f.in = must(graph.Binary(op, x, x))
		f.want = make([]float64, len(vals))
		for i, v := range vals {
			w := v + v
			if op == graph.OpMul {
				w = v * v
			}
			f.want[i] = roundTo(dt, w)
		}
	}
	f.before = bytes.Clone(f.x.Host)
	return f
}

// finish turns the reference values and tolerances of the core into those of the output.
func (f *lineForm) finish(ref, tol []float64) ([]float64, []float64) {
	if f.form == "epilogue" {
		for i := range ref {
			ref[i], tol[i] = roundTo(f.dt, 2*ref[i]), 2*tol[i]
		}
	}
	return ref, tol
}

// output is the node the test reads: the core's, or its epilogue.
func (f *lineForm) output(core *graph.Node) *graph.Node {
	if f.form == "epilogue" {
		return must(graph.Binary(graph.OpAdd, core, core))
	}
	return core
}

// checkInput fails the test where the host node's bytes changed.
func (f *lineForm) checkInput(t *testing.T, name string) {
	t.Helper()
	if after, err := backend.Read(New(), f.x); err != nil || !bytes.Equal(after, f.before) {
		t.Fatalf("%s: the input changed (%v)", name, err)
	}
}

package cpu

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/internal/half"
)

// TestCumSum checks the CPU's running sums against sums computed here: Float32 (and the
// 16-bit dtypes) bit for bit the float64 sum rounded once, Float64 within a unit in the last
// place of the exact sum (math/big), integers exact and wrapped; along rows (four at a time
// and the rest), middle axes, and columns wider than a worker's block of accumulators;
// inclusive and exclusive, forward and reversed; of plain loads (read straight from the
// input), of views and of a prologue, with and without an epilogue; on 1 and 3 workers.
func TestCumSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	shapes := []struct {
		shape []int
		axis  int
	}{
		{[]int{7, 37}, 1},                   // rows: four at a time, then three
		{[]int{3, 300, 2}, 1},               // a middle axis, rows of 2
		{[]int{2, 5, 2*scanColumns + 3}, 1}, // columns split into three blocks
		{[]int{4100}, 0},
		{[]int{1000, 3}, 0},
		{[]int{1, 1}, 1},
		{[]int{3, 0, 2}, 1},
		{[]int{0, 4}, 1},
		{[]int{2, 3, 0}, 1},
	}
	for _, dt := range []graph.DType{graph.Float32, graph.Float64, graph.Float16, graph.Int32, graph.Int64, graph.Uint8} {
		for _, sh := range shapes {
			for _, form := range []string{"load", "view", "epilogue", "prologue and epilogue"} {
				for mode := range 4 {
					excl, rev := mode&1 != 0, mode&2 != 0
					name := fmt.Sprintf("%v %v axis %d %s excl=%v rev=%v", dt, sh.shape, sh.axis, form, excl, rev)
					n := graph.NumElements(sh.shape)
					vals := make([]float64, n)
					for i := range vals {
						switch {
						case dt == graph.Uint8:
							vals[i] = float64(rng.IntN(256))
						case dt == graph.Int32:
							vals[i] = float64(rng.Int32()) // sums wrap
						case dt == graph.Int64:
							vals[i] = float64(rng.Int64N(1<<40) - 1<<39)
						case i%53 == 0:
							vals[i] = math.Copysign(0, -1)
						default:
							vals[i] = rng.Float64()*2 - 1
						}
					}
					x := hostVals(dt, sh.shape, func(i int) float64 { return vals[i] })
					for i := range vals {
						vals[i] = roundTo(dt, vals[i]) // what the host node holds
					}
					in, want := x, vals // the scan's input and what it is
					switch form {
					case "view":
						// The axes reversed and back: the same values, read through a view.
						r := len(sh.shape)
						perm := make([]int, r)
						for k := range perm {
							perm[k] = r - 1 - k
						}
						rshape := make([]int, r)
						for k := range rshape {
							rshape[k] = sh.shape[r-1-k]
						}
						x = hostVals(dt, rshape, func(i int) float64 { return vals[permuted(i, sh.shape, perm)] })
						in = must(graph.Permute(x, perm))
					case "prologue and epilogue":
						in, want = scanPrologue(dt, x, vals)
					}
					epilogue := form == "epilogue" || form == "prologue and epilogue"
					ref, tol := refCumSum(dt, want, sh.shape, sh.axis, excl, rev)
					if epilogue {
						for i := range ref {
							ref[i] = roundTo(dt, 2*ref[i])
						}
					}
					for _, procs := range []int{1, 3} {
						// A node of its own for each run: a node read once keeps its values.
						out := must(graph.CumSum(in, sh.axis, excl, rev))
						if epilogue {
							out = must(graph.Binary(graph.OpAdd, out, out))
						}
						prev := runtime.GOMAXPROCS(procs)
						raw, err := backend.Read(New(), out)
						runtime.GOMAXPROCS(prev)
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						if form == "epilogue" {
							// The sums went to scratch, not into the input they were read from.
							raw, err := backend.Read(New(), x)
							if err != nil {
								t.Fatal(err)
							}
							for i, v := range rawValues(dt, raw) {
								if v != vals[i] {
									t.Fatalf("%s: input element %d became %v, was %v", name, i, v, vals[i])
								}
							}
						}
						got := rawValues(dt, raw)
						for i := range ref {
							if d := math.Abs(got[i] - ref[i]); !(d <= tol[i]) || math.Signbit(got[i]) != math.Signbit(ref[i]) && ref[i] == 0 {
								t.Fatalf("%s, %d workers: element %d is %v, want %v (within %g)", name, procs, i, got[i], ref[i], tol[i])
							}
						}
					}
				}
			}
		}
	}
}

// scanPrologue returns x*x (x+x for integers, whose squares float64 would not hold), the
// prologue of a running sum, and its values, from x's values vals.
func scanPrologue(dt graph.DType, x *graph.Node, vals []float64) (*graph.Node, []float64) {
	op, f := graph.OpMul, func(v float64) float64 { return v * v }
	if !dt.IsFloat() {
		op, f = graph.OpAdd, func(v float64) float64 { return v + v }
	}
	want := make([]float64, len(vals))
	for i, v := range vals {
		want[i] = roundTo(dt, f(v))
	}
	return must(graph.Binary(op, x, x)), want
}

// permuted maps the row-major index i of an element of x to its row-major index in
// Permute(x, perm), of shape shape.
func permuted(i int, shape, perm []int) int {
	r := len(shape)
	orig := make([]int, r) // x's shape: axis k of the permuted shape is x's axis perm[k]
	for k := range r {
		orig[perm[k]] = shape[k]
	}
	idx := make([]int, r)
	for k := r - 1; k >= 0; k-- {
		idx[k] = i % orig[k]
		i /= orig[k]
	}
	o := 0
	for k := range r {
		o = o*shape[k] + idx[perm[k]]
	}
	return o
}

// roundTo rounds v to dt as the CPU stores it: a 16-bit float through float32, an integer
// wrapped.
func roundTo(dt graph.DType, v float64) float64 {
	switch dt {
	case graph.Float32:
		return float64(float32(v))
	case graph.Float16:
		return float64(half.Float16To(half.Float16From(float32(v))))
	case graph.BFloat16:
		return float64(half.BFloat16To(half.BFloat16From(float32(v))))
	case graph.Int32:
		return float64(int32(int64(v)))
	case graph.Uint8:
		return float64(uint8(int64(v)))
	}
	return v
}

// refCumSum returns the running sums of vals (shape, along axis) and the tolerance of each:
// float32 and 16-bit sums are float64 sums rounded once (tolerance 0), float64 ones the
// exact sums rounded (a unit in the last place), integers exact and wrapped.
func refCumSum(dt graph.DType, vals []float64, shape []int, axis int, excl, rev bool) (ref, tol []float64) {
	pre, n, post := graph.NumElements(shape[:axis]), shape[axis], graph.NumElements(shape[axis+1:])
	ref, tol = make([]float64, len(vals)), make([]float64, len(vals))
	for p := range pre {
		for c := range post {
			acc := math.Copysign(0, -1)
			if excl {
				acc = 0
			}
			exact := new(big.Float).SetPrec(2000)
			var iacc int64
			for k := range n {
				i := k
				if rev {
					i = n - 1 - k
				}
				o := (p*n+i)*post + c
				v := vals[o]
				at := func() {
					switch {
					case dt == graph.Float64:
						f, _ := exact.Float64()
						if f == 0 {
							f = acc // the sign of a sum of zeros
						}
						ref[o], tol[o] = f, math.Abs(math.Nextafter(f, math.Inf(1))-f)
					case dt.IsFloat():
						ref[o] = roundTo(dt, acc)
					default:
						ref[o] = roundTo(dt, float64(iacc))
					}
				}
				if excl {
					at()
				}
				acc += v
				if dt == graph.Float64 {
					exact.Add(exact, big.NewFloat(v))
				}
				iacc += int64(v)
				if !excl {
					at()
				}
			}
		}
	}
	return ref, tol
}

// rawValues reads the bytes of n elements of dt as float64.
func rawValues(dt graph.DType, raw []byte) []float64 {
	b := &Buffer{dt: dt, n: len(raw) / dt.Size(), words: make([]uint64, (len(raw)+7)/8)}
	copy(b.Bytes(), raw)
	return values(b)
}

// TestCumSumEmptyLaunch launches running sums of no elements straight (the executor skips
// empty kernels): nothing to do, and no division by an empty axis's length.
func TestCumSumEmptyLaunch(t *testing.T) {
	for _, shape := range [][]int{{2, 3, 0}, {0, 3, 2}, {2, 0, 3}} {
		for _, dt := range []graph.DType{graph.Float32, graph.Float64, graph.Int64} {
			ks, err := graph.Schedule([]*graph.Node{must(graph.CumSum(hostVals(dt, shape, nil), 1, false, false))})
			if err != nil {
				t.Fatal(err)
			}
			p, err := compile(ks[0])
			if err != nil {
				t.Fatal(err)
			}
			if out := kernelRunner(t, fmt.Sprint(shape), ks[0])(p, 2); out.n != 0 {
				t.Errorf("%v %v: %d elements", dt, shape, out.n)
			}
		}
	}
}

// TestCumSumLongRows checks running sums along rows longer than scanSegment, which are cut
// into segments: on 1, 2 and 3 workers (the nine rows of [9, n] are taken four at a time, a
// segment at a time, on one or two workers, and in two passes over all segments on three),
// bit for bit the same on each; Float32 within a unit in the last place of the float64 sum
// (the segments round it elsewhere), Float64 within one of the exact sum, integers exact and
// wrapped; from a plain load and, in place, from a prologue (x*x, x+x); inclusive and
// exclusive, forward and reversed; a row that begins (or, reversed, ends) with more than a
// segment of -0, whose sums stay -0.
func TestCumSumLongRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	shapes := [][]int{
		{3*scanSegment + 5},     // one row: the last segment short
		{9, scanSegment + 3},    // rows enough for four at a time on one or two workers
		{1, 4, 2 * scanSegment}, // segments all of the full length; rows of the last axis of three
	}
	type variant struct {
		prologue bool
		mode     int // excl = mode&1, rev = mode&2
	}
	variants := []variant{{false, 0}, {false, 1}, {false, 2}, {false, 3}, {true, 3}}
	for _, dt := range []graph.DType{graph.Float32, graph.Float64, graph.Int32} {
		for si, shape := range shapes {
			n := graph.NumElements(shape)
			row := shape[len(shape)-1]
			vals := make([]float64, n)
			for i := range vals {
				switch {
				case dt == graph.Int32:
					vals[i] = float64(rng.Int32()) // sums wrap
				case si == 0 && (i < scanSegment+7 || i >= n-scanSegment-7):
					vals[i] = math.Copysign(0, -1)
				default:
					vals[i] = rng.Float64()*2 - 1
				}
			}
			x := hostVals(dt, shape, func(i int) float64 { return vals[i] })
			for i := range vals {
				vals[i] = roundTo(dt, vals[i])
			}
			for _, v := range variants {
				in, want := x, vals
				if v.prologue {
					in, want = scanPrologue(dt, x, vals)
				}
				excl, rev := v.mode&1 != 0, v.mode&2 != 0
				name := fmt.Sprintf("%v %v prologue=%v excl=%v rev=%v", dt, shape, v.prologue, excl, rev)
				ref, tol := refCumSum(dt, want, shape, len(shape)-1, excl, rev)
				if dt == graph.Float32 {
					for i, r := range ref {
						tol[i] = float64(math.Nextafter32(float32(math.Abs(r)), float32(math.Inf(1)))) - math.Abs(r)
					}
				}
				var first []float64
				for _, procs := range []int{1, 2, 3} {
					cs := must(graph.CumSum(in, len(shape)-1, excl, rev)) // a node read once keeps its values
					prev := runtime.GOMAXPROCS(procs)
					raw, err := backend.Read(New(), cs)
					runtime.GOMAXPROCS(prev)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					got := rawValues(dt, raw)
					for i := range ref {
						if d := math.Abs(got[i] - ref[i]); !(d <= tol[i]) || math.Signbit(got[i]) != math.Signbit(ref[i]) && ref[i] == 0 {
							t.Fatalf("%s, %d workers: element %d (%d of its row) is %v, want %v (within %g)", name, procs, i, i%row, got[i], ref[i], tol[i])
						}
					}
					if first == nil {
						first = got
						continue
					}
					for i, v := range got {
						if math.Float64bits(v) != math.Float64bits(first[i]) {
							t.Fatalf("%s: element %d is %v on %d workers, %v on one", name, i, v, procs, first[i])
						}
					}
				}
			}
		}
	}
}

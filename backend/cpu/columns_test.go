package cpu

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/internal/half"
)

// hostVals is a host node of dt and shape whose i-th value is v(i).
func hostVals(dt graph.DType, shape []int, v func(i int) float64) *graph.Node {
	n := graph.NumElements(shape)
	b := make([]byte, n*dt.Size())
	for i := range n {
		x := v(i)
		switch dt {
		case graph.Float32:
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(x)))
		case graph.Float64:
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
		case graph.Float16:
			binary.LittleEndian.PutUint16(b[2*i:], half.Float16From(float32(x)))
		case graph.BFloat16:
			binary.LittleEndian.PutUint16(b[2*i:], half.BFloat16From(float32(x)))
		case graph.Int32:
			binary.LittleEndian.PutUint32(b[4*i:], uint32(int32(x)))
		case graph.Int64:
			binary.LittleEndian.PutUint64(b[8*i:], uint64(int64(x)))
		case graph.Uint8:
			b[i] = uint8(x)
		}
	}
	return must(graph.Host(dt, shape, b))
}

// kernelRunner uploads the inputs of kernel k (host nodes) to the CPU device and returns a
// function that runs a program of k on procs workers into a new buffer.
func kernelRunner(t *testing.T, what string, k *graph.Kernel) func(p *program, procs int) *Buffer {
	t.Helper()
	dev := New()
	ins := make([]backend.Buffer, len(k.Inputs))
	for i, in := range k.Inputs {
		if in.Host == nil {
			t.Fatalf("%s: input %d is not a host node", what, i)
		}
		ins[i], _ = dev.Alloc(in.DType, in.Numel())
		if err := dev.CopyIn(ins[i], in.Host); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, b := range ins {
			_ = dev.Free(b)
		}
	})
	return func(p *program, procs int) *Buffer {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		out, _ := dev.Alloc(k.Out.DType, k.Out.Numel())
		if err := dev.Launch(p, out, ins); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return out.(*Buffer)
	}
}

// values reads a buffer of the CPU device as float64.
func values(b *Buffer) []float64 {
	out := make([]float64, b.n)
	raw := b.Bytes()
	for i := range out {
		switch b.dt {
		case graph.Float32:
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		case graph.Float64:
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		case graph.Float16:
			out[i] = float64(half.Float16To(binary.LittleEndian.Uint16(raw[2*i:])))
		case graph.BFloat16:
			out[i] = float64(half.BFloat16To(binary.LittleEndian.Uint16(raw[2*i:])))
		case graph.Int32:
			out[i] = float64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
		case graph.Int64:
			out[i] = float64(int64(binary.LittleEndian.Uint64(raw[8*i:])))
		case graph.Uint8, graph.Bool:
			out[i] = float64(raw[i])
		}
	}
	return out
}

// TestColumnReductions checks that reductions read with the reduced axes outermost (the
// column order) give what the same reductions give read with them innermost (the row
// order): sums, products, maxima and minima, of floats (NaNs among them) and integers,
// over leading, middle and several axes, of loads and of expressions over broadcast,
// padded and flipped views, in both of the column order's ways of sharing out the work, on
// 1, 2 and 7 workers.
func TestColumnReductions(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	uniform := func(int) float64 { return rng.Float64()*2 - 1 }
	small := func(int) float64 { return float64(rng.IntN(7) - 3) }
	withNaN := func(i int) float64 {
		if i%97 == 13 {
			return math.NaN()
		}
		return rng.Float64()*2 - 1
	}
	type build func() *graph.Node
	red := func(op graph.Op, x *graph.Node, axes ...int) *graph.Node { return must(graph.Reduce(op, x, axes)) }
	cases := []struct {
		name string
		tol  float64 // relative to the number of values an output folds
		make build
	}{
		{"f32 sum of rows", 1e-6, func() *graph.Node {
			return red(graph.OpSum, hostVals(graph.Float32, []int{300, 1024}, uniform), 0)
		}},
		{"f32 sum of few long rows", 1e-6, func() *graph.Node {
			return red(graph.OpSum, hostVals(graph.Float32, []int{5, 70000}, uniform), 0)
		}},
		{"f32 sum of many outputs", 1e-6, func() *graph.Node {
			return red(graph.OpSum, hostVals(graph.Float32, []int{20, 70001}, uniform), 0)
		}},
		{"f32 sum of a short column", 1e-6, func() *graph.Node {
			return red(graph.OpSum, hostVals(graph.Float32, []int{20000, 3}, uniform), 0)
		}},
		{"f64 max over the middle axis with NaNs", 0, func() *graph.Node {
			return red(graph.OpReduceMax, hostVals(graph.Float64, []int{6, 40, 33}, withNaN), 1)
		}},
		{"f64 min over two axes with NaNs", 0, func() *graph.Node {
			return red(graph.OpReduceMin, hostVals(graph.Float64, []int{6, 40, 33}, withNaN), 0, 1)
		}},
		{"f32 max with NaNs", 0, func() *graph.Node {
			return red(graph.OpReduceMax, hostVals(graph.Float32, []int{200, 96}, withNaN), 0)
		}},
		{"f64 product", 1e-12, func() *graph.Node {
			return red(graph.OpProd, hostVals(graph.Float64, []int{40, 130}, func(int) float64 { return 0.5 + rng.Float64() }), 0)
		}},
		{"f16 sum", 1e-3, func() *graph.Node {
			return red(graph.OpSum, hostVals(graph.Float16, []int{64, 300}, uniform), 0)
		}},
		{"i32 sum", 0, func() *graph.Node {
			return red(graph.OpSum, hostVals(graph.Int32, []int{50, 300}, small), 0)
		}},
		{"i32 product", 0, func() *graph.Node {
			return red(graph.OpProd, hostVals(graph.Int32, []int{9, 300}, small), 0)
		}},
		{"i32 min", 0, func() *graph.Node {
			return red(graph.OpReduceMin, hostVals(graph.Int32, []int{50, 300}, small), 0)
		}},
		{"i64 max over the first of three axes", 0, func() *graph.Node {
			return red(graph.OpReduceMax, hostVals(graph.Int64, []int{30, 7, 40}, small), 0)
		}},
		{"f32 sum of x*bias+1 over a padded, flipped view", 1e-6, func() *graph.Node {
			x := must(graph.Flip(hostVals(graph.Float32, []int{90, 200}, uniform), []bool{true, true}))
			x = must(graph.Pad(x, [][2]int{{3, 2}, {1, 4}}))
			bias := must(graph.Expand(hostVals(graph.Float32, []int{1, 205}, uniform), []int{95, 205}))
			one := must(graph.Expand(must(graph.Reshape(must(graph.Const(graph.ScalarOf(1, graph.Float32), graph.Float32)), []int{1, 1})), []int{95, 205}))
			return red(graph.OpSum, must(graph.Binary(graph.OpAdd, must(graph.Binary(graph.OpMul, x, bias)), one)), 0)
		}},
		{"f64 sum of a transposed matrix's columns", 1e-12, func() *graph.Node {
			x := must(graph.Permute(hostVals(graph.Float64, []int{200, 150}, uniform), []int{1, 0}))
			return red(graph.OpSum, x, 1)
		}},
	}
	for _, c := range cases {
		root := c.make()
		kernels, err := graph.Schedule([]*graph.Node{root})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		columns := 0
		for _, k := range kernels {
			if k.Core == nil || !k.Core.Op.IsReduce() {
				continue
			}
			p, err := compile(k)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if p.cols == nil {
				continue
			}
			columns++
			launch := kernelRunner(t, c.name, k)
			run := func(p *program, procs int) []float64 { return values(launch(p, procs)) }
			rows := *p
			rows.cols = nil
			want := run(&rows, 1)
			per := graph.NumElements(k.Core.InShape) / max(1, k.Out.Numel())
			for _, procs := range []int{1, 2, 7} {
				got := run(p, procs)
				for i := range want {
					g, w := got[i], want[i]
					if math.IsNaN(w) && math.IsNaN(g) {
						continue
					}
					if math.Abs(g-w) > c.tol*float64(per)*max(1, math.Abs(w)) || math.IsNaN(g) != math.IsNaN(w) {
						t.Fatalf("%s on %d workers: output %d of %v is %v, want %v (rows)", c.name, procs, i, k.Out.Shape, g, w)
					}
				}
			}
		}
		if columns == 0 {
			t.Errorf("%s: no reduction read in the column order", c.name)
		}
	}
}

// TestFoldRows checks foldRowsF32 against foldF32 a row at a time, bit for bit: sums of
// values whose magnitudes differ so much that any other order of the float64 additions
// rounds differently, maxima and minima with NaN and zeros of both signs; rows of 1 to 70
// values (past SumF32's 32 lanes too).
func TestFoldRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	specials := []float32{float32(math.NaN()), 0, float32(math.Copysign(0, -1))}
	for r := 1; r <= 70; r++ {
		g := min(shortFold/r, 37)
		vals := make([]float32, g*r)
		for i := range vals {
			vals[i] = float32(math.Ldexp(rng.Float64()-0.5, rng.IntN(80)-40))
		}
		for _, op := range []graph.Op{graph.OpSum, graph.OpReduceMax, graph.OpReduceMin} {
			if op != graph.OpSum {
				for i := range vals {
					if rng.IntN(40) == 0 {
						vals[i] = specials[rng.IntN(len(specials))]
					}
				}
			}
			acc := make([]float64, g)
			for i := range acc {
				acc[i] = identityF(op)
			}
			foldRowsF32(op, acc, vals, r, make([]float32, g*r), make([]float64, g*r))
			for i := range g {
				want := foldF32(op, identityF(op), vals[i*r:(i+1)*r])
				if math.Float64bits(acc[i]) != math.Float64bits(want) && !(math.IsNaN(want) && math.IsNaN(acc[i])) {
					t.Fatalf("%v of rows of %d: row %d is %v, foldF32 gives %v", op, r, i, acc[i], want)
				}
			}
		}
	}
}

// TestShortRows checks sums, maxima and minima of short rows (foldRowsF32, up to shortRow or
// shortSum values a row) against the sum and the builtin max and min over each row: rows of
// 1 to 33 values, in Float32 read in place (evaluated in long runs) and negated (in blocks
// whose ends cut rows), and in BFloat16, with NaN, infinities and zeros of both signs among
// the values of maxima and minima.
func TestShortRows(t *testing.T) {
	specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1)}
	for _, r := range []int{1, 2, 3, 7, 8, 16, 31, 32, 33} {
		rows := 3*shortFold/r + 5 // more than one group of rows, and a part of one
		rng := rand.New(rand.NewPCG(uint64(r), 7))
		ints := make([]float64, rows*r) // for the sums: exact in every dtype and every order
		vals := make([]float64, rows*r)
		for i := range vals {
			ints[i] = float64(rng.IntN(2001) - 1000)
			vals[i] = ints[i]
			if rng.IntN(50) == 0 {
				vals[i] = specials[rng.IntN(len(specials))]
			}
		}
		for _, dt := range []graph.DType{graph.Float32, graph.BFloat16} {
			for _, neg := range []bool{false, true} {
				for _, op := range []graph.Op{graph.OpSum, graph.OpReduceMax, graph.OpReduceMin} {
					in := vals
					if op == graph.OpSum {
						in = ints
					}
					x := hostVals(dt, []int{rows, r}, func(i int) float64 { return in[i] })
					if neg {
						x = must(graph.Unary(graph.OpNeg, x))
					}
					got := readValues(t, must(graph.Reduce(op, x, []int{1})))
					for i := range rows {
						want := identityF(op)
						for _, v := range in[i*r : (i+1)*r] {
							if dt != graph.Float32 {
								v = toHalf(dt, v)
							}
							if neg {
								v = -v
							}
							switch op {
							case graph.OpSum:
								want += v
							case graph.OpReduceMax:
								want = max(want, v)
							default:
								want = min(want, v)
							}
						}
						if op == graph.OpSum && dt != graph.Float32 {
							want = toHalf(dt, want)
						}
						if !sameValue(got[i], want) {
							t.Fatalf("%v of %v rows of %d (negated %v): row %d is %v, want %v", op, dt, r, neg, i, got[i], want)
						}
					}
				}
			}
		}
	}
}

package cpu

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
)

func hostRand(r *rand.Rand, dt graph.DType, shape ...int) *graph.Node {
	n := graph.NumElements(shape)
	b := make([]byte, n*dt.Size())
	for i := range n {
		v := r.Float64()*2 - 1
		if dt == graph.Float32 {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(v)))
		} else {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
		}
	}
	return must(graph.Host(dt, shape, b))
}

// hostSpecials is a host tensor of ±Inf, ±0, NaN, 1 and 2.5 in turn.
func hostSpecials(dt graph.DType, shape []int) *graph.Node {
	vals := []float64{math.Inf(-1), math.Copysign(0, -1), 1, math.Inf(1), 0, math.NaN(), 2.5}
	n := graph.NumElements(shape)
	b := make([]byte, n*dt.Size())
	for i := range n {
		v := vals[i%len(vals)]
		if dt == graph.Float32 {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(v)))
		} else {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
		}
	}
	return must(graph.Host(dt, shape, b))
}

func scalar(v float64, dt graph.DType, shape []int) *graph.Node {
	c := must(graph.Const(graph.ScalarOf(v, dt), dt))
	return must(graph.Expand(must(graph.Reshape(c, make1(len(shape)))), shape))
}

func make1(r int) []int {
	s := make([]int, r)
	for i := range s {
		s[i] = 1
	}
	return s
}

// broadcast expands x of shape `from` (same rank as to, ones where it broadcasts) to `to`.
func broadcast(x *graph.Node, from, to []int) *graph.Node {
	return must(graph.Expand(must(graph.Reshape(x, from)), to))
}

// TestTileEpilogue checks that a contraction's epilogue computed on the GEMM's tiles gives,
// bit for bit, what the same operations give on the realized product, and that the kernels
// meant to be fused are.
func TestTileEpilogue(t *testing.T) {
	type epi func(r *rand.Rand, mm *graph.Node) *graph.Node
	bin := func(op graph.Op, a, b *graph.Node) *graph.Node { return must(graph.Binary(op, a, b)) }
	un := func(op graph.Op, a *graph.Node) *graph.Node { return must(graph.Unary(op, a)) }
	cases := []struct {
		name  string
		epi   epi
		fused bool
	}{
		{"relu(mm+bias)", func(r *rand.Rand, mm *graph.Node) *graph.Node {
			s := mm.Shape
			bias := broadcast(hostRand(r, mm.DType, s[len(s)-1]), append(make1(len(s)-1), s[len(s)-1]), s)
			return bin(graph.OpMax, bin(graph.OpAdd, mm, bias), scalar(0, mm.DType, s))
		}, true},
		{"row bias, 1-mm", func(r *rand.Rand, mm *graph.Node) *graph.Node {
			s := mm.Shape
			rb := broadcast(hostRand(r, mm.DType, s[len(s)-2]), append(append(make1(len(s)-2), s[len(s)-2]), 1), s)
			return bin(graph.OpSub, scalar(1, mm.DType, s), bin(graph.OpMul, rb, mm))
		}, true},
		{"gelu", func(r *rand.Rand, mm *graph.Node) *graph.Node {
			s := mm.Shape
			half := bin(graph.OpMul, mm, scalar(0.5, mm.DType, s))
			e := un(graph.OpErf, bin(graph.OpMul, mm, scalar(1/math.Sqrt2, mm.DType, s)))
			return bin(graph.OpMul, half, bin(graph.OpAdd, e, scalar(1, mm.DType, s)))
		}, true},
		{"residual, transposed", func(r *rand.Rand, mm *graph.Node) *graph.Node {
			s := mm.Shape
			rs := append([]int(nil), s...)
			rs[len(s)-2], rs[len(s)-1] = s[len(s)-1], s[len(s)-2]
			perm := make([]int, len(s))
			for i := range perm {
				perm[i] = i
			}
			perm[len(s)-2], perm[len(s)-1] = len(s)-1, len(s)-2
			res := must(graph.Permute(hostRand(r, mm.DType, rs...), perm))
			return bin(graph.OpAdd, un(graph.OpTanh, mm), res)
		}, true},
		{"pow and division", func(r *rand.Rand, mm *graph.Node) *graph.Node {
			s := mm.Shape
			return bin(graph.OpDiv, bin(graph.OpPow, un(graph.OpAbs, mm), scalar(1.5, mm.DType, s)), hostRand(r, mm.DType, s...))
		}, true},
		// Powers of the product times ±Inf, ±0, NaN, 1 and 2.5: a value computed in the
		// epilogue, which the power may overwrite.
		{"x**3 of specials", func(r *rand.Rand, mm *graph.Node) *graph.Node {
			s := mm.Shape
			return bin(graph.OpPow, bin(graph.OpMul, mm, hostSpecials(mm.DType, s)), scalar(3, mm.DType, s))
		}, true},
		{"x**0.5 of specials", func(r *rand.Rand, mm *graph.Node) *graph.Node {
			s := mm.Shape
			return bin(graph.OpPow, bin(graph.OpMul, mm, hostSpecials(mm.DType, s)), scalar(0.5, mm.DType, s))
		}, true},
		// mm+bias read by four nodes, computed once a block and never overwritten by them.
		{"silu(mm+bias) + (mm+bias)**2, shared", func(r *rand.Rand, mm *graph.Node) *graph.Node {
			s := mm.Shape
			bias := broadcast(hostRand(r, mm.DType, s[len(s)-1]), append(make1(len(s)-1), s[len(s)-1]), s)
			h := bin(graph.OpAdd, mm, bias)
			sig := un(graph.OpReciprocal, bin(graph.OpAdd, un(graph.OpExp, un(graph.OpNeg, h)), scalar(1, mm.DType, s)))
			return bin(graph.OpAdd, bin(graph.OpMul, h, sig), bin(graph.OpMul, h, h))
		}, true},
		{"where", func(r *rand.Rand, mm *graph.Node) *graph.Node {
			s := mm.Shape
			cond := bin(graph.OpCmpLT, mm, scalar(0, mm.DType, s))
			return must(graph.Where(cond, scalar(0, mm.DType, s), mm))
		}, true},
		// LeakyReLU and ELU of mm+bias: selects on comparisons, of a value read three times.
		{"leaky relu(mm+bias)", func(r *rand.Rand, mm *graph.Node) *graph.Node {
			s := mm.Shape
			bias := broadcast(hostRand(r, mm.DType, s[len(s)-1]), append(make1(len(s)-1), s[len(s)-1]), s)
			h := bin(graph.OpAdd, mm, bias)
			cond := bin(graph.OpCmpLT, h, scalar(0, mm.DType, s))
			return must(graph.Where(cond, bin(graph.OpMul, h, scalar(0.1, mm.DType, s)), h))
		}, true},
		{"elu(mm+bias), specials", func(r *rand.Rand, mm *graph.Node) *graph.Node {
			s := mm.Shape
			h := bin(graph.OpAdd, mm, hostSpecials(mm.DType, s))
			cond := bin(graph.OpCmpLT, scalar(0, mm.DType, s), h)
			neg := bin(graph.OpSub, un(graph.OpExp, h), scalar(1, mm.DType, s))
			return must(graph.Where(cond, h, neg))
		}, true},
		{"select on an integer comparison (not fused)", func(r *rand.Rand, mm *graph.Node) *graph.Node {
			s := mm.Shape
			cond := bin(graph.OpCmpLT, must(graph.Cast(mm, graph.Int32)), scalar(0, graph.Int32, s))
			return must(graph.Where(cond, scalar(0, mm.DType, s), mm))
		}, false},
	}
	shapes := [][]int{{37, 29, 41}, {130, 1, 70}, {1, 50, 33}, {3, 20, 17, 25}, {200, 300, 150}}
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		for _, sh := range shapes {
			for ci, c := range cases {
				name := fmt.Sprintf("%v/%v/%s", dt, sh, c.name)
				r := len(sh)
				m, n, k := sh[r-3], sh[r-2], sh[r-1]
				batch := sh[:r-3]
				seed := uint64(ci*1000 + m*7 + n)
				build := func() (*graph.Node, *graph.Node) {
					rr := rand.New(rand.NewPCG(seed, 1))
					a := hostRand(rr, dt, append(append([]int(nil), batch...), m, k)...)
					b := hostRand(rr, dt, append(append([]int(nil), batch...), k, n)...)
					mm := must(graph.Contract(a, b))
					return mm, c.epi(rr, mm)
				}
				_, fused := build()
				ks, err := graph.Schedule([]*graph.Node{fused})
				if err != nil {
					t.Fatal(name, err)
				}
				last := ks[len(ks)-1]
				prog, err := New().Compile(last)
				if err != nil {
					t.Fatal(name, err)
				}
				if got := prog.(*program).tile != nil; got != c.fused || last.Core == nil {
					t.Errorf("%s: tile epilogue %v, want %v (core %v)", name, got, c.fused, last.Core)
				}
				got := readBits(t, fused)
				mm, twoPass := build()
				if err := backend.Realize(New(), mm); err != nil {
					t.Fatal(name, err)
				}
				want := readBits(t, twoPass)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%s: element %d is %#x fused, %#x in two passes", name, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// readBits returns the elements of n as raw bits.
func readBits(t *testing.T, n *graph.Node) []uint64 {
	t.Helper()
	raw, err := backend.Read(New(), n)
	if err != nil {
		t.Fatal(err)
	}
	sz := n.DType.Size()
	out := make([]uint64, len(raw)/sz)
	for i := range out {
		if sz == 4 {
			out[i] = uint64(binary.LittleEndian.Uint32(raw[4*i:]))
		} else {
			out[i] = binary.LittleEndian.Uint64(raw[8*i:])
		}
	}
	return out
}

// BenchmarkMatMulEpilogue compares a float32 product alone, with a bias and ReLU fused into
// it, and with the same as a second pass over the realized product.
func BenchmarkMatMulEpilogue(b *testing.B) {
	const n = 1024
	r := rand.New(rand.NewPCG(1, 1))
	a, w := hostRand(r, graph.Float32, n, n), hostRand(r, graph.Float32, n, n)
	bias := broadcast(hostRand(r, graph.Float32, n), []int{1, n}, []int{n, n})
	zero := scalar(0, graph.Float32, []int{n, n})
	dev := New()
	run := func(b *testing.B, build func() *graph.Node) {
		b.SetBytes(2 * n * n * n) // flops, read as "MB/s" = MFLOP/s
		for b.Loop() {
			out := build()
			if err := backend.Realize(dev, out); err != nil {
				b.Fatal(err)
			}
			if st, ok := out.Realized().(*backend.Storage); ok {
				_ = st.Free()
			}
		}
	}
	b.Run("matmul", func(b *testing.B) {
		run(b, func() *graph.Node { return must(graph.Contract(a, w)) })
	})
	b.Run("fused", func(b *testing.B) {
		run(b, func() *graph.Node {
			return must(graph.Binary(graph.OpMax, must(graph.Binary(graph.OpAdd, must(graph.Contract(a, w)), bias)), zero))
		})
	})
	mm := must(graph.Contract(a, w))
	if err := backend.Realize(dev, mm); err != nil {
		b.Fatal(err)
	}
	b.Run("second-pass", func(b *testing.B) {
		run(b, func() *graph.Node {
			return must(graph.Binary(graph.OpMax, must(graph.Binary(graph.OpAdd, mm, bias)), zero))
		})
	})
}

// TestRowRunLoads checks the loads read as runs along the last axis (row slices and
// broadcasts, transposes, flips, steps) against the view's own indexing, with blocks that
// start inside rows.
func TestRowRunLoads(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	src := hostRand(r, graph.Float32, 70, 53)
	vals := readBits(t, src)
	blocks := must(graph.Reshape(must(graph.Slice(src, []int{0, 0}, []int{70, 48}, []int{1, 1})), []int{70, 3, 16}))
	blocksView := graph.Contiguous([]int{70, 53}).Slice([]int{0, 0}, []int{70, 48}, []int{1, 1})
	blocksView, ok := blocksView.Reshape([]int{70, 3, 16})
	if !ok {
		t.Fatal("no view reshapes the sliced rows into blocks")
	}
	column3 := must(graph.Reshape(must(graph.Slice(src, []int{0, 7}, []int{60, 1}, []int{1, 1})), []int{4, 15, 1}))
	column3View, ok := graph.Contiguous([]int{70, 53}).Slice([]int{0, 7}, []int{60, 1}, []int{1, 1}).Reshape([]int{4, 15, 1})
	if !ok {
		t.Fatal("no view reshapes the sliced column")
	}
	if a, b := newViewIter(column3View.Expand([]int{4, 15, 20})), newViewIter(column3View.Permute([]int{1, 0, 2}).Expand([]int{15, 4, 20})); !a.rowBroadcast || b.rowBroadcast {
		t.Fatalf("rows a stride apart: %v and %v, want true and false", a.rowBroadcast, b.rowBroadcast)
	}
	cases := []struct {
		name string
		node *graph.Node
		view graph.View
	}{
		{"slice", must(graph.Slice(src, []int{3, 5}, []int{60, 40}, []int{1, 1})),
			graph.Contiguous([]int{70, 53}).Slice([]int{3, 5}, []int{60, 40}, []int{1, 1})},
		{"row broadcast", broadcast(must(graph.Slice(src, []int{2, 0}, []int{1, 53}, []int{1, 1})), []int{1, 53}, []int{40, 53}),
			graph.Contiguous([]int{70, 53}).Slice([]int{2, 0}, []int{1, 53}, []int{1, 1}).Expand([]int{40, 53})},
		{"column broadcast", must(graph.Expand(must(graph.Slice(src, []int{0, 7}, []int{70, 1}, []int{1, 1})), []int{70, 30})),
			graph.Contiguous([]int{70, 53}).Slice([]int{0, 7}, []int{70, 1}, []int{1, 1}).Expand([]int{70, 30})},
		// A column spread along rows under two leading axes, in memory order (a fill a row,
		// rows a stride apart) and permuted (runs).
		{"column broadcast, batched", must(graph.Expand(column3, []int{4, 15, 20})), column3View.Expand([]int{4, 15, 20})},
		{"column broadcast, batches permuted", must(graph.Expand(must(graph.Permute(column3, []int{1, 0, 2})), []int{15, 4, 20})),
			column3View.Permute([]int{1, 0, 2}).Expand([]int{15, 4, 20})},
		{"batched rows", must(graph.Reshape(must(graph.Slice(src, []int{0, 1}, []int{70, 50}, []int{1, 1})), []int{70, 50})),
			graph.Contiguous([]int{70, 53}).Slice([]int{0, 1}, []int{70, 50}, []int{1, 1})},
		{"transpose", must(graph.Permute(src, []int{1, 0})), graph.Contiguous([]int{70, 53}).Permute([]int{1, 0})},
		{"rows reversed", must(graph.Flip(src, []bool{true, true})), graph.Contiguous([]int{70, 53}).Flip([]bool{true, true})},
		{"every third column", must(graph.Slice(src, []int{0, 1}, []int{70, 17}, []int{1, 3})),
			graph.Contiguous([]int{70, 53}).Slice([]int{0, 1}, []int{70, 17}, []int{1, 3})},
		{"padded", must(graph.Pad(src, [][2]int{{2, 3}, {5, 17}})), graph.Contiguous([]int{70, 53}).Pad([][2]int{{2, 3}, {5, 17}})},
		{"padded, reversed", must(graph.Pad(must(graph.Flip(src, []bool{false, true})), [][2]int{{1, 0}, {20, 1}})),
			graph.Contiguous([]int{70, 53}).Flip([]bool{false, true}).Pad([][2]int{{1, 0}, {20, 1}})},
		// Rows of 16 under padded leading axes: the runs step through the leading axes,
		// carrying from one to the next.
		{"short rows, padded", must(graph.Pad(blocks, [][2]int{{1, 2}, {0, 1}, {0, 0}})), blocksView.Pad([][2]int{{1, 2}, {0, 1}, {0, 0}})},
		{"short rows, permuted", must(graph.Permute(blocks, []int{1, 0, 2})), blocksView.Permute([]int{1, 0, 2})},
	}
	for _, c := range cases {
		zero := scalar(0, graph.Float32, c.node.Shape)
		sum := must(graph.Binary(graph.OpAdd, c.node, zero))
		got := readBits(t, sum)
		n := graph.NumElements(c.view.Shape)
		idx := make([]int, len(c.view.Shape))
		lo, hi := math.MaxInt, math.MinInt // the valid elements' offsets
		for e := range n {
			rem := e
			for d := len(idx) - 1; d >= 0; d-- {
				idx[d] = rem % c.view.Shape[d]
				rem /= c.view.Shape[d]
			}
			want := uint64(0) // masked out: zero
			if c.view.Valid(idx) {
				want = vals[c.view.Index(idx)]
				lo, hi = min(lo, c.view.Index(idx)), max(hi, c.view.Index(idx))
			}
			if got[e] != want {
				t.Fatalf("%s: element %d (%v) is %#x, want %#x", c.name, e, idx, got[e], want)
			}
		}
		it := newViewIter(c.view)
		if l, h := it.validExtent(); l != lo || h != hi {
			t.Errorf("%s: validExtent = [%d, %d], want [%d, %d]", c.name, l, h, lo, hi)
		}
	}
}

// TestLargeElementwise checks a fused elementwise kernel over many blocks, shared among
// the workers, against the same arithmetic done here.
func TestLargeElementwise(t *testing.T) {
	n := 1<<22 + 1000 // a tail past the last whole block
	r := rand.New(rand.NewPCG(8, 8))
	a, b, c := hostRand(r, graph.Float32, n), hostRand(r, graph.Float32, n), hostRand(r, graph.Float32, n)
	av, bv, cv := readBits(t, a), readBits(t, b), readBits(t, c)
	y := must(graph.Binary(graph.OpMax, must(graph.Binary(graph.OpAdd, must(graph.Binary(graph.OpMul, a, b)), c)), scalar(0, graph.Float32, []int{n})))
	got := readBits(t, y)
	f := func(u uint64) float32 { return math.Float32frombits(uint32(u)) }
	for i := range n {
		want := max(float32(f(av[i])*f(bv[i]))+f(cv[i]), 0)
		if got[i] != uint64(math.Float32bits(want)) {
			t.Fatalf("element %d of %d: %v, want %v", i, n, f(got[i]), want)
		}
	}
}

// TestRowInvariant checks expressions whose operands are the same along each row (a row's
// maximum read by the row's elements), which are computed once a row and spread, against
// the same float32 arithmetic done here, on rows that blocks start inside of.
func TestRowInvariant(t *testing.T) {
	const rows, cols = 70, minRowLen + 37 // rows long enough to be computed once a row
	r := rand.New(rand.NewPCG(6, 6))
	x := hostRand(r, graph.Float32, rows, cols)
	xv := readBits(t, x)
	f := func(k int) float32 { return math.Float32frombits(uint32(xv[k])) }
	bin := func(op graph.Op, a, b *graph.Node) *graph.Node { return must(graph.Binary(op, a, b)) }
	un := func(op graph.Op, a *graph.Node) *graph.Node { return must(graph.Unary(op, a)) }
	// m is each row's maximum, read along the row through a broadcast.
	m := broadcast(must(graph.Reduce(graph.OpReduceMax, x, []int{1})), []int{rows, 1}, []int{rows, cols})
	zero, half := scalar(0, graph.Float32, []int{rows, cols}), scalar(0.5, graph.Float32, []int{rows, cols})
	// (x - where(m < 0.5, m, -m)) * (m + 0.5), then where(x < 0, x, |m|).
	shifted := bin(graph.OpSub, x, must(graph.Where(bin(graph.OpCmpLT, m, half), m, un(graph.OpNeg, m))))
	y := bin(graph.OpMul, shifted, bin(graph.OpAdd, m, half))
	z := must(graph.Where(bin(graph.OpCmpLT, x, zero), x, un(graph.OpAbs, m)))
	// A reduction whose prologue reads the row maximum: max over the row of x * |m|.
	w := must(graph.Reduce(graph.OpReduceMax, bin(graph.OpMul, x, un(graph.OpAbs, m)), []int{1}))
	// A row maximum padded with zeros at the rows' ends is not the same along the row.
	mp := must(graph.Pad(broadcast(must(graph.Reduce(graph.OpReduceMax, x, []int{1})), []int{rows, 1}, []int{rows, cols - 5}),
		[][2]int{{0, 0}, {0, 5}}))
	v := bin(graph.OpSub, x, un(graph.OpAbs, mp))
	gy, gz, gw, gv := readBits(t, y), readBits(t, z), readBits(t, w), readBits(t, v)
	for i := range rows {
		mx := f(i * cols)
		for j := range cols {
			mx = max(mx, f(i*cols+j))
		}
		sh := -mx
		if mx < 0.5 {
			sh = mx
		}
		am := float32(math.Abs(float64(mx)))
		wmax := float32(math.Inf(-1))
		for j := range cols {
			k := i*cols + j
			xk := f(k)
			wantY := (xk - sh) * (mx + 0.5)
			wantZ := am
			if xk < 0 {
				wantZ = xk
			}
			wmax = max(wmax, xk*am)
			if got := math.Float32frombits(uint32(gy[k])); got != wantY {
				t.Fatalf("y[%d, %d] = %v, want %v", i, j, got, wantY)
			}
			if got := math.Float32frombits(uint32(gz[k])); got != wantZ {
				t.Fatalf("z[%d, %d] = %v, want %v", i, j, got, wantZ)
			}
			wantV := xk - am
			if j >= cols-5 {
				wantV = xk
			}
			if got := math.Float32frombits(uint32(gv[k])); got != wantV {
				t.Fatalf("v[%d, %d] = %v, want %v", i, j, got, wantV)
			}
		}
		if got := math.Float32frombits(uint32(gw[i])); got != wmax {
			t.Fatalf("w[%d] = %v, want %v", i, got, wmax)
		}
	}
}

// TestChannelInvariant checks per-channel values broadcast over an image's rows and columns
// (a bias on [N, C, H, W]), which are computed once for the H*W elements that share them,
// against the same float32 arithmetic done here: as they are, padded along the channels
// (whole images of zeros), and padded along the columns (not shared along a row, so not
// spread).
func TestChannelInvariant(t *testing.T) {
	const n, c, h, w = 3, 5, 11, 13 // h*w >= minRowLen > w
	r := rand.New(rand.NewPCG(7, 7))
	bin := func(op graph.Op, a, b *graph.Node) *graph.Node { return must(graph.Binary(op, a, b)) }
	b := hostRand(r, graph.Float32, c)
	bv := readBits(t, b)
	f := func(bits uint64) float32 { return math.Float32frombits(uint32(bits)) }
	cases := []struct {
		name    string
		channel func(ch, col int) float32 // the per-channel operand at channel ch, column col
		x, bias *graph.Node
		rowLen  int // the bias's rowLen
	}{
		{"broadcast", func(ch, _ int) float32 { return f(bv[ch]) },
			hostRand(r, graph.Float32, n, c, h, w), broadcast(b, []int{1, c, 1, 1}, []int{n, c, h, w}), h * w},
		{"padded channels", func(ch, _ int) float32 {
			if ch == 0 || ch > c {
				return 0
			}
			return f(bv[ch-1])
		}, hostRand(r, graph.Float32, n, c+2, h, w),
			must(graph.Expand(must(graph.Pad(must(graph.Reshape(b, []int{1, c, 1, 1})), [][2]int{{0, 0}, {1, 1}, {0, 0}, {0, 0}})),
				[]int{n, c + 2, h, w})), h * w},
		{"padded columns", func(ch, col int) float32 {
			if col >= w-3 {
				return 0
			}
			return f(bv[ch])
		}, hostRand(r, graph.Float32, n, c, h, w),
			must(graph.Pad(broadcast(b, []int{1, c, 1, 1}, []int{n, c, h, w - 3}), [][2]int{{0, 0}, {0, 0}, {0, 0}, {0, 3}})), 0},
	}
	for _, tc := range cases {
		// (x * bias + bias) - x
		y := bin(graph.OpSub, bin(graph.OpAdd, bin(graph.OpMul, tc.x, tc.bias), tc.bias), tc.x)
		ks, err := graph.Schedule([]*graph.Node{y})
		if err != nil {
			t.Fatal(err)
		}
		p, err := compile(ks[len(ks)-1])
		if err != nil {
			t.Fatal(err)
		}
		var most func(e *enode) int
		most = func(e *enode) int {
			m := e.rowLen
			for _, s := range e.src {
				m = max(m, most(s))
			}
			return m
		}
		if got := most(p.expr); got != tc.rowLen {
			t.Errorf("%s: the bias is shared by %d elements, want %d", tc.name, got, tc.rowLen)
		}
		xv, yv := readBits(t, tc.x), readBits(t, y)
		shape := tc.x.Shape
		for k := range yv {
			col, ch := k%shape[3], k/(shape[2]*shape[3])%shape[1]
			bk, xk := tc.channel(ch, col), f(xv[k])
			if got, want := f(yv[k]), float32(float32(xk*bk)+bk)-xk; got != want { // rounded as the kernel does, unfused
				t.Fatalf("%s: element %d (channel %d, column %d) = %v, want %v", tc.name, k, ch, col, got, want)
			}
		}
	}
}

// TestValidBlock checks the blocks a mask judges whole against the view's own indexing, and
// that blocks inside one part of a concatenation are judged.
func TestValidBlock(t *testing.T) {
	views := []graph.View{
		graph.Contiguous([]int{2, 3, 4, 5}).Pad([][2]int{{0, 0}, {1, 2}, {0, 0}, {0, 0}}),
		graph.Contiguous([]int{2, 3, 4, 5}).Pad([][2]int{{0, 0}, {0, 0}, {0, 0}, {2, 1}}),
		graph.Contiguous([]int{2, 3, 4, 5}).Pad([][2]int{{1, 0}, {0, 0}, {0, 3}, {0, 0}}),
		graph.Contiguous([]int{2, 3, 4, 5}),
	}
	for i, v := range views {
		it := newViewIter(v)
		total := graph.NumElements(v.Shape)
		idx := make([]int, len(v.Shape))
		validAt := func(e int) bool {
			for d := len(idx) - 1; d >= 0; d-- {
				idx[d] = e % v.Shape[d]
				e /= v.Shape[d]
			}
			return v.Valid(idx)
		}
		judged := 0
		for start := range total {
			for n := 1; start+n <= total; n++ {
				valid, ok := it.validBlock(start, n)
				if !ok {
					continue
				}
				judged++
				for e := start; e < start+n; e++ {
					if validAt(e) != valid {
						t.Fatalf("view %d: block [%d, %d) judged valid=%v, element %d is not", i, start, start+n, valid, e)
					}
				}
			}
		}
		if judged == 0 {
			t.Errorf("view %d: no block judged", i)
		}
	}
	// A block inside one index of the padded axis (4*5 elements a slab) is judged.
	it := newViewIter(views[0])
	if valid, ok := it.validBlock(0, 20); !ok || valid {
		t.Errorf("first slab of the padded axis: valid=%v ok=%v, want masked", valid, ok)
	}
}

// TestPowConstants checks x**2, x**0.5, x**-1 and x**-0.5 with a constant exponent, computed
// as a product, a square root, a quotient and a quotient of a float64 square root, and the
// other integer exponents up to maxIntPow, computed as math.Pow's products, against
// float64's pow rounded to float32, bit for bit (NaN's bits too where powInt computes them),
// on edge values, random bit patterns and random values of moderate size.
func TestPowConstants(t *testing.T) {
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 3.5, -1e-20, 1e-30, 1e20, -1e25, 2, 0.25,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.SmallestNonzeroFloat32,
		-math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32, 0x1p-126, 0x1.fffffep-127}
	r := rand.New(rand.NewPCG(11, 12))
	for range 2000 {
		vals = append(vals, math.Float32frombits(r.Uint32()), float32(r.NormFloat64()*3))
	}
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	x := must(graph.Host(graph.Float32, []int{len(vals)}, b))
	for _, p := range []float64{2, 0.5, -1, -0.5, 3, 4, 5, 6, 7, 8, -2, -3, -5, -8} {
		got := readBits(t, must(graph.Binary(graph.OpPow, x, scalar(p, graph.Float32, []int{len(vals)}))))
		for i, v := range vals {
			want := math.Float32bits(float32(math.Pow(float64(v), p)))
			g := math.Float32frombits(uint32(got[i]))
			if uint32(got[i]) != want && !(g != g && math.IsNaN(float64(math.Float32frombits(want))) && p <= 2 && p >= -1) {
				t.Errorf("%v**%v = %v, want %v", v, p, g, math.Float32frombits(want))
			}
		}
	}
}

// TestMaskSpans checks the stretches a block is cut into against the view's own indexing:
// they tile the block, alternate between valid and masked, and hold what the mask says.
func TestMaskSpans(t *testing.T) {
	views := []graph.View{
		graph.Contiguous([]int{6, 40}).Pad([][2]int{{0, 0}, {3, 20}}),
		graph.Contiguous([]int{6, 40}).Pad([][2]int{{2, 1}, {0, 0}}),
		graph.Contiguous([]int{3, 4, 30}).Pad([][2]int{{0, 0}, {1, 0}, {0, 30}}),
		graph.Contiguous([]int{2, 3, 5, 4}).Pad([][2]int{{0, 0}, {1, 2}, {0, 0}, {0, 0}}), // cut a chunk of 20 at a time
		graph.Contiguous([]int{3, 4, 30}).Pad([][2]int{{1, 1}, {2, 1}, {0, 0}}),           // cut along two axes
		graph.Contiguous([]int{3, 4, 30}).Pad([][2]int{{1, 1}, {0, 2}, {0, 0}}),
	}
	for i, v := range views {
		it := newViewIter(v)
		total := graph.NumElements(v.Shape)
		idx := make([]int, len(v.Shape))
		cut := 0
		for start := 0; start < total; start += 7 {
			for _, n := range []int{1, 16, 100, 512} {
				n = min(n, total-start)
				var buf [maxSpans]span
				sp := it.maskSpans(start, n, buf[:0])
				if len(sp) == 0 {
					continue
				}
				cut++
				at := 0
				for k, s := range sp {
					if s.at != at || s.ln <= 0 || (k > 0 && sp[k-1].valid == s.valid) {
						t.Fatalf("view %d block [%d, +%d): spans %v do not tile it alternately", i, start, n, sp)
					}
					for e := start + s.at; e < start+s.at+s.ln; e++ {
						rem := e
						for d := len(idx) - 1; d >= 0; d-- {
							idx[d] = rem % v.Shape[d]
							rem /= v.Shape[d]
						}
						if v.Valid(idx) != s.valid {
							t.Fatalf("view %d block [%d, +%d): element %d in span %+v", i, start, n, e, s)
						}
					}
					at += s.ln
				}
				if at != n {
					t.Fatalf("view %d block [%d, +%d): spans %v cover %d", i, start, n, sp, at)
				}
			}
		}
		if cut == 0 {
			t.Errorf("view %d: no block cut into spans", i)
		}
	}
}

// TestInPlace checks viewIter.inPlace against the view element by element: it reports a block
// in place, at the offset of its first element, exactly when the block lies in one row of
// the last axis and every element of it is valid and lies at the offset after the last
// one's.
func TestInPlace(t *testing.T) {
	views := []graph.View{
		graph.Contiguous([]int{6, 40}).Pad([][2]int{{0, 0}, {3, 20}}),                // a scan's shifted rows
		graph.Contiguous([]int{6, 40}).Pad([][2]int{{2, 1}, {0, 0}}),                 // a pad of rows
		graph.Contiguous([]int{5, 64}).Slice([]int{1, 8}, []int{3, 40}, []int{1, 1}), // a slice of rows
		graph.Contiguous([]int{3, 4, 30}).Pad([][2]int{{1, 1}, {2, 1}, {4, 0}}),
		graph.Contiguous([]int{4, 1, 50}).Expand([]int{4, 3, 50}), // rows repeated
		graph.Contiguous([]int{30, 20}).Permute([]int{1, 0}),      // columns: never in place
		graph.Contiguous([]int{1, 200}).Flip([]bool{false, true}), // backwards: never in place
	}
	for i, v := range views {
		it := newViewIter(v)
		total := graph.NumElements(v.Shape)
		idx := make([]int, len(v.Shape))
		index := func(e int) []int {
			for d := len(idx) - 1; d >= 0; d-- {
				idx[d] = e % v.Shape[d]
				e /= v.Shape[d]
			}
			return idx
		}
		found := 0
		for start := 0; start < total; start += 3 {
			for _, n := range []int{1, 5, 16, 37, 64} {
				n = min(n, total-start)
				o, ok := it.inPlace(start, n)
				want := true
				for e := start; e < start+n; e++ {
					want = want && v.Valid(index(e)) && v.Index(index(e)) == v.Index(index(start))+e-start
				}
				want = want && start%v.Shape[len(v.Shape)-1]+n <= v.Shape[len(v.Shape)-1]
				if ok != want {
					t.Fatalf("view %d block [%d, +%d): in place %v, want %v", i, start, n, ok, want)
				}
				if ok {
					found++
					if w := v.Index(index(start)); o != w {
						t.Fatalf("view %d block [%d, +%d): offset %d, want %d", i, start, n, o, w)
					}
				}
			}
		}
		if found == 0 && i < 5 {
			t.Errorf("view %d: no block in place", i)
		}
	}
}

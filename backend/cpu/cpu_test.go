package cpu

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
)

func must(n *graph.Node, err error) *graph.Node {
	if err != nil {
		panic(err)
	}
	return n
}

func hostF64(shape []int, vals []float64) *graph.Node {
	b := unsafe.Slice((*byte)(unsafe.Pointer(&vals[0])), 8*len(vals))
	return must(graph.Host(graph.Float64, shape, append([]byte(nil), b...)))
}

func readF64(t *testing.T, n *graph.Node) []float64 {
	t.Helper()
	raw, err := backend.Read(New(), n)
	if err != nil {
		t.Fatal(err)
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(&raw[0])), len(raw)/8)
}

// TestViewIterMatchesView checks the block walker against View.Index for views with every
// kind of movement, at every block start.
func TestViewIterMatchesView(t *testing.T) {
	views := []graph.View{
		graph.Contiguous([]int{3, 4, 5}),
		graph.Contiguous([]int{3, 4, 5}).Permute([]int{2, 0, 1}),
		graph.Contiguous([]int{3, 1, 5}).Expand([]int{3, 4, 5}),
		graph.Contiguous([]int{3, 4, 5}).Flip([]bool{true, false, true}),
		graph.Contiguous([]int{3, 4, 5}).Slice([]int{1, 0, 1}, []int{2, 2, 2}, []int{1, 3, 2}),
		graph.Contiguous([]int{3, 4, 5}).Pad([][2]int{{1, 0}, {0, 2}, {1, 1}}),
		graph.Contiguous([]int{3, 1, 4, 1, 5}).Pad([][2]int{{1, 0}, {0, 0}, {0, 2}, {0, 0}, {1, 1}}),
		graph.Contiguous([]int{1, 4, 1}).Flip([]bool{false, true, false}),
		graph.Contiguous(nil),
	}
	for _, v := range views {
		it := newViewIter(v)
		n := graph.NumElements(v.Shape)
		off, valid, idx := make([]int, n), make([]bool, n), make([]int, 8)
		for start := range n {
			all := it.fill(start, n-start, off, valid, idx)
			multi := make([]int, len(v.Shape))
			for j := range n - start {
				rem := start + j
				for d := len(v.Shape) - 1; d >= 0; d-- {
					multi[d] = rem % v.Shape[d]
					rem /= v.Shape[d]
				}
				ok := v.Valid(multi)
				if (all || valid[j]) != ok || (ok && off[j] != v.Index(multi)) {
					t.Fatalf("view %v start %d element %v: offset %d valid %v, want %d %v",
						v, start, multi, off[j], all || valid[j], v.Index(multi), ok)
				}
			}
		}
	}
}

// TestLongReductions exercises both ways of sharing a reduction among workers: many outputs,
// and a few long ones split across cores; the results must not depend on the worker count.
func TestLongReductions(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, shape := range [][]int{{1, 100000}, {3, 20000}, {5000, 7}, {2, 3}} {
		n := graph.NumElements(shape)
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = float64(r.IntN(1000) - 500) // exact in any order
		}
		x := hostF64(shape, vals)
		var results [][]float64
		for _, procs := range []int{1, 2, 7} {
			old := runtime.GOMAXPROCS(procs)
			sum := must(graph.Reduce(graph.OpSum, x, []int{1}))
			mx := must(graph.Reduce(graph.OpReduceMax, x, []int{1}))
			got := append(readF64(t, sum), readF64(t, mx)...)
			runtime.GOMAXPROCS(old)
			results = append(results, got)
		}
		rows, cols := shape[0], shape[1]
		for i := range rows {
			var s float64
			m := math.Inf(-1)
			for j := range cols {
				s += vals[i*cols+j]
				m = math.Max(m, vals[i*cols+j])
			}
			for p, got := range results {
				if got[i] != s || got[rows+i] != m {
					t.Fatalf("shape %v row %d (run %d): sum %v max %v, want %v %v", shape, i, p, got[i], got[rows+i], s, m)
				}
			}
		}
	}
}

func TestGatherOutOfRange(t *testing.T) {
	x := hostF64([]int{3}, []float64{1, 2, 3})
	idx := must(graph.Host(graph.Int64, []int{1}, []byte{5, 0, 0, 0, 0, 0, 0, 0}))
	g := must(graph.Gather(x, 0, idx))
	_, err := backend.Read(New(), g)
	if !errors.Is(err, graph.ErrShape) {
		t.Errorf("gather index 5 of 3: %v, want an error wrapping ErrShape", err)
	}
}

func TestUnsupportedOpIsAnError(t *testing.T) {
	k := &graph.Kernel{
		Out: must(graph.Host(graph.Int32, []int{1}, make([]byte, 4))),
		Expr: &graph.Expr{Op: graph.OpExp, DType: graph.Int32,
			Src: []*graph.Expr{{Op: graph.OpConst, DType: graph.Int32, View: graph.Contiguous([]int{1})}}},
	}
	if _, err := New().Compile(k); !errors.Is(err, backend.ErrUnsupported) {
		t.Errorf("exp of int32: %v, want ErrUnsupported", err)
	}
}

func TestAllocBeyondMemory(t *testing.T) {
	_, err := New().Alloc(graph.Float32, 1<<50)
	if !errors.Is(err, backend.ErrOutOfMemory) {
		t.Errorf("alloc of 4 PiB: %v, want ErrOutOfMemory", err)
	}
}

// TestPlanes checks the plane-at-a-time readers (eachPlane, through readRuns for loads and
// fillConst for constants) against View.Index and View.Valid for views of rows: shifted
// windows of a padded image (the loads of a depthwise convolution or a pool), pads along the
// leading axes, a slice of channels, a volume, a window mostly past the image, with axes of
// length 1 among them (a pool's window axes), for blocks starting anywhere and of any length.
func TestPlanes(t *testing.T) {
	img := graph.Contiguous([]int{2, 3, 9, 11})
	shifted := func(v graph.View, dy, dx int) graph.View {
		return v.Pad([][2]int{{0, 0}, {0, 0}, {3, 3}, {3, 3}}).
			Slice([]int{0, 0, 3 + dy, 3 + dx}, []int{2, 3, 9, 11}, []int{1, 1, 1, 1})
	}
	units := func(v graph.View) graph.View {
		u, ok := v.Reshape([]int{2, 3, 1, 9, 1, 11})
		if !ok {
			t.Fatalf("view %v does not take unit axes", v)
		}
		return u
	}
	ones := graph.Contiguous([]int{1, 1, 1, 1}).Expand([]int{2, 3, 9, 11}) // a constant's view
	views := map[string]graph.View{
		"shifted up left":    shifted(img, -3, -3),
		"shifted down right": shifted(img, 2, 1),
		"shifted right":      shifted(img, 0, 3),
		"shifted down":       shifted(img, 1, 0),
		"leading pads":       img.Pad([][2]int{{1, 0}, {0, 2}, {0, 0}, {0, 0}}),
		"channel slice":      img.Slice([]int{0, 1, 0, 0}, []int{2, 2, 9, 11}, []int{1, 1, 1, 1}),
		"channels reversed":  img.Flip([]bool{false, true, false, false}).Pad([][2]int{{0, 0}, {0, 0}, {1, 1}, {0, 0}}),
		"volume": graph.Contiguous([]int{2, 5, 6, 12}).Pad([][2]int{{0, 0}, {2, 2}, {1, 1}, {1, 1}}).
			Slice([]int{0, 1, 2, 0}, []int{2, 6, 6, 12}, []int{1, 1, 1, 1}),
		"mostly below": img.Pad([][2]int{{0, 0}, {0, 0}, {0, 9}, {2, 0}}).
			Slice([]int{0, 0, 7, 0}, []int{2, 3, 9, 11}, []int{1, 1, 1, 1}),
		"shifted, unit axes":       units(shifted(img, -1, 2)),
		"constant shifted":         shifted(ones, 1, -2),
		"constant, unit axes":      units(shifted(ones, -3, 1)),
		"constant, leading pads":   ones.Pad([][2]int{{1, 0}, {0, 2}, {0, 0}, {0, 0}}),
		"constant, below, shifted": shifted(ones, 5, 3),
	}
	for name, v := range views {
		it := newViewIter(v)
		constant := strings.HasPrefix(name, "constant")
		if !it.planar() || !constant && !it.rows {
			t.Fatalf("%s: view %v is not read a plane at a time", name, v)
		}
		size := 2 * 3 * 9 * 11
		if name == "volume" {
			size = 2 * 5 * 6 * 12
		}
		src32 := make([]float32, size)
		src64 := make([]int64, size)
		for i := range src32 {
			src32[i], src64[i] = float32(i+1), int64(-i-1)
		}
		if constant {
			clear(src32)
			clear(src64)
			src32[0], src64[0] = 2.5, -7
		}
		n := graph.NumElements(v.Shape)
		idx := make([]int, len(v.Shape))
		want := make([]int, n) // the offset read, or -1 for zero
		for e := range n {
			rem := e
			for d := len(idx) - 1; d >= 0; d-- {
				idx[d] = rem % v.Shape[d]
				rem /= v.Shape[d]
			}
			want[e] = -1
			if v.Valid(idx) {
				want[e] = v.Index(idx)
			}
		}
		r := rand.New(rand.NewPCG(uint64(n), 7))
		en := &enode{op: graph.OpConst, view: it}
		for range 300 {
			start := r.IntN(n)
			m := 1 + r.IntN(n-start)
			out32 := make([]float32, m)
			out64 := make([]int64, m)
			for j := range out32 {
				out32[j], out64[j] = math.Float32frombits(0x7fc00001), 99 // garbage to overwrite
			}
			if constant {
				fillConst(en, nil, start, out32, src32[0])
				fillConst(en, nil, start, out64, src64[0])
			} else if !readRuns(&it, src32, start, out32) || !readRuns(&it, src64, start, out64) {
				t.Fatalf("%s: readRuns declined [%d, %d)", name, start, start+m)
			}
			for j := range m {
				w32, w64 := float32(0), int64(0)
				if o := want[start+j]; o >= 0 {
					w32, w64 = src32[o], src64[o]
				}
				if math.Float32bits(out32[j]) != math.Float32bits(w32) || out64[j] != w64 {
					t.Fatalf("%s: block [%d, %d) element %d is %v and %d, want %v and %d",
						name, start, start+m, start+j, out32[j], out64[j], w32, w64)
				}
			}
		}
	}
}

// TestUniform checks uniform on conditions of one value throughout and of one differing
// element at each position, before, inside and after its blocks of eight.
func TestUniform(t *testing.T) {
	for n := 1; n <= 40; n++ {
		for _, first := range []int64{0, 1, 5} {
			cond := make([]int64, n)
			for i := range cond {
				cond[i] = first
			}
			want := int(b2i(first != 0))
			if u, ok := uniform(cond); !ok || u != want {
				t.Fatalf("%d × %d: uniform gives %d, %v", n, first, u, ok)
			}
			for i := 1; i < n; i++ {
				for _, other := range []int64{0, 1, 3} {
					if (other != 0) == (first != 0) {
						continue
					}
					cond[i] = other
					if u, ok := uniform(cond); ok {
						t.Fatalf("%d × %d with %d at %d: uniform gives %d", n, first, other, i, u)
					}
					cond[i] = first
				}
			}
		}
	}
}

// TestSizeClass checks the recycled buffers' size classes: at least the size asked for, at
// most a quarter more, four per doubling, and the sizes of a growing buffer sharing one.
func TestSizeClass(t *testing.T) {
	seen := map[int]bool{}
	for n := 1 << 14; n <= 1<<22; n += 1 + n/97 {
		c := sizeClass(n)
		if c < n || 4*c > 5*n+4 {
			t.Fatalf("sizeClass(%d) = %d", n, c)
		}
		seen[c] = true
	}
	if want := 1 + 4*(22-14); len(seen) != want { // 2^14, then four in each doubling
		t.Errorf("%d classes from 2^14 to 2^22 words, want %d", len(seen), want)
	}
	if sizeClass(1<<20+1) != sizeClass(1<<20+1<<18) {
		t.Errorf("sizes 2^20+1 and 1.25·2^20 in different classes")
	}
}

package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/internal/half"
)

// toHalf rounds v to dt (Float16 or BFloat16) through float32, as the device's roundings do.
func toHalf(dt graph.DType, v float64) float64 {
	if dt == graph.Float16 {
		return float64(half.Float16To(half.Float16From(float32(v))))
	}
	return float64(half.BFloat16To(half.BFloat16From(float32(v))))
}

// readValues realizes n on a CPU device and returns its values as float64.
func readValues(t *testing.T, n *graph.Node) []float64 {
	t.Helper()
	dev := New()
	if err := backend.Realize(dev, n); err != nil {
		t.Fatal(err)
	}
	buf, err := n.Realized().(*backend.Storage).Buffer()
	if err != nil {
		t.Fatal(err)
	}
	return values(buf.(*Buffer))
}

// sameValue reports whether got and want are equal, or both NaN, with the same sign for zeros.
func sameValue(got, want float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return got == want && math.Signbit(got) == math.Signbit(want)
}

// TestHalfElementwise checks Float16 and BFloat16 kernels, computed in float32 and rounded
// node by node, against the same arithmetic in float64 rounded to the dtype after each
// operation: +, -, *, / and sqrt round alike either way, so they must agree bit for bit, on
// values that include zeros of both signs, infinities, NaN, subnormals and large ones, read
// through plain, transposed, padded, flipped and broadcast views.
func TestHalfElementwise(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float16, graph.BFloat16} {
		r := rand.New(rand.NewPCG(11, uint64(dt)))
		big := 60000.0
		if dt == graph.BFloat16 {
			big = 1e30
		}
		special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1e-6, -3e-7, big, -big, 1, -1}
		const rows, cols = 37, 70
		value := func(int) float64 {
			if r.IntN(8) == 0 {
				return special[r.IntN(len(special))]
			}
			return toHalf(dt, r.NormFloat64()*8)
		}
		av := make([]float64, rows*cols)
		bv := make([]float64, rows*cols)
		for i := range av {
			av[i], bv[i] = toHalf(dt, value(i)), toHalf(dt, value(i))
		}
		a := hostVals(dt, []int{rows, cols}, func(i int) float64 { return av[i] })
		b := hostVals(dt, []int{rows, cols}, func(i int) float64 { return bv[i] })
		bt := hostVals(dt, []int{cols, rows}, func(i int) float64 { return bv[(i%rows)*cols+i/rows] }) // b transposed
		at := func(v []float64, i, j int) float64 { return v[i*cols+j] }
		binOps := map[graph.Op]func(x, y float64) float64{
			graph.OpAdd: func(x, y float64) float64 { return x + y },
			graph.OpSub: func(x, y float64) float64 { return x - y },
			graph.OpMul: func(x, y float64) float64 { return x * y },
			graph.OpDiv: func(x, y float64) float64 { return x / y },
		}
		type check struct {
			name string
			node *graph.Node
			want func(i, j int) float64
		}
		var checks []check
		for op, f := range binOps {
			checks = append(checks,
				check{fmt.Sprint(op), must(graph.Binary(op, a, b)), func(i, j int) float64 { return toHalf(dt, f(at(av, i, j), at(bv, i, j))) }},
				check{fmt.Sprint(op, " transposed"), must(graph.Binary(op, a, must(graph.Permute(bt, []int{1, 0})))),
					func(i, j int) float64 { return toHalf(dt, f(at(av, i, j), at(bv, i, j))) }})
		}
		sq := func(x float64) float64 { return toHalf(dt, math.Sqrt(math.Abs(x))) }
		checks = append(checks,
			check{"sqrt of abs", must(graph.Unary(graph.OpSqrt, must(graph.Unary(graph.OpAbs, a)))), func(i, j int) float64 { return sq(at(av, i, j)) }},
			check{"(a*b + a) / b, rounded a node at a time", must(graph.Binary(graph.OpDiv,
				must(graph.Binary(graph.OpAdd, must(graph.Binary(graph.OpMul, a, b)), a)), b)),
				func(i, j int) float64 {
					x, y := at(av, i, j), at(bv, i, j)
					return toHalf(dt, toHalf(dt, toHalf(dt, x*y)+x)/y)
				}},
			check{"padded, flipped, plus a row broadcast", must(graph.Binary(graph.OpAdd,
				must(graph.Flip(must(graph.Slice(must(graph.Pad(a, [][2]int{{2, 1}, {3, 0}})), []int{0, 0}, []int{rows, cols}, []int{1, 1})), []bool{false, true})),
				must(graph.Expand(must(graph.Slice(b, []int{5, 0}, []int{1, cols}, []int{1, 1})), []int{rows, cols})))),
				func(i, j int) float64 {
					pi, pj := i-2, cols-1-j-3 // the flipped, padded element of a
					x := 0.0
					if pi >= 0 && pj >= 0 {
						x = at(av, pi, pj)
					}
					return toHalf(dt, x+at(bv, 5, j))
				}},
		)
		for _, c := range checks {
			got := readValues(t, c.node)
			for i := range rows {
				for j := range cols {
					if w := c.want(i, j); !sameValue(got[i*cols+j], w) {
						t.Fatalf("%v %s: [%d, %d] is %v, want %v", dt, c.name, i, j, got[i*cols+j], w)
					}
				}
			}
		}
		// Rows of 14 with a pad at both ends, read an element at a time.
		narrow := must(graph.Pad(must(graph.Slice(a, []int{0, 0}, []int{5, 12}, []int{1, 1})), [][2]int{{0, 0}, {1, 1}}))
		got := readValues(t, must(graph.Binary(graph.OpMul, narrow, scalar(2, dt, []int{5, 14}))))
		for i := range 5 {
			for j := range 14 {
				want := 0.0
				if j > 0 && j < 13 {
					want = toHalf(dt, 2*at(av, i, j-1))
				}
				if !sameValue(got[i*14+j], want) {
					t.Fatalf("%v narrow padded rows: [%d, %d] is %v, want %v", dt, i, j, got[i*14+j], want)
				}
			}
		}
	}
}

// TestHalfContraction checks batched products of Float16 and BFloat16 matrices, and of
// Float32 ones read through a pad (not a plain load; the other operand, when it is one, read
// in place), which run on the float32 GEMM (contractF32: 16-bit operands widened as the
// GEMM packs them, or as the 16-bit matrix-vector kernels read them for few rows; a padded
// B times few rows a piece at a time, over stripes and depths that the shape does not
// fill): exactly, on small integers whose sums every dtype holds, and within the rounding
// of float32 sums and of the dtype on random values.
func TestHalfContraction(t *testing.T) {
	// The last two: k in several of the GEMM's blocks, and rows of B longer than what the
	// GEMM widens at a time.
	for _, sh := range [][4]int{{3, 17, 40, 19}, {2, 1, 70, 1100}, {1, 3, 33, 600}, {2, 2, 600, 130}, {2, 9, 900, 33}, {1, 6, 50, 1100}} {
		testHalfContraction(t, sh[0], sh[1], sh[2], sh[3])
	}
}

func testHalfContraction(t *testing.T, batch, m, k, n int) {
	for _, layout := range []string{"rows", "b transposed", "a transposed", "a broadcast"} {
		testHalfContractionLayout(t, batch, m, k, n, layout)
	}
}

// testHalfContractionLayout runs the cases of TestHalfContraction with the operands laid out
// as named: in rows, B or A stored transposed (a view with strides for the GEMM's packing),
// or A one matrix broadcast over the batch (a batch stride of 0).
func testHalfContractionLayout(t *testing.T, batch, m, k, n int, layout string) {
	for _, dt := range []graph.DType{graph.Float16, graph.BFloat16, graph.Float32} {
		for _, exact := range []bool{true, false} {
			r := rand.New(rand.NewPCG(5, uint64(dt)))
			gen := func(int) float64 {
				if exact {
					return float64(r.IntN(5) - 2)
				}
				return toHalf(graph.BFloat16, r.NormFloat64())
			}
			av := make([]float64, batch*m*k)
			bv := make([]float64, batch*k*n)
			for i := range av {
				av[i] = gen(i)
			}
			for i := range bv {
				bv[i] = gen(i)
			}
			if layout == "a broadcast" {
				for i := range av {
					av[i] = av[i%(m*k)]
				}
			}
			a := hostVals(dt, []int{batch, m, k}, func(i int) float64 { return av[i] })
			b := hostVals(dt, []int{batch, k, n}, func(i int) float64 { return bv[i] })
			switch layout {
			case "b transposed":
				bt := hostVals(dt, []int{batch, n, k}, func(i int) float64 {
					bi, j, l := i/(n*k), i/k%n, i%k
					return bv[(bi*k+l)*n+j]
				})
				b = must(graph.Permute(bt, []int{0, 2, 1}))
			case "a transposed":
				at := hostVals(dt, []int{batch, k, m}, func(i int) float64 {
					bi, l, j := i/(k*m), i/m%k, i%m
					return av[(bi*m+j)*k+l]
				})
				a = must(graph.Permute(at, []int{0, 2, 1}))
			case "a broadcast":
				a = must(graph.Expand(hostVals(dt, []int{1, m, k}, func(i int) float64 { return av[i] }), []int{batch, m, k}))
			}
			padded := false
			if dt == graph.Float32 && layout == "b transposed" {
				// A's last column, zero, as a pad: B, a plain load, is read in place.
				for i := k - 1; i < len(av); i += k {
					av[i] = 0
				}
				a = must(graph.Pad(hostVals(dt, []int{batch, m, k - 1}, func(i int) float64 { return av[i/(k-1)*k+i%(k-1)] }),
					[][2]int{{0, 0}, {0, 0}, {0, 1}}))
				padded = true
			} else if dt == graph.Float32 {
				// A pad of one zero column and one zero row: the product is the same.
				a = must(graph.Pad(a, [][2]int{{0, 0}, {0, 0}, {1, 0}}))
				b = must(graph.Pad(b, [][2]int{{0, 0}, {1, 0}, {0, 0}}))
				padded = true
			}
			prod := must(graph.Contract(a, b))
			kernels, err := graph.Schedule([]*graph.Node{prod})
			if err != nil || len(kernels) != 1 {
				t.Fatalf("%v %v %s: %d kernels, %v", dt, []int{batch, m, k, n}, layout, len(kernels), err)
			}
			p, err := compile(kernels[0])
			if err != nil {
				t.Fatal(err)
			}
			ins := make([]*Buffer, len(kernels[0].Inputs))
			dev := New()
			for i, in := range kernels[0].Inputs {
				buf, _ := dev.Alloc(in.DType, in.Numel())
				if err := dev.CopyIn(buf, in.Host); err != nil {
					t.Fatal(err)
				}
				ins[i] = buf.(*Buffer)
			}
			if v, ok := p.contractGemm(ins); p.gemmOK(ins) || !ok || v.f32 == nil {
				t.Fatalf("%v %s (padded %v): not computed by contractF32", dt, layout, padded)
			}
			got := readValues(t, prod)
			// The product's values read by a Float64 or an integer expression (a cast in the
			// kernel that computes it): the same values, widened from its float32 core.
			for _, to := range []graph.DType{graph.Float64, graph.Int32} {
				if to == graph.Int32 && !exact {
					continue
				}
				cast := readValues(t, must(graph.Cast(prod, to)))
				for i, v := range cast {
					if v != got[i] {
						t.Fatalf("%v %v %s: the product cast to %v has %v at %d, the product %v", dt, []int{batch, m, k, n}, layout, to, v, i, got[i])
					}
				}
			}
			for bi := range batch {
				for i := range m {
					for j := range n {
						sum, mag := 0.0, 0.0
						for l := range k {
							x, y := av[(bi*m+i)*k+l], bv[(bi*k+l)*n+j]
							sum += x * y
							mag += math.Abs(x * y)
						}
						g := got[(bi*m+i)*n+j]
						want, tol := sum, 0.0
						if !exact {
							want = toHalf(dt, sum)
							tol = mag*float64(k)*0x1p-24 + math.Abs(sum)*0x1p-7 // float32 sums, then the dtype's rounding
						}
						if dt != graph.Float32 && exact {
							want = toHalf(dt, sum)
						}
						if math.Abs(g-want) > tol {
							t.Fatalf("%v %v %s exact %v: [%d, %d, %d] is %v, want %v (within %v)", dt, []int{batch, m, k, n}, layout, exact, bi, i, j, g, want, tol)
						}
					}
				}
			}
		}
	}
}

// TestCastF32 checks float32 to integer casts, converted straight from float32 (castF32),
// against floatToInt and wrapSliceI on float64, and through a kernel: NaN, infinities, values
// past every width, halves and negatives that wrap.
func TestCastF32(t *testing.T) {
	vals := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)),
		1e20, -1e20, 9.3e18, -9.3e18, 255.9, 256, 257.5, -1.5, -0.5, 3e9, -3e9, 2147483648, -2147483904, 1 << 24, 0.99}
	for _, dt := range []graph.DType{graph.Uint8, graph.Int32, graph.Int64} {
		got := make([]int64, len(vals))
		castF32(dt, got, vals)
		want := make([]int64, len(vals))
		for j, v := range vals {
			want[j] = floatToInt(float64(v))
		}
		wrapSliceI(dt, want)
		for j := range vals {
			if got[j] != want[j] {
				t.Fatalf("%v of %v: %d, want %d", dt, vals[j], got[j], want[j])
			}
		}
		if dt == graph.Uint8 {
			continue // values reads no Uint8 buffers
		}
		x := hostVals(graph.Float32, []int{len(vals)}, func(i int) float64 { return float64(vals[i]) })
		dev := readValues(t, must(graph.Cast(x, dt)))
		for j := range vals {
			if dev[j] != float64(want[j]) { // values reads integers as float64
				t.Fatalf("kernel %v of %v: %v, want %d", dt, vals[j], dev[j], want[j])
			}
		}
	}
}

// TestHalfMoves checks that kernels which only move Float16 or BFloat16 values (a slice, a
// pad, the parts of a concatenation) copy their bits, signaling NaNs' payloads included,
// which a round trip through float32 would quiet. Where a block falls into parts too narrow
// to copy a stretch at a time (a concatenation of columns of 3 and 2), the float32 path
// computes it: the values must still be the same, NaN for NaN.
func TestHalfMoves(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float16, graph.BFloat16} {
		r := rand.New(rand.NewPCG(5, uint64(dt)))
		snan := uint16(0x7c01) // a signaling NaN, payload 1
		if dt == graph.BFloat16 {
			snan = 0x7f81
		}
		bits := func(shape []int) ([]uint16, *graph.Node) {
			v := make([]uint16, graph.NumElements(shape))
			b := make([]byte, 2*len(v))
			for i := range v {
				v[i] = uint16(r.Uint32())
				if r.IntN(5) == 0 {
					v[i] = snan | uint16(r.IntN(2))<<15
				}
				b[2*i], b[2*i+1] = byte(v[i]), byte(v[i]>>8)
			}
			return v, must(graph.Host(dt, shape, b))
		}
		// part is x padded to shape by pads, and a mask true over x.
		part := func(x *graph.Node, pads [][2]int) (*graph.Node, *graph.Node) {
			return must(graph.Pad(x, pads)), must(graph.Pad(scalar(1, graph.Bool, x.Shape), pads))
		}
		concat := func(x, y *graph.Node, ax int) *graph.Node {
			px, py := make([][2]int, 2), make([][2]int, 2)
			px[ax][1], py[ax][0] = y.Shape[ax], x.Shape[ax]
			a, mask := part(x, px)
			b, _ := part(y, py)
			return must(graph.Where(mask, a, b))
		}
		av, a := bits([]int{6, 40})
		bv, b := bits([]int{6, 24})
		cv, c := bits([]int{3, 40})
		var half1 [1]uint16
		narrowHalf(dt, half1[:], []float32{1.5})
		padA, inA := part(a, [][2]int{{1, 2}, {3, 0}})
		type check struct {
			name  string
			node  *graph.Node
			want  func(i, j int) uint16
			exact bool // NaNs' bits too
		}
		checks := []check{
			{"concat of rows", concat(a, c, 0), func(i, j int) uint16 {
				if i < 6 {
					return av[i*40+j]
				}
				return cv[(i-6)*40+j]
			}, true},
			{"concat of columns", concat(a, b, 1), func(i, j int) uint16 {
				if j < 40 {
					return av[i*40+j]
				}
				return bv[i*24+j-40]
			}, true},
			{"pad with 1.5", must(graph.Where(inA, padA, scalar(1.5, dt, []int{9, 43}))), func(i, j int) uint16 {
				if i < 1 || i >= 7 || j < 3 {
					return half1[0]
				}
				return av[(i-1)*40+j-3]
			}, true},
			{"slice", must(graph.Slice(a, []int{1, 3}, []int{4, 30}, []int{1, 1})), func(i, j int) uint16 {
				return av[(i+1)*40+j+3]
			}, true},
			{"concat of narrow columns", concat(must(graph.Slice(a, []int{0, 0}, []int{6, 3}, []int{1, 1})),
				must(graph.Slice(b, []int{0, 0}, []int{6, 2}, []int{1, 1})), 1), func(i, j int) uint16 {
				if j < 3 {
					return av[i*40+j]
				}
				return bv[i*24+j-3]
			}, false},
		}
		isNaN := func(h uint16) bool {
			if dt == graph.Float16 {
				return h&0x7c00 == 0x7c00 && h&0x3ff != 0
			}
			return h&0x7f80 == 0x7f80 && h&0x7f != 0
		}
		for _, ck := range checks {
			dev := New()
			if err := backend.Realize(dev, ck.node); err != nil {
				t.Fatal(err)
			}
			buf, err := ck.node.Realized().(*backend.Storage).Buffer()
			if err != nil {
				t.Fatal(err)
			}
			got := view[uint16](buf.(*Buffer))
			cols := ck.node.Shape[1]
			for e, g := range got {
				w := ck.want(e/cols, e%cols)
				if g != w && (ck.exact || !isNaN(w) || !isNaN(g)) {
					t.Fatalf("%v %s: [%d, %d] is %#04x, want %#04x", dt, ck.name, e/cols, e%cols, g, w)
				}
			}
		}
	}
}

package cpu

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
)

// TestTransposedTiles checks that outputs computed in tiles (transposes, and permutations
// that move the contiguous axis off the last; their float32, 16-bit, Float64, Int32 and Int64
// loads read a tile at a time, by TransposeF32 or, stepping backwards or across images, element by element) are, bit for
// bit, what computing them a row after another gives, for edges of tiles that rows and
// columns do not fill, on 1, 2 and 3 workers; and that the kernels meant to take tiles do.
func TestTransposedTiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	uniform := func(int) float64 { return rng.Float64()*2 - 1 }
	small := func(int) float64 { return float64(rng.IntN(100) - 50) }
	perm := func(x *graph.Node, axes ...int) *graph.Node { return must(graph.Permute(x, axes)) }
	cases := []struct {
		name  string
		tiles bool
		make  func() *graph.Node
	}{
		{"f32 transpose", true, func() *graph.Node {
			return must(graph.Unary(graph.OpCopy, perm(hostVals(graph.Float32, []int{300, 517}, uniform), 1, 0)))
		}},
		{"f32 transpose of the rows reversed, minus its columns reversed", true, func() *graph.Node {
			x := hostVals(graph.Float32, []int{300, 77}, uniform)
			a := perm(must(graph.Flip(x, []bool{true, false})), 1, 0)
			b := perm(must(graph.Flip(x, []bool{false, true})), 1, 0)
			return must(graph.Binary(graph.OpSub, a, b))
		}},
		{"f16 transpose", true, func() *graph.Node {
			return must(graph.Unary(graph.OpCopy, perm(hostVals(graph.Float16, []int{300, 517}, uniform), 1, 0)))
		}},
		{"bf16 transposes of the rows reversed and of the columns reversed, summed", true, func() *graph.Node {
			x := hostVals(graph.BFloat16, []int{260, 77}, uniform)
			a := perm(must(graph.Flip(x, []bool{true, false})), 1, 0)
			b := perm(must(graph.Flip(x, []bool{false, true})), 1, 0)
			return must(graph.Binary(graph.OpAdd, a, b))
		}},
		{"bf16 NCHW to NHWC", true, func() *graph.Node {
			return must(graph.Unary(graph.OpNeg, perm(hostVals(graph.BFloat16, []int{2, 40, 9, 33}, uniform), 0, 2, 3, 1)))
		}},
		{"f64 transpose", true, func() *graph.Node {
			return must(graph.Unary(graph.OpCopy, perm(hostVals(graph.Float64, []int{301, 517}, uniform), 1, 0)))
		}},
		{"f64 transpose times a matrix by rows", true, func() *graph.Node {
			a := perm(hostVals(graph.Float64, []int{40, 1000}, uniform), 1, 0)
			return must(graph.Binary(graph.OpMul, a, hostVals(graph.Float64, []int{1000, 40}, uniform)))
		}},
		{"f64 transposes of the rows reversed and of the columns reversed, subtracted", true, func() *graph.Node {
			x := hostVals(graph.Float64, []int{270, 45}, uniform)
			a := perm(must(graph.Flip(x, []bool{true, false})), 1, 0)
			b := perm(must(graph.Flip(x, []bool{false, true})), 1, 0)
			return must(graph.Binary(graph.OpSub, a, b))
		}},
		{"f32 NCHW to NHWC, exp", true, func() *graph.Node {
			return must(graph.Unary(graph.OpExp, perm(hostVals(graph.Float32, []int{2, 48, 9, 33}, uniform), 0, 2, 3, 1)))
		}},
		{"i32 flipped transpose plus one", true, func() *graph.Node {
			x := must(graph.Flip(hostVals(graph.Int32, []int{70, 260}, small), []bool{true, false}))
			one := must(graph.Expand(must(graph.Reshape(must(graph.Const(graph.ScalarOf(1, graph.Int32), graph.Int32)), []int{1, 1})), []int{260, 70}))
			return must(graph.Binary(graph.OpAdd, perm(x, 1, 0), one))
		}},
		// Integer tiles hold the values' bits as floats: these include the bits of NaNs,
		// signaling ones too, which the tiles must move unchanged.
		{"i32 transpose plus a matrix by rows", true, func() *graph.Node {
			bits := []uint32{0x7f800001, 0xffc00001, 0x80000000, 0x7fffffff, 0xffffffff, 0x7fa00000, 0, 12345}
			x := hostBits(graph.Int32, []int{70, 260}, func(i int) uint64 { return uint64(bits[(i*7)%len(bits)]) + uint64(i%3) })
			y := hostBits(graph.Int32, []int{260, 70}, func(i int) uint64 { return uint64(i) })
			return must(graph.Binary(graph.OpAdd, perm(x, 1, 0), y))
		}},
		{"i64 transpose", true, func() *graph.Node {
			bits := []uint64{0x7ff0000000000001, 0xfff8000000000001, 1 << 63, 1<<63 - 1, 1<<64 - 1, 0x7ff4000000000000, 0, 12345}
			x := hostBits(graph.Int64, []int{301, 517}, func(i int) uint64 { return bits[(i*7)%len(bits)] + uint64(i%3) })
			return must(graph.Unary(graph.OpCopy, perm(x, 1, 0)))
		}},
		{"f32 rows (no tiles)", false, func() *graph.Node {
			return must(graph.Unary(graph.OpNeg, hostVals(graph.Float32, []int{300, 517}, uniform)))
		}},
		{"f32 attention heads (no tiles: the last axis stays)", false, func() *graph.Node {
			return must(graph.Unary(graph.OpCopy, perm(hostVals(graph.Float32, []int{2, 30, 4, 64}, uniform), 0, 2, 1, 3)))
		}},
	}
	for _, c := range cases {
		kernels, err := graph.Schedule([]*graph.Node{c.make()})
		if err != nil || len(kernels) != 1 {
			t.Fatalf("%s: %d kernels, %v", c.name, len(kernels), err)
		}
		k := kernels[0]
		p, err := compile(k)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := p.transposed > 0; got != c.tiles {
			t.Fatalf("%s: computed in tiles %v, want %v", c.name, got, c.tiles)
		}
		launch := kernelRunner(t, c.name, k)
		run := func(p *program, procs int) []byte { return bytes.Clone(launch(p, procs).Bytes()) }
		rows := *p
		rows.transposed = 0
		want := run(&rows, 1)
		for _, procs := range []int{1, 2, 3} {
			if got := run(p, procs); !bytes.Equal(got, want) {
				t.Fatalf("%s on %d workers: the tiles differ from the rows", c.name, procs)
			}
		}
	}
}

// hostBits is a host node of the Int32 or Int64 values whose bits bits gives.
func hostBits(dt graph.DType, shape []int, bits func(i int) uint64) *graph.Node {
	n := graph.NumElements(shape)
	b := make([]byte, n*dt.Size())
	for i := range n {
		if dt == graph.Int32 {
			binary.LittleEndian.PutUint32(b[4*i:], uint32(bits(i)))
		} else {
			binary.LittleEndian.PutUint64(b[8*i:], bits(i))
		}
	}
	return must(graph.Host(dt, shape, b))
}

// BenchmarkTranspose realizes the transpose of a 4096 × 4096 float32 matrix (in tiles) and
// its pad by one on every side (masked loads) next to its negation (a row after another),
// the reference, and the transpose and negation of a BFloat16 and a Float64 one: the bytes a
// second are read and written (as float32).
func BenchmarkTranspose(b *testing.B) {
	const side = 4096
	x := hostVals(graph.Float32, []int{side, side}, func(i int) float64 { return float64(i % 1000) })
	h := hostVals(graph.BFloat16, []int{side, side}, func(i int) float64 { return float64(i % 100) })
	d := hostVals(graph.Float64, []int{side, side}, func(i int) float64 { return float64(i % 1000) })
	dev := New()
	for _, n := range []*graph.Node{x, h, d} {
		if err := backend.Realize(dev, n); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		op   func() *graph.Node
	}{
		{"transpose", func() *graph.Node { return must(graph.Unary(graph.OpCopy, must(graph.Permute(x, []int{1, 0})))) }},
		{"negation", func() *graph.Node { return must(graph.Unary(graph.OpNeg, x)) }},
		{"transpose bfloat16", func() *graph.Node { return must(graph.Unary(graph.OpCopy, must(graph.Permute(h, []int{1, 0})))) }},
		{"negation bfloat16", func() *graph.Node { return must(graph.Unary(graph.OpNeg, h)) }},
		{"transpose float64", func() *graph.Node { return must(graph.Unary(graph.OpCopy, must(graph.Permute(d, []int{1, 0})))) }},
		{"negation float64", func() *graph.Node { return must(graph.Unary(graph.OpNeg, d)) }},
		// A pad by one on every side (masked loads), as a reference for views with masks.
		{"pad", func() *graph.Node {
			return must(graph.Unary(graph.OpCopy, must(graph.Pad(x, [][2]int{{1, 1}, {1, 1}}))))
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(2 * 4 * side * side)
			for b.Loop() {
				y := c.op()
				if err := backend.Realize(dev, y); err != nil {
					b.Fatal(err)
				}
				if err := y.Realized().(*backend.Storage).Free(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

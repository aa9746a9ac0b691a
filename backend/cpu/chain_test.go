package cpu

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/graph"
)

// countChains returns the number of nodes of p computed by a chain.
func countChains(p *program) int {
	n := 0
	for _, e := range append([]*enode{p.expr, p.cols}, p.core...) {
		if e != nil {
			eachNode(e, func(e *enode) { n += int(b2i(e.chain != nil)) })
		}
	}
	return n
}

// TestChains checks that expressions computed by chains (see chain.go) give, bit for bit,
// what computing them node by node gives, on 1, 2 and 3 workers, over blocks whose ends cut
// the chain kernels' groups, with NaNs, infinities and signed zeros among the values; and
// that the chains are where they are meant to be.
func TestChains(t *testing.T) {
	if !asm.HasChainF32() {
		t.Skipf("no chain kernels at level %s: chains are not used", asm.Level())
	}
	rng := rand.New(rand.NewPCG(21, 4))
	const rows, cols = 37, 301 // 11137 elements: blocks of 512 and a tail
	shape := []int{rows, cols}
	mixed := func() *graph.Node {
		specials := []float64{math.Inf(-1), math.Copysign(0, -1), 0, math.Inf(1), math.NaN()}
		return hostVals(graph.Float32, shape, func(int) float64 {
			if rng.IntN(8) == 0 {
				return specials[rng.IntN(len(specials))]
			}
			return rng.NormFloat64() * 4
		})
	}
	a, b, c, d := mixed(), mixed(), mixed(), mixed()
	bin := func(op graph.Op, x, y *graph.Node) *graph.Node { return must(graph.Binary(op, x, y)) }
	un := func(op graph.Op, x *graph.Node) *graph.Node { return must(graph.Unary(op, x)) }
	s := func(v float64) *graph.Node { return scalar(v, graph.Float32, shape) }
	// A scalar held in a buffer: a load of one element, broadcast.
	one := broadcast(hostVals(graph.Float32, []int{1}, func(int) float64 { return 0.75 }), []int{1, 1}, shape)
	rowBias := broadcast(hostVals(graph.Float32, []int{rows}, func(i int) float64 { return float64(i) - 9 }), []int{rows, 1}, shape)
	var ops = []graph.Op{graph.OpAdd, graph.OpSub, graph.OpMul, graph.OpDiv, graph.OpMax, graph.OpMin}
	cases := []struct {
		name   string
		chains int // nodes computed by chains
		make   func() *graph.Node
	}{
		{"relu(a*b + c)", 1, func() *graph.Node { return bin(graph.OpMax, bin(graph.OpAdd, bin(graph.OpMul, a, b), c), s(0)) }},
		{"every op with a stream, either side", 1, func() *graph.Node {
			x := a
			for i, op := range ops {
				if i%2 == 0 {
					x = bin(op, x, []*graph.Node{b, c, d}[i%3])
				} else {
					x = bin(op, []*graph.Node{b, c, d}[i%3], x)
				}
			}
			return x
		}},
		{"every op with a scalar, either side; a shared result", 2, func() *graph.Node {
			x := a
			for _, op := range ops {
				x = bin(op, s(-1.5), bin(op, x, s(2.5)))
			}
			return bin(graph.OpAdd, bin(graph.OpSub, one, x), bin(graph.OpMul, x, one)) // x is shared
		}},
		{"unary ops", 1, func() *graph.Node {
			return un(graph.OpSqrt, bin(graph.OpAdd, un(graph.OpAbs, un(graph.OpNeg, a)), un(graph.OpNeg, b)))
		}},
		{"two products summed", 1, func() *graph.Node {
			return bin(graph.OpAdd, bin(graph.OpMul, a, b), bin(graph.OpMul, bin(graph.OpSub, c, d), s(3)))
		}},
		{"two chains summed", 2, func() *graph.Node {
			l := bin(graph.OpAdd, bin(graph.OpMul, a, b), c)
			r := bin(graph.OpMax, bin(graph.OpSub, c, d), s(0))
			return bin(graph.OpMul, l, r)
		}},
		{"a shared node read by a chain twice", 1, func() *graph.Node {
			p := bin(graph.OpMul, a, b)
			return bin(graph.OpDiv, bin(graph.OpAdd, p, c), bin(graph.OpMax, p, s(1))) // p read twice
		}},
		{"a chain under an exponential", 1, func() *graph.Node {
			return un(graph.OpExp, bin(graph.OpMul, bin(graph.OpAdd, a, b), s(0.125)))
		}},
		{"a row's bias (computed once a row) under a chain", 1, func() *graph.Node {
			return bin(graph.OpMax, bin(graph.OpMul, bin(graph.OpAdd, a, rowBias), c), s(0))
		}},
		{"a select between chains", 2, func() *graph.Node {
			return must(graph.Where(bin(graph.OpCmpLT, a, b), bin(graph.OpSub, bin(graph.OpMul, a, s(2)), c), bin(graph.OpAdd, un(graph.OpNeg, b), d)))
		}},
		{"a chain over transposes (in tiles)", 1, func() *graph.Node {
			at := must(graph.Permute(hostVals(graph.Float32, []int{cols, rows}, func(i int) float64 { return float64(i%97) - 40 }), []int{1, 0}))
			return bin(graph.OpMin, bin(graph.OpAdd, bin(graph.OpMul, at, b), s(1)), c)
		}},
		{"the squared distance of each row", 1, func() *graph.Node {
			e := bin(graph.OpSub, a, b)
			return must(graph.Reduce(graph.OpSum, bin(graph.OpMul, bin(graph.OpAdd, e, s(1)), c), []int{1}))
		}},
		{"more streams than a chain takes: a chain under it takes eight", 1, func() *graph.Node {
			x := a
			for i := range asm.MaxChainSources {
				x = bin(graph.OpAdd, x, hostVals(graph.Float32, shape, func(j int) float64 { return float64(i + j%5) }))
			}
			return x
		}},
		{"float16 (not chained)", 0, func() *graph.Node {
			h := must(graph.Cast(a, graph.Float16))
			return bin(graph.OpMax, bin(graph.OpMul, h, h), scalar(1, graph.Float16, shape))
		}},
	}
	for _, tc := range cases {
		kernels, err := graph.Schedule([]*graph.Node{tc.make()})
		if err != nil || len(kernels) != 1 {
			t.Fatalf("%s: %d kernels, %v", tc.name, len(kernels), err)
		}
		k := kernels[0]
		on, err := compile(k)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		chains = false
		off, err := compile(k)
		chains = true
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := countChains(on); got != tc.chains {
			t.Errorf("%s: %d chains, want %d", tc.name, got, tc.chains)
		}
		if countChains(off) != 0 {
			t.Fatalf("%s: chains turned off, yet there", tc.name)
		}
		launch := kernelRunner(t, tc.name, k)
		want := bytes.Clone(launch(off, 1).Bytes())
		for _, procs := range []int{1, 2, 3} {
			if got := launch(on, procs).Bytes(); !bytes.Equal(got, want) {
				t.Errorf("%s on %d workers: the chain's values differ from the nodes'%s", tc.name, procs, firstDiff(got, want))
			}
		}
	}
}

// firstDiff describes the first float32 that differs between got and want.
func firstDiff(got, want []byte) string {
	for i := 0; i+4 <= len(want); i += 4 {
		if !bytes.Equal(got[i:i+4], want[i:i+4]) {
			return fmt.Sprintf(" (element %d: bits %x, want %x)", i/4, got[i:i+4], want[i:i+4])
		}
	}
	return ""
}

// TestChainsLongSpine checks an expression whose spine reads more streams than a chain
// takes: it is cut into chains of at most MaxChainSources streams each, which cover the
// spine, and whose values are the nodes' bit for bit.
func TestChainsLongSpine(t *testing.T) {
	if !asm.HasChainF32() {
		t.Skipf("no chain kernels at level %s: chains are not used", asm.Level())
	}
	const steps, n = 300, 1000
	rng := rand.New(rand.NewPCG(2, 9))
	x := hostVals(graph.Float32, []int{n}, func(int) float64 { return rng.NormFloat64() })
	ins := []*graph.Node{x}
	for i := range steps {
		var y *graph.Node
		if i%5 == 4 {
			y = ins[rng.IntN(len(ins))] // a stream read again
		} else {
			y = hostVals(graph.Float32, []int{n}, func(int) float64 { return rng.NormFloat64() })
			ins = append(ins, y)
		}
		x = must(graph.Binary([]graph.Op{graph.OpAdd, graph.OpSub, graph.OpMax}[i%3], x, y))
		x = must(graph.Binary(graph.OpMul, x, scalar(0.75, graph.Float32, []int{n})))
	}
	kernels, err := graph.Schedule([]*graph.Node{x})
	if err != nil || len(kernels) != 1 {
		t.Fatalf("%d kernels, %v", len(kernels), err)
	}
	k := kernels[0]
	on, err := compile(k)
	if err != nil {
		t.Fatal(err)
	}
	chains = false
	off, err := compile(k)
	chains = true
	if err != nil {
		t.Fatal(err)
	}
	covered := 0
	eachNode(on.expr, func(e *enode) {
		if e.chain == nil {
			return
		}
		if len(e.chain.leaves) > asm.MaxChainSources {
			t.Errorf("a chain reads %d streams", len(e.chain.leaves))
		}
		covered += len(e.chain.prog) - 1 // the nodes of its spine: an instruction each after the load
	})
	if covered < 2*steps*9/10 {
		t.Errorf("chains compute %d of the %d nodes", covered, 2*steps)
	}
	launch := kernelRunner(t, "long spine", k)
	want := bytes.Clone(launch(off, 1).Bytes())
	if got := launch(on, 2).Bytes(); !bytes.Equal(got, want) {
		t.Errorf("the chains' values differ from the nodes'%s", firstDiff(got, want))
	}
}

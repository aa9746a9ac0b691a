package cpu

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/graph"
)

// blockKernels returns the last kernel of relu(a*b+c) over n float32, and of a float64 chain
// with a math function, a broadcast and a cast.
func blockKernels(t *testing.T, n int) []*graph.Kernel {
	t.Helper()
	r := rand.New(rand.NewPCG(4, 5))
	a, b, c := hostRand(r, graph.Float32, n), hostRand(r, graph.Float32, n), hostRand(r, graph.Float32, n)
	relu := must(graph.Binary(graph.OpMax, must(graph.Binary(graph.OpAdd, must(graph.Binary(graph.OpMul, a, b)), c)), scalar(0, graph.Float32, []int{n})))
	x := hostRand(r, graph.Float64, n/64, 64)
	row := broadcast(hostRand(r, graph.Float64, 64), []int{1, 64}, []int{n / 64, 64})
	chain := must(graph.Cast(must(graph.Binary(graph.OpMul, must(graph.Unary(graph.OpTanh, x)), row)), graph.Float32))
	var ks []*graph.Kernel
	for _, root := range []*graph.Node{relu, chain} {
		s, err := graph.Schedule([]*graph.Node{root})
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, s[len(s)-1])
	}
	return ks
}

// TestBlockPrior checks the untuned block: maxBlock for a kernel that reads a padded view,
// blockSize for one that does not, and the tuning problem's prior the same.
func TestBlockPrior(t *testing.T) {
	useTuning(t, "off")
	const n = 9*maxBlock + 37
	r := rand.New(rand.NewPCG(8, 9))
	x := hostRand(r, graph.Float32, n-5)
	padded := must(graph.Binary(graph.OpMul, must(graph.Pad(x, [][2]int{{2, 3}})), hostRand(r, graph.Float32, n)))
	for _, c := range []struct {
		k    *graph.Kernel
		want int
	}{{blockKernels(t, n)[0], blockSize}, {blockKernels(t, n)[1], blockSize}, {lastKernel(t, padded), maxBlock}} {
		p, err := compile(c.k)
		if err != nil {
			t.Fatal(err)
		}
		if p.block != c.want {
			t.Errorf("%s: block %d, want %d", c.k.Key(), p.block, c.want)
		}
		g, err := NewBlockTuning(c.k)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.Space.Prior["Block"]; got != c.want {
			t.Errorf("%s: the tuning's prior is %d, want %d", c.k.Key(), got, c.want)
		}
		g.Close()
	}
}

// lastKernel returns the last kernel of the schedule of root.
func lastKernel(t *testing.T, root *graph.Node) *graph.Kernel {
	t.Helper()
	s, err := graph.Schedule([]*graph.Node{root})
	if err != nil {
		t.Fatal(err)
	}
	return s[len(s)-1]
}

// TestBlockSizesAgree checks that every block of the knob computes an elementwise kernel
// bit for bit as the default block does.
func TestBlockSizesAgree(t *testing.T) {
	for _, k := range blockKernels(t, 9*maxBlock+37) {
		g, err := NewBlockTuning(k)
		if err != nil {
			t.Fatal(err)
		}
		var want []byte
		for _, b := range append([]int{blockSize}, blockKnob.Values...) {
			if _, err := g.Measure(context.Background(), autotune.Config{"Block": b}); err != nil {
				t.Fatalf("block %d: %v", b, err)
			}
			got := bytes.Clone(g.out.Bytes())
			if want == nil {
				want = got
			} else if !bytes.Equal(got, want) {
				t.Fatalf("%v: block %d differs from block %d", k.Expr.DType, b, blockSize)
			}
		}
		if _, err := g.Measure(context.Background(), autotune.Config{"Block": 4 * maxBlock}); err == nil {
			t.Errorf("a block past maxBlock measured without an error")
		}
		g.Close()
	}
}

// TestBlockFromCache checks that compilation takes a cached block in mode cached, and the
// default in mode off or without an entry; kernels without a block to tune are refused.
func TestBlockFromCache(t *testing.T) {
	k := blockKernels(t, 9*maxBlock+37)[0]
	dir := useTuning(t, "cached")
	g, err := NewBlockTuning(k)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if p, _ := compile(k); p.block != blockSize {
		t.Fatalf("no entry: block %d, want %d", p.block, blockSize)
	}
	if err := autotune.OpenCache(dir).Store(autotune.Entry{Key: g.Key, Config: autotune.Config{"Block": 128}, Median: time.Millisecond, Prior: 2 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	gemmTuner.reset()
	if p, _ := compile(k); p.block != 128 {
		t.Errorf("cached entry: block %d, want 128", p.block)
	}
	t.Setenv(autotune.EnvMode, "off")
	gemmTuner.reset()
	if p, _ := compile(k); p.block != blockSize {
		t.Errorf("mode off: block %d, want %d", p.block, blockSize)
	}
	small := blockKernels(t, 4*maxBlock-64)[0]
	r := rand.New(rand.NewPCG(1, 1))
	sum, _ := graph.Schedule([]*graph.Node{must(graph.Reduce(graph.OpSum, hostRand(r, graph.Float32, 8*maxBlock), []int{0}))})
	for _, k := range []*graph.Kernel{small, sum[len(sum)-1]} {
		if _, err := NewBlockTuning(k); !errors.Is(err, ErrNothingToTune) {
			t.Errorf("%d elements, core %v: %v, want ErrNothingToTune", graph.NumElements(k.Shape), k.Core != nil, err)
		}
	}
}

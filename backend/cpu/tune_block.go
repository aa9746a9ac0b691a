package cpu

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/graph"
)

// The elementwise block family of the autotuner: how many elements a pure elementwise kernel
// evaluates at a time (blockPrior's by default). Smaller blocks keep a long chain's scratch in
// L1; larger ones call each vector kernel fewer times. A kernel is known by a hash of its
// structure (graph.Kernel.Key), its bucketed size and dtype. Compilation looks a tuned block
// up in the cache (CROSSBAR_TUNE=cached or on) and never measures: a search would hold up
// its realization, and every other waiting for the same program, for seconds; go run ./bench
// -tune, or BlockTuning.Tune, measures.

// blockFamily is the kernel signature's prefix; its version changes with the knob's values.
const blockFamily = "cpu.block/v1/"

// blockKnob lists the blocks tried, up to maxBlock.
var blockKnob = autotune.Knob{Name: "Block", Values: []int{128, 256, 512, 1024, 2048}}

// blockKey returns the cache key of k's block, or false when k has no block to tune: it has
// a core (reductions and products share out their own work), or so few elements that it
// is one block whatever the size.
func blockKey(k *graph.Kernel) (autotune.Key, bool) {
	if k == nil || k.Core != nil || k.Expr == nil {
		return autotune.Key{}, false
	}
	n := graph.NumElements(k.Shape)
	if n < 4*maxBlock {
		return autotune.Key{}, false
	}
	bucket, err := autotune.Bucket([]int{n})
	if err != nil {
		return autotune.Key{}, false
	}
	h := fnv.New64a()
	h.Write([]byte(k.Key()))
	return autotune.Key{
		Kernel: fmt.Sprintf("%s%s/%016x", blockFamily, asm.Level(), h.Sum64()),
		Shape:  bucket, DType: k.Expr.DType.String(), Device: gemmFingerprint(),
	}, true
}

// elementwiseBlock returns the block of k: a tuned one from the cache where the mode allows,
// else its prior (blockPrior).
func elementwiseBlock(k *graph.Kernel) int {
	key, ok := blockKey(k)
	if !ok {
		return blockSize
	}
	t := gemmTuner.get()
	if t.Mode == autotune.ModeOff || t.Cache == nil {
		return blockPrior(k)
	}
	e, ok := t.Cache.Lookup(key)
	if !ok || !slices.Contains(blockKnob.Values, e.Config["Block"]) {
		return blockPrior(k)
	}
	return e.Config["Block"]
}

// blockPrior is the block of an untuned elementwise kernel: maxBlock for one that reads a
// masked view (a pad, the parts of a concatenation, a convolution's or a pool's shifted
// windows), whose runs and mask stretches cost each block about the same whatever its
// length; else blockSize, whose scratch stays in the L1 cache. On a 4096 x 4096 float32
// matrix and a [8, 64, 56, 56] image, maxBlock took a 7 x 7 depthwise convolution from 24-26
// to 16 ms and a scan down the columns from 76-78 to 48 ms; for every kernel, it would have
// made a sine and a select 10-25% slower.
func blockPrior(k *graph.Kernel) int {
	masked := false
	var walk func(e *graph.Expr)
	walk = func(e *graph.Expr) {
		if e.Op == graph.OpLoad && e.View.Mask != nil {
			masked = true
		}
		for _, s := range e.Src {
			walk(s)
		}
	}
	walk(k.Expr)
	if masked {
		return maxBlock
	}
	return blockSize
}

// A BlockTuning is the tuning problem of one elementwise kernel's block on the CPU: its key,
// its space and a measurement that runs the kernel on random inputs with a candidate block.
// It holds buffers until Close; its Measure runs one candidate at a time.
type BlockTuning struct {
	Key   autotune.Key
	Space autotune.Space

	prog *program
	out  *Buffer
	ins  []*Buffer
}

// NewBlockTuning returns the tuning problem of kernel k. A kernel with no block to tune (a
// core, or one block's worth of elements) is an error wrapping ErrNothingToTune.
func NewBlockTuning(k *graph.Kernel) (*BlockTuning, error) {
	fail := func(err error) (*BlockTuning, error) {
		return nil, fmt.Errorf("cpu: block tuning: %w", err)
	}
	key, ok := blockKey(k)
	if !ok {
		return fail(fmt.Errorf("%w: not an elementwise kernel of %d elements or more", ErrNothingToTune, 4*maxBlock))
	}
	p, err := compile(k)
	if err != nil {
		return fail(err)
	}
	g := &BlockTuning{Key: key, prog: p,
		Space: autotune.Space{Knobs: []autotune.Knob{blockKnob}, Prior: autotune.Config{"Block": blockPrior(k)}}}
	r := rand.New(rand.NewPCG(1, 2))
	alloc := func(dt graph.DType, n int) (*Buffer, error) {
		b, err := theDevice.Alloc(dt, n)
		if err != nil {
			return nil, err
		}
		buf := b.(*Buffer)
		raw := buf.Bytes()
		for i := range n {
			// Values in [0.5, 1.5): no NaN, infinity or subnormal to slow a candidate down.
			switch dt {
			case graph.Float32:
				binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32(0.5+r.Float64())))
			case graph.Float64:
				binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(0.5+r.Float64()))
			}
		}
		return buf, nil
	}
	for _, in := range k.Inputs {
		b, err := alloc(in.DType, in.Numel())
		if err != nil {
			g.Close()
			return fail(err)
		}
		g.ins = append(g.ins, b)
	}
	if g.out, err = alloc(k.Out.DType, k.Out.Numel()); err != nil {
		g.Close()
		return fail(err)
	}
	return g, nil
}

// Measure times one run of the kernel with the block of c, wall time.
func (g *BlockTuning) Measure(ctx context.Context, c autotune.Config) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	b := c["Block"]
	if b <= 0 || b > maxBlock {
		return 0, fmt.Errorf("cpu: block %d outside 1..%d", b, maxBlock)
	}
	g.prog.block = b
	t0 := time.Now()
	err := g.prog.run(g.out, g.ins)
	return time.Since(t0), err
}

// Tune runs t on the problem and returns its result.
func (g *BlockTuning) Tune(ctx context.Context, t *autotune.Tuner) (autotune.Result, error) {
	if t == nil {
		return autotune.Result{}, errors.New("cpu: block tuning: no tuner")
	}
	return t.Tune(ctx, g.Key, g.Space, g.Measure)
}

// Close frees the buffers.
func (g *BlockTuning) Close() {
	for _, b := range append(g.ins, g.out) {
		if b != nil {
			_ = theDevice.Free(b)
		}
	}
	g.ins, g.out = nil, nil
}

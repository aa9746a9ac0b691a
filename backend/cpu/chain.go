package cpu

import (
	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/graph"
)

// Chains of float32 arithmetic in one pass.
//
// computeF32 computes a node over a block after its sources, each over the whole block: a
// chain such as relu(a*b + c) makes three passes over the block, and only the first pass
// reads a and b from memory, only the second c, only the last writes the output. The
// streams of memory take turns. Over 16M float32 on two cores, relu(a*b+c) so took 5.7-11 ms
// (depending on how busy the machine's memory was), and as one pass 3.7-5.0 ms.
//
// So a float32 node of +, -, *, /, max, min, negation, absolute value or square root, whose
// sources are such nodes too, is computed by asm.ChainF32: an accumulator takes the values
// of a path down the expression (the spine), each node of the path applying its operation
// with its other operand, a stream (a leaf: a load, or a node computed as before, over the
// block) or a scalar. The kernels are those that computeF32 runs node by node, so the values
// are the same bit for bit.

// chains turns chains on (tests turn them off to compare).
var chains = true

// A chain is the program computing a node and the spine under it (see chain.go's comment).
type chain struct {
	prog    asm.Chain
	leaves  []*enode // the streams, by number
	scalars []*enode // the scalar operands, by number (see enode.constF32)
}

// scalarOperand reports whether computeF32 takes e as a scalar where an operation has a
// scalar kernel (enode.constF32 answers for it at run time).
func scalarOperand(e *enode) bool {
	return e.op == graph.OpConst && e.view.mask == nil || e.op == graph.OpLoad && e.view.constant
}

// chainOps are the ops of a chain's nodes, with the operation that the chain runs for each.
var chainOps = map[graph.Op]asm.ChainOp{
	graph.OpAdd: asm.ChainAdd, graph.OpSub: asm.ChainSub, graph.OpMul: asm.ChainMul,
	graph.OpDiv: asm.ChainDiv, graph.OpMax: asm.ChainMax, graph.OpMin: asm.ChainMin,
}

var chainUnaryOps = map[graph.Op]asm.ChainUnaryOp{
	graph.OpNeg: asm.ChainNeg, graph.OpAbs: asm.ChainAbs, graph.OpSqrt: asm.ChainSqrt,
}

// inChain reports whether computeF32 computes e by one of the kernels a chain runs, over its
// sources' blocks: a float32 node of chainOps or chainUnaryOps, the same along no row (see
// enode.rowLen), with no source the same along rows unless a scalar kernel takes it.
func inChain(e *enode) bool {
	if e.dt != graph.Float32 || e.rowLen > 0 {
		return false
	}
	if _, ok := chainUnaryOps[e.op]; ok {
		return len(e.src) == 1 && e.src[0].dt == graph.Float32
	}
	if _, ok := chainOps[e.op]; !ok || len(e.src) != 2 || e.src[0].dt != graph.Float32 || e.src[1].dt != graph.Float32 {
		return false
	}
	if scalarOperand(e.src[1]) || scalarOperand(e.src[0]) {
		return true
	}
	// One source the same along rows: computeF32 computes it once a row.
	return (e.src[0].rowLen > 0) == (e.src[1].rowLen > 0)
}

// A chainBuilder builds the chains of an expression (markChains).
type chainBuilder struct {
	// cut: nodes where a spine above stops, as it would read more than MaxChainSources
	// streams (each starts a chain of its own).
	cut map[*enode]bool
	// depth: the number of nodes on the longest spine down from a node (cuts aside), which
	// a spine follows.
	depth map[*enode]int
	// Of the chain being built: its program, its spine (e last), and the number of streams
	// the program read when each node of the spine was added.
	ch     *chain
	spine  []*enode
	leaves []int
}

// onSpine reports whether e, below a chain's node, is a node of its spine: one that no
// other node reads (a shared node's readers read its kept values), and no cut.
func (b *chainBuilder) onSpine(e *enode) bool { return inChain(e) && !e.shared && !b.cut[e] }

// markChains gives the nodes under root that start a spine of two nodes or more their
// chain, from the top: a node on a spine above it has none.
func markChains(root *enode) {
	b := &chainBuilder{cut: map[*enode]bool{}, depth: map[*enode]int{}}
	below := map[*enode]bool{} // nodes on a spine under another
	eachNode(root, func(e *enode) {
		if below[e] || !inChain(e) {
			return
		}
		for {
			b.ch, b.spine, b.leaves = &chain{}, b.spine[:0], b.leaves[:0]
			b.add(e)
			if len(b.ch.leaves) <= asm.MaxChainSources {
				break
			}
			// Cut the spine into pieces that read no more streams than a chain takes (a
			// node at the bottom reads two at most), each piece from the node above a cut
			// reading the cut's values as a stream, and build the top piece again. (The
			// streams of a piece are counted as those first read in it: one also read
			// below is missed, and the next build cuts again.)
			last := -1 // the last cut
			for k := 1; k < len(b.spine); k++ {
				base := 0
				if last >= 0 {
					base = b.leaves[last] - 1
				}
				if b.leaves[k]-base > asm.MaxChainSources {
					b.cut[b.spine[k-1]] = true
					last = k - 1
				}
			}
			if last < 0 {
				return // (not expected: the bottom node reads two streams at most)
			}
		}
		if len(b.spine) >= 2 {
			e.chain = b.ch
			for _, s := range b.spine[:len(b.spine)-1] {
				below[s] = true
			}
		}
	})
}

// add appends to the program the instructions computing e into the accumulator, and e and
// the nodes under it on the spine to the spine, e last.
func (b *chainBuilder) add(e *enode) {
	ch := b.ch
	if u, ok := chainUnaryOps[e.op]; ok {
		b.accumulate(e.src[0])
		ch.prog = ch.prog.Unary(u)
		b.spine, b.leaves = append(b.spine, e), append(b.leaves, len(ch.leaves))
		return
	}
	op := chainOps[e.op]
	x, y := e.src[0], e.src[1]
	switch {
	case scalarOperand(y):
		b.accumulate(x)
		ch.prog = ch.prog.Scalar(op, ch.scalar(y), false)
	case scalarOperand(x):
		// s - x and s / x; the others as x op s, as scalarF32 computes them.
		b.accumulate(y)
		ch.prog = ch.prog.Scalar(op, ch.scalar(x), op == asm.ChainSub || op == asm.ChainDiv)
	case b.onSpine(y) && (!b.onSpine(x) || b.spineLen(y) > b.spineLen(x)):
		// The longer path down stays on the spine; the other source is a stream, computed
		// over the block (as its own chain, where it is long enough).
		b.accumulate(y)
		ch.prog = ch.prog.Stream(op, ch.leaf(x), true)
	default:
		b.accumulate(x)
		ch.prog = ch.prog.Stream(op, ch.leaf(y), false)
	}
	b.spine, b.leaves = append(b.spine, e), append(b.leaves, len(ch.leaves))
}

// accumulate appends the instructions leaving the values of e, a source of a node of the
// spine, in the accumulator: those of e's own spine, or a load.
func (b *chainBuilder) accumulate(e *enode) {
	if b.onSpine(e) {
		b.add(e)
		return
	}
	b.ch.prog = b.ch.prog.Load(b.ch.leaf(e))
}

// spineLen is the number of nodes on the longest spine down from e, cuts aside.
func (b *chainBuilder) spineLen(e *enode) int {
	if !inChain(e) || e.shared {
		return 0
	}
	if n, ok := b.depth[e]; ok {
		return n
	}
	n := 0
	for _, s := range e.src {
		n = max(n, b.spineLen(s))
	}
	b.depth[e] = 1 + n
	return 1 + n
}

// leaf returns the number of the stream of e, numbering it if it is new. It looks among
// the first few streams only: past MaxChainSources, which markChains cuts, a stream read
// again counts as a new one (its program is not run, and the cuts come lower at most),
// and a long spine costs its length to build, not its length times its streams.
func (ch *chain) leaf(e *enode) int {
	for i, l := range ch.leaves[:min(len(ch.leaves), 2*asm.MaxChainSources)] {
		if l == e {
			return i
		}
	}
	ch.leaves = append(ch.leaves, e)
	return len(ch.leaves) - 1
}

func (ch *chain) scalar(e *enode) int {
	ch.scalars = append(ch.scalars, e)
	return len(ch.scalars) - 1
}

// runChain computes e, which has a chain, over domain elements [start, start+n) into out,
// and reports whether it did: not where a scalar operand is not one at run time (not
// expected) or the chain kernel would be the Go reference (computeF32 then computes the
// block node by node, which is faster than that).
func (e *enode) runChain(c *ctx, start, n int, out []float32) bool {
	ch := e.chain
	if !asm.HasChainF32() {
		return false
	}
	var sbuf [8]float32
	scalars := sbuf[:0]
	for _, k := range ch.scalars {
		s, ok := k.constF32(c)
		if !ok {
			return false
		}
		scalars = append(scalars, s)
	}
	var lbuf [asm.MaxChainSources][]float32
	leaves := lbuf[:0]
	for _, l := range ch.leaves {
		leaves = append(leaves, l.evalF32(c, start, n, nil))
	}
	asm.ChainF32(out[:n], ch.prog, leaves, scalars)
	return true
}

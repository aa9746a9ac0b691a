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

// onSpine reports whether e, below a chain's node, is a node of its spine: one that no
// other node reads (a shared node's readers read its kept values).
func onSpine(e *enode) bool { return inChain(e) && !e.shared }

// markChains gives the nodes under root that start a spine of two nodes or more their
// chain, from the top: a node on a spine above it has none.
func markChains(root *enode) {
	below := map[*enode]bool{} // nodes on a spine under another
	eachNode(root, func(e *enode) {
		if below[e] || !inChain(e) {
			return
		}
		ch := &chain{}
		var spine []*enode
		ch.add(e, &spine)
		if len(spine) >= 2 && len(ch.leaves) <= asm.MaxChainSources {
			e.chain = ch
			for _, s := range spine[:len(spine)-1] {
				below[s] = true
			}
		}
	})
}

// add appends to the program the instructions computing e into the accumulator, and e and
// the nodes under it on the spine to spine, e last.
func (ch *chain) add(e *enode, spine *[]*enode) {
	if u, ok := chainUnaryOps[e.op]; ok {
		ch.accumulate(e.src[0], spine)
		ch.prog = ch.prog.Unary(u)
		*spine = append(*spine, e)
		return
	}
	op := chainOps[e.op]
	x, y := e.src[0], e.src[1]
	switch {
	case scalarOperand(y):
		ch.accumulate(x, spine)
		ch.prog = ch.prog.Scalar(op, ch.scalar(y), false)
	case scalarOperand(x):
		// s - x and s / x; the others as x op s, as scalarF32 computes them.
		ch.accumulate(y, spine)
		ch.prog = ch.prog.Scalar(op, ch.scalar(x), op == asm.ChainSub || op == asm.ChainDiv)
	case onSpine(y) && (!onSpine(x) || spineLen(y) > spineLen(x)):
		// The longer path down stays on the spine; the other source is a stream, computed
		// over the block (as its own chain, where it is long enough).
		ch.accumulate(y, spine)
		ch.prog = ch.prog.Stream(op, ch.leaf(x), true)
	default:
		ch.accumulate(x, spine)
		ch.prog = ch.prog.Stream(op, ch.leaf(y), false)
	}
	*spine = append(*spine, e)
}

// accumulate appends the instructions leaving the values of e, a source of a node of the
// spine, in the accumulator: those of e's own spine, or a load.
func (ch *chain) accumulate(e *enode, spine *[]*enode) {
	if onSpine(e) {
		ch.add(e, spine)
		return
	}
	ch.prog = ch.prog.Load(ch.leaf(e))
}

// spineLen is the number of nodes on the longest spine down from e.
func spineLen(e *enode) int {
	if !onSpine(e) {
		return 0
	}
	n := 0
	for _, s := range e.src {
		n = max(n, spineLen(s))
	}
	return 1 + n
}

// leaf returns the number of the stream of e, numbering it if it is new.
func (ch *chain) leaf(e *enode) int {
	for i, l := range ch.leaves {
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

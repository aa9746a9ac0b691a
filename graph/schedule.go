package graph

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// A Kernel computes one node into a new contiguous buffer. It holds at most one core (a
// reduction, contraction or gather), whose inputs may be elementwise expressions of loads (a
// reduction's prologue) and whose result may be finished by an elementwise epilogue (Expr).
type Kernel struct {
	Out   *Node // the node computed; the output buffer has Out.Shape and Out.DType
	Shape []int // the domain Expr is evaluated over: Out.Shape, or the shape of the node
	// under reshapes of Out (same element count, same row-major order)
	Inputs []*Node // nodes read: realized or host leaves, or outputs of earlier kernels
	Core   *Core   // nil for a pure elementwise kernel
	Expr   *Expr   // the output element, over Out.Shape; may read the core's value
}

// Core is the one non-elementwise computation of a kernel.
type Core struct {
	Op      Op    // a reduction, OpContract, OpGather, or a scan (OpCumSum, OpSoftmax, ...)
	DType   DType // dtype of the core's result
	Shape   []int // shape of the core's result, equal to the kernel's output shape
	Axes    []int // reductions: the reduced axes of InShape; gather, scans, argmax: [axis]
	InShape []int // reductions, argmax: the shape reduced over; scans: Shape
	// Reductions, scans and argmax: [prologue over InShape]. Contract: [a, b], loads of
	// [..., M, K] and [..., K, N]. Gather: [source load, indices load].
	Src []*Expr
	// CumSum: the node's Exclusive and Reverse.
	Exclusive, Reverse bool
	// LayerNorm: the node's Eps.
	Eps float64
}

// Expr is a node of a kernel's expression. Leaves are loads (Input, View), constants
// (Const, View: a masked constant reads as zero outside the mask) and OpCoreValue. The
// expression is a graph, not always a tree: a node with several readers (a value that the
// graph uses twice, such as GELU's input) is one Expr that they share, and backends compute
// it once. Walked as a tree, an expression has at most a few thousand nodes.
type Expr struct {
	Op    Op
	DType DType
	Src   []*Expr
	Input int  // OpLoad: index into Kernel.Inputs
	View  View // OpLoad, OpConst: the leaf read over the expression's domain
	Const Scalar
}

type move struct{ node *Node }

var errRetry = errors.New("graph: reschedule")

type scheduler struct {
	mat  map[*Node]bool // nodes that must be computed into buffers
	uses map[*Node]int
	done map[*Node]bool
	out  []*Kernel
}

// Schedule cuts the graph that computes roots into kernels, in an order where every kernel
// runs after the kernels whose outputs it reads. Realized nodes and host leaves are inputs;
// roots are always computed into buffers of their own. Schedule is deterministic.
func Schedule(roots []*Node) ([]*Kernel, error) {
	if err := nonNil("schedule", roots...); err != nil {
		return nil, err
	}
	s := &scheduler{mat: map[*Node]bool{}}
	for range 1 << 16 {
		s.uses, s.done, s.out = map[*Node]int{}, map[*Node]bool{}, nil
		s.countUses(roots)
		for _, r := range roots {
			s.mat[r] = true
		}
		err := s.run(roots)
		if errors.Is(err, errRetry) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return s.out, nil
	}
	return nil, errors.New("graph: schedule did not converge")
}

func isInput(n *Node) bool { return n.Realized() != nil || n.Op == OpHost }

func (s *scheduler) countUses(roots []*Node) {
	seen := map[*Node]bool{}
	var walk func(n *Node)
	walk = func(n *Node) {
		if seen[n] {
			return
		}
		seen[n] = true
		if isInput(n) {
			return
		}
		for _, src := range n.sources() {
			s.uses[src]++
			walk(src)
		}
	}
	for _, r := range roots {
		walk(r)
	}
}

func (s *scheduler) run(roots []*Node) error {
	for _, r := range roots {
		if err := s.ensure(r); err != nil {
			return err
		}
	}
	return nil
}

// ensure schedules the kernel computing n after the kernels it depends on.
func (s *scheduler) ensure(n *Node) error {
	if isInput(n) || s.done[n] {
		return nil
	}
	s.done[n] = true
	// A reshape of a row-major buffer only relabels it: compute the node under reshapes of n
	// straight into n's buffer, so that, say, a reduction whose kept unit axes are dropped is
	// still one kernel.
	root := n
	for root.Op == OpReshape {
		src := root.Src[0]
		if isInput(src) || s.mat[src] || s.uses[src] != 1 || (src.Op.IsMovement() && src.Op != OpReshape) || src.Op == OpConst {
			break
		}
		root = src
	}
	kb, err := s.buildKernel(n, root)
	if err != nil {
		return err
	}
	if c := kb.core; c != nil && c != root && kb.coreRefs != s.uses[c] {
		// The core is also read outside this kernel: compute it into a buffer of its own.
		s.mat[c] = true
		return errRetry
	}
	for _, in := range kb.k.Inputs {
		if err := s.ensure(in); err != nil {
			return err
		}
	}
	s.out = append(s.out, kb.k)
	return nil
}

// buildKernel builds the kernel computing n (root, under n's reshapes), built again while
// it shares nodes that it cannot (see unshare), those then loaded.
func (s *scheduler) buildKernel(n, root *Node) (*kernelBuilder, error) {
	for {
		kb := &kernelBuilder{s: s, k: &Kernel{Out: n, Shape: clone(root.Shape)}, root: root, inputs: map[*Node]int{}}
		var err error
		if root.Op.IsCore() {
			err = kb.buildCore(root)
			kb.k.Expr = &Expr{Op: OpCoreValue, DType: root.DType}
		} else {
			kb.k.Expr, err = kb.build(root, nil)
		}
		if err != nil {
			return nil, err
		}
		unshared := kb.unshare()
		if len(unshared) == 0 {
			return kb, nil
		}
		// Only this kernel read the nodes to unshare. What this build marked for buffers of
		// their own, it marked for itself (a core read through a shared node's view, say):
		// the next build marks again what it needs.
		for _, m := range kb.marked {
			delete(s.mat, m)
		}
		for _, m := range unshared {
			s.mat[m] = true
		}
	}
}

type kernelBuilder struct {
	s        *scheduler
	k        *Kernel
	root     *Node // the node whose value the kernel computes (Out, or under Out's reshapes)
	inputs   map[*Node]int
	core     *Node // the core fused into the epilogue, if any
	coreRefs int   // the epilogue's reads of it
	shared   map[*Node]*sharedUse
	marked   []*Node // the nodes this build marked for computation into buffers
}

// mark marks n for computation into a buffer of its own.
func (b *kernelBuilder) mark(n *Node) {
	if !b.s.mat[n] {
		b.s.mat[n] = true
		b.marked = append(b.marked, n)
	}
}

// sharedUse is what a kernel made of an elementwise node that has several uses: its one
// expression, the movements it was read through, and the uses met in the kernel.
type sharedUse struct {
	e     *Expr
	mv    []move
	refs  int
	clash bool // read through other movements too
}

// maxExpandedExpr bounds the nodes of a kernel's expression counted as a tree, each shared
// node once for each of its uses: what a walk that does not notice sharing visits (a
// backend's check of the loads, say), which a chain of nodes each read twice by the next
// would double at every step.
const maxExpandedExpr = 1 << 12

// unshare returns the shared nodes that this kernel cannot compute once for all their uses,
// to be computed into buffers of their own: those with a use outside it or read through two
// different views; else the largest shared node if the expression, as a tree, exceeds
// maxExpandedExpr nodes. The kernel is then built again.
func (b *kernelBuilder) unshare() []*Node {
	if len(b.shared) == 0 {
		return nil // a tree
	}
	var out []*Node
	for n, u := range b.shared {
		if u.refs != b.s.uses[n] || u.clash {
			out = append(out, n)
		}
	}
	if len(out) > 0 {
		return out
	}
	sizes := map[*Expr]int{}
	if expandedSize(b.k.Expr, sizes) <= maxExpandedExpr && !slices.ContainsFunc(b.coreSrc(), func(e *Expr) bool {
		return expandedSize(e, sizes) > maxExpandedExpr
	}) {
		return nil
	}
	var big *Node
	for n, u := range b.shared {
		if big == nil || sizes[u.e] > sizes[b.shared[big].e] || sizes[u.e] == sizes[b.shared[big].e] && n.ID < big.ID {
			big = n
		}
	}
	if big == nil {
		return nil
	}
	return []*Node{big}
}

func (b *kernelBuilder) coreSrc() []*Expr {
	if b.k.Core == nil {
		return nil
	}
	return b.k.Core.Src
}

// expandedSize returns the number of nodes of e counted as a tree, memoized in sizes.
func expandedSize(e *Expr, sizes map[*Expr]int) int {
	if n, ok := sizes[e]; ok {
		return n
	}
	n := 1
	for _, s := range e.Src {
		n += expandedSize(s, sizes)
	}
	n = min(n, 1<<40)
	sizes[e] = n
	return n
}

func hasPad(mv []move) bool {
	return slices.ContainsFunc(mv, func(m move) bool { return m.node.Op == OpPad })
}

// build returns the expression of n read through the movements mv (applied in order).
func (b *kernelBuilder) build(n *Node, mv []move) (*Expr, error) {
	if isInput(n) || (b.s.mat[n] && n != b.root) {
		return b.load(n, mv)
	}
	switch {
	case n.Op == OpConst:
		v := Contiguous(nil)
		for _, m := range mv {
			var ok bool
			if v, ok = applyMove(v, m.node); !ok {
				return nil, b.retry(m.node)
			}
		}
		return &Expr{Op: OpConst, DType: n.DType, View: v, Const: n.Const}, nil
	case n.Op.IsMovement():
		return b.build(n.Src[0], append([]move{{n}}, mv...))
	case n.Op.IsElementwise():
		if hasPad(mv) {
			// Padding must read zeros, not f(0): compute n first, then pad the load.
			b.mark(n)
			return b.load(n, mv)
		}
		// A node with several uses joins the kernel when all of them are in it, read through
		// the same movements: its expression is then shared by every use, computed once (see
		// unshare for the other cases).
		var u *sharedUse
		if b.s.uses[n] > 1 && n != b.root {
			if u = b.shared[n]; u != nil {
				u.refs++
				if slices.Equal(u.mv, mv) {
					return u.e, nil
				}
				u.clash = true
				u = nil
			} else {
				u = &sharedUse{mv: slices.Clone(mv), refs: 1}
				if b.shared == nil {
					b.shared = map[*Node]*sharedUse{}
				}
				b.shared[n] = u
			}
		}
		e := &Expr{Op: n.Op, DType: n.DType}
		for _, src := range n.Src {
			se, err := b.build(src, mv)
			if err != nil {
				return nil, err
			}
			e.Src = append(e.Src, se)
		}
		if u != nil {
			u.e = e
		}
		return e, nil
	case n.Op.IsCore():
		// The core joins the epilogue when it is read as it is, and only by the epilogue
		// (ensure checks that every use was met here), so that GELU(MatMul(a, b)), which
		// reads the product twice, is still one kernel.
		if len(mv) == 0 && (b.k.Core == nil || b.core == n) {
			if b.k.Core == nil {
				if err := b.buildCore(n); err != nil {
					return nil, err
				}
				b.core = n
			}
			b.coreRefs++
			return &Expr{Op: OpCoreValue, DType: n.DType}, nil
		}
		b.mark(n)
		return b.load(n, mv)
	}
	return nil, fmt.Errorf("graph: cannot schedule %v", n.Op)
}

// buildLoad returns n read through mv as a single load, computing n first unless it is a
// chain of movements over a buffer.
func (b *kernelBuilder) buildLoad(n *Node, mv []move) (*Expr, error) {
	if isInput(n) || b.s.mat[n] {
		return b.load(n, mv)
	}
	if n.Op.IsMovement() {
		return b.buildLoad(n.Src[0], append([]move{{n}}, mv...))
	}
	b.mark(n)
	return b.load(n, mv)
}

func (b *kernelBuilder) buildCore(n *Node) error {
	c := &Core{Op: n.Op, DType: n.DType, Shape: clone(n.Shape), Axes: clone(n.Axes), Exclusive: n.Exclusive, Reverse: n.Reverse, Eps: n.Eps}
	b.k.Core = c
	if n.Op.IsReduce() || n.Op.IsScan() || n.Op == OpArgMax || n.Op == OpArgMin {
		c.InShape = clone(n.Src[0].Shape)
		e, err := b.build(n.Src[0], nil)
		if err != nil {
			return err
		}
		c.Src = []*Expr{e}
		return nil
	}
	for _, src := range n.Src {
		e, err := b.buildLoad(src, nil)
		if err != nil {
			return err
		}
		c.Src = append(c.Src, e)
	}
	return nil
}

// retry marks the source of a movement that no view can express for computation into a
// buffer of its own, and restarts scheduling.
func (b *kernelBuilder) retry(m *Node) error {
	src := m.Src[0]
	if b.s.mat[src] {
		return fmt.Errorf("graph: cannot express %v of %v as a view", m.Op, src.Shape)
	}
	b.s.mat[src] = true
	return errRetry
}

func (b *kernelBuilder) load(n *Node, mv []move) (*Expr, error) {
	v := Contiguous(n.Shape)
	for _, m := range mv {
		var ok bool
		if v, ok = applyMove(v, m.node); !ok {
			return nil, b.retry(m.node)
		}
	}
	idx, ok := b.inputs[n]
	if !ok {
		idx = len(b.k.Inputs)
		b.inputs[n] = idx
		b.k.Inputs = append(b.k.Inputs, n)
	}
	return &Expr{Op: OpLoad, DType: n.DType, Input: idx, View: v}, nil
}

// applyMove applies the movement node m to a view of m's source.
func applyMove(v View, m *Node) (View, bool) {
	switch m.Op {
	case OpReshape:
		return v.Reshape(m.Shape)
	case OpPermute:
		return v.Permute(m.Axes), true
	case OpExpand:
		return v.Expand(m.Shape), true
	case OpSlice:
		return v.Slice(m.Start, m.Shape, m.Step), true
	case OpPad:
		return v.Pad(m.Pads), true
	case OpFlip:
		return v.Flip(m.Flips), true
	}
	return View{}, false
}

// Key is a structural description of k: kernels with equal keys compute the same function of
// their inputs, so a device can reuse the program compiled for one for the other. It is built
// on every realization, so it avoids fmt.
func (k *Kernel) Key() string {
	b := make([]byte, 0, 256)
	b = appendDT(append(b, "out "...), k.Out.DType, k.Out.Shape)
	b = appendInts(append(b, " over "...), k.Shape)
	b = append(b, " in"...)
	for _, in := range k.Inputs {
		b = appendDT(append(b, ' '), in.DType, in.Shape)
	}
	if c := k.Core; c != nil {
		b = appendDT(append(append(b, "; core "...), c.Op.String()...), c.DType, c.Shape)
		b = appendInts(append(b, " ax"...), c.Axes)
		b = appendInts(append(b, " in"...), c.InShape)
		if c.Exclusive {
			b = append(b, " exclusive"...)
		}
		if c.Reverse {
			b = append(b, " reverse"...)
		}
		if c.Op == OpLayerNorm {
			b = strconv.AppendFloat(append(b, " eps "...), c.Eps, 'g', -1, 64)
		}
		for _, e := range c.Src {
			b = e.appendKey(append(b, ' '), map[*Expr]int{})
		}
	}
	b = k.Expr.appendKey(append(b, "; "...), map[*Expr]int{})
	return string(b)
}

func appendInts(b []byte, xs []int) []byte {
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return append(b, ']')
}

func appendDT(b []byte, dt DType, shape []int) []byte {
	return appendInts(append(b, dt.String()...), shape)
}

func appendView(b []byte, v View) []byte {
	b = appendInts(append(b, '{'), v.Shape)
	b = appendInts(append(b, '/'), v.Strides)
	b = strconv.AppendInt(append(b, '+'), int64(v.Offset), 10)
	if v.Mask != nil {
		b = append(b, " mask"...)
		for _, m := range v.Mask {
			b = appendInts(b, m[:])
		}
	}
	return append(b, '}')
}

// appendKey appends e's description. A computing node met before (a shared node, see Expr)
// is written as ^ and its number among the computing nodes in the order first met, so that
// the key grows with the graph, not with the tree it unfolds to.
func (e *Expr) appendKey(b []byte, seen map[*Expr]int) []byte {
	switch e.Op {
	case OpLoad:
		b = strconv.AppendInt(append(b, "load"...), int64(e.Input), 10)
		return appendView(append(append(b, ':'), e.DType.String()...), e.View)
	case OpConst:
		b = append(append(b, "const:"...), e.DType.String()...)
		b = strconv.AppendFloat(append(b, '('), e.Const.F, 'g', -1, 64)
		b = strconv.AppendInt(append(b, '|'), e.Const.I, 10)
		return appendView(append(b, ')'), e.View)
	case OpCoreValue:
		return append(b, "core"...)
	}
	if i, ok := seen[e]; ok {
		return strconv.AppendInt(append(b, '^'), int64(i), 10)
	}
	seen[e] = len(seen)
	b = append(append(append(b, e.Op.String()...), ':'), e.DType.String()...)
	b = append(b, '(')
	for i, s := range e.Src {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.appendKey(b, seen)
	}
	return append(b, ')')
}

// String describes the kernel for dumps and test failures.
func (k *Kernel) String() string { return k.Key() }

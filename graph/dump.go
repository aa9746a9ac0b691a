package graph

import (
	"fmt"
	"slices"
	"strings"
)

// Topo returns the nodes that roots depend on, each after its sources (realized nodes are
// leaves; nil roots are skipped).
func Topo(roots []*Node) []*Node {
	var out []*Node
	seen := map[*Node]bool{}
	var walk func(n *Node)
	walk = func(n *Node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		for _, s := range n.sources() {
			walk(s)
		}
		out = append(out, n)
	}
	for _, r := range roots {
		walk(r)
	}
	return out
}

// args describes the op-specific arguments of n.
func (n *Node) args() string {
	switch n.Op {
	case OpConst:
		if n.DType.IsFloat() {
			return fmt.Sprint(n.Const.F)
		}
		return fmt.Sprint(n.Const.I)
	case OpPermute:
		return fmt.Sprint("axes=", n.Axes)
	case OpSlice:
		return fmt.Sprint("start=", n.Start, " step=", n.Step)
	case OpPad:
		return fmt.Sprint("pads=", n.Pads)
	case OpFlip:
		return fmt.Sprint("flips=", n.Flips)
	case OpGather:
		return fmt.Sprint("axis=", n.Axes[0])
	case OpCumSum:
		return fmt.Sprint("axis=", n.Axes[0], " exclusive=", n.Exclusive, " reverse=", n.Reverse)
	case OpSoftmax, OpLogSoftmax:
		return fmt.Sprint("axis=", n.Axes[0])
	case OpLayerNorm:
		return fmt.Sprint("axis=", n.Axes[0], " eps=", n.Eps)
	case OpArgMax, OpArgMin:
		return fmt.Sprint("axis=", n.Axes[0])
	}
	if n.Op.IsReduce() {
		return fmt.Sprint("axes=", n.Axes)
	}
	return ""
}

// Dump is a text listing of the graph behind roots, one node a line in dependency order:
//
//	%3 = add float32[2 3] %1 %2
func Dump(roots []*Node) string {
	var b strings.Builder
	for _, n := range Topo(roots) {
		fmt.Fprintf(&b, "%%%d = %v %v%v", n.ID, n.Op, n.DType, n.Shape)
		for _, s := range n.sources() {
			fmt.Fprintf(&b, " %%%d", s.ID)
		}
		if a := n.args(); a != "" {
			fmt.Fprintf(&b, " {%s}", a)
		}
		if n.Realized() != nil {
			b.WriteString(" (realized)")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// DOT renders the graph behind roots in Graphviz's language; with kernels from Schedule, the
// nodes each kernel computes are grouped in a cluster.
func DOT(roots []*Node, kernels []*Kernel) string {
	var b strings.Builder
	b.WriteString("digraph crossbar {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n")
	for _, n := range Topo(roots) {
		label := fmt.Sprintf("%v\\n%v%v", n.Op, n.DType, n.Shape)
		if a := n.args(); a != "" {
			label += "\\n" + strings.ReplaceAll(a, "\"", "'")
		}
		style := ""
		if n.Op.IsLeaf() || n.Realized() != nil {
			style = ", style=filled, fillcolor=lightgrey"
		}
		fmt.Fprintf(&b, "  n%d [label=\"%s\"%s];\n", n.ID, label, style)
		for _, s := range n.sources() {
			fmt.Fprintf(&b, "  n%d -> n%d;\n", s.ID, n.ID)
		}
	}
	for i, k := range kernels {
		fmt.Fprintf(&b, "  subgraph cluster_k%d { label=\"kernel %d\"; n%d; }\n", i, i, k.Out.ID)
	}
	b.WriteString("}\n")
	return b.String()
}

// Verify checks the invariants of every node behind roots (the constructors keep them; a
// graph built by hand may not) and returns the first violation, naming the node.
func Verify(roots []*Node) error {
	if err := nonNil("verify", roots...); err != nil {
		return err
	}
	for _, n := range Topo(roots) {
		if err := n.verify(); err != nil {
			return fmt.Errorf("graph: node %%%d (%v %v%v): %w", n.ID, n.Op, n.DType, n.Shape, err)
		}
	}
	return nil
}

func (n *Node) verify() error {
	if !n.DType.Valid() {
		return fmt.Errorf("%w: invalid dtype", ErrShape)
	}
	for _, d := range n.Shape {
		if d < 0 {
			return fmt.Errorf("%w: negative dimension", ErrShape)
		}
	}
	src := n.sources()
	if n.Realized() != nil {
		return nil
	}
	want := 1
	switch {
	case n.Op.IsLeaf():
		want = 0
	case n.Op.IsBinary(), n.Op == OpContract, n.Op == OpGather:
		want = 2
	case n.Op.IsTernary():
		want = 3
	case n.Op == OpInvalid || n.Op >= OpLoad:
		return fmt.Errorf("%w: op %v is not a graph op", ErrShape, n.Op)
	}
	if len(src) != want {
		return fmt.Errorf("%w: %d sources, want %d", ErrShape, len(src), want)
	}
	var m *Node
	var err error
	switch {
	case n.Op == OpHost:
		if len(n.Host) != n.Numel()*n.DType.Size() {
			return fmt.Errorf("%w: %d bytes of host data", ErrShape, len(n.Host))
		}
		return nil
	case n.Op == OpConst:
		if len(n.Shape) != 0 {
			return fmt.Errorf("%w: constant of rank %d", ErrShape, len(n.Shape))
		}
		return nil
	case n.Op == OpReshape:
		m, err = Reshape(src[0], n.Shape)
	case n.Op == OpPermute:
		m, err = Permute(src[0], n.Axes)
	case n.Op == OpExpand:
		m, err = Expand(src[0], n.Shape)
	case n.Op == OpSlice:
		m, err = Slice(src[0], n.Start, n.Shape, n.Step)
	case n.Op == OpPad:
		m, err = Pad(src[0], n.Pads)
	case n.Op == OpFlip:
		m, err = Flip(src[0], n.Flips)
	case n.Op == OpCast:
		m, err = Cast(src[0], n.DType)
	case n.Op.IsUnary():
		m, err = Unary(n.Op, src[0])
	case n.Op.IsBinary():
		m, err = Binary(n.Op, src[0], src[1])
	case n.Op == OpWhere:
		m, err = Where(src[0], src[1], src[2])
	case n.Op == OpMulAdd:
		m, err = MulAdd(src[0], src[1], src[2])
	case n.Op.IsReduce():
		m, err = Reduce(n.Op, src[0], n.Axes)
	case n.Op == OpContract:
		m, err = Contract(src[0], src[1])
	case n.Op == OpGather:
		if len(n.Axes) != 1 {
			return fmt.Errorf("%w: gather needs one axis", ErrShape)
		}
		m, err = Gather(src[0], n.Axes[0], src[1])
	case n.Op == OpCumSum:
		if len(n.Axes) != 1 {
			return fmt.Errorf("%w: cumsum needs one axis", ErrShape)
		}
		m, err = CumSum(src[0], n.Axes[0], n.Exclusive, n.Reverse)
	case n.Op == OpSoftmax || n.Op == OpLogSoftmax:
		if len(n.Axes) != 1 {
			return fmt.Errorf("%w: %v needs one axis", ErrShape, n.Op)
		}
		m, err = Softmax(src[0], n.Axes[0], n.Op == OpLogSoftmax)
	case n.Op == OpLayerNorm:
		if len(n.Axes) != 1 {
			return fmt.Errorf("%w: layer_norm needs one axis", ErrShape)
		}
		m, err = LayerNorm(src[0], n.Axes[0], n.Eps)
	case n.Op == OpArgMax || n.Op == OpArgMin:
		if len(n.Axes) != 1 {
			return fmt.Errorf("%w: %v needs one axis", ErrShape, n.Op)
		}
		m, err = ArgExtreme(src[0], n.Axes[0], n.Op == OpArgMin)
	}
	if err != nil {
		return err
	}
	if m.DType != n.DType || !slices.Equal(m.Shape, n.Shape) {
		return fmt.Errorf("%w: sources give %v%v", ErrShape, m.DType, m.Shape)
	}
	return nil
}

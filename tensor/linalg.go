package tensor

import (
	"slices"

	"github.com/crossbar-compute/crossbar/graph"
)

// MatMul is numpy.matmul: a 1-D first operand gets a leading 1, a 1-D second operand a
// trailing 1 (both removed from the result), and batch dimensions broadcast.
func (t *Tensor) MatMul(u *Tensor) *Tensor {
	if err := check("MatMul", t, u); err != nil {
		return fail(err)
	}
	if err := sameDType("MatMul", t, u); err != nil {
		return fail(err)
	}
	if u.dev != t.dev {
		u = u.To(t.dev)
	}
	as, bs := t.node.Shape, u.node.Shape
	if len(as) == 0 || len(bs) == 0 {
		return failf("MatMul", "scalar operand in %v @ %v", as, bs)
	}
	a, b := t, u
	if len(as) == 1 {
		a = a.Reshape(1, as[0])
	}
	if len(bs) == 1 {
		b = b.Reshape(bs[0], 1)
	}
	ash, bsh := a.node.Shape, b.node.Shape
	ra, rb := len(ash), len(bsh)
	if ash[ra-1] != bsh[rb-2] {
		return failf("MatMul", "shapes %v and %v do not align", as, bs)
	}
	batch, ok := broadcastShape(ash[:ra-2], bsh[:rb-2])
	if !ok {
		return failf("MatMul", "batch dimensions of %v and %v do not broadcast", as, bs)
	}
	a = a.broadcastTo("MatMul", append(slices.Clone(batch), ash[ra-2:]...))
	b = b.broadcastTo("MatMul", append(slices.Clone(batch), bsh[rb-2:]...))
	if err := check("MatMul", a, b); err != nil {
		return fail(err)
	}
	n, err := graph.Contract(a.node, b.node)
	out := wrap("MatMul", t.dev, n, err)
	if out.err != nil {
		return out
	}
	shape := slices.Clone(out.node.Shape)
	r := len(shape)
	switch {
	case len(as) == 1 && len(bs) == 1:
		shape = shape[:r-2]
	case len(as) == 1:
		shape = append(shape[:r-2], shape[r-1])
	case len(bs) == 1:
		shape = shape[:r-1]
	}
	return out.Reshape(shape...)
}

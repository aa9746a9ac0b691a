package codegen

import (
	"github.com/crossbar-compute/crossbar/graph"
)

// GatherFlag is the layout of the flag buffer of a gather kernel (Program.ErrorFlag): the
// kernel sets word 0 to 1 when an index is out of range and word 1 to that index (its low
// 32 bits).
const GatherFlag = 2

// gather lowers a Gather core: one thread per output element reads its index, wraps a
// negative one once, and reports an index out of range through the flag buffer.
func (b *builder) gather() error {
	c := b.k.Core
	axis := c.Axes[0]
	src, ind := c.Src[0], c.Src[1]
	srcShape, idxShape := src.View.Shape, ind.View.Shape
	size := srcShape[axis]
	n := b.k.Out.Numel()
	b.note("gather along axis %d: %d outputs, workgroups of %d", axis, n, b.o.Local)
	flag := len(b.p.Params)
	b.p.Params = append(b.p.Params, Param{Name: "flag", DType: graph.Int32, Write: true, Len: GatherFlag})
	b.p.ErrorFlag = true

	gid := b.launch1D(n, b.o.Local)
	b.guard(gid, n)
	coords := b.decode(gid, c.Shape, "c")
	ic := coords[axis : axis+len(idxShape)]
	is := ComputeType(b.k.Inputs[ind.Input].DType)
	j := b.load(ind.Input+1, b.k.Inputs[ind.Input].DType, ind.View, &env{shape: idxShape, coords: ic})
	j = b.let("j", Sel(Bin(OLt, j, Zero(is)), Bin(OAdd, j, Int(int64(size), is)), j))
	bad := b.let("bad", Bin(OLOr, Bin(OLt, j, Zero(is)), Bin(OLe, Int(int64(size), is), j)))
	report := b.block(func() {
		// The index as given: j was wrapped if it was negative.
		given := b.let("v", Sel(Bin(OLt, j, Zero(is)), Bin(OSub, j, Int(int64(size), is)), j))
		b.emit(&Store{Param: flag, Index: Int(0, b.idx), Value: Int(1, I32)},
			&Store{Param: flag, Index: Int(1, b.idx), Value: Cast(given, I32)})
	})
	b.emit(&If{Cond: bad, Then: report})
	jc := b.let("jc", Cast(Sel(bad, Zero(is), j), b.idx))
	sc := append(append(append([]*Expr{}, coords[:axis]...), jc), coords[axis+len(idxShape):]...)
	v := b.load(src.Input+1, b.k.Inputs[src.Input].DType, src.View, &env{shape: srcShape, coords: sc})
	return b.epilogue(gid, v)
}

package tensor

import (
	"github.com/crossbar-compute/crossbar/graph"
)

// Gather takes the elements of t at indices along axis (numpy.take): the result's shape is
// t.shape[:axis] + indices.shape + t.shape[axis+1:], so a rank-0 index removes the axis.
// indices must be Int32 or Int64; negative indices count from the end. Indices are data,
// so one outside [-n, n) is reported by Realize (or Data), not by Err.
func (t *Tensor) Gather(axis int, indices *Tensor) *Tensor {
	if err := check("Gather", t, indices); err != nil {
		return fail(err)
	}
	shape := t.node.Shape
	ax, err := normAxis("Gather", axis, len(shape), shape)
	if err != nil {
		return fail(err)
	}
	if dt := indices.node.DType; dt != Int32 && dt != Int64 {
		return failf("Gather", "indices must be int32 or int64, got %v%v for shape %v", dt, indices.node.Shape, shape)
	}
	if indices.dev != t.dev {
		indices = indices.To(t.dev)
	}
	n, err := graph.Gather(t.node, ax, indices.node)
	return wrap("Gather", t.dev, n, err)
}

// ArgMax is the Int64 index of the first maximum along axis, which is removed; a NaN counts
// as the maximum, so the index of the first NaN wins (numpy.argmax). An empty axis is an
// error.
func (t *Tensor) ArgMax(axis int) *Tensor { return t.argExtreme("ArgMax", graph.OpReduceMax, axis) }

// ArgMin is the Int64 index of the first minimum along axis, like ArgMax.
func (t *Tensor) ArgMin(axis int) *Tensor { return t.argExtreme("ArgMin", graph.OpReduceMin, axis) }

// argExtreme finds the extreme m along the axis, marks the positions equal to m (or NaN:
// where m is NaN those are the only candidates, and otherwise there are none), and takes
// the smallest marked index.
func (t *Tensor) argExtreme(op string, red graph.Op, axis int) *Tensor {
	if err := check(op, t); err != nil {
		return fail(err)
	}
	shape := t.node.Shape
	r := len(shape)
	ax, err := normAxis(op, axis, r, shape)
	if err != nil {
		return fail(err)
	}
	n := shape[ax]
	if n == 0 {
		return failf(op, "axis %d of shape %v is empty", axis, shape)
	}
	m := t.reduceKeep(op, red, []int{ax})
	hit := t.Equal(m)
	if t.node.DType.IsFloat() {
		hit = hit.Or(t.NotEqual(t))
	}
	idx := indexVector(op, t.dev, n, r, ax)
	past := constant(op, t.dev, float64(n), Int64, nil)
	first := Where(hit, idx, past)
	if err := check(op, first); err != nil {
		return fail(err)
	}
	return first.reduceKeep(op, graph.OpReduceMin, []int{ax}).dropAxes(op, []int{ax})
}

// CumSum is the cumulative sum along axis (ONNX CumSum): output i is the sum of the inputs
// j <= i, or j < i when exclusive (the first output is then 0); reverse sums from the end
// instead (j >= i, or j > i). Bool counts as Int64, as in NumPy; integers are exact and wrap
// like their type; floats are summed in the device's accumulator and rounded once.
//
// It is computed as a reduction over a triangular mask, which costs O(n²) work per line
// of length n but no memory beyond the result and fuses into a single kernel.
func (t *Tensor) CumSum(axis int, exclusive, reverse bool) *Tensor {
	if err := check("CumSum", t); err != nil {
		return fail(err)
	}
	shape := t.node.Shape
	r := len(shape)
	ax, err := normAxis("CumSum", axis, r, shape)
	if err != nil {
		return fail(err)
	}
	x := t
	if x.node.DType == Bool {
		x = x.Cast(Int64)
	}
	n := shape[ax]
	// Output index i lies along axis ax, summed index j along the new axis ax+1.
	i := indexVector("CumSum", t.dev, n, r+1, ax)
	j := indexVector("CumSum", t.dev, n, r+1, ax+1)
	var keep *Tensor
	switch {
	case !reverse && !exclusive:
		keep = j.LessEqual(i)
	case !reverse:
		keep = j.Less(i)
	case !exclusive:
		keep = j.GreaterEqual(i)
	default:
		keep = j.Greater(i)
	}
	terms := Where(keep, x.Unsqueeze(ax), constant("CumSum", t.dev, 0, x.node.DType, nil))
	if err := check("CumSum", terms); err != nil {
		return fail(err)
	}
	return terms.reduceKeep("CumSum", graph.OpSum, []int{ax + 1}).dropAxes("CumSum", []int{ax + 1})
}

// Triu keeps the elements on and above the k-th diagonal of the last two axes and zeroes
// the rest (numpy.triu): element (i, j) is kept where j - i >= k. The rank must be at least 2.
func (t *Tensor) Triu(k int) *Tensor { return t.triangle("Triu", k, true) }

// Tril keeps the elements on and below the k-th diagonal (j - i <= k), like numpy.tril.
func (t *Tensor) Tril(k int) *Tensor { return t.triangle("Tril", k, false) }

func (t *Tensor) triangle(op string, k int, upper bool) *Tensor {
	if err := check(op, t); err != nil {
		return fail(err)
	}
	shape := t.node.Shape
	r := len(shape)
	if r < 2 {
		return failf(op, "shape %v has rank below 2", shape)
	}
	rows := indexVector(op, t.dev, shape[r-2], 2, 0)
	cols := indexVector(op, t.dev, shape[r-1], 2, 1)
	diag := cols.Sub(rows)
	// j - i lies in [-rows, cols], so clamping k there keeps the mask and the constant exact.
	k = min(max(k, -shape[r-2]-1), shape[r-1]+1)
	kk := constant(op, t.dev, float64(k), Int64, nil)
	var keep *Tensor
	if upper {
		keep = diag.GreaterEqual(kk)
	} else {
		keep = diag.LessEqual(kk)
	}
	return Where(keep, t, constant(op, t.dev, 0, t.node.DType, nil))
}

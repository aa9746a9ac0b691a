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
// like their type. Float16 and BFloat16 are summed in Float32 and rounded once; Float32 and
// Float64 are summed in their own type as a tree of depth log4(n) (as in pairwise summation,
// the rounding error grows with log n, not with n).
//
// An axis longer than cumSumDirect is scanned in log4(n) passes, pass k adding to every
// element the partial sums 4^k, 2·4^k and 3·4^k places before it (Hillis and Steele's scan,
// four ways): O(n log n) work, each pass one elementwise kernel. A short axis is one kernel
// that reduces over a triangular mask.
func (t *Tensor) CumSum(axis int, exclusive, reverse bool) *Tensor {
	if err := check("CumSum", t); err != nil {
		return fail(err)
	}
	shape := t.node.Shape
	ax, err := normAxis("CumSum", axis, len(shape), shape)
	if err != nil {
		return fail(err)
	}
	switch dt := t.node.DType; dt {
	case Bool:
		return cumSum(t.Cast(Int64), ax, exclusive, reverse)
	case Float16, BFloat16:
		return cumSum(t.Cast(Float32), ax, exclusive, reverse).Cast(dt)
	}
	return cumSum(t, ax, exclusive, reverse)
}

// cumSumDirect is the longest axis CumSum sums over a triangular mask in one kernel: up to it,
// the n terms an element are cheaper than log2(n) passes over memory.
const cumSumDirect = 4

func cumSum(x *Tensor, ax int, exclusive, reverse bool) *Tensor {
	if err := check("CumSum", x); err != nil {
		return fail(err)
	}
	n := x.node.Shape[ax]
	if n <= cumSumDirect {
		return maskedCumSum(x, ax, exclusive, reverse)
	}
	y := x
	if exclusive {
		y = shifted(x, ax, 1, reverse)
	}
	for d := 1; d < n; d *= cumSumRadix {
		sum := y
		for j := 1; j < cumSumRadix && j*d < n; j++ {
			sum = sum.Add(shifted(y, ax, j*d, reverse))
		}
		y = sum
	}
	return y
}

// cumSumRadix is the number of partial sums each pass of CumSum adds: four halves the passes
// over memory of a scan by twos for three additions instead of one (4096 x 4096 float32
// along rows: 198 ms by twos, 139 ms by fours, 159 ms by eights).
const cumSumRadix = 4

// shifted moves t by d places along axis ax, toward the end (or toward the start when
// reverse), with zeros coming in: a padded view, so a scan pass reads its input twice and
// writes once.
func shifted(t *Tensor, ax, d int, reverse bool) *Tensor {
	shape := t.node.Shape
	pads := make([][2]int, len(shape))
	start := 0
	if reverse {
		pads[ax][1], start = d, d
	} else {
		pads[ax][0] = d
	}
	return t.padZeros("CumSum", pads).Slice(ax, start, start+shape[ax], 1)
}

// maskedCumSum sums, for each output i along ax, the inputs j a triangular mask keeps: O(n²)
// work per line of length n, in one kernel and no memory beyond the result.
func maskedCumSum(x *Tensor, ax int, exclusive, reverse bool) *Tensor {
	r := len(x.node.Shape)
	n := x.node.Shape[ax]
	// Output index i lies along axis ax, summed index j along the new axis ax+1.
	i := indexVector("CumSum", x.dev, n, r+1, ax)
	j := indexVector("CumSum", x.dev, n, r+1, ax+1)
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
	terms := Where(keep, x.Unsqueeze(ax), constant("CumSum", x.dev, 0, x.node.DType, nil))
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

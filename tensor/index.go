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

// argExtreme is one kernel on a device that computes the index of an extreme
// (backend.Capabilities.ArgMax), which reads each line once. Elsewhere it finds the
// extreme m along the axis, marks the positions equal to m (or NaN: where m is NaN those are
// the only candidates, and otherwise there are none), and takes the smallest marked index.
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
	if t.dev.Capabilities().ArgMax {
		node, err := graph.ArgExtreme(t.node, ax, red == graph.OpReduceMin)
		return wrap(op, t.dev, node, err).dropAxes(op, []int{ax})
	}
	m := t.reduceKeep(op, red, []int{ax})
	hit := t.Equal(m)
	if t.node.DType.IsFloat() {
		hit = hit.Or(t.NotEqual(t))
	}
	// Up to 2²⁴ the indices and n are exact in Float32, whose select and minimum run on the
	// vector kernels of devices that compute Int64 element by element.
	idt := Int64
	if n <= 1<<24 {
		idt = Float32
	}
	idx := indexVector(op, t.dev, n, r, ax, idt)
	past := constant(op, t.dev, float64(n), idt, nil)
	first := Where(hit, idx, past)
	if err := check(op, first); err != nil {
		return fail(err)
	}
	return first.reduceKeep(op, graph.OpReduceMin, []int{ax}).dropAxes(op, []int{ax}).Cast(Int64)
}

// CumSum is the cumulative sum along axis (ONNX CumSum): output i is the sum of the inputs
// j <= i, or j < i when exclusive (the first output is then 0); reverse sums from the end
// instead (j >= i, or j > i). Bool counts as Int64, as in NumPy; integers are exact and wrap
// like their type. Float16 and BFloat16 are summed in Float32 and rounded once.
//
// On a device that computes running sums (backend.Capabilities.CumSum: the CPU), CumSum is
// one kernel, one pass over memory: Float32 summed in float64 and each result rounded once,
// Float64 with a compensated sum, so that the rounding error does not grow with the place
// along the axis. Elsewhere the axis is scanned in log4(n) passes, pass k adding to every
// element the partial sums 4^k, 2·4^k and 3·4^k places before it (Hillis and Steele's scan,
// four ways): O(n log n) work, each pass one elementwise kernel, the sums in the dtype as a
// tree of depth log4(n) (as in pairwise summation, the error grows with log n, not with n).
func (t *Tensor) CumSum(axis int, exclusive, reverse bool) *Tensor {
	if err := check("CumSum", t); err != nil {
		return fail(err)
	}
	shape := t.node.Shape
	ax, err := normAxis("CumSum", axis, len(shape), shape)
	if err != nil {
		return fail(err)
	}
	if t.node.DType == Bool {
		return cumSum(t.Cast(Int64), ax, exclusive, reverse)
	}
	x, narrow := widened(t)
	return narrow(cumSum(x, ax, exclusive, reverse))
}

func cumSum(x *Tensor, ax int, exclusive, reverse bool) *Tensor {
	if err := check("CumSum", x); err != nil {
		return fail(err)
	}
	if x.dev.Capabilities().CumSum {
		n, err := graph.CumSum(x.node, ax, exclusive, reverse)
		return wrap("CumSum", x.dev, n, err)
	}
	n := x.node.Shape[ax]
	y := x
	if exclusive {
		y = shifted(x, ax, 1, reverse)
	}
	for d := 1; d < n; d *= cumSumRadix {
		if d > 1 {
			y.transient() // the last pass's sum, which only this pass reads
		}
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
	if t.err != nil {
		return t // a shifted view of more than graph.MaxElements elements, in an earlier pass
	}
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
	// Below 2²³ the indices, their differences and the clamped k are exact in Float32, which
	// devices compute fastest (the CPU on its vector kernels).
	idt := Int64
	if max(shape[r-2], shape[r-1]) < 1<<23 {
		idt = Float32
	}
	rows := indexVector(op, t.dev, shape[r-2], 2, 0, idt)
	cols := indexVector(op, t.dev, shape[r-1], 2, 1, idt)
	diag := cols.Sub(rows)
	// j - i lies in [-rows, cols], so clamping k there keeps the mask and the constant exact.
	k = min(max(k, -shape[r-2]-1), shape[r-1]+1)
	kk := constant(op, t.dev, float64(k), idt, nil)
	var keep *Tensor
	if upper {
		keep = diag.GreaterEqual(kk)
	} else {
		keep = diag.LessEqual(kk)
	}
	return Where(keep, t, constant(op, t.dev, 0, t.node.DType, nil))
}

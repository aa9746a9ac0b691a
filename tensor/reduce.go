package tensor

import (
	"fmt"
	"slices"

	"github.com/crossbar-compute/crossbar/graph"
)

// normAxis maps a possibly negative axis into [0, rank).
func normAxis(op string, axis, rank int, shape []int) (int, error) {
	if axis < -rank || axis >= rank {
		return 0, fmt.Errorf("%s: %w: axis %d out of range for shape %v", op, ErrInvalid, axis, shape)
	}
	if axis < 0 {
		axis += rank
	}
	return axis, nil
}

// normAxes normalizes axes (no axes: all of them), rejecting repeats.
func normAxes(op string, axes []int, shape []int) ([]int, error) {
	r := len(shape)
	if len(axes) == 0 {
		out := make([]int, r)
		for i := range out {
			out[i] = i
		}
		return out, nil
	}
	out := make([]int, 0, len(axes))
	for _, a := range axes {
		n, err := normAxis(op, a, r, shape)
		if err != nil {
			return nil, err
		}
		if slices.Contains(out, n) {
			return nil, fmt.Errorf("%s: %w: repeated axis %d in %v for shape %v", op, ErrInvalid, a, axes, shape)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// reduceKeep reduces over normalized axes, keeping them with size 1.
func (t *Tensor) reduceKeep(op string, gop graph.Op, axes []int) *Tensor {
	if err := check(op, t); err != nil {
		return fail(err)
	}
	n, err := graph.Reduce(gop, t.node, axes)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", op, err))
	}
	return &Tensor{node: n, dev: t.dev}
}

// dropAxes reshapes away the (size-1) axes.
func (t *Tensor) dropAxes(op string, axes []int) *Tensor {
	if t.err != nil {
		return t
	}
	var shape []int
	for i, d := range t.node.Shape {
		if !slices.Contains(axes, i) {
			shape = append(shape, d)
		}
	}
	n, err := graph.Reshape(t.node, shape)
	return wrap(op, t.dev, n, err)
}

func (t *Tensor) reduce(op string, gop graph.Op, axes []int) *Tensor {
	if err := check(op, t); err != nil {
		return fail(err)
	}
	ax, err := normAxes(op, axes, t.node.Shape)
	if err != nil {
		return fail(err)
	}
	x := t
	if dt := x.node.DType; (gop == graph.OpSum || gop == graph.OpProd) && (dt == Bool || dt == Uint8 || dt == Int32) {
		// NumPy accumulates small integers (and counts Bools) in the platform integer.
		x = x.Cast(Int64)
	}
	return x.reduceKeep(op, gop, ax).dropAxes(op, ax)
}

// Sum adds over axes (none: all); reduced axes are removed. Bool, Uint8 and Int32 sums are
// Int64, as NumPy's on 64-bit platforms.
func (t *Tensor) Sum(axes ...int) *Tensor { return t.reduce("Sum", graph.OpSum, axes) }

// Prod multiplies over axes; Bool, Uint8 and Int32 products are Int64, like Sum's.
func (t *Tensor) Prod(axes ...int) *Tensor { return t.reduce("Prod", graph.OpProd, axes) }

// Max is the maximum over axes; NaN propagates; an empty axis is an error.
func (t *Tensor) Max(axes ...int) *Tensor { return t.reduce("Max", graph.OpReduceMax, axes) }

// Min is the minimum over axes.
func (t *Tensor) Min(axes ...int) *Tensor { return t.reduce("Min", graph.OpReduceMin, axes) }

// Mean averages over axes; integer and Bool inputs give Float64, as in NumPy.
func (t *Tensor) Mean(axes ...int) *Tensor {
	if err := check("Mean", t); err != nil {
		return fail(err)
	}
	ax, err := normAxes("Mean", axes, t.node.Shape)
	if err != nil {
		return fail(err)
	}
	x := t
	if !x.node.DType.IsFloat() {
		x = x.Cast(Float64)
	}
	count := 1
	for _, a := range ax {
		count *= t.node.Shape[a]
	}
	s := x.reduceKeep("Mean", graph.OpSum, ax).dropAxes("Mean", ax)
	if s.err != nil {
		return s
	}
	return s.Div(s.scalarLike(float64(count)))
}

// maxKeep is the maximum over one normalized axis, kept, with infinities replaced by 0 so
// that x - max is never Inf - Inf.
func (t *Tensor) stableMax(op string, ax []int) *Tensor {
	m := t.reduceKeep(op, graph.OpReduceMax, ax)
	if m.err != nil {
		return m
	}
	inf := m.Abs().Equal(m.scalarLike(1).Div(m.scalarLike(0)))
	return Where(inf, m.scalarLike(0), m)
}

// LogSumExp is log(sum(exp(t))) over axes, computed stably.
func (t *Tensor) LogSumExp(axes ...int) *Tensor {
	if err := t.needFloat("LogSumExp"); err != nil {
		return fail(err)
	}
	ax, err := normAxes("LogSumExp", axes, t.node.Shape)
	if err != nil {
		return fail(err)
	}
	if slices.ContainsFunc(ax, func(a int) bool { return t.node.Shape[a] == 0 }) {
		s := t.reduceKeep("LogSumExp", graph.OpSum, ax).dropAxes("LogSumExp", ax)
		return s.Log()
	}
	m := t.stableMax("LogSumExp", ax)
	s := t.Sub(m).Exp().reduceKeep("LogSumExp", graph.OpSum, ax).Log().Add(m)
	return s.dropAxes("LogSumExp", ax)
}

// Softmax is exp(t) / sum(exp(t)) along axis, computed stably: exp(t - m) / sum(exp(t - m)),
// m the maximum along axis (0 where that is ±Inf).
//
// On a device that computes softmaxes (backend.Capabilities.Softmax: the CPU, CUDA and GL
// devices), Softmax and LogSoftmax are one kernel: a line's maximum, its exponentials and
// their sum, and the quotients computed one after another while the line is in cache (on a
// GPU, by one workgroup per line); Float16 and BFloat16 are computed in Float32 and rounded
// once. Elsewhere (PJRT, whose compiler fuses on its own) they are three: the maximum, the
// sum of the exponentials, and the quotients (or differences), each exponential computed in
// the two kernels that read it rather than written out and read back.
func (t *Tensor) Softmax(axis int) *Tensor {
	if err := t.needFloat("Softmax"); err != nil {
		return fail(err)
	}
	a, err := normAxis("Softmax", axis, len(t.node.Shape), t.node.Shape)
	if err != nil {
		return fail(err)
	}
	if t.node.Shape[a] == 0 {
		return t
	}
	if t.dev.Capabilities().Softmax {
		n, err := graph.Softmax(t.node, a, false)
		return wrap("Softmax", t.dev, n, err)
	}
	// exp(t - max) is built twice, for the sum and for the quotient, so that each kernel
	// computes it from t: three passes over t (max, sum, quotient) rather than the exponentials
	// written out and read twice.
	m := t.stableMax("Softmax", []int{a})
	return t.Sub(m).Exp().Div(t.Sub(m).Exp().reduceKeep("Softmax", graph.OpSum, []int{a}))
}

// LogSoftmax is log(softmax(t)) along axis, computed stably: (t - m) - log(sum(exp(t -
// m))), m as in Softmax, one kernel where Softmax is.
func (t *Tensor) LogSoftmax(axis int) *Tensor {
	if err := t.needFloat("LogSoftmax"); err != nil {
		return fail(err)
	}
	a, err := normAxis("LogSoftmax", axis, len(t.node.Shape), t.node.Shape)
	if err != nil {
		return fail(err)
	}
	if t.node.Shape[a] == 0 {
		return t
	}
	if t.dev.Capabilities().Softmax {
		n, err := graph.Softmax(t.node, a, true)
		return wrap("LogSoftmax", t.dev, n, err)
	}
	// t - max is built twice so that the sum and the result each compute it from t (see
	// Softmax).
	m := t.stableMax("LogSoftmax", []int{a})
	return t.Sub(m).Sub(t.Sub(m).Exp().reduceKeep("LogSoftmax", graph.OpSum, []int{a}).Log())
}

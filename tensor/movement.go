package tensor

import (
	"slices"

	"github.com/crossbar-compute/crossbar/graph"
)

// Reshape gives t a new shape with the same number of elements; one dimension may be -1.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	if err := check("Reshape", t); err != nil {
		return fail(err)
	}
	out := slices.Clone(shape)
	infer, known := -1, 1
	for i, d := range out {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			return failf("Reshape", "bad shape %v for %v", shape, t.node.Shape)
		default:
			known *= d
		}
	}
	n := t.node.Numel()
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			return failf("Reshape", "cannot reshape %v to %v", t.node.Shape, shape)
		}
		out[infer] = n / known
	}
	if graph.NumElements(out) != n {
		return failf("Reshape", "cannot reshape %v (%d elements) to %v", t.node.Shape, n, shape)
	}
	r, err := graph.Reshape(t.node, out)
	return wrap("Reshape", t.dev, r, err)
}

// Permute reorders the axes (negative axes count from the end).
func (t *Tensor) Permute(axes ...int) *Tensor {
	if err := check("Permute", t); err != nil {
		return fail(err)
	}
	r := len(t.node.Shape)
	if len(axes) != r {
		return failf("Permute", "axes %v for shape %v", axes, t.node.Shape)
	}
	perm := make([]int, r)
	for i, a := range axes {
		n, err := normAxis("Permute", a, r, t.node.Shape)
		if err != nil {
			return fail(err)
		}
		perm[i] = n
	}
	p, err := graph.Permute(t.node, perm)
	return wrap("Permute", t.dev, p, err)
}

// Transpose reverses the axes, like NumPy's .T.
func (t *Tensor) Transpose() *Tensor {
	if err := check("Transpose", t); err != nil {
		return fail(err)
	}
	r := len(t.node.Shape)
	axes := make([]int, r)
	for i := range axes {
		axes[i] = r - 1 - i
	}
	return t.Permute(axes...)
}

// Expand broadcasts t to shape (numpy.broadcast_to).
func (t *Tensor) Expand(shape ...int) *Tensor {
	if err := check("Expand", t); err != nil {
		return fail(err)
	}
	if err := shapeOK("Expand", shape); err != nil {
		return fail(err)
	}
	if s, ok := broadcastShape(t.node.Shape, shape); !ok || !slices.Equal(s, shape) {
		return failf("Expand", "cannot broadcast %v to %v", t.node.Shape, shape)
	}
	return t.broadcastTo("Expand", shape)
}

// Squeeze removes the given axes, which must have size 1; no axes removes every size-1 axis.
func (t *Tensor) Squeeze(axes ...int) *Tensor {
	if err := check("Squeeze", t); err != nil {
		return fail(err)
	}
	var drop []int
	if len(axes) == 0 {
		for i, d := range t.node.Shape {
			if d == 1 {
				drop = append(drop, i)
			}
		}
	} else {
		ax, err := normAxes("Squeeze", axes, t.node.Shape)
		if err != nil {
			return fail(err)
		}
		for _, a := range ax {
			if t.node.Shape[a] != 1 {
				return failf("Squeeze", "axis %d of shape %v is not 1", a, t.node.Shape)
			}
		}
		drop = ax
	}
	return t.dropAxes("Squeeze", drop)
}

// Unsqueeze inserts axes of size 1; the axes index the output.
func (t *Tensor) Unsqueeze(axes ...int) *Tensor {
	if err := check("Unsqueeze", t); err != nil {
		return fail(err)
	}
	r := len(t.node.Shape) + len(axes)
	out := make([]int, r)
	for i := range out {
		out[i] = -1
	}
	for _, a := range axes {
		n, err := normAxis("Unsqueeze", a, r, t.node.Shape)
		if err != nil {
			return fail(err)
		}
		if out[n] == 1 {
			return failf("Unsqueeze", "repeated axis %d in %v", a, axes)
		}
		out[n] = 1
	}
	j := 0
	for i := range out {
		if out[i] == -1 {
			out[i] = t.node.Shape[j]
			j++
		}
	}
	n, err := graph.Reshape(t.node, out)
	return wrap("Unsqueeze", t.dev, n, err)
}

// Flatten reshapes to 2-D: (prod(dims[:axis]), prod(dims[axis:])); axis may be rank.
func (t *Tensor) Flatten(axis int) *Tensor {
	if err := check("Flatten", t); err != nil {
		return fail(err)
	}
	r := len(t.node.Shape)
	if axis < -r || axis > r {
		return failf("Flatten", "axis %d out of range for shape %v", axis, t.node.Shape)
	}
	if axis < 0 {
		axis += r
	}
	n, err := graph.Reshape(t.node, []int{graph.NumElements(t.node.Shape[:axis]), graph.NumElements(t.node.Shape[axis:])})
	return wrap("Flatten", t.dev, n, err)
}

// sliceIndices is Python's slice.indices: clamped start and the element count.
func sliceIndices(start, stop, step, n int) (first, count int) {
	clamp := func(i, lo, hi int) int {
		if i < 0 {
			i += n
			if i < lo {
				i = lo
			}
		} else if i > hi {
			i = hi
		}
		return i
	}
	if step > 0 {
		start, stop = clamp(start, 0, n), clamp(stop, 0, n)
		if stop > start {
			count = (stop - start + step - 1) / step
		}
	} else {
		start, stop = clamp(start, -1, n-1), clamp(stop, -1, n-1)
		if start > stop {
			count = (start - stop - step - 1) / -step
		}
	}
	return start, count
}

// Slice keeps start:stop:step of one axis, with Python's semantics: negative indices count
// from the end, out-of-range bounds are clamped, a negative step walks backward.
func (t *Tensor) Slice(axis, start, stop, step int) *Tensor {
	if err := check("Slice", t); err != nil {
		return fail(err)
	}
	r := len(t.node.Shape)
	a, err := normAxis("Slice", axis, r, t.node.Shape)
	if err != nil {
		return fail(err)
	}
	if step == 0 {
		return failf("Slice", "step 0 on axis %d of shape %v", axis, t.node.Shape)
	}
	dim := t.node.Shape[a]
	first, count := sliceIndices(start, stop, step, dim)
	x := t.node
	if step < 0 {
		flips := make([]bool, r)
		flips[a] = true
		if x, err = graph.Flip(x, flips); err != nil {
			return fail(err)
		}
		first, step = dim-1-first, -step
	}
	st, cnt, sp := make([]int, r), slices.Clone(x.Shape), slices.Repeat([]int{1}, r)
	if count == 0 {
		first = 0
	}
	st[a], cnt[a], sp[a] = first, count, step
	n, err := graph.Slice(x, st, cnt, sp)
	return wrap("Slice", t.dev, n, err)
}

// Flip reverses the given axes (none: all axes).
func (t *Tensor) Flip(axes ...int) *Tensor {
	if err := check("Flip", t); err != nil {
		return fail(err)
	}
	ax, err := normAxes("Flip", axes, t.node.Shape)
	if err != nil {
		return fail(err)
	}
	flips := make([]bool, len(t.node.Shape))
	for _, a := range ax {
		flips[a] = true
	}
	n, err := graph.Flip(t.node, flips)
	return wrap("Flip", t.dev, n, err)
}

package tensor

import (
	"math"
	"slices"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
)

// PadMode selects how Pad fills the new elements.
type PadMode int

// The padding modes.
const (
	PadConstant PadMode = iota // the given value
	PadReflect                 // mirrored, without repeating the edge (numpy "reflect")
	PadEdge                    // the edge value repeated
)

// constant is the scalar v as dtype dt broadcast to shape on dev. It has no buffer: kernels
// read it through its view.
func constant(op string, dev backend.Device, v float64, dt DType, shape []int) *Tensor {
	c, err := graph.Const(graph.ScalarOf(v, dt), dt)
	if err != nil {
		return fail(err)
	}
	return (&Tensor{node: c, dev: dev}).broadcastTo(op, shape)
}

// transient marks t's node as an intermediate of an operation that only the operation's
// later nodes read (graph.Node.SetTransient): its buffer is released as soon as the
// realization is done with it.
func (t *Tensor) transient() {
	if t.err == nil && t.node != nil {
		t.node.SetTransient()
	}
}

// indexVector is the vector 0, 1, ..., n-1 of dtype dt on dev, shaped to lie along axis of a
// tensor of the given rank (all other dimensions 1). Index vectors depend only on shapes, so they are
// made like Arange, from host data uploaded once.
func indexVector(op string, dev backend.Device, n, rank, axis int, dt DType) *Tensor {
	a := Arange(0, float64(n), 1, dt)
	if a.err != nil {
		return a
	}
	a.dev = dev
	shape := slices.Repeat([]int{1}, rank)
	shape[axis] = n
	n2, err := graph.Reshape(a.node, shape)
	return wrap(op, dev, n2, err)
}

// padZeros pads t with zeros (false for Bool) through the graph's Pad view.
func (t *Tensor) padZeros(op string, pads [][2]int) *Tensor {
	if t.err != nil {
		return t
	}
	n, err := graph.Pad(t.node, pads)
	return wrap(op, t.dev, n, err)
}

// Pad adds pads[k][0] elements before and pads[k][1] after axis k (numpy.pad). PadConstant
// fills with value converted to t's dtype (integers truncate, Bool is value != 0);
// PadReflect mirrors about the edge elements without repeating them, and reflects again
// when a pad is longer than the axis, as numpy's "reflect"; PadEdge repeats the edge
// elements. Reflect and edge padding of an empty axis are errors, as in NumPy.
func (t *Tensor) Pad(pads [][2]int, mode PadMode, value float64) *Tensor {
	if err := check("Pad", t); err != nil {
		return fail(err)
	}
	shape := t.node.Shape
	if len(pads) != len(shape) {
		return failf("Pad", "%d pad pairs %v for shape %v", len(pads), pads, shape)
	}
	if mode != PadConstant && mode != PadReflect && mode != PadEdge {
		return failf("Pad", "unknown mode %d for shape %v", mode, shape)
	}
	out := slices.Clone(shape)
	identity := true
	for k, p := range pads {
		if p[0] < 0 || p[1] < 0 || p[0] > graph.MaxElements || p[1] > graph.MaxElements {
			return failf("Pad", "bad pads %v for shape %v", pads, shape)
		}
		if p != [2]int{} {
			identity = false
			if mode != PadConstant && shape[k] == 0 {
				return failf("Pad", "cannot pad empty axis %d of shape %v in %s mode", k, shape, padModeName(mode))
			}
		}
		out[k] += p[0] + p[1]
	}
	if !graph.NumElementsFit(out) {
		return failf("Pad", "pads %v make shape %v too large", pads, shape)
	}
	if identity {
		return t
	}
	if mode == PadConstant {
		return t.padConstant(pads, value, out)
	}
	x := t
	for k, p := range pads {
		if p != [2]int{} {
			x = x.padAxis(k, p, mode)
		}
	}
	return x
}

func padModeName(m PadMode) string {
	switch m {
	case PadConstant:
		return "constant"
	case PadReflect:
		return "reflect"
	case PadEdge:
		return "edge"
	}
	return "unknown"
}

// padConstant pads with value: zero padding is a view; any other value is selected with a
// padded mask.
func (t *Tensor) padConstant(pads [][2]int, value float64, out []int) *Tensor {
	dt := t.node.DType
	s := graph.ScalarOf(value, dt)
	zero := s.I == 0
	if dt.IsFloat() {
		zero = value == 0 && !math.Signbit(value)
	}
	px := t.padZeros("Pad", pads)
	if zero {
		return px
	}
	mask := constant("Pad", t.dev, 1, Bool, t.node.Shape).padZeros("Pad", pads)
	return Where(mask, px, constant("Pad", t.dev, value, dt, out))
}

// padAxis pads one non-empty axis in reflect or edge mode from slices of t.
func (t *Tensor) padAxis(axis int, p [2]int, mode PadMode) *Tensor {
	n := t.node.Shape[axis]
	before, after := p[0], p[1]
	if mode == PadEdge || n == 1 {
		// A single element reflects onto itself, like the edge.
		var parts []*Tensor
		if before > 0 {
			parts = append(parts, t.Slice(axis, 0, 1, 1).expandAxis(axis, before))
		}
		parts = append(parts, t)
		if after > 0 {
			parts = append(parts, t.Slice(axis, n-1, n, 1).expandAxis(axis, after))
		}
		return Concat(axis, parts...)
	}
	if before <= n-1 && after <= n-1 {
		return Concat(axis, t.Slice(axis, 1, before+1, 1).Flip(axis), t,
			t.Slice(axis, n-1-after, n-1, 1).Flip(axis))
	}
	// Longer pads: the padded axis is periodic with period 2(n-1), one period being
	// x[0], ..., x[n-1], x[n-2], ..., x[1]. Repeat the period and cut out the window.
	period := 2 * (n - 1)
	one := Concat(axis, t, t.Slice(axis, 1, n-1, 1).Flip(axis))
	start := ((-before)%period + period) % period
	total := n + before + after
	reps := slices.Repeat([]int{1}, len(t.node.Shape))
	reps[axis] = (start + total + period - 1) / period
	return one.Tile(reps...).Slice(axis, start, start+total, 1)
}

// expandAxis broadcasts the size-1 axis of t to size n.
func (t *Tensor) expandAxis(axis, n int) *Tensor {
	if t.err != nil {
		return t
	}
	shape := slices.Clone(t.node.Shape)
	shape[axis] = n
	e, err := graph.Expand(t.node, shape)
	return wrap("Expand", t.dev, e, err)
}

// Tile repeats t reps[k] times along axis k (numpy.tile): when reps is longer than the rank,
// t gets leading axes of size 1; when it is shorter, it is padded with leading 1s.
// Negative repetitions are errors.
func (t *Tensor) Tile(reps ...int) *Tensor {
	if err := check("Tile", t); err != nil {
		return fail(err)
	}
	shape := t.node.Shape
	for _, r := range reps {
		if r < 0 {
			return failf("Tile", "negative repetition in %v for shape %v", reps, shape)
		}
	}
	d := max(len(reps), len(shape))
	src := slices.Repeat([]int{1}, d)
	copy(src[d-len(shape):], shape)
	rp := slices.Repeat([]int{1}, d)
	copy(rp[d-len(reps):], reps)
	var inter, expanded, out []int
	for k := range d {
		inter = append(inter, 1, src[k])
		expanded = append(expanded, rp[k], src[k])
		out = append(out, rp[k]*src[k])
	}
	if !graph.NumElementsFit(expanded) {
		return failf("Tile", "repetitions %v make shape %v too large", reps, shape)
	}
	if slices.Equal(src, out) {
		return t.Reshape(out...)
	}
	// Interleave a unit axis before each axis, broadcast it to the repetition count, and
	// merge the pairs. The merge is not a view of the broadcast, so the scheduler copies
	// the repeated data once.
	return t.Reshape(inter...).Expand(expanded...).Reshape(out...)
}

// Concat joins tensors of one dtype and rank (at least 1) along axis; all other dimensions
// must be equal. It runs on the device of ts[0] and moves the others there. Each piece is
// padded to the full length of the axis and selected where it lies, so the whole join is
// one fused kernel that copies every value exactly (-0.0 and NaN included).
func Concat(axis int, ts ...*Tensor) *Tensor {
	if len(ts) == 0 {
		return failf("Concat", "no tensors")
	}
	if err := check("Concat", ts...); err != nil {
		return fail(err)
	}
	first := ts[0]
	shape := first.node.Shape
	r := len(shape)
	if r == 0 {
		return failf("Concat", "rank-0 tensors cannot be concatenated (shapes %v)", shapesOf(ts))
	}
	ax, err := normAxis("Concat", axis, r, shape)
	if err != nil {
		return fail(err)
	}
	out := slices.Clone(shape)
	out[ax] = 0
	for _, u := range ts {
		if u.node.DType != first.node.DType {
			return failf("Concat", "dtypes %v and %v differ (shapes %v)", first.node.DType, u.node.DType, shapesOf(ts))
		}
		if len(u.node.Shape) != r {
			return failf("Concat", "ranks differ (shapes %v)", shapesOf(ts))
		}
		for k, d := range u.node.Shape {
			if k != ax && d != shape[k] {
				return failf("Concat", "shapes %v differ outside axis %d", shapesOf(ts), axis)
			}
		}
		if u.node.Shape[ax] > graph.MaxElements {
			return failf("Concat", "shapes %v too large", shapesOf(ts))
		}
		out[ax] += u.node.Shape[ax]
	}
	if !graph.NumElementsFit(out) {
		return failf("Concat", "shapes %v too large", shapesOf(ts))
	}
	if len(ts) == 1 {
		return first
	}
	dev := first.dev
	type piece struct {
		t      *Tensor
		offset int
	}
	var parts []piece
	off := 0
	for _, u := range ts {
		if n := u.node.Shape[ax]; n > 0 {
			if u.dev != dev {
				u = u.To(dev)
			}
			parts = append(parts, piece{u, off})
			off += n
		}
	}
	switch len(parts) {
	case 0:
		return first
	case 1:
		if parts[0].t.node.Shape[ax] == out[ax] {
			return parts[0].t
		}
	}
	pads := func(p piece) [][2]int {
		pp := make([][2]int, r)
		pp[ax] = [2]int{p.offset, out[ax] - p.offset - p.t.node.Shape[ax]}
		return pp
	}
	last := parts[len(parts)-1]
	y := last.t.padZeros("Concat", pads(last))
	for i := len(parts) - 2; i >= 0; i-- {
		p := parts[i]
		mask := constant("Concat", dev, 1, Bool, p.t.node.Shape).padZeros("Concat", pads(p))
		y = Where(mask, p.t.padZeros("Concat", pads(p)), y)
	}
	return y
}

// maxPieces bounds the number of pieces Split makes without sizes.
const maxPieces = 1 << 16

// Split cuts t along axis into consecutive pieces of the given sizes, which must be
// non-negative and sum to the length of the axis. With no sizes, every element along the
// axis becomes a piece of size 1 (so an empty axis gives no pieces; more than 65536 pieces
// are an error). The pieces are views.
// On bad arguments the result holds one tensor, which carries the error.
func (t *Tensor) Split(axis int, sizes ...int) []*Tensor {
	bad := func(e error) []*Tensor { return []*Tensor{fail(e)} }
	if err := check("Split", t); err != nil {
		return bad(err)
	}
	shape := t.node.Shape
	ax, err := normAxis("Split", axis, len(shape), shape)
	if err != nil {
		return bad(err)
	}
	n := shape[ax]
	if len(sizes) == 0 {
		if n > maxPieces {
			return bad(failf("Split", "%d pieces of axis %d of shape %v are too many", n, axis, shape).err)
		}
		sizes = slices.Repeat([]int{1}, n)
	}
	total := 0
	for _, s := range sizes {
		if s < 0 || s > n {
			return bad(failf("Split", "bad size in %v for axis %d of shape %v", sizes, axis, shape).err)
		}
		total += s
	}
	if total != n {
		return bad(failf("Split", "sizes %v do not sum to axis %d of shape %v", sizes, axis, shape).err)
	}
	out := make([]*Tensor, 0, len(sizes))
	start := 0
	for _, s := range sizes {
		out = append(out, t.Slice(ax, start, start+s, 1))
		start += s
	}
	return out
}

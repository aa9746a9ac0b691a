package graph

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/crossbar-compute/crossbar/internal/half"
)

// ErrShape is wrapped by every error about shapes, axes, dtypes and arguments of graph
// constructors: bad input from the program, as opposed to a failure of a device.
var ErrShape = errors.New("invalid argument")

var nodeIDs atomic.Int64

// A Node is one operation of the graph. Nodes are immutable once built, except that the
// executor attaches a device buffer to a node it realized (and then drops its sources).
type Node struct {
	ID    int64
	Op    Op
	DType DType
	Shape []int
	Src   []*Node

	// Arguments, by op.
	Axes  []int    // Sum..ReduceMin: reduced axes; Permute: the permutation; Gather, CumSum, Softmax, LayerNorm, ArgMax: [axis]
	Start []int    // Slice: first index per axis
	Step  []int    // Slice: step per axis (> 0)
	Flips []bool   // Flip: reversed axes
	Pads  [][2]int // Pad: zeros before/after per axis
	Const Scalar   // Const: the value
	Host  []byte   // Host: the elements, little-endian, DType.Size() bytes each
	// CumSum: a sum of the elements before each (not including it), and from the end.
	Exclusive, Reverse bool
	// LayerNorm: the epsilon added to the variance.
	Eps float64

	mu        sync.Mutex
	realized  any
	transient bool
}

// Scalar holds a constant exactly: F for float dtypes, I for integers and Bool (0 or 1).
type Scalar struct {
	F float64
	I int64
}

// ScalarOf makes the Scalar of v for dtype dt: floats round to dt; integers truncate toward
// zero, and wrap into Uint8 and Int32.
func ScalarOf(v float64, dt DType) Scalar {
	if dt.IsFloat() {
		// The value is the dtype's: a Float16 constant of 1/3 reads back as float16(1/3)
		// on every device and through every cast, not as the float64 it was given.
		switch dt {
		case Float32:
			v = float64(float32(v))
		case Float16:
			v = float64(half.Float16To(half.Float16From(float32(v))))
		case BFloat16:
			v = float64(half.BFloat16To(half.BFloat16From(float32(v))))
		}
		return Scalar{F: v, I: int64(v)}
	}
	if dt == Bool {
		if v != 0 {
			return Scalar{F: 1, I: 1}
		}
		return Scalar{}
	}
	i := int64(0)
	switch {
	case math.IsNaN(v):
	case v >= math.MaxInt64:
		i = math.MaxInt64
	case v <= math.MinInt64:
		i = math.MinInt64
	default:
		i = int64(math.Trunc(v))
	}
	switch dt {
	case Uint8:
		i = int64(uint8(i))
	case Int32:
		i = int64(int32(i))
	}
	return Scalar{F: float64(i), I: i}
}

// Realized is what the executor attached to n, or nil.
func (n *Node) Realized() any {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.realized
}

// SetRealized attaches a realized buffer to n. The node then is a leaf: its sources and host
// data are dropped so that the graph behind it can be collected; a transient node keeps its
// sources, to be computed again once released.
func (n *Node) SetRealized(buf any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.realized = buf
	if !n.transient {
		n.Src = nil
		n.Host = nil
	}
}

// SetTransient marks n as an intermediate that only the nodes built from it refer to, such as
// the column matrix of a convolution: a realization that computes it into a buffer releases
// the buffer (see Release) once none of its later kernels reads it, rather than leaving the
// memory to the collector. Call it before n is first realized.
func (n *Node) SetTransient() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.transient = true
}

// Transient reports whether SetTransient marked n.
func (n *Node) Transient() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.transient
}

// Release detaches and returns the buffer of a realized transient node, which becomes
// unrealized again, with its sources, so that a later realization that needs it computes it
// again. It returns nil for a node that is not transient or not realized.
func (n *Node) Release() any {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.transient {
		return nil
	}
	buf := n.realized
	n.realized = nil
	return buf
}

// sources returns n's sources (nil once realized).
func (n *Node) sources() []*Node {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.realized != nil {
		return nil
	}
	return n.Src
}

// Numel is the number of elements of n.
func (n *Node) Numel() int { return NumElements(n.Shape) }

func newNode(op Op, dt DType, shape []int, src ...*Node) *Node {
	return &Node{ID: nodeIDs.Add(1), Op: op, DType: dt, Shape: clone(shape), Src: src}
}

func errf(op string, format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", op, ErrShape, fmt.Sprintf(format, args...))
}

// nonNil reports a nil node among the arguments of op (a node whose constructor failed,
// its error not checked), which the constructors take as a bad argument rather than a
// panic.
func nonNil(op string, args ...*Node) error {
	for i, a := range args {
		if a == nil {
			return errf(op, "node argument %d is nil", i)
		}
	}
	return nil
}

// MaxElements bounds the number of elements of a node's shape (2^48: far beyond any device's
// memory, and small enough that a shape's byte size and every index into it fit in an int).
// Shapes are checked as nodes are made, so a huge dimension is an error wrapping ErrShape
// rather than an integer overflow.
const MaxElements = 1 << maxElementsLog2

const maxElementsLog2 = 48

// CheckShape reports a negative dimension, or a shape of more than MaxElements elements,
// as an error of op wrapping ErrShape.
func CheckShape(op string, shape []int) error {
	for _, d := range shape {
		if d < 0 {
			return errf(op, "negative dimension in shape %v", shape)
		}
	}
	if !NumElementsFit(shape) {
		return errf(op, "shape %v has more than 2^%d elements", shape, maxElementsLog2)
	}
	return nil
}

// NumElementsFit reports whether a shape of dimensions >= 0 has at most MaxElements
// elements, computed without overflowing.
func NumElementsFit(shape []int) bool {
	if slices.Contains(shape, 0) {
		return true
	}
	n := 1
	for _, d := range shape {
		if d > MaxElements/n {
			return false
		}
		n *= d
	}
	return true
}

// Host makes a leaf from host data (copied by the caller if it may change).
func Host(dt DType, shape []int, data []byte) (*Node, error) {
	if !dt.Valid() {
		return nil, errf("host", "invalid dtype %v", dt)
	}
	if err := CheckShape("host", shape); err != nil {
		return nil, err
	}
	if len(data) != NumElements(shape)*dt.Size() {
		return nil, errf("host", "%d bytes for shape %v of %v", len(data), shape, dt)
	}
	n := newNode(OpHost, dt, shape)
	n.Host = data
	return n, nil
}

// Const makes a scalar constant of shape [].
func Const(v Scalar, dt DType) (*Node, error) {
	if !dt.Valid() {
		return nil, errf("const", "invalid dtype %v", dt)
	}
	n := newNode(OpConst, dt, nil)
	n.Const = v
	return n, nil
}

// Reshape views x with another shape of the same number of elements.
func Reshape(x *Node, shape []int) (*Node, error) {
	if err := nonNil("reshape", x); err != nil {
		return nil, err
	}
	if err := CheckShape("reshape", shape); err != nil {
		return nil, err
	}
	if NumElements(shape) != x.Numel() {
		return nil, errf("reshape", "cannot reshape %v to %v", x.Shape, shape)
	}
	if slices.Equal(shape, x.Shape) {
		return x, nil
	}
	return newNode(OpReshape, x.DType, shape, x), nil
}

// Permute reorders the axes of x: axis k of the result is axis axes[k] of x.
func Permute(x *Node, axes []int) (*Node, error) {
	if err := nonNil("permute", x); err != nil {
		return nil, err
	}
	if len(axes) != len(x.Shape) {
		return nil, errf("permute", "permutation %v for shape %v", axes, x.Shape)
	}
	seen := make([]bool, len(axes))
	shape := make([]int, len(axes))
	identity := true
	for k, a := range axes {
		if a < 0 || a >= len(axes) || seen[a] {
			return nil, errf("permute", "permutation %v for shape %v", axes, x.Shape)
		}
		seen[a] = true
		shape[k] = x.Shape[a]
		identity = identity && a == k
	}
	if identity {
		return x, nil
	}
	n := newNode(OpPermute, x.DType, shape, x)
	n.Axes = clone(axes)
	return n, nil
}

// Expand broadcasts the size-1 axes of x to shape (same rank).
func Expand(x *Node, shape []int) (*Node, error) {
	if err := nonNil("expand", x); err != nil {
		return nil, err
	}
	if err := CheckShape("expand", shape); err != nil {
		return nil, err
	}
	if len(shape) != len(x.Shape) {
		return nil, errf("expand", "cannot expand %v to %v", x.Shape, shape)
	}
	for k, d := range shape {
		if x.Shape[k] != d && x.Shape[k] != 1 {
			return nil, errf("expand", "cannot expand %v to %v", x.Shape, shape)
		}
	}
	if slices.Equal(shape, x.Shape) {
		return x, nil
	}
	return newNode(OpExpand, x.DType, shape, x), nil
}

// Slice keeps count[k] elements of axis k, from start[k] with step step[k] >= 1.
func Slice(x *Node, start, count, step []int) (*Node, error) {
	if err := nonNil("slice", x); err != nil {
		return nil, err
	}
	r := len(x.Shape)
	if len(start) != r || len(count) != r || len(step) != r {
		return nil, errf("slice", "start %v count %v step %v for shape %v", start, count, step, x.Shape)
	}
	identity := true
	for k := range r {
		// (count-1)*step compared by division: a huge step must not overflow into range.
		if step[k] < 1 || count[k] < 0 || start[k] < 0 ||
			(count[k] > 0 && (start[k] >= x.Shape[k] || count[k]-1 > (x.Shape[k]-1-start[k])/step[k])) {
			return nil, errf("slice", "start %v count %v step %v out of range for shape %v", start, count, step, x.Shape)
		}
		identity = identity && start[k] == 0 && step[k] == 1 && count[k] == x.Shape[k]
	}
	if identity {
		return x, nil
	}
	n := newNode(OpSlice, x.DType, count, x)
	n.Start, n.Step = clone(start), clone(step)
	return n, nil
}

// Pad adds zeros (false for Bool) around x: pads[k] = {before, after}, both >= 0.
func Pad(x *Node, pads [][2]int) (*Node, error) {
	if err := nonNil("pad", x); err != nil {
		return nil, err
	}
	if len(pads) != len(x.Shape) {
		return nil, errf("pad", "pads %v for shape %v", pads, x.Shape)
	}
	shape := clone(x.Shape)
	identity := true
	for k, p := range pads {
		if p[0] < 0 || p[1] < 0 {
			return nil, errf("pad", "negative pads %v for shape %v", pads, x.Shape)
		}
		if p[0] > MaxElements || p[1] > MaxElements {
			return nil, errf("pad", "pads %v for shape %v: more than 2^%d elements", pads, x.Shape, maxElementsLog2)
		}
		shape[k] += p[0] + p[1]
		identity = identity && p == [2]int{}
	}
	if !NumElementsFit(shape) {
		return nil, errf("pad", "pads %v for shape %v give %v, more than 2^%d elements", pads, x.Shape, shape, maxElementsLog2)
	}
	if identity {
		return x, nil
	}
	n := newNode(OpPad, x.DType, shape, x)
	n.Pads = append([][2]int(nil), pads...)
	return n, nil
}

// Flip reverses the axes of x with flips[k] set.
func Flip(x *Node, flips []bool) (*Node, error) {
	if err := nonNil("flip", x); err != nil {
		return nil, err
	}
	if len(flips) != len(x.Shape) {
		return nil, errf("flip", "flips %v for shape %v", flips, x.Shape)
	}
	if !slices.Contains(flips, true) {
		return x, nil
	}
	n := newNode(OpFlip, x.DType, x.Shape, x)
	n.Flips = slices.Clone(flips)
	return n, nil
}

// Unary applies a unary elementwise op (not Cast: see Cast).
func Unary(op Op, x *Node) (*Node, error) {
	if err := nonNil(op.String(), x); err != nil {
		return nil, err
	}
	if !op.IsUnary() || op == OpCast {
		return nil, errf(op.String(), "not a unary op")
	}
	if op.FloatOnly() && !x.DType.IsFloat() {
		return nil, errf(op.String(), "needs a float operand, got %v %v", x.DType, x.Shape)
	}
	if x.DType == Bool && op != OpNot && op != OpCopy {
		return nil, errf(op.String(), "not defined for bool %v", x.Shape)
	}
	return newNode(op, x.DType, x.Shape, x), nil
}

// Cast converts x to dtype dt (floats to integers truncate toward zero; to Bool is x != 0).
func Cast(x *Node, dt DType) (*Node, error) {
	if err := nonNil("cast", x); err != nil {
		return nil, err
	}
	if !dt.Valid() {
		return nil, errf("cast", "invalid dtype %v", dt)
	}
	if dt == x.DType {
		return x, nil
	}
	return newNode(OpCast, dt, x.Shape, x), nil
}

// Binary applies a binary elementwise op to operands of one shape and dtype.
func Binary(op Op, a, b *Node) (*Node, error) {
	if err := nonNil(op.String(), a, b); err != nil {
		return nil, err
	}
	if !op.IsBinary() {
		return nil, errf(op.String(), "not a binary op")
	}
	if a.DType != b.DType {
		return nil, errf(op.String(), "dtype mismatch %v %v and %v %v", a.DType, a.Shape, b.DType, b.Shape)
	}
	if !slices.Equal(a.Shape, b.Shape) {
		return nil, errf(op.String(), "shape mismatch %v and %v", a.Shape, b.Shape)
	}
	switch op {
	case OpAnd, OpOr, OpXor:
		if a.DType.IsFloat() {
			return nil, errf(op.String(), "needs bool or integer operands, got %v", a.DType)
		}
	case OpCmpLT, OpCmpLE, OpCmpEQ, OpCmpNE:
		return newNode(op, Bool, a.Shape, a, b), nil
	case OpAdd, OpMul, OpMax, OpMin:
		// Defined on Bool as or/and, like NumPy.
	default:
		if a.DType == Bool {
			return nil, errf(op.String(), "not defined for bool %v", a.Shape)
		}
	}
	return newNode(op, a.DType, a.Shape, a, b), nil
}

// Where selects a where cond is true, b elsewhere; cond is Bool, a and b share a dtype, and
// all three share a shape.
func Where(cond, a, b *Node) (*Node, error) {
	if err := nonNil("where", cond, a, b); err != nil {
		return nil, err
	}
	if cond.DType != Bool {
		return nil, errf("where", "condition must be bool, got %v %v", cond.DType, cond.Shape)
	}
	if a.DType != b.DType {
		return nil, errf("where", "dtype mismatch %v %v and %v %v", a.DType, a.Shape, b.DType, b.Shape)
	}
	if !slices.Equal(a.Shape, b.Shape) || !slices.Equal(cond.Shape, a.Shape) {
		return nil, errf("where", "shape mismatch %v, %v and %v", cond.Shape, a.Shape, b.Shape)
	}
	return newNode(OpWhere, a.DType, a.Shape, cond, a, b), nil
}

// MulAdd is a*b + c for operands of one dtype and shape.
func MulAdd(a, b, c *Node) (*Node, error) {
	if err := nonNil("muladd", a, b, c); err != nil {
		return nil, err
	}
	if a.DType != b.DType || a.DType != c.DType {
		return nil, errf("muladd", "dtype mismatch %v, %v and %v", a.DType, b.DType, c.DType)
	}
	if !slices.Equal(a.Shape, b.Shape) || !slices.Equal(a.Shape, c.Shape) {
		return nil, errf("muladd", "shape mismatch %v, %v and %v", a.Shape, b.Shape, c.Shape)
	}
	if a.DType == Bool {
		return nil, errf("muladd", "not defined for bool %v", a.Shape)
	}
	return newNode(OpMulAdd, a.DType, a.Shape, a, b, c), nil
}

// Reduce reduces x over axes (in range, no repeats); the reduced axes keep size 1.
// Max and Min of an empty axis are errors, as in NumPy.
func Reduce(op Op, x *Node, axes []int) (*Node, error) {
	if err := nonNil(op.String(), x); err != nil {
		return nil, err
	}
	if !op.IsReduce() {
		return nil, errf(op.String(), "not a reduction")
	}
	shape := clone(x.Shape)
	seen := make([]bool, len(shape))
	for _, a := range axes {
		if a < 0 || a >= len(shape) || seen[a] {
			return nil, errf(op.String(), "bad axes %v for shape %v", axes, x.Shape)
		}
		seen[a] = true
		shape[a] = 1
	}
	for _, a := range axes {
		if x.Shape[a] == 0 && NumElements(shape) > 0 && (op == OpReduceMax || op == OpReduceMin) {
			return nil, errf(op.String(), "zero-size axis %d of shape %v has no identity", a, x.Shape)
		}
	}
	if x.DType == Bool && (op == OpSum || op == OpProd) {
		return nil, errf(op.String(), "not defined for bool %v; cast first", x.Shape)
	}
	n := newNode(op, x.DType, shape, x)
	n.Axes = slices.Sorted(slices.Values(axes))
	return n, nil
}

// Contract is the batched matrix product of a [..., M, K] and b [..., K, N] with equal batch
// dimensions, giving [..., M, N].
func Contract(a, b *Node) (*Node, error) {
	if err := nonNil("contract", a, b); err != nil {
		return nil, err
	}
	ra, rb := len(a.Shape), len(b.Shape)
	if a.DType != b.DType {
		return nil, errf("contract", "dtype mismatch %v %v and %v %v", a.DType, a.Shape, b.DType, b.Shape)
	}
	if ra < 2 || ra != rb || !slices.Equal(a.Shape[:ra-2], b.Shape[:rb-2]) || a.Shape[ra-1] != b.Shape[rb-2] {
		return nil, errf("contract", "shapes %v and %v do not contract", a.Shape, b.Shape)
	}
	shape := append(clone(a.Shape[:ra-1]), b.Shape[rb-1])
	if !NumElementsFit(shape) {
		return nil, errf("contract", "shapes %v and %v give %v, more than 2^%d elements", a.Shape, b.Shape, shape, maxElementsLog2)
	}
	return newNode(OpContract, a.DType, shape, a, b), nil
}

// CumSum is the running sum of x along axis (see OpCumSum), in x's dtype: integers wrap.
func CumSum(x *Node, axis int, exclusive, reverse bool) (*Node, error) {
	if err := nonNil("cumsum", x); err != nil {
		return nil, err
	}
	if axis < 0 || axis >= len(x.Shape) {
		return nil, errf("cumsum", "axis %d for shape %v", axis, x.Shape)
	}
	if x.DType == Bool {
		return nil, errf("cumsum", "not defined for bool %v; cast first", x.Shape)
	}
	n := newNode(OpCumSum, x.DType, x.Shape, x)
	n.Axes = []int{axis}
	n.Exclusive, n.Reverse = exclusive, reverse
	return n, nil
}

// Softmax is the softmax of x along axis, or its logarithm when log is set (see OpSoftmax),
// in x's dtype, which must be a float dtype.
func Softmax(x *Node, axis int, log bool) (*Node, error) {
	op, name := OpSoftmax, "softmax"
	if log {
		op, name = OpLogSoftmax, "log_softmax"
	}
	if err := nonNil(name, x); err != nil {
		return nil, err
	}
	if axis < 0 || axis >= len(x.Shape) {
		return nil, errf(name, "axis %d for shape %v", axis, x.Shape)
	}
	if !x.DType.IsFloat() {
		return nil, errf(name, "not defined for %v %v", x.DType, x.Shape)
	}
	n := newNode(op, x.DType, x.Shape, x)
	n.Axes = []int{axis}
	return n, nil
}

// LayerNorm normalizes x over its axes [axis, rank) (see OpLayerNorm), in x's dtype, which
// must be a float dtype.
func LayerNorm(x *Node, axis int, eps float64) (*Node, error) {
	if err := nonNil("layer_norm", x); err != nil {
		return nil, err
	}
	if axis < 0 || axis >= len(x.Shape) {
		return nil, errf("layer_norm", "axis %d for shape %v", axis, x.Shape)
	}
	if !x.DType.IsFloat() {
		return nil, errf("layer_norm", "not defined for %v %v", x.DType, x.Shape)
	}
	n := newNode(OpLayerNorm, x.DType, x.Shape, x)
	n.Axes = []int{axis}
	n.Eps = eps
	return n, nil
}

// ArgExtreme is the Int64 index of the first maximum of x along axis (see OpArgMax), or of
// the first minimum where min is set, the axis kept with size 1. The axis must not be
// empty.
func ArgExtreme(x *Node, axis int, min bool) (*Node, error) {
	op, name := OpArgMax, "argmax"
	if min {
		op, name = OpArgMin, "argmin"
	}
	if err := nonNil(name, x); err != nil {
		return nil, err
	}
	if axis < 0 || axis >= len(x.Shape) {
		return nil, errf(name, "axis %d for shape %v", axis, x.Shape)
	}
	if x.Shape[axis] == 0 {
		return nil, errf(name, "axis %d of shape %v is empty", axis, x.Shape)
	}
	shape := clone(x.Shape)
	shape[axis] = 1
	n := newNode(op, Int64, shape, x)
	n.Axes = []int{axis}
	return n, nil
}

// Gather takes the elements of x at indices along axis (see OpGather).
func Gather(x *Node, axis int, indices *Node) (*Node, error) {
	if err := nonNil("gather", x, indices); err != nil {
		return nil, err
	}
	if axis < 0 || axis >= len(x.Shape) {
		return nil, errf("gather", "axis %d for shape %v", axis, x.Shape)
	}
	if indices.DType != Int32 && indices.DType != Int64 {
		return nil, errf("gather", "indices must be int32 or int64, got %v %v", indices.DType, indices.Shape)
	}
	shape := append(append(clone(x.Shape[:axis]), indices.Shape...), x.Shape[axis+1:]...)
	if !NumElementsFit(shape) {
		return nil, errf("gather", "shape %v gathered by indices %v gives %v, more than 2^%d elements", x.Shape, indices.Shape, shape, maxElementsLog2)
	}
	n := newNode(OpGather, x.DType, shape, x, indices)
	n.Axes = []int{axis}
	return n, nil
}

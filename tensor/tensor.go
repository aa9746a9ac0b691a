package tensor

import (
	"fmt"
	"math"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/backend"
	_ "github.com/crossbar-compute/crossbar/backend/cpu" // the CPU device is always present
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/internal/half"
	"github.com/crossbar-compute/crossbar/internal/philox"
)

// DType is the element type of a tensor.
type DType = graph.DType

// The element types.
const (
	Bool     = graph.Bool
	Uint8    = graph.Uint8
	Int32    = graph.Int32
	Int64    = graph.Int64
	Float16  = graph.Float16
	BFloat16 = graph.BFloat16
	Float32  = graph.Float32
	Float64  = graph.Float64
)

// Element is the set of Go types that map to a DType.
type Element interface {
	~bool | ~uint8 | ~int32 | ~int64 | ~float32 | ~float64
}

// ErrInvalid is wrapped by the errors of bad arguments: shapes that do not broadcast, axes out
// of range, lengths that do not match shapes, mixed dtypes.
var ErrInvalid = graph.ErrShape

// Tensor is an immutable n-dimensional array on a device. Operations record a graph and
// return at once; Realize, Data and String compute. A Tensor is safe for concurrent use.
type Tensor struct {
	node *graph.Node
	dev  backend.Device
	err  error
}

func fail(err error) *Tensor { return &Tensor{err: err} }

func failf(op, format string, args ...any) *Tensor {
	return fail(fmt.Errorf("%s: %w: %s", op, ErrInvalid, fmt.Sprintf(format, args...)))
}

// wrap turns a graph constructor's result into a tensor on dev, naming the API operation in
// any error.
func wrap(op string, dev backend.Device, n *graph.Node, err error) *Tensor {
	if err != nil {
		return fail(fmt.Errorf("%s: %w", op, err))
	}
	return &Tensor{node: n, dev: dev}
}

// check returns the first error among ts (a nil tensor is an error).
func check(op string, ts ...*Tensor) error {
	for _, t := range ts {
		if t == nil {
			return fmt.Errorf("%s: %w: nil tensor", op, ErrInvalid)
		}
		if t.err != nil {
			return t.err
		}
	}
	return nil
}

func dtypeOf[T Element]() DType {
	switch reflect.TypeFor[T]().Kind() {
	case reflect.Bool:
		return Bool
	case reflect.Uint8:
		return Uint8
	case reflect.Int32:
		return Int32
	case reflect.Int64:
		return Int64
	case reflect.Float32:
		return Float32
	case reflect.Float64:
		return Float64
	}
	return graph.Invalid
}

func asBytes[T any](s []T) []byte {
	if len(s) == 0 {
		return []byte{}
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}

func fromHost(op string, dt DType, shape []int, data []byte) *Tensor {
	n, err := graph.Host(dt, shape, data)
	return wrap(op, backend.Default(), n, err)
}

// shapeOK reports a negative dimension or a shape of more than graph.MaxElements elements.
func shapeOK(op string, shape []int) error { return graph.CheckShape(op, shape) }

// New makes a tensor from a copy of data. With no shape it is 1-D of len(data); otherwise
// len(data) must equal the product of shape.
func New[T Element](data []T, shape ...int) *Tensor {
	if shape == nil {
		shape = []int{len(data)}
	}
	if err := shapeOK("New", shape); err != nil {
		return fail(err)
	}
	if graph.NumElements(shape) != len(data) {
		return failf("New", "%d elements for shape %v", len(data), shape)
	}
	return fromHost("New", dtypeOf[T](), shape, slices.Clone(asBytes(data)))
}

// Scalar makes a rank-0 tensor.
func Scalar[T Element](v T) *Tensor {
	return fromHost("Scalar", dtypeOf[T](), nil, slices.Clone(asBytes([]T{v})))
}

// Full makes a tensor of shape filled with value (converted to dt: integers truncate).
func Full(value float64, dt DType, shape ...int) *Tensor { return full("Full", value, dt, shape) }

// Zeros makes a tensor of zeros.
func Zeros(dt DType, shape ...int) *Tensor { return full("Zeros", 0, dt, shape) }

// Ones makes a tensor of ones.
func Ones(dt DType, shape ...int) *Tensor { return full("Ones", 1, dt, shape) }

func full(op string, value float64, dt DType, shape []int) *Tensor {
	if err := shapeOK(op, shape); err != nil {
		return fail(err)
	}
	if !dt.Valid() {
		return failf(op, "invalid dtype %v", dt)
	}
	c, err := graph.Const(graph.ScalarOf(value, dt), dt)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", op, err))
	}
	t := &Tensor{node: c, dev: backend.Default()}
	return t.broadcastTo(op, shape)
}

// Arange makes the 1-D tensor start, start+step, ... up to but excluding stop (numpy.arange).
func Arange(start, stop, step float64, dt DType) *Tensor {
	if step == 0 || math.IsNaN(start) || math.IsNaN(stop) || math.IsNaN(step) || math.IsInf(start, 0) || math.IsInf(step, 0) {
		return failf("Arange", "bad range start %v stop %v step %v", start, stop, step)
	}
	if !dt.Valid() {
		return failf("Arange", "invalid dtype %v", dt)
	}
	n := int(math.Max(0, math.Ceil((stop-start)/step)))
	if n > maxHostElements {
		return failf("Arange", "%d elements from start %v stop %v step %v (at most 2^34)", n, start, stop, step)
	}
	return hostValues("Arange", dt, []int{n}, func(dst []float64, first int) {
		for j := range dst {
			// The product rounded before the sum (the conversion keeps arm64 from fusing
			// them): numpy's values, on every host.
			dst[j] = start + float64(float64(first+j)*step)
		}
	})
}

// hostValues makes a tensor of dtype dt and shape (checked by the caller) whose elements
// first, first+1, ... are what f sets in dst, converted to dt (integers truncate toward
// zero). Every element is a pure function of its index, so a large tensor is filled by all
// cores, a chunk at a time, and each chunk hostBlock values at a time.
func hostValues(op string, dt DType, shape []int, f func(dst []float64, first int)) *Tensor {
	n := graph.NumElements(shape)
	b := make([]byte, n*dt.Size())
	forChunks(n, hostChunk, func(lo, hi int) {
		var v [hostBlock]float64
		for s := lo; s < hi; s += hostBlock {
			d := v[:min(hostBlock, hi-s)]
			f(d, s)
			encodeValues(b, dt, s, d)
		}
	})
	return fromHost(op, dt, shape, b)
}

// hostBlock is the number of values hostValues asks for at a time: two of philox.Normals'
// batches.
const hostBlock = 480

// maxHostElements bounds the tensors whose values are computed on the host (Arange, the
// random tensors): 2^34 elements, 128 GiB of Float64, beyond which the host's memory, not
// the tensor, would fail.
const maxHostElements = 1 << 34

// hostChunk is the number of elements a worker of hostValues fills at a time: about half a
// millisecond of normal values, long enough to pay for the hand-over, and a tensor of one
// chunk or less is filled where it is asked for.
const hostChunk = 1 << 15

// forChunks calls f on [lo, hi) chunks of [0, n), from GOMAXPROCS goroutines when there is
// more than one chunk.
func forChunks(n, chunk int, f func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk)
	if workers <= 1 {
		f(0, n)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				f(lo, min(lo+chunk, n))
			}
		})
	}
	wg.Wait()
}

// encodeValues stores vals as dt in elements lo, lo+1, ... of b, with a loop of its own for
// each float dtype.
func encodeValues(b []byte, dt DType, lo int, vals []float64) {
	p := unsafe.Pointer(unsafe.SliceData(b))
	switch dt {
	case Float32:
		out := unsafe.Slice((*float32)(p), len(b)/4)[lo : lo+len(vals)]
		for j, v := range vals {
			out[j] = float32(v)
		}
	case Float64:
		copy(unsafe.Slice((*float64)(p), len(b)/8)[lo:], vals)
	case Float16:
		out := unsafe.Slice((*uint16)(p), len(b)/2)[lo : lo+len(vals)]
		for j, v := range vals {
			out[j] = half.Float16From(float32(v))
		}
	case BFloat16:
		out := unsafe.Slice((*uint16)(p), len(b)/2)[lo : lo+len(vals)]
		for j, v := range vals {
			out[j] = half.BFloat16From(float32(v))
		}
	default:
		for j, v := range vals {
			putElem(b, lo+j, dt, v)
		}
	}
}

func putElem(b []byte, i int, dt DType, v float64) {
	s := graph.ScalarOf(v, dt)
	switch dt {
	case Bool, Uint8:
		b[i] = byte(s.I)
	case Int32:
		*(*int32)(unsafe.Pointer(&b[4*i])) = int32(s.I)
	case Int64:
		*(*int64)(unsafe.Pointer(&b[8*i])) = s.I
	case Float16:
		*(*uint16)(unsafe.Pointer(&b[2*i])) = half.Float16From(float32(v))
	case BFloat16:
		*(*uint16)(unsafe.Pointer(&b[2*i])) = half.BFloat16From(float32(v))
	case Float32:
		*(*float32)(unsafe.Pointer(&b[4*i])) = float32(v)
	case Float64:
		*(*float64)(unsafe.Pointer(&b[8*i])) = v
	}
}

// mantissaBits is the precision of dt's values in [0.5, 1).
func mantissaBits(dt DType) uint {
	switch dt {
	case Float16:
		return 11
	case BFloat16:
		return 8
	case Float32:
		return 24
	}
	return 53
}

// RandUniform makes a tensor of uniform values in [0, 1) from a counter-based generator
// (Philox4x32-10): element i depends only on seed and i, so every device gets the same values.
// The values are computed on the host (a large tensor by all cores) and uploaded.
func RandUniform(seed uint64, dt DType, shape ...int) *Tensor {
	// Keep only as many random bits as dt holds, so rounding never reaches 1.
	bits := mantissaBits(dt)
	return random("RandUniform", dt, shape, func(dst []float64, first int) { philox.Uniforms(dst, seed, uint64(first), bits) })
}

// RandNormal makes a tensor of standard normal values (mean 0, standard deviation 1) from the
// same counter-based generator as RandUniform (Box-Muller, with the vector kernels' logarithm
// and cosine: the same bits on every host).
func RandNormal(seed uint64, dt DType, shape ...int) *Tensor {
	return random("RandNormal", dt, shape, func(dst []float64, first int) { philox.Normals(dst, seed, uint64(first)) })
}

func random(op string, dt DType, shape []int, f func(dst []float64, first int)) *Tensor {
	if err := shapeOK(op, shape); err != nil {
		return fail(err)
	}
	if !dt.IsFloat() {
		return failf(op, "needs a float dtype, got %v", dt)
	}
	if n := graph.NumElements(shape); n > maxHostElements {
		return failf(op, "shape %v has %d elements; random tensors are made on the host, at most 2^34", shape, n)
	}
	return hostValues(op, dt, shape, f)
}

// Shape returns a copy of the tensor's shape (nil for an invalid tensor).
func (t *Tensor) Shape() []int {
	if t == nil || t.err != nil {
		return nil
	}
	return slices.Clone(t.node.Shape)
}

// DType returns the element type (graph.Invalid for an invalid tensor).
func (t *Tensor) DType() DType {
	if t == nil || t.err != nil {
		return graph.Invalid
	}
	return t.node.DType
}

// Err returns the first error in t's lineage, or nil.
func (t *Tensor) Err() error { return check("Err", t) }

// Device returns the device t computes on (nil for an invalid tensor).
func (t *Tensor) Device() backend.Device {
	if t == nil || t.err != nil {
		return nil
	}
	return t.dev
}

// Realize computes t on its device and keeps the result there.
func (t *Tensor) Realize() error {
	if err := check("Realize", t); err != nil {
		return err
	}
	return backend.Realize(t.dev, t.node)
}

// Free releases the device memory of a realized tensor now, instead of when it becomes
// unreachable (the collector finds it then, at the latest when an allocation on a device
// fails for want of memory). Using t afterwards is an error wrapping backend.ErrFreed.
func (t *Tensor) Free() error {
	if err := check("Free", t); err != nil {
		return err
	}
	if st, ok := t.node.Realized().(*backend.Storage); ok {
		return st.Free()
	}
	return nil
}

// To returns t on device d. The copy happens when the result is computed.
func (t *Tensor) To(d backend.Device) *Tensor {
	if err := check("To", t); err != nil {
		return fail(err)
	}
	if d == nil {
		return failf("To", "nil device")
	}
	if d == t.dev {
		return t
	}
	n, err := graph.Unary(graph.OpCopy, t.node)
	return wrap("To", d, n, err)
}

// Cast converts t to dtype dt: floats to integers truncate toward zero, integers wrap, and
// anything to Bool is x != 0.
func (t *Tensor) Cast(dt DType) *Tensor {
	if err := check("Cast", t); err != nil {
		return fail(err)
	}
	n, err := graph.Cast(t.node, dt)
	return wrap("Cast", t.dev, n, err)
}

// Data realizes t and returns its elements in row-major order. T must match t's dtype;
// Float16 and BFloat16 tensors are read as float32.
func Data[T Element](t *Tensor) ([]T, error) {
	if err := check("Data", t); err != nil {
		return nil, err
	}
	want := dtypeOf[T]()
	dt := t.node.DType
	half16 := (dt == Float16 || dt == BFloat16) && want == Float32
	if want != dt && !half16 {
		var z T
		return nil, fmt.Errorf("Data: %w: %T requested from a %v tensor of shape %v", ErrInvalid, z, dt, t.node.Shape)
	}
	n := t.node.Numel()
	out := make([]T, n)
	if !half16 {
		if err := backend.ReadInto(t.dev, t.node, asBytes(out)); err != nil {
			return nil, err
		}
		return out, nil
	}
	// A 16-bit tensor read as float32: widened by the vector kernels (exact; a NaN's payload
	// may differ from what an element-by-element conversion gives).
	bits := make([]uint16, n)
	if err := backend.ReadInto(t.dev, t.node, asBytes(bits)); err != nil {
		return nil, err
	}
	if f := any(out).([]float32); dt == Float16 {
		asm.Float16ToF32(f, bits)
	} else {
		asm.BFloat16ToF32(f, bits)
	}
	return out, nil
}

// float64s returns t's elements converted to float64 (for printing and tests).
func float64s(t *Tensor) ([]float64, error) {
	if err := check("Data", t); err != nil {
		return nil, err
	}
	raw, err := backend.Read(t.dev, t.node)
	if err != nil {
		return nil, err
	}
	n := t.node.Numel()
	out := make([]float64, n)
	for i := range out {
		switch t.node.DType {
		case Bool, Uint8:
			out[i] = float64(raw[i])
		case Int32:
			out[i] = float64(*(*int32)(unsafe.Pointer(&raw[4*i])))
		case Int64:
			out[i] = float64(*(*int64)(unsafe.Pointer(&raw[8*i])))
		case Float16:
			out[i] = float64(half.Float16To(*(*uint16)(unsafe.Pointer(&raw[2*i]))))
		case BFloat16:
			out[i] = float64(half.BFloat16To(*(*uint16)(unsafe.Pointer(&raw[2*i]))))
		case Float32:
			out[i] = float64(*(*float32)(unsafe.Pointer(&raw[4*i])))
		case Float64:
			out[i] = *(*float64)(unsafe.Pointer(&raw[8*i]))
		}
	}
	return out, nil
}

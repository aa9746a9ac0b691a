package backendtest

// This file holds the reference array type, its index helpers, value conversion between
// element types, and the comparison helper used to check a device's output.
//
// The reference is deliberately naive: every operation walks the multi-indices of its
// output and computes each element from the definition, in float64. Speed does not
// matter; obviousness does.

import (
	"fmt"
	"math"
	"strings"
)

// refDType is the element type recorded by a refArray. The order matches no other
// package on purpose: the reference depends on nothing in the module.
type refDType int

const (
	refBool refDType = iota
	refUint8
	refInt32
	refInt64
	refFloat16
	refBFloat16
	refFloat32
	refFloat64
)

// refDTypes lists every element type, for table-driven tests.
var refDTypes = []refDType{refBool, refUint8, refInt32, refInt64, refFloat16, refBFloat16, refFloat32, refFloat64}

func (d refDType) String() string {
	switch d {
	case refBool:
		return "bool"
	case refUint8:
		return "uint8"
	case refInt32:
		return "int32"
	case refInt64:
		return "int64"
	case refFloat16:
		return "float16"
	case refBFloat16:
		return "bfloat16"
	case refFloat32:
		return "float32"
	case refFloat64:
		return "float64"
	}
	return fmt.Sprintf("refDType(%d)", int(d))
}

// isFloat reports whether d is a floating-point type (Float16, BFloat16, Float32, Float64).
func (d refDType) isFloat() bool {
	return d == refFloat16 || d == refBFloat16 || d == refFloat32 || d == refFloat64
}

// isInt reports whether d is an integer type (Uint8, Int32, Int64). Bool is neither
// integer nor float.
func (d refDType) isInt() bool {
	return d == refUint8 || d == refInt32 || d == refInt64
}

// refArray is a row-major float64 array. Bool is held as 0/1, integers as exact integers
// (tests only use |values| < 2^52). dt records the element type so that integer
// semantics apply.
type refArray struct {
	shape []int
	data  []float64
	dt    refDType
}

// newRef makes an array of type dt from data (copied). No shape means 1-D of len(data),
// like tensor.New. Every value is converted to what dt can hold (refCast semantics: a
// Float32 array holds float32 values, an Int32 array wrapped integers, a Bool array 0/1).
// A length that does not match the shape is a bug in the caller and panics.
func newRef(dt refDType, data []float64, shape ...int) *refArray {
	if len(shape) == 0 {
		shape = []int{len(data)}
	}
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("newRef: negative dimension in shape %v", shape))
		}
	}
	if refNumel(shape) != len(data) {
		panic(fmt.Sprintf("newRef: %d values do not fill shape %v", len(data), shape))
	}
	a := &refArray{shape: append([]int{}, shape...), data: make([]float64, len(data)), dt: dt}
	for i, x := range data {
		a.data[i] = refConvert(dt, x)
	}
	return a
}

// refScalar makes a rank-0 array holding v.
func refScalar(dt refDType, v float64) *refArray {
	return &refArray{shape: []int{}, data: []float64{refConvert(dt, v)}, dt: dt}
}

// refZeros makes a zero-filled array of the given shape (which must be valid).
func refZeros(dt refDType, shape ...int) *refArray {
	return &refArray{shape: append([]int{}, shape...), data: make([]float64, refNumel(shape)), dt: dt}
}

// size is the number of elements.
func (a *refArray) size() int { return len(a.data) }

// rank is the number of axes.
func (a *refArray) rank() int { return len(a.shape) }

// strides are the row-major element strides of a.
func (a *refArray) strides() []int { return refStrides(a.shape) }

// at returns the element at multi-index idx; a wrong index is a bug and panics.
func (a *refArray) at(idx []int) float64 { return a.data[refOffset(idx, a.shape)] }

// set stores v (unconverted) at multi-index idx.
func (a *refArray) set(idx []int, v float64) { a.data[refOffset(idx, a.shape)] = v }

// String prints shape, dtype and the flat data, for failure messages.
func (a *refArray) String() string {
	if a == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%s%v%v", a.dt, a.shape, a.data)
}

// refNumel is the product of the dimensions (1 for rank 0).
func refNumel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// refStrides are the row-major element strides of shape.
func refStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// refOffset is the flat row-major offset of multi-index idx in shape.
func refOffset(idx, shape []int) int {
	if len(idx) != len(shape) {
		panic(fmt.Sprintf("refOffset: index %v has the wrong rank for shape %v", idx, shape))
	}
	off := 0
	for i, v := range idx {
		if v < 0 || v >= shape[i] {
			panic(fmt.Sprintf("refOffset: index %v out of range for shape %v", idx, shape))
		}
		off = off*shape[i] + v
	}
	return off
}

// refUnravel turns a flat row-major offset into a multi-index of shape.
func refUnravel(flat int, shape []int) []int {
	idx := make([]int, len(shape))
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] > 0 {
			idx[i] = flat % shape[i]
			flat /= shape[i]
		}
	}
	return idx
}

// refFormatIndex formats the multi-index of flat offset flat in shape, e.g. "[1 0 2]", for
// error messages.
func refFormatIndex(flat int, shape []int) string {
	idx := refUnravel(flat, shape)
	parts := make([]string, len(idx))
	for i, v := range idx {
		parts[i] = fmt.Sprint(v)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// refForEachIndex calls f with every multi-index of shape in row-major order. It calls f
// once with an empty index for rank 0 and never for an empty shape. f must not keep idx.
func refForEachIndex(shape []int, f func(idx []int)) {
	n := refNumel(shape)
	idx := make([]int, len(shape))
	for k := 0; k < n; k++ {
		f(idx)
		for i := len(shape) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < shape[i] {
				break
			}
			idx[i] = 0
		}
	}
}

// refBuild makes an array of the given shape and type whose element at idx is f(idx).
// The values are stored as f returns them (callers convert).
func refBuild(dt refDType, shape []int, f func(idx []int) float64) *refArray {
	out := refZeros(dt, shape...)
	k := 0
	refForEachIndex(shape, func(idx []int) {
		out.data[k] = f(idx)
		k++
	})
	return out
}

// refBroadcastShapes is NumPy's broadcasting rule: shapes are right-aligned, and each pair
// of dimensions must be equal or one of them 1.
func refBroadcastShapes(a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := i - (n - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (n - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db:
			out[i] = da
		case da == 1:
			out[i] = db
		case db == 1:
			out[i] = da
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// refBroadcastIndex maps a multi-index of a broadcast result to the multi-index of an
// operand of the given shape (right-aligned; size-1 dimensions always read index 0).
func refBroadcastIndex(outIdx, shape []int) []int {
	idx := make([]int, len(shape))
	lead := len(outIdx) - len(shape)
	for i := range shape {
		if shape[i] != 1 {
			idx[i] = outIdx[lead+i]
		}
	}
	return idx
}

// refSameShape reports whether two shapes are equal.
func refSameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// refNormAxis turns a possibly negative axis into [0, rank), or reports an error naming op.
func refNormAxis(op string, axis, rank int, shape []int) (int, error) {
	if axis < -rank || axis >= rank {
		return 0, fmt.Errorf("%s: axis %d out of range for shape %v", op, axis, shape)
	}
	if axis < 0 {
		axis += rank
	}
	return axis, nil
}

// refNormAxes normalizes a list of axes against rank; duplicates are an error.
func refNormAxes(op string, axes []int, rank int, shape []int) ([]int, error) {
	out := make([]int, len(axes))
	seen := make([]bool, rank)
	for i, ax := range axes {
		a, err := refNormAxis(op, ax, rank, shape)
		if err != nil {
			return nil, err
		}
		if seen[a] {
			return nil, fmt.Errorf("%s: axis %d repeated in %v for shape %v", op, ax, axes, shape)
		}
		seen[a] = true
		out[i] = a
	}
	return out, nil
}

// ---- element conversion

// refWrapInt wraps an exact integer to the range of dt (two's complement for Int32,
// modulo 256 for Uint8; Bool is v != 0).
func refWrapInt(dt refDType, v int64) int64 {
	switch dt {
	case refBool:
		if v != 0 {
			return 1
		}
		return 0
	case refUint8:
		return int64(uint8(v))
	case refInt32:
		return int64(int32(v))
	}
	return v
}

// refFloatToInt truncates x toward zero and wraps it to dt. NaN and ±Inf give 0 (their
// conversion is undefined in C and differs between machines; the suite does not test it).
func refFloatToInt(dt refDType, x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	t := math.Trunc(x)
	if math.Abs(t) >= 1<<63 {
		// Reduce exactly modulo 2^64 into [-2^63, 2^63) so that int64(t) is exact.
		t = math.Mod(t, 1<<64)
		if t >= 1<<63 {
			t -= 1 << 64
		}
		if t < -(1 << 63) {
			t += 1 << 64
		}
	}
	return float64(refWrapInt(dt, int64(t)))
}

// refRoundFloat rounds x to the nearest value (ties to even) of a binary floating-point
// format with mantBits explicit mantissa bits, smallest normal exponent minExp and largest
// finite value maxFinite; values that round past maxFinite become ±Inf. It works by scaling
// with exact powers of two, so it depends on no conversion of the machine.
func refRoundFloat(x float64, mantBits, minExp int, maxFinite float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	ax := math.Abs(x)
	_, e := math.Frexp(ax) // ax = f * 2^e with f in [0.5, 1), so ax = 1.xxx * 2^(e-1)
	exp := e - 1
	if exp < minExp {
		exp = minExp // subnormal: the quantum stays that of the smallest normal binade
	}
	q := exp - mantBits // the spacing of representable values near ax is 2^q
	r := math.Ldexp(math.RoundToEven(math.Ldexp(ax, -q)), q)
	if r > maxFinite {
		r = math.Inf(1)
	}
	return math.Copysign(r, x)
}

// refRoundFloat16 rounds to IEEE binary16 (10 mantissa bits, max 65504).
func refRoundFloat16(x float64) float64 { return refRoundFloat(x, 10, -14, 65504) }

// refRoundBFloat16 rounds to bfloat16 (7 mantissa bits, float32's exponent range).
func refRoundBFloat16(x float64) float64 { return refRoundFloat(x, 7, -126, math.Ldexp(255, 120)) }

// refRoundFloat32 rounds to IEEE binary32.
func refRoundFloat32(x float64) float64 { return refRoundFloat(x, 23, -126, math.MaxFloat32) }

// refConvert converts one value to what dt holds, with refCast semantics: ->Bool is x != 0
// (NaN is true), ->integer truncates toward zero and wraps, ->float rounds to nearest even.
func refConvert(dt refDType, x float64) float64 {
	switch dt {
	case refBool:
		if x != 0 {
			return 1
		}
		return 0
	case refUint8, refInt32, refInt64:
		return refFloatToInt(dt, x)
	case refFloat16:
		return refRoundFloat16(x)
	case refBFloat16:
		return refRoundBFloat16(x)
	case refFloat32:
		return refRoundFloat32(x)
	}
	return x
}

// refRoundResult turns the float64 result of a floating-point operation into what a device
// produces for dt: Float32, Float16 and BFloat16 results are rounded to float32 (devices
// compute the narrow types in float32; the suite compares them with looser tolerances).
// For non-float types it converts like refConvert.
func refRoundResult(dt refDType, x float64) float64 {
	switch dt {
	case refFloat64:
		return x
	case refFloat32, refFloat16, refBFloat16:
		return float64(float32(x))
	}
	return refConvert(dt, x)
}

// refCast converts every element of a to dt (see refConvert).
func refCast(a *refArray, dt refDType) *refArray {
	out := refZeros(dt, a.shape...)
	for i, x := range a.data {
		out.data[i] = refConvert(dt, x)
	}
	return out
}

// ---- construction ops of the API

// refFull is tensor.Full: value converted to dt.
func refFull(value float64, dt refDType, shape ...int) (*refArray, error) {
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("Full: negative dimension in shape %v", shape)
		}
	}
	out := refZeros(dt, shape...)
	for i := range out.data {
		out.data[i] = refConvert(dt, value)
	}
	return out, nil
}

// refArange is tensor.Arange with numpy.arange's length ceil((stop-start)/step); element i
// is start + i*step computed in float64 and then converted to dt.
func refArange(start, stop, step float64, dt refDType) (*refArray, error) {
	if step == 0 || math.IsNaN(step) || math.IsNaN(start) || math.IsNaN(stop) ||
		math.IsInf(start, 0) || math.IsInf(stop, 0) || math.IsInf(step, 0) {
		return nil, fmt.Errorf("Arange: bad range start %v stop %v step %v", start, stop, step)
	}
	n := int(math.Max(0, math.Ceil((stop-start)/step)))
	data := make([]float64, n)
	for i := range data {
		data[i] = start + float64(float64(i)*step) // rounded, then added: not fused on arm64
	}
	return newRef(dt, data, n), nil
}

// ---- comparison

// refClose reports whether got matches want within atol + rtol*|want|; NaN matches NaN and
// an infinity matches only the same infinity.
func refClose(got, want, rtol, atol float64) bool {
	if math.IsNaN(got) || math.IsNaN(want) {
		return math.IsNaN(got) && math.IsNaN(want)
	}
	if math.IsInf(got, 0) || math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= atol+rtol*math.Abs(want)
}

// refCompare returns the first flat index where got differs from want by more than
// atol + rtol*|want| (NaN equals NaN, equal infinities are equal), and ok=false; or
// (-1, true) when all match. When the lengths differ it reports the first index past the
// shorter of the two.
func refCompare(got []float64, want *refArray, rtol, atol float64) (idx int, ok bool) {
	n := min(len(got), len(want.data))
	for i := 0; i < n; i++ {
		if !refClose(got[i], want.data[i], rtol, atol) {
			return i, false
		}
	}
	if len(got) != len(want.data) {
		return n, false
	}
	return -1, true
}

package backendtest

// This file holds the conformance suite's driver: Run, the per-case context, the generation
// of inputs (random values suited to an op, special values, non-contiguous views), the
// upload of reference arrays as tensors on the device under test, and the comparison of
// a device's result with the reference.

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/tensor"
)

// Run runs the conformance suite on dev: every operation of the public tensor API, over
// many shapes (scalars, size-0 and size-1 dimensions, odd sizes around tile edges,
// broadcasting, non-contiguous views), every dtype that dev claims in its capabilities,
// and special values (NaN, ±Inf, ±0), each compared with the package's float64 reference.
//
// Subtests are named family/op/dtype/case, e.g.
// "elementwise/Add/float32/broadcast[2 1 3]x[4 3]", so that -run can select them. A panic in
// a case is reported as a failure of that case.
func Run(t *testing.T, dev backend.Device) {
	if dev == nil {
		t.Fatal("backendtest.Run: nil device")
	}
	s := newSuite(dev)
	t.Logf("conformance suite on device %q, dtypes %v", dev.Name(), s.dtypes)
	t.Run("construction", s.construction)
	t.Run("cast", s.cast)
	t.Run("elementwise", s.elementwise)
	t.Run("reduce", s.reductions)
	t.Run("matmul", s.matmul)
	t.Run("movement", s.movement)
	t.Run("nn", s.nn)
	t.Run("fused", s.fused)
	t.Run("concurrent", s.concurrent)
	t.Run("errors", s.errorCases)
}

// suite is the state shared by all cases of one Run.
type suite struct {
	dev    backend.Device
	dtypes []refDType // the dtypes dev claims, in refDTypes order
}

func newSuite(dev backend.Device) *suite {
	s := &suite{dev: dev}
	caps := dev.Capabilities()
	for _, d := range refDTypes {
		if caps.Supports(tensorDType(d)) {
			s.dtypes = append(s.dtypes, d)
		}
	}
	return s
}

// has reports whether the device claims dt.
func (s *suite) has(dt refDType) bool {
	for _, d := range s.dtypes {
		if d == dt {
			return true
		}
	}
	return false
}

// only returns the dtypes of want that the device claims.
func (s *suite) only(want ...refDType) []refDType {
	var out []refDType
	for _, d := range want {
		if s.has(d) {
			out = append(out, d)
		}
	}
	return out
}

// floats, ints: the float and integer dtypes the device claims.
func (s *suite) floats() []refDType { return s.only(refFloat16, refBFloat16, refFloat32, refFloat64) }
func (s *suite) ints() []refDType   { return s.only(refUint8, refInt32, refInt64) }

// numeric is every non-Bool dtype the device claims.
func (s *suite) numeric() []refDType {
	return s.only(refUint8, refInt32, refInt64, refFloat16, refBFloat16, refFloat32, refFloat64)
}

// tensorDType maps the reference's dtype to the tensor package's.
func tensorDType(d refDType) tensor.DType {
	switch d {
	case refBool:
		return tensor.Bool
	case refUint8:
		return tensor.Uint8
	case refInt32:
		return tensor.Int32
	case refInt64:
		return tensor.Int64
	case refFloat16:
		return tensor.Float16
	case refBFloat16:
		return tensor.BFloat16
	case refFloat32:
		return tensor.Float32
	case refFloat64:
		return tensor.Float64
	}
	panic(fmt.Sprintf("backendtest: no tensor dtype for %v", d))
}

// tc is the context of one case: its subtest, the suite and a random source seeded from the
// case's full name (so that a case sees the same values whether run alone or in the suite).
type tc struct {
	*testing.T
	s   *suite
	rng *rand.Rand
}

// run runs f as the subtest name of t. A panic in f is reported as a failure naming the
// case instead of crashing the test binary.
func (s *suite) run(t *testing.T, name string, f func(c *tc)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		h := fnv.New64a()
		h.Write([]byte(t.Name()))
		c := &tc{T: t, s: s, rng: rand.New(rand.NewPCG(h.Sum64(), 0x636f6e666f726d))}
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("%s: panic: %v\n%s", t.Name(), r, debug.Stack())
			}
		}()
		f(c)
	})
}

// ---- value generation

// randT is the random source of the cases.
type randT = rand.Rand

// gen draws one value for dtype dt. The value is converted to dt by newRef.
type gen func(r *rand.Rand, dt refDType) float64

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// intIn draws an integer in [lo, hi].
func intIn(r *rand.Rand, lo, hi int) float64 { return float64(lo + r.IntN(hi-lo+1)) }

// genGeneral: floats in [-4, 4]; Int32/Int64 in [-100, 100]; Uint8 in [0, 255]; Bool 0/1.
func genGeneral(r *rand.Rand, dt refDType) float64 {
	switch dt {
	case refBool:
		return float64(r.IntN(2))
	case refUint8:
		return intIn(r, 0, 255)
	case refInt32, refInt64:
		return intIn(r, -100, 100)
	}
	return uniform(r, -4, 4)
}

// genRange returns a generator of floats in [lo, hi] (integers: genGeneral).
func genRange(lo, hi float64) gen {
	return func(r *rand.Rand, dt refDType) float64 {
		if !dt.isFloat() {
			return genGeneral(r, dt)
		}
		return uniform(r, lo, hi)
	}
}

// genPositive: floats in [0.05, 5], integers in [1, 100].
func genPositive(r *rand.Rand, dt refDType) float64 {
	switch dt {
	case refBool:
		return 1
	case refUint8, refInt32, refInt64:
		return intIn(r, 1, 100)
	}
	return uniform(r, 0.05, 5)
}

// genNonzero: values whose magnitude is at least 0.25 (integers: nonzero, Uint8 in [1, 20],
// signed in [-20, 20]).
func genNonzero(r *rand.Rand, dt refDType) float64 {
	switch dt {
	case refBool:
		return 1
	case refUint8:
		return intIn(r, 1, 20)
	case refInt32, refInt64:
		v := intIn(r, 1, 20)
		if r.IntN(2) == 0 {
			v = -v
		}
		return v
	}
	v := uniform(r, 0.25, 4)
	if r.IntN(2) == 0 {
		v = -v
	}
	return v
}

// genSmall draws from a small set so that ties and equal elements are frequent: floats
// are multiples of 0.5 in [-2, 2], signed integers in [-3, 3], Uint8 in [0, 4], Bool 0/1.
func genSmall(r *rand.Rand, dt refDType) float64 {
	switch dt {
	case refBool:
		return float64(r.IntN(2))
	case refUint8:
		return intIn(r, 0, 4)
	case refInt32, refInt64:
		return intIn(r, -3, 3)
	}
	return intIn(r, -4, 4) / 2
}

// genNearOne keeps long products finite: floats in [0.7, 1.4]; integers mostly 1 with some
// -1 and 2 (Uint8: 1 and 2); Bool mostly true.
func genNearOne(r *rand.Rand, dt refDType) float64 {
	switch dt {
	case refBool:
		return float64(min(1, r.IntN(8)))
	case refUint8:
		if r.IntN(8) == 0 {
			return 2
		}
		return 1
	case refInt32, refInt64:
		switch r.IntN(10) {
		case 0:
			return -1
		case 1:
			return 2
		}
		return 1
	}
	return uniform(r, 0.7, 1.4)
}

// genRoundable: multiples of 0.25 in [-5, 5] (so halves test ties to even) mixed with
// arbitrary values.
func genRoundable(r *rand.Rand, dt refDType) float64 {
	if !dt.isFloat() {
		return genGeneral(r, dt)
	}
	if r.IntN(2) == 0 {
		return intIn(r, -20, 20) / 4
	}
	return uniform(r, -5, 5)
}

// genWide: Int32 across its whole range (so that Add/Sub/Mul wrap), Int64 within ±2^25
// (products stay exact in float64), Uint8 in [0, 255], floats as genGeneral.
func genWide(r *rand.Rand, dt refDType) float64 {
	switch dt {
	case refInt32:
		if r.IntN(4) == 0 {
			return float64(int32(r.Uint32()))
		}
		return intIn(r, -1000, 1000)
	case refInt64:
		if r.IntN(4) == 0 {
			return intIn(r, -1<<25, 1<<25)
		}
		return intIn(r, -1000, 1000)
	}
	return genGeneral(r, dt)
}

// floatSpecials are the special values used for float dtypes: NaN, ±Inf, ±0 and a few
// ordinary values around them.
func floatSpecials() []float64 {
	return []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), 1, -1, 0.5, -2.5, 3, 0.001, -7.25}
}

// ---- reference arrays and operands

// randRef makes a reference array of dtype dt and the given shape with values from g.
func (c *tc) randRef(dt refDType, shape []int, g gen) *refArray {
	data := make([]float64, refNumel(shape))
	for i := range data {
		data[i] = g(c.rng, dt)
	}
	return refFrom(dt, data, shape)
}

// refFrom is newRef that also accepts rank 0 (an empty shape).
func refFrom(dt refDType, data []float64, shape []int) *refArray {
	if len(shape) == 0 {
		if len(data) != 1 {
			panic(fmt.Sprintf("refFrom: %d values for a scalar", len(data)))
		}
		return refScalar(dt, data[0])
	}
	return newRef(dt, data, shape...)
}

// operand is an input of a case: the tensor on the device, the same values as a reference
// array, and a description for failure messages ("float32[3 2].T").
type operand struct {
	t    *tensor.Tensor
	ref  *refArray
	desc string
}

// upload makes a tensor on the device under test holding exactly the values of r, and
// realizes it there (so that views of it are views of a device buffer). Float16 and
// BFloat16 values are sent as float32 and cast, which is exact for values r holds.
func (c *tc) upload(r *refArray) *tensor.Tensor {
	n := len(r.data)
	shape := r.shape
	if shape == nil {
		shape = []int{} // rank 0, not tensor.New's 1-D default
	}
	var t *tensor.Tensor
	switch r.dt {
	case refBool:
		v := make([]bool, n)
		for i, x := range r.data {
			v[i] = x != 0
		}
		t = tensor.New(v, shape...)
	case refUint8:
		v := make([]uint8, n)
		for i, x := range r.data {
			v[i] = uint8(x)
		}
		t = tensor.New(v, shape...)
	case refInt32:
		v := make([]int32, n)
		for i, x := range r.data {
			v[i] = int32(x)
		}
		t = tensor.New(v, shape...)
	case refInt64:
		v := make([]int64, n)
		for i, x := range r.data {
			v[i] = int64(x)
		}
		t = tensor.New(v, shape...)
	case refFloat16, refBFloat16, refFloat32:
		v := make([]float32, n)
		for i, x := range r.data {
			v[i] = float32(x)
		}
		t = tensor.New(v, shape...)
		if r.dt != refFloat32 {
			t = t.Cast(tensorDType(r.dt))
		}
	case refFloat64:
		t = tensor.New(append([]float64{}, r.data...), shape...)
	}
	t = t.To(c.s.dev)
	if err := t.Realize(); err != nil {
		c.Fatalf("uploading input %v%v: %v", r.dt, r.shape, err)
	}
	return t
}

// opnd makes an operand from a reference array (a contiguous device tensor).
func (c *tc) opnd(r *refArray) operand {
	return operand{t: c.upload(r), ref: r, desc: fmt.Sprintf("%v%v", r.dt, r.shape)}
}

// view selects how an operand of a given shape is produced.
type view int

const (
	contiguous   view = iota
	viewT             // Transpose of a tensor of the reversed shape
	viewPermute       // Permute of a tensor (rank >= 3; else as viewT)
	viewSlice         // Slice(last axis, 1, 2n+1, 2) of a tensor twice as long
	viewNegSlice      // Slice(last axis, -1, -(2n+5), -2): a negative step
	viewFlip          // Flip of every axis
	viewExpand        // Expand of a tensor with a 1 (or a missing leading axis)
)

var viewNames = [...]string{"", "T", "permute", "slice", "negslice", "flip", "expand"}

func (v view) String() string { return viewNames[v] }

// input makes an operand of dtype dt and shape with values from g, produced through the
// view v (see view) so that the device reads non-contiguous memory.
func (c *tc) input(dt refDType, shape []int, g gen, v view) operand {
	r := len(shape)
	if r == 0 || (v == viewPermute && r < 2) {
		v = contiguous
	}
	switch v {
	case viewT, viewPermute:
		// Output axis i is base axis p[i]: Transpose reverses, Permute rotates left.
		p := make([]int, r)
		for i := range p {
			p[i] = r - 1 - i
			if v == viewPermute && r >= 3 {
				p[i] = (i + 1) % r
			}
		}
		base := make([]int, r)
		for i := range p {
			base[p[i]] = shape[i]
		}
		b := c.randRef(dt, base, g)
		bt := c.upload(b)
		if v == viewT {
			return operand{t: bt.Transpose(), ref: refTranspose(b), desc: fmt.Sprintf("%v%v.T", dt, base)}
		}
		ref, err := refPermute(b, p...)
		if err != nil {
			panic(err)
		}
		return operand{t: bt.Permute(p...), ref: ref, desc: fmt.Sprintf("%v%v.Permute%v", dt, base, p)}
	case viewSlice, viewNegSlice:
		ax := r - 1
		n := shape[ax]
		base := append([]int{}, shape...)
		start, stop, step := 1, 2*n+1, 2
		base[ax] = 2*n + 1
		if v == viewNegSlice {
			base[ax] = 2 * n
			start, stop, step = -1, -(2*n + 5), -2
		}
		b := c.randRef(dt, base, g)
		ref, err := refSlice(b, ax, start, stop, step)
		if err != nil {
			panic(err)
		}
		return operand{t: c.upload(b).Slice(ax, start, stop, step), ref: ref,
			desc: fmt.Sprintf("%v%v.Slice(%d,%d,%d,%d)", dt, base, ax, start, stop, step)}
	case viewFlip:
		b := c.randRef(dt, shape, g)
		ref, err := refFlip(b)
		if err != nil {
			panic(err)
		}
		return operand{t: c.upload(b).Flip(), ref: ref, desc: fmt.Sprintf("%v%v.Flip()", dt, shape)}
	case viewExpand:
		var base []int
		switch {
		case shape[0] != 1:
			base = append([]int{}, shape[1:]...) // left-padded rank
		default:
			base = append([]int{}, shape...)
			for i := range base {
				if base[i] != 1 {
					base[i] = 1
					break
				}
			}
		}
		b := c.randRef(dt, base, g)
		ref, err := refExpand(b, shape...)
		if err != nil {
			panic(err)
		}
		return operand{t: c.upload(b).Expand(shape...), ref: ref, desc: fmt.Sprintf("%v%v.Expand%v", dt, base, shape)}
	}
	return c.opnd(c.randRef(dt, shape, g))
}

// ---- reading results

// readF64 realizes t and returns its elements as float64 (Bool as 0/1).
func readF64(t *tensor.Tensor) ([]float64, error) {
	conv := func(n int, at func(int) float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = at(i)
		}
		return out
	}
	switch t.DType() {
	case tensor.Bool:
		d, err := tensor.Data[bool](t)
		return conv(len(d), func(i int) float64 { return refBool01(d[i]) }), err
	case tensor.Uint8:
		d, err := tensor.Data[uint8](t)
		return conv(len(d), func(i int) float64 { return float64(d[i]) }), err
	case tensor.Int32:
		d, err := tensor.Data[int32](t)
		return conv(len(d), func(i int) float64 { return float64(d[i]) }), err
	case tensor.Int64:
		d, err := tensor.Data[int64](t)
		return conv(len(d), func(i int) float64 { return float64(d[i]) }), err
	case tensor.Float16, tensor.BFloat16, tensor.Float32:
		d, err := tensor.Data[float32](t)
		return conv(len(d), func(i int) float64 { return float64(d[i]) }), err
	case tensor.Float64:
		return tensor.Data[float64](t)
	}
	if err := t.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("result has dtype %v", t.DType())
}

// ---- tolerances

// tol is a comparison tolerance: |got - want| <= atol + rtol*|want|.
type tol struct{ rtol, atol float64 }

var exact = tol{}

// baseTol is the relative precision expected of one operation in dt.
func baseTol(dt refDType) float64 {
	switch dt {
	case refFloat64:
		return 1e-12
	case refFloat32:
		return 1e-5
	case refFloat16, refBFloat16:
		return 1e-2
	}
	return 0
}

// tolElem is the tolerance of elementwise results of dtype dt: relative, with a small
// absolute part for results near zero reached by cancellation inside composite ops.
func tolElem(dt refDType) tol {
	switch dt {
	case refFloat64:
		return tol{1e-12, 1e-14}
	case refFloat32:
		return tol{1e-5, 1e-6}
	case refFloat16, refBFloat16:
		return tol{1e-2, 1e-2}
	}
	return exact
}

// tolAccum is the tolerance of a result that accumulates n terms whose magnitudes are up to
// scale (sums, matrix products, convolutions): the elementwise relative tolerance plus an
// absolute part that grows with sqrt(n).
func tolAccum(dt refDType, n int, scale float64) tol {
	if !dt.isFloat() {
		return exact
	}
	base := baseTol(dt)
	if dt == refFloat16 {
		base = 4e-3 // float16 keeps 11 bits; bfloat16 only 8
	}
	e := tolElem(dt)
	return tol{rtol: e.rtol, atol: max(e.atol, base*math.Sqrt(float64(max(n, 1)))*scale)}
}

// maxAbs is the largest finite magnitude in a (at least 1).
func maxAbs(a *refArray) float64 {
	m := 1.0
	for _, x := range a.data {
		if !math.IsInf(x, 0) && !math.IsNaN(x) {
			m = max(m, math.Abs(x))
		}
	}
	return m
}

// ---- checking

// describe lists operand descriptions for messages.
func describe(ins []operand) string {
	parts := make([]string, len(ins))
	for i, in := range ins {
		parts[i] = in.desc
	}
	return strings.Join(parts, ", ")
}

// check compares a device result with the reference: no error, the reference's shape and
// dtype, and every element within tl. op names the computation ("Add", "Sum(axes [0 2])").
func (c *tc) check(op string, ins []operand, got *tensor.Tensor, want *refArray, tl tol) {
	c.Helper()
	c.checkDesc(op, describe(ins), got, want, tl)
}

// checkDesc is check with the inputs already described.
func (c *tc) checkDesc(op, inputs string, got *tensor.Tensor, want *refArray, tl tol) {
	c.Helper()
	if got == nil {
		c.Errorf("%s(%s): nil tensor", op, inputs)
		return
	}
	if err := got.Err(); err != nil {
		c.Errorf("%s(%s): unexpected error: %v (want %v%v)", op, inputs, err, want.dt, want.shape)
		return
	}
	if !refSameShape(got.Shape(), want.shape) {
		c.Errorf("%s(%s): result is %v%v, want %v%v", op, inputs, got.DType(), got.Shape(), want.dt, want.shape)
		return
	}
	if got.DType() != tensorDType(want.dt) {
		// Reported, and the values are still compared.
		c.Errorf("%s(%s): result dtype is %v, want %v (shape %v)", op, inputs, got.DType(), want.dt, want.shape)
	}
	data, err := readF64(got)
	if err != nil {
		c.Errorf("%s(%s): reading the %v%v result: %v", op, inputs, want.dt, want.shape, err)
		return
	}
	if len(data) != len(want.data) {
		c.Errorf("%s(%s): %d elements read, want %d (%v%v)", op, inputs, len(data), len(want.data), want.dt, want.shape)
		return
	}
	if want.dt == refFloat16 || want.dt == refBFloat16 {
		// The reference rounds narrow float results to float32 only; the device stores them
		// in the narrow type, where large values overflow to ±Inf.
		w := refZeros(want.dt, want.shape...)
		for i, x := range want.data {
			w.data[i] = refConvert(want.dt, x)
		}
		want = w
	}
	idx, ok := refCompare(data, want, tl.rtol, tl.atol)
	if ok {
		return
	}
	bad := 0
	for i := range data {
		if !refClose(data[i], want.data[i], tl.rtol, tl.atol) {
			bad++
		}
	}
	c.Errorf("%s(%s) -> %v%v: element %s: got %v, want %v (%d of %d elements differ; rtol %g, atol %g)",
		op, inputs, want.dt, want.shape, refFormatIndex(idx, want.shape), data[idx], want.data[idx],
		bad, len(data), tl.rtol, tl.atol)
}

// checkErr checks that got carries an error that names op, that Realize and Data return
// it too, and that a tensor computed from got carries it as well.
func (c *tc) checkErr(op, what string, got *tensor.Tensor) {
	c.Helper()
	if got == nil {
		c.Errorf("%s: %s: nil tensor, want one carrying an error", op, what)
		return
	}
	err := got.Err()
	if err == nil {
		c.Errorf("%s: %s: no error (result %v%v)", op, what, got.DType(), got.Shape())
		return
	}
	if !strings.Contains(err.Error(), op) {
		c.Errorf("%s: %s: error %q does not name the operation %q", op, what, err, op)
	}
	if got.Realize() == nil {
		c.Errorf("%s: %s: Realize returned nil for a tensor with error %v", op, what, err)
	}
	if _, derr := tensor.Data[float32](got); derr == nil {
		c.Errorf("%s: %s: Data returned nil for a tensor with error %v", op, what, err)
	}
	if next := got.Neg(); next.Err() == nil {
		c.Errorf("%s: %s: a tensor computed from a failed one has no error", op, what)
	}
}

// sh is shorthand for a shape literal.
func sh(dims ...int) []int { return append([]int{}, dims...) }

// checkRef is check when the reference may have rejected the arguments: then got must carry
// an error naming name (the bare op name); label describes the call ("Sum(axes [0 2])").
func (c *tc) checkRef(name, label string, ins []operand, got *tensor.Tensor, want *refArray, refErr error, tl tol) {
	c.Helper()
	if refErr != nil {
		c.checkErr(name, fmt.Sprintf("%s(%s) (the reference says: %v)", label, describe(ins), refErr), got)
		return
	}
	c.check(label, ins, got, want, tl)
}

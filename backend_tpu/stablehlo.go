package backend_tpu

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/internal/half"
)

// This file emits StableHLO from scheduled kernels, as MLIR text in the generic operation
// syntax ("stablehlo.add"(%a, %b) : (...) -> ...), which every MLIR parser accepts whatever
// its dialects' custom assembly formats are. The module has one function, @main, whose
// arguments are the flat buffers read (tensor<N x dtype>, in the order of the kernels'
// inputs) and whose results are the flat buffers computed.
//
// Views become slice/pad/reshape/transpose/reverse/broadcast_in_dim of the flat buffer (see
// emitView); elementwise ops map to StableHLO elementwise ops, with selects where StableHLO's
// semantics differ from crossbar's (integer x/0 = 0, floored Mod, saturating float->int
// casts, integer powers with negative exponents); reductions become stablehlo.reduce,
// Contract stablehlo.dot_general with batch dimensions, Gather stablehlo.gather. The few
// functions StableHLO lacks (asin, acos, atan, sinh, cosh, erf) are CHLO ops, which PJRT
// plugins legalize as they do for JAX's modules.
//
// Dense integer-array attributes are written as array<i64: ...> (StableHLO >= 1.0, what
// current plugins parse). MLIR 15 spells those [:i64 ...]; the tests rewrite them for
// mlir-opt-15.

// errUnsupported wraps backend.ErrUnsupported with the reason.
func errUnsupported(format string, args ...any) error {
	return fmt.Errorf("stablehlo: %s: %w", fmt.Sprintf(format, args...), backend.ErrUnsupported)
}

// tensorType is the type of an SSA value.
type tensorType struct {
	dt    graph.DType
	shape []int
}

func elemType(dt graph.DType) string {
	switch dt {
	case graph.Bool:
		return "i1"
	case graph.Uint8:
		return "ui8"
	case graph.Int32:
		return "i32"
	case graph.Int64:
		return "i64"
	case graph.Float16:
		return "f16"
	case graph.BFloat16:
		return "bf16"
	case graph.Float32:
		return "f32"
	case graph.Float64:
		return "f64"
	}
	return "invalid"
}

func (t tensorType) String() string {
	var b strings.Builder
	b.WriteString("tensor<")
	for _, d := range t.shape {
		b.WriteString(strconv.Itoa(d))
		b.WriteByte('x')
	}
	b.WriteString(elemType(t.dt))
	b.WriteByte('>')
	return b.String()
}

// value is an SSA value with its type.
type value struct {
	name string
	t    tensorType
}

// emitter writes the body of one function.
type emitter struct {
	b      strings.Builder
	next   int
	indent string
	args   []value
	inputs []*graph.Node // the node of each argument
	// nodes maps buffers already available in the function (arguments, and outputs of
	// kernels emitted earlier in a subgraph) to their flat values.
	nodes map[*graph.Node]value
}

func newEmitter() *emitter {
	return &emitter{indent: "    ", nodes: map[*graph.Node]value{}}
}

func (e *emitter) fresh() string {
	n := "%" + strconv.Itoa(e.next)
	e.next++
	return n
}

// op emits one operation with a single result of type rt and returns the result.
func (e *emitter) op(name string, operands []value, attrs string, rt tensorType) value {
	r := value{name: e.fresh(), t: rt}
	e.b.WriteString(e.indent)
	e.b.WriteString(r.name)
	e.b.WriteString(" = \"")
	e.b.WriteString(name)
	e.b.WriteString("\"(")
	for i, o := range operands {
		if i > 0 {
			e.b.WriteString(", ")
		}
		e.b.WriteString(o.name)
	}
	e.b.WriteString(")")
	if attrs != "" {
		e.b.WriteString(" {")
		e.b.WriteString(attrs)
		e.b.WriteString("}")
	}
	e.b.WriteString(" : (")
	for i, o := range operands {
		if i > 0 {
			e.b.WriteString(", ")
		}
		e.b.WriteString(o.t.String())
	}
	e.b.WriteString(") -> ")
	e.b.WriteString(rt.String())
	e.b.WriteString("\n")
	return r
}

func i64Array(xs []int) string {
	if len(xs) == 0 {
		return "array<i64>"
	}
	var b strings.Builder
	b.WriteString("array<i64: ")
	for i, x := range xs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(x))
	}
	b.WriteByte('>')
	return b.String()
}

func intList(xs []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range xs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(x))
	}
	b.WriteByte(']')
	return b.String()
}

func seq(lo, hi int) []int {
	var s []int
	for i := lo; i < hi; i++ {
		s = append(s, i)
	}
	return s
}

func cloneInts(s []int) []int { return append([]int{}, s...) }

// literal formats a scalar of dtype dt as an MLIR dense element.
func literal(dt graph.DType, s graph.Scalar) string {
	switch dt {
	case graph.Bool:
		if s.I != 0 {
			return "true"
		}
		return "false"
	case graph.Uint8:
		return strconv.FormatInt(int64(uint8(s.I)), 10)
	case graph.Int32:
		return strconv.FormatInt(int64(int32(s.I)), 10)
	case graph.Int64:
		return strconv.FormatInt(s.I, 10)
	case graph.Float16:
		return fmt.Sprintf("0x%04X", half.Float16From(float32(s.F)))
	case graph.BFloat16:
		return fmt.Sprintf("0x%04X", half.BFloat16From(float32(s.F)))
	case graph.Float32:
		f := float32(s.F)
		if math.IsNaN(s.F) || math.IsInf(s.F, 0) || math.IsInf(float64(f), 0) {
			return fmt.Sprintf("0x%08X", math.Float32bits(f))
		}
		return floatLit(strconv.FormatFloat(float64(f), 'e', -1, 64)) // exact as a double
	}
	if math.IsNaN(s.F) || math.IsInf(s.F, 0) {
		return fmt.Sprintf("0x%016X", math.Float64bits(s.F))
	}
	return floatLit(strconv.FormatFloat(s.F, 'e', -1, 64))
}

// floatLit makes Go's shortest 'e' form an MLIR float literal, which needs a '.'.
func floatLit(s string) string {
	if strings.Contains(s, ".") {
		return s
	}
	i := strings.IndexByte(s, 'e')
	return s[:i] + ".0" + s[i:]
}

// scalarOf is the Scalar of v in dtype dt.
func scalarOf(dt graph.DType, v float64) graph.Scalar { return graph.ScalarOf(v, dt) }

// constant emits a scalar constant broadcast to shape.
func (e *emitter) constant(dt graph.DType, s graph.Scalar, shape []int) value {
	c := e.op("stablehlo.constant", nil, "value = dense<"+literal(dt, s)+"> : "+tensorType{dt: dt}.String(), tensorType{dt: dt})
	if len(shape) == 0 {
		return c
	}
	return e.op("stablehlo.broadcast_in_dim", []value{c}, "broadcast_dimensions = array<i64>", tensorType{dt, cloneInts(shape)})
}

func (e *emitter) constLike(x value, v float64) value {
	return e.constant(x.t.dt, scalarOf(x.t.dt, v), x.t.shape)
}

func (e *emitter) reshape(x value, shape []int) value {
	if equalInts(x.t.shape, shape) {
		return x
	}
	return e.op("stablehlo.reshape", []value{x}, "", tensorType{x.t.dt, cloneInts(shape)})
}

func equalInts(a, b []int) bool {
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

func (e *emitter) slice(x value, start, limit, strides []int) value {
	shape := make([]int, len(start))
	same := true
	for k := range start {
		shape[k] = 0
		if limit[k] > start[k] {
			shape[k] = (limit[k] - start[k] + strides[k] - 1) / strides[k]
		}
		if start[k] != 0 || limit[k] != x.t.shape[k] || strides[k] != 1 {
			same = false
		}
	}
	if same {
		return x
	}
	attrs := "start_indices = " + i64Array(start) + ", limit_indices = " + i64Array(limit) + ", strides = " + i64Array(strides)
	return e.op("stablehlo.slice", []value{x}, attrs, tensorType{x.t.dt, shape})
}

// pad pads x with zeros: lo[k] before and hi[k] after axis k (both >= 0).
func (e *emitter) pad(x value, lo, hi []int) value {
	any := false
	shape := cloneInts(x.t.shape)
	for k := range lo {
		shape[k] += lo[k] + hi[k]
		if lo[k] != 0 || hi[k] != 0 {
			any = true
		}
	}
	if !any {
		return x
	}
	z := e.constant(x.t.dt, graph.Scalar{}, nil)
	attrs := "edge_padding_low = " + i64Array(lo) + ", edge_padding_high = " + i64Array(hi) +
		", interior_padding = " + i64Array(make([]int, len(lo)))
	return e.op("stablehlo.pad", []value{x, z}, attrs, tensorType{x.t.dt, shape})
}

func (e *emitter) transpose(x value, perm []int) value {
	id := true
	shape := make([]int, len(perm))
	for k, p := range perm {
		shape[k] = x.t.shape[p]
		if p != k {
			id = false
		}
	}
	if id {
		return x
	}
	return e.op("stablehlo.transpose", []value{x}, "permutation = "+i64Array(perm), tensorType{x.t.dt, shape})
}

// --- views ---

// emitView reads the flat buffer buf (tensor<L>) through v, giving a tensor of v.Shape.
//
// The masked region is read as an unmasked view and padded with zeros; inside it, axes of
// size 1 and stride 0 are dropped (and restored by broadcast_in_dim at the end), negative
// strides are made positive (and reversed at the end), and the remaining axes, sorted by
// decreasing stride, are cut out of the buffer by nested slice/pad/reshape steps: the
// outermost axis takes rows of its stride from the buffer, each inner axis splits the row
// left by the axes outside it. Views whose axes interleave (an inner axis reaching past the
// stride of an outer one) are not produced by crossbar's movement ops and are unsupported.
func (e *emitter) emitView(buf value, v graph.View) (value, error) {
	dt := buf.t.dt
	r := len(v.Shape)
	L := buf.t.shape[0]
	if graph.NumElements(v.Shape) == 0 {
		return e.constant(dt, graph.Scalar{}, v.Shape), nil
	}
	lo := make([]int, r)
	hi := make([]int, r)
	inner := make([]int, r) // shape of the valid box
	off := v.Offset
	for k := range v.Shape {
		m := [2]int{0, v.Shape[k]}
		if v.Mask != nil {
			m = v.Mask[k]
		}
		if m[0] >= m[1] {
			return e.constant(dt, graph.Scalar{}, v.Shape), nil
		}
		lo[k], hi[k] = m[0], v.Shape[k]-m[1]
		inner[k] = m[1] - m[0]
		off += m[0] * v.Strides[k]
	}
	// Axes that read the buffer.
	type axis struct{ k, d, s int }
	var axes []axis
	flip := []int{}
	for k, d := range inner {
		s := v.Strides[k]
		if d == 1 || s == 0 {
			continue
		}
		if s < 0 {
			off += (d - 1) * s
			s = -s
			flip = append(flip, k)
		}
		axes = append(axes, axis{k, d, s})
	}
	// Sort by decreasing stride (insertion sort; ranks are small).
	for i := 1; i < len(axes); i++ {
		for j := i; j > 0 && axes[j].s > axes[j-1].s; j-- {
			axes[j], axes[j-1] = axes[j-1], axes[j]
		}
	}
	m := len(axes)
	// span[j]: buffer elements covered by axes j.. (1 for none).
	span := make([]int, m+1)
	span[m] = 1
	for j := m - 1; j >= 0; j-- {
		span[j] = (axes[j].d-1)*axes[j].s + span[j+1]
		if j > 0 && span[j] > axes[j-1].s {
			return value{}, errUnsupported("view %v: axes interleave", v)
		}
	}
	if off < 0 || off+span[0] > L {
		return value{}, errUnsupported("view %v reads outside its buffer of %d elements", v, L)
	}
	var x value
	if m == 0 {
		x = e.reshape(e.slice(buf, []int{off}, []int{off + 1}, []int{1}), nil)
	} else {
		// Rows of the outermost stride, padded at the end where the last row passes the
		// buffer's end.
		rowLen := axes[0].s
		if m == 1 {
			rowLen = 1
		}
		need := axes[0].d * rowLen
		if m == 1 {
			// One axis: a strided slice.
			x = e.slice(buf, []int{off}, []int{off + span[0]}, []int{axes[0].s})
		} else {
			end := min(L, off+need)
			x = e.slice(buf, []int{off}, []int{end}, []int{1})
			x = e.pad(x, []int{0}, []int{need - (end - off)})
			shape := []int{axes[0].d, rowLen}
			x = e.reshape(x, shape)
			for j := 1; j < m; j++ {
				// x: [d_0 .. d_{j-1}, row]; keep the span of axes j.. of each row.
				rank := len(x.t.shape)
				start := make([]int, rank)
				limit := cloneInts(x.t.shape)
				stride := make([]int, rank)
				for q := range stride {
					stride[q] = 1
				}
				if j == m-1 {
					// Last axis: a strided slice of the row.
					limit[rank-1] = span[j]
					stride[rank-1] = axes[j].s
					x = e.slice(x, start, limit, stride)
					break
				}
				limit[rank-1] = span[j]
				x = e.slice(x, start, limit, stride)
				padHi := make([]int, rank)
				padHi[rank-1] = axes[j].d*axes[j].s - span[j]
				x = e.pad(x, make([]int, rank), padHi)
				ns := append(cloneInts(x.t.shape[:rank-1]), axes[j].d, axes[j].s)
				x = e.reshape(x, ns)
			}
		}
		// x has the axes in sorted order: transpose them into view order.
		order := make([]int, m) // order[i]: position in x of the i-th axis in view order
		byK := make([]int, m)
		for i := range axes {
			byK[i] = i
		}
		// Sort indices of axes by k.
		for i := 1; i < m; i++ {
			for j := i; j > 0 && axes[byK[j]].k < axes[byK[j-1]].k; j-- {
				byK[j], byK[j-1] = byK[j-1], byK[j]
			}
		}
		copy(order, byK)
		x = e.transpose(x, order)
	}
	// Reverse flipped axes (positions among the kept axes, in view order).
	if len(flip) > 0 {
		var dims []int
		pos := 0
		for k, d := range inner {
			if d == 1 || v.Strides[k] == 0 {
				continue
			}
			for _, f := range flip {
				if f == k {
					dims = append(dims, pos)
				}
			}
			pos++
		}
		x = e.op("stablehlo.reverse", []value{x}, "dimensions = "+i64Array(dims), x.t)
	}
	// Broadcast to the valid box.
	var bdims []int
	for k, d := range inner {
		if d == 1 || v.Strides[k] == 0 {
			continue
		}
		bdims = append(bdims, k)
	}
	if !equalInts(x.t.shape, inner) {
		if len(bdims) == len(inner) {
			x = e.reshape(x, inner)
		} else {
			x = e.op("stablehlo.broadcast_in_dim", []value{x}, "broadcast_dimensions = "+i64Array(bdims), tensorType{dt, cloneInts(inner)})
		}
	}
	return e.pad(x, lo, hi), nil
}

// constView is a constant read through a view: the constant inside the mask, zero outside.
func (e *emitter) constView(dt graph.DType, c graph.Scalar, v graph.View) value {
	if graph.NumElements(v.Shape) == 0 {
		return e.constant(dt, graph.Scalar{}, v.Shape)
	}
	lo := make([]int, len(v.Shape))
	hi := make([]int, len(v.Shape))
	inner := make([]int, len(v.Shape))
	for k, d := range v.Shape {
		m := [2]int{0, d}
		if v.Mask != nil {
			m = v.Mask[k]
		}
		if m[0] >= m[1] {
			return e.constant(dt, graph.Scalar{}, v.Shape)
		}
		lo[k], hi[k], inner[k] = m[0], d-m[1], m[1]-m[0]
	}
	return e.pad(e.constant(dt, c, inner), lo, hi)
}

// --- kernels ---

// kernelEmitter emits one kernel into a function.
type kernelEmitter struct {
	*emitter
	k    *graph.Kernel
	ins  []value // flat input buffers, by Kernel.Inputs index
	core *value
	// done holds the values of the computing nodes emitted so far: a node that several
	// others read (see graph.Expr) is emitted once.
	done map[*graph.Expr]value
}

// emitKernel emits k, reading its inputs from e.nodes (adding function arguments for inputs
// not there yet), and records its flat output as e.nodes[k.Out].
func (e *emitter) emitKernel(k *graph.Kernel) (value, error) {
	ke := &kernelEmitter{emitter: e, k: k}
	for _, in := range k.Inputs {
		v, ok := e.nodes[in]
		if !ok {
			v = value{name: "%arg" + strconv.Itoa(len(e.args)), t: tensorType{in.DType, []int{in.Numel()}}}
			e.args = append(e.args, v)
			e.inputs = append(e.inputs, in)
			e.nodes[in] = v
		}
		ke.ins = append(ke.ins, v)
	}
	if c := k.Core; c != nil {
		cv, err := ke.emitCore(c)
		if err != nil {
			return value{}, err
		}
		if graph.NumElements(cv.t.shape) == graph.NumElements(k.Shape) {
			cv = e.reshape(cv, k.Shape)
		}
		ke.core = &cv
	}
	out, err := ke.expr(k.Expr, k.Shape)
	if err != nil {
		return value{}, err
	}
	if !equalInts(out.t.shape, k.Shape) {
		return value{}, errUnsupported("kernel result of shape %v over %v", out.t.shape, k.Shape)
	}
	if out.t.dt != k.Out.DType {
		return value{}, errUnsupported("kernel result %v for output %v", out.t.dt, k.Out.DType)
	}
	flat := e.reshape(out, []int{k.Out.Numel()})
	e.nodes[k.Out] = flat
	return flat, nil
}

// expr emits x, an expression over shape.
func (ke *kernelEmitter) expr(x *graph.Expr, shape []int) (value, error) {
	if (x.Op == graph.OpLoad || x.Op == graph.OpConst) && !equalInts(x.View.Shape, shape) {
		return value{}, errUnsupported("%v of shape %v in an expression over %v", x.Op, x.View.Shape, shape)
	}
	switch x.Op {
	case graph.OpLoad:
		if x.Input < 0 || x.Input >= len(ke.ins) {
			return value{}, errUnsupported("load of input %d of %d", x.Input, len(ke.ins))
		}
		buf := ke.ins[x.Input]
		if buf.t.dt != x.DType {
			return value{}, errUnsupported("load of %v from a %v buffer", x.DType, buf.t.dt)
		}
		return ke.emitView(buf, x.View)
	case graph.OpConst:
		return ke.constView(x.DType, x.Const, x.View), nil
	case graph.OpCoreValue:
		if ke.core == nil {
			return value{}, errUnsupported("core value in a kernel without a core")
		}
		return *ke.core, nil
	}
	if v, ok := ke.done[x]; ok && equalInts(v.t.shape, shape) {
		return v, nil
	}
	var src []value
	for _, s := range x.Src {
		v, err := ke.expr(s, shape)
		if err != nil {
			return value{}, err
		}
		src = append(src, v)
	}
	v, err := ke.elementwise(x.Op, x.DType, src)
	if err != nil {
		return value{}, err
	}
	if ke.done == nil {
		ke.done = map[*graph.Expr]value{}
	}
	ke.done[x] = v
	return v, nil
}

func isFloat(v value) bool { return v.t.dt.IsFloat() }

func (e *emitter) unop(name string, x value) value {
	return e.op(name, []value{x}, "", x.t)
}

func (e *emitter) binop(name string, a, b value) value {
	return e.op(name, []value{a, b}, "", a.t)
}

func (e *emitter) compare(dir string, a, b value) value {
	ct := "SIGNED"
	switch {
	case a.t.dt.IsFloat():
		ct = "FLOAT"
	case a.t.dt == graph.Bool || a.t.dt == graph.Uint8:
		ct = "UNSIGNED"
	}
	attrs := "comparison_direction = #stablehlo<comparison_direction " + dir + ">, compare_type = #stablehlo<comparison_type " + ct + ">"
	return e.op("stablehlo.compare", []value{a, b}, attrs, tensorType{graph.Bool, a.t.shape})
}

func (e *emitter) sel(c, a, b value) value {
	return e.op("stablehlo.select", []value{c, a, b}, "", a.t)
}

func (e *emitter) convert(x value, dt graph.DType) value {
	if x.t.dt == dt {
		return x
	}
	return e.op("stablehlo.convert", []value{x}, "", tensorType{dt, x.t.shape})
}

// safeDivisor returns (b == 0, b with zeros replaced by ones) for integer division.
func (e *emitter) safeDivisor(b value) (value, value) {
	zero := e.constLike(b, 0)
	isZero := e.compare("EQ", b, zero)
	return isZero, e.sel(isZero, e.constLike(b, 1), b)
}

// elementwise emits op over operands of one shape, giving dtype dt.
func (ke *kernelEmitter) elementwise(op graph.Op, dt graph.DType, src []value) (value, error) {
	e := ke.emitter
	want := 1
	switch {
	case op.IsBinary():
		want = 2
	case op.IsTernary():
		want = 3
	case op.IsUnary():
	default:
		return value{}, errUnsupported("op %v in a kernel expression", op)
	}
	if len(src) != want {
		return value{}, errUnsupported("%v with %d operands", op, len(src))
	}
	x := src[0]
	for _, s := range src[1:] {
		if !equalInts(s.t.shape, x.t.shape) {
			return value{}, errUnsupported("%v of shapes %v and %v", op, x.t.shape, s.t.shape)
		}
	}
	fl := isFloat(x)
	if op == graph.OpCast {
		return e.cast(x, dt), nil
	}
	if op.IsUnary() {
		if !fl && op.FloatOnly() {
			return value{}, errUnsupported("%v of %v", op, x.t.dt)
		}
		switch op {
		case graph.OpCopy:
			return x, nil
		case graph.OpNeg:
			if x.t.dt == graph.Bool {
				return x, nil
			}
			return e.unop("stablehlo.negate", x), nil
		case graph.OpNot:
			if fl {
				return e.sel(e.compare("EQ", x, e.constLike(x, 0)), e.constLike(x, 1), e.constLike(x, 0)), nil
			}
			return e.unop("stablehlo.not", x), nil
		case graph.OpAbs:
			if x.t.dt == graph.Bool || x.t.dt == graph.Uint8 {
				return x, nil
			}
			return e.unop("stablehlo.abs", x), nil
		case graph.OpReciprocal:
			if fl {
				return e.binop("stablehlo.divide", e.constLike(x, 1), x), nil
			}
			isZero, safe := e.safeDivisor(x)
			q := e.binop("stablehlo.divide", e.constLike(x, 1), safe)
			return e.sel(isZero, e.constLike(x, 0), q), nil
		case graph.OpTrunc, graph.OpFloor, graph.OpCeil, graph.OpRound:
			if !fl {
				return x, nil
			}
			switch op {
			case graph.OpFloor:
				return e.unop("stablehlo.floor", x), nil
			case graph.OpCeil:
				return e.unop("stablehlo.ceil", x), nil
			case graph.OpRound:
				return e.unop("stablehlo.round_nearest_even", x), nil
			}
			neg := e.compare("LT", x, e.constLike(x, 0))
			return e.sel(neg, e.unop("stablehlo.ceil", x), e.unop("stablehlo.floor", x)), nil
		case graph.OpSqrt:
			return e.unop("stablehlo.sqrt", x), nil
		case graph.OpExp:
			return e.unop("stablehlo.exponential", x), nil
		case graph.OpExp2:
			return e.binop("stablehlo.power", e.constLike(x, 2), x), nil
		case graph.OpLog:
			return e.unop("stablehlo.log", x), nil
		case graph.OpLog2:
			return e.binop("stablehlo.divide", e.unop("stablehlo.log", x), e.constLike(x, math.Ln2)), nil
		case graph.OpSin:
			return e.unop("stablehlo.sine", x), nil
		case graph.OpCos:
			return e.unop("stablehlo.cosine", x), nil
		case graph.OpTan:
			return e.unop("stablehlo.tan", x), nil
		case graph.OpTanh:
			return e.unop("stablehlo.tanh", x), nil
		case graph.OpAsin:
			return e.unop("chlo.asin", x), nil
		case graph.OpAcos:
			return e.unop("chlo.acos", x), nil
		case graph.OpAtan:
			return e.unop("chlo.atan", x), nil
		case graph.OpSinh:
			return e.unop("chlo.sinh", x), nil
		case graph.OpCosh:
			return e.unop("chlo.cosh", x), nil
		case graph.OpErf:
			return e.unop("chlo.erf", x), nil
		}
		return value{}, errUnsupported("unary %v", op)
	}
	if op.IsTernary() {
		a, b := src[1], src[2]
		if op == graph.OpWhere {
			if x.t.dt != graph.Bool || a.t.dt != b.t.dt {
				return value{}, errUnsupported("where of %v, %v, %v", x.t.dt, a.t.dt, b.t.dt)
			}
			return e.sel(x, a, b), nil
		}
		if x.t.dt == graph.Bool {
			return value{}, errUnsupported("muladd of bool")
		}
		return e.binop("stablehlo.add", e.binop("stablehlo.multiply", x, a), b), nil
	}
	y := src[1]
	if x.t.dt != y.t.dt {
		return value{}, errUnsupported("%v of %v and %v", op, x.t.dt, y.t.dt)
	}
	if op.IsCompare() {
		dir := map[graph.Op]string{graph.OpCmpLT: "LT", graph.OpCmpLE: "LE", graph.OpCmpEQ: "EQ", graph.OpCmpNE: "NE"}[op]
		return e.compare(dir, x, y), nil
	}
	if x.t.dt == graph.Bool {
		switch op {
		case graph.OpAdd, graph.OpMax, graph.OpOr:
			return e.binop("stablehlo.or", x, y), nil
		case graph.OpMul, graph.OpMin, graph.OpAnd:
			return e.binop("stablehlo.and", x, y), nil
		case graph.OpXor, graph.OpSub:
			return e.binop("stablehlo.xor", x, y), nil
		}
		return value{}, errUnsupported("%v of bool", op)
	}
	switch op {
	case graph.OpAdd:
		return e.binop("stablehlo.add", x, y), nil
	case graph.OpSub:
		return e.binop("stablehlo.subtract", x, y), nil
	case graph.OpMul:
		return e.binop("stablehlo.multiply", x, y), nil
	case graph.OpMax:
		return e.binop("stablehlo.maximum", x, y), nil
	case graph.OpMin:
		return e.binop("stablehlo.minimum", x, y), nil
	case graph.OpAnd, graph.OpOr, graph.OpXor:
		if fl {
			return value{}, errUnsupported("%v of %v", op, x.t.dt)
		}
		return e.binop("stablehlo."+op.String(), x, y), nil
	case graph.OpDiv, graph.OpRem, graph.OpMod:
		name := "stablehlo.divide"
		if op != graph.OpDiv {
			name = "stablehlo.remainder"
		}
		var r, isZero value
		if fl {
			r = e.binop(name, x, y)
		} else {
			var safe value
			isZero, safe = e.safeDivisor(y)
			r = e.binop(name, x, safe)
		}
		if op == graph.OpMod && x.t.dt != graph.Uint8 {
			// Floored: r != 0 and sign(r) != sign(y) -> r + y.
			zero := e.constLike(x, 0)
			nz := e.compare("NE", r, zero)
			rneg := e.compare("LT", r, zero)
			yneg := e.compare("LT", y, zero)
			diff := e.binop("stablehlo.xor", rneg, yneg)
			fix := e.binop("stablehlo.and", nz, diff)
			r = e.sel(fix, e.binop("stablehlo.add", r, y), r)
		}
		if !fl {
			r = e.sel(isZero, e.constLike(x, 0), r)
		}
		return r, nil
	case graph.OpPow:
		p := e.binop("stablehlo.power", x, y)
		if fl || x.t.dt == graph.Uint8 {
			return p, nil
		}
		// Negative exponents: 1/x**|y| truncated: 1 for x = 1, ±1 for x = -1, else 0.
		zero, one := e.constLike(x, 0), e.constLike(x, 1)
		minusOne := e.constLike(x, -1)
		yneg := e.compare("LT", y, zero)
		odd := e.compare("NE", e.binop("stablehlo.and", y, one), zero)
		m1 := e.sel(odd, minusOne, one)
		negRes := e.sel(e.compare("EQ", x, one), one, e.sel(e.compare("EQ", x, minusOne), m1, zero))
		return e.sel(yneg, negRes, p), nil
	}
	return value{}, errUnsupported("binary %v", op)
}

// cast converts x to dt with crossbar's semantics: to Bool is x != 0; floats to integers
// truncate toward zero, NaN gives 0 and out-of-range values saturate to int64 before
// wrapping to the target width.
func (e *emitter) cast(x value, dt graph.DType) value {
	if x.t.dt == dt {
		return x
	}
	if dt == graph.Bool {
		return e.compare("NE", x, e.constLike(x, 0))
	}
	if !x.t.dt.IsFloat() || dt.IsFloat() {
		return e.convert(x, dt)
	}
	// Compare in float32 (or float64): 2^63 is exact in both, and TPUs have no float64.
	f := x
	if x.t.dt == graph.Float16 || x.t.dt == graph.BFloat16 {
		f = e.convert(x, graph.Float32)
	}
	lim := math.Ldexp(1, 63)
	hiC := e.constant(f.t.dt, graph.Scalar{F: lim}, f.t.shape)
	loC := e.constant(f.t.dt, graph.Scalar{F: -lim}, f.t.shape)
	tooHi := e.compare("GE", f, hiC)
	tooLo := e.compare("LE", f, loC)
	isNaN := e.compare("NE", f, f)
	bad := e.binop("stablehlo.or", e.binop("stablehlo.or", tooHi, tooLo), isNaN)
	safe := e.sel(bad, e.constLike(f, 0), f)
	i := e.convert(safe, graph.Int64)
	i = e.sel(tooHi, e.constant(graph.Int64, graph.Scalar{I: math.MaxInt64}, f.t.shape), i)
	i = e.sel(tooLo, e.constant(graph.Int64, graph.Scalar{I: math.MinInt64}, f.t.shape), i)
	return e.convert(i, dt)
}

// --- cores ---

func (ke *kernelEmitter) emitCore(c *graph.Core) (value, error) {
	switch {
	case c.Op.IsReduce():
		return ke.reduce(c)
	case c.Op == graph.OpContract:
		return ke.contract(c)
	case c.Op == graph.OpGather:
		return ke.gather(c)
	}
	return value{}, errUnsupported("core %v", c.Op)
}

func reduceIdentity(op graph.Op, dt graph.DType) graph.Scalar {
	switch op {
	case graph.OpProd:
		return scalarOf(dt, 1)
	case graph.OpReduceMax:
		switch {
		case dt.IsFloat():
			return graph.Scalar{F: math.Inf(-1)}
		case dt == graph.Int32:
			return graph.Scalar{I: math.MinInt32}
		case dt == graph.Int64:
			return graph.Scalar{I: math.MinInt64}
		}
		return graph.Scalar{}
	case graph.OpReduceMin:
		switch {
		case dt.IsFloat():
			return graph.Scalar{F: math.Inf(1)}
		case dt == graph.Int32:
			return graph.Scalar{I: math.MaxInt32}
		case dt == graph.Int64:
			return graph.Scalar{I: math.MaxInt64}
		case dt == graph.Uint8:
			return graph.Scalar{I: 255}
		}
		return graph.Scalar{I: 1}
	}
	return graph.Scalar{}
}

func reduceBody(op graph.Op, dt graph.DType) (string, error) {
	switch op {
	case graph.OpSum:
		if dt == graph.Bool {
			return "stablehlo.or", nil
		}
		return "stablehlo.add", nil
	case graph.OpProd:
		if dt == graph.Bool {
			return "stablehlo.and", nil
		}
		return "stablehlo.multiply", nil
	case graph.OpReduceMax:
		if dt == graph.Bool {
			return "stablehlo.or", nil
		}
		return "stablehlo.maximum", nil
	case graph.OpReduceMin:
		if dt == graph.Bool {
			return "stablehlo.and", nil
		}
		return "stablehlo.minimum", nil
	}
	return "", errUnsupported("reduction %v", op)
}

// reduceOp emits stablehlo.reduce of x over dims, giving the shape without those dims.
func (e *emitter) reduceOp(op graph.Op, x value, dims []int) (value, error) {
	dt := x.t.dt
	body, err := reduceBody(op, dt)
	if err != nil {
		return value{}, err
	}
	init := e.constant(dt, reduceIdentity(op, dt), nil)
	red := map[int]bool{}
	for _, d := range dims {
		red[d] = true
	}
	var shape []int
	for k, d := range x.t.shape {
		if !red[k] {
			shape = append(shape, d)
		}
	}
	st := tensorType{dt: dt}
	r := value{name: e.fresh(), t: tensorType{dt, shape}}
	a, b, s := e.fresh(), e.fresh(), e.fresh()
	in := e.indent
	fmt.Fprintf(&e.b, "%s%s = \"stablehlo.reduce\"(%s, %s) ({\n", in, r.name, x.name, init.name)
	fmt.Fprintf(&e.b, "%s^bb0(%s: %s, %s: %s):\n", in, a, st, b, st)
	fmt.Fprintf(&e.b, "%s  %s = \"%s\"(%s, %s) : (%s, %s) -> %s\n", in, s, body, a, b, st, st, st)
	fmt.Fprintf(&e.b, "%s  \"stablehlo.return\"(%s) : (%s) -> ()\n", in, s, st)
	fmt.Fprintf(&e.b, "%s}) {dimensions = %s} : (%s, %s) -> %s\n", in, i64Array(dims), x.t, init.t, r.t)
	return r, nil
}

func (ke *kernelEmitter) reduce(c *graph.Core) (value, error) {
	if len(c.Src) != 1 {
		return value{}, errUnsupported("reduction with %d sources", len(c.Src))
	}
	x, err := ke.expr(c.Src[0], c.InShape)
	if err != nil {
		return value{}, err
	}
	x = ke.convert(x, c.DType)
	r, err := ke.reduceOp(c.Op, x, c.Axes)
	if err != nil {
		return value{}, err
	}
	return ke.reshape(r, c.Shape), nil
}

func (ke *kernelEmitter) contract(c *graph.Core) (value, error) {
	if len(c.Src) != 2 {
		return value{}, errUnsupported("contract with %d sources", len(c.Src))
	}
	a, err := ke.expr(c.Src[0], c.Src[0].View.Shape)
	if err != nil {
		return value{}, err
	}
	b, err := ke.expr(c.Src[1], c.Src[1].View.Shape)
	if err != nil {
		return value{}, err
	}
	r := len(a.t.shape)
	if r < 2 || len(b.t.shape) != r || len(c.Shape) != r {
		return value{}, errUnsupported("contract of %v and %v", a.t.shape, b.t.shape)
	}
	dt := c.DType
	if dt == graph.Bool {
		// A Bool product is "any a and b": count in int32 and compare.
		a, b = ke.convert(a, graph.Int32), ke.convert(b, graph.Int32)
	}
	batch := seq(0, r-2)
	dn := "#stablehlo.dot<"
	if len(batch) > 0 {
		dn += "lhs_batching_dimensions = " + intList(batch) + ", rhs_batching_dimensions = " + intList(batch) + ", "
	}
	dn += "lhs_contracting_dimensions = [" + strconv.Itoa(r-1) + "], rhs_contracting_dimensions = [" + strconv.Itoa(r-2) + "]>"
	shape := append(cloneInts(a.t.shape[:r-1]), b.t.shape[r-1])
	out := ke.op("stablehlo.dot_general", []value{a, b}, "dot_dimension_numbers = "+dn, tensorType{a.t.dt, shape})
	if dt == graph.Bool {
		out = ke.compare("NE", out, ke.constLike(out, 0))
	}
	return out, nil
}

// gather: out = src[:axis] + indices.shape + src[axis+1:]. Negative indices wrap once;
// out-of-range indices are clamped by StableHLO (the CPU device reports an error instead).
func (ke *kernelEmitter) gather(c *graph.Core) (value, error) {
	if len(c.Src) != 2 || len(c.Axes) != 1 {
		return value{}, errUnsupported("gather with %d sources", len(c.Src))
	}
	src, err := ke.expr(c.Src[0], c.Src[0].View.Shape)
	if err != nil {
		return value{}, err
	}
	idx, err := ke.expr(c.Src[1], c.Src[1].View.Shape)
	if err != nil {
		return value{}, err
	}
	if idx.t.dt != graph.Int32 && idx.t.dt != graph.Int64 {
		return value{}, errUnsupported("gather indices of %v", idx.t.dt)
	}
	axis := c.Axes[0]
	R := len(src.t.shape)
	if axis < 0 || axis >= R {
		return value{}, errUnsupported("gather axis %d of %v", axis, src.t.shape)
	}
	A := src.t.shape[axis]
	neg := ke.compare("LT", idx, ke.constLike(idx, 0))
	wrapped := ke.sel(neg, ke.binop("stablehlo.add", idx, ke.constant(idx.t.dt, scalarOf(idx.t.dt, float64(A)), idx.t.shape)), idx)
	q := len(idx.t.shape)
	wrapped = ke.reshape(wrapped, append(cloneInts(idx.t.shape), 1))
	var offsetDims []int
	for d := 0; d < axis; d++ {
		offsetDims = append(offsetDims, d)
	}
	for d := axis + 1; d < R; d++ {
		offsetDims = append(offsetDims, d-1+q)
	}
	sizes := cloneInts(src.t.shape)
	sizes[axis] = 1
	shape := append(append(cloneInts(src.t.shape[:axis]), idx.t.shape...), src.t.shape[axis+1:]...)
	if graph.NumElements(shape) == 0 {
		return ke.constant(src.t.dt, graph.Scalar{}, shape), nil
	}
	if A == 0 {
		// Every index is out of range, and a slice of size 1 does not fit the axis: the CPU
		// reports the error.
		return value{}, errUnsupported("gather of %v indices from axis %d of %v, which is empty", idx.t.shape, axis, src.t.shape)
	}
	dn := "#stablehlo.gather<"
	if len(offsetDims) > 0 {
		dn += "offset_dims = " + intList(offsetDims) + ", "
	}
	dn += "collapsed_slice_dims = [" + strconv.Itoa(axis) + "], start_index_map = [" + strconv.Itoa(axis) +
		"], index_vector_dim = " + strconv.Itoa(q) + ">"
	attrs := "dimension_numbers = " + dn + ", slice_sizes = " + i64Array(sizes) + ", indices_are_sorted = false"
	return ke.op("stablehlo.gather", []value{src, wrapped}, attrs, tensorType{src.t.dt, shape}), nil
}

// --- modules ---

// Module is an emitted StableHLO module.
type Module struct {
	Text    string        // MLIR, generic syntax
	Inputs  []*graph.Node // the buffers @main takes, in argument order
	Outputs []*graph.Node // the buffers @main returns, in result order
}

// EmitKernel emits the StableHLO module computing one scheduled kernel: @main takes the
// kernel's inputs as flat buffers and returns its flat output.
func EmitKernel(k *graph.Kernel) (*Module, error) {
	return EmitSubgraph([]*graph.Kernel{k}, []*graph.Node{k.Out})
}

// EmitSubgraph emits one module for a sequence of scheduled kernels (in schedule order):
// kernels read the outputs of earlier kernels of the sequence directly, other inputs become
// arguments, and @main returns the outputs of the nodes in outs. This is the unit a
// graph-level device compiles; XLA then does its own fusion.
func EmitSubgraph(kernels []*graph.Kernel, outs []*graph.Node) (m *Module, err error) {
	defer func() {
		// A malformed kernel must not take the program down.
		if r := recover(); r != nil {
			m, err = nil, errUnsupported("emitter panic: %v", r)
		}
	}()
	e := newEmitter()
	for _, k := range kernels {
		if k == nil || k.Out == nil || k.Expr == nil {
			return nil, errUnsupported("incomplete kernel")
		}
		for _, dt := range append([]graph.DType{k.Out.DType}, inputDTypes(k)...) {
			if !dt.Valid() {
				return nil, errUnsupported("dtype %v", dt)
			}
		}
		if _, err := e.emitKernel(k); err != nil {
			return nil, err
		}
	}
	var results []value
	for _, o := range outs {
		v, ok := e.nodes[o]
		if !ok {
			return nil, errUnsupported("output %v%v is not computed by the subgraph", o.DType, o.Shape)
		}
		results = append(results, v)
	}
	// The arguments are recorded as they are added: a kernel that copies its input computes
	// the very value of the argument, so the value does not tell the nodes apart.
	mod := &Module{Inputs: e.inputs, Outputs: outs}
	var b strings.Builder
	b.WriteString("\"builtin.module\"() ({\n  \"func.func\"() ({\n  ^bb0(")
	var argTypes []string
	for i, a := range e.args {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %s", a.name, a.t)
		argTypes = append(argTypes, a.t.String())
	}
	b.WriteString("):\n")
	b.WriteString(e.b.String())
	var names, types []string
	for _, r := range results {
		names = append(names, r.name)
		types = append(types, r.t.String())
	}
	fmt.Fprintf(&b, "    \"func.return\"(%s) : (%s) -> ()\n", strings.Join(names, ", "), strings.Join(types, ", "))
	res := strings.Join(types, ", ")
	if len(types) != 1 {
		res = "(" + res + ")"
	}
	fmt.Fprintf(&b, "  }) {function_type = (%s) -> %s, sym_name = \"main\"} : () -> ()\n}) : () -> ()\n",
		strings.Join(argTypes, ", "), res)
	mod.Text = b.String()
	return mod, nil
}

func inputDTypes(k *graph.Kernel) []graph.DType {
	var out []graph.DType
	for _, in := range k.Inputs {
		out = append(out, in.DType)
	}
	return out
}

// IsUnsupported reports whether err says that the emitter cannot express a kernel.
func IsUnsupported(err error) bool { return errors.Is(err, backend.ErrUnsupported) }

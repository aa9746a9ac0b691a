package backendtest

// Tests of the reference against hand-computed NumPy (and ONNX/PyTorch) results. The
// expected values were worked out by hand and cross-checked with NumPy where NumPy has the
// operation.

import (
	"math"
	"math/rand"
	"strings"
	"testing"
)

var (
	nan  = math.NaN()
	inf  = math.Inf(1)
	ninf = math.Inf(-1)
)

func vals(xs ...float64) []float64 { return xs }

func shp(dims ...int) []int { return append([]int{}, dims...) }

// iota64 is 0, 1, ..., n-1.
func iota64(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i)
	}
	return out
}

// expectRef checks an array's dtype, shape and values (to 1e-12, NaN equal to NaN).
func expectRef(t *testing.T, name string, got *refArray, err error, dt refDType, shape []int, want []float64) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: unexpected error %v", name, err)
		return
	}
	if got.dt != dt {
		t.Errorf("%s: dtype %v, want %v", name, got.dt, dt)
	}
	if !refSameShape(got.shape, shape) {
		t.Errorf("%s: shape %v, want %v", name, got.shape, shape)
		return
	}
	if want == nil {
		want = []float64{}
	}
	if i, ok := refCompare(got.data, &refArray{shape: shape, data: want, dt: dt}, 1e-12, 0); !ok {
		if i < len(want) && i < len(got.data) {
			t.Errorf("%s: at %s got %v, want %v (all: got %v, want %v)", name, refFormatIndex(i, shape), got.data[i], want[i], got.data, want)
		} else {
			t.Errorf("%s: got %v, want %v", name, got.data, want)
		}
	}
}

// expectErr checks that err is an error whose message names op.
func expectErr(t *testing.T, name string, err error, op string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", name)
		return
	}
	if !strings.Contains(err.Error(), op) {
		t.Errorf("%s: error %q does not name %s", name, err, op)
	}
}

func TestRefHelpers(t *testing.T) {
	a := newRef(refFloat64, iota64(6), 2, 3)
	if a.size() != 6 || a.rank() != 2 {
		t.Fatalf("size %d rank %d", a.size(), a.rank())
	}
	if st := a.strides(); !refSameShape(st, shp(3, 1)) {
		t.Errorf("strides %v", st)
	}
	if v := a.at([]int{1, 2}); v != 5 {
		t.Errorf("at [1 2] = %v", v)
	}
	if s := refFormatIndex(5, shp(2, 3)); s != "[1 2]" {
		t.Errorf("refFormatIndex = %q", s)
	}
	if s := refFormatIndex(0, shp()); s != "[]" {
		t.Errorf("refFormatIndex rank 0 = %q", s)
	}
	if newRef(refInt32, vals(1, 2, 3)).rank() != 1 || refScalar(refFloat32, 2).rank() != 0 {
		t.Errorf("default shapes")
	}
	// newRef converts to the dtype.
	expectRef(t, "newRef int32", newRef(refInt32, vals(1.7, -1.7, 4294967297)), nil, refInt32, shp(3), vals(1, -1, 1))
	expectRef(t, "newRef bool", newRef(refBool, vals(0, 3, nan)), nil, refBool, shp(3), vals(0, 1, 1))
	for _, dt := range refDTypes {
		if dt.isFloat() == dt.isInt() && dt != refBool {
			t.Errorf("%v: isFloat %v isInt %v", dt, dt.isFloat(), dt.isInt())
		}
	}
	if refBool.isInt() || refBool.isFloat() || !refUint8.isInt() || !refBFloat16.isFloat() {
		t.Errorf("isInt/isFloat")
	}
	count := 0
	refForEachIndex(shp(2, 0, 3), func([]int) { count++ })
	refForEachIndex(shp(), func([]int) { count += 10 })
	if count != 10 {
		t.Errorf("refForEachIndex count %d", count)
	}
}

func TestRefBroadcastShapes(t *testing.T) {
	cases := []struct {
		a, b, want []int
		ok         bool
	}{
		{shp(2, 1), shp(3), shp(2, 3), true},
		{shp(), shp(4), shp(4), true},
		{shp(), shp(), shp(), true},
		{shp(0), shp(1), shp(0), true},
		{shp(5, 1, 4), shp(3, 1), shp(5, 3, 4), true},
		{shp(1, 0), shp(3, 1), shp(3, 0), true},
		{shp(0), shp(2), nil, false},
		{shp(2, 3), shp(2), nil, false},
	}
	for _, c := range cases {
		got, err := refBroadcastShapes(c.a, c.b)
		if (err == nil) != c.ok || c.ok && !refSameShape(got, c.want) {
			t.Errorf("broadcast %v %v = %v, %v; want %v ok=%v", c.a, c.b, got, err, c.want, c.ok)
		}
	}
}

func TestRefUnary(t *testing.T) {
	f32 := func(x float64) float64 { return float64(float32(x)) }
	cases := []struct {
		op       string
		dt       refDType
		in, want []float64
	}{
		{"Round", refFloat64, vals(0.5, 1.5, 2.5, -0.5, -2.5, -1.5, 0.49999999999999994, 3.7), vals(0, 2, 2, 0, -2, -2, 0, 4)},
		{"Floor", refFloat64, vals(-1.5, 1.5, -0.0, 2), vals(-2, 1, 0, 2)},
		{"Ceil", refFloat64, vals(-1.5, 1.5, 2), vals(-1, 2, 2)},
		{"Neg", refFloat64, vals(1, -2, 0), vals(-1, 2, 0)},
		{"Neg", refInt32, vals(-2147483648, 5), vals(-2147483648, -5)},
		{"Neg", refUint8, vals(1, 0, 255), vals(255, 0, 1)},
		{"Abs", refInt32, vals(-3, 3, 0, -2147483648), vals(3, 3, 0, -2147483648)},
		{"Abs", refFloat64, vals(-1.5, nan, ninf), vals(1.5, nan, inf)},
		{"Sign", refInt32, vals(-5, 0, 7), vals(-1, 0, 1)},
		{"Sign", refUint8, vals(0, 200), vals(0, 1)},
		{"Sign", refFloat64, vals(-0.5, 0, 3, nan, ninf), vals(-1, 0, 1, nan, -1)},
		{"Reciprocal", refInt32, vals(0, 1, -1, 2, -3), vals(0, 1, -1, 0, 0)},
		{"Reciprocal", refInt64, vals(0, 1, -1, 7), vals(0, 1, -1, 0)},
		{"Reciprocal", refFloat64, vals(2, 0, -4), vals(0.5, inf, -0.25)},
		{"Exp", refFloat64, vals(0, 1, ninf), vals(1, math.E, 0)},
		{"Exp", refFloat32, vals(1), vals(f32(math.E))},
		{"Log", refFloat64, vals(1, math.E, 0, -1), vals(0, 1, ninf, nan)},
		{"Sqrt", refFloat64, vals(4, 2, -1), vals(2, math.Sqrt2, nan)},
		{"Sin", refFloat64, vals(0, 1), vals(0, 0.8414709848078965)},
		{"Cos", refFloat64, vals(0, 1), vals(1, 0.5403023058681398)},
		{"Tan", refFloat64, vals(0, 1), vals(0, 1.5574077246549023)},
		{"Asin", refFloat64, vals(1, 2), vals(math.Pi/2, nan)},
		{"Acos", refFloat64, vals(1, -1), vals(0, math.Pi)},
		{"Atan", refFloat64, vals(1, inf), vals(math.Pi/4, math.Pi/2)},
		{"Sinh", refFloat64, vals(1), vals(1.1752011936438014)},
		{"Cosh", refFloat64, vals(1), vals(1.5430806348152437)},
		{"Tanh", refFloat64, vals(1, 1000, -1000), vals(0.7615941559557649, 1, -1)},
		{"Erf", refFloat64, vals(0.5, 0, inf), vals(0.5204998778130465, 0, 1)},
		{"Sigmoid", refFloat64, vals(0, 1, 1000, -1000), vals(0.5, 0.7310585786300049, 1, 0)},
		{"ReLU", refFloat64, vals(-1, 0, 2, nan), vals(0, 0, 2, nan)},
		{"ReLU", refInt32, vals(-1, 0, 2), vals(0, 0, 2)},
		{"GELU", refFloat64, vals(1, -1, 0), vals(0.8413447460685429, -0.15865525393145707, 0)},
		{"SiLU", refFloat64, vals(1, 0, -1000), vals(0.7310585786300049, 0, 0)},
		{"Softplus", refFloat64, vals(0, 1, 1000, -1000), vals(math.Ln2, 1.3132616875182228, 1000, 0)},
		{"Softsign", refFloat64, vals(3, -1, 0), vals(0.75, -0.5, 0)},
		{"Not", refBool, vals(0, 1), vals(1, 0)},
		{"Not", refInt32, vals(0, 5), vals(1, 0)},
		// Float-only ops on integers are computed in float64 and converted back like Cast.
		{"Sqrt", refInt32, vals(4, 8), vals(2, 2)},
	}
	for _, c := range cases {
		got := refUnary(c.op, newRef(c.dt, c.in))
		wantDT := c.dt
		if c.op == "Not" {
			wantDT = refBool
		}
		expectRef(t, c.op+"/"+c.dt.String(), got, nil, wantDT, shp(len(c.in)), c.want)
	}
	// Shape is kept, including empty and rank 0.
	expectRef(t, "Exp empty", refUnary("Exp", newRef(refFloat32, nil, 2, 0)), nil, refFloat32, shp(2, 0), nil)
	expectRef(t, "Neg scalar", refUnary("Neg", refScalar(refFloat64, 3)), nil, refFloat64, shp(), vals(-3))
	// Every listed op works on every float dtype.
	for _, op := range refUnaryOps {
		for _, dt := range []refDType{refFloat16, refBFloat16, refFloat32, refFloat64} {
			got := refUnary(op, newRef(dt, vals(0.25, -0.5)))
			if got.size() != 2 {
				t.Errorf("%s %v: size %d", op, dt, got.size())
			}
		}
	}
}

func TestRefUnaryParam(t *testing.T) {
	cases := []struct {
		op       string
		dt       refDType
		p        []float64
		in, want []float64
	}{
		{"Clip", refFloat64, vals(-1, 1), vals(-2, 0.5, 3, nan), vals(-1, 0.5, 1, nan)},
		{"Clip", refFloat64, vals(ninf, 2), vals(-5, 5), vals(-5, 2)},
		{"Clip", refFloat64, vals(0, inf), vals(-5, 5), vals(0, 5)},
		{"Clip", refFloat64, vals(2, 1), vals(0, 1.5, 3), vals(1, 1, 1)}, // lo > hi gives hi, like numpy.clip
		{"Clip", refInt32, vals(0, 3), vals(-5, 2, 5), vals(0, 2, 3)},
		{"LeakyReLU", refFloat64, vals(0.1), vals(-2, 3, 0), vals(-0.2, 3, 0)},
		{"ELU", refFloat64, vals(1), vals(-1, 2, 0), vals(-0.6321205588285577, 2, 0)},
		{"ELU", refFloat64, vals(2), vals(-1000), vals(-2)},
		{"HardSigmoid", refFloat64, vals(0.2, 0.5), vals(-5, 0, 1, 5), vals(0, 0.5, 0.7, 1)},
	}
	for _, c := range cases {
		got := refUnaryParam(c.op, newRef(c.dt, c.in), c.p...)
		expectRef(t, c.op, got, nil, c.dt, shp(len(c.in)), c.want)
	}
}

func TestRefBinary(t *testing.T) {
	f32 := func(x float64) float64 { return float64(float32(x)) }
	cases := []struct {
		name, op string
		dt       refDType
		a, b     []float64
		want     []float64
	}{
		{"int div", "Div", refInt32, vals(-7, 7, -7, 7, 5, 0), vals(2, 2, -2, -2, 0, 0), vals(-3, 3, 3, -3, 0, 0)},
		{"int mod", "Mod", refInt32, vals(-7, 7, 7, -7, 5, 6), vals(2, 2, -2, -2, 0, 3), vals(1, 1, -1, -1, 0, 0)},
		{"int fmod", "FMod", refInt32, vals(-7, 7, 7, -7, 5), vals(2, 2, -2, -2, 0), vals(-1, 1, 1, -1, 0)},
		{"int64 div", "Div", refInt64, vals(-1, 1), vals(3, -3), vals(0, 0)},
		{"uint8 div", "Div", refUint8, vals(255, 7), vals(2, 0), vals(127, 0)},
		{"float mod", "Mod", refFloat64, vals(-7, 7, 7, -7, 5, -1, 1, 5.5), vals(2, -2, 2, -2, 0, inf, inf, 2), vals(1, -1, 1, -1, nan, inf, 1, 1.5)},
		{"float fmod", "FMod", refFloat64, vals(-7, 7, 5, 5.5), vals(2, -2, 0, -2), vals(-1, 1, nan, 1.5)},
		{"int pow", "Pow", refInt64, vals(2, -2, 3, -1, -1, 2, 2, 0, 1, -1, 0), vals(10, 3, 0, 3, 2, 40, -1, -1, -5, -3, 0), vals(1024, -8, 1, -1, 1, 1<<40, 0, 0, 1, -1, 1)},
		{"int32 pow wraps", "Pow", refInt32, vals(2, 3), vals(31, 21), vals(-2147483648, float64(int32(10460353203%(1<<32))))},
		{"float pow", "Pow", refFloat64, vals(2, 4, -8, -8, 0, 1), vals(-1, 0.5, 1.0/3, 2, 0, nan), vals(0.5, 2, nan, 64, 1, 1)},
		{"int32 add wraps", "Add", refInt32, vals(2147483647), vals(1), vals(-2147483648)},
		{"int32 mul wraps", "Mul", refInt32, vals(65536, 65537), vals(65536, 65537), vals(0, 131073)},
		{"uint8 add wraps", "Add", refUint8, vals(200), vals(100), vals(44)},
		{"uint8 sub wraps", "Sub", refUint8, vals(3), vals(5), vals(254)},
		{"bool add is or", "Add", refBool, vals(1, 1, 0), vals(1, 0, 0), vals(1, 1, 0)},
		{"bool mul is and", "Mul", refBool, vals(1, 1, 0), vals(1, 0, 0), vals(1, 0, 0)},
		{"float div", "Div", refFloat64, vals(1, -1, 0, 7), vals(0, 0, 0, 2), vals(inf, ninf, nan, 3.5)},
		{"float32 add rounds", "Add", refFloat32, vals(0.1), vals(0.2), vals(f32(f32(0.1) + f32(0.2)))},
		{"maximum nan", "Maximum", refFloat64, vals(1, nan, 3, nan), vals(nan, 2, 1, nan), vals(nan, nan, 3, nan)},
		{"minimum nan", "Minimum", refFloat64, vals(1, nan, 3, -inf), vals(nan, 2, 1, 0), vals(nan, nan, 1, -inf)},
		{"int maximum", "Maximum", refInt32, vals(-1, 5), vals(2, 3), vals(2, 5)},
		{"sub", "Sub", refFloat64, vals(1, inf), vals(3, inf), vals(-2, nan)},
	}
	for _, c := range cases {
		got, err := refBinary(c.op, newRef(c.dt, c.a), newRef(c.dt, c.b))
		expectRef(t, c.name, got, err, c.dt, shp(len(c.a)), c.want)
	}

	cmp := []struct {
		op   string
		want []float64
	}{
		{"Equal", vals(0, 1, 0, 0, 1)},
		{"NotEqual", vals(1, 0, 1, 1, 0)},
		{"Less", vals(1, 0, 0, 0, 0)},
		{"LessEqual", vals(1, 1, 0, 0, 1)},
		{"Greater", vals(0, 0, 1, 0, 0)},
		{"GreaterEqual", vals(0, 1, 1, 0, 1)},
	}
	for _, c := range cmp {
		got, err := refBinary(c.op, newRef(refFloat64, vals(1, 2, 3, nan, inf)), newRef(refFloat64, vals(2, 2, 1, nan, inf)))
		expectRef(t, c.op, got, err, refBool, shp(5), c.want)
	}
	for _, c := range []struct {
		op   string
		want []float64
	}{{"And", vals(0, 0, 0, 1)}, {"Or", vals(0, 1, 1, 1)}, {"Xor", vals(0, 1, 1, 0)}} {
		got, err := refBinary(c.op, newRef(refBool, vals(0, 0, 1, 1)), newRef(refBool, vals(0, 1, 0, 1)))
		expectRef(t, c.op, got, err, refBool, shp(4), c.want)
	}

	// Broadcasting.
	got, err := refBinary("Add", newRef(refFloat64, vals(1, 2), 2, 1), newRef(refFloat64, vals(10, 20, 30)))
	expectRef(t, "broadcast add", got, err, refFloat64, shp(2, 3), vals(11, 21, 31, 12, 22, 32))
	got, err = refBinary("Sub", refScalar(refInt32, 10), newRef(refInt32, vals(1, 2, 3, 4), 2, 2))
	expectRef(t, "scalar sub", got, err, refInt32, shp(2, 2), vals(9, 8, 7, 6))
	got, err = refBinary("Mul", newRef(refFloat32, nil, 0, 3), newRef(refFloat32, vals(1, 2, 3)))
	expectRef(t, "empty", got, err, refFloat32, shp(0, 3), nil)
	got, err = refBinary("Mul", newRef(refFloat32, nil, 1, 0), newRef(refFloat32, vals(1, 2, 3), 3, 1))
	expectRef(t, "empty broadcast", got, err, refFloat32, shp(3, 0), nil)
	got, err = refBinary("Less", newRef(refInt64, vals(1, 5), 2, 1, 1), newRef(refInt64, vals(2, 3, 4, 6), 1, 4))
	expectRef(t, "broadcast compare", got, err, refBool, shp(2, 1, 4), vals(1, 1, 1, 1, 0, 0, 0, 1))

	_, err = refBinary("Add", newRef(refFloat64, iota64(6), 2, 3), newRef(refFloat64, vals(1, 2)))
	expectErr(t, "bad broadcast", err, "Add")
	_, err = refBinary("Mul", newRef(refFloat64, vals(1)), newRef(refFloat32, vals(1)))
	expectErr(t, "mixed dtypes", err, "Mul")
	_, err = refBinary("Frobnicate", newRef(refFloat64, vals(1)), newRef(refFloat64, vals(1)))
	expectErr(t, "unknown op", err, "Frobnicate")
}

func TestRefWhere(t *testing.T) {
	got, err := refWhere(newRef(refBool, vals(1, 0, 1)), refScalar(refFloat64, 1), newRef(refFloat64, vals(5, 6), 2, 1))
	expectRef(t, "where", got, err, refFloat64, shp(2, 3), vals(1, 5, 1, 1, 6, 1))
	got, err = refWhere(newRef(refBool, vals(1, 0)), newRef(refInt32, vals(1, 2)), newRef(refInt32, vals(3, 4)))
	expectRef(t, "where same shape", got, err, refInt32, shp(2), vals(1, 4))
	_, err = refWhere(newRef(refBool, vals(1, 0, 1)), newRef(refFloat64, vals(1, 2)), refScalar(refFloat64, 0))
	expectErr(t, "where bad broadcast", err, "Where")
	_, err = refWhere(newRef(refBool, vals(1)), newRef(refFloat64, vals(1)), newRef(refInt32, vals(1)))
	expectErr(t, "where dtypes", err, "Where")
}

func TestRefReduce(t *testing.T) {
	m := newRef(refFloat64, vals(1, 2, 3, 4, 5, 6), 2, 3)
	cases := []struct {
		name  string
		op    string
		a     *refArray
		axes  []int
		dt    refDType
		shape []int
		want  []float64
	}{
		{"sum last", "Sum", m, []int{-1}, refFloat64, shp(2), vals(6, 15)},
		{"sum first", "Sum", m, []int{0}, refFloat64, shp(3), vals(5, 7, 9)},
		{"sum all", "Sum", m, nil, refFloat64, shp(), vals(21)},
		{"sum both", "Sum", m, []int{1, 0}, refFloat64, shp(), vals(21)},
		{"prod", "Prod", m, []int{1}, refFloat64, shp(2), vals(6, 120)},
		{"max", "Max", m, []int{0}, refFloat64, shp(3), vals(4, 5, 6)},
		{"min", "Min", m, []int{-2}, refFloat64, shp(3), vals(1, 2, 3)},
		{"mean", "Mean", m, []int{1}, refFloat64, shp(2), vals(2, 5)},
		{"lse", "LogSumExp", newRef(refFloat64, vals(1, 2, 3)), nil, refFloat64, shp(), vals(3.4076059644443806)},
		{"lse large", "LogSumExp", newRef(refFloat64, vals(1000, 1000)), nil, refFloat64, shp(), vals(1000 + math.Ln2)},
		{"lse -inf", "LogSumExp", newRef(refFloat64, vals(ninf, ninf)), nil, refFloat64, shp(), vals(ninf)},
		{"lse nan", "LogSumExp", newRef(refFloat64, vals(1, nan, inf)), nil, refFloat64, shp(), vals(nan)},
		{"lse inf", "LogSumExp", newRef(refFloat64, vals(1, inf)), nil, refFloat64, shp(), vals(inf)},
		{"sum bool counts", "Sum", newRef(refBool, vals(1, 0, 1, 1)), nil, refInt64, shp(), vals(3)},
		{"sum int32 to int64", "Sum", newRef(refInt32, vals(2147483647, 1)), nil, refInt64, shp(), vals(2147483648)},
		{"prod int32 to int64", "Prod", newRef(refInt32, vals(65536, 65536)), nil, refInt64, shp(), vals(4294967296)},
		{"max int32", "Max", newRef(refInt32, vals(3, -1, 7)), nil, refInt32, shp(), vals(7)},
		{"mean int", "Mean", newRef(refInt32, vals(1, 2)), nil, refFloat64, shp(), vals(1.5)},
		{"max nan", "Max", newRef(refFloat64, vals(1, nan, 3)), nil, refFloat64, shp(), vals(nan)},
		{"min nan", "Min", newRef(refFloat64, vals(1, nan, 3)), nil, refFloat64, shp(), vals(nan)},
		{"sum empty", "Sum", newRef(refFloat64, nil, 0, 3), []int{0}, refFloat64, shp(3), vals(0, 0, 0)},
		{"prod empty", "Prod", newRef(refFloat64, nil, 0, 3), []int{0}, refFloat64, shp(3), vals(1, 1, 1)},
		{"mean empty", "Mean", newRef(refFloat64, nil, 0, 2), []int{0}, refFloat64, shp(2), vals(nan, nan)},
		{"max into empty", "Max", newRef(refFloat64, nil, 0, 3), []int{1}, refFloat64, shp(0), nil},
		{"sum all empty", "Sum", newRef(refFloat64, nil, 0), nil, refFloat64, shp(), vals(0)},
		{"sum scalar", "Sum", refScalar(refFloat64, 4), nil, refFloat64, shp(), vals(4)},
		{"sum 3d middle", "Sum", newRef(refFloat64, iota64(12), 2, 3, 2), []int{1}, refFloat64, shp(2, 2), vals(6, 9, 24, 27)},
		{"float32 sum", "Sum", newRef(refFloat32, vals(1e8, 1, -1e8)), nil, refFloat32, shp(), vals(1)},
	}
	for _, c := range cases {
		got, err := refReduce(c.op, c.a, c.axes)
		expectRef(t, c.name, got, err, c.dt, c.shape, c.want)
	}
	_, err := refReduce("Max", newRef(refFloat64, nil, 0, 3), []int{0})
	expectErr(t, "max of empty", err, "Max")
	_, err = refReduce("Min", newRef(refFloat64, nil, 0), nil)
	expectErr(t, "min of empty", err, "Min")
	_, err = refReduce("Sum", m, []int{0, -2})
	expectErr(t, "duplicate axes", err, "Sum")
	_, err = refReduce("Sum", m, []int{2})
	expectErr(t, "axis out of range", err, "Sum")
	_, err = refReduce("Sum", m, []int{-3})
	expectErr(t, "negative axis out of range", err, "Sum")
}

func TestRefArg(t *testing.T) {
	a := newRef(refFloat64, vals(1, 3, 3, nan, 5, nan), 2, 3)
	got, err := refArgMax(a, 1)
	expectRef(t, "argmax first occurrence and nan", got, err, refInt64, shp(2), vals(1, 0))
	got, err = refArgMax(a, -1)
	expectRef(t, "argmax negative axis", got, err, refInt64, shp(2), vals(1, 0))
	b := newRef(refFloat64, vals(2, 1, 1, nan, 0, nan, 0, nan, -1), 3, 3)
	got, err = refArgMin(b, 1)
	expectRef(t, "argmin", got, err, refInt64, shp(3), vals(1, 0, 1))
	got, err = refArgMax(newRef(refInt32, vals(1, 5, 2, 4, 5, 0), 2, 3), 0)
	expectRef(t, "argmax axis 0", got, err, refInt64, shp(3), vals(1, 0, 0))
	got, err = refArgMin(newRef(refFloat64, nil, 0, 2), 1)
	expectRef(t, "argmin into empty", got, err, refInt64, shp(0), nil)
	_, err = refArgMax(newRef(refFloat64, nil, 2, 0), 1)
	expectErr(t, "argmax empty axis", err, "ArgMax")
	_, err = refArgMin(a, 2)
	expectErr(t, "argmin bad axis", err, "ArgMin")
}

func TestRefSoftmax(t *testing.T) {
	got, err := refSoftmax(newRef(refFloat64, vals(1, 2, 3)), 0)
	expectRef(t, "softmax", got, err, refFloat64, shp(3), vals(0.09003057317038046, 0.24472847105479767, 0.6652409557748219))
	got, err = refLogSoftmax(newRef(refFloat64, vals(1, 2, 3)), -1)
	expectRef(t, "logsoftmax", got, err, refFloat64, shp(3), vals(-2.4076059644443806, -1.4076059644443804, -0.40760596444438035))
	got, err = refSoftmax(newRef(refFloat64, vals(1000, 1000, -1000, 0), 2, 2), 0)
	expectRef(t, "softmax axis 0 large", got, err, refFloat64, shp(2, 2), vals(1, 1, 0, 0))
	got, err = refSoftmax(newRef(refFloat32, vals(5, 5, 5, 5), 2, 2), 1)
	expectRef(t, "softmax float32", got, err, refFloat32, shp(2, 2), vals(0.5, 0.5, 0.5, 0.5))
	got, err = refLogSoftmax(newRef(refFloat64, nil, 0, 3), 1)
	expectRef(t, "logsoftmax empty", got, err, refFloat64, shp(0, 3), nil)
	_, err = refSoftmax(refScalar(refFloat64, 1), 0)
	expectErr(t, "softmax rank 0", err, "Softmax")
}

func TestRefCumSum(t *testing.T) {
	x := newRef(refFloat64, vals(1, 2, 3, 4))
	for _, c := range []struct {
		exclusive, reverse bool
		want               []float64
	}{
		{false, false, vals(1, 3, 6, 10)},
		{true, false, vals(0, 1, 3, 6)},
		{false, true, vals(10, 9, 7, 4)},
		{true, true, vals(9, 7, 4, 0)},
	} {
		got, err := refCumSum(x, 0, c.exclusive, c.reverse)
		expectRef(t, "cumsum", got, err, refFloat64, shp(4), c.want)
	}
	got, err := refCumSum(newRef(refInt32, vals(1, 2, 3, 4), 2, 2), 0, false, false)
	expectRef(t, "cumsum axis 0", got, err, refInt32, shp(2, 2), vals(1, 2, 4, 6))
	got, err = refCumSum(newRef(refInt32, vals(1, 2, 3, 4), 2, 2), -1, true, false)
	expectRef(t, "cumsum axis -1 exclusive", got, err, refInt32, shp(2, 2), vals(0, 1, 0, 3))
	got, err = refCumSum(newRef(refBool, vals(1, 0, 1)), 0, false, false)
	expectRef(t, "cumsum bool", got, err, refInt64, shp(3), vals(1, 1, 2))
	got, err = refCumSum(newRef(refFloat64, nil, 2, 0), 1, false, false)
	expectRef(t, "cumsum empty", got, err, refFloat64, shp(2, 0), nil)
	_, err = refCumSum(x, 1, false, false)
	expectErr(t, "cumsum bad axis", err, "CumSum")
}

func TestRefMatMul(t *testing.T) {
	a := newRef(refFloat64, vals(1, 2, 3, 4, 5, 6), 2, 3)
	b := newRef(refFloat64, vals(7, 8, 9, 10, 11, 12), 3, 2)
	got, err := refMatMul(a, b)
	expectRef(t, "2d", got, err, refFloat64, shp(2, 2), vals(58, 64, 139, 154))
	got, err = refMatMul(newRef(refFloat64, vals(1, 2, 3)), newRef(refFloat64, vals(4, 5, 6)))
	expectRef(t, "1d 1d", got, err, refFloat64, shp(), vals(32))
	got, err = refMatMul(newRef(refFloat64, vals(1, 2, 3)), b)
	expectRef(t, "1d 2d", got, err, refFloat64, shp(2), vals(58, 64))
	got, err = refMatMul(a, newRef(refFloat64, vals(1, 0, -1)))
	expectRef(t, "2d 1d", got, err, refFloat64, shp(2), vals(-2, -2))
	got, err = refMatMul(newRef(refFloat64, vals(1, 2, 3)), newRef(refFloat64, iota64(12), 2, 3, 2))
	expectRef(t, "1d batched", got, err, refFloat64, shp(2, 2), vals(16, 22, 52, 58))
	// a: (2,1,2,2) = [I, 2I]; b: (3,2,2) with b[i] = [[i, i+1], [i+2, i+3]].
	ab := newRef(refFloat64, vals(1, 0, 0, 1, 2, 0, 0, 2), 2, 1, 2, 2)
	bb := newRef(refFloat64, vals(0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5), 3, 2, 2)
	got, err = refMatMul(ab, bb)
	expectRef(t, "broadcast batches", got, err, refFloat64, shp(2, 3, 2, 2),
		vals(0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 0, 2, 4, 6, 2, 4, 6, 8, 4, 6, 8, 10))
	got, err = refMatMul(newRef(refInt32, vals(65536, 1), 1, 2), newRef(refInt32, vals(65536, 3), 2, 1))
	expectRef(t, "int32 wraps", got, err, refInt32, shp(1, 1), vals(3))
	got, err = refMatMul(newRef(refFloat64, nil, 2, 0), newRef(refFloat64, nil, 0, 3))
	expectRef(t, "empty inner", got, err, refFloat64, shp(2, 3), vals(0, 0, 0, 0, 0, 0))
	_, err = refMatMul(a, a)
	expectErr(t, "inner mismatch", err, "MatMul")
	_, err = refMatMul(refScalar(refFloat64, 1), a)
	expectErr(t, "rank 0", err, "MatMul")
	_, err = refMatMul(newRef(refFloat64, iota64(8), 2, 2, 2), newRef(refFloat64, iota64(12), 3, 2, 2))
	expectErr(t, "batch mismatch", err, "MatMul")
}

func TestRefShapes(t *testing.T) {
	a := newRef(refFloat64, iota64(6), 2, 3)

	got, err := refReshape(a, 3, -1)
	expectRef(t, "reshape -1", got, err, refFloat64, shp(3, 2), iota64(6))
	got, err = refReshape(newRef(refFloat64, nil, 0, 3), -1, 3)
	expectRef(t, "reshape empty", got, err, refFloat64, shp(0, 3), nil)
	got, err = refReshape(refScalar(refFloat64, 7), 1, 1)
	expectRef(t, "reshape scalar", got, err, refFloat64, shp(1, 1), vals(7))
	got, err = refReshape(newRef(refFloat64, vals(7)))
	expectRef(t, "reshape to scalar", got, err, refFloat64, shp(), vals(7))
	_, err = refReshape(a, -1, -1)
	expectErr(t, "two -1", err, "Reshape")
	_, err = refReshape(a, 4, -1)
	expectErr(t, "-1 does not divide", err, "Reshape")
	_, err = refReshape(a, 5)
	expectErr(t, "size mismatch", err, "Reshape")
	_, err = refReshape(newRef(refFloat64, nil, 0), 0, -1)
	expectErr(t, "ambiguous -1", err, "Reshape")
	_, err = refReshape(a, -2, -3)
	expectErr(t, "negative dims", err, "Reshape")

	got, err = refPermute(a, 1, 0)
	expectRef(t, "permute 2d", got, err, refFloat64, shp(3, 2), vals(0, 3, 1, 4, 2, 5))
	got, err = refPermute(newRef(refFloat64, iota64(6), 1, 2, 3), -1, 0, 1)
	expectRef(t, "permute negative", got, err, refFloat64, shp(3, 1, 2), vals(0, 3, 1, 4, 2, 5))
	_, err = refPermute(a, 0, 0)
	expectErr(t, "permute duplicate", err, "Permute")
	_, err = refPermute(a, 0)
	expectErr(t, "permute short", err, "Permute")

	expectRef(t, "transpose 3d", refTranspose(newRef(refFloat64, iota64(6), 2, 1, 3)), nil, refFloat64, shp(3, 1, 2), vals(0, 3, 1, 4, 2, 5))
	expectRef(t, "transpose 1d", refTranspose(newRef(refFloat64, vals(1, 2))), nil, refFloat64, shp(2), vals(1, 2))

	got, err = refExpand(newRef(refFloat64, vals(1, 2), 1, 2), 3, 2)
	expectRef(t, "expand", got, err, refFloat64, shp(3, 2), vals(1, 2, 1, 2, 1, 2))
	got, err = refExpand(newRef(refFloat64, vals(1, 2), 2, 1), 2, 2, 3)
	expectRef(t, "expand new axes", got, err, refFloat64, shp(2, 2, 3), vals(1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2))
	got, err = refExpand(newRef(refFloat64, vals(1)), 0)
	expectRef(t, "expand to empty", got, err, refFloat64, shp(0), nil)
	_, err = refExpand(newRef(refFloat64, vals(1, 2, 3)), 2, 2)
	expectErr(t, "expand mismatch", err, "Expand")
	_, err = refExpand(a, 6)
	expectErr(t, "expand lower rank", err, "Expand")

	c := newRef(refFloat64, vals(1, 2, 3), 1, 3, 1)
	got, err = refSqueeze(c)
	expectRef(t, "squeeze all", got, err, refFloat64, shp(3), vals(1, 2, 3))
	got, err = refSqueeze(c, -1)
	expectRef(t, "squeeze -1", got, err, refFloat64, shp(1, 3), vals(1, 2, 3))
	got, err = refSqueeze(newRef(refFloat64, vals(5), 1, 1))
	expectRef(t, "squeeze to scalar", got, err, refFloat64, shp(), vals(5))
	_, err = refSqueeze(c, 1)
	expectErr(t, "squeeze non-1", err, "Squeeze")
	_, err = refSqueeze(c, 3)
	expectErr(t, "squeeze out of range", err, "Squeeze")

	got, err = refUnsqueeze(newRef(refFloat64, vals(1, 2, 3)), 0, -1)
	expectRef(t, "unsqueeze 0 -1", got, err, refFloat64, shp(1, 3, 1), vals(1, 2, 3))
	got, err = refUnsqueeze(a, 1)
	expectRef(t, "unsqueeze middle", got, err, refFloat64, shp(2, 1, 3), iota64(6))
	got, err = refUnsqueeze(a, -1)
	expectRef(t, "unsqueeze last", got, err, refFloat64, shp(2, 3, 1), iota64(6))
	got, err = refUnsqueeze(refScalar(refFloat64, 2), 0)
	expectRef(t, "unsqueeze scalar", got, err, refFloat64, shp(1), vals(2))
	_, err = refUnsqueeze(a, 1, 1)
	expectErr(t, "unsqueeze duplicate", err, "Unsqueeze")
	_, err = refUnsqueeze(a, 3)
	expectErr(t, "unsqueeze out of range", err, "Unsqueeze")

	d := newRef(refFloat64, iota64(24), 2, 3, 4)
	for _, c := range []struct {
		axis  int
		shape []int
	}{{0, shp(1, 24)}, {1, shp(2, 12)}, {-1, shp(6, 4)}, {3, shp(24, 1)}, {-3, shp(1, 24)}} {
		got, err := refFlatten(d, c.axis)
		expectRef(t, "flatten", got, err, refFloat64, c.shape, iota64(24))
	}
	_, err = refFlatten(d, 4)
	expectErr(t, "flatten axis 4", err, "Flatten")
	_, err = refFlatten(d, -4)
	expectErr(t, "flatten axis -4", err, "Flatten")
}

func TestRefSlice(t *testing.T) {
	x := newRef(refInt64, iota64(10))
	cases := []struct {
		start, stop, step int
		want              []float64
	}{
		{-3, math.MaxInt, 1, vals(7, 8, 9)},
		{8, -100, -3, vals(8, 5, 2)},
		{math.MaxInt, math.MinInt, -1, vals(9, 8, 7, 6, 5, 4, 3, 2, 1, 0)},
		{2, 100, 3, vals(2, 5, 8)},
		{5, 2, 1, nil},
		{-100, 3, 1, vals(0, 1, 2)},
		{100, 5, -2, vals(9, 7)},
		{-1, -100, -4, vals(9, 5, 1)},
		{3, 3, -1, nil},
		{0, 10, math.MaxInt, vals(0)},
		{9, -11, math.MinInt, vals(9)},
		{-1, -2, 1, nil},
		{1, -1, 1, vals(1, 2, 3, 4, 5, 6, 7, 8)},
	}
	for _, c := range cases {
		got, err := refSlice(x, 0, c.start, c.stop, c.step)
		expectRef(t, "slice", got, err, refInt64, shp(len(c.want)), c.want)
	}
	got, err := refSlice(newRef(refFloat64, iota64(6), 2, 3), -1, 1, math.MaxInt, 1)
	expectRef(t, "slice axis -1", got, err, refFloat64, shp(2, 2), vals(1, 2, 4, 5))
	got, err = refSlice(newRef(refFloat64, nil, 0, 3), 1, 0, 2, 1)
	expectRef(t, "slice empty", got, err, refFloat64, shp(0, 2), nil)
	_, err = refSlice(x, 0, 0, 5, 0)
	expectErr(t, "slice step 0", err, "Slice")
	_, err = refSlice(x, 1, 0, 5, 1)
	expectErr(t, "slice bad axis", err, "Slice")
}

func TestRefFlipTile(t *testing.T) {
	a := newRef(refFloat64, iota64(6), 2, 3)
	got, err := refFlip(a)
	expectRef(t, "flip all", got, err, refFloat64, shp(2, 3), vals(5, 4, 3, 2, 1, 0))
	got, err = refFlip(a, 0)
	expectRef(t, "flip 0", got, err, refFloat64, shp(2, 3), vals(3, 4, 5, 0, 1, 2))
	got, err = refFlip(a, -1)
	expectRef(t, "flip -1", got, err, refFloat64, shp(2, 3), vals(2, 1, 0, 5, 4, 3))
	_, err = refFlip(a, 1, -1)
	expectErr(t, "flip duplicate", err, "Flip")

	got, err = refTile(newRef(refFloat64, vals(1, 2, 3, 4), 2, 2), 2)
	expectRef(t, "tile short reps", got, err, refFloat64, shp(2, 4), vals(1, 2, 1, 2, 3, 4, 3, 4))
	got, err = refTile(newRef(refFloat64, vals(1, 2)), 2, 2)
	expectRef(t, "tile long reps", got, err, refFloat64, shp(2, 4), vals(1, 2, 1, 2, 1, 2, 1, 2))
	got, err = refTile(newRef(refFloat64, vals(1, 2), 1, 2), 2, 1, 1)
	expectRef(t, "tile new axis", got, err, refFloat64, shp(2, 1, 2), vals(1, 2, 1, 2))
	got, err = refTile(newRef(refFloat64, vals(1, 2)), 0)
	expectRef(t, "tile zero", got, err, refFloat64, shp(0), nil)
	got, err = refTile(newRef(refFloat64, vals(1, 2, 3, 4), 2, 2), 2, 1)
	expectRef(t, "tile rows", got, err, refFloat64, shp(4, 2), vals(1, 2, 3, 4, 1, 2, 3, 4))
	_, err = refTile(a, -1)
	expectErr(t, "tile negative", err, "Tile")
}

func TestRefPad(t *testing.T) {
	x := newRef(refFloat64, vals(1, 2, 3))
	cases := []struct {
		name  string
		a     *refArray
		pads  [][2]int
		mode  int
		value float64
		shape []int
		want  []float64
	}{
		{"constant", x, [][2]int{{2, 2}}, refPadConstant, 9, shp(7), vals(9, 9, 1, 2, 3, 9, 9)},
		{"reflect", x, [][2]int{{2, 2}}, refPadReflect, 0, shp(7), vals(3, 2, 1, 2, 3, 2, 1)},
		{"edge", x, [][2]int{{2, 2}}, refPadEdge, 0, shp(7), vals(1, 1, 1, 2, 3, 3, 3)},
		{"reflect asymmetric", x, [][2]int{{3, 4}}, refPadReflect, 0, shp(10), vals(2, 3, 2, 1, 2, 3, 2, 1, 2, 3)},
		{"reflect past the axis", newRef(refFloat64, vals(0, 1, 2)), [][2]int{{5, 5}}, refPadReflect, 0, shp(13), vals(1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1)},
		{"reflect single", newRef(refFloat64, vals(1)), [][2]int{{2, 2}}, refPadReflect, 0, shp(5), vals(1, 1, 1, 1, 1)},
		{"reflect 2d", newRef(refFloat64, vals(1, 2, 3, 4, 5, 6), 2, 3), [][2]int{{1, 1}, {2, 0}}, refPadReflect, 0, shp(4, 5),
			vals(6, 5, 4, 5, 6, 3, 2, 1, 2, 3, 6, 5, 4, 5, 6, 3, 2, 1, 2, 3)},
		{"edge 2d", newRef(refFloat64, vals(1, 2, 3, 4, 5, 6), 2, 3), [][2]int{{1, 0}, {1, 2}}, refPadEdge, 0, shp(3, 6),
			vals(1, 1, 2, 3, 3, 3, 1, 1, 2, 3, 3, 3, 4, 4, 5, 6, 6, 6)},
		{"constant int converts value", newRef(refInt32, vals(1)), [][2]int{{1, 0}}, refPadConstant, -2.7, shp(2), vals(-2, 1)},
		{"constant empty axis", newRef(refFloat64, nil, 0), [][2]int{{1, 1}}, refPadConstant, 5, shp(2), vals(5, 5)},
		{"no pad", x, [][2]int{{0, 0}}, refPadReflect, 0, shp(3), vals(1, 2, 3)},
	}
	for _, c := range cases {
		got, err := refPad(c.a, c.pads, c.mode, c.value)
		expectRef(t, c.name, got, err, c.a.dt, c.shape, c.want)
	}
	_, err := refPad(x, [][2]int{{1, 1}, {1, 1}}, refPadConstant, 0)
	expectErr(t, "pad rank", err, "Pad")
	_, err = refPad(x, [][2]int{{-1, 1}}, refPadConstant, 0)
	expectErr(t, "pad negative", err, "Pad")
	_, err = refPad(newRef(refFloat64, nil, 0), [][2]int{{1, 0}}, refPadEdge, 0)
	expectErr(t, "edge pad of empty axis", err, "Pad")
}

func TestRefConcatSplit(t *testing.T) {
	a := newRef(refFloat64, vals(1, 2), 2, 1)
	b := newRef(refFloat64, vals(3, 4, 5, 6), 2, 2)
	e := newRef(refFloat64, nil, 2, 0)
	got, err := refConcat(-1, a, e, b)
	expectRef(t, "concat -1", got, err, refFloat64, shp(2, 3), vals(1, 3, 4, 2, 5, 6))
	got, err = refConcat(0, b, b)
	expectRef(t, "concat 0", got, err, refFloat64, shp(4, 2), vals(3, 4, 5, 6, 3, 4, 5, 6))
	got, err = refConcat(0, a)
	expectRef(t, "concat one", got, err, refFloat64, shp(2, 1), vals(1, 2))
	_, err = refConcat(0, a, b)
	expectErr(t, "concat mismatch", err, "Concat")
	_, err = refConcat(0)
	expectErr(t, "concat none", err, "Concat")
	_, err = refConcat(0, refScalar(refFloat64, 1), refScalar(refFloat64, 2))
	expectErr(t, "concat scalars", err, "Concat")
	_, err = refConcat(0, a, newRef(refInt32, vals(1, 2), 2, 1))
	expectErr(t, "concat dtypes", err, "Concat")

	parts, err := refSplit(newRef(refFloat64, iota64(6)), 0, 1, 2, 0, 3)
	if err != nil || len(parts) != 4 {
		t.Fatalf("split: %v, %d parts", err, len(parts))
	}
	expectRef(t, "split 0", parts[0], nil, refFloat64, shp(1), vals(0))
	expectRef(t, "split 1", parts[1], nil, refFloat64, shp(2), vals(1, 2))
	expectRef(t, "split 2", parts[2], nil, refFloat64, shp(0), nil)
	expectRef(t, "split 3", parts[3], nil, refFloat64, shp(3), vals(3, 4, 5))
	parts, err = refSplit(newRef(refFloat64, iota64(6), 2, 3), -1, 2, 1)
	if err != nil || len(parts) != 2 {
		t.Fatalf("split 2d: %v", err)
	}
	expectRef(t, "split 2d a", parts[0], nil, refFloat64, shp(2, 2), vals(0, 1, 3, 4))
	expectRef(t, "split 2d b", parts[1], nil, refFloat64, shp(2, 1), vals(2, 5))
	_, err = refSplit(newRef(refFloat64, iota64(6)), 0, 2, 2)
	expectErr(t, "split sum", err, "Split")
	_, err = refSplit(newRef(refFloat64, iota64(6)), 0)
	expectErr(t, "split no sizes", err, "Split")
}

func TestRefGather(t *testing.T) {
	a := newRef(refFloat64, iota64(6), 3, 2)
	got, err := refGather(a, 0, newRef(refInt64, vals(2, -1, 0, 1), 2, 2))
	expectRef(t, "gather 2d indices", got, err, refFloat64, shp(2, 2, 2), vals(4, 5, 4, 5, 0, 1, 2, 3))
	got, err = refGather(a, -1, refScalar(refInt32, 1))
	expectRef(t, "gather scalar index", got, err, refFloat64, shp(3), vals(1, 3, 5))
	got, err = refGather(a, 1, newRef(refInt32, vals(1, 0, 1)))
	expectRef(t, "gather axis 1", got, err, refFloat64, shp(3, 3), vals(1, 0, 1, 3, 2, 3, 5, 4, 5))
	got, err = refGather(a, 0, newRef(refInt64, nil, 0))
	expectRef(t, "gather empty", got, err, refFloat64, shp(0, 2), nil)
	_, err = refGather(a, 0, newRef(refInt64, vals(3)))
	expectErr(t, "gather out of range", err, "Gather")
	_, err = refGather(a, 0, newRef(refInt64, vals(-4)))
	expectErr(t, "gather negative out of range", err, "Gather")
	_, err = refGather(a, 0, newRef(refFloat32, vals(0)))
	expectErr(t, "gather float indices", err, "Gather")
}

func TestRefTri(t *testing.T) {
	sq := newRef(refFloat64, vals(1, 2, 3, 4, 5, 6, 7, 8, 9), 3, 3)
	wide := newRef(refFloat64, vals(1, 2, 3, 4, 5, 6), 2, 3)
	cases := []struct {
		name  string
		upper bool
		a     *refArray
		k     int
		want  []float64
	}{
		{"triu 0", true, sq, 0, vals(1, 2, 3, 0, 5, 6, 0, 0, 9)},
		{"triu 1", true, sq, 1, vals(0, 2, 3, 0, 0, 6, 0, 0, 0)},
		{"triu -1", true, wide, -1, vals(1, 2, 3, 4, 5, 6)},
		{"tril 0", false, sq, 0, vals(1, 0, 0, 4, 5, 0, 7, 8, 9)},
		{"tril -1", false, sq, -1, vals(0, 0, 0, 4, 0, 0, 7, 8, 0)},
		{"tril 1 wide", false, wide, 1, vals(1, 2, 0, 4, 5, 6)},
		{"triu batch", true, newRef(refFloat64, vals(1, 2, 3, 4, 5, 6, 7, 8), 2, 2, 2), 0, vals(1, 2, 0, 4, 5, 6, 0, 8)},
	}
	for _, c := range cases {
		var got *refArray
		var err error
		if c.upper {
			got, err = refTriu(c.a, c.k)
		} else {
			got, err = refTril(c.a, c.k)
		}
		expectRef(t, c.name, got, err, refFloat64, c.a.shape, c.want)
	}
	_, err := refTriu(newRef(refFloat64, vals(1, 2)), 0)
	expectErr(t, "triu 1d", err, "Triu")
}

func TestRefCast(t *testing.T) {
	cases := []struct {
		name     string
		from, to refDType
		in, want []float64
	}{
		{"float to int32 truncates", refFloat64, refInt32, vals(-1.7, 1.7, 2.5, -0.5), vals(-1, 1, 2, 0)},
		{"int64 to uint8 wraps", refInt64, refUint8, vals(256, -1, 300, 255), vals(0, 255, 44, 255)},
		{"int64 to int32 wraps", refInt64, refInt32, vals(2147483648, -2147483649, 4294967296), vals(-2147483648, 2147483647, 0)},
		{"float to uint8 wraps", refFloat64, refUint8, vals(-1.5, 257.9), vals(255, 1)},
		{"huge float to int32 wraps exactly", refFloat64, refInt32, vals(0x1p64+3*0x1p31, -0x1p63, 0x1p70+5), vals(-2147483648, 0, 0)},
		{"nan and inf to int", refFloat64, refInt64, vals(nan, inf, ninf), vals(0, 0, 0)},
		{"to bool", refFloat64, refBool, vals(0, math.Copysign(0, -1), 2, nan, -0.1), vals(0, 0, 1, 1, 1)},
		{"bool to float", refBool, refFloat32, vals(1, 0), vals(1, 0)},
		{"uint8 to int32", refUint8, refInt32, vals(255), vals(255)},
		{"to float32", refFloat64, refFloat32, vals(0.1, 1e40, 1e-46), vals(float64(float32(0.1)), inf, 0)},
		{"to float16", refFloat64, refFloat16,
			vals(1.0/3, 65519, 65520, 0x1p-25, 3*0x1p-26, 1+0x1p-11, 1+3*0x1p-11, 0.1, 1e-7, 6e-8, 2.98e-8, 3e-8, 1e5, -2.5e-5, 1234.567, 6.1e-5, -65520, nan, ninf),
			vals(0.333251953125, 65504, inf, 0, 5.960464477539063e-08, 1, 1.001953125, 0.0999755859375, 1.1920928955078125e-07, 5.960464477539063e-08, 0, 5.960464477539063e-08, inf, -2.4974346160888672e-05, 1235, 6.097555160522461e-05, ninf, nan, ninf)},
		{"to bfloat16", refFloat64, refBFloat16,
			vals(1.0/3, 1+0x1p-8, 1+3*0x1p-8, 0.1, 3.4e38, 1e-40, 256.5, 257),
			vals(0.333984375, 1, 1.015625, 0.10009765625, inf, 0x1p-133, 256, 256)},
		{"float16 to int32", refFloat16, refInt32, vals(-2.5, 3.75), vals(-2, 3)},
	}
	for _, c := range cases {
		got := refCast(newRef(c.from, c.in), c.to)
		expectRef(t, c.name, got, nil, c.to, shp(len(c.in)), c.want)
	}
}

// TestRefRoundFloat cross-checks the hand-written rounding against Go's float32
// conversion and a bit-level bfloat16 rounding of float32 values.
func TestRefRoundFloat(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 100000; i++ {
		x := math.Float64frombits(rng.Uint64())
		if math.IsNaN(x) {
			continue
		}
		if got, want := refRoundFloat32(x), float64(float32(x)); got != want || math.Signbit(got) != math.Signbit(want) {
			t.Fatalf("refRoundFloat32(%v) = %v, want %v", x, got, want)
		}
		f := math.Float32frombits(rng.Uint32())
		if f != f || math.IsInf(float64(f), 0) {
			continue
		}
		u := math.Float32bits(f)
		u += 0x7fff + (u>>16)&1
		u &= 0xffff0000
		if got, want := refRoundBFloat16(float64(f)), float64(math.Float32frombits(u)); got != want {
			t.Fatalf("refRoundBFloat16(%v) = %v, want %v", f, got, want)
		}
	}
}

func TestRefLayerNorm(t *testing.T) {
	x := newRef(refFloat64, vals(1, 2, 3, 4, 4, 4), 2, 3)
	ones := newRef(refFloat64, vals(1, 1, 1))
	got, err := refLayerNorm(x, -1, ones, nil, 1e-5)
	expectRef(t, "layernorm", got, err, refFloat64, shp(2, 3), vals(-1.2247356859083902, 0, 1.2247356859083902, 0, 0, 0))
	got, err = refLayerNorm(x, 1, newRef(refFloat64, vals(1, 2, 3)), refScalar(refFloat64, 0.5), 1e-5)
	expectRef(t, "layernorm scale bias", got, err, refFloat64, shp(2, 3), vals(-0.7247356859083902, 0.5, 4.17420705772517, 0.5, 0.5, 0.5))
	got, err = refLayerNorm(newRef(refFloat64, vals(1, 2, 3, 5), 2, 2), 0, refScalar(refFloat64, 1), nil, 1e-5)
	expectRef(t, "layernorm all axes", got, err, refFloat64, shp(2, 2), vals(-1.1832132521355805, -0.5070913937723917, 0.1690304645907972, 1.521274181317175))
	_, err = refLayerNorm(x, -1, newRef(refFloat64, vals(1, 1)), nil, 1e-5)
	expectErr(t, "layernorm scale shape", err, "LayerNorm")
	_, err = refLayerNorm(x, 2, ones, nil, 1e-5)
	expectErr(t, "layernorm axis", err, "LayerNorm")
	_, err = refLayerNorm(x, -1, newRef(refFloat64, iota64(6), 2, 3), nil, 1e-5)
	expectErr(t, "layernorm scale too big", err, "LayerNorm")
}

func TestRefConv(t *testing.T) {
	x1 := newRef(refFloat64, vals(1, 2, 3, 4, 5), 1, 1, 5)
	w1 := newRef(refFloat64, vals(1, 0, -1), 1, 1, 3)
	cases := []struct {
		name               string
		x, w               *refArray
		strides, dil, pads []int
		groups             int
		shape              []int
		want               []float64
	}{
		{"1d valid", x1, w1, nil, nil, nil, 0, shp(1, 1, 3), vals(-2, -2, -2)},
		{"1d pad", x1, w1, nil, nil, []int{1, 1}, 0, shp(1, 1, 5), vals(-2, -2, -2, -2, 4)},
		{"1d pad stride", x1, w1, []int{2}, nil, []int{1, 1}, 1, shp(1, 1, 3), vals(-2, -2, 4)},
		{"1d dilation", x1, w1, nil, []int{2}, nil, 0, shp(1, 1, 1), vals(-4)},
		{"1d asymmetric pad", x1, w1, nil, nil, []int{0, 2}, 0, shp(1, 1, 5), vals(-2, -2, -2, 4, 5)},
		{"1d stride floor", x1, newRef(refFloat64, vals(1, 1), 1, 1, 2), []int{2}, nil, nil, 0, shp(1, 1, 2), vals(3, 7)},
		// 2-D, two channels: ch0 = 0..8, ch1 = all 1.
		{"2d groups", newRef(refFloat64, vals(0, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1, 1, 1, 1, 1, 1, 1, 1), 1, 2, 3, 3),
			newRef(refFloat64, vals(1, 0, 0, 1, 1, 1, 1, 1), 2, 1, 2, 2), nil, nil, nil, 2, shp(1, 2, 2, 2),
			vals(4, 6, 10, 12, 4, 4, 4, 4)},
		{"2d sum channels", newRef(refFloat64, vals(0, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1, 1, 1, 1, 1, 1, 1, 1), 1, 2, 3, 3),
			newRef(refFloat64, vals(1, 0, 0, 1, 1, 1, 1, 1), 1, 2, 2, 2), nil, nil, nil, 1, shp(1, 1, 2, 2),
			vals(8, 10, 14, 16)},
		{"2d pad stride", newRef(refFloat64, iota64(9), 1, 1, 3, 3), newRef(refFloat64, vals(1, 0, 0, 1), 1, 1, 2, 2),
			[]int{2, 2}, nil, []int{1, 1, 1, 1}, 1, shp(1, 1, 2, 2), vals(0, 2, 6, 12)},
		// Two images, two output channels (w0 = +1, w1 = -2, 1x1 kernels).
		{"2d batch and outputs", newRef(refFloat64, vals(1, 2, 3, 4), 2, 1, 1, 2), newRef(refFloat64, vals(1, -2), 2, 1, 1, 1),
			nil, nil, nil, 0, shp(2, 2, 1, 2), vals(1, 2, -2, -4, 3, 4, -6, -8)},
		{"3d", newRef(refFloat64, iota64(8), 1, 1, 2, 2, 2), newRef(refFloat64, vals(1, 1, 1, 1, 1, 1, 1, 1), 1, 1, 2, 2, 2),
			nil, nil, nil, 0, shp(1, 1, 1, 1, 1), vals(28)},
		{"empty batch", newRef(refFloat64, nil, 0, 1, 5), w1, nil, nil, nil, 0, shp(0, 1, 3), nil},
	}
	for _, c := range cases {
		got, err := refConv(c.x, c.w, c.strides, c.dil, c.pads, c.groups)
		expectRef(t, c.name, got, err, refFloat64, c.shape, c.want)
	}
	_, err := refConv(newRef(refFloat64, iota64(18), 1, 2, 3, 3), newRef(refFloat64, iota64(8), 2, 1, 2, 2), nil, nil, nil, 1)
	expectErr(t, "conv channels", err, "Conv")
	_, err = refConv(newRef(refFloat64, iota64(18), 1, 2, 3, 3), newRef(refFloat64, iota64(12), 3, 1, 2, 2), nil, nil, nil, 2)
	expectErr(t, "conv groups", err, "Conv")
	_, err = refConv(x1, newRef(refFloat64, iota64(7), 1, 1, 7), nil, nil, nil, 0)
	expectErr(t, "conv kernel too big", err, "Conv")
	_, err = refConv(x1, w1, []int{1, 1}, nil, nil, 0)
	expectErr(t, "conv strides length", err, "Conv")
	_, err = refConv(x1, w1, nil, nil, []int{1}, 0)
	expectErr(t, "conv pads length", err, "Conv")
	_, err = refConv(newRef(refInt32, vals(1, 2, 3, 4, 5), 1, 1, 5), newRef(refInt32, vals(1, 0, -1), 1, 1, 3), nil, nil, nil, 0)
	expectErr(t, "conv int", err, "Conv")
}

func TestRefPool(t *testing.T) {
	x := newRef(refFloat64, vals(1, 3, 2, 5, 4), 1, 1, 5)
	got, err := refMaxPool(x, []int{2}, []int{2}, nil, nil, false)
	expectRef(t, "maxpool floor", got, err, refFloat64, shp(1, 1, 2), vals(3, 5))
	got, err = refMaxPool(x, []int{2}, []int{2}, nil, nil, true)
	expectRef(t, "maxpool ceil", got, err, refFloat64, shp(1, 1, 3), vals(3, 5, 4))
	got, err = refAvgPool(x, []int{2}, []int{2}, nil, true, false)
	expectRef(t, "avgpool ceil partial window", got, err, refFloat64, shp(1, 1, 3), vals(2, 3.5, 4))
	got, err = refAvgPool(x, []int{2}, []int{2}, nil, true, true)
	expectRef(t, "avgpool ceil past padded end", got, err, refFloat64, shp(1, 1, 3), vals(2, 3.5, 4))

	// in=5, k=2, s=2, pad 1: ceil would give 4 windows, but the 4th starts in the right
	// padding and is dropped.
	got, err = refMaxPool(x, []int{2}, []int{2}, nil, []int{1, 1}, true)
	expectRef(t, "maxpool ceil drop", got, err, refFloat64, shp(1, 1, 3), vals(1, 3, 5))

	// in=6, k=3, s=2, pad 1, ceil: windows start at -1, 1, 3, 5.
	y := newRef(refFloat64, vals(1, 2, 3, 4, 5, 6), 1, 1, 6)
	got, err = refMaxPool(y, []int{3}, []int{2}, nil, []int{1, 1}, true)
	expectRef(t, "maxpool ceil pad", got, err, refFloat64, shp(1, 1, 4), vals(2, 4, 6, 6))
	got, err = refMaxPool(y, []int{3}, []int{2}, nil, []int{1, 1}, false)
	expectRef(t, "maxpool floor pad", got, err, refFloat64, shp(1, 1, 3), vals(2, 4, 6))
	got, err = refAvgPool(y, []int{3}, []int{2}, []int{1, 1}, true, false)
	expectRef(t, "avgpool exclude pad", got, err, refFloat64, shp(1, 1, 4), vals(1.5, 3, 5, 6))
	got, err = refAvgPool(y, []int{3}, []int{2}, []int{1, 1}, true, true)
	expectRef(t, "avgpool include pad", got, err, refFloat64, shp(1, 1, 4), vals(1, 3, 5, 3))

	// MaxPool ignores padding even when every value is negative.
	got, err = refMaxPool(newRef(refFloat64, vals(-1, -2, -3), 1, 1, 3), []int{2}, nil, nil, []int{1, 1}, false)
	expectRef(t, "maxpool negative", got, err, refFloat64, shp(1, 1, 4), vals(-1, -1, -2, -3))
	got, err = refMaxPool(newRef(refFloat64, vals(1, nan, 3, 4), 1, 1, 4), []int{2}, []int{2}, nil, nil, false)
	expectRef(t, "maxpool nan", got, err, refFloat64, shp(1, 1, 2), vals(nan, 4))

	// 2-D with dilation 2: out[i,j] = max(x[i,j], x[i,j+2], x[i+2,j], x[i+2,j+2]).
	z := newRef(refFloat64, iota64(16), 1, 1, 4, 4)
	got, err = refMaxPool(z, []int{2, 2}, nil, []int{2, 2}, nil, false)
	expectRef(t, "maxpool dilation", got, err, refFloat64, shp(1, 1, 2, 2), vals(10, 11, 14, 15))
	got, err = refAvgPoolDilated(z, []int{2, 2}, nil, []int{2, 2}, nil, false, false)
	expectRef(t, "avgpool dilation", got, err, refFloat64, shp(1, 1, 2, 2), vals(5, 6, 9, 10))
	got, err = refAvgPool(z, []int{2, 2}, []int{2, 2}, nil, false, false)
	expectRef(t, "avgpool 2d", got, err, refFloat64, shp(1, 1, 2, 2), vals(2.5, 4.5, 10.5, 12.5))

	w := newRef(refFloat64, vals(1, 2, 3, 4), 1, 1, 2, 2)
	got, err = refAvgPool(w, []int{2, 2}, []int{2, 2}, []int{1, 1, 1, 1}, false, false)
	expectRef(t, "avgpool pad exclude", got, err, refFloat64, shp(1, 1, 2, 2), vals(1, 2, 3, 4))
	got, err = refAvgPool(w, []int{2, 2}, []int{2, 2}, []int{1, 1, 1, 1}, false, true)
	expectRef(t, "avgpool pad include", got, err, refFloat64, shp(1, 1, 2, 2), vals(0.25, 0.5, 0.75, 1))

	// 3-D, two channels.
	v := newRef(refFloat64, append(iota64(8), iota64(8)...), 1, 2, 2, 2, 2)
	got, err = refMaxPool(v, []int{2, 2, 2}, nil, nil, nil, false)
	expectRef(t, "maxpool 3d", got, err, refFloat64, shp(1, 2, 1, 1, 1), vals(7, 7))

	_, err = refMaxPool(x, []int{6}, nil, nil, nil, false)
	expectErr(t, "maxpool kernel too big", err, "MaxPool")
	_, err = refAvgPool(x, []int{2, 2}, nil, nil, false, false)
	expectErr(t, "avgpool rank", err, "AvgPool")
	_, err = refMaxPool(x, []int{2}, []int{0}, nil, nil, false)
	expectErr(t, "maxpool stride 0", err, "MaxPool")
}

func TestRefCompare(t *testing.T) {
	want := newRef(refFloat64, vals(1, 2, nan, inf, ninf, 0))
	if i, ok := refCompare(vals(1, 2.0001, nan, inf, ninf, 1e-9), want, 1e-3, 1e-8); !ok {
		t.Errorf("refCompare close: failed at %d", i)
	}
	for _, c := range []struct {
		got []float64
		idx int
	}{
		{vals(1, 2.01, nan, inf, ninf, 0), 1},
		{vals(1, 2, 0, inf, ninf, 0), 2},
		{vals(1, 2, nan, ninf, ninf, 0), 3},
		{vals(1, 2, nan, inf, 1e300, 0), 4},
		{vals(1, 2, nan, inf, ninf, 1e-7), 5},
		{vals(1, 2, nan), 3},
		{vals(nan, 2, nan, inf, ninf, 0), 0},
	} {
		if i, ok := refCompare(c.got, want, 1e-3, 1e-8); ok || i != c.idx {
			t.Errorf("refCompare(%v) = %d, %v; want %d, false", c.got, i, ok, c.idx)
		}
	}
}

func TestRefConstruction(t *testing.T) {
	got, err := refArange(0, 5, 1.5, refFloat64)
	expectRef(t, "arange", got, err, refFloat64, shp(4), vals(0, 1.5, 3, 4.5))
	got, err = refArange(5, 0, -2, refInt32)
	expectRef(t, "arange down", got, err, refInt32, shp(3), vals(5, 3, 1))
	got, err = refArange(0, -1, 1, refFloat32)
	expectRef(t, "arange empty", got, err, refFloat32, shp(0), nil)
	_, err = refArange(0, 1, 0, refFloat32)
	expectErr(t, "arange step 0", err, "Arange")
	got, err = refFull(2.5, refInt32, 2, 1)
	expectRef(t, "full", got, err, refInt32, shp(2, 1), vals(2, 2))
	_, err = refFull(1, refFloat32, -1)
	expectErr(t, "full negative", err, "Full")
}

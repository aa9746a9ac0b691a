package backendtest

import (
	"fmt"
	"math"
	"testing"

	"github.com/crossbar-compute/crossbar/tensor"
)

// unaryOp is one unary op of the API with the values it is tested on.
type unaryOp struct {
	name  string
	f     func(*tensor.Tensor) *tensor.Tensor
	g     gen
	ints  bool // also defined on integer dtypes (Uint8, Int32, Int64)
	param []float64
}

func unaryOps() []unaryOp {
	m := func(f func(*tensor.Tensor) *tensor.Tensor) func(*tensor.Tensor) *tensor.Tensor { return f }
	return []unaryOp{
		{name: "Neg", f: m((*tensor.Tensor).Neg), g: genGeneral, ints: true},
		{name: "Abs", f: m((*tensor.Tensor).Abs), g: genGeneral, ints: true},
		{name: "Sign", f: m((*tensor.Tensor).Sign), g: genSmall, ints: true},
		{name: "Exp", f: m((*tensor.Tensor).Exp), g: genRange(-10, 10)},
		{name: "Log", f: m((*tensor.Tensor).Log), g: genRange(1e-3, 100)},
		{name: "Sqrt", f: m((*tensor.Tensor).Sqrt), g: genRange(0, 100)},
		{name: "Reciprocal", f: m((*tensor.Tensor).Reciprocal), g: genNonzero, ints: true},
		{name: "Sin", f: m((*tensor.Tensor).Sin), g: genRange(-7, 7)},
		{name: "Cos", f: m((*tensor.Tensor).Cos), g: genRange(-7, 7)},
		{name: "Tan", f: m((*tensor.Tensor).Tan), g: genRange(-1.3, 1.3)},
		{name: "Asin", f: m((*tensor.Tensor).Asin), g: genRange(-1, 1)},
		{name: "Acos", f: m((*tensor.Tensor).Acos), g: genRange(-1, 1)},
		{name: "Atan", f: m((*tensor.Tensor).Atan), g: genRange(-10, 10)},
		{name: "Sinh", f: m((*tensor.Tensor).Sinh), g: genRange(-5, 5)},
		{name: "Cosh", f: m((*tensor.Tensor).Cosh), g: genRange(-5, 5)},
		{name: "Tanh", f: m((*tensor.Tensor).Tanh), g: genRange(-5, 5)},
		{name: "Erf", f: m((*tensor.Tensor).Erf), g: genRange(-3, 3)},
		{name: "Floor", f: m((*tensor.Tensor).Floor), g: genRoundable, ints: true},
		{name: "Ceil", f: m((*tensor.Tensor).Ceil), g: genRoundable, ints: true},
		{name: "Round", f: m((*tensor.Tensor).Round), g: genRoundable, ints: true},
		{name: "Sigmoid", f: m((*tensor.Tensor).Sigmoid), g: genRange(-12, 12)},
		{name: "ReLU", f: m((*tensor.Tensor).ReLU), g: genGeneral, ints: true},
		{name: "GELU", f: m((*tensor.Tensor).GELU), g: genRange(-6, 6)},
		{name: "SiLU", f: m((*tensor.Tensor).SiLU), g: genRange(-8, 8)},
		{name: "Softplus", f: m((*tensor.Tensor).Softplus), g: genRange(-30, 30)},
		{name: "Softsign", f: m((*tensor.Tensor).Softsign), g: genGeneral},
		{name: "Clip", param: []float64{-1.5, 2.25}, g: genGeneral, ints: true,
			f: func(x *tensor.Tensor) *tensor.Tensor { return x.Clip(-1.5, 2.25) }},
		{name: "Clip", param: []float64{math.Inf(-1), 0.5}, g: genGeneral, ints: true,
			f: func(x *tensor.Tensor) *tensor.Tensor { return x.Clip(math.Inf(-1), 0.5) }},
		{name: "Clip", param: []float64{0, math.Inf(1)}, g: genGeneral, ints: true,
			f: func(x *tensor.Tensor) *tensor.Tensor { return x.Clip(0, math.Inf(1)) }},
		{name: "Clip", param: []float64{2, 1}, g: genGeneral, ints: true,
			f: func(x *tensor.Tensor) *tensor.Tensor { return x.Clip(2, 1) }},
		{name: "LeakyReLU", param: []float64{0.1}, g: genGeneral,
			f: func(x *tensor.Tensor) *tensor.Tensor { return x.LeakyReLU(0.1) }},
		{name: "ELU", param: []float64{1}, g: genGeneral,
			f: func(x *tensor.Tensor) *tensor.Tensor { return x.ELU(1) }},
		{name: "ELU", param: []float64{0.5}, g: genGeneral,
			f: func(x *tensor.Tensor) *tensor.Tensor { return x.ELU(0.5) }},
		{name: "HardSigmoid", param: []float64{0.2, 0.5}, g: genGeneral,
			f: func(x *tensor.Tensor) *tensor.Tensor { return x.HardSigmoid(0.2, 0.5) }},
		{name: "HardSigmoid", param: []float64{1.0 / 6, 0.5}, g: genGeneral,
			f: func(x *tensor.Tensor) *tensor.Tensor { return x.HardSigmoid(1.0/6, 0.5) }},
	}
}

// ref computes the reference result of op on a.
func (op unaryOp) ref(a *refArray) *refArray {
	if op.param != nil {
		return refUnaryParam(op.name, a, op.param...)
	}
	return refUnary(op.name, a)
}

// label is the op with its parameters, for names and messages: "Clip(-1.5,2.25)".
func (op unaryOp) label() string {
	if op.param == nil {
		return op.name
	}
	s := op.name + "("
	for i, p := range op.param {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprint(p)
	}
	return s + ")"
}

// shapeCase is a shape with the view an operand of that shape is made through.
type shapeCase struct {
	shape []int
	v     view
}

func (sc shapeCase) String() string {
	if sc.v == contiguous {
		return fmt.Sprint(sc.shape)
	}
	return fmt.Sprintf("%v%v", sc.v, sc.shape)
}

// unaryShapes are the shapes of the full sweep (one dtype per op family); fewShapes those of
// the other dtypes.
var (
	unaryShapes = []shapeCase{
		{sh(), contiguous}, {sh(0), contiguous}, {sh(1), contiguous}, {sh(7), contiguous},
		{sh(3, 17), contiguous}, {sh(2, 3, 33), contiguous}, {sh(129), contiguous}, {sh(5, 0, 3), contiguous},
		{sh(2, 65), contiguous}, {sh(129, 65), contiguous}, {sh(4099), contiguous}, {sh(17, 33), viewT}, {sh(3, 4, 5), viewPermute}, {sh(4, 17), viewSlice},
		{sh(3, 7), viewNegSlice}, {sh(5, 7), viewFlip}, {sh(4, 3, 7), viewExpand}, {sh(1, 33), viewExpand},
	}
	fewShapes = []shapeCase{{sh(), contiguous}, {sh(3, 17), contiguous}, {sh(65), contiguous}, {sh(7, 9), viewT}, {sh(3, 5), viewSlice}}
)

func (s *suite) elementwise(t *testing.T) {
	s.unary(t)
	s.binary(t)
	s.where(t)
}

func (s *suite) unary(t *testing.T) {
	for _, op := range unaryOps() {
		for _, dt := range s.dtypes {
			if dt == refBool && op.ints {
				continue // numeric ops whose meaning on Bool the API leaves open
			}
			if !dt.isFloat() && !op.ints {
				// Float-only ops reject integer inputs.
				s.run(t, fmt.Sprintf("%s/%v/error", op.label(), dt), func(c *tc) {
					a := c.input(dt, sh(2, 3), genGeneral, contiguous)
					c.checkErr(op.name, fmt.Sprintf("%s(%s)", op.label(), a.desc), op.f(a.t))
				})
				continue
			}
			shapes := fewShapes
			if dt == refFloat32 || dt == refInt32 {
				shapes = unaryShapes
			}
			for _, sc := range shapes {
				s.run(t, fmt.Sprintf("%s/%v/%v", op.label(), dt, sc), func(c *tc) {
					a := c.input(dt, sc.shape, op.g, sc.v)
					c.check(op.label(), []operand{a}, op.f(a.t), op.ref(a.ref), tolElem(dt))
				})
			}
			if dt.isFloat() {
				s.run(t, fmt.Sprintf("%s/%v/specials", op.label(), dt), func(c *tc) {
					sp := floatSpecials()
					a := c.opnd(refFrom(dt, sp, sh(len(sp))))
					c.check(op.label(), []operand{a}, op.f(a.t), op.ref(a.ref), tolElem(dt))
				})
			}
		}
	}
	// Not is defined on Bool only.
	if s.has(refBool) {
		for _, sc := range unaryShapes {
			s.run(t, fmt.Sprintf("Not/bool/%v", sc), func(c *tc) {
				a := c.input(refBool, sc.shape, genGeneral, sc.v)
				c.check("Not", []operand{a}, a.t.Not(), refUnary("Not", a.ref), exact)
			})
		}
	}
	for _, dt := range s.numeric() {
		s.run(t, fmt.Sprintf("Not/%v/error", dt), func(c *tc) {
			a := c.input(dt, sh(4), genGeneral, contiguous)
			c.checkErr("Not", "Not("+a.desc+")", a.t.Not())
		})
	}
}

// binaryOp is one binary op of the API with the values its operands are drawn from.
type binaryOp struct {
	name   string
	f      func(a, b *tensor.Tensor) *tensor.Tensor
	ga, gb gen
	bools  bool // also defined on Bool
	arith  bool // an arithmetic op (not a comparison or logical op)
}

// genPowBase and genPowExp keep Pow finite and exact enough: float bases in [0.1, 3] with
// exponents in [-3, 3]; integer bases in [-5, 5] (Uint8 [0, 6]) with exponents in [0, 4]
// (Uint8 [0, 3]).
func genPowBase(r *randT, dt refDType) float64 {
	switch dt {
	case refUint8:
		return intIn(r, 0, 6)
	case refInt32, refInt64:
		return intIn(r, -5, 5)
	}
	return uniform(r, 0.1, 3)
}

func genPowExp(r *randT, dt refDType) float64 {
	switch dt {
	case refUint8:
		return intIn(r, 0, 3)
	case refInt32, refInt64:
		return intIn(r, 0, 4)
	}
	return uniform(r, -3, 3)
}

func binaryOps() []binaryOp {
	return []binaryOp{
		{name: "Add", f: (*tensor.Tensor).Add, ga: genWide, gb: genWide, bools: true, arith: true},
		{name: "Sub", f: (*tensor.Tensor).Sub, ga: genWide, gb: genWide, arith: true},
		{name: "Mul", f: (*tensor.Tensor).Mul, ga: genWide, gb: genWide, bools: true, arith: true},
		{name: "Div", f: (*tensor.Tensor).Div, ga: genWide, gb: genNonzero, arith: true},
		{name: "Pow", f: (*tensor.Tensor).Pow, ga: genPowBase, gb: genPowExp, arith: true},
		{name: "Maximum", f: (*tensor.Tensor).Maximum, ga: genSmall, gb: genSmall, bools: true, arith: true},
		{name: "Minimum", f: (*tensor.Tensor).Minimum, ga: genSmall, gb: genSmall, bools: true, arith: true},
		{name: "Mod", f: (*tensor.Tensor).Mod, ga: genGeneral, gb: genNonzero, arith: true},
		{name: "FMod", f: (*tensor.Tensor).FMod, ga: genGeneral, gb: genNonzero, arith: true},
		{name: "Equal", f: (*tensor.Tensor).Equal, ga: genSmall, gb: genSmall, bools: true},
		{name: "NotEqual", f: (*tensor.Tensor).NotEqual, ga: genSmall, gb: genSmall, bools: true},
		{name: "Less", f: (*tensor.Tensor).Less, ga: genSmall, gb: genSmall, bools: true},
		{name: "LessEqual", f: (*tensor.Tensor).LessEqual, ga: genSmall, gb: genSmall, bools: true},
		{name: "Greater", f: (*tensor.Tensor).Greater, ga: genSmall, gb: genSmall, bools: true},
		{name: "GreaterEqual", f: (*tensor.Tensor).GreaterEqual, ga: genSmall, gb: genSmall, bools: true},
	}
}

// binShape is a pair of operand shapes (with views) of a binary case.
type binShape struct {
	name   string
	sa, sb shapeCase
}

func binShapes(full bool) []binShape {
	c := func(s ...int) shapeCase { return shapeCase{sh(s...), contiguous} }
	few := []binShape{
		{"same", c(3, 17), c(3, 17)},
		{"broadcast", c(2, 1, 3), c(4, 3)},
		{"scalar", c(5, 7), c()},
		{"views", shapeCase{sh(7, 9), viewT}, shapeCase{sh(7, 9), viewSlice}},
	}
	if !full {
		return few
	}
	return append(few,
		binShape{"scalars", c(), c()},
		binShape{"scalar", c(), c(33)},
		binShape{"empty", c(0, 3), c(1, 3)},
		binShape{"same", c(129), c(129)},
		binShape{"broadcast", c(65), c(1)},
		binShape{"broadcast", c(1, 129), c(33, 1)},
		binShape{"broadcast", c(129, 65), c(65)},
		binShape{"broadcast", c(2, 3, 1, 5), c(3, 4, 1)},
		binShape{"views", shapeCase{sh(3, 4, 5), viewPermute}, shapeCase{sh(3, 4, 5), viewFlip}},
		binShape{"views", shapeCase{sh(4, 3, 7), viewExpand}, shapeCase{sh(4, 3, 7), viewNegSlice}},
		binShape{"views", shapeCase{sh(17, 33), viewT}, shapeCase{sh(33), viewFlip}},
	)
}

func (s *suite) binary(t *testing.T) {
	for _, op := range binaryOps() {
		dts := s.numeric()
		if op.bools && s.has(refBool) {
			dts = append([]refDType{refBool}, dts...)
		}
		for _, dt := range dts {
			full := dt == refFloat32 || dt == refInt32
			for _, bs := range binShapes(full) {
				s.run(t, fmt.Sprintf("%s/%v/%s%vx%v", op.name, dt, bs.name, bs.sa, bs.sb), func(c *tc) {
					a := c.input(dt, bs.sa.shape, op.ga, bs.sa.v)
					b := c.input(dt, bs.sb.shape, op.gb, bs.sb.v)
					want, err := refBinary(op.name, a.ref, b.ref)
					if err != nil {
						panic(err)
					}
					c.check(op.name, []operand{a, b}, op.f(a.t, b.t), want, tolElem(dt))
				})
			}
			if dt.isFloat() {
				// Every pair of special values: [n 1] against [n].
				s.run(t, fmt.Sprintf("%s/%v/specials", op.name, dt), func(c *tc) {
					sp := floatSpecials()
					a := c.opnd(refFrom(dt, sp, sh(len(sp), 1)))
					b := c.opnd(refFrom(dt, sp, sh(len(sp))))
					want, err := refBinary(op.name, a.ref, b.ref)
					if err != nil {
						panic(err)
					}
					c.check(op.name, []operand{a, b}, op.f(a.t, b.t), want, tolElem(dt))
				})
			}
		}
	}
	// Integer sign cases of Div, Mod and FMod, and Pow with negative exponents.
	signed := []float64{7, -7, 6, -6, 0, 1, -1, 13, -13, 100, -100}
	divisors := []float64{2, -2, 3, -3, 1, -1, 7, -7, 5}
	unsigned := []float64{7, 6, 0, 1, 13, 255, 100}
	for _, dt := range s.ints() {
		for _, name := range []string{"Div", "Mod", "FMod"} {
			op := binOpByName(name)
			s.run(t, fmt.Sprintf("%s/%v/signs", name, dt), func(c *tc) {
				x, y := signed, divisors
				if dt == refUint8 {
					x, y = unsigned, []float64{2, 3, 1, 7, 5, 255}
				}
				a := c.opnd(refFrom(dt, x, sh(len(x), 1)))
				b := c.opnd(refFrom(dt, y, sh(len(y))))
				want, _ := refBinary(name, a.ref, b.ref)
				c.check(name, []operand{a, b}, op.f(a.t, b.t), want, exact)
			})
			// Integer division by zero gives 0 (the tensor package's documented choice).
			s.run(t, fmt.Sprintf("%s/%v/zero-divisor", name, dt), func(c *tc) {
				x := signed
				if dt == refUint8 {
					x = unsigned
				}
				a := c.opnd(refFrom(dt, x, sh(len(x))))
				b := c.opnd(refFrom(dt, []float64{0}, sh(1)))
				want, _ := refBinary(name, a.ref, b.ref)
				c.check(name, []operand{a, b}, op.f(a.t, b.t), want, exact)
			})
		}
		s.run(t, fmt.Sprintf("Pow/%v/exponents", dt), func(c *tc) {
			base, exps := []float64{-3, -2, -1, 0, 1, 2, 3, 5}, []float64{-2, -1, 0, 1, 2, 3, 4}
			if dt == refUint8 {
				base, exps = []float64{0, 1, 2, 3, 4, 15}, []float64{0, 1, 2, 3}
			}
			a := c.opnd(refFrom(dt, base, sh(len(base), 1)))
			b := c.opnd(refFrom(dt, exps, sh(len(exps))))
			want, _ := refBinary("Pow", a.ref, b.ref)
			c.check("Pow", []operand{a, b}, a.t.Pow(b.t), want, exact)
		})
	}
	// Float sign cases of Mod and FMod, and Pow of negative bases with integer exponents.
	for _, dt := range s.floats() {
		s.run(t, fmt.Sprintf("Mod/%v/signs", dt), func(c *tc) {
			x, y := []float64{7.5, -7.5, 6, -6, 0.75, -0.75, 3}, []float64{2, -2, 3, -3, 0.5, -0.5}
			a := c.opnd(refFrom(dt, x, sh(len(x), 1)))
			b := c.opnd(refFrom(dt, y, sh(len(y))))
			for _, name := range []string{"Mod", "FMod"} {
				want, _ := refBinary(name, a.ref, b.ref)
				c.check(name, []operand{a, b}, binOpByName(name).f(a.t, b.t), want, tolElem(dt))
			}
		})
		s.run(t, fmt.Sprintf("Pow/%v/negative-base", dt), func(c *tc) {
			a := c.opnd(refFrom(dt, []float64{-3, -2, -1.5, -1, -0.5}, sh(5, 1)))
			b := c.opnd(refFrom(dt, []float64{-2, -1, 0, 1, 2, 3, 0.5}, sh(7)))
			want, _ := refBinary("Pow", a.ref, b.ref)
			c.check("Pow", []operand{a, b}, a.t.Pow(b.t), want, tolElem(dt))
		})
	}
	// And, Or, Xor are defined on Bool only.
	for _, name := range []string{"And", "Or", "Xor"} {
		f := map[string]func(a, b *tensor.Tensor) *tensor.Tensor{
			"And": (*tensor.Tensor).And, "Or": (*tensor.Tensor).Or, "Xor": (*tensor.Tensor).Xor}[name]
		if s.has(refBool) {
			for _, bs := range binShapes(true) {
				s.run(t, fmt.Sprintf("%s/bool/%s%vx%v", name, bs.name, bs.sa, bs.sb), func(c *tc) {
					a := c.input(refBool, bs.sa.shape, genGeneral, bs.sa.v)
					b := c.input(refBool, bs.sb.shape, genGeneral, bs.sb.v)
					want, _ := refBinary(name, a.ref, b.ref)
					c.check(name, []operand{a, b}, f(a.t, b.t), want, exact)
				})
			}
		}
		for _, dt := range s.numeric() {
			s.run(t, fmt.Sprintf("%s/%v/error", name, dt), func(c *tc) {
				a := c.input(dt, sh(3), genGeneral, contiguous)
				b := c.input(dt, sh(3), genGeneral, contiguous)
				c.checkErr(name, fmt.Sprintf("%s(%s, %s)", name, a.desc, b.desc), f(a.t, b.t))
			})
		}
	}
}

func binOpByName(name string) binaryOp {
	for _, op := range binaryOps() {
		if op.name == name {
			return op
		}
	}
	panic("binOpByName: " + name)
}

func (s *suite) where(t *testing.T) {
	if !s.has(refBool) {
		return
	}
	type whereShape struct{ c, a, b shapeCase }
	c := func(s ...int) shapeCase { return shapeCase{sh(s...), contiguous} }
	shapes := []whereShape{
		{c(3, 17), c(3, 17), c(3, 17)},
		{c(2, 1, 3), c(4, 3), c()},
		{c(), c(5), c(5)},
		{c(), c(), c()},
		{c(0, 3), c(3), c(1)},
		{c(65, 1), c(1, 33), c(33)},
		{shapeCase{sh(7, 9), viewT}, shapeCase{sh(7, 9), viewSlice}, shapeCase{sh(7, 9), viewFlip}},
		{shapeCase{sh(4, 3, 5), viewExpand}, shapeCase{sh(4, 3, 5), viewPermute}, c(5)},
	}
	for _, dt := range s.dtypes {
		for i, ws := range shapes {
			if dt != refFloat32 && i > 3 && i != 6 {
				continue
			}
			s.run(t, fmt.Sprintf("Where/%v/%vx%vx%v", dt, ws.c, ws.a, ws.b), func(c *tc) {
				cond := c.input(refBool, ws.c.shape, genGeneral, ws.c.v)
				a := c.input(dt, ws.a.shape, genGeneral, ws.a.v)
				b := c.input(dt, ws.b.shape, genGeneral, ws.b.v)
				want, err := refWhere(cond.ref, a.ref, b.ref)
				if err != nil {
					panic(err)
				}
				c.check("Where", []operand{cond, a, b}, tensor.Where(cond.t, a.t, b.t), want, exact)
			})
		}
		if dt.isFloat() {
			s.run(t, fmt.Sprintf("Where/%v/specials", dt), func(c *tc) {
				sp := floatSpecials()
				cond := c.input(refBool, sh(2, len(sp)), genGeneral, contiguous)
				a := c.opnd(refFrom(dt, sp, sh(len(sp))))
				b := c.input(dt, sh(2, 1), genGeneral, contiguous)
				want, _ := refWhere(cond.ref, a.ref, b.ref)
				c.check("Where", []operand{cond, a, b}, tensor.Where(cond.t, a.t, b.t), want, exact)
			})
		}
	}
}

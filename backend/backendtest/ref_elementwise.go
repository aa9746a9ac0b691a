package backendtest

import (
	"fmt"
	"math"
)

// ---- unary

// refUnaryOps lists the op names refUnary accepts (the API method names).
var refUnaryOps = []string{"Neg", "Abs", "Sign", "Not", "Exp", "Log", "Sqrt", "Reciprocal",
	"Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Tanh", "Erf", "Floor", "Ceil",
	"Round", "Sigmoid", "ReLU", "GELU", "SiLU", "Softplus", "Softsign"}

// refUnaryParamOps lists the op names refUnaryParam accepts with their parameter counts.
var refUnaryParamOps = map[string]int{"Clip": 2, "LeakyReLU": 1, "ELU": 1, "HardSigmoid": 2}

// refUnaryFloat is the float64 definition of each unary op.
func refUnaryFloat(op string, x float64) float64 {
	switch op {
	case "Neg":
		return -x
	case "Abs":
		return math.Abs(x)
	case "Sign":
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return x // ±0 and NaN
	case "Not":
		if x == 0 {
			return 1
		}
		return 0
	case "Exp":
		return math.Exp(x)
	case "Log":
		return math.Log(x)
	case "Sqrt":
		return math.Sqrt(x)
	case "Reciprocal":
		return 1 / x
	case "Sin":
		return math.Sin(x)
	case "Cos":
		return math.Cos(x)
	case "Tan":
		return math.Tan(x)
	case "Asin":
		return math.Asin(x)
	case "Acos":
		return math.Acos(x)
	case "Atan":
		return math.Atan(x)
	case "Sinh":
		return math.Sinh(x)
	case "Cosh":
		return math.Cosh(x)
	case "Tanh":
		return math.Tanh(x)
	case "Erf":
		return math.Erf(x)
	case "Floor":
		return math.Floor(x)
	case "Ceil":
		return math.Ceil(x)
	case "Round":
		return math.RoundToEven(x)
	case "Sigmoid":
		return refSigmoid(x)
	case "ReLU":
		if x < 0 {
			return 0
		}
		return x // NaN stays NaN
	case "GELU":
		return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
	case "SiLU":
		return x * refSigmoid(x)
	case "Softplus":
		// log(1+exp(x)) = max(x,0) + log1p(exp(-|x|)), which never overflows.
		if math.IsNaN(x) {
			return x
		}
		return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
	case "Softsign":
		return x / (1 + math.Abs(x))
	}
	panic(fmt.Sprintf("refUnary: unknown op %q", op))
}

// refSigmoid is 1/(1+exp(-x)), evaluated so that exp never overflows.
func refSigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// refUnary applies a unary op, named as the API method, elementwise. The result has a's
// dtype, except Not, which gives Bool (logical not; on a non-Bool input it is x == 0).
// On integer and Bool inputs Neg, Abs, Sign, Reciprocal (1/x truncated, 1/0 = 0), Floor,
// Ceil, Round and ReLU are exact integer operations that wrap to the type; every other op
// is computed in float64 and converted back like Cast (truncation toward zero, wrapping).
// Float results are rounded as refRoundResult says. An unknown op name panics.
func refUnary(op string, a *refArray) *refArray {
	outDT := a.dt
	if op == "Not" {
		outDT = refBool
	}
	out := refZeros(outDT, a.shape...)
	for i, x := range a.data {
		out.data[i] = refUnaryValue(op, a.dt, x)
	}
	return out
}

func refUnaryValue(op string, dt refDType, x float64) float64 {
	if op == "Not" {
		return refUnaryFloat("Not", x)
	}
	if dt.isFloat() {
		return refRoundResult(dt, refUnaryFloat(op, x))
	}
	v := int64(x)
	switch op {
	case "Neg":
		return float64(refWrapInt(dt, -v))
	case "Abs":
		if v < 0 {
			v = -v
		}
		return float64(refWrapInt(dt, v))
	case "Sign":
		switch {
		case v > 0:
			return 1
		case v < 0:
			return float64(refWrapInt(dt, -1))
		}
		return 0
	case "Reciprocal":
		if v == 0 {
			return 0
		}
		return float64(refWrapInt(dt, 1/v))
	case "Floor", "Ceil", "Round":
		return x
	case "ReLU":
		if v < 0 {
			return 0
		}
		return x
	}
	return refConvert(dt, refUnaryFloat(op, x))
}

// refUnaryParam applies a parameterized unary op: "Clip"(lo, hi) = min(max(x, lo), hi)
// (NaN stays NaN; lo > hi gives hi, as numpy.clip), "LeakyReLU"(alpha), "ELU"(alpha) and
// "HardSigmoid"(alpha, beta) = max(0, min(1, alpha*x+beta)). The result has a's dtype;
// integer results are computed in float64 and converted like Cast. A wrong op name or
// parameter count panics.
func refUnaryParam(op string, a *refArray, p ...float64) *refArray {
	n, ok := refUnaryParamOps[op]
	if !ok {
		panic(fmt.Sprintf("refUnaryParam: unknown op %q", op))
	}
	if len(p) != n {
		panic(fmt.Sprintf("refUnaryParam: %s takes %d parameters, got %d", op, n, len(p)))
	}
	out := refZeros(a.dt, a.shape...)
	for i, x := range a.data {
		var y float64
		switch op {
		case "Clip":
			y = x
			if y < p[0] {
				y = p[0]
			}
			if y > p[1] {
				y = p[1]
			}
		case "LeakyReLU":
			y = x
			if x < 0 {
				y = p[0] * x
			}
		case "ELU":
			y = x
			if x < 0 {
				y = p[0] * math.Expm1(x)
			}
		case "HardSigmoid":
			y = p[0]*x + p[1]
			if y > 1 {
				y = 1
			}
			if y < 0 {
				y = 0
			}
		}
		if a.dt.isFloat() {
			out.data[i] = refRoundResult(a.dt, y)
		} else {
			out.data[i] = refConvert(a.dt, y)
		}
	}
	return out
}

// ---- binary

// refBinaryOps lists the op names refBinary accepts.
var refBinaryOps = []string{"Add", "Sub", "Mul", "Div", "Pow", "Maximum", "Minimum", "Mod", "FMod",
	"Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "And", "Or", "Xor"}

// refBinaryBool reports whether op gives a Bool result (comparisons and logical ops).
func refBinaryBool(op string) bool {
	switch op {
	case "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "And", "Or", "Xor":
		return true
	}
	return false
}

func refBool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// refBinaryValue computes one element of a binary op on operands of type dt.
func refBinaryValue(op string, dt refDType, x, y float64) float64 {
	switch op {
	case "Equal":
		return refBool01(x == y)
	case "NotEqual":
		return refBool01(x != y)
	case "Less":
		return refBool01(x < y)
	case "LessEqual":
		return refBool01(x <= y)
	case "Greater":
		return refBool01(x > y)
	case "GreaterEqual":
		return refBool01(x >= y)
	case "And":
		return refBool01(x != 0 && y != 0)
	case "Or":
		return refBool01(x != 0 || y != 0)
	case "Xor":
		return refBool01((x != 0) != (y != 0))
	}
	if dt.isFloat() {
		return refRoundResult(dt, refBinaryFloat(op, x, y))
	}
	return float64(refWrapInt(dt, refBinaryInt(op, int64(x), int64(y))))
}

// refBinaryFloat is the float64 definition of the arithmetic binary ops.
func refBinaryFloat(op string, x, y float64) float64 {
	switch op {
	case "Add":
		return x + y
	case "Sub":
		return x - y
	case "Mul":
		return x * y
	case "Div":
		return x / y
	case "Pow":
		return math.Pow(x, y)
	case "Maximum":
		if math.IsNaN(x) || math.IsNaN(y) {
			return math.NaN()
		}
		if x > y {
			return x
		}
		return y
	case "Minimum":
		if math.IsNaN(x) || math.IsNaN(y) {
			return math.NaN()
		}
		if x < y {
			return x
		}
		return y
	case "Mod":
		return refFloorModFloat(x, y)
	case "FMod":
		return math.Mod(x, y)
	}
	panic(fmt.Sprintf("refBinary: unknown op %q", op))
}

// refFloorModFloat is numpy.mod on floats: the remainder of floored division, with the
// divisor's sign; mod(x, 0) is NaN, and an exact zero takes the divisor's sign.
func refFloorModFloat(x, y float64) float64 {
	r := math.Mod(x, y)
	if math.IsNaN(r) {
		return r
	}
	if r != 0 && (r < 0) != (y < 0) {
		r += y
	}
	if r == 0 {
		r = math.Copysign(0, y)
	}
	return r
}

// refBinaryInt is the exact integer definition of the arithmetic binary ops (int64
// arithmetic wraps modulo 2^64; the caller wraps to the type's width).
func refBinaryInt(op string, x, y int64) int64 {
	switch op {
	case "Add":
		return x + y
	case "Sub":
		return x - y
	case "Mul":
		return x * y
	case "Div": // truncates toward zero; x/0 = 0
		if y == 0 {
			return 0
		}
		return x / y
	case "Mod": // floored: the divisor's sign; x mod 0 = 0
		if y == 0 {
			return 0
		}
		r := x % y
		if r != 0 && (r < 0) != (y < 0) {
			r += y
		}
		return r
	case "FMod": // truncated: the dividend's sign; x fmod 0 = 0
		if y == 0 {
			return 0
		}
		return x % y
	case "Pow":
		return refIntPow(x, y)
	case "Maximum":
		return max(x, y)
	case "Minimum":
		return min(x, y)
	}
	panic(fmt.Sprintf("refBinary: unknown op %q", op))
}

// refIntPow is x^n in wrapping integer arithmetic. A negative exponent gives 1/x^n
// truncated: 0 unless |x| == 1 (and 0 for x == 0).
func refIntPow(x, n int64) int64 {
	if n < 0 {
		switch x {
		case 1:
			return 1
		case -1:
			if n%2 == 0 {
				return 1
			}
			return -1
		}
		return 0
	}
	// Square and multiply: x^n = prod of x^(2^i) over the set bits i of n. Every product
	// wraps modulo 2^64, so the result is exact modulo 2^64 like a naive loop's.
	r := int64(1)
	for ; n > 0; n >>= 1 {
		if n&1 == 1 {
			r *= x
		}
		x *= x
	}
	return r
}

// refBinary applies a binary op with NumPy broadcasting. Operands must share a dtype.
// Comparisons and And/Or/Xor (logical, on x != 0) give Bool; the rest give the operands'
// dtype with integer semantics for integer (and Bool) types. An unknown op is an error.
func refBinary(op string, a, b *refArray) (*refArray, error) {
	known := false
	for _, o := range refBinaryOps {
		known = known || o == op
	}
	if !known {
		return nil, fmt.Errorf("refBinary: unknown op %q", op)
	}
	if a.dt != b.dt {
		return nil, fmt.Errorf("%s: dtypes %v and %v differ (shapes %v and %v)", op, a.dt, b.dt, a.shape, b.shape)
	}
	shape, err := refBroadcastShapes(a.shape, b.shape)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	outDT := a.dt
	if refBinaryBool(op) {
		outDT = refBool
	}
	return refBuild(outDT, shape, func(idx []int) float64 {
		x := a.at(refBroadcastIndex(idx, a.shape))
		y := b.at(refBroadcastIndex(idx, b.shape))
		return refBinaryValue(op, a.dt, x, y)
	}), nil
}

// refWhere is numpy.where(cond, a, b): cond is read as x != 0 (any dtype), a and b must
// share a dtype, and all three broadcast together.
func refWhere(cond, a, b *refArray) (*refArray, error) {
	if a.dt != b.dt {
		return nil, fmt.Errorf("Where: dtypes %v and %v differ (shapes %v, %v and %v)", a.dt, b.dt, cond.shape, a.shape, b.shape)
	}
	s, err := refBroadcastShapes(cond.shape, a.shape)
	if err == nil {
		s, err = refBroadcastShapes(s, b.shape)
	}
	if err != nil {
		return nil, fmt.Errorf("Where: shapes %v, %v and %v do not broadcast", cond.shape, a.shape, b.shape)
	}
	return refBuild(a.dt, s, func(idx []int) float64 {
		if cond.at(refBroadcastIndex(idx, cond.shape)) != 0 {
			return a.at(refBroadcastIndex(idx, a.shape))
		}
		return b.at(refBroadcastIndex(idx, b.shape))
	}), nil
}

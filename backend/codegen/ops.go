package codegen

import (
	"math"

	"github.com/crossbar-compute/crossbar/graph"
)

// The graph's elementwise semantics (those of backend/cpu, the reference) in terms of the
// IR's C operators: integer division by zero is 0, MIN/-1 wraps, Mod is floored, Max and
// Min propagate NaN, narrow types are rounded or wrapped after every operation.

var unaryFns = map[graph.Op]Fn{
	graph.OpSqrt: FnSqrt, graph.OpExp: FnExp, graph.OpExp2: FnExp2, graph.OpLog: FnLog, graph.OpLog2: FnLog2,
	graph.OpSin: FnSin, graph.OpCos: FnCos, graph.OpTan: FnTan, graph.OpAsin: FnAsin, graph.OpAcos: FnAcos,
	graph.OpAtan: FnAtan, graph.OpSinh: FnSinh, graph.OpCosh: FnCosh, graph.OpTanh: FnTanh, graph.OpErf: FnErf,
	graph.OpTrunc: FnTrunc, graph.OpFloor: FnFloor, graph.OpCeil: FnCeil, graph.OpRound: FnRoundEven,
	graph.OpAbs: FnAbs,
}

var compareOps = map[graph.Op]Op{graph.OpCmpLT: OLt, graph.OpCmpLE: OLe, graph.OpCmpEQ: OEq, graph.OpCmpNE: ONe}

// alu lowers one elementwise node whose operands are args (variables or literals, so that
// they may be repeated).
func (b *builder) alu(e *graph.Expr, args []*Expr) (*Expr, error) {
	dt := e.DType
	s := ComputeType(dt)
	var r *Expr
	switch op := e.Op; {
	case op == graph.OpCast:
		return b.cast(args[0], e.Src[0].DType, dt), nil
	case op == graph.OpCopy:
		return args[0], nil
	case op == graph.OpWhere:
		return Sel(args[0], args[1], args[2]), nil
	case op.IsCompare():
		x, y := args[0], args[1]
		if x.Type.S == Bool && (op == graph.OpCmpLT || op == graph.OpCmpLE) {
			x, y = Cast(x, I32), Cast(y, I32)
		}
		return Bin(compareOps[op], x, y), nil
	case op.IsUnary():
		r = b.unary(op, s, args[0])
	case op == graph.OpMulAdd:
		if s.IsFloat() {
			if z := zeroOperand(args[:2]); z >= 0 {
				r = Bin(OAdd, mulZero(args[1-z]), args[2])
				break
			}
			r = Call(FnFma, s, args...)
		} else {
			r = Bin(OAdd, Bin(OMul, args[0], args[1]), args[2])
		}
	default:
		r = b.binary(op, s, args[0], args[1])
	}
	if r == nil {
		return nil, b.unsupported("%v on %v", e.Op, dt)
	}
	return b.narrow(r, dt, e.Op), nil
}

// narrow rounds or wraps r, computed in the compute type of dt, to dt.
func (b *builder) narrow(r *Expr, dt graph.DType, op graph.Op) *Expr {
	switch dt {
	case graph.Float16:
		return Call(FnRoundF16, F32, r)
	case graph.BFloat16:
		return Call(FnRoundBF16, F32, r)
	case graph.Uint8:
		switch op {
		case graph.OpNeg, graph.OpNot, graph.OpAdd, graph.OpSub, graph.OpMul, graph.OpPow, graph.OpMulAdd, graph.OpCast:
			return Bin(OAnd, r, Int(255, U32))
		}
	}
	return r
}

func (b *builder) unary(op graph.Op, s Scalar, x *Expr) *Expr {
	switch op {
	case graph.OpNeg:
		return Un(ONeg, x)
	case graph.OpNot:
		if s == Bool {
			return Un(OLNot, x)
		}
		return Un(OBNot, x)
	case graph.OpReciprocal:
		switch {
		case s.IsFloat():
			return Bin(ODiv, Float(1, s), x)
		case s.IsSigned():
			// 1/x truncates to 0 except for ±1.
			return Sel(Bin(OEq, x, Int(1, s)), Int(1, s), Sel(Bin(OEq, x, Int(-1, s)), Int(-1, s), Int(0, s)))
		}
		return Sel(Bin(OEq, x, Int(1, s)), Int(1, s), Int(0, s))
	case graph.OpAbs:
		switch {
		case s.IsFloat():
			return Call(FnAbs, s, x)
		case s.IsSigned():
			return Sel(Bin(OLt, x, Int(0, s)), Un(ONeg, x), x)
		}
		return x
	case graph.OpTrunc, graph.OpFloor, graph.OpCeil, graph.OpRound:
		if !s.IsFloat() {
			return x
		}
	}
	fn, ok := unaryFns[op]
	if !ok || !s.IsFloat() {
		return nil
	}
	return Call(fn, s, x)
}

func (b *builder) binary(op graph.Op, s Scalar, x, y *Expr) *Expr {
	if s == Bool {
		// NumPy: + and max are or, * and min are and.
		switch op {
		case graph.OpAdd, graph.OpMax, graph.OpOr:
			return Bin(OLOr, x, y)
		case graph.OpMul, graph.OpMin, graph.OpAnd:
			return Bin(OLAnd, x, y)
		case graph.OpXor:
			return Bin(OLXor, x, y)
		}
		return nil
	}
	if s.IsFloat() && (op == graph.OpMul || op == graph.OpDiv) {
		if r := b.zeroProduct(op, x, y); r != nil {
			return r
		}
	}
	switch op {
	case graph.OpAdd:
		return Bin(OAdd, x, y)
	case graph.OpSub:
		return Bin(OSub, x, y)
	case graph.OpMul:
		return Bin(OMul, x, y)
	case graph.OpAnd, graph.OpOr, graph.OpXor:
		if s.IsFloat() {
			return nil
		}
		return Bin(map[graph.Op]Op{graph.OpAnd: OAnd, graph.OpOr: OOr, graph.OpXor: OXor}[op], x, y)
	case graph.OpDiv:
		if s.IsFloat() {
			return Bin(ODiv, x, y)
		}
		return b.idiv(s, x, y)
	case graph.OpRem:
		if s.IsFloat() {
			return Call(FnFmod, s, x, y)
		}
		return b.irem(s, x, y)
	case graph.OpMod:
		var r *Expr
		if s.IsFloat() {
			r = b.let("v", Call(FnFmod, s, x, y))
		} else {
			r = b.let("v", b.irem(s, x, y))
			if !s.IsSigned() {
				return r
			}
		}
		// Floored: a nonzero remainder takes the divisor's sign.
		z := Zero(s)
		flip := Bin(OLAnd, Bin(ONe, r, z), Bin(ONe, Bin(OLt, r, z), Bin(OLt, y, z)))
		return Sel(flip, Bin(OAdd, r, y), r)
	case graph.OpMax, graph.OpMin:
		fn := FnMax
		if op == graph.OpMin {
			fn = FnMin
		}
		if !s.IsFloat() {
			return Call(fn, s, x, y)
		}
		// NaN propagates from either side (the native min and max let a number win).
		for _, a := range []*Expr{x, y} {
			if a.IsConst() && math.IsNaN(a.F) {
				return a
			}
		}
		r := Call(fn, s, x, y)
		if !x.IsConst() {
			r = Sel(Call(FnIsNaN, Bool, x), x, r)
		}
		if !y.IsConst() {
			r = Sel(Call(FnIsNaN, Bool, y), y, r)
		}
		return r
	case graph.OpPow:
		if s.IsFloat() {
			return Call(FnPow, s, x, y)
		}
		return Call(FnIPow, s, x, y)
	}
	return nil
}

// safeDivisor is y where the C division by y is defined, else 1.
func (b *builder) safeDivisor(s Scalar, y *Expr) *Expr {
	bad := Bin(OEq, y, Zero(s))
	if s.IsSigned() {
		bad = Bin(OLOr, bad, Bin(OEq, y, Int(-1, s)))
	}
	return b.let("d", Sel(bad, Int(1, s), y))
}

// idiv is x/y truncated, 0 for y = 0, and -x for y = -1 (which wraps MIN like the CPU).
func (b *builder) idiv(s Scalar, x, y *Expr) *Expr {
	d := b.safeDivisor(s, y)
	q := Bin(ODiv, x, d)
	if s.IsSigned() {
		q = Sel(Bin(OEq, y, Int(-1, s)), Un(ONeg, x), q)
	}
	return Sel(Bin(OEq, y, Zero(s)), Zero(s), q)
}

// irem is the remainder of truncated division (the dividend's sign), 0 for y = 0.
func (b *builder) irem(s Scalar, x, y *Expr) *Expr {
	d := b.safeDivisor(s, y)
	if !s.IsSigned() {
		return Sel(Bin(OEq, y, Zero(s)), Zero(s), Bin(ORem, x, d))
	}
	// x - (x/d)*d: the IR's Rem is only for non-negative operands.
	r := Bin(OSub, x, Bin(OMul, Bin(ODiv, x, d), d))
	return Sel(Bin(OEq, d, y), r, Zero(s))
}

// cast converts x, of dtype from, to dtype to, as the CPU does: floats to integers
// truncate (NaN is 0, out-of-range values saturate to int64, then wrap), anything to Bool
// is x != 0.
func (b *builder) cast(x *Expr, from, to graph.DType) *Expr {
	fs, ts := ComputeType(from), ComputeType(to)
	var r *Expr
	switch {
	case ts == Bool:
		if fs == Bool {
			return x
		}
		return Bin(ONe, x, Zero(fs))
	case fs == Bool:
		if ts.IsFloat() {
			r = Sel(x, Float(1, ts), Float(0, ts))
		} else {
			r = Sel(x, Int(1, ts), Int(0, ts))
		}
	case fs.IsFloat() && !ts.IsFloat():
		r = Call(FnF2I, ts, x)
	default:
		r = Cast(x, ts)
	}
	if to == graph.Uint8 && from == graph.Bool {
		return r
	}
	return b.narrow(r, to, graph.OpCast)
}

// Compilers fold x*0 to 0 and x/0 to whatever they like even where IEEE says NaN or an
// infinity (Mesa does, whatever the precise qualifier says), so products and quotients
// with a literal zero are written out.

// zeroOperand is the index of the first float literal zero in args, or -1.
func zeroOperand(args []*Expr) int {
	for i, a := range args {
		if a.IsConst() && a.Type.S.IsFloat() && a.F == 0 {
			return i
		}
	}
	return -1
}

// mulZero is x*0: NaN for NaN and infinities, else zero (with the sign of x).
func mulZero(x *Expr) *Expr {
	s := x.Type.S
	bad := Bin(OLOr, Call(FnIsNaN, Bool, x), Bin(OEq, Call(FnAbs, s, x), Float(math.Inf(1), s)))
	return Sel(bad, Float(math.NaN(), s), Sel(Bin(OLt, x, Zero(s)), Float(math.Copysign(0, -1), s), Zero(s)))
}

// zeroProduct writes out x*y and x/y when an operand is a literal zero (nil otherwise).
func (b *builder) zeroProduct(op graph.Op, x, y *Expr) *Expr {
	s := x.Type.S
	nan := Float(math.NaN(), s)
	switch z := zeroOperand([]*Expr{x, y}); {
	case z < 0:
		return nil
	case op == graph.OpMul:
		return mulZero([]*Expr{y, x}[z])
	case z == 1: // x / ±0
		inf := Float(math.Inf(1), s)
		if math.Signbit(y.F) {
			inf = Float(math.Inf(-1), s)
		}
		undefined := Bin(OLOr, Call(FnIsNaN, Bool, x), Bin(OEq, x, Zero(s)))
		return Sel(undefined, nan, Sel(Bin(OLt, x, Zero(s)), Un(ONeg, inf), inf))
	default: // 0 / y
		undefined := Bin(OLOr, Call(FnIsNaN, Bool, y), Bin(OEq, y, Zero(s)))
		return Sel(undefined, nan, Bin(ODiv, x, y))
	}
}

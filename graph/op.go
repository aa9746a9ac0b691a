package graph

import "fmt"

// Op is a primitive operation. Every device implements every primitive op (or reports
// ErrUnsupported for a dtype it cannot do), the named patterns (OpCumSum, OpSoftmax,
// OpLogSoftmax, OpLayerNorm, OpArgMax, OpArgMin) aside; everything in the tensor API
// decomposes into these.
//
// Besides the arithmetic core, the unary set holds the math functions that every vendor
// language has natively (exp, log, tan, atan, tanh, erf, ...): decomposing them, say exp(x) as
// exp2(x*log2(e)), would cost float64 results several digits.
type Op uint8

// The primitive ops, grouped by class.
const (
	OpInvalid Op = iota

	// Leaves.
	OpHost  // data given by the program, uploaded on first use
	OpConst // a scalar constant (shape []), broadcast with Expand

	// Movement: views, free unless a view cannot express them.
	OpReshape
	OpPermute
	OpExpand
	OpSlice // start/step per axis, count = the output shape; step > 0
	OpPad   // zeros before and after each axis
	OpFlip

	// Unary elementwise.
	OpNeg
	OpNot // logical not of Bool, bitwise not of integers
	OpAbs
	OpSqrt
	OpReciprocal
	OpExp
	OpExp2
	OpLog
	OpLog2
	OpSin
	OpCos
	OpTan
	OpAsin
	OpAcos
	OpAtan
	OpSinh
	OpCosh
	OpTanh
	OpErf
	OpTrunc
	OpFloor
	OpCeil
	OpRound // half to even
	OpCast  // to the node's dtype
	OpCopy  // identity; marks a device transfer

	// Binary elementwise (operands of one dtype and shape).
	OpAdd
	OpSub
	OpMul
	OpDiv // floats: true division; integers: truncated toward zero, x/0 = 0
	OpMod // floored: the result has the divisor's sign; integers x%0 = 0, floats NaN
	OpRem // truncated: the result has the dividend's sign (C fmod)
	OpMax // NaN propagates
	OpMin // NaN propagates
	OpPow // integers: exact, negative exponents truncate
	OpCmpLT
	OpCmpLE
	OpCmpEQ
	OpCmpNE
	OpAnd
	OpOr
	OpXor

	// Ternary elementwise.
	OpWhere  // cond (Bool) ? a : b
	OpMulAdd // a*b + c, fused where the device fuses

	// Reductions over Axes; reduced axes are kept with size 1.
	OpSum
	OpProd
	OpReduceMax
	OpReduceMin

	// Contract is a batched matrix product: [..., M, K] x [..., K, N] -> [..., M, N].
	OpContract
	// Gather takes, along Axes[0] of Src[0], the elements at the Int32/Int64 indices of Src[1]
	// (negative indices wrap once); the output shape is
	// src[:axis] + indices.shape + src[axis+1:].
	OpGather
	// CumSum is the running sum of Src[0] along Axes[0] (Exclusive: of the elements before
	// each; Reverse: from the end). It is the first of the named patterns that devices need
	// not implement: package tensor builds it only for a device whose Capabilities.CumSum is
	// set, and a cumulative sum of additions of shifted views elsewhere. A device that meets
	// one anyway (a tensor moved to it by To) reports ErrUnsupported, and the executor runs
	// that kernel on the CPU.
	OpCumSum
	// Softmax is exp(x - m) / sum(exp(x - m)) of x = Src[0] along Axes[0], m the maximum along
	// it (0 where that is ±Inf), for float dtypes; LogSoftmax is (x - m) - log(sum(exp(x -
	// m))). They are named patterns that devices need not implement (the CPU and the
	// kernel-generating GPU backends do): package tensor builds them only for a device whose
	// Capabilities.Softmax is set, and their decomposition into maxima, sums and elementwise
	// ops elsewhere.
	OpSoftmax
	OpLogSoftmax
	// LayerNorm is (x - mean) / sqrt(var + Eps) of x = Src[0] over its axes [Axes[0], rank),
	// with the mean and the population variance of those axes, for float dtypes (the scale
	// and bias of a layer normalization are elementwise ops after it). A named pattern like
	// OpSoftmax, built only for a device whose Capabilities.LayerNorm is set.
	OpLayerNorm
	// ArgMax and ArgMin are the Int64 index of the first maximum (minimum) of Src[0] along
	// Axes[0], kept with size 1; a NaN counts as the extreme, so the first NaN's index wins
	// (numpy.argmax). Named patterns like OpSoftmax, built only for a device whose
	// Capabilities.ArgMax is set.
	OpArgMax
	OpArgMin

	// Kernel expressions only (see Expr): a read of a kernel input through a view, and the
	// value of the kernel's core at the output position.
	OpLoad
	OpCoreValue

	opCount
)

var opNames = [...]string{
	OpInvalid: "invalid", OpHost: "host", OpConst: "const",
	OpReshape: "reshape", OpPermute: "permute", OpExpand: "expand", OpSlice: "slice", OpPad: "pad", OpFlip: "flip",
	OpNeg: "neg", OpNot: "not", OpAbs: "abs", OpSqrt: "sqrt", OpReciprocal: "reciprocal", OpExp: "exp",
	OpExp2: "exp2", OpLog: "log", OpLog2: "log2", OpSin: "sin", OpCos: "cos", OpTan: "tan", OpAsin: "asin",
	OpAcos: "acos", OpAtan: "atan", OpSinh: "sinh", OpCosh: "cosh", OpTanh: "tanh", OpErf: "erf",
	OpTrunc: "trunc", OpFloor: "floor", OpCeil: "ceil", OpRound: "round", OpCast: "cast", OpCopy: "copy",
	OpAdd: "add", OpSub: "sub", OpMul: "mul", OpDiv: "div", OpMod: "mod", OpRem: "rem", OpMax: "max",
	OpMin: "min", OpPow: "pow", OpCmpLT: "cmplt", OpCmpLE: "cmple", OpCmpEQ: "cmpeq", OpCmpNE: "cmpne",
	OpAnd: "and", OpOr: "or", OpXor: "xor", OpWhere: "where", OpMulAdd: "muladd",
	OpSum: "sum", OpProd: "prod", OpReduceMax: "reduce_max", OpReduceMin: "reduce_min",
	OpContract: "contract", OpGather: "gather", OpCumSum: "cumsum", OpSoftmax: "softmax", OpLogSoftmax: "log_softmax", OpLayerNorm: "layer_norm", OpArgMax: "argmax", OpArgMin: "argmin", OpLoad: "load", OpCoreValue: "core",
}

func (o Op) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// IsLeaf reports whether o has no sources.
func (o Op) IsLeaf() bool { return o == OpHost || o == OpConst }

// IsMovement reports whether o is a view op.
func (o Op) IsMovement() bool { return o >= OpReshape && o <= OpFlip }

// IsUnary reports whether o is a unary elementwise op.
func (o Op) IsUnary() bool { return o >= OpNeg && o <= OpCopy }

// IsBinary reports whether o is a binary elementwise op.
func (o Op) IsBinary() bool { return o >= OpAdd && o <= OpXor }

// IsTernary reports whether o is a ternary elementwise op.
func (o Op) IsTernary() bool { return o == OpWhere || o == OpMulAdd }

// IsElementwise reports whether o maps elements one to one.
func (o Op) IsElementwise() bool { return o.IsUnary() || o.IsBinary() || o.IsTernary() }

// IsReduce reports whether o is a reduction.
func (o Op) IsReduce() bool { return o >= OpSum && o <= OpReduceMin }

// IsCompare reports whether o yields Bool from two operands.
func (o Op) IsCompare() bool { return o >= OpCmpLT && o <= OpCmpNE }

// IsCore reports whether o is the core of a kernel: the one non-elementwise computation
// (reduction, contraction, gather, running sum, softmax, layer normalization, or index of
// an extreme) that a kernel may hold.
func (o Op) IsCore() bool {
	return o.IsReduce() || o == OpContract || o == OpGather || o.IsScan() || o == OpArgMax || o == OpArgMin
}

// IsScan reports whether o is a core whose result has its source's shape and whose every
// element depends on its line along Axes[0]: a running sum or a softmax; or on the block of
// the axes from Axes[0] on: a layer normalization.
func (o Op) IsScan() bool {
	return o == OpCumSum || o == OpSoftmax || o == OpLogSoftmax || o == OpLayerNorm
}

// FloatOnly reports whether o is defined only on floating-point operands.
func (o Op) FloatOnly() bool {
	switch o {
	case OpSqrt, OpExp, OpExp2, OpLog, OpLog2, OpSin, OpCos, OpTan, OpAsin, OpAcos, OpAtan,
		OpSinh, OpCosh, OpTanh, OpErf:
		return true
	}
	return false
}

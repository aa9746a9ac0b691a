package asm

import (
	"math"
	"sync/atomic"
	"unsafe"
)

//go:generate go run ./_asm/vecgen.go

// Elementwise kernels over blocks of float32 or float64, and reductions.
//
// Every kernel has a Go reference (the ...Go functions below and in vecmath.go) and, per
// instruction set, an assembly implementation (vec_amd64.s for AVX2 and AVX-512, vec_arm64.s for
// NEON, both written by _asm/vecgen.go) that must agree with it bit for bit: NaN payloads
// aside, every lane does the same IEEE operations in the same order. The assembly handles
// whole vectors; the Go wrappers below run the last partial vector through the same kernel
// from a zero-padded buffer on the stack, so the tail costs no extra code per instruction set.
//
// dst may be one of the operands (in place) but must not partially overlap them.

// The operations of the kernels, as the assembly reads them (go_asm.h): the binary ops, then
// the scalar forms (x op s; opRSub and opRDiv are s - x and s / x), then the unary ops.
const (
	opAdd = iota
	opSub
	opMul
	opDiv
	opMax
	opMin
	opRSub
	opRDiv

	opNeg
	opAbs
	opSqrt
	opExp
	opExp2
	opLog
	opLog2
	opTanh
	opSigmoid
	opErf
	opSin
	opCos
	opRound
	opFloor
	opCeil
	opTrunc

	opLess
	opLessEqual
	opEqual
	opNotEqual

	opAtan
)

// A vecISA is one implementation of the kernels of vec.go and vecmath.go: the Go references
// or an instruction set's assembly.
type vecISA uint8

const (
	isaGo vecISA = iota
	isaAVX2
	isaAVX512
	isaNEON
)

var isaNames = [...]string{isaGo: "generic", isaAVX2: "avx2", isaAVX512: "avx512", isaNEON: "neon"}

func (isa vecISA) String() string { return isaNames[isa] }

// isaOf returns the implementation used at the level named name (see Level).
func isaOf(name string) vecISA {
	for i, n := range isaNames {
		if n == name && hasISA(vecISA(i)) {
			return vecISA(i)
		}
	}
	return isaGo
}

// activeISA returns the implementation used by calls at the active level. The answer for
// the last level asked about is kept, so that a call costs two loads and a comparison.
func activeISA() vecISA {
	l := active.Load()
	if c := lastISA.Load(); c != nil && c.level == l {
		return c.isa
	}
	c := &levelISA{l, isaOf(l.name)}
	lastISA.Store(c)
	return c.isa
}

type levelISA struct {
	level *level
	isa   vecISA
}

var lastISA atomic.Pointer[levelISA]

// lanes returns how many elements of size bytes one vector register holds, or 0 for Go.
func (isa vecISA) lanes(size int) int {
	switch isa {
	case isaAVX2:
		return 32 / size
	case isaAVX512:
		return 64 / size
	case isaNEON:
		return 16 / size
	}
	return 0
}

// AddF32 sets dst[i] = a[i] + b[i]; a and b must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = a[i] + b[i]
//	}
func AddF32(dst, a, b []float32) { binaryF32(activeISA(), opAdd, dst, a, b) }

// SubF32 sets dst[i] = a[i] - b[i]; a and b must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = a[i] - b[i]
//	}
func SubF32(dst, a, b []float32) { binaryF32(activeISA(), opSub, dst, a, b) }

// MulF32 sets dst[i] = a[i] * b[i]; a and b must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = a[i] * b[i]
//	}
func MulF32(dst, a, b []float32) { binaryF32(activeISA(), opMul, dst, a, b) }

// DivF32 sets dst[i] = a[i] / b[i]; a and b must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = a[i] / b[i]
//	}
func DivF32(dst, a, b []float32) { binaryF32(activeISA(), opDiv, dst, a, b) }

// MaxF32 sets dst[i] to the larger of a[i] and b[i]: NaN if either is NaN, +0 for +0 and -0
// (the builtin max); a and b must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = max(a[i], b[i])
//	}
func MaxF32(dst, a, b []float32) { binaryF32(activeISA(), opMax, dst, a, b) }

// MinF32 sets dst[i] to the smaller of a[i] and b[i]: NaN if either is NaN, -0 for +0 and -0
// (the builtin min); a and b must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = min(a[i], b[i])
//	}
func MinF32(dst, a, b []float32) { binaryF32(activeISA(), opMin, dst, a, b) }

// AddF64 sets dst[i] = a[i] + b[i]; a and b must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = a[i] + b[i]
//	}
func AddF64(dst, a, b []float64) { binaryF64(activeISA(), opAdd, dst, a, b) }

// SubF64 sets dst[i] = a[i] - b[i]; a and b must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = a[i] - b[i]
//	}
func SubF64(dst, a, b []float64) { binaryF64(activeISA(), opSub, dst, a, b) }

// MulF64 sets dst[i] = a[i] * b[i]; a and b must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = a[i] * b[i]
//	}
func MulF64(dst, a, b []float64) { binaryF64(activeISA(), opMul, dst, a, b) }

// DivF64 sets dst[i] = a[i] / b[i]; a and b must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = a[i] / b[i]
//	}
func DivF64(dst, a, b []float64) { binaryF64(activeISA(), opDiv, dst, a, b) }

// MaxF64 sets dst[i] = max(a[i], b[i]) (NaN if either is NaN, +0 for +0 and -0); a and b must
// be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = max(a[i], b[i])
//	}
func MaxF64(dst, a, b []float64) { binaryF64(activeISA(), opMax, dst, a, b) }

// MinF64 sets dst[i] = min(a[i], b[i]) (NaN if either is NaN, -0 for +0 and -0); a and b must
// be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = min(a[i], b[i])
//	}
func MinF64(dst, a, b []float64) { binaryF64(activeISA(), opMin, dst, a, b) }

// SelectF32 sets dst[i] to a[i] where cond[i] != 0, else to b[i], bits unchanged: the
// conditions are the CPU device's booleans, one int64 each. cond, a and b must be at least as
// long as dst.
//
//	for i := range dst {
//		if cond[i] != 0 {
//			dst[i] = a[i]
//		} else {
//			dst[i] = b[i]
//		}
//	}
func SelectF32(dst []float32, cond []int64, a, b []float32) { selectVec(activeISA(), dst, cond, a, b) }

// SelectF64 sets dst[i] to a[i] where cond[i] != 0, else to b[i], as SelectF32 does.
func SelectF64(dst []float64, cond []int64, a, b []float64) { selectVec(activeISA(), dst, cond, a, b) }

// FillF32 sets every element of dst to v.
//
//	for i := range dst {
//		dst[i] = v
//	}
func FillF32(dst []float32, v float32) { fillF32(activeISA(), dst, v) }

// AddScalarF32 sets dst[i] = x[i] + s; x must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = x[i] + s
//	}
func AddScalarF32(dst, x []float32, s float32) { scalarF32(activeISA(), opAdd, dst, x, s) }

// SubScalarF32 sets dst[i] = x[i] - s; x must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = x[i] - s
//	}
func SubScalarF32(dst, x []float32, s float32) { scalarF32(activeISA(), opSub, dst, x, s) }

// ScalarSubF32 sets dst[i] = s - x[i]; x must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = s - x[i]
//	}
func ScalarSubF32(dst []float32, s float32, x []float32) { scalarF32(activeISA(), opRSub, dst, x, s) }

// MulScalarF32 sets dst[i] = x[i] * s; x must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = x[i] * s
//	}
func MulScalarF32(dst, x []float32, s float32) { scalarF32(activeISA(), opMul, dst, x, s) }

// DivScalarF32 sets dst[i] = x[i] / s; x must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = x[i] / s
//	}
func DivScalarF32(dst, x []float32, s float32) { scalarF32(activeISA(), opDiv, dst, x, s) }

// ScalarDivF32 sets dst[i] = s / x[i] (with s = 1, the reciprocal); x must be at least as long
// as dst.
//
//	for i := range dst {
//		dst[i] = s / x[i]
//	}
func ScalarDivF32(dst []float32, s float32, x []float32) { scalarF32(activeISA(), opRDiv, dst, x, s) }

// MaxScalarF32 sets dst[i] = max(x[i], s) (NaN if either is NaN, +0 for +0 and -0; ReLU is
// s = 0); x must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = max(x[i], s)
//	}
func MaxScalarF32(dst, x []float32, s float32) { scalarF32(activeISA(), opMax, dst, x, s) }

// MinScalarF32 sets dst[i] = min(x[i], s) (NaN if either is NaN, -0 for +0 and -0); x must be
// at least as long as dst.
//
//	for i := range dst {
//		dst[i] = min(x[i], s)
//	}
func MinScalarF32(dst, x []float32, s float32) { scalarF32(activeISA(), opMin, dst, x, s) }

// LessF32 sets dst[i] to 1 where a[i] < b[i] and to 0 elsewhere (NaN compares false); a and
// b must be at least as long as dst. The results are int64, as the CPU device holds booleans.
//
//	for i := range dst {
//		dst[i] = 0
//		if a[i] < b[i] {
//			dst[i] = 1
//		}
//	}
func LessF32(dst []int64, a, b []float32) { compareVec(activeISA(), opLess, dst, a, b) }

// LessEqualF32 sets dst[i] to 1 where a[i] <= b[i] and to 0 elsewhere, as LessF32 does.
func LessEqualF32(dst []int64, a, b []float32) { compareVec(activeISA(), opLessEqual, dst, a, b) }

// EqualF32 sets dst[i] to 1 where a[i] == b[i] (-0 equals +0, NaN equals nothing) and to 0
// elsewhere, as LessF32 does.
func EqualF32(dst []int64, a, b []float32) { compareVec(activeISA(), opEqual, dst, a, b) }

// NotEqualF32 sets dst[i] to 1 where a[i] != b[i] (true where either is NaN) and to 0
// elsewhere, as LessF32 does.
func NotEqualF32(dst []int64, a, b []float32) { compareVec(activeISA(), opNotEqual, dst, a, b) }

// LessF64 sets dst[i] to 1 where a[i] < b[i] (false where either is NaN) and to 0 elsewhere;
// a and b must be at least as long as dst.
func LessF64(dst []int64, a, b []float64) { compareVec(activeISA(), opLess, dst, a, b) }

// LessEqualF64 sets dst[i] to 1 where a[i] <= b[i] and to 0 elsewhere, as LessF64 does.
func LessEqualF64(dst []int64, a, b []float64) { compareVec(activeISA(), opLessEqual, dst, a, b) }

// EqualF64 sets dst[i] to 1 where a[i] == b[i] (-0 equals +0, NaN equals nothing) and to 0
// elsewhere, as LessF64 does.
func EqualF64(dst []int64, a, b []float64) { compareVec(activeISA(), opEqual, dst, a, b) }

// NotEqualF64 sets dst[i] to 1 where a[i] != b[i] (true where either is NaN) and to 0
// elsewhere, as LessF64 does.
func NotEqualF64(dst []int64, a, b []float64) { compareVec(activeISA(), opNotEqual, dst, a, b) }

// NegF32 sets dst[i] = -x[i] (the sign bit flipped, NaN too); x must be at least as long as
// dst.
//
//	for i := range dst {
//		dst[i] = -x[i]
//	}
func NegF32(dst, x []float32) { unaryF32(activeISA(), opNeg, dst, x) }

// AbsF32 sets dst[i] = |x[i]| (the sign bit cleared, NaN too); x must be at least as long as
// dst.
//
//	for i := range dst {
//		dst[i] = math.Float32frombits(math.Float32bits(x[i]) &^ (1 << 31))
//	}
func AbsF32(dst, x []float32) { unaryF32(activeISA(), opAbs, dst, x) }

// SqrtF32 sets dst[i] to the square root of x[i], correctly rounded; x must be at least as
// long as dst.
//
//	for i := range dst {
//		dst[i] = float32(math.Sqrt(float64(x[i])))
//	}
func SqrtF32(dst, x []float32) { unaryF32(activeISA(), opSqrt, dst, x) }

// NegF64 sets dst[i] = -x[i] (the sign bit flipped, NaN's too); x must be at least as long
// as dst.
func NegF64(dst, x []float64) { unaryF64(activeISA(), opNeg, dst, x) }

// AbsF64 sets dst[i] = |x[i]| (the sign bit cleared, NaN's too); x must be at least as long
// as dst.
//
//	for i := range dst {
//		dst[i] = math.Abs(x[i])
//	}
func AbsF64(dst, x []float64) { unaryF64(activeISA(), opAbs, dst, x) }

// SqrtF64 sets dst[i] to the square root of x[i], correctly rounded; x must be at least as
// long as dst.
//
//	for i := range dst {
//		dst[i] = math.Sqrt(x[i])
//	}
func SqrtF64(dst, x []float64) { unaryF64(activeISA(), opSqrt, dst, x) }

// RoundF64 sets dst[i] to x[i] rounded to the nearest integer, ties to even; x must be at
// least as long as dst.
//
//	for i := range dst {
//		dst[i] = math.RoundToEven(x[i])
//	}
func RoundF64(dst, x []float64) { unaryF64(activeISA(), opRound, dst, x) }

// FloorF64 sets dst[i] to x[i] rounded toward -Inf; x must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = math.Floor(x[i])
//	}
func FloorF64(dst, x []float64) { unaryF64(activeISA(), opFloor, dst, x) }

// CeilF64 sets dst[i] to x[i] rounded toward +Inf; x must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = math.Ceil(x[i])
//	}
func CeilF64(dst, x []float64) { unaryF64(activeISA(), opCeil, dst, x) }

// TruncF64 sets dst[i] to x[i] rounded toward zero; x must be at least as long as dst.
//
//	for i := range dst {
//		dst[i] = math.Trunc(x[i])
//	}
func TruncF64(dst, x []float64) { unaryF64(activeISA(), opTrunc, dst, x) }

// SumF32 returns the sum of x, accumulated in float64 in 32 lanes (element i goes to lane
// i%32, each lane adds its elements in order) that are then added pairwise (lane j+16 into
// lane j, then j+8, ..., j+1). The error is at most about (len(x)/32+5)·2⁻⁵³·Σ|x[i]|, far
// below one float32 rounding for any realistic length.
//
//	var lane [32]float64
//	for i, v := range x {
//		lane[i%32] += float64(v)
//	}
//	for h := 16; h > 0; h /= 2 {
//		for j := range h {
//			lane[j] += lane[j+h]
//		}
//	}
//	return lane[0]
func SumF32(x []float32) float64 { return sumF32(activeISA(), x) }

// AccumulateF32 adds x to acc element by element in float64: the sums of a matrix's
// columns, a row at a time. acc must be at least as long as x.
//
//	for i, v := range x {
//		acc[i] += float64(v)
//	}
func AccumulateF32(acc []float64, x []float32) { accumulateF32(activeISA(), acc, x) }

// SumF64 returns the sum of x, accumulated in 32 lanes as SumF32 does: the error is at most
// about (len(x)/32+5)·2⁻⁵³·Σ|x[i]|.
//
//	var lane [32]float64
//	for i, v := range x {
//		lane[i%32] += v
//	}
//	for h := 16; h > 0; h /= 2 {
//		for j := range h {
//			lane[j] += lane[j+h]
//		}
//	}
//	return lane[0]
func SumF64(x []float64) float64 { return sumF64(activeISA(), x) }

// ReduceMaxF32 returns the largest element of x: NaN if any is NaN, +0 over -0, -Inf for an
// empty x.
//
//	m := float32(math.Inf(-1))
//	for _, v := range x {
//		m = max(m, v)
//	}
//	return m
func ReduceMaxF32(x []float32) float32 { return reduceF32(activeISA(), opMax, x) }

// ReduceMinF32 returns the smallest element of x: NaN if any is NaN, -0 over +0, +Inf for an
// empty x.
//
//	m := float32(math.Inf(1))
//	for _, v := range x {
//		m = min(m, v)
//	}
//	return m
func ReduceMinF32(x []float32) float32 { return reduceF32(activeISA(), opMin, x) }

// ReduceMaxF64 returns the largest element of x: NaN if any is NaN, +0 over -0, -Inf for an
// empty x.
//
//	m := math.Inf(-1)
//	for _, v := range x {
//		m = max(m, v)
//	}
//	return m
func ReduceMaxF64(x []float64) float64 { return reduceF64(activeISA(), opMax, x) }

// ReduceMinF64 returns the smallest element of x: NaN if any is NaN, -0 over +0, +Inf for an
// empty x.
//
//	m := math.Inf(1)
//	for _, v := range x {
//		m = min(m, v)
//	}
//	return m
func ReduceMinF64(x []float64) float64 { return reduceF64(activeISA(), opMin, x) }

// The dispatchers: whole vectors go to the assembly (the ...Arch functions of the
// architecture files), the rest through the same kernel from a padded buffer.

func binaryF32(isa vecISA, op int, dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	w := isa.lanes(4)
	if w == 0 {
		binaryGo(op, dst, a, b)
		return
	}
	n := len(dst) &^ (w - 1)
	if n > 0 {
		binaryF32Arch(isa, op, dst[:n], a[:n], b[:n])
	}
	if n < len(dst) {
		var ta, tb [16]float32
		copy(ta[:], a[n:])
		copy(tb[:], b[n:])
		binaryF32Arch(isa, op, ta[:w], ta[:w], tb[:w])
		copy(dst[n:], ta[:])
	}
}

func binaryF64(isa vecISA, op int, dst, a, b []float64) {
	a, b = a[:len(dst)], b[:len(dst)]
	w := isa.lanes(8)
	if w == 0 {
		binaryGo(op, dst, a, b)
		return
	}
	n := len(dst) &^ (w - 1)
	if n > 0 {
		binaryF64Arch(isa, op, dst[:n], a[:n], b[:n])
	}
	if n < len(dst) {
		var ta, tb [8]float64
		copy(ta[:], a[n:])
		copy(tb[:], b[n:])
		binaryF64Arch(isa, op, ta[:w], ta[:w], tb[:w])
		copy(dst[n:], ta[:])
	}
}

func scalarF32(isa vecISA, op int, dst, x []float32, s float32) {
	x = x[:len(dst)]
	w := isa.lanes(4)
	if w == 0 {
		scalarF32Go(op, dst, x, s)
		return
	}
	n := len(dst) &^ (w - 1)
	if n > 0 {
		scalarF32Arch(isa, op, dst[:n], x[:n], s)
	}
	if n < len(dst) {
		var t [16]float32
		copy(t[:], x[n:])
		scalarF32Arch(isa, op, t[:w], t[:w], s)
		copy(dst[n:], t[:])
	}
}

func fillF32(isa vecISA, dst []float32, v float32) {
	w := isa.lanes(4)
	if w == 0 {
		fillF32Go(dst, v)
		return
	}
	n := len(dst) &^ (w - 1)
	if n > 0 {
		fillF32Arch(isa, dst[:n], v)
	}
	fillF32Go(dst[n:], v)
}

// fillF32Go is the reference of FillF32.
func fillF32Go(dst []float32, v float32) {
	for i := range dst {
		dst[i] = v
	}
}

func unaryF32(isa vecISA, op int, dst, x []float32) {
	unaryF32Kernel(isa, op, dst, x)
	if op == opSin || op == opCos {
		trigLarge(op == opCos, dst)
	}
}

// unaryF64 runs the kernel of op (opNeg, opAbs, opSqrt, a rounding, opExp, opExp2, opLog,
// opLog2, opTanh, opErf, opSin, opCos or opAtan) of isa over whole vectors of dst, and the Go reference
// over the rest; then, for sin and cos, math's over the inputs the kernel left (trigLargeD).
func unaryF64(isa vecISA, op int, dst, x []float64) {
	x = x[:len(dst)]
	n := 0
	if w := isa.lanes(8); w > 0 {
		n = len(dst) &^ (w - 1)
		if n > 0 {
			unaryF64Arch(isa, op, dst[:n], x[:n])
		}
	}
	unaryF64Go(op, dst[n:], x[n:])
	if op == opSin || op == opCos {
		trigLargeD(op == opCos, dst)
	}
}

// unaryF64Go is the reference of the float64 unary kernels.
func unaryF64Go(op int, dst, x []float64) {
	x = x[:len(dst)]
	switch op {
	case opNeg:
		for i := range dst {
			dst[i] = math.Float64frombits(math.Float64bits(x[i]) ^ 1<<63)
		}
	case opAbs:
		for i := range dst {
			dst[i] = math.Abs(x[i])
		}
	case opExp:
		for i := range dst {
			dst[i] = expF64Go(x[i])
		}
	case opLog:
		for i := range dst {
			dst[i] = logF64Go(x[i])
		}
	case opExp2:
		for i := range dst {
			dst[i] = exp2F64Go(x[i])
		}
	case opLog2:
		for i := range dst {
			dst[i] = log2F64Go(x[i])
		}
	case opTanh:
		for i := range dst {
			dst[i] = tanhF64Go(x[i])
		}
	case opSin, opCos:
		for i := range dst {
			dst[i] = trigF64Go(x[i], op == opCos)
		}
	case opAtan:
		for i := range dst {
			dst[i] = atanF64Go(x[i])
		}
	case opErf:
		for i := range dst {
			dst[i] = erfF64Go(x[i])
		}
	case opSqrt:
		for i := range dst {
			dst[i] = math.Sqrt(x[i])
		}
	case opRound:
		for i := range dst {
			dst[i] = math.RoundToEven(x[i])
		}
	case opFloor:
		for i := range dst {
			dst[i] = math.Floor(x[i])
		}
	case opCeil:
		for i := range dst {
			dst[i] = math.Ceil(x[i])
		}
	case opTrunc:
		for i := range dst {
			dst[i] = math.Trunc(x[i])
		}
	}
}

// unaryF32Kernel runs the kernel of op of isa (or the Go reference) over dst.
func unaryF32Kernel(isa vecISA, op int, dst, x []float32) {
	x = x[:len(dst)]
	w := isa.lanes(4)
	if w == 0 {
		unaryF32Go(op, dst, x)
		return
	}
	n := len(dst) &^ (w - 1)
	if n > 0 {
		unaryF32Arch(isa, op, dst[:n], x[:n])
	}
	if n < len(dst) {
		var t [16]float32
		copy(t[:], x[n:])
		unaryF32Arch(isa, op, t[:w], t[:w])
		copy(dst[n:], t[:])
	}
}

// selectVec runs the select kernel over whole vectors of dst, and the Go reference over the
// rest.
func selectVec[T Float](isa vecISA, dst []T, cond []int64, a, b []T) {
	cond, a, b = cond[:len(dst)], a[:len(dst)], b[:len(dst)]
	n := 0
	if w := isa.lanes(int(unsafe.Sizeof(T(0)))); w > 0 {
		n = len(dst) &^ (w - 1)
		if n > 0 {
			switch d := any(dst).(type) {
			case []float32:
				selectF32Arch(isa, d[:n], cond[:n], any(a).([]float32)[:n], any(b).([]float32)[:n])
			case []float64:
				selectF64Arch(isa, d[:n], cond[:n], any(a).([]float64)[:n], any(b).([]float64)[:n])
			}
		}
	}
	selectGo(dst[n:], cond[n:], a[n:], b[n:])
}

// selectGo is the reference of the select kernels.
func selectGo[T Float](dst []T, cond []int64, a, b []T) {
	cond, a, b = cond[:len(dst)], a[:len(dst)], b[:len(dst)]
	for i := range dst {
		if cond[i] != 0 {
			dst[i] = a[i]
		} else {
			dst[i] = b[i]
		}
	}
}

// compareVec runs the compare kernel of op over whole vectors of dst, and the Go reference
// over the rest.
func compareVec[T Float](isa vecISA, op int, dst []int64, a, b []T) {
	a, b = a[:len(dst)], b[:len(dst)]
	n := 0
	if w := isa.lanes(int(unsafe.Sizeof(T(0)))); w > 0 {
		n = len(dst) &^ (w - 1)
		if n > 0 {
			switch a := any(a).(type) {
			case []float32:
				compareF32Arch(isa, op, dst[:n], a[:n], any(b).([]float32)[:n])
			case []float64:
				compareF64Arch(isa, op, dst[:n], a[:n], any(b).([]float64)[:n])
			}
		}
	}
	compareGo(op, dst[n:], a[n:], b[n:])
}

// compareGo is the reference of the compare kernels (opLess ... opNotEqual).
func compareGo[T Float](op int, dst []int64, a, b []T) {
	a, b = a[:len(dst)], b[:len(dst)]
	b2i := func(c bool) int64 {
		if c {
			return 1
		}
		return 0
	}
	switch op {
	case opLess:
		for i := range dst {
			dst[i] = b2i(a[i] < b[i])
		}
	case opLessEqual:
		for i := range dst {
			dst[i] = b2i(a[i] <= b[i])
		}
	case opEqual:
		for i := range dst {
			dst[i] = b2i(a[i] == b[i])
		}
	case opNotEqual:
		for i := range dst {
			dst[i] = b2i(a[i] != b[i])
		}
	}
}

// sumLanes is the step of SumF32 and SumF64 after the loop.
func sumLanes(lane *[32]float64) float64 {
	for h := 16; h > 0; h /= 2 {
		for j := range h {
			lane[j] += lane[j+h]
		}
	}
	return lane[0]
}

// sumBlock is the number of elements the assembly of sums takes at a time (one per lane),
// and of AccumulateF32.
const sumBlock = 32

func sumF32(isa vecISA, x []float32) float64 {
	if isa == isaGo {
		var lane [32]float64
		for i, v := range x {
			lane[i%32] += float64(v)
		}
		return sumLanes(&lane)
	}
	// The tail, padded with zeros to a whole block, is added like one: a lane never holds
	// -0 (it starts at +0, and a sum is -0 only from two -0), so adding +0 leaves it as is.
	n := len(x) &^ (sumBlock - 1)
	if n == len(x) {
		return sumF32Arch(isa, x, nil)
	}
	var tail [sumBlock]float32
	copy(tail[:], x[n:])
	return sumF32Arch(isa, x[:n], &tail)
}

func accumulateF32(isa vecISA, acc []float64, x []float32) {
	acc = acc[:len(x)]
	n := 0
	if isa != isaGo {
		n = len(x) &^ (sumBlock - 1)
		if n > 0 {
			accumulateF32Arch(isa, acc[:n], x[:n])
		}
	}
	accumulateF32Go(acc[n:], x[n:])
}

// accumulateF32Go is the reference of AccumulateF32.
func accumulateF32Go(acc []float64, x []float32) {
	acc = acc[:len(x)]
	for i, v := range x {
		acc[i] += float64(v)
	}
}

func sumF64(isa vecISA, x []float64) float64 {
	if isa == isaGo {
		var lane [32]float64
		for i, v := range x {
			lane[i%32] += v
		}
		return sumLanes(&lane)
	}
	n := len(x) &^ (sumBlock - 1)
	if n == len(x) {
		return sumF64Arch(isa, x, nil)
	}
	var tail [sumBlock]float64
	copy(tail[:], x[n:])
	return sumF64Arch(isa, x[:n], &tail)
}

func reduceF32(isa vecISA, op int, x []float32) float32 {
	id := float32(math.Inf(-1))
	if op == opMin {
		id = float32(math.Inf(1))
	}
	var lane [16]float32
	for i := range lane {
		lane[i] = id
	}
	n, m := 0, id
	if w := isa.lanes(4); w > 0 {
		n = len(x) &^ (w - 1)
		if n > 0 {
			reduceF32Arch(isa, op, x[:n], &lane)
			m = lane[0]
			if !archFoldsLanes {
				m = reduceLanes(op, &lane)
			}
		}
	}
	return reduceGo(op, m, x[n:])
}

// reduceLanes folds the lanes pairwise, halving them each step: a short chain of dependent
// max or min operations rather than one through all sixteen, which a reduction over a short
// row (a softmax's 16 columns) pays once a row. The built-in max and min give one answer in
// any order, NaN and the sign of zero included. On amd64 the kernels fold their lanes in
// registers instead (archFoldsLanes): done here, the fold took most of the time of a max
// over rows of 16.
func reduceLanes(op int, lane *[16]float32) float32 {
	for h := 8; h > 0; h /= 2 {
		for j := range h {
			if op == opMax {
				lane[j] = max(lane[j], lane[j+h])
			} else {
				lane[j] = min(lane[j], lane[j+h])
			}
		}
	}
	return lane[0]
}

func reduceF64(isa vecISA, op int, x []float64) float64 {
	id := math.Inf(-1)
	if op == opMin {
		id = math.Inf(1)
	}
	var lane [8]float64
	for i := range lane {
		lane[i] = id
	}
	n, m := 0, id
	if w := isa.lanes(8); w > 0 {
		n = len(x) &^ (w - 1)
		if n > 0 {
			reduceF64Arch(isa, op, x[:n], &lane)
			m = lane[0]
			if !archFoldsLanes {
				m = reduceGo(op, id, lane[:])
			}
		}
	}
	return reduceGo(op, m, x[n:])
}

// The Go references.

// binaryGo is the reference of the binary kernels (opAdd ... opMin).
func binaryGo[T Float](op int, dst, a, b []T) {
	a, b = a[:len(dst)], b[:len(dst)]
	switch op {
	case opAdd:
		for i := range dst {
			dst[i] = a[i] + b[i]
		}
	case opSub:
		for i := range dst {
			dst[i] = a[i] - b[i]
		}
	case opMul:
		for i := range dst {
			dst[i] = a[i] * b[i]
		}
	case opDiv:
		for i := range dst {
			dst[i] = a[i] / b[i]
		}
	case opMax:
		for i := range dst {
			dst[i] = max(a[i], b[i])
		}
	case opMin:
		for i := range dst {
			dst[i] = min(a[i], b[i])
		}
	}
}

// scalarF32Go is the reference of the scalar kernels (opAdd ... opRDiv).
func scalarF32Go(op int, dst, x []float32, s float32) {
	x = x[:len(dst)]
	switch op {
	case opAdd:
		for i := range dst {
			dst[i] = x[i] + s
		}
	case opSub:
		for i := range dst {
			dst[i] = x[i] - s
		}
	case opRSub:
		for i := range dst {
			dst[i] = s - x[i]
		}
	case opMul:
		for i := range dst {
			dst[i] = x[i] * s
		}
	case opDiv:
		for i := range dst {
			dst[i] = x[i] / s
		}
	case opRDiv:
		for i := range dst {
			dst[i] = s / x[i]
		}
	case opMax:
		for i := range dst {
			dst[i] = max(x[i], s)
		}
	case opMin:
		for i := range dst {
			dst[i] = min(x[i], s)
		}
	}
}

// unaryF32Go is the reference of the unary kernels (opNeg ... opTrunc).
func unaryF32Go(op int, dst, x []float32) {
	x = x[:len(dst)]
	var f func(float32) float32
	switch op {
	case opNeg:
		for i := range dst {
			dst[i] = -x[i]
		}
		return
	case opAbs:
		for i := range dst {
			dst[i] = math.Float32frombits(math.Float32bits(x[i]) &^ (1 << 31))
		}
		return
	case opSqrt:
		for i := range dst {
			dst[i] = float32(math.Sqrt(float64(x[i])))
		}
		return
	case opRound:
		for i := range dst {
			dst[i] = float32(math.RoundToEven(float64(x[i])))
		}
		return
	case opFloor:
		for i := range dst {
			dst[i] = float32(math.Floor(float64(x[i])))
		}
		return
	case opCeil:
		for i := range dst {
			dst[i] = float32(math.Ceil(float64(x[i])))
		}
		return
	case opTrunc:
		for i := range dst {
			dst[i] = float32(math.Trunc(float64(x[i])))
		}
		return
	case opExp:
		f = expF32Go
	case opExp2:
		f = exp2F32Go
	case opLog:
		f = logF32Go
	case opLog2:
		f = log2F32Go
	case opTanh:
		f = tanhF32Go
	case opSigmoid:
		f = sigmoidF32Go
	case opErf:
		f = erfF32Go
	case opSin:
		f = func(x float32) float32 { return trigF32Go(x, false) }
	case opCos:
		f = func(x float32) float32 { return trigF32Go(x, true) }
	default:
		return
	}
	for i := range dst {
		dst[i] = f(x[i])
	}
}

// sumF32Go and sumF64Go are the references of SumF32 and SumF64.
func sumF32Go(x []float32) float64 { return sumF32(isaGo, x) }
func sumF64Go(x []float64) float64 { return sumF64(isaGo, x) }

// reduceGo folds x into acc with the builtin max (opMax) or min (opMin): the reference of the
// reductions, whose result does not depend on the order (NaN payloads aside).
func reduceGo[T Float](op int, acc T, x []T) T {
	if op == opMax {
		for _, v := range x {
			acc = max(acc, v)
		}
	} else {
		for _, v := range x {
			acc = min(acc, v)
		}
	}
	return acc
}

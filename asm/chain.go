package asm

import "unsafe"

// Chains: a few elementwise float32 operations in one pass.
//
// A fused chain of elementwise operations, such as relu(a*b + c), computed a kernel after
// another over a block of its elements reads each of its operands in the pass of one
// operation: the memory streams take turns, and each waits for its turn. ChainF32 runs a
// short program on an accumulator of a few vectors instead, the whole program for each
// group of elements, so that every stream is read, and the result written, in one pass.
// Over 16M float32 on two cores (Zen 5, AVX-512), relu(a*b + c) took 3.8-4.0 ms so, against
// 5.0-5.7 ms as three passes over pieces of 64 or 512 elements, and up to twice as long
// when the memory was busy elsewhere (measured side by side; one pass written by hand took
// 3.7-3.8 ms).
//
// Each operation runs the instructions of its own kernel (AddF32, MaxScalarF32, NegF32, ...):
// the results are those of the kernels run one after another, bit for bit.

// The codes of a chain program's instructions, as the assembly reads them (go_asm.h):
// chainLoad, the binary ops with a stream (acc op src), the same reversed (src op acc), with
// a scalar (acc op s), reversed (s op acc), then the unary ops; each binary group in the
// order of opAdd ... opMin.
const (
	chainLoad = iota
	chainAdd
	chainSub
	chainMul
	chainDiv
	chainMax
	chainMin
	chainAddR
	chainSubR
	chainMulR
	chainDivR
	chainMaxR
	chainMinR
	chainAddS
	chainSubS
	chainMulS
	chainDivS
	chainMaxS
	chainMinS
	chainAddRS
	chainSubRS
	chainMulRS
	chainDivRS
	chainMaxRS
	chainMinRS
	chainNeg
	chainAbs
	chainSqrt
	chainCodes
)

// A ChainOp is a binary operation of a chain.
type ChainOp uint8

// The binary operations of a chain: those of AddF32, SubF32, MulF32, DivF32, MaxF32 and
// MinF32.
const (
	ChainAdd ChainOp = opAdd
	ChainSub ChainOp = opSub
	ChainMul ChainOp = opMul
	ChainDiv ChainOp = opDiv
	ChainMax ChainOp = opMax
	ChainMin ChainOp = opMin
)

// A ChainUnaryOp is a unary operation of a chain.
type ChainUnaryOp uint8

// The unary operations of a chain: those of NegF32, AbsF32 and SqrtF32.
const (
	ChainNeg ChainUnaryOp = iota
	ChainAbs
	ChainSqrt
)

// A Chain is a program of elementwise float32 operations on an accumulator, for ChainF32.
// It starts with a Load; each instruction's argument (a stream or a scalar) is a number
// below 1<<24.
type Chain []uint32

func (c Chain) instr(code, arg int) Chain { return append(c, uint32(code)|uint32(arg)<<8) }

// Load sets the accumulator to stream src.
func (c Chain) Load(src int) Chain { return c.instr(chainLoad, src) }

// Stream sets the accumulator to acc op src, or src op acc when left is set.
func (c Chain) Stream(op ChainOp, src int, left bool) Chain {
	return c.instr(chainAdd+6*b2i(left)+int(op), src)
}

// Scalar sets the accumulator to acc op scalars[s], or scalars[s] op acc when left is set.
func (c Chain) Scalar(op ChainOp, s int, left bool) Chain {
	return c.instr(chainAddS+6*b2i(left)+int(op), s)
}

// Unary sets the accumulator to op(acc).
func (c Chain) Unary(op ChainUnaryOp) Chain { return c.instr(chainNeg+int(op), 0) }

// MaxChainSources is the most streams a chain reads in one pass; ChainF32 runs a chain
// reading more through its Go reference.
const MaxChainSources = 8

// ChainF32 sets dst[i] to the result of program c for element i of the streams src (each at
// least as long as dst) and the scalars. It panics on an instruction whose argument is not
// a stream or scalar; a program that does not start with a Load leaves dst unspecified.
func ChainF32(dst []float32, c Chain, src [][]float32, scalars []float32) {
	for _, in := range c {
		arg := int(in >> 8)
		if code := int(in & 0xff); code >= chainAddS && code < chainNeg {
			_ = scalars[arg]
		} else if code < chainAddS {
			_ = src[arg][:len(dst)]
		}
	}
	chainF32(activeISA(), dst, c, src, scalars)
}

// HasChainF32 reports whether the active level runs ChainF32 in one pass (else it runs the
// Go reference, which is no faster than the kernels one after another).
func HasChainF32() bool { return chainArch(activeISA()) }

func chainF32(isa vecISA, dst []float32, c Chain, src [][]float32, scalars []float32) {
	w := 4 * isa.lanes(4)
	if !chainArch(isa) || w == 0 || len(src) > MaxChainSources || len(c) == 0 {
		chainGo(dst, c, src, scalars)
		return
	}
	var ptrs [MaxChainSources]unsafe.Pointer
	n := len(dst) &^ (w - 1)
	if n > 0 {
		for k, s := range src {
			ptrs[k] = unsafe.Pointer(unsafe.SliceData(s))
		}
		chainF32Arch(isa, c, ptrs[:len(src)], scalars, dst[:n])
	}
	if n < len(dst) {
		// The last partial group from zero-padded copies on the stack.
		var tails [MaxChainSources][64]float32
		var t [64]float32
		for k, s := range src {
			copy(tails[k][:], s[n:len(dst)])
			ptrs[k] = unsafe.Pointer(&tails[k][0])
		}
		chainF32Arch(isa, c, ptrs[:len(src)], scalars, t[:w])
		copy(dst[n:], t[:])
	}
}

// chainGo is the reference of the chain kernels: each instruction over a piece of up to 64
// elements, by the references of the kernels.
func chainGo(dst []float32, c Chain, src [][]float32, scalars []float32) {
	var acc, s [64]float32
	for lo := 0; lo < len(dst); lo += len(acc) {
		hi := min(lo+len(acc), len(dst))
		a := acc[:hi-lo]
		for _, in := range c {
			code, arg := int(in&0xff), int(in>>8)
			switch {
			case code == chainLoad:
				copy(a, src[arg][lo:hi])
			case code < chainAddR:
				binaryGo(code-chainAdd, a, a, src[arg][lo:hi])
			case code < chainAddS:
				binaryGo(code-chainAddR, a, src[arg][lo:hi], a)
			case code < chainAddRS:
				fillF32Go(s[:len(a)], scalars[arg])
				binaryGo(code-chainAddS, a, a, s[:len(a)])
			case code < chainNeg:
				fillF32Go(s[:len(a)], scalars[arg])
				binaryGo(code-chainAddRS, a, s[:len(a)], a)
			default:
				unaryF32Go(opNeg+code-chainNeg, a, a)
			}
		}
		copy(dst[lo:hi], a)
	}
}

package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// chainByKernels is what a chain computes, written as the kernels it stands for, run one
// after another over the whole of dst at level isa.
func chainByKernels(isa vecISA, dst []float32, c Chain, src [][]float32, scalars []float32) {
	for _, in := range c {
		code, arg := int(in&0xff), int(in>>8)
		switch {
		case code == chainLoad:
			copy(dst, src[arg])
		case code < chainAddR:
			binaryF32(isa, code-chainAdd, dst, dst, src[arg])
		case code < chainAddS:
			binaryF32(isa, code-chainAddR, dst, src[arg], dst)
		case code < chainAddRS:
			scalarF32(isa, code-chainAddS, dst, dst, scalars[arg])
		case code < chainNeg:
			op := code - chainAddRS
			switch op {
			case opSub:
				op = opRSub
			case opDiv:
				op = opRDiv
			}
			scalarF32(isa, op, dst, dst, scalars[arg]) // the others commute
		default:
			unaryF32(isa, opNeg+code-chainNeg, dst, dst)
		}
	}
}

// randomChain returns a program of length instructions after its load, over streams
// streams and scalars scalars, each instruction code drawn at random.
func randomChain(r *rand.Rand, length, streams, scalars int) Chain {
	c := Chain{}.Load(r.IntN(streams))
	for range length {
		op, left := ChainOp(r.IntN(6)), r.IntN(2) == 1
		switch r.IntN(3) {
		case 0:
			c = c.Stream(op, r.IntN(streams), left)
		case 1:
			c = c.Scalar(op, r.IntN(scalars), left)
		default:
			c = c.Unary(ChainUnaryOp(r.IntN(3)))
		}
	}
	return c
}

// TestChainF32 checks the chain kernels of each level against their Go reference and
// against the kernels they stand for, run one after another, bit for bit (NaN payloads
// aside): every instruction alone, after a load, and random programs over up to
// MaxChainSources streams, for every length up to 200 and a few long ones, misaligned
// streams, and a destination inside guard bands that must stay untouched.
func TestChainF32(t *testing.T) {
	var single []Chain
	for op := range ChainOp(6) {
		for _, left := range []bool{false, true} {
			single = append(single, Chain{}.Load(0).Stream(op, 1, left), Chain{}.Load(1).Scalar(op, 0, left))
		}
	}
	for op := range ChainUnaryOp(3) {
		single = append(single, Chain{}.Load(0).Unary(op))
	}
	if len(single) != chainCodes-1 {
		t.Fatalf("%d programs of one instruction for %d codes", len(single), chainCodes-1)
	}
	forEachISA(t, func(t *testing.T, isa vecISA) {
		r := rand.New(rand.NewPCG(11, uint64(isa)))
		progs := append([]Chain(nil), single...)
		for range 40 {
			progs = append(progs, randomChain(r, 1+r.IntN(12), 1+r.IntN(MaxChainSources), 1+r.IntN(3)))
		}
		// More streams than a pass takes: the Go reference.
		progs = append(progs, randomChain(r, 30, MaxChainSources+1, 2).Stream(ChainAdd, MaxChainSources, true))
		for p, c := range progs {
			for _, n := range vecLengths {
				off := n % 4
				src := make([][]float32, chainStreams(c))
				for k := range src {
					_, src[k] = guardedVec(n, (off+k+1)%4, func(int) float32 { return mixedValue[float32](r) })
				}
				scalars := []float32{mixedValue[float32](r), 1.5, float32(math.NaN())}
				full, dst := guardedVec(n, off, func(int) float32 { return 7 })
				want := make([]float32, n)
				chainGo(want, c, src, scalars)
				chainF32(isa, dst, c, src, scalars)
				what := fmt.Sprintf("program %d %x", p, []uint32(c))
				checkSame(t, what, dst, want, src[0], src[len(src)-1])
				checkGuardBands(t, what, full, n, off)
				chainByKernels(isa, want, c, src, scalars)
				checkSame(t, what+" against its kernels", dst, want, src[0], src[len(src)-1])
			}
		}
	})
}

// chainStreams returns the number of streams that program c reads: one more than the
// greatest it names.
func chainStreams(c Chain) int {
	k := 0
	for _, in := range c {
		if code := int(in & 0xff); code < chainAddS {
			k = max(k, int(in>>8)+1)
		}
	}
	return k
}

// TestChainF32Arguments checks that ChainF32 rejects an argument that names no stream or
// scalar before it runs, rather than reading past them.
func TestChainF32Arguments(t *testing.T) {
	src := [][]float32{make([]float32, 64)}
	dst := make([]float32, 64)
	for _, c := range []Chain{
		Chain{}.Load(1),
		Chain{}.Load(0).Stream(ChainAdd, 1, false),
		Chain{}.Load(0).Scalar(ChainMul, 0, true),
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%x: no panic", []uint32(c))
				}
			}()
			ChainF32(dst, c, src, nil)
		}()
	}
	short := [][]float32{make([]float32, 63)}
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("a stream shorter than dst: no panic")
			}
		}()
		ChainF32(dst, Chain{}.Load(0), short, nil)
	}()
}

package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The benchmarks run every kernel at every implementation this machine has ("generic" is the
// Go reference), on 512 elements (the CPU device's block, in L1) and 64K (in L2); the bytes
// per second count what a call reads and writes. Compare implementations with benchstat.

var benchSizes = []int{512, 1 << 16}

func benchInput(n int, scale float64) []float32 {
	r := rand.New(rand.NewPCG(9, 9))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * scale)
	}
	return x
}

func BenchmarkBinaryF32(b *testing.B) {
	for _, op := range []int{opAdd, opMul, opDiv, opMax} {
		for _, isa := range testISAs() {
			for _, n := range benchSizes {
				x, y, d := benchInput(n, 1), benchInput(n, 1), make([]float32, n)
				b.Run(fmt.Sprintf("%s/%s/%d", binaryOpNames[op], isa, n), func(b *testing.B) {
					b.SetBytes(int64(12 * n))
					for b.Loop() {
						binaryF32(isa, op, d, x, y)
					}
				})
			}
		}
	}
}

func BenchmarkBinaryF64(b *testing.B) {
	for _, op := range []int{opAdd, opMax} {
		for _, isa := range testISAs() {
			for _, n := range benchSizes {
				x, y, d := make([]float64, n), make([]float64, n), make([]float64, n)
				for i := range x {
					x[i], y[i] = float64(i), float64(n-i)
				}
				b.Run(fmt.Sprintf("%s/%s/%d", binaryOpNames[op], isa, n), func(b *testing.B) {
					b.SetBytes(int64(24 * n))
					for b.Loop() {
						binaryF64(isa, op, d, x, y)
					}
				})
			}
		}
	}
}

func BenchmarkScalarF32(b *testing.B) {
	for _, op := range []int{opAdd, opMax} {
		for _, isa := range testISAs() {
			for _, n := range benchSizes {
				x, d := benchInput(n, 1), make([]float32, n)
				b.Run(fmt.Sprintf("%s/%s/%d", binaryOpNames[op], isa, n), func(b *testing.B) {
					b.SetBytes(int64(8 * n))
					for b.Loop() {
						scalarF32(isa, op, d, x, 0.5)
					}
				})
			}
		}
	}
}

// BenchmarkUnaryF32 also times, as "float64", what the CPU device did before these kernels:
// the math functions of package math in float64, rounded to float32.
func BenchmarkUnaryF32(b *testing.B) {
	f64 := map[int]func(float64) float64{opExp: math.Exp, opExp2: math.Exp2, opLog: math.Log,
		opLog2: math.Log2, opTanh: math.Tanh, opErf: math.Erf, opSin: math.Sin, opCos: math.Cos,
		opRound: math.RoundToEven, opFloor: math.Floor, opCeil: math.Ceil, opTrunc: math.Trunc,
		opSigmoid: func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }}
	for op := opNeg; op <= opTrunc; op++ {
		for _, n := range benchSizes {
			x, d := benchInput(n, 3), make([]float32, n)
			if op == opLog || op == opLog2 || op == opSqrt {
				for i := range x {
					x[i] = float32(math.Abs(float64(x[i])))
				}
			}
			for _, isa := range testISAs() {
				b.Run(fmt.Sprintf("%s/%s/%d", unaryOpNames[op], isa, n), func(b *testing.B) {
					b.SetBytes(int64(8 * n))
					for b.Loop() {
						unaryF32(isa, op, d, x)
					}
				})
			}
			if f := f64[op]; f != nil {
				b.Run(fmt.Sprintf("%s/float64/%d", unaryOpNames[op], n), func(b *testing.B) {
					b.SetBytes(int64(8 * n))
					for b.Loop() {
						for i, v := range x {
							d[i] = float32(f(float64(v)))
						}
					}
				})
			}
		}
	}
}

// BenchmarkUnaryF64 times the float64 unary kernels at each level next to Go's math a value
// at a time (the reference it replaces on the CPU device).
func BenchmarkUnaryF64(b *testing.B) {
	ref := map[int]func(float64) float64{opExp: math.Exp, opExp2: math.Exp2, opLog: math.Log,
		opLog2: math.Log2, opTanh: math.Tanh, opSin: math.Sin, opCos: math.Cos, opAtan: math.Atan,
		opErf: math.Erf}
	for _, op := range []int{opExp, opExp2, opLog, opLog2, opTanh, opSin, opCos, opAtan, opErf} {
		for _, n := range benchSizes {
			x, d := make([]float64, n), make([]float64, n)
			for i, v := range benchInput(n, 3) {
				x[i] = float64(v)
				if op == opLog || op == opLog2 {
					x[i] = math.Abs(x[i])
				}
			}
			for _, isa := range testISAs() {
				b.Run(fmt.Sprintf("%s/%s/%d", unaryOpNames[op], isa, n), func(b *testing.B) {
					b.SetBytes(int64(16 * n))
					for b.Loop() {
						unaryF64(isa, op, d, x)
					}
				})
			}
			f := ref[op]
			b.Run(fmt.Sprintf("%s/math/%d", unaryOpNames[op], n), func(b *testing.B) {
				b.SetBytes(int64(16 * n))
				for b.Loop() {
					for i, v := range x {
						d[i] = f(v)
					}
				}
			})
		}
	}
}

func BenchmarkReduce(b *testing.B) {
	for _, isa := range testISAs() {
		for _, n := range benchSizes {
			x := benchInput(n, 1)
			x64 := make([]float64, n)
			for i, v := range x {
				x64[i] = float64(v)
			}
			b.Run(fmt.Sprintf("SumF32/%s/%d", isa, n), func(b *testing.B) {
				b.SetBytes(int64(4 * n))
				for b.Loop() {
					sumF32(isa, x)
				}
			})
			acc := make([]float64, n)
			b.Run(fmt.Sprintf("AccumulateF32/%s/%d", isa, n), func(b *testing.B) {
				b.SetBytes(int64(12 * n))
				for b.Loop() {
					accumulateF32(isa, acc, x)
				}
			})
			b.Run(fmt.Sprintf("SumF64/%s/%d", isa, n), func(b *testing.B) {
				b.SetBytes(int64(8 * n))
				for b.Loop() {
					sumF64(isa, x64)
				}
			})
			b.Run(fmt.Sprintf("MaxF32/%s/%d", isa, n), func(b *testing.B) {
				b.SetBytes(int64(4 * n))
				for b.Loop() {
					reduceF32(isa, opMax, x)
				}
			})
		}
	}
}

func BenchmarkCompareF32(b *testing.B) {
	for _, isa := range testISAs() {
		for _, n := range benchSizes {
			x, y, d := benchInput(n, 1), benchInput(n, 1), make([]int64, n)
			b.Run(fmt.Sprintf("Less/%s/%d", isa, n), func(b *testing.B) {
				b.SetBytes(int64(16 * n))
				for b.Loop() {
					compareVec(isa, opLess, d, x, y)
				}
			})
		}
	}
}

// BenchmarkChainF32 runs relu(a*b + c) over 16M float32 on two goroutines (GOMAXPROCS
// permitting), a block of 512 elements at a time as the CPU device does: as a chain, one
// pass, and as the three kernels it stands for, one after another over each block. The
// bytes per second count the three operands read and the result written.
func BenchmarkChainF32(b *testing.B) {
	const n, block = 1 << 24, 512
	x, y, z, out := benchInput(n, 1), benchInput(n, 2), benchInput(n, 3), make([]float32, n)
	prog := Chain{}.Load(0).Stream(ChainMul, 1, false).Stream(ChainAdd, 2, false).Scalar(ChainMax, 0, false)
	run := func(f func(lo, hi int)) {
		done := make(chan bool)
		for w := range 2 {
			go func() {
				for s := w * n / 2; s < (w+1)*n/2; s += block {
					f(s, s+block)
				}
				done <- true
			}()
		}
		<-done
		<-done
	}
	b.Run("chain", func(b *testing.B) {
		b.SetBytes(16 * n)
		for b.Loop() {
			run(func(lo, hi int) {
				ChainF32(out[lo:hi], prog, [][]float32{x[lo:hi], y[lo:hi], z[lo:hi]}, []float32{0})
			})
		}
	})
	b.Run("kernels", func(b *testing.B) {
		b.SetBytes(16 * n)
		var t [2][block]float32
		for b.Loop() {
			run(func(lo, hi int) {
				w := lo * 2 / n
				MulF32(t[w][:], x[lo:hi], y[lo:hi])
				AddF32(t[w][:], t[w][:], z[lo:hi])
				MaxScalarF32(out[lo:hi], t[w][:], 0)
			})
		}
	})
}

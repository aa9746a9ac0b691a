package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// testISAs are the implementations of the vector kernels this machine runs, Go first.
func testISAs() []vecISA {
	var s []vecISA
	for i := range isaNames {
		if hasISA(vecISA(i)) {
			s = append(s, vecISA(i))
		}
	}
	return s
}

// forEachISA runs fn as a subtest per implementation.
func forEachISA(t *testing.T, fn func(t *testing.T, isa vecISA)) {
	for _, isa := range testISAs() {
		t.Run(isa.String(), func(t *testing.T) { fn(t, isa) })
	}
}

// vecLengths are the lengths the kernel tests try: every one up to 200 (all tails of every
// unroll) and a few large ones.
var vecLengths = func() []int {
	var s []int
	for n := range 201 {
		s = append(s, n)
	}
	return append(s, 511, 512, 1000, 4099)
}()

// guardedVec returns a slice of n elements inside NaN guard bands of 8 elements, starting off
// elements into its backing array; fill gives the elements.
func guardedVec[T Float](n, off int, fill func(i int) T) (full, s []T) {
	full = make([]T, off+n+8)
	for i := range full {
		full[i] = T(math.NaN())
	}
	s = full[off : off+n]
	for i := range s {
		s[i] = fill(i)
	}
	return full, s
}

func checkGuardBands[T Float](t *testing.T, what string, full []T, n, off int) {
	t.Helper()
	for i, v := range full {
		if (i < off || i >= off+n) && v == v {
			t.Fatalf("%s n=%d off=%d: guard element %d overwritten with %v", what, n, off, i, v)
		}
	}
}

// sameFloat reports whether got and want have the same bits, or are both NaN.
func sameFloat[T Float](got, want T) bool {
	if got != got || want != want {
		return got != got && want != want
	}
	switch g := any(got).(type) {
	case float32:
		return math.Float32bits(g) == math.Float32bits(any(want).(float32))
	default:
		return math.Float64bits(any(got).(float64)) == math.Float64bits(any(want).(float64))
	}
}

func checkSame[T Float](t *testing.T, what string, got, want, in0, in1 []T) {
	t.Helper()
	for i := range want {
		if !sameFloat(got[i], want[i]) {
			msg := fmt.Sprintf("%s n=%d: element %d = %v, want %v (input %v", what, len(want), i, got[i], want[i], in0[i])
			if in1 != nil {
				msg += fmt.Sprintf(", %v", in1[i])
			}
			t.Fatal(msg + ")")
		}
	}
}

// mixedValue returns random values with the special ones mixed in: zeros of both signs,
// infinities, NaN, subnormals, equal pairs.
func mixedValue[T Float](r *rand.Rand) T {
	switch r.IntN(16) {
	case 0:
		return 0
	case 1:
		return T(math.Copysign(0, -1))
	case 2:
		return T(math.Inf(1 - 2*r.IntN(2)))
	case 3:
		return T(math.NaN())
	case 4:
		return T(math.SmallestNonzeroFloat32) * T(r.IntN(100)-50)
	case 5:
		return T(r.IntN(3) - 1)
	}
	return T(r.NormFloat64() * math.Exp2(float64(r.IntN(40)-20)))
}

var binaryOpNames = map[int]string{opAdd: "Add", opSub: "Sub", opMul: "Mul", opDiv: "Div", opMax: "Max",
	opMin: "Min", opRSub: "RSub", opRDiv: "RDiv"}

func TestBinary(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) {
		for _, op := range []int{opAdd, opSub, opMul, opDiv, opMax, opMin} {
			testBinary(t, isa, op, binaryF32)
			testBinary(t, isa, op, binaryF64)
		}
	})
}

func testBinary[T Float](t *testing.T, isa vecISA, op int, kernel func(vecISA, int, []T, []T, []T)) {
	r := rand.New(rand.NewPCG(uint64(op), uint64(isa)))
	what := fmt.Sprintf("%s %T", binaryOpNames[op], T(0))
	for _, n := range vecLengths {
		off := n % 4 // every alignment of the destination and both operands, over the lengths
		_, a := guardedVec(n, (off+1)%4, func(int) T { return mixedValue[T](r) })
		_, b := guardedVec(n, (off+2)%4, func(int) T { return mixedValue[T](r) })
		full, dst := guardedVec(n, off, func(int) T { return 7 })
		want := make([]T, n)
		binaryGo(op, want, a, b)
		kernel(isa, op, dst, a, b)
		checkSame(t, what, dst, want, a, b)
		checkGuardBands(t, what, full, n, off)
		// In place.
		kernel(isa, op, a, a, b)
		checkSame(t, what+" in place", a, want, dst, b)
	}
}

func TestScalar(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) {
		r := rand.New(rand.NewPCG(3, uint64(isa)))
		for _, op := range []int{opAdd, opSub, opRSub, opMul, opDiv, opRDiv, opMax, opMin} {
			for _, s := range []float32{0, float32(math.Copysign(0, -1)), 1.5, float32(math.NaN())} {
				what := fmt.Sprintf("%s scalar %v", binaryOpNames[op], s)
				for _, n := range vecLengths {
					off := n % 4
					_, x := guardedVec(n, off, func(int) float32 { return mixedValue[float32](r) })
					full, dst := guardedVec(n, 3-off, func(int) float32 { return 7 })
					want := make([]float32, n)
					scalarF32Go(op, want, x, s)
					scalarF32(isa, op, dst, x, s)
					checkSame(t, what, dst, want, x, nil)
					checkGuardBands(t, what, full, n, 3-off)
				}
			}
		}
	})
}

// TestFill checks the fill kernels against their Go reference, bit for bit (NaN payloads and
// the sign of zero included), for every length, alignment and tail, inside guard bands.
func TestFill(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) {
		for _, v := range []float32{1.5, float32(math.Copysign(0, -1)), math.Float32frombits(0x7fc12345), float32(math.Inf(-1))} {
			for _, n := range vecLengths {
				off := n % 4
				full, dst := guardedVec(n, off, func(int) float32 { return 7 })
				fillF32(isa, dst, v)
				for i, got := range dst {
					if math.Float32bits(got) != math.Float32bits(v) {
						t.Fatalf("fill %v n=%d off=%d: element %d is %v", v, n, off, i, got)
					}
				}
				checkGuardBands(t, fmt.Sprintf("fill %v", v), full, n, off)
			}
		}
	})
}

var unaryOpNames = map[int]string{opNeg: "Neg", opAbs: "Abs", opSqrt: "Sqrt", opExp: "Exp", opExp2: "Exp2",
	opLog: "Log", opLog2: "Log2", opTanh: "Tanh", opSigmoid: "Sigmoid", opErf: "Erf",
	opSin: "Sin", opCos: "Cos", opRound: "Round", opFloor: "Floor", opCeil: "Ceil", opTrunc: "Trunc", opAtan: "Atan"}

// TestUnary checks every unary kernel against its Go reference, bit for bit, for every length,
// alignment and tail, on values from the whole float32 range and the special ones.
func TestUnary(t *testing.T) {
	special := specialF32()
	forEachISA(t, func(t *testing.T, isa vecISA) {
		r := rand.New(rand.NewPCG(4, uint64(isa)))
		value := func(int) float32 {
			switch r.IntN(5) {
			case 0:
				return special[r.IntN(len(special))]
			case 1:
				return math.Float32frombits(r.Uint32())
			case 2:
				return float32(r.IntN(64)-32) / 2 // integers and ties, for the roundings
			}
			return float32(r.NormFloat64() * 4)
		}
		for op := opNeg; op <= opTrunc; op++ {
			for _, n := range vecLengths {
				off := n % 4
				_, x := guardedVec(n, off, value)
				full, dst := guardedVec(n, 3-off, func(int) float32 { return 7 })
				want := make([]float32, n)
				unaryRef(op, want, x)
				unaryF32(isa, op, dst, x)
				checkSame(t, unaryOpNames[op], dst, want, x, nil)
				checkGuardBands(t, unaryOpNames[op], full, n, 3-off)
				unaryF32(isa, op, x, x)
				checkSame(t, unaryOpNames[op]+" in place", x, want, dst, nil)
			}
		}
	})
}

// TestUnaryF64 checks the float64 square root and roundings against their Go references,
// bit for bit, for every length, alignment and tail, in place too, on values from the whole
// float64 range (random bit patterns: subnormals, NaNs of any payload), integers and ties,
// values past 2⁵² (all integers) and the special ones.
func TestUnaryF64(t *testing.T) {
	special := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, -0.5, 1.5, -2.5, math.Inf(1), math.Inf(-1),
		math.NaN(), math.Float64frombits(0xfff8_0000_dead_beef), math.SmallestNonzeroFloat64, -0x1p-1022,
		math.MaxFloat64, 0x1p52 + 1, -0x1p52 - 0.5, 0x1p53, 4503599627370495.5,
		// the edges of exp's range and of tanh's clamp, and log's near 1 and √½
		709.782712893384, 709.7827128933841, -708.3964185322641, -745.1332191019411, -745.1332191019412,
		-746, 710, 19.06, 20, 21, 1 - 0x1p-53, 1 + 0x1p-52, 0x1.6a09e667f3bcdp-1, 0x1.6a09e667f3bccp-1,
		// and of sin and cos: quadrant edges, the vector pass's last inputs, tiny ones
		math.Pi / 4, math.Pi / 2, math.Pi, 1e22, 0x1p28, 0x1.fffffffffffffp27, 0x1p-26, 0x1.fffffffffffffp-27,
		math.Float64frombits(0x7ff0_0000_0000_0001), math.Float64frombits(0xffff_7000_0000_0001)}
	forEachISA(t, func(t *testing.T, isa vecISA) {
		r := rand.New(rand.NewPCG(6, uint64(isa)))
		value := func(int) float64 {
			switch r.IntN(6) {
			case 0:
				return special[r.IntN(len(special))]
			case 1:
				return math.Float64frombits(r.Uint64())
			case 2:
				return float64(r.IntN(64)-32) / 2
			case 3:
				return r.Float64()*1500 - 750 // across exp's range
			}
			return r.NormFloat64() * math.Exp2(float64(r.IntN(120)-60))
		}
		for _, op := range []int{opNeg, opAbs, opSqrt, opRound, opFloor, opCeil, opTrunc, opExp, opExp2, opLog, opLog2, opTanh,
			opSin, opCos, opAtan, opErf} {
			what := unaryOpNames[op] + " float64"
			for _, n := range vecLengths {
				off := n % 4
				_, x := guardedVec(n, off, value)
				full, dst := guardedVec(n, 3-off, func(int) float64 { return 7 })
				want := make([]float64, n)
				unaryF64Go(op, want, x)
				if op == opSin || op == opCos {
					trigLargeD(op == opCos, want)
				}
				unaryF64(isa, op, dst, x)
				checkSame(t, what, dst, want, x, nil)
				checkGuardBands(t, what, full, n, 3-off)
				for i := range want {
					// NaN's bits too: the CPU's fused and unfused kernels, which run the
					// reference on different tails, give the same bits.
					if math.Float64bits(dst[i]) != math.Float64bits(want[i]) {
						t.Fatalf("%s n=%d: element %d is %#x, want %#x", what, n, i, math.Float64bits(dst[i]),
							math.Float64bits(want[i]))
					}
				}
				unaryF64(isa, op, x, x)
				checkSame(t, what+" in place", x, want, dst, nil)
			}
		}
	})
}

// unaryRef is what unaryF32 computes, from the Go references: the kernel's, then for sin
// and cos the float64 pass over the inputs the kernel left.
func unaryRef(op int, dst, x []float32) {
	unaryF32Go(op, dst, x)
	if op == opSin || op == opCos {
		trigLarge(op == opCos, dst)
	}
}

// TestMathExact compares the math kernels with their references on the special values and
// on a sweep of 2¹⁶ bit patterns across the whole range.
func TestMathExact(t *testing.T) {
	stride := uint64(65537)
	if raceEnabled {
		stride *= 8
	}
	x := specialF32()
	for b := uint64(0); b < 1<<32; b += stride {
		x = append(x, math.Float32frombits(uint32(b)))
	}
	got := make([]float32, len(x))
	for op := opExp; op <= opTrunc; op++ {
		want := make([]float32, len(x))
		unaryRef(op, want, x)
		forEachISA(t, func(t *testing.T, isa vecISA) {
			unaryF32(isa, op, got, x)
			checkSame(t, unaryOpNames[op], got, want, x, nil)
		})
	}
}

func TestSum(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) {
		r := rand.New(rand.NewPCG(5, uint64(isa)))
		for _, n := range append(vecLengths, 1<<16+33) {
			for off := range 4 {
				_, x32 := guardedVec(n, off, func(int) float32 { return float32(r.NormFloat64()) })
				_, x64 := guardedVec(n, off, func(int) float64 { return r.NormFloat64() * 1e10 })
				if got, want := sumF32(isa, x32), sumF32Go(x32); !sameFloat(got, want) {
					t.Fatalf("SumF32 n=%d off=%d: %v, want %v", n, off, got, want)
				}
				if got, want := sumF64(isa, x64), sumF64Go(x64); !sameFloat(got, want) {
					t.Fatalf("SumF64 n=%d off=%d: %v, want %v", n, off, got, want)
				}
				var naive float64
				for _, v := range x32 {
					naive += float64(v)
				}
				if got := sumF32(isa, x32); math.Abs(got-naive) > 1e-12*float64(n+1) {
					t.Fatalf("SumF32 n=%d: %v is far from the naive sum %v", n, got, naive)
				}
			}
		}
		for _, c := range []struct {
			x    []float32
			want float64
		}{
			{nil, 0},
			{[]float32{1, float32(math.Inf(1))}, math.Inf(1)},
			{[]float32{float32(math.Inf(-1)), float32(math.Inf(1))}, math.NaN()},
			{append(make([]float32, 40), float32(math.NaN())), math.NaN()},
			{slices.Repeat([]float32{math.MaxFloat32}, 64), 64 * math.MaxFloat32},
		} {
			if got := sumF32(isa, c.x); !sameFloat(got, c.want) {
				t.Errorf("SumF32(%v) = %v, want %v", c.x, got, c.want)
			}
		}
	})
}

func TestAccumulate(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) {
		r := rand.New(rand.NewPCG(9, uint64(isa)))
		for _, n := range append(vecLengths, 1<<16+33) {
			for off := range 4 {
				_, x := guardedVec(n, off, func(i int) float32 {
					switch i % 101 {
					case 7:
						return float32(math.Inf(1 - 2*(i%2)))
					case 50:
						return float32(math.NaN())
					}
					return float32(r.NormFloat64())
				})
				full, acc := guardedVec(n, off, func(int) float64 { return r.NormFloat64() * 1e3 })
				want := slices.Clone(acc)
				accumulateF32Go(want, x)
				accumulateF32(isa, acc, x)
				for i := range acc {
					if !sameFloat(acc[i], want[i]) {
						t.Fatalf("AccumulateF32 n=%d off=%d: acc[%d] = %v, want %v", n, off, i, acc[i], want[i])
					}
				}
				checkGuardBands(t, "AccumulateF32", full, n, off)
			}
		}
		// acc may be longer than x: the rest is left alone.
		acc := []float64{1, 2, 3}
		accumulateF32(isa, acc, []float32{0.5})
		if acc[0] != 1.5 || acc[1] != 2 || acc[2] != 3 {
			t.Errorf("AccumulateF32 of one value into three: %v", acc)
		}
	})
}

func TestReduce(t *testing.T) {
	identity := map[int]float64{opMax: math.Inf(-1), opMin: math.Inf(1)}
	forEachISA(t, func(t *testing.T, isa vecISA) {
		r := rand.New(rand.NewPCG(6, uint64(isa)))
		for _, op := range []int{opMax, opMin} {
			for _, n := range vecLengths {
				for off := range 4 {
					for _, special := range []bool{false, true} {
						f32 := func(int) float32 { return float32(r.NormFloat64()) }
						f64 := func(int) float64 { return r.NormFloat64() }
						if special {
							f32 = func(int) float32 {
								if r.IntN(max(n, 1)) == 0 {
									return mixedValue[float32](r)
								}
								return float32(r.IntN(3)-1) * 0
							}
							f64 = func(int) float64 {
								if r.IntN(max(n, 1)) == 0 {
									return mixedValue[float64](r)
								}
								return float64(r.IntN(3)-1) * 0
							}
						}
						_, x32 := guardedVec(n, off, f32)
						_, x64 := guardedVec(n, off, f64)
						if got, want := reduceF32(isa, op, x32), reduceGo(op, float32(identity[op]), x32); !sameFloat(got, want) {
							t.Fatalf("Reduce%sF32 n=%d off=%d %v: %v, want %v", binaryOpNames[op], n, off, x32, got, want)
						}
						if got, want := reduceF64(isa, op, x64), reduceGo(op, identity[op], x64); !sameFloat(got, want) {
							t.Fatalf("Reduce%sF64 n=%d off=%d %v: %v, want %v", binaryOpNames[op], n, off, x64, got, want)
						}
					}
				}
			}
		}
	})
}

// TestVecAPI calls each exported kernel once at the active level, and checks that the level
// mechanism chooses the implementation.
func TestVecAPI(t *testing.T) {
	x := []float32{-2, -0.5, 0, 0.25, 1, 3, 9, 100, 1e-3}
	y := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	d := make([]float32, len(x))
	f64 := func(f func(float64) float64) func(i int) float32 {
		return func(i int) float32 { return float32(f(float64(x[i]))) }
	}
	for _, c := range []struct {
		name string
		f    func()
		want func(i int) float32
	}{
		{"AddF32", func() { AddF32(d, x, y) }, func(i int) float32 { return x[i] + y[i] }},
		{"SubF32", func() { SubF32(d, x, y) }, func(i int) float32 { return x[i] - y[i] }},
		{"MulF32", func() { MulF32(d, x, y) }, func(i int) float32 { return x[i] * y[i] }},
		{"DivF32", func() { DivF32(d, x, y) }, func(i int) float32 { return x[i] / y[i] }},
		{"MaxF32", func() { MaxF32(d, x, y) }, func(i int) float32 { return max(x[i], y[i]) }},
		{"MinF32", func() { MinF32(d, x, y) }, func(i int) float32 { return min(x[i], y[i]) }},
		{"AddScalarF32", func() { AddScalarF32(d, x, 2) }, func(i int) float32 { return x[i] + 2 }},
		{"SubScalarF32", func() { SubScalarF32(d, x, 2) }, func(i int) float32 { return x[i] - 2 }},
		{"ScalarSubF32", func() { ScalarSubF32(d, 2, x) }, func(i int) float32 { return 2 - x[i] }},
		{"MulScalarF32", func() { MulScalarF32(d, x, 2) }, func(i int) float32 { return x[i] * 2 }},
		{"DivScalarF32", func() { DivScalarF32(d, x, 3) }, func(i int) float32 { return x[i] / 3 }},
		{"ScalarDivF32", func() { ScalarDivF32(d, 1, x) }, func(i int) float32 { return 1 / x[i] }},
		{"MaxScalarF32", func() { MaxScalarF32(d, x, 0) }, func(i int) float32 { return max(x[i], 0) }},
		{"MinScalarF32", func() { MinScalarF32(d, x, 0) }, func(i int) float32 { return min(x[i], 0) }},
		{"FillF32", func() { FillF32(d, 2.5) }, func(int) float32 { return 2.5 }},
		{"SelectF32", func() { SelectF32(d, []int64{0, 1, 0, 2, 0, -1, 0, 1 << 40, 0}, x, y) }, func(i int) float32 {
			if i%2 == 1 {
				return x[i]
			}
			return y[i]
		}},
		{"NegF32", func() { NegF32(d, x) }, func(i int) float32 { return -x[i] }},
		{"AbsF32", func() { AbsF32(d, x) }, f64(math.Abs)},
		{"SqrtF32", func() { SqrtF32(d, x) }, f64(math.Sqrt)},
		{"ExpF32", func() { ExpF32(d, x) }, f64(math.Exp)},
		{"Exp2F32", func() { Exp2F32(d, x) }, f64(math.Exp2)},
		{"LogF32", func() { LogF32(d, x) }, f64(math.Log)},
		{"Log2F32", func() { Log2F32(d, x) }, f64(math.Log2)},
		{"TanhF32", func() { TanhF32(d, x) }, f64(math.Tanh)},
		{"SigmoidF32", func() { SigmoidF32(d, x) }, f64(func(v float64) float64 { return 1 / (1 + math.Exp(-v)) })},
		{"ErfF32", func() { ErfF32(d, x) }, f64(math.Erf)},
		{"RoundF32", func() { RoundF32(d, x) }, f64(math.RoundToEven)},
		{"FloorF32", func() { FloorF32(d, x) }, f64(math.Floor)},
		{"CeilF32", func() { CeilF32(d, x) }, f64(math.Ceil)},
		{"TruncF32", func() { TruncF32(d, x) }, f64(math.Trunc)},
	} {
		clear(d)
		c.f()
		for i := range d {
			if want := c.want(i); ulpDist(d[i], want) > 2 {
				t.Errorf("%s: element %d = %v, want %v", c.name, i, d[i], want)
			}
		}
	}

	a := []float64{-2, -0.5, 0, 0.25, 1}
	b := []float64{3, 0.5, -0.0, 4, 1e300}
	d64 := make([]float64, len(a))
	for _, c := range []struct {
		name string
		f    func(dst, a, b []float64)
		want func(x, y float64) float64
	}{
		{"AddF64", AddF64, func(x, y float64) float64 { return x + y }},
		{"SubF64", SubF64, func(x, y float64) float64 { return x - y }},
		{"MulF64", MulF64, func(x, y float64) float64 { return x * y }},
		{"DivF64", DivF64, func(x, y float64) float64 { return x / y }},
		{"MaxF64", MaxF64, func(x, y float64) float64 { return max(x, y) }},
		{"MinF64", MinF64, func(x, y float64) float64 { return min(x, y) }},
	} {
		c.f(d64, a, b)
		for i := range d64 {
			if want := c.want(a[i], b[i]); !sameFloat(d64[i], want) {
				t.Errorf("%s: element %d = %v, want %v", c.name, i, d64[i], want)
			}
		}
	}
	for _, c := range []struct {
		name string
		f    func(dst []int64, a, b []float64)
		want func(x, y float64) bool
	}{
		{"LessF64", LessF64, func(x, y float64) bool { return x < y }},
		{"LessEqualF64", LessEqualF64, func(x, y float64) bool { return x <= y }},
		{"EqualF64", EqualF64, func(x, y float64) bool { return x == y }},
		{"NotEqualF64", NotEqualF64, func(x, y float64) bool { return x != y }},
	} {
		got := make([]int64, len(a))
		c.f(got, a, b)
		for i := range got {
			if want := c.want(a[i], b[i]); got[i] != int64(b2i(want)) {
				t.Errorf("%s: element %d = %d, want %v", c.name, i, got[i], want)
			}
		}
	}
	SelectF64(d64, []int64{1, 0, -1, 0, 1 << 40}, a, b)
	if want := []float64{-2, 0.5, 0, 4, 1}; !slices.Equal(d64, want) {
		t.Errorf("SelectF64: %v, want %v", d64, want)
	}

	for _, c := range []struct {
		name string
		f    func(dst, x []float64)
		want func(float64) float64
		ulp  int64 // from math's result
	}{
		{"NegF64", NegF64, func(v float64) float64 { return -v }, 0},
		{"AbsF64", AbsF64, math.Abs, 0},
		{"SqrtF64", SqrtF64, math.Sqrt, 0},
		{"RoundF64", RoundF64, math.RoundToEven, 0},
		{"FloorF64", FloorF64, math.Floor, 0},
		{"CeilF64", CeilF64, math.Ceil, 0},
		{"TruncF64", TruncF64, math.Trunc, 0},
		{"ExpF64", ExpF64, math.Exp, 1},
		{"LogF64", LogF64, math.Log, 1},
		{"Exp2F64", Exp2F64, math.Exp2, 1},
		{"Log2F64", Log2F64, math.Log2, 1},
		{"TanhF64", TanhF64, math.Tanh, 2},
		{"SinhF64", SinhF64, math.Sinh, 2},
		{"CoshF64", CoshF64, math.Cosh, 2},
		{"SinF64", SinF64, math.Sin, 1},
		{"CosF64", CosF64, math.Cos, 1},
	} {
		// 17 values: whole vectors at every level, and a tail.
		x := make([]float64, 17)
		for i := range x {
			x[i] = float64(i)*0.75 - 5.5
		}
		d := make([]float64, len(x))
		c.f(d, x)
		for i := range d {
			if want := c.want(x[i]); ulpDist64(d[i], want) > c.ulp {
				t.Errorf("%s: element %d = %v, want %v", c.name, i, d[i], want)
			}
		}
	}

	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"SumF32", SumF32(y), 45},
		{"SumF64", SumF64(a), -1.25},
		{"ReduceMaxF32", float64(ReduceMaxF32(x)), 100},
		{"ReduceMinF32", float64(ReduceMinF32(x)), -2},
		{"ReduceMaxF64", ReduceMaxF64(a), 1},
		{"ReduceMinF64", ReduceMinF64(a), -2},
		{"ReduceMaxF32(nil)", float64(ReduceMaxF32(nil)), math.Inf(-1)},
		{"ReduceMinF64(nil)", ReduceMinF64(nil), math.Inf(1)},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}

	old := Level()
	defer SetLevel(old)
	for _, l := range Levels() {
		if err := SetLevel(l); err != nil {
			t.Fatal(err)
		}
		if got := activeISA(); got.String() != l {
			t.Errorf("level %s runs the %s kernels", l, got)
		}
	}
}

// TestCompare checks the compare kernels against their reference on every length up to 200
// and beyond, with values drawn from the specials (NaN, zeros of both signs, infinities) and
// equal pairs, and checks that nothing past dst is written.
// TestSelect checks the select kernels against their Go reference, bit for bit, for every
// length, alignment and tail, with conditions that are 0, 1 or any other int64 (a set bit
// in either half), inside guard bands.
func TestSelect(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) {
		testSelect[float32](t, isa)
		testSelect[float64](t, isa)
	})
}

func testSelect[T Float](t *testing.T, isa vecISA) {
	r := rand.New(rand.NewPCG(9, uint64(isa)))
	what := fmt.Sprintf("select %T", T(0))
	for _, n := range vecLengths {
		off := n % 4
		_, a := guardedVec(n, off, func(int) T { return mixedValue[T](r) })
		_, b := guardedVec(n, (off+1)%4, func(int) T { return mixedValue[T](r) })
		full, dst := guardedVec(n, 3-off, func(int) T { return 7 })
		cond := make([]int64, n)
		for i := range cond {
			switch r.IntN(4) {
			case 0:
				cond[i] = 1
			case 1:
				cond[i] = int64(r.Uint64()) | 1<<r.IntN(64) // never 0
			}
		}
		want := make([]T, n)
		selectGo(want, cond, a, b)
		selectVec(isa, dst, cond, a, b)
		for i := range want {
			if !identical(dst[i], want[i]) {
				t.Fatalf("%s n=%d: element %d (condition %#x) = %v, want %v", what, n, i, cond[i], dst[i], want[i])
			}
		}
		checkGuardBands(t, what, full, n, 3-off)
	}
}

// identical reports whether x and y have the same bits, NaNs' included.
func identical[T Float](x, y T) bool {
	if v, ok := any(x).(float32); ok {
		return math.Float32bits(v) == math.Float32bits(any(y).(float32))
	}
	return math.Float64bits(any(x).(float64)) == math.Float64bits(any(y).(float64))
}

var compareNames = map[int]string{opLess: "Less", opLessEqual: "LessEqual", opEqual: "Equal", opNotEqual: "NotEqual"}

func TestCompare(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) {
		testCompare[float32](t, isa)
		testCompare[float64](t, isa)
	})
	// The reference against Go's operators on the cases that matter.
	nan := float32(math.NaN())
	for _, c := range []struct {
		a, b                        float32
		less, lessEqual, equal, not int64
	}{{1, 2, 1, 1, 0, 1}, {2, 1, 0, 0, 0, 1}, {0, float32(math.Copysign(0, -1)), 0, 1, 1, 0}, {nan, 1, 0, 0, 0, 1}, {nan, nan, 0, 0, 0, 1}} {
		got := make([]int64, 4)
		for i, op := range []int{opLess, opLessEqual, opEqual, opNotEqual} {
			compareGo(op, got[i:i+1], []float32{c.a}, []float32{c.b})
		}
		if want := []int64{c.less, c.lessEqual, c.equal, c.not}; !slices.Equal(got, want) {
			t.Errorf("compare %v, %v: <, <=, ==, != give %v, want %v", c.a, c.b, got, want)
		}
	}
}

func testCompare[T Float](t *testing.T, isa vecISA) {
	r := rand.New(rand.NewPCG(7, uint64(isa)))
	for op := opLess; op <= opNotEqual; op++ {
		what := fmt.Sprintf("%s %T", compareNames[op], T(0))
		for _, n := range vecLengths {
			a, b := make([]T, n), make([]T, n)
			for i := range a {
				a[i], b[i] = mixedValue[T](r), mixedValue[T](r)
				switch r.IntN(4) {
				case 0:
					b[i] = a[i]
				case 1:
					b[i] = -a[i]
				}
			}
			full := make([]int64, n+3)
			for i := range full {
				full[i] = 7
			}
			dst := full[:n]
			want := make([]int64, n)
			compareGo(op, want, a, b)
			compareVec(isa, op, dst, a, b)
			for i := range want {
				if dst[i] != want[i] {
					t.Fatalf("%s n=%d: element %d = %d, want %d (inputs %v, %v)", what, n, i, dst[i], want[i], a[i], b[i])
				}
			}
			for i, v := range full[n:] {
				if v != 7 {
					t.Fatalf("%s n=%d: element %d past dst overwritten with %d", what, n, n+i, v)
				}
			}
		}
	}
}

package cpu

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/crossbar-compute/crossbar/graph"
)

// TestUnaryFMath checks the float64 exp, exp2, log, log2, tanh, sin, cos, sinh and cosh
// (package asm's vector kernels) against Go's math within 2 ulp (3 for tanh, sinh and cosh:
// the kernel's 2 and math's own error; log2 against log/ln2 within 3, as math.Log2 is off by
// 25 ulp and more near 1), and where math on amd64 is off: exp just below overflow
// (math.Exp gives +Inf from about 709.44, and math.Sinh and math.Cosh from 709.78) and log
// at subnormal inputs (off by up to 35), against e^(x/2)² and k·ln2 + log(m).
func TestUnaryFMath(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var x []float64
	for range 5000 {
		x = append(x, r.Float64()*1440-745, r.NormFloat64()*3, math.Ldexp(r.Float64(), -r.IntN(60)))
	}
	x = append(x, 0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1), math.NaN(), 709, 710, -745.1, -746, 20, 21)
	ulps := func(a, b float64) uint64 {
		if a != a || b != b {
			if a != a && b != b {
				return 0
			}
			return math.MaxUint64
		}
		ia, ib := int64(math.Float64bits(a)&^(1<<63)), int64(math.Float64bits(b)&^(1<<63))
		if math.Signbit(a) {
			ia = -ia
		}
		if math.Signbit(b) {
			ib = -ib
		}
		if ia > ib {
			return uint64(ia - ib)
		}
		return uint64(ib - ia)
	}
	for _, c := range []struct {
		op  graph.Op
		ref func(float64) float64
		ulp uint64
	}{{graph.OpExp, math.Exp, 2}, {graph.OpExp2, math.Exp2, 2}, {graph.OpLog, math.Log, 2},
		{graph.OpLog2, func(v float64) float64 { return math.Log(v) / math.Ln2 }, 3}, // math.Log2 cancels near 1
		{graph.OpTanh, math.Tanh, 3}, {graph.OpSin, math.Sin, 2}, {graph.OpCos, math.Cos, 2},
		// math.Tan is up to 4 ulp off for small x (tan(4.307206051207379e-08) is 4 ulp above
		// x, math.Tan gives x); math's sine and cosine are not.
		{graph.OpTan, func(v float64) float64 { return math.Sin(v) / math.Cos(v) }, 4},
		{graph.OpSinh, math.Sinh, 3}, {graph.OpCosh, math.Cosh, 3}, {graph.OpAtan, math.Atan, 3}, {graph.OpErf, math.Erf, 2},
		// math.Asin and math.Acos are 9 ulp off at -0.9999572046398395, 36 at 0.999999 (they
		// take √(1-x²), which cancels); the same identities through math.Atan are not.
		{graph.OpAsin, func(v float64) float64 { return math.Atan(v / math.Sqrt((1-v)*(1+v))) }, 4},
		{graph.OpAcos, func(v float64) float64 { return 2 * math.Atan(math.Sqrt((1-v)/(1+v))) }, 4}} {
		in := x
		if c.op == graph.OpLog || c.op == graph.OpLog2 {
			in = slices.Clone(x)
			for i, v := range in {
				if v < 0 && i%2 == 0 {
					in[i] = -v // most logs of a positive number
				}
			}
		}
		got := slices.Clone(in)
		unaryF(c.op, got)
		for i, v := range in {
			if (c.op == graph.OpSinh || c.op == graph.OpCosh) && math.Abs(v) > 709 {
				continue // math's overflow early there
			}
			if d := ulps(got[i], c.ref(v)); d > c.ulp {
				t.Fatalf("%v(%v) = %v, want %v (%d ulp)", c.op, v, got[i], c.ref(v), d)
			}
		}
	}
	for _, v := range []float64{709.4, 709.5987674300029, 709.78} {
		got := []float64{v}
		unaryF(graph.OpExp, got)
		h := math.Exp(v / 2)
		if want := h * h; ulps(got[0], want) > 4 {
			t.Errorf("exp(%v) = %v, want %v", v, got[0], want)
		}
	}
	for _, e := range []int{-1073, -1060, -1040, -1023} { // 1.5·2⁻¹⁰⁷³ = 3·2⁻¹⁰⁷⁴, the last with that m
		x := []float64{math.Ldexp(1, e), math.Ldexp(1.5, e)}
		unaryF(graph.OpLog, x)
		for i, m := range []float64{1, 1.5} {
			want := float64(e)*math.Ln2 + math.Log(m)
			if math.Abs(x[i]-want) > 1e-12 {
				t.Errorf("log(%v·2^%d) = %v, want %v", m, e, x[i], want)
			}
		}
	}
}

// TestPowConstF64 checks Float64 powers with the exponents powConstOK takes against
// math.Pow, bit for bit, on values of every scale, the special values, subnormals and values
// whose powers leave the normal range, in place too; and that a power whose exponents differ
// from one element to the next is math.Pow's.
func TestPowConstF64(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var x []float64
	for range 4000 {
		x = append(x, r.NormFloat64()*math.Exp2(float64(r.IntN(2100)-1075)), r.NormFloat64()*10)
	}
	for _, v := range []float64{0, 1, 2, 0.5, 1e-300, 1e300, 0x1p-1074, 0x1p-1022, 0x1p-511, 0x1p-512, 0x1p511,
		0x1p512, 1e154, 1e155, 0x1p-537, 0x1p-538, math.MaxFloat64, math.Inf(1), 3, 10} {
		x = append(x, v, -v, math.Nextafter(v, 0), -math.Nextafter(v, math.Inf(1)))
	}
	x = append(x, math.NaN(), math.Float64frombits(0x7ff0_0000_0000_0001))
	for _, s := range []float64{2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4, -5, -6, -7, -8, 0.5, -0.5} {
		b := make([]float64, len(x))
		for i := range b {
			b[i] = s
		}
		got := make([]float64, len(x))
		powConstF64(got, x, s)
		inPlace := slices.Clone(x)
		powConstF64(inPlace, inPlace, s)
		for i, v := range x {
			want := math.Pow(v, s)
			if math.Float64bits(got[i]) != math.Float64bits(want) || math.Float64bits(inPlace[i]) != math.Float64bits(want) {
				t.Fatalf("%v**%v = %v (in place %v), want %v", v, s, got[i], inPlace[i], want)
			}
		}
	}
	b := []float64{2, 3, 0.5, 2.5}
	got := make([]float64, len(b))
	binaryFTo(graph.OpPow, got, []float64{3, 3, 3, 3}, b)
	for i, s := range b {
		if want := math.Pow(3, s); got[i] != want {
			t.Errorf("3**%v = %v, want %v", s, got[i], want)
		}
	}
}

// TestPowConstF64Graph checks that a Float64 power by a constant, computed a row after
// another and as a matmul's epilogue, gives math.Pow's values bit for bit.
func TestPowConstF64Graph(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	vals := func(int) float64 { return r.NormFloat64() * math.Exp2(float64(r.IntN(80)-40)) }
	for _, s := range []float64{2, 3, -2, 0.5} {
		x := hostVals(graph.Float64, []int{37, 53}, vals)
		rows := must(graph.Binary(graph.OpPow, x, scalar(s, graph.Float64, []int{37, 53})))
		a, b := hostVals(graph.Float64, []int{37, 11}, vals), hostVals(graph.Float64, []int{11, 53}, vals)
		mm := must(graph.Contract(a, b))
		epi := must(graph.Binary(graph.OpPow, mm, scalar(s, graph.Float64, []int{37, 53})))
		for _, c := range []struct {
			name  string
			n, in *graph.Node
		}{{"rows", rows, x}, {"epilogue", epi, mm}} {
			got := readBits(t, c.n)
			in := readBits(t, c.in)
			for i, v := range in {
				if want := math.Float64bits(math.Pow(math.Float64frombits(v), s)); got[i] != want {
					t.Fatalf("%s: %v**%v = %#x, want %#x", c.name, math.Float64frombits(v), s, got[i], want)
				}
			}
		}
	}
}

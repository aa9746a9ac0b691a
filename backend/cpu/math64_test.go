package cpu

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/crossbar-compute/crossbar/graph"
)

// TestUnaryFMath checks the float64 exp, exp2, log, log2, tanh, sin and cos (package asm's
// vector kernels) against Go's math within 2 ulp (3 for tanh: the kernel's 2 and math's own
// error; log2 against log/ln2 within 3, as math.Log2 is off by 25 ulp and more near 1), and
// where math on amd64 is off: exp just below overflow (math.Exp gives +Inf from about 709.44)
// and log at subnormal inputs (off by up to 35), against e^(x/2)² and k·ln2 + log(m).
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
		{graph.OpLog2, func(v float64) float64 { return math.Log(v) / math.Ln2 }, 3}, // math.Log2 cancels near 1 {graph.OpTanh, math.Tanh, 3}, {graph.OpSin, math.Sin, 2},
		{graph.OpCos, math.Cos, 2}} {
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

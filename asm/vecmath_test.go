package asm

import (
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// mathFuncs are the vector math kernels with their float64 references (rounded to float32 they
// are the correctly rounded results, but for the rare inputs within 2⁻²⁹ ulp of a midpoint)
// and the bound of their doc comments.
var mathFuncs = []struct {
	name  string
	op    int
	ref   func(float64) float64
	bound int64 // ulp
}{
	{"Exp", opExp, math.Exp, 1},
	{"Exp2", opExp2, math.Exp2, 1},
	{"Log", opLog, math.Log, 1},
	{"Log2", opLog2, math.Log2, 1},
	{"Tanh", opTanh, math.Tanh, 1},
	{"Sigmoid", opSigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, 2},
	{"Erf", opErf, math.Erf, 1},
	{"Sin", opSin, math.Sin, 1},
	{"Cos", opCos, math.Cos, 1},
}

// ulpDist returns how many float32 values lie between got and want (0 when equal, and when
// both are NaN); a NaN against a number is "infinitely" far.
func ulpDist(got, want float32) int64 {
	if got != got || want != want {
		if got != got && want != want {
			return 0
		}
		return math.MaxInt64
	}
	return abs64(ordered(got) - ordered(want))
}

// ordered maps float32 values to integers in the same order, -0 and +0 to the same one.
func ordered(x float32) int64 {
	b := int64(math.Float32bits(x))
	if b&(1<<31) != 0 {
		return -(b &^ (1 << 31))
	}
	return b
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// specialF32 are the inputs every math test tries: zeros, infinities, NaN, subnormals, the
// edges of exp's range and of the polynomial intervals, and powers of two.
func specialF32() []float32 {
	inf := float32(math.Inf(1))
	s := []float32{0, f32frombits(signMask), inf, -inf, f32frombits(0x7fc00000), f32frombits(0xffc00000),
		f32frombits(0x7f800001), f32frombits(1), f32frombits(0x807fffff), 0x1p-126, -0x1p-126, 1, -1,
		math.MaxFloat32, -math.MaxFloat32, 0x1p-149, 0x1p-140}
	for _, x := range []float32{88.72283, 88.72284, 88.7, 89, 89.5, -87.33654, -87.3, -103.27893,
		-103.97207, -103.97208, -104, -150, -149, -126, -125.5, 127, 128, 128.5, 129, -151, -149.5,
		0.3466, 0.35, 0.6, 0.59999996, 0.9, 0.89999996, 2.45, 3.9192, 4, 9.0109, 9.5, 10, 17, 0.70710677,
		1.4142135, 0.5, 2, 1e-20, 1e20, 1e-40, 3.4e38} {
		s = append(s, x, -x, math.Nextafter32(x, 0), -math.Nextafter32(x, 0),
			math.Nextafter32(x, float32(math.Inf(1))), -math.Nextafter32(x, float32(math.Inf(1))))
	}
	for e := -149; e <= 127; e++ {
		x := float32(math.Ldexp(1, e))
		s = append(s, x, -x)
	}
	return s
}

// sweepULP returns the largest distance from the rounded reference of fn over the float32
// values whose bit patterns are lo, lo+stride, ... < hi, and the input where it occurs.
func sweepULP(fn func(dst, x []float32), ref func(float64) float64, lo, hi, stride uint64) (worst int64, at float32) {
	const block = 4096
	var x, y [block]float32
	for b := lo; b < hi; {
		n := 0
		for ; n < block && b < hi; n++ {
			x[n] = math.Float32frombits(uint32(b))
			b += stride
		}
		fn(y[:n], x[:n])
		for i, v := range x[:n] {
			if d := ulpDist(y[i], float32(ref(float64(v)))); d > worst {
				worst, at = d, v
			}
		}
	}
	return worst, at
}

// TestMathULP measures every math kernel against its float64 reference over a strided sweep
// of all bit patterns and the special values, on the fastest implementation (they all agree
// bit for bit, which TestUnary and TestMathExact check). The dense sweep runs on amd64; the
// Go references, the race detector and emulated arm64 are 100 times slower.
func TestMathULP(t *testing.T) {
	isa := slices.Max(testISAs())
	stride := uint64(257)
	if raceEnabled || testing.Short() || (isa != isaAVX2 && isa != isaAVX512) {
		stride = 4099
	}
	specials := specialF32()
	for _, f := range mathFuncs {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			fn := func(dst, x []float32) { unaryF32(isa, f.op, dst, x) }
			worst, at := sweepULP(fn, f.ref, 0, 1<<32, stride)
			y := make([]float32, len(specials))
			fn(y, specials)
			for i, x := range specials {
				if d := ulpDist(y[i], float32(f.ref(float64(x)))); d > worst {
					worst, at = d, x
				}
			}
			if worst > f.bound {
				t.Errorf("%s: %d ulp at x = %v (%#08x): got %v, want %v", f.name, worst, at, f32bits(at),
					evalOne(fn, at), float32(f.ref(float64(at))))
			}
		})
	}
}

func evalOne(fn func(dst, x []float32), x float32) float32 {
	var d [1]float32
	fn(d[:], []float32{x})
	return d[0]
}

// TestMathULPExhaustive measures the math kernels over all 2³² inputs; it takes a minute or
// so per function and runs only with CROSSBAR_ULP_EXHAUSTIVE=1 (a comma-separated list of
// names selects functions). The figures in the doc comments come from it.
func TestMathULPExhaustive(t *testing.T) {
	sel := os.Getenv("CROSSBAR_ULP_EXHAUSTIVE")
	if sel == "" {
		t.Skip("set CROSSBAR_ULP_EXHAUSTIVE=1 (or =Exp,Log,...) to run")
	}
	for _, f := range mathFuncs {
		if sel != "1" && !slices.Contains(strings.Split(sel, ","), f.name) {
			continue
		}
		isa := slices.Max(testISAs())
		fn := func(dst, x []float32) { unaryF32(isa, f.op, dst, x) }
		workers := runtime.GOMAXPROCS(0)
		const chunk = 1 << 24
		var mu sync.Mutex
		var worst int64
		var at float32
		next := uint64(0)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for {
					mu.Lock()
					lo := next
					next += chunk
					mu.Unlock()
					if lo >= 1<<32 {
						return
					}
					w, a := sweepULP(fn, f.ref, lo, lo+chunk, 1)
					mu.Lock()
					if w > worst {
						worst, at = w, a
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		t.Logf("%s (%s): max %d ulp at x = %v (%#08x)", f.name, isa, worst, at, f32bits(at))
		if worst > f.bound {
			t.Errorf("%s: %d ulp exceeds the documented %d", f.name, worst, f.bound)
		}
	}
}

// TestTrigLarge checks SinF32 and CosF32 at the edge of the vector pass's range (trigMax,
// whose bits trigLarge spells out), beyond it, at the specials (zeros keep their sign) and
// about sinTiny, in place too.
func TestTrigLarge(t *testing.T) {
	if f32bits(trigMax) != 0x48000000 {
		t.Fatalf("trigMax's bits are %#x, trigLarge has 0x48000000", f32bits(trigMax))
	}
	inf := float32(math.Inf(1))
	var x []float32
	for _, v := range []float32{trigMax, math.Nextafter32(trigMax, 0), math.Nextafter32(trigMax, inf), 1e6, 3e38, inf,
		f32frombits(0x7fc00000), f32frombits(0x7f800001), 0, 1, 1.5707964, 3.1415927,
		sinTiny, math.Nextafter32(sinTiny, 0), math.Nextafter32(sinTiny, 1), 1e-30, math.SmallestNonzeroFloat32} {
		x = append(x, v, -v)
	}
	for _, f := range []struct {
		name string
		fn   func(dst, x []float32)
		ref  func(float64) float64
	}{{"SinF32", SinF32, math.Sin}, {"CosF32", CosF32, math.Cos}} {
		got := make([]float32, len(x))
		f.fn(got, x)
		inPlace := slices.Clone(x)
		f.fn(inPlace, inPlace)
		for i, v := range x {
			want := float32(f.ref(float64(v)))
			if ulpDist(got[i], want) > 1 || ulpDist(inPlace[i], want) > 1 ||
				want == 0 && (f32bits(got[i]) != f32bits(want) || f32bits(inPlace[i]) != f32bits(want)) {
				t.Errorf("%s(%v): %v, in place %v; want %v", f.name, v, got[i], inPlace[i], want)
			}
		}
	}
}

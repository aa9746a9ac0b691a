package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/tensor"
)

// construction: Full, Zeros, Ones, Arange, RandUniform and RandNormal.
func (s *suite) construction(t *testing.T) {
	shapes := [][]int{sh(), sh(0), sh(1), sh(7), sh(3, 5), sh(2, 0, 3), sh(3, 17, 2)}
	for _, dt := range s.dtypes {
		values := []float64{2.5, 1, 0}
		switch {
		case dt == refBool:
			values = []float64{1, 0, 0.5}
		case dt == refUint8:
			values = []float64{200, 7.9}
		case dt.isInt():
			values = []float64{-3.75, 2.5, 1e6}
		case dt.isFloat():
			values = []float64{-1.75, 0.1, math.NaN(), math.Inf(-1)}
		}
		for _, shape := range shapes {
			for _, v := range values {
				s.run(t, fmt.Sprintf("Full/%v/%v/value%v", dt, shape, v), func(c *tc) {
					want, err := refFull(v, dt, shape...)
					if err != nil {
						panic(err)
					}
					got := tensor.Full(v, tensorDType(dt), shape...).To(s.dev)
					c.checkDesc("Full", fmt.Sprintf("%v, %v, %v", v, dt, shape), got, want, exact)
				})
			}
			s.run(t, fmt.Sprintf("Zeros/%v/%v", dt, shape), func(c *tc) {
				want, _ := refFull(0, dt, shape...)
				c.checkDesc("Zeros", fmt.Sprintf("%v, %v", dt, shape), tensor.Zeros(tensorDType(dt), shape...).To(s.dev), want, exact)
			})
			s.run(t, fmt.Sprintf("Ones/%v/%v", dt, shape), func(c *tc) {
				want, _ := refFull(1, dt, shape...)
				c.checkDesc("Ones", fmt.Sprintf("%v, %v", dt, shape), tensor.Ones(tensorDType(dt), shape...).To(s.dev), want, exact)
			})
		}
		// A constant used by an op on the device (broadcast inside a kernel).
		if dt != refBool {
			s.run(t, fmt.Sprintf("Full/%v/in-op", dt), func(c *tc) {
				a := c.input(dt, sh(3, 17), genSmall, contiguous)
				want, err := refBinary("Add", a.ref, refFrom(dt, []float64{2}, sh()))
				if err != nil {
					panic(err)
				}
				got := a.t.Add(tensor.Full(2, tensorDType(dt)).To(s.dev))
				c.check("Add", []operand{a, {desc: fmt.Sprintf("Full(2, %v)", dt)}}, got, want, tolElem(dt))
			})
		}
	}

	type arange struct{ start, stop, step float64 }
	aranges := []arange{
		{0, 10, 1}, {0, 0, 1}, {5, 2, 1}, {2, -3, -0.5}, {10, 0, -3}, {-3.5, 4, 1.5},
		{0, 1, 0.1}, {1, 130, 1}, {-1, -1.5, -0.25}, {0, 65, 2.5},
	}
	for _, dt := range s.numeric() {
		for _, a := range aranges {
			if dt == refUint8 && (a.start < 0 || a.stop < -1) {
				continue
			}
			if (dt == refFloat16 || dt == refBFloat16) && a.stop > 100 {
				continue // keeps the values exact in the narrow types
			}
			s.run(t, fmt.Sprintf("Arange/%v/%v:%v:%v", dt, a.start, a.stop, a.step), func(c *tc) {
				want, err := refArange(a.start, a.stop, a.step, dt)
				if err != nil {
					panic(err)
				}
				got := tensor.Arange(a.start, a.stop, a.step, tensorDType(dt)).To(s.dev)
				c.checkDesc("Arange", fmt.Sprintf("%v, %v, %v, %v", a.start, a.stop, a.step, dt), got, want, exact)
			})
		}
	}

	cpu, cpuErr := backend.Open("cpu")
	for _, dt := range s.floats() {
		for _, rnd := range []struct {
			name string
			f    func(seed uint64, dt tensor.DType, shape ...int) *tensor.Tensor
		}{{"RandUniform", tensor.RandUniform}, {"RandNormal", tensor.RandNormal}} {
			s.run(t, fmt.Sprintf("%s/%v", rnd.name, dt), func(c *tc) {
				shape := sh(16, 9, 7)
				a := rnd.f(1234, tensorDType(dt), shape...).To(s.dev)
				ad, err := readF64(a)
				if err != nil {
					c.Fatalf("%s(1234, %v, %v): %v", rnd.name, dt, shape, err)
				}
				if !refSameShape(a.Shape(), shape) || a.DType() != tensorDType(dt) || len(ad) != refNumel(shape) {
					c.Fatalf("%s(1234, %v, %v): result %v%v with %d elements", rnd.name, dt, shape, a.DType(), a.Shape(), len(ad))
				}
				// Determinism: the same seed gives the same values, here and on the CPU device.
				again, err := readF64(rnd.f(1234, tensorDType(dt), shape...).To(s.dev))
				if err != nil {
					c.Fatal(err)
				}
				if i, ok := refCompare(again, refFrom(dt, ad, shape), 0, 0); !ok {
					c.Errorf("%s(1234, %v, %v) twice: element %s differs: %v then %v", rnd.name, dt, shape, refFormatIndex(i, shape), ad[i], again[i])
				}
				if cpuErr == nil {
					onCPU, err := readF64(rnd.f(1234, tensorDType(dt), shape...).To(cpu))
					if err != nil {
						c.Fatal(err)
					}
					if i, ok := refCompare(onCPU, refFrom(dt, ad, shape), 0, 0); !ok {
						c.Errorf("%s(1234, %v, %v): element %s is %v on %s and %v on cpu", rnd.name, dt, shape, refFormatIndex(i, shape), ad[i], s.dev.Name(), onCPU[i])
					}
				}
				other, err := readF64(rnd.f(1235, tensorDType(dt), shape...).To(s.dev))
				if err != nil {
					c.Fatal(err)
				}
				same := 0
				for i := range ad {
					if ad[i] == other[i] {
						same++
					}
				}
				if same > len(ad)/4 {
					c.Errorf("%s: seeds 1234 and 1235 agree on %d of %d elements", rnd.name, same, len(ad))
				}
				// Distribution: range, mean and spread.
				var sum, sum2 float64
				distinct := map[float64]bool{}
				for i, x := range ad {
					if math.IsNaN(x) || math.IsInf(x, 0) || (rnd.name == "RandUniform" && (x < 0 || x >= 1)) {
						c.Fatalf("%s(1234, %v, %v): element %s is %v", rnd.name, dt, shape, refFormatIndex(i, shape), x)
					}
					sum += x
					sum2 += x * x
					distinct[x] = true
				}
				n := float64(len(ad))
				mean := sum / n
				sd := math.Sqrt(sum2/n - mean*mean)
				wantMean, wantSD := 0.0, 1.0
				if rnd.name == "RandUniform" {
					wantMean, wantSD = 0.5, math.Sqrt(1.0/12)
				}
				if math.Abs(mean-wantMean) > 0.06 || math.Abs(sd-wantSD) > 0.08*wantSD+0.01 {
					c.Errorf("%s(1234, %v, %v): mean %.4f and standard deviation %.4f, want about %.4f and %.4f", rnd.name, dt, shape, mean, sd, wantMean, wantSD)
				}
				if len(distinct) < 64 {
					c.Errorf("%s(1234, %v, %v): only %d distinct values among %d", rnd.name, dt, shape, len(distinct), len(ad))
				}
			})
		}
	}
}

// cast: Cast between every pair of dtypes the device claims, with values representable in
// both (and float to integer truncation), plus wrapping, rounding and special values.
func (s *suite) cast(t *testing.T) {
	for _, src := range s.dtypes {
		for _, dst := range s.dtypes {
			vals := castValues(src, dst)
			for _, shape := range [][]int{sh(5, 13), sh(), sh(0, 3)} {
				name := fmt.Sprintf("%v/%v/%v", src, dst, shape)
				s.run(t, name, func(c *tc) {
					data := make([]float64, refNumel(shape))
					for i := range data {
						if i < len(vals) && len(data) > len(vals) {
							data[i] = vals[i] // every listed value once, then random ones
						} else {
							data[i] = vals[c.rng.IntN(len(vals))]
						}
					}
					a := c.opnd(refFrom(src, data, shape))
					c.check("Cast("+dst.String()+")", []operand{a}, a.t.Cast(tensorDType(dst)), refCast(a.ref, dst), exact)
				})
			}
			if src == dst || src == refBool || dst == refBool || src == refInt32 || dst == refFloat32 {
				// Views: a transposed and a sliced input.
				s.run(t, fmt.Sprintf("%v/%v/views", src, dst), func(c *tc) {
					pick := func(r *rand.Rand, _ refDType) float64 { return vals[r.IntN(len(vals))] }
					for _, v := range []view{viewT, viewNegSlice} {
						a := c.input(src, sh(7, 9), pick, v)
						c.check("Cast("+dst.String()+")", []operand{a}, a.t.Cast(tensorDType(dst)), refCast(a.ref, dst), exact)
					}
				})
			}
		}
	}
	// Integer wrapping.
	wraps := []struct {
		src, dst refDType
		vals     []float64
	}{
		{refInt64, refInt32, []float64{3e9, -3e9, 1 << 31, -(1 << 31) - 1, 1<<32 + 5, 12}},
		{refInt32, refUint8, []float64{300, -1, -256, 255, 256, -129}},
		{refInt64, refUint8, []float64{1 << 40, -2, 511, 0}},
	}
	for _, w := range wraps {
		if !s.has(w.src) || !s.has(w.dst) {
			continue
		}
		s.run(t, fmt.Sprintf("%v/%v/wrap", w.src, w.dst), func(c *tc) {
			a := c.opnd(refFrom(w.src, w.vals, sh(len(w.vals))))
			c.check("Cast("+w.dst.String()+")", []operand{a}, a.t.Cast(tensorDType(w.dst)), refCast(a.ref, w.dst), exact)
		})
	}
	// Rounding to narrower float types, overflow to Inf, subnormals.
	for _, src := range s.only(refFloat64, refFloat32, refFloat16) {
		for _, dst := range s.only(refFloat32, refFloat16, refBFloat16) {
			if src == dst || (src == refFloat32 && dst == refFloat32) {
				continue
			}
			s.run(t, fmt.Sprintf("%v/%v/rounding", src, dst), func(c *tc) {
				data := []float64{1e5, -1e5, 70000, 65519, 65520, 1e-6, -3e-8, 1e-40, 3e38, 1 + 1.0/3, 0.1,
					math.Ldexp(1+math.Ldexp(1, -11), 0), math.Ldexp(1+3*math.Ldexp(1, -11), 0), // f16 ties
					math.Ldexp(1+math.Ldexp(1, -8), 0), math.Ldexp(1+3*math.Ldexp(1, -8), 0), // bf16 ties
					math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1)}
				for len(data) < 96 {
					x := math.Ldexp(c.rng.Float64()+0.5, c.rng.IntN(60)-30)
					if c.rng.IntN(2) == 0 {
						x = -x
					}
					data = append(data, x)
				}
				a := c.opnd(refFrom(src, data, sh(len(data))))
				c.check("Cast("+dst.String()+")", []operand{a}, a.t.Cast(tensorDType(dst)), refCast(a.ref, dst), exact)
			})
		}
	}
}

// castValues lists values exactly representable in src (and, except for float to integer
// truncation, in dst) for a Cast case.
func castValues(src, dst refDType) []float64 {
	if src == refBool {
		return []float64{0, 1}
	}
	var v []float64
	for i := 0; i <= 100; i += 7 {
		v = append(v, float64(i))
	}
	v = append(v, 1, 2, 3, 100, 255)
	if src == refInt32 || src == refInt64 {
		if dst == refInt32 || dst == refInt64 || dst.isFloat() || dst == refBool {
			v = append(v, -1, -2, -17, -100, -256)
		}
		if dst == refInt32 || dst == refInt64 || dst == refFloat32 || dst == refFloat64 || dst == refBool {
			v = append(v, 65536, -70000, 1<<24)
		}
		if src == refInt64 && (dst == refInt64 || dst == refFloat64 || dst == refBool) {
			v = append(v, 1<<40+3, -(1 << 50))
		}
	}
	if src.isFloat() {
		signed := dst != refUint8
		v = append(v, 0.25, 2.5, 3.75, 99.5, 7.999) // truncation toward zero
		if signed {
			v = append(v, -0.25, -0.75, -2.5, -3.75, -99.5, -1, -64, math.Copysign(0, -1))
		}
		if dst.isFloat() || dst == refBool {
			v = append(v, math.NaN(), math.Inf(1), math.Inf(-1), 0.125, -1.5e-3)
		}
		if src == refFloat32 || src == refFloat64 {
			if dst == refFloat32 || dst == refFloat64 || dst == refInt32 || dst == refInt64 {
				v = append(v, 65536.5, -1e6-0.5, 1<<24)
			}
		}
	}
	return v
}

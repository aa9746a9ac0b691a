package tensor

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/cpu"
)

// TestIntegerReductions checks NumPy's promotion of small integer sums and products to
// Int64 (fixed: they used to keep, and wrap in, the input's type).
func TestIntegerReductions(t *testing.T) {
	checkCases(t, []tcase{
		{name: "uint8 sum", got: New([]uint8{200, 100, 7}).Sum(), shape: []int{}, want: []float64{307}, dtype: Int64},
		{name: "int32 sum axis", got: New([]int32{1 << 30, 1 << 30, 1, 2}, 2, 2).Sum(0), shape: []int{2},
			want: []float64{1<<30 + 1, 1<<30 + 2}, dtype: Int64},
		{name: "int32 prod", got: New([]int32{1 << 20, 1 << 20}).Prod(), shape: []int{}, want: []float64{1 << 40}, dtype: Int64},
		{name: "bool sum", got: New([]bool{true, true, false}).Sum(), shape: []int{}, want: []float64{2}, dtype: Int64},
		{name: "int64 sum", got: New([]int64{1, 2}).Sum(), shape: []int{}, want: []float64{3}, dtype: Int64},
		{name: "float32 sum keeps float32", got: New([]float32{1, 2}).Sum(), shape: []int{}, want: []float64{3}, dtype: Float32},
		{name: "int32 max keeps int32", got: New([]int32{1, 2}).Max(), shape: []int{}, want: []float64{2}, dtype: Int32},
	})
}

// TestSoftplusULP checks Softplus in Float32 and Float64 against log1p in float64, in units
// in the last place of the result, over a sweep through [-105, 105]: where e**t is small,
// log(1 + e**t) rounded as it stands lost most of its digits (16000 units near t = -10).
func TestSoftplusULP(t *testing.T) {
	var xs []float32
	for x := float32(-105); x < 105; x += 0.000731 {
		xs = append(xs, x)
	}
	xs = append(xs, float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)))
	for _, dt := range []DType{Float32, Float64} {
		y, err := Data[float64](New(xs).Cast(dt).Softplus().Cast(Float64))
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range xs {
			xd := float64(x)
			want := math.Max(xd, 0) + math.Log1p(math.Exp(-math.Abs(xd)))
			ulp := math.Nextafter(want, math.Inf(1)) - want
			if dt == Float32 {
				w := float32(want)
				ulp = float64(math.Nextafter32(w, float32(math.Inf(1))) - w)
			}
			if e := math.Abs(y[i] - want); !(e <= 3*ulp) && !(math.IsInf(want, 1) && y[i] == want) {
				t.Fatalf("%v Softplus(%g) = %g, want %g (%.1f units in the last place off)", dt, x, y[i], want, e/ulp)
			}
		}
	}
}

// TestSoftplusHalf checks that Softplus does not overflow in float16 between e**t's
// overflow (t > 11) and the large-t form (fixed: it gave +Inf there).
func TestSoftplusHalf(t *testing.T) {
	checkCases(t, []tcase{
		{name: "float16", got: New([]float32{-20, 0, 12, 15.5, 30}).Cast(Float16).Softplus(), shape: []int{5},
			want: []float64{2.0611537e-09, 0.6931472, 12.000006, 15.5, 30}, dtype: Float16, tol: 2e-3},
		{name: "bfloat16", got: New([]float32{12, 15.5}).Cast(BFloat16).Softplus(), shape: []int{2},
			want: []float64{12, 15.5}, dtype: BFloat16, tol: 1e-2},
	})
}

// decomposed is the CPU device without its native softmax and layer normalization: Softmax,
// LogSoftmax and LayerNorm built for it are the decompositions that other devices run.
type decomposed struct{ *cpu.Device }

func (d decomposed) Name() string { return "cpu (decomposed)" }

func (d decomposed) Capabilities() backend.Capabilities {
	c := d.Device.Capabilities()
	c.Softmax, c.LayerNorm, c.ArgMax = false, false, false
	return c
}

// TestArgExtremeNative checks the CPU's one-kernel ArgMax and ArgMin against their
// decomposition run on the same device, index for index: rows, columns (wider than a
// worker's block) and a middle axis; floats with ties, signed zeros, infinities and NaN,
// integers and Bool; of a load and of a prologue; on 1 and 3 workers.
func TestArgExtremeNative(t *testing.T) {
	plain := decomposed{cpu.New()}
	specials := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 3, 3}
	shapes := []struct {
		shape []int
		axis  int
	}{{[]int{37, 300}, 1}, {[]int{5, 4100}, 0}, {[]int{4, 9, 6}, 1}, {[]int{1, 1}, 0}}
	for _, dt := range []DType{Float32, Float64, BFloat16, Int32, Int64, Uint8, Bool} {
		for _, sh := range shapes {
			n := 1
			for _, d := range sh.shape {
				n *= d
			}
			vals := make([]float32, n)
			for i := range vals {
				vals[i] = float32((i*7919)%23) - 11
				if dt.IsFloat() && i%13 == 5 {
					vals[i] = float32(specials[(i/13)%len(specials)])
				}
			}
			// Rows without NaN, too: most of a NaN-free line's place is the first extreme's.
			if dt.IsFloat() {
				for i := 0; i < n/2; i++ {
					if vals[i] != vals[i] {
						vals[i] = 1
					}
				}
			}
			x := New(vals, sh.shape...).Cast(dt)
			if err := x.Realize(); err != nil {
				t.Fatal(err)
			}
			flip := (*Tensor).Neg // a prologue
			if dt == Bool {
				flip = (*Tensor).Not
			}
			for _, pro := range []func(*Tensor) *Tensor{func(t *Tensor) *Tensor { return t }, flip} {
				for _, min := range []bool{false, true} {
					f := (*Tensor).ArgMax
					if min {
						f = (*Tensor).ArgMin
					}
					want, err := Data[int64](f(pro(x.To(plain)), sh.axis))
					if err != nil {
						t.Fatal(err)
					}
					for _, procs := range []int{1, 3} {
						prev := runtime.GOMAXPROCS(procs)
						got, err := Data[int64](f(pro(x), sh.axis))
						runtime.GOMAXPROCS(prev)
						if err != nil {
							t.Fatal(err)
						}
						for i := range want {
							if got[i] != want[i] {
								t.Fatalf("%v %v axis %d min=%v, %d workers: index %d is %d, the decomposition's %d", dt, sh.shape, sh.axis, min, procs, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestLayerNormNative checks the CPU's one-kernel LayerNorm against its decomposition run on
// the same device: Float32 bit for bit (rows of 33, 64 and 4096, over one axis and over two,
// with a scale and a bias or a scale alone, of a load and of a prologue); Float64 and the
// 16-bit dtypes within a few units of the last place.
func TestLayerNormNative(t *testing.T) {
	plain := decomposed{cpu.New()}
	cases := []struct {
		dt    DType
		shape []int
		axis  int
		bias  bool
	}{
		{Float32, []int{64, 33}, -1, true},
		{Float32, []int{5, 4096}, 1, false},
		{Float32, []int{3, 8, 8}, 1, true},
		{Float64, []int{9, 100}, 1, true},
		{BFloat16, []int{9, 100}, 1, true},
		{Float16, []int{7, 64}, 1, true},
	}
	for _, c := range cases {
		name := fmt.Sprintf("%v %v axis %d bias=%v", c.dt, c.shape, c.axis, c.bias)
		x := RandNormal(3, Float32, c.shape...).Mul(Scalar[float32](3)).Add(Scalar[float32](1)).Cast(c.dt)
		ax := c.axis
		if ax < 0 {
			ax += len(c.shape)
		}
		scale := RandNormal(4, Float32, c.shape[ax:]...).Cast(c.dt)
		var bias *Tensor
		if c.bias {
			bias = RandNormal(5, Float32, c.shape[ax:]...).Cast(c.dt)
		}
		for _, tt := range []*Tensor{x, scale, bias} {
			if tt != nil {
				if err := tt.Realize(); err != nil {
					t.Fatal(err)
				}
			}
		}
		for i, pro := range []func(*Tensor) *Tensor{func(t *Tensor) *Tensor { return t }, func(t *Tensor) *Tensor { return t.Mul(t) }} {
			got, err := Data[float64](pro(x).LayerNorm(c.axis, scale, bias, 1e-5).Cast(Float64))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var pb *Tensor
			if bias != nil {
				pb = bias.To(plain)
			}
			want, err := Data[float64](pro(x.To(plain)).LayerNorm(c.axis, scale.To(plain), pb, 1e-5).Cast(Float64))
			if err != nil {
				t.Fatalf("%s, decomposed: %v", name, err)
			}
			eps := map[DType]float64{Float32: 0, Float64: 0x1p-48, Float16: 0x1p-9, BFloat16: 0x1p-6}[c.dt]
			for j := range want {
				if g, w := got[j], want[j]; g != w && !(math.Abs(g-w) <= eps*math.Max(math.Abs(w), 1)) {
					t.Fatalf("%s, prologue %d: element %d is %v, the decomposition's %v", name, i, j, g, w)
				}
			}
		}
	}
}

// TestSoftmaxNative checks the CPU's one-kernel Softmax and LogSoftmax against their
// decomposition (a maximum, a sum of exponentials, a quotient or difference) run on the same
// device: Float32 lines of up to a sum's segment bit for bit, along rows and columns, of
// loads and of a prologue, with -Inf entries; Float64, 16-bit dtypes and long rows within a
// few units of the last place (their sums or roundings differ).
func TestSoftmaxNative(t *testing.T) {
	plain := decomposed{cpu.New()}
	cases := []struct {
		dt    DType
		shape []int
		axis  int
		exact bool
	}{
		{Float32, []int{64, 33}, -1, true},
		{Float32, []int{3, 4096}, 1, true},
		{Float32, []int{2, 7, 5}, 1, false}, // columns: float64 accumulators, another order
		{Float32, []int{1, 40000}, 1, false},
		{Float64, []int{9, 100}, 1, false},
		{BFloat16, []int{9, 100}, 1, false},
		{Float16, []int{100, 9}, 0, false},
	}
	for _, c := range cases {
		for _, log := range []bool{false, true} {
			name := fmt.Sprintf("%v %v axis %d log=%v", c.dt, c.shape, c.axis, log)
			x := RandNormal(3, Float32, c.shape...).Mul(Scalar[float32](4))
			// -Inf entries, as a causal mask leaves them, and a prologue (the scale).
			x = Where(RandUniform(4, Float32, c.shape...).Less(Scalar[float32](0.1)), Full(math.Inf(-1), Float32), x).Cast(c.dt)
			if err := x.Realize(); err != nil {
				t.Fatal(err)
			}
			f := (*Tensor).Softmax
			if log {
				f = (*Tensor).LogSoftmax
			}
			for _, pro := range []func(*Tensor) *Tensor{func(t *Tensor) *Tensor { return t }, func(t *Tensor) *Tensor { return t.Mul(Scalar[float32](0.125).Cast(c.dt)) }} {
				got, err := Data[float64](f(pro(x), c.axis).Cast(Float64))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				want, err := Data[float64](f(pro(x.To(plain)), c.axis).Cast(Float64))
				if err != nil {
					t.Fatalf("%s, decomposed: %v", name, err)
				}
				eps := map[DType]float64{Float32: 0x1p-23, Float64: 0x1p-50, Float16: 0x1p-10, BFloat16: 0x1p-7}[c.dt]
				for i := range want {
					g, w := got[i], want[i]
					same := math.Float64bits(g) == math.Float64bits(w) || math.IsNaN(g) && math.IsNaN(w)
					if c.exact && !same {
						t.Fatalf("%s: element %d is %v, the decomposition's %v", name, i, g, w)
					}
					if !same && !(math.Abs(g-w) <= 16*eps*math.Max(math.Abs(w), 1)) {
						t.Fatalf("%s: element %d is %v, the decomposition's %v", name, i, g, w)
					}
				}
			}
		}
	}
}

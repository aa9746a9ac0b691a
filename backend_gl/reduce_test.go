package backend_gl

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/tensor"
)

// TestReduceStrategies reduces a 4-D tensor over every subset of its axes with each
// reduction template forced, and compares with the CPU device. The shape is used by no
// other test, so that no program compiled with other knobs is found in the cache.
func TestReduceStrategies(t *testing.T) {
	d := device(t)
	shape := []int{6, 5, 4, 7}
	r := rand.New(rand.NewPCG(3, 4))
	data := make([]float32, 6*5*4*7)
	for i := range data {
		data[i] = float32(r.Float64()*4 - 2)
	}
	data[17] = float32(math.NaN()) // Max must propagate it
	saved := d.opts
	defer func() { d.opts = saved }()
	for si, o := range []codegen.Options{
		{Reduce: codegen.ReduceSerial},
		{Reduce: codegen.ReduceGroup, ReduceLocal: 32},
	} {
		d.opts = o
		for mask := 1; mask < 16; mask++ {
			var axes []int
			for a := range 4 {
				if mask&(1<<a) != 0 {
					axes = append(axes, a)
				}
			}
			for _, op := range []string{"Sum", "Max"} {
				// A distinct scale per strategy keeps the kernels (and cache keys) apart.
				f := func(x *tensor.Tensor) *tensor.Tensor {
					x = x.Mul(tensor.Full(float64(si+1), tensor.Float32))
					if op == "Sum" {
						return x.Sum(axes...)
					}
					return x.Max(axes...)
				}
				got, err := tensor.Data[float32](f(tensor.New(data, shape...).To(d)))
				if err != nil {
					t.Fatal(err)
				}
				want, err := tensor.Data[float32](f(tensor.New(data, shape...).To(cpu.New())))
				if err != nil {
					t.Fatal(err)
				}
				for i := range want {
					g, w := float64(got[i]), float64(want[i])
					if math.IsNaN(g) != math.IsNaN(w) || math.Abs(g-w) > 1e-4*(1+math.Abs(w)) {
						t.Fatalf("%+v %s(axes %v) of %v: element %d: got %v, want %v", o, op, axes, shape, i, g, w)
					}
				}
			}
		}
	}
}

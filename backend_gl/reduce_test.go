package backend_gl

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
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
		{Reduce: codegen.ReduceColumns, ReduceLocal: 64},
		{Reduce: codegen.ReduceColumns, ReduceLocal: 16},
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

// TestReduceColumns reduces over the rows of matrices whose columns the automatic strategy
// gives to codegen's column template (tiles of 32 neighbouring columns, the last one not
// full here), with an epilogue, and compares with the CPU device.
func TestReduceColumns(t *testing.T) {
	d := device(t)
	h, err := graph.Host(graph.Float32, []int{523, 70}, make([]byte, 4*523*70))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := graph.Reduce(graph.OpSum, h, []int{0})
	if err != nil {
		t.Fatal(err)
	}
	ks, err := graph.Schedule([]*graph.Node{sum})
	if err != nil {
		t.Fatal(err)
	}
	if src, err := d.Source(ks[len(ks)-1]); err != nil || !strings.Contains(src, "reduce sum columns") {
		t.Fatalf("the sum over rows does not take the column template (err %v):\n%s", err, src)
	}
	x := tensor.RandNormal(7, tensor.Float32, 523, 70)
	for _, c := range []struct {
		name string
		f    func(x *tensor.Tensor) *tensor.Tensor
	}{
		{"mean", func(x *tensor.Tensor) *tensor.Tensor { return x.Mean(0) }},
		{"max-relu", func(x *tensor.Tensor) *tensor.Tensor { return x.Max(0).ReLU() }},
		{"sum-squares", func(x *tensor.Tensor) *tensor.Tensor { return x.Mul(x).Sum(0) }},
	} {
		got, err := tensor.Data[float32](c.f(x.To(d)))
		if err != nil {
			t.Fatal(err)
		}
		want, err := tensor.Data[float32](c.f(x.To(cpu.New())))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 70 {
			t.Fatalf("%s: %d outputs, want 70", c.name, len(got))
		}
		for i := range want {
			if g, w := float64(got[i]), float64(want[i]); math.Abs(g-w) > 1e-4*(1+math.Abs(w)) {
				t.Errorf("%s: column %d: got %v, want %v", c.name, i, g, w)
			}
		}
	}
}

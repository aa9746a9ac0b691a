//go:build !race

package backend_gl

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/tensor"
)

// TestMatMulLarge multiplies 1000x1000 matrices on gl:0 and compares with the CPU device.
// It takes a few seconds on llvmpipe, so it is left out of -race runs.
func TestMatMulLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	d := device(t)
	const n = 1000
	r := rand.New(rand.NewPCG(1, 2))
	a := make([]float32, n*n)
	b := make([]float32, n*n)
	for i := range a {
		a[i] = float32(r.Float64()*2 - 1)
		b[i] = float32(r.Float64()*2 - 1)
	}
	t0 := time.Now()
	got, err := tensor.Data[float32](tensor.New(a, n, n).To(d).MatMul(tensor.New(b, n, n).To(d)))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("gl:0 1000x1000x1000 matmul with uploads: %v", time.Since(t0))
	want, err := tensor.Data[float32](tensor.New(a, n, n).To(cpu.New()).MatMul(tensor.New(b, n, n).To(cpu.New())))
	if err != nil {
		t.Fatal(err)
	}
	tol := 1e-5 * math.Sqrt(n)
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > tol+1e-5*math.Abs(float64(want[i])) || math.IsNaN(float64(got[i])) {
			t.Fatalf("element [%d %d]: got %v, want %v", i/n, i%n, got[i], want[i])
		}
	}
}

// TestMatMulSpread runs the tiled template with the thread blocks spread in pieces of 4
// (Options.Spread) along both axes and along one, and with the tiles taken in bands of
// rows (Options.RasterM), on products with partial tiles at both
// edges and a ragged last step along K, and compares with the CPU device. Each
// configuration has shapes of its own, so that no program compiled with other knobs is
// found in the cache.
func TestMatMulSpread(t *testing.T) {
	d := device(t)
	saved := d.opts
	defer func() { d.opts = saved }()
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		o       codegen.Options
		m, n, k int
	}{
		{codegen.Options{BlockM: 32, BlockN: 64, BlockK: 8, ThreadM: 8, ThreadN: 8, Buffers: 2, Spread: true}, 70, 150, 37},
		{codegen.Options{BlockM: 64, BlockN: 32, BlockK: 8, ThreadM: 8, ThreadN: 4, Buffers: 1, Spread: true}, 131, 45, 29},
		{codegen.Options{BlockM: 32, BlockN: 64, BlockK: 16, ThreadM: 2, ThreadN: 8, Vec: 1, Spread: true}, 40, 97, 50},
		// Tiles in bands of rows: 7 rows of 5 tiles in bands of 3, 3 and 1; 8 rows of 4 in
		// bands of 4.
		{codegen.Options{BlockM: 16, BlockN: 16, BlockK: 8, ThreadM: 2, ThreadN: 2, RasterM: 3}, 110, 70, 33},
		{codegen.Options{BlockM: 16, BlockN: 16, BlockK: 8, ThreadM: 2, ThreadN: 2, RasterM: 4}, 128, 50, 21},
	} {
		d.opts = c.o
		a := make([]float32, c.m*c.k)
		b := make([]float32, c.k*c.n)
		for i := range a {
			a[i] = float32(r.Float64()*2 - 1)
		}
		for i := range b {
			b[i] = float32(r.Float64()*2 - 1)
		}
		got, err := tensor.Data[float32](tensor.New(a, c.m, c.k).To(d).MatMul(tensor.New(b, c.k, c.n).To(d)))
		if err != nil {
			t.Fatal(err)
		}
		want, err := tensor.Data[float32](tensor.New(a, c.m, c.k).To(cpu.New()).MatMul(tensor.New(b, c.k, c.n).To(cpu.New())))
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if e := math.Abs(float64(got[i] - want[i])); e > 1e-5*(1+math.Abs(float64(want[i]))) || math.IsNaN(float64(got[i])) {
				t.Fatalf("%s: %dx%dx%d: element [%d %d]: got %v, want %v", c.o, c.m, c.n, c.k, i/c.n, i%c.n, got[i], want[i])
			}
		}
	}
}

// TestElementwiseElems runs elementwise kernels whose threads compute 2 and 4 elements
// (Options.Elems), over sizes that end in a partial workgroup, with a broadcast operand and
// a transposed one, and compares with the CPU device. Each configuration has shapes of its
// own, so that no program compiled with other knobs is found in the cache.
func TestElementwiseElems(t *testing.T) {
	d := device(t)
	saved := d.opts
	defer func() { d.opts = saved }()
	r := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct {
		o    codegen.Options
		m, n int
	}{
		{codegen.Options{Elems: 4, Local: 64}, 37, 29},  // 1073 elements: 4 full workgroups of 256 and a partial one
		{codegen.Options{Elems: 2, Local: 32}, 16, 32},  // 512: whole workgroups
		{codegen.Options{Elems: 4, Local: 128}, 41, 53}, // a partial workgroup of 2173 - 2048
	} {
		d.opts = c.o
		a := make([]float32, c.m*c.n)
		b := make([]float32, c.n*c.m)
		bias := make([]float32, c.n)
		for i := range a {
			a[i] = float32(r.Float64()*2 - 1)
			b[i] = float32(r.Float64()*2 - 1)
		}
		for i := range bias {
			bias[i] = float32(r.Float64())
		}
		f := func(dev backend.Device) ([]float32, error) {
			x := tensor.New(a, c.m, c.n).To(dev)
			y := tensor.New(b, c.n, c.m).To(dev).Transpose()
			z := tensor.New(bias, c.n).To(dev)
			return tensor.Data[float32](x.Mul(y).Add(z).ReLU())
		}
		got, err := f(d)
		if err != nil {
			t.Fatal(err)
		}
		want, err := f(cpu.New())
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: %dx%d: element %d: got %v, want %v", c.o, c.m, c.n, i, got[i], want[i])
			}
		}
	}
}

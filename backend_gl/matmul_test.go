//go:build !race

package backend_gl

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

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

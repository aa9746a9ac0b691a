package backend_gl

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/tensor"
)

// TestConcurrentDevices uses gl:0 and the CPU from many goroutines at once: operations on
// each device, and tensors moved from one to the other, built on shared tensors (realized on
// either device, and not yet realized) and read while other goroutines do the same. Each
// result must be what the same operations give when built and read alone. The GL context
// belongs to one thread, which every call from any goroutine goes through.
func TestConcurrentDevices(t *testing.T) {
	gl := device(t)
	cpu, err := backend.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	ops := []struct {
		name string
		f    func(x, y *tensor.Tensor) *tensor.Tensor // x on the CPU, realized; y on gl:0, lazy
	}{
		{"gl expression", func(x, y *tensor.Tensor) *tensor.Tensor { return y }},
		{"gl sum", func(x, y *tensor.Tensor) *tensor.Tensor { return y.Reshape(16, 256).Sum(1) }},
		{"gl matmul of a moved operand", func(x, y *tensor.Tensor) *tensor.Tensor { return y.MatMul(x.Permute(1, 0).To(gl)) }},
		{"gl softmax", func(x, y *tensor.Tensor) *tensor.Tensor { return y.Softmax(-1) }},
		{"cpu from gl", func(x, y *tensor.Tensor) *tensor.Tensor { return x.Add(y.To(cpu)) }},
		{"cpu alone", func(x, y *tensor.Tensor) *tensor.Tensor { return x.Exp().CumSum(1, false, false) }},
		{"back and forth", func(x, y *tensor.Tensor) *tensor.Tensor { return x.To(gl).Neg().To(cpu).Mul(x) }},
	}
	base := func() (x, y *tensor.Tensor) {
		x = tensor.RandNormal(3, tensor.Float32, 64, 64).To(cpu)
		if err := x.Realize(); err != nil {
			t.Fatal(err)
		}
		return x, x.To(gl).Mul(tensor.Scalar[float32](2)).Add(tensor.Scalar[float32](1).To(gl))
	}
	want := make([][]float32, len(ops))
	for i, op := range ops {
		x, y := base()
		v, err := tensor.Data[float32](op.f(x, y))
		if err != nil {
			t.Fatalf("%s: %v", op.name, err)
		}
		want[i] = v
	}
	for round := range 3 {
		x, y := base()
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, 3*len(ops))
		for i, op := range ops {
			for g := range 3 {
				wg.Go(func() {
					<-start
					z := op.f(x, y)
					if g == 1 {
						if err := z.Realize(); err != nil {
							errs <- fmt.Errorf("%s: realize: %w", op.name, err)
							return
						}
					}
					got, err := tensor.Data[float32](z)
					if err != nil {
						errs <- fmt.Errorf("%s: %w", op.name, err)
						return
					}
					if !slices.Equal(got, want[i]) {
						errs <- fmt.Errorf("round %d, %s: values differ from those computed alone", round, op.name)
					}
				})
			}
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
}

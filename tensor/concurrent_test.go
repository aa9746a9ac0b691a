package tensor

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

// TestConcurrentUse uses tensors from many goroutines at once, as API.md allows ("a tensor is
// immutable and safe for concurrent use"): each goroutine builds operations on the same
// tensors, realized and not yet realized, reads them, realizes them and derives more from
// them, while the others do the same; every result must be what the same operations give
// when built and read alone. Run with -race, it also checks that the graph's nodes, the
// executor and the CPU device share their state safely.
func TestConcurrentUse(t *testing.T) {
	// ops builds the operations from base tensors x (realized) and y (a lazy expression).
	ops := []struct {
		name string
		f    func(x, y *Tensor) *Tensor
	}{
		{"y", func(x, y *Tensor) *Tensor { return y }},
		{"sum", func(x, y *Tensor) *Tensor { return y.Reshape(16, 256).Sum(1) }},
		{"matmul", func(x, y *Tensor) *Tensor { return y.MatMul(x.Permute(1, 0)) }},
		{"softmax", func(x, y *Tensor) *Tensor { return y.Softmax(-1) }},
		{"concat", func(x, y *Tensor) *Tensor { return Concat(0, y, x.Neg()) }},
		{"slice", func(x, y *Tensor) *Tensor { return y.Slice(1, 3, 40, 2).Exp() }},
		{"cumsum", func(x, y *Tensor) *Tensor { return y.CumSum(1, false, false) }},
		{"cast", func(x, y *Tensor) *Tensor { return y.Cast(Float16).Add(x.Cast(Float16)) }},
	}
	base := func() (x, y *Tensor) {
		x = RandNormal(7, Float32, 64, 64)
		if err := x.Realize(); err != nil {
			t.Fatal(err)
		}
		return x, x.Mul(Scalar[float32](2)).Add(Scalar[float32](1))
	}
	want := make([][]float32, len(ops))
	for i, op := range ops {
		x, y := base()
		v, err := Data[float32](op.f(x, y))
		if err != nil {
			t.Fatalf("%s: %v", op.name, err)
		}
		want[i] = v
	}
	const rounds, perOp = 3, 4
	for round := range rounds {
		x, y := base()
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, len(ops)*perOp)
		for i, op := range ops {
			for g := range perOp {
				wg.Go(func() {
					<-start
					z := op.f(x, y)
					if g%2 == 1 {
						// Half realize first and read after: a realized tensor read by one
						// goroutine while others still build on it.
						if err := z.Realize(); err != nil {
							errs <- fmt.Errorf("%s: realize: %w", op.name, err)
							return
						}
					}
					got, err := Data[float32](z)
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

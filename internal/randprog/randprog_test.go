package randprog

import (
	"math"
	"strings"
	"testing"

	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/tensor"
)

// TestPrograms checks the generator: programs are the same for the same seed, build
// without error, and between them take every kind of step and every dtype.
func TestPrograms(t *testing.T) {
	dev := cpu.New()
	steps, dts := map[string]int{}, map[tensor.DType]int{}
	kinds := []string{"Sqrt", "Sigmoid", "Tanh().Exp", "Add(", "Mul(", "Maximum(", "Minimum(", "Div(", "Permute", "Flip(", "Slice(",
		"Pad(", "Mean", "Max[", "Min[", "Sum[", "MatMul(", "flattened first true", "Softmax(", "Unsqueeze(", "CumSum(", "Where(",
		"Cast(float16)", "Cast(bfloat16)", "Cast(float32)", "Reshape", "Concat(", "Tile", "Gather(", ".Sigmoid", "Conv(", "Pool(max true", "Pool(max false"}
	for seed, p := range First(300) {
		if q := New(uint64(seed)); q.String() != p.String() || q.DType != p.DType {
			t.Fatalf("seed %d: two programs:\n%s\n\n%s", seed, p, q)
		}
		if err := p.Build(dev).Err(); err != nil {
			t.Fatalf("seed %d: %v\n%s", seed, err, p)
		}
		dts[p.DType]++
		for _, step := range p.Steps {
			for _, k := range kinds {
				if strings.HasPrefix(step, k) || strings.HasSuffix(step, k) {
					steps[k]++
				}
			}
		}
	}
	for _, k := range kinds {
		if steps[k] == 0 {
			t.Errorf("no program has a step %q", k)
		}
	}
	for _, dt := range []tensor.DType{tensor.Float16, tensor.BFloat16, tensor.Float32, tensor.Float64, tensor.Int32} {
		if dts[dt] == 0 {
			t.Errorf("no program of %v", dt)
		}
	}
	if p := NewOf(7, tensor.Float64); p.DType != tensor.Float64 || !strings.HasPrefix(p.String(), "x = leaf float64") {
		t.Errorf("NewOf(7, Float64):\n%s", p)
	}
	t.Logf("steps: %v; dtypes: %v", steps, dts)
}

// TestCheckInfinities runs Check with the CPU device against itself on a program whose
// results are all +Inf (a float16 softmax times 208896, which float16 rounds to +Inf):
// equal infinities agree, where their difference is NaN.
func TestCheckInfinities(t *testing.T) {
	p := NewOf(1936, tensor.Float16)
	got, err := tensor.Data[float64](p.Build(cpu.New()).Cast(tensor.Float64))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || !math.IsInf(got[0], 1) {
		t.Fatalf("the program's first result is not +Inf (the generator changed: pick another seed):\n%s", p)
	}
	Check(t, cpu.New(), []Program{p})
}

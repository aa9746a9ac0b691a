package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
)

// TestLayerNorm checks the CPU's layer normalization (graph.OpLayerNorm) against a float64
// reference, within a few units of the dtype's last place: over the last axis and over the
// last two, rows of 1, of a few values, of several groups' worth and long enough to be
// shared among the workers; of plain loads, of views and of a prologue, with and without an
// epilogue; empty shapes; on 1 and 3 workers.
// The input is never written.
func TestLayerNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 17))
	shapes := []struct {
		shape []int
		axis  int
	}{
		{[]int{7, 37}, 1},
		{[]int{3, 5, 64}, 1},
		{[]int{2, 9000}, 1},
		{[]int{1, normLongRow + 5}, 1}, // one long row, on every worker
		{[]int{2, normLongRow + 1}, 1}, // on 3 workers, shared
		{[]int{300, 4}, 1},
		{[]int{4, 1}, 1},
		{[]int{0, 4}, 1},
		{[]int{3, 0}, 1},
	}
	for _, dt := range []graph.DType{graph.Float32, graph.Float64, graph.Float16, graph.BFloat16} {
		for _, sh := range shapes {
			for _, form := range []string{"load", "view", "prologue", "epilogue"} {
				name := fmt.Sprintf("%v %v axis %d %s", dt, sh.shape, sh.axis, form)
				n := graph.NumElements(sh.shape)
				vals := make([]float64, n)
				for i := range vals {
					vals[i] = roundTo(dt, rng.Float64()*6-2)
				}
				f := newLineForm(dt, sh.shape, vals, form, graph.OpMul)
				ref, tol := f.finish(refLayerNorm(dt, f.want, sh.shape, sh.axis, 1e-5))
				for _, procs := range []int{1, 3} {
					out := f.output(must(graph.LayerNorm(f.in, sh.axis, 1e-5)))
					prev := runtime.GOMAXPROCS(procs)
					raw, err := backend.Read(New(), out)
					runtime.GOMAXPROCS(prev)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					for i, v := range rawValues(dt, raw) {
						if !(math.Abs(v-ref[i]) <= tol[i]) {
							t.Fatalf("%s, %d workers: element %d is %v, want %v (within %g)", name, procs, i, v, ref[i], tol[i])
						}
					}
					f.checkInput(t, name)
				}
			}
		}
	}
}

// refLayerNorm returns the layer normalization of vals (shape, over the axes from axis on)
// in float64 and a tolerance for each element of a result in dt: a few units of dt's last
// place of the result, and of the mean over the standard deviation (the rounding of the
// differences from the mean), and the float64 sums' rounding over a long row.
func refLayerNorm(dt graph.DType, vals []float64, shape []int, axis int, eps float64) (ref, tol []float64) {
	ulp := map[graph.DType]float64{graph.Float32: 0x1p-23, graph.Float64: 0x1p-50, graph.Float16: 0x1p-10, graph.BFloat16: 0x1p-7}[dt]
	n := graph.NumElements(shape[axis:])
	ref, tol = make([]float64, len(vals)), make([]float64, len(vals))
	for r := 0; r+n <= len(vals) && n > 0; r += n {
		row := vals[r : r+n]
		mean, v := 0.0, 0.0
		for _, x := range row {
			mean += x
		}
		mean /= float64(n)
		for _, x := range row {
			v += (x - mean) * (x - mean)
		}
		s := math.Sqrt(v/float64(n) + eps)
		// The sums of a long row err by about sqrt(n) units of float64's last place, the
		// reference's and the device's alike.
		long := math.Sqrt(float64(n)) * 0x1p-52
		for i, x := range row {
			ref[r+i] = roundTo(dt, (x-mean)/s)
			tol[r+i] = (8*ulp + long) * (math.Abs(ref[r+i]) + (math.Abs(mean)+math.Abs(x))/s + 1)
		}
	}
	return ref, tol
}

package backendtest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
)

// TestInputViews checks the suite's own input generation: every view gives a tensor of the
// requested shape holding exactly the reference's values.
func TestInputViews(t *testing.T) {
	dev, err := backend.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	s := newSuite(dev)
	shapes := [][]int{{}, {0}, {1}, {5}, {3, 4}, {1, 4}, {2, 0, 3}, {2, 3, 4}, {4, 1, 5}}
	views := []view{contiguous, viewT, viewPermute, viewSlice, viewNegSlice, viewFlip, viewExpand}
	for _, dt := range []refDType{refBool, refInt32, refFloat16, refFloat64} {
		for _, shape := range shapes {
			for _, v := range views {
				s.run(t, fmt.Sprintf("%v/%v/%v", dt, shape, v), func(c *tc) {
					in := c.input(dt, shape, genGeneral, v)
					if !refSameShape(in.ref.shape, shape) {
						c.Fatalf("%s: reference shape %v, want %v", in.desc, in.ref.shape, shape)
					}
					c.check("identity", []operand{in}, in.t, in.ref, exact)
				})
			}
		}
	}
}

func TestAxesSubset(t *testing.T) {
	seen := map[string]bool{}
	for m := 0; m < 16; m++ {
		axes := axesSubset(m)
		norm, err := refNormAxes("test", axes, 4, []int{3, 4, 5, 2})
		if err != nil {
			t.Fatalf("mask %d: axes %v: %v", m, axes, err)
		}
		mask := 0
		for _, a := range norm {
			mask |= 1 << a
		}
		if mask != m {
			t.Errorf("mask %d gives axes %v (mask %d)", m, axes, mask)
		}
		seen[fmt.Sprint(axes)] = true
	}
	if len(seen) != 16 {
		t.Errorf("%d distinct axis lists, want 16", len(seen))
	}
}

// TestCheckReportsMismatch checks that the comparison catches a wrong element and accepts
// values within tolerance.
func TestCheckReportsMismatch(t *testing.T) {
	want := newRef(refFloat32, []float64{1, 2, 3, 4}, 2, 2)
	got := []float64{1, 2, 3.5, 4}
	if i, ok := refCompare(got, want, 1e-5, 1e-6); ok || refFormatIndex(i, want.shape) != "[1 0]" {
		t.Errorf("refCompare: index %d ok %v, want [1 0] and a mismatch", i, ok)
	}
	if tl := tolAccum(refFloat32, 100, 1); tl.atol <= 0 || tl.rtol <= 0 {
		t.Errorf("tolAccum(float32) = %+v", tl)
	}
	if tl := tolAccum(refInt32, 100, 1); tl != exact {
		t.Errorf("tolAccum(int32) = %+v, want exact", tl)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		for _, g := range []gen{genGeneral, genPositive, genNonzero, genSmall, genNearOne, genRoundable, genWide, genPowBase, genPowExp, genMatmul} {
			for _, dt := range refDTypes {
				if x := g(r, dt); x != x {
					t.Fatalf("generator gave NaN for %v", dt)
				}
			}
		}
		if x := genNonzero(r, refInt32); x == 0 {
			t.Fatal("genNonzero gave 0")
		}
	}
}

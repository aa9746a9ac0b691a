package graph

import (
	"math"
	"testing"
)

// TestScalarOf checks that a constant holds the value its dtype can: a float rounds to the
// dtype, an integer truncates and wraps.
func TestScalarOf(t *testing.T) {
	cases := []struct {
		v    float64
		dt   DType
		want Scalar
	}{
		{1.0 / 3, Float64, Scalar{F: 1.0 / 3}},
		{1.0 / 3, Float32, Scalar{F: float64(float32(1.0 / 3))}},
		{1.0 / 3, Float16, Scalar{F: 0.333251953125}},
		{1.0 / 3, BFloat16, Scalar{F: 0.333984375}},
		{65520, Float16, Scalar{F: math.Inf(1)}}, // past float16's largest finite value
		{-2.7, Int32, Scalar{F: -2, I: -2}},
		{300, Uint8, Scalar{F: 44, I: 44}},
		{0.5, Bool, Scalar{F: 1, I: 1}},
	}
	for _, c := range cases {
		got := ScalarOf(c.v, c.dt)
		if got.F != c.want.F || (!c.dt.IsFloat() && got.I != c.want.I) {
			t.Errorf("ScalarOf(%v, %v) = %+v, want %+v", c.v, c.dt, got, c.want)
		}
	}
}

// TestRelease: a realized node drops its sources, a transient one keeps them, and Release
// hands back the buffer of a transient node only, leaving it unrealized.
func TestRelease(t *testing.T) {
	x, err := Host(Float32, []int{2}, make([]byte, 8))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := Unary(OpNeg, x)
	tr, _ := Unary(OpNeg, x)
	tr.SetTransient()
	plain.SetRealized("plain buffer")
	tr.SetRealized("transient buffer")
	if plain.Src != nil || len(tr.Src) != 1 {
		t.Errorf("sources after SetRealized: plain %v, transient %v", plain.Src, tr.Src)
	}
	if b := plain.Release(); b != nil || plain.Realized() == nil {
		t.Errorf("Release of a node that is not transient: %v, realized %v", b, plain.Realized())
	}
	if b := tr.Release(); b != "transient buffer" || tr.Realized() != nil || !tr.Transient() {
		t.Errorf("Release of a transient node: %v, realized %v", b, tr.Realized())
	}
	if b := tr.Release(); b != nil {
		t.Errorf("second Release: %v, want nil", b)
	}
}

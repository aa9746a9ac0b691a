package openblas

import (
	"errors"
	"testing"
)

func TestGemm(t *testing.T) {
	if err := Available(); err != nil {
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Available: %v does not wrap ErrUnavailable", err)
		}
		t.Skip(err)
	}
	t.Logf("core %s; %s", CoreType(), Config())
	// op(A) = Aᵀ with A stored 3×2, B 3×2: C (2×2) = Aᵀ·B.
	a := []float64{1, 2, 3, 4, 5, 6}
	b := []float64{1, 0, 0, 1, 1, 1}
	c := make([]float64, 4)
	if err := Dgemm(true, false, 2, 2, 3, 1, a, 2, b, 2, 0, c, 2); err != nil {
		t.Fatal(err)
	}
	want := []float64{1 + 5, 3 + 5, 2 + 6, 4 + 6}
	for i := range c {
		if c[i] != want[i] {
			t.Fatalf("Dgemm: %v, want %v", c, want)
		}
	}
	cs := make([]float32, 4)
	as := []float32{1, 2, 3, 4}
	bs := []float32{1, 1, 0, 1}
	if err := Sgemm(false, false, 2, 2, 2, 1, as, 2, bs, 2, 0, cs, 2); err != nil {
		t.Fatal(err)
	}
	if cs[0] != 1 || cs[1] != 3 || cs[2] != 3 || cs[3] != 7 {
		t.Fatalf("Sgemm: %v", cs)
	}
	if err := Sgemm(false, false, 2, 2, 2, 1, as[:3], 2, bs, 2, 0, cs, 2); err == nil {
		t.Fatal("Sgemm accepted a short A")
	}
}

package tensor

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// tcase is one row of a table-driven test: a tensor computed by the op under test and either
// the expected shape and elements (row-major, as float64) or an expected error.
type tcase struct {
	name  string
	got   *Tensor
	shape []int
	want  []float64
	err   string  // non-empty: an error wrapping ErrInvalid that contains this text
	dtype DType   // checked when set
	tol   float64 // relative tolerance; 0 means exact
}

// checkCases runs the table. Values compare exactly (NaN equal to NaN, and the sign of zero
// significant) unless a tolerance is given.
func checkCases(t *testing.T, cases []tcase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Helper()
			checkTensor(t, c)
		})
	}
}

func checkTensor(t *testing.T, c tcase) {
	t.Helper()
	if c.err != "" {
		err := c.got.Err()
		if err == nil {
			t.Fatalf("want an error containing %q, got none (shape %v)", c.err, c.got.Shape())
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("error %q does not wrap ErrInvalid", err)
		}
		if !strings.Contains(err.Error(), c.err) {
			t.Errorf("error %q does not contain %q", err, c.err)
		}
		return
	}
	if err := c.got.Err(); err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if !slices.Equal(c.got.Shape(), c.shape) {
		t.Fatalf("shape %v, want %v", c.got.Shape(), c.shape)
	}
	if c.dtype != 0 && c.got.DType() != c.dtype {
		t.Errorf("dtype %v, want %v", c.got.DType(), c.dtype)
	}
	vals, err := float64s(c.got)
	if err != nil {
		t.Fatalf("realize: %v", err)
	}
	if len(vals) != len(c.want) {
		t.Fatalf("%d elements, want %d: got %v, want %v", len(vals), len(c.want), vals, c.want)
	}
	for i, v := range vals {
		if !near(v, c.want[i], c.tol) {
			t.Fatalf("element %d (of shape %v) is %v, want %v\ngot  %v\nwant %v", i, c.shape, v, c.want[i], vals, c.want)
		}
	}
}

func near(got, want, tol float64) bool {
	switch {
	case math.IsNaN(want):
		return math.IsNaN(got)
	case tol == 0:
		return got == want && math.Signbit(got) == math.Signbit(want)
	case math.IsInf(want, 0):
		return got == want
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// seq is 0, 1, ..., n-1 as float64s, for expected values.
func seq(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = float64(i)
	}
	return s
}

// ar is Arange(0, n) of dtype dt reshaped to shape.
func ar(dt DType, shape ...int) *Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return Arange(0, float64(n), 1, dt).Reshape(shape...)
}

var (
	nan    = math.NaN()
	inf    = math.Inf(1)
	negInf = math.Inf(-1)
	negZ   = math.Copysign(0, -1)
)

// invalid is a tensor that carries an error, to check that ops pass errors on.
func invalid() *Tensor { return New([]float32{1, 2, 3}, 2, 2) }

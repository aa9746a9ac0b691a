package tensor

import (
	"crypto/sha256"
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestString compares String with the output of NumPy's str() (numpy 1.24) on the same
// arrays.
func TestString(t *testing.T) {
	for _, c := range []struct {
		name string
		x    *Tensor
		want string // numpy's str(a)
	}{
		{"int32 2x3", New([]int32{1, 2, 3, 4, 5, 6}, 2, 3), "[[1 2 3]\n [4 5 6]]"},
		{"widths", New([]int64{-1, 10, 100, 2}, 2, 2), "[[ -1  10]\n [100   2]]"},
		{"float32", New([]float32{1.5, -2.25, 3, 0.1}, 2, 2), "[[ 1.5  -2.25]\n [ 3.    0.1 ]]"},
		{"integral floats", New([]float64{1, 2, 3}), "[1. 2. 3.]"},
		{"scientific", New([]float64{1e-5, 1, 1e10}), "[1.e-05 1.e+00 1.e+10]"},
		{"nonfinite", New([]float64{nan, negInf, 1.5}), "[ nan -inf  1.5]"},
		{"only nonfinite", New([]float64{nan, inf}), "[nan inf]"},
		{"bool", New([]bool{true, false, false, true}, 2, 2), "[[ True False]\n [False  True]]"},
		{"scalar float", Scalar(1.5), "1.5"},
		{"scalar int", Scalar[int32](5), "5"},
		{"scalar bool", Scalar(true), "True"},
		{"empty", Zeros(Float32, 0, 3), "[]"},
		{"summary cols", ar(Int64, 2, 1000), "[[   0    1    2 ...  997  998  999]\n [1000 1001 1002 ... 1997 1998 1999]]"},
		{"summary rows", ar(Float32, 1000, 3), "[[0.000e+00 1.000e+00 2.000e+00]\n [3.000e+00 4.000e+00 5.000e+00]\n [6.000e+00 7.000e+00 8.000e+00]\n ...\n [2.991e+03 2.992e+03 2.993e+03]\n [2.994e+03 2.995e+03 2.996e+03]\n [2.997e+03 2.998e+03 2.999e+03]]"},
		{"3-D", ar(Float32, 2, 3, 5), "[[[ 0.  1.  2.  3.  4.]\n  [ 5.  6.  7.  8.  9.]\n  [10. 11. 12. 13. 14.]]\n\n [[15. 16. 17. 18. 19.]\n  [20. 21. 22. 23. 24.]\n  [25. 26. 27. 28. 29.]]]"},
		{"4-D", ar(Int32, 2, 1, 2, 2), "[[[[0 1]\n   [2 3]]]\n\n\n [[[4 5]\n   [6 7]]]]"},
		{"wrap", ar(Float64, 40).Div(Scalar[float64](7)), "[0.         0.14285714 0.28571429 0.42857143 0.57142857 0.71428571\n 0.85714286 1.         1.14285714 1.28571429 1.42857143 1.57142857\n 1.71428571 1.85714286 2.         2.14285714 2.28571429 2.42857143\n 2.57142857 2.71428571 2.85714286 3.         3.14285714 3.28571429\n 3.42857143 3.57142857 3.71428571 3.85714286 4.         4.14285714\n 4.28571429 4.42857143 4.57142857 4.71428571 4.85714286 5.\n 5.14285714 5.28571429 5.42857143 5.57142857]"},
		{"float16", New([]float32{0.1, 0.2, 1000}).Cast(Float16), "[1.e-01 2.e-01 1.e+03]"},
		{"uint8", New([]uint8{0, 255, 7}), "[  0 255   7]"},
		{"negative zero", New([]float64{negZ, 1}), "[-0.  1.]"},
		{"int64 exact", New([]int64{1<<62 + 1, -1}), "[4611686018427387905                  -1]"},
		{"thirds", New([]float64{1.0 / 3, 2.0 / 3, 1}), "[0.33333333 0.66666667 1.        ]"},
		{"big", New([]float64{1e8, 1}), "[1.e+08 1.e+00]"},
		{"mixed scale", New([]float64{123456.789, 0.5}), "[1.23456789e+05 5.00000000e-01]"},
		{"summary 3-D", ar(Int64, 2, 3, 200), "[[[   0    1    2 ...  197  198  199]\n  [ 200  201  202 ...  397  398  399]\n  [ 400  401  402 ...  597  598  599]]\n\n [[ 600  601  602 ...  797  798  799]\n  [ 800  801  802 ...  997  998  999]\n  [1000 1001 1002 ... 1197 1198 1199]]]"},
		{"summary 1-D floats", ar(Float64, 2000).Div(Scalar[float64](4)), "[0.0000e+00 2.5000e-01 5.0000e-01 ... 4.9925e+02 4.9950e+02 4.9975e+02]"},
		{"negative scientific", New([]float64{-1.5e-7, 2e3}), "[-1.5e-07  2.0e+03]"},
		{"single", New([]float32{3.25}), "[3.25]"},
		// Only the items shown are read, so printing a huge lazy tensor is cheap.
		{"huge", Zeros(Float32, 1<<40), "[0. 0. 0. ... 0. 0. 0.]"},
		{"largest size", Ones(Uint8, 1<<24, 1<<24), "[[1 1 1 ... 1 1 1]\n [1 1 1 ... 1 1 1]\n [1 1 1 ... 1 1 1]\n ...\n [1 1 1 ... 1 1 1]\n [1 1 1 ... 1 1 1]\n [1 1 1 ... 1 1 1]]"},
		{"huge 3-D", Full(7, Int64, 1000, 1000, 1000), "[[[7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]\n  ...\n  [7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]]\n\n [[7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]\n  ...\n  [7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]]\n\n [[7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]\n  ...\n  [7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]]\n\n ...\n\n [[7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]\n  ...\n  [7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]]\n\n [[7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]\n  ...\n  [7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]]\n\n [[7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]\n  ...\n  [7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]\n  [7 7 7 ... 7 7 7]]]"},
		{"summary mixed axes", ar(Int32, 2, 600), "[[   0    1    2 ...  597  598  599]\n [ 600  601  602 ... 1197 1198 1199]]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := fmt.Sprintf("tensor(%s, shape=%v, dtype=%v)", c.want, c.x.Shape(), c.x.DType())
			if got := c.x.String(); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestStringErrors(t *testing.T) {
	var nilT *Tensor
	for _, c := range []struct {
		name string
		x    *Tensor
		want string
	}{
		{"nil", nilT, "nil tensor"},
		{"invalid", invalid(), "New"},
		{"bad broadcast", ar(Int32, 2, 3).Add(ar(Int32, 2)), "do not broadcast"},
		{"failing kernel", ar(Int32, 3).Gather(0, New([]int64{5})), "out of range"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := c.x.String()
			if !strings.HasPrefix(got, "tensor(error: ") || !strings.Contains(got, c.want) {
				t.Errorf("String() = %q, want an error naming %q", got, c.want)
			}
		})
	}
	// fmt uses String.
	if s := fmt.Sprint(New([]float32{math.Pi})); s != "tensor([3.1415927], shape=[1], dtype=float32)" {
		t.Errorf("fmt.Sprint = %q", s)
	}
}

// TestStringManyAxes checks summarization over many axes, by both ways of reading the
// shown items (corner blocks up to 6 summarized axes, one cut-out beyond), against the
// SHA-256 of NumPy's output.
func TestStringManyAxes(t *testing.T) {
	seven := []int{7, 7, 7, 7, 7, 7, 7}
	for _, c := range []struct {
		x    *Tensor
		want string
	}{
		{ar(Int32, seven[:6]...), "6aad719d8ec8edb3093b52df23b070bfcd13f4efe58d165ad76cda44f6504969"},
		{Full(7, Int32, seven...), "4cb58d918189a49afb1c0666a6162a669a6ab105a830c6406b411b5f52eb613e"},
	} {
		s := c.x.String()
		body := strings.TrimSuffix(strings.TrimPrefix(s, "tensor("), fmt.Sprintf(", shape=%v, dtype=int32)", c.x.Shape()))
		if sum := fmt.Sprintf("%x", sha256.Sum256([]byte(body))); sum != c.want {
			t.Errorf("shape %v: SHA-256 of the body %s, want %s; output starts\n%.300s", c.x.Shape(), sum, c.want, s)
		}
	}
}

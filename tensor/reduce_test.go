package tensor

import (
	"math"
	"testing"
)

// TestIntegerReductions checks NumPy's promotion of small integer sums and products to
// Int64 (fixed: they used to keep, and wrap in, the input's type).
func TestIntegerReductions(t *testing.T) {
	checkCases(t, []tcase{
		{name: "uint8 sum", got: New([]uint8{200, 100, 7}).Sum(), shape: []int{}, want: []float64{307}, dtype: Int64},
		{name: "int32 sum axis", got: New([]int32{1 << 30, 1 << 30, 1, 2}, 2, 2).Sum(0), shape: []int{2},
			want: []float64{1<<30 + 1, 1<<30 + 2}, dtype: Int64},
		{name: "int32 prod", got: New([]int32{1 << 20, 1 << 20}).Prod(), shape: []int{}, want: []float64{1 << 40}, dtype: Int64},
		{name: "bool sum", got: New([]bool{true, true, false}).Sum(), shape: []int{}, want: []float64{2}, dtype: Int64},
		{name: "int64 sum", got: New([]int64{1, 2}).Sum(), shape: []int{}, want: []float64{3}, dtype: Int64},
		{name: "float32 sum keeps float32", got: New([]float32{1, 2}).Sum(), shape: []int{}, want: []float64{3}, dtype: Float32},
		{name: "int32 max keeps int32", got: New([]int32{1, 2}).Max(), shape: []int{}, want: []float64{2}, dtype: Int32},
	})
}

// TestSoftplusULP checks Softplus in Float32 and Float64 against log1p in float64, in units
// in the last place of the result, over a sweep through [-105, 105]: where e**t is small,
// log(1 + e**t) rounded as it stands lost most of its digits (16000 units near t = -10).
func TestSoftplusULP(t *testing.T) {
	var xs []float32
	for x := float32(-105); x < 105; x += 0.000731 {
		xs = append(xs, x)
	}
	xs = append(xs, float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)))
	for _, dt := range []DType{Float32, Float64} {
		y, err := Data[float64](New(xs).Cast(dt).Softplus().Cast(Float64))
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range xs {
			xd := float64(x)
			want := math.Max(xd, 0) + math.Log1p(math.Exp(-math.Abs(xd)))
			ulp := math.Nextafter(want, math.Inf(1)) - want
			if dt == Float32 {
				w := float32(want)
				ulp = float64(math.Nextafter32(w, float32(math.Inf(1))) - w)
			}
			if e := math.Abs(y[i] - want); !(e <= 3*ulp) && !(math.IsInf(want, 1) && y[i] == want) {
				t.Fatalf("%v Softplus(%g) = %g, want %g (%.1f units in the last place off)", dt, x, y[i], want, e/ulp)
			}
		}
	}
}

// TestSoftplusHalf checks that Softplus does not overflow in float16 between e**t's
// overflow (t > 11) and the large-t form (fixed: it gave +Inf there).
func TestSoftplusHalf(t *testing.T) {
	checkCases(t, []tcase{
		{name: "float16", got: New([]float32{-20, 0, 12, 15.5, 30}).Cast(Float16).Softplus(), shape: []int{5},
			want: []float64{2.0611537e-09, 0.6931472, 12.000006, 15.5, 30}, dtype: Float16, tol: 2e-3},
		{name: "bfloat16", got: New([]float32{12, 15.5}).Cast(BFloat16).Softplus(), shape: []int{2},
			want: []float64{12, 15.5}, dtype: BFloat16, tol: 1e-2},
	})
}

package tensor

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestGather(t *testing.T) {
	x := ar(Int32, 3, 4)
	checkCases(t, []tcase{
		{name: "axis 1, 2-D indices", got: x.Gather(1, New([]int64{0, -1, 2, 1}, 2, 2)), shape: []int{3, 2, 2},
			want: []float64{0, 3, 2, 1, 4, 7, 6, 5, 8, 11, 10, 9}, dtype: Int32},
		{name: "rank-0 index removes the axis", got: x.Gather(0, Scalar[int64](2)), shape: []int{4}, want: []float64{8, 9, 10, 11}},
		{name: "negative wrap, repeats, int32", got: x.Gather(-2, New([]int32{-3, 2, 2})), shape: []int{3, 4},
			want: []float64{0, 1, 2, 3, 8, 9, 10, 11, 8, 9, 10, 11}},
		{name: "empty indices", got: x.Gather(1, New([]int64{})), shape: []int{3, 0}, want: []float64{}},
		{name: "computed indices", got: New([]float32{10, 20, 30}).Gather(0, New([]int64{2, 0}).Add(New([]int64{-1, 1}))),
			shape: []int{2}, want: []float64{20, 20}},
		{name: "of a view", got: x.Transpose().Gather(1, New([]int64{1})), shape: []int{4, 1}, want: []float64{4, 5, 6, 7}},
		{name: "bool source", got: New([]bool{true, false}).Gather(0, New([]int64{1, 0, 0})), shape: []int{3}, want: []float64{0, 1, 1}},

		{name: "float indices", got: x.Gather(0, New([]float32{0})), err: "int32 or int64"},
		{name: "bool indices", got: x.Gather(0, New([]bool{true})), err: "int32 or int64"},
		{name: "axis", got: x.Gather(2, New([]int64{0})), err: "out of range"},
		{name: "scalar source", got: Scalar[float32](1).Gather(0, New([]int64{0})), err: "out of range"},
		{name: "nil indices", got: x.Gather(0, nil), err: "nil tensor"},
	})
	// An index out of range is data: Realize reports it.
	bad := x.Gather(0, New([]int64{3}))
	if err := bad.Err(); err != nil {
		t.Fatalf("Err before realizing: %v", err)
	}
	if err := bad.Realize(); err == nil || !errors.Is(err, ErrInvalid) {
		t.Errorf("Realize of out-of-range Gather = %v, want an error wrapping ErrInvalid", err)
	}
}

func TestArgMaxArgMin(t *testing.T) {
	x := New([]float32{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8}, 3, 4)
	y := New([]float64{1, nan, 3, nan, 2, 2, negInf, 0}, 2, 4)
	checkCases(t, []tcase{
		{name: "max axis 0", got: x.ArgMax(0), shape: []int{4}, want: []float64{1, 1, 2, 2}, dtype: Int64},
		{name: "max axis 1", got: x.ArgMax(1), shape: []int{3}, want: []float64{2, 1, 3}},
		{name: "min axis 0 first tie", got: x.ArgMin(0), shape: []int{4}, want: []float64{0, 0, 1, 0}, dtype: Int64},
		{name: "min axis -1", got: x.ArgMin(-1), shape: []int{3}, want: []float64{1, 2, 1}},
		{name: "max NaN first", got: y.ArgMax(1), shape: []int{2}, want: []float64{1, 0}},
		{name: "min NaN first", got: y.ArgMin(1), shape: []int{2}, want: []float64{1, 2}},
		{name: "bool", got: New([]bool{false, true, true, false, false, false}, 2, 3).ArgMax(1), shape: []int{2},
			want: []float64{1, 0}},
		{name: "int64 near limits", got: New([]int64{math.MinInt64, math.MaxInt64, math.MaxInt64}).ArgMax(0), shape: []int{},
			want: []float64{1}},
		{name: "int32 min", got: New([]int32{4, -7, 0, -7}).ArgMin(0), shape: []int{}, want: []float64{1}},
		{name: "1-D to scalar", got: New([]float32{0, 2, 1}).ArgMax(0), shape: []int{}, want: []float64{1}},
		{name: "float16", got: New([]float32{0.5, 0.25, 0.5}).Cast(Float16).ArgMax(0), shape: []int{}, want: []float64{0}},
		{name: "empty other axis", got: Zeros(Float32, 0, 3).ArgMax(1), shape: []int{0}, want: []float64{}},
		{name: "3-D middle axis", got: ar(Float32, 2, 3, 2).Neg().ArgMax(1), shape: []int{2, 2}, want: []float64{0, 0, 0, 0}},

		{name: "empty axis", got: Zeros(Float32, 2, 0).ArgMax(1), err: "empty"},
		{name: "empty axis 0", got: Zeros(Float32, 0, 3).ArgMin(0), err: "empty"},
		{name: "scalar", got: Scalar[float32](1).ArgMax(0), err: "out of range"},
		{name: "axis", got: x.ArgMin(2), err: "ArgMin"},
		{name: "nil", got: (*Tensor)(nil).ArgMax(0), err: "nil tensor"},
	})
}

func TestCumSum(t *testing.T) {
	a := New([]int32{1, 2, 3, 4, 5, 6}, 2, 3)
	v := New([]float64{1, 2, 3, 4})
	checkCases(t, []tcase{
		{name: "axis 0", got: a.CumSum(0, false, false), shape: []int{2, 3}, want: []float64{1, 2, 3, 5, 7, 9}, dtype: Int32},
		{name: "axis 1", got: a.CumSum(1, false, false), shape: []int{2, 3}, want: []float64{1, 3, 6, 4, 9, 15}},
		{name: "axis -1", got: a.CumSum(-1, false, false), shape: []int{2, 3}, want: []float64{1, 3, 6, 4, 9, 15}},
		{name: "exclusive", got: v.CumSum(0, true, false), shape: []int{4}, want: []float64{0, 1, 3, 6}},
		{name: "reverse", got: v.CumSum(0, false, true), shape: []int{4}, want: []float64{10, 9, 7, 4}},
		{name: "exclusive reverse", got: v.CumSum(0, true, true), shape: []int{4}, want: []float64{9, 7, 4, 0}},
		{name: "bool counts as int64", got: New([]bool{true, false, true}).CumSum(0, false, false), shape: []int{3},
			want: []float64{1, 1, 2}, dtype: Int64},
		{name: "NaN and Inf stay where they are", got: New([]float64{1, nan, 2}).CumSum(0, false, true), shape: []int{3},
			want: []float64{nan, nan, 2}},
		{name: "Inf", got: New([]float64{inf, 1, negInf}).CumSum(0, false, false), shape: []int{3}, want: []float64{inf, inf, nan}},
		{name: "empty axis", got: Zeros(Float32, 2, 0).CumSum(1, false, false), shape: []int{2, 0}, want: []float64{}},
		{name: "single", got: New([]uint8{7}).CumSum(0, true, false), shape: []int{1}, want: []float64{0}},
		{name: "view input", got: a.Transpose().CumSum(1, false, false), shape: []int{3, 2}, want: []float64{1, 5, 2, 7, 3, 9}},

		{name: "scalar", got: Scalar[float32](1).CumSum(0, false, false), err: "out of range"},
		{name: "axis", got: a.CumSum(2, false, false), err: "CumSum"},
		{name: "nil", got: (*Tensor)(nil).CumSum(0, false, false), err: "nil tensor"},
	})
	// Integers are exact: float64 could not hold these sums.
	got, err := Data[int64](New([]int64{1 << 60, 1, 1, -(1 << 60)}).CumSum(0, false, false))
	want := []int64{1 << 60, 1<<60 + 1, 1<<60 + 2, 2}
	if err != nil || !equalInts(got, want) {
		t.Errorf("int64 CumSum = %v, %v; want %v", got, err, want)
	}
	// Integers wrap like their type.
	w, err := Data[uint8](New([]uint8{200, 100}).CumSum(0, false, false))
	if err != nil || w[1] != 44 {
		t.Errorf("uint8 CumSum = %v, %v; want [200 44]", w, err)
	}
}

// TestCumSumLong checks lines long enough for several passes of the scan (1000: five passes,
// the last of them adding fewer than four partial sums) against a running sum in Go, on an
// axis in the middle.
func TestCumSumLong(t *testing.T) {
	const outer, n, inner = 2, 1000, 3
	vals := make([]int64, outer*n*inner)
	for k := range vals {
		vals[k] = int64(k*7919%201) - 100
	}
	fvals := make([]float64, len(vals))
	for k, v := range vals {
		fvals[k] = float64(v) / 8
	}
	for _, mode := range []struct{ exclusive, reverse bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		want := make([]int64, len(vals))
		for o := range outer {
			for c := range inner {
				var run int64
				for s := range n {
					i := s
					if mode.reverse {
						i = n - 1 - s
					}
					k := (o*n+i)*inner + c
					if !mode.exclusive {
						run += vals[k]
					}
					want[k] = run
					if mode.exclusive {
						run += vals[k]
					}
				}
			}
		}
		name := fmt.Sprintf("exclusive=%v reverse=%v", mode.exclusive, mode.reverse)
		got, err := Data[int64](New(vals, outer, n, inner).CumSum(1, mode.exclusive, mode.reverse))
		if err != nil || !equalInts(got, want) {
			t.Errorf("int64 %s: err %v, got %v", name, err, firstDiff(got, want))
		}
		// Eighths and their sums below 2^53 are exact in float64, so the scan's order of
		// addition cannot change them.
		f, err := Data[float64](New(fvals, outer, n, inner).CumSum(1, mode.exclusive, mode.reverse))
		fw := make([]float64, len(want))
		for k, v := range want {
			fw[k] = float64(v) / 8
		}
		if err != nil || !slices.Equal(f, fw) {
			t.Errorf("float64 %s: err %v, got %v", name, err, firstDiff(f, fw))
		}
	}
	// Float16 sums in float32 and rounds once: every output is within half a float16 ulp
	// of the exact sum (partial sums kept in float16 would be several ulps off).
	third := Full(1.0/3, Float16, 3000)
	v, _ := Data[float64](third.Slice(0, 0, 1, 1).Cast(Float64))
	h, err := Data[float64](third.CumSum(0, false, false).Cast(Float64))
	for k := 0; err == nil && k < len(h); k++ {
		exact := float64(k+1) * v[0]
		if ulp := math.Pow(2, math.Floor(math.Log2(exact))-10); math.Abs(h[k]-exact) > ulp/2 {
			t.Fatalf("Float16 CumSum of %v: [%d] = %v, want %v within %v", v[0], k, h[k], exact, ulp/2)
		}
	}
	if err != nil {
		t.Error(err)
	}
	// A NaN poisons the sums from its position on and no others.
	x := make([]float32, 100)
	for k := range x {
		x[k] = 1
	}
	x[40] = float32(math.NaN())
	got, err := Data[float32](New(x).CumSum(0, false, false))
	if err != nil || got[39] != 40 || !math.IsNaN(float64(got[40])) || !math.IsNaN(float64(got[99])) {
		t.Errorf("NaN at 40: %v, %v", got, err)
	}
}

// firstDiff describes where two slices part.
func firstDiff[T comparable](got, want []T) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d values, want %d", len(got), len(want))
	}
	for k := range got {
		if got[k] != want[k] {
			return fmt.Sprintf("[%d] = %v, want %v", k, got[k], want[k])
		}
	}
	return "equal"
}

func equalInts[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTriuTril(t *testing.T) {
	x := ar(Int32, 3, 4)
	checkCases(t, []tcase{
		{name: "triu", got: x.Triu(0), shape: []int{3, 4}, want: []float64{0, 1, 2, 3, 0, 5, 6, 7, 0, 0, 10, 11}, dtype: Int32},
		{name: "triu 1", got: x.Triu(1), shape: []int{3, 4}, want: []float64{0, 1, 2, 3, 0, 0, 6, 7, 0, 0, 0, 11}},
		{name: "tril -1", got: x.Tril(-1), shape: []int{3, 4}, want: []float64{0, 0, 0, 0, 4, 0, 0, 0, 8, 9, 0, 0}},
		{name: "tril 2", got: x.Tril(2), shape: []int{3, 4}, want: []float64{0, 1, 2, 0, 4, 5, 6, 7, 8, 9, 10, 11}},
		{name: "triu batched", got: ar(Float32, 2, 2, 3).Triu(1), shape: []int{2, 2, 3},
			want: []float64{0, 1, 2, 0, 0, 5, 0, 7, 8, 0, 0, 11}},
		{name: "triu huge k", got: x.Triu(math.MaxInt), shape: []int{3, 4}, want: make([]float64, 12)},
		{name: "tril huge negative k", got: x.Tril(math.MinInt), shape: []int{3, 4}, want: make([]float64, 12)},
		{name: "tril huge k", got: x.Tril(math.MaxInt), shape: []int{3, 4}, want: seq(12)},
		{name: "bool", got: New([]bool{true, true, true, true}, 2, 2).Tril(0), shape: []int{2, 2}, want: []float64{1, 0, 1, 1}, dtype: Bool},
		{name: "keeps NaN above", got: New([]float64{nan, nan, nan, nan}, 2, 2).Triu(0), shape: []int{2, 2},
			want: []float64{nan, nan, 0, nan}},
		{name: "empty", got: Zeros(Float32, 0, 3).Triu(0), shape: []int{0, 3}, want: []float64{}},

		{name: "rank 1", got: ar(Int32, 3).Triu(0), err: "rank below 2"},
		{name: "nil", got: (*Tensor)(nil).Tril(0), err: "nil tensor"},
	})
}

// TestTriangleLong checks Triu and Tril on batches of matrices with rows long enough for the
// CPU to compute a row's index once a row, for diagonals inside, at the edges of and outside
// the matrices, against a direct loop.
func TestTriangleLong(t *testing.T) {
	const b, m, n = 2, 150, 300
	vals := make([]float32, b*m*n)
	for k := range vals {
		vals[k] = float32(k%97) - 48.5
	}
	x := New(vals, b, m, n)
	for _, k := range []int{-200, -150, -149, -3, 0, 1, 150, 299, 300, 400} {
		for _, upper := range []bool{false, true} {
			want := make([]float32, len(vals))
			for p := range b {
				for i := range m {
					for j := range n {
						if upper && j-i >= k || !upper && j-i <= k {
							want[(p*m+i)*n+j] = vals[(p*m+i)*n+j]
						}
					}
				}
			}
			y := x.Tril(k)
			if upper {
				y = x.Triu(k)
			}
			got, err := Data[float32](y)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("upper=%v k=%d: err %v, got %v", upper, k, err, firstDiff(got, want))
			}
		}
	}
}

func TestErrorsNameOps(t *testing.T) {
	for _, c := range []struct {
		op  string
		got *Tensor
	}{
		{"ArgMax", ar(Float32, 2, 3).ArgMax(5)},
		{"CumSum", ar(Float32, 2, 3).CumSum(-3, false, false)},
		{"Gather", ar(Float32, 2, 3).Gather(0, New([]float64{1}))},
		{"Triu", ar(Float32, 3).Triu(0)},
		{"Tile", ar(Float32, 3).Tile(-2)},
	} {
		err := c.got.Err()
		if err == nil || !strings.Contains(err.Error(), c.op) || !strings.Contains(err.Error(), "[") {
			t.Errorf("%s: error %v does not name the op and the shape", c.op, err)
		}
	}
}

// TestAxisOpsAgainstReference compares CumSum, ArgMax and ArgMin with direct loops over
// random shapes and axes, with ties and NaNs.
func TestAxisOpsAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 40 {
		r := 1 + trial%3
		shape := make([]int, r)
		n := 1
		for k := range shape {
			shape[k] = 1 + rng.IntN(5)
			n *= shape[k]
		}
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = float64(rng.IntN(5))
			if rng.IntN(15) == 0 {
				vals[i] = nan
			}
		}
		axis := rng.IntN(r)
		exclusive, reverse := rng.IntN(2) == 0, rng.IntN(2) == 0
		inner := 1
		for _, d := range shape[axis+1:] {
			inner *= d
		}
		m := shape[axis]
		outer := n / (m * inner)
		cum := make([]float64, n)
		argmax := make([]float64, 0, n/m)
		argmin := make([]float64, 0, n/m)
		for o := range outer {
			for in := range inner {
				at := func(j int) int { return (o*m+j)*inner + in }
				bestMax, bestMin := 0, 0
				for i := range m {
					s := 0.0
					for j := range m {
						if (!reverse && (j < i || (!exclusive && j == i))) || (reverse && (j > i || (!exclusive && j == i))) {
							s += vals[at(j)]
						}
					}
					cum[at(i)] = s
					v := vals[at(i)]
					if !math.IsNaN(vals[at(bestMax)]) && (math.IsNaN(v) || v > vals[at(bestMax)]) {
						bestMax = i
					}
					if !math.IsNaN(vals[at(bestMin)]) && (math.IsNaN(v) || v < vals[at(bestMin)]) {
						bestMin = i
					}
				}
				argmax = append(argmax, float64(bestMax))
				argmin = append(argmin, float64(bestMin))
			}
		}
		// argmax/argmin were collected in (outer, inner) order, which is row-major order of
		// the shape without the axis.
		reduced := append(append([]int{}, shape[:axis]...), shape[axis+1:]...)
		x := New(vals, shape...)
		name := fmt.Sprintf("%v axis %d exclusive %v reverse %v", shape, axis, exclusive, reverse)
		t.Run(name, func(t *testing.T) {
			checkTensor(t, tcase{got: x.CumSum(axis-r, exclusive, reverse), shape: shape, want: cum})
			checkTensor(t, tcase{got: x.ArgMax(axis), shape: reduced, want: argmax})
			checkTensor(t, tcase{got: x.ArgMin(axis), shape: reduced, want: argmin})
		})
	}
}

package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestPad(t *testing.T) {
	x := New([]float32{1, 2, 3, 4}, 2, 2)
	a := ar(Int32, 2, 3)
	checkCases(t, []tcase{
		{name: "constant", got: x.Pad([][2]int{{1, 0}, {0, 2}}, PadConstant, 9), shape: []int{3, 4},
			want: []float64{9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9}, dtype: Float32},
		{name: "zeros", got: x.Pad([][2]int{{0, 1}, {1, 0}}, PadConstant, 0), shape: []int{3, 3},
			want: []float64{0, 1, 2, 0, 3, 4, 0, 0, 0}},
		{name: "negative zero", got: x.Pad([][2]int{{0, 0}, {1, 0}}, PadConstant, negZ), shape: []int{2, 3},
			want: []float64{negZ, 1, 2, negZ, 3, 4}},
		{name: "nan", got: New([]float64{1}).Pad([][2]int{{1, 1}}, PadConstant, nan), shape: []int{3},
			want: []float64{nan, 1, nan}},
		{name: "int truncates", got: New([]int32{5}).Pad([][2]int{{1, 0}}, PadConstant, -3.7), shape: []int{2},
			want: []float64{-3, 5}, dtype: Int32},
		{name: "bool", got: New([]bool{false}).Pad([][2]int{{1, 1}}, PadConstant, 2), shape: []int{3},
			want: []float64{1, 0, 1}, dtype: Bool},
		{name: "no pads", got: x.Pad([][2]int{{0, 0}, {0, 0}}, PadReflect, 0), shape: []int{2, 2}, want: []float64{1, 2, 3, 4}},
		{name: "empty input", got: Zeros(Float32, 0, 2).Pad([][2]int{{1, 1}, {0, 0}}, PadConstant, 5), shape: []int{2, 2},
			want: []float64{5, 5, 5, 5}},
		{name: "empty axis untouched", got: Zeros(Float32, 0, 2).Pad([][2]int{{0, 0}, {1, 0}}, PadEdge, 5), shape: []int{0, 3},
			want: []float64{}},
		{name: "scalar", got: Scalar[float32](3).Pad(nil, PadConstant, 1), shape: []int{}, want: []float64{3}},
		{name: "reflect 2-D", got: a.Pad([][2]int{{1, 1}, {2, 2}}, PadReflect, 0), shape: []int{4, 7},
			want: []float64{5, 4, 3, 4, 5, 4, 3, 2, 1, 0, 1, 2, 1, 0, 5, 4, 3, 4, 5, 4, 3, 2, 1, 0, 1, 2, 1, 0}},
		{name: "reflect longer than axis", got: ar(Int64, 3).Pad([][2]int{{5, 4}}, PadReflect, 0), shape: []int{12},
			want: []float64{1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2}},
		{name: "reflect far", got: ar(Int32, 4).Pad([][2]int{{7, 8}}, PadReflect, 0), shape: []int{19},
			want: []float64{1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1}},
		{name: "reflect single element", got: New([]float32{7}).Pad([][2]int{{2, 3}}, PadReflect, 0), shape: []int{6},
			want: []float64{7, 7, 7, 7, 7, 7}},
		{name: "edge 2-D", got: a.Pad([][2]int{{2, 1}, {1, 3}}, PadEdge, 0), shape: []int{5, 7},
			want: []float64{0, 0, 1, 2, 2, 2, 2, 0, 0, 1, 2, 2, 2, 2, 0, 0, 1, 2, 2, 2, 2, 3, 3, 4, 5, 5, 5, 5, 3, 3, 4, 5, 5, 5, 5}},
		{name: "edge of an expression", got: New([]float32{1, -2}).Abs().Pad([][2]int{{1, 1}}, PadEdge, 0), shape: []int{4},
			want: []float64{1, 1, 2, 2}},
		{name: "constant of an expression", got: New([]float32{1, -2}).Abs().Pad([][2]int{{1, 1}}, PadConstant, -1), shape: []int{4},
			want: []float64{-1, 1, 2, -1}},
		{name: "reflect bool", got: New([]bool{true, false, false}).Pad([][2]int{{2, 0}}, PadReflect, 0), shape: []int{5},
			want: []float64{0, 0, 1, 0, 0}},
		{name: "reflect keeps -0", got: New([]float64{negZ, 1}).Pad([][2]int{{0, 1}}, PadReflect, 0), shape: []int{3},
			want: []float64{negZ, 1, negZ}},

		{name: "pairs", got: x.Pad([][2]int{{1, 1}}, PadConstant, 0), err: "Pad"},
		{name: "negative", got: x.Pad([][2]int{{-1, 0}, {0, 0}}, PadConstant, 0), err: "bad pads"},
		{name: "mode", got: x.Pad([][2]int{{1, 0}, {0, 0}}, PadMode(7), 0), err: "unknown mode"},
		{name: "reflect empty", got: Zeros(Float32, 0, 2).Pad([][2]int{{1, 0}, {0, 0}}, PadReflect, 0), err: "empty axis"},
		{name: "edge empty", got: Zeros(Float32, 2, 0).Pad([][2]int{{0, 0}, {0, 1}}, PadEdge, 0), err: "empty axis"},
		{name: "huge", got: x.Pad([][2]int{{1 << 40, 0}, {1 << 40, 0}}, PadConstant, 0), err: "too large"},
		{name: "nil", got: (*Tensor)(nil).Pad(nil, PadConstant, 0), err: "nil tensor"},
		{name: "invalid", got: invalid().Pad([][2]int{{1, 0}}, PadConstant, 0), err: "New"},
	})
}

func TestTile(t *testing.T) {
	m := New([]int64{1, 2, 3, 4}, 2, 2)
	checkCases(t, []tcase{
		{name: "1-D", got: ar(Float32, 3).Tile(2), shape: []int{6}, want: []float64{0, 1, 2, 0, 1, 2}},
		{name: "rows", got: m.Tile(2, 1), shape: []int{4, 2}, want: []float64{1, 2, 3, 4, 1, 2, 3, 4}},
		{name: "short reps", got: m.Tile(2), shape: []int{2, 4}, want: []float64{1, 2, 1, 2, 3, 4, 3, 4}},
		{name: "long reps", got: ar(Int32, 2).Tile(2, 1, 2), shape: []int{2, 1, 4}, want: []float64{0, 1, 0, 1, 0, 1, 0, 1}},
		{name: "both", got: m.Tile(2, 3), shape: []int{4, 6},
			want: []float64{1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4}},
		{name: "zero", got: ar(Int32, 2).Tile(2, 0), shape: []int{2, 0}, want: []float64{}},
		{name: "scalar", got: Scalar[float64](5).Tile(3), shape: []int{3}, want: []float64{5, 5, 5}},
		{name: "no reps", got: m.Tile(), shape: []int{2, 2}, want: []float64{1, 2, 3, 4}},
		{name: "bool", got: New([]bool{true, false}).Tile(2), shape: []int{4}, want: []float64{1, 0, 1, 0}},
		{name: "of a view", got: m.Transpose().Tile(1, 2), shape: []int{2, 4}, want: []float64{1, 3, 1, 3, 2, 4, 2, 4}},
		{name: "empty input", got: Zeros(Float32, 0).Tile(3), shape: []int{0}, want: []float64{}},

		{name: "negative", got: m.Tile(-1), err: "negative repetition"},
		{name: "huge", got: m.Tile(1<<40, 1<<40), err: "too large"},
		{name: "nil", got: (*Tensor)(nil).Tile(2), err: "nil tensor"},
	})
}

func TestConcat(t *testing.T) {
	a := ar(Int32, 2, 3)
	b := Arange(10, 14, 1, Int32).Reshape(2, 2)
	c := Arange(10, 13, 1, Int32).Reshape(1, 3)
	d := Arange(20, 26, 1, Int32).Reshape(2, 3)
	single := Concat(0, a)
	if single != a {
		t.Errorf("Concat of one tensor made a new tensor")
	}
	checkCases(t, []tcase{
		{name: "axis 1", got: Concat(1, a, b), shape: []int{2, 5}, want: []float64{0, 1, 2, 10, 11, 3, 4, 5, 12, 13}, dtype: Int32},
		{name: "axis 0", got: Concat(0, a, c, d), shape: []int{5, 3},
			want: []float64{0, 1, 2, 3, 4, 5, 10, 11, 12, 20, 21, 22, 23, 24, 25}},
		{name: "negative axis", got: Concat(-1, ar(Float32, 2, 2, 2), Arange(10, 14, 1, Float32).Reshape(2, 2, 1)),
			shape: []int{2, 2, 3}, want: []float64{0, 1, 10, 2, 3, 11, 4, 5, 12, 6, 7, 13}},
		{name: "1-D", got: Concat(0, New([]float32{1, 2}), New([]float32{3}), New([]float32{4, 5, 6})), shape: []int{6},
			want: []float64{1, 2, 3, 4, 5, 6}},
		{name: "single", got: single, shape: []int{2, 3}, want: seq(6)},
		{name: "empty piece", got: Concat(0, Zeros(Int32, 0, 3), a, Zeros(Int32, 0, 3)), shape: []int{2, 3}, want: seq(6)},
		{name: "all empty", got: Concat(1, Zeros(Int32, 2, 0), Zeros(Int32, 2, 0)), shape: []int{2, 0}, want: []float64{}},
		{name: "empty other axis", got: Concat(1, Zeros(Int32, 0, 2), Zeros(Int32, 0, 3)), shape: []int{0, 5}, want: []float64{}},
		{name: "bool", got: Concat(0, New([]bool{true, false}), New([]bool{false, true})), shape: []int{4},
			want: []float64{1, 0, 0, 1}, dtype: Bool},
		{name: "uint8", got: Concat(0, New([]uint8{255}), New([]uint8{7})), shape: []int{2}, want: []float64{255, 7}},
		{name: "int64 exact", got: Concat(0, New([]int64{1<<62 + 1}), New([]int64{-1})), shape: []int{2},
			want: []float64{1 << 62, -1}}, // float64 view of the values; exactness checked below
		{name: "keeps -0, NaN, Inf", got: Concat(0, New([]float64{negZ, nan}), New([]float64{inf, negInf})), shape: []int{4},
			want: []float64{negZ, nan, inf, negInf}},
		{name: "expressions", got: Concat(0, New([]float32{-1, 2}).Abs(), New([]float32{3}).Neg()), shape: []int{3},
			want: []float64{1, 2, -3}},
		{name: "constants", got: Concat(0, Full(2, Float16, 2), Full(-1, Float16, 1)), shape: []int{3}, want: []float64{2, 2, -1}},
		{name: "float16", got: Concat(0, New([]float32{0.5, 1}).Cast(Float16), Zeros(Float16, 1)), shape: []int{3},
			want: []float64{0.5, 1, 0}, dtype: Float16},

		{name: "none", got: Concat(0), err: "no tensors"},
		{name: "dtype", got: Concat(0, a, ar(Float32, 2, 3)), err: "dtypes"},
		{name: "rank", got: Concat(0, a, ar(Int32, 6)), err: "ranks differ"},
		{name: "shape", got: Concat(0, a, b), err: "differ outside axis"},
		{name: "scalar", got: Concat(0, Scalar[int32](1), Scalar[int32](2)), err: "rank-0"},
		{name: "axis", got: Concat(2, a, d), err: "axis 2 out of range"},
		{name: "nil", got: Concat(0, a, nil), err: "nil tensor"},
		{name: "invalid", got: Concat(0, a, invalid()), err: "New"},
	})
	big, err := Data[int64](Concat(0, New([]int64{1<<62 + 1}), New([]int64{-1})))
	if err != nil || big[0] != 1<<62+1 || big[1] != -1 {
		t.Errorf("int64 concat = %v, %v; want [%d -1]", big, err, int64(1<<62+1))
	}
	z, err := Data[float64](Concat(0, New([]float64{negZ}), New([]float64{1})))
	if err != nil || !math.Signbit(z[0]) {
		t.Errorf("Concat lost the sign of -0: %v, %v", z, err)
	}
}

func TestSplit(t *testing.T) {
	x := ar(Float32, 2, 5)
	type split struct {
		name   string
		parts  []*Tensor
		shapes [][]int
		want   [][]float64
		err    string
	}
	for _, c := range []split{
		{name: "sizes", parts: x.Split(1, 2, 3), shapes: [][]int{{2, 2}, {2, 3}},
			want: [][]float64{{0, 1, 5, 6}, {2, 3, 4, 7, 8, 9}}},
		{name: "negative axis", parts: x.Split(-1, 4, 0, 1), shapes: [][]int{{2, 4}, {2, 0}, {2, 1}},
			want: [][]float64{{0, 1, 2, 3, 5, 6, 7, 8}, {}, {4, 9}}},
		{name: "no sizes", parts: x.Split(0), shapes: [][]int{{1, 5}, {1, 5}},
			want: [][]float64{{0, 1, 2, 3, 4}, {5, 6, 7, 8, 9}}},
		{name: "whole", parts: x.Split(0, 2), shapes: [][]int{{2, 5}}, want: [][]float64{seq(10)}},
		{name: "empty axis", parts: Zeros(Float32, 0, 2).Split(0), shapes: [][]int{}, want: [][]float64{}},
		{name: "sum", parts: x.Split(1, 2, 2), err: "do not sum"},
		{name: "negative size", parts: x.Split(1, 6, -1), err: "bad size"},
		{name: "axis", parts: x.Split(2, 2), err: "out of range"},
		{name: "scalar", parts: Scalar[float32](1).Split(0), err: "out of range"},
		{name: "nil", parts: (*Tensor)(nil).Split(0, 1), err: "nil tensor"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.parts == nil {
				t.Fatal("Split returned nil")
			}
			if c.err != "" {
				if len(c.parts) != 1 {
					t.Fatalf("%d parts on error, want 1", len(c.parts))
				}
				checkTensor(t, tcase{got: c.parts[0], err: c.err})
				return
			}
			if len(c.parts) != len(c.shapes) {
				t.Fatalf("%d parts, want %d", len(c.parts), len(c.shapes))
			}
			for i, p := range c.parts {
				checkTensor(t, tcase{got: p, shape: c.shapes[i], want: c.want[i]})
			}
		})
	}
}

func TestShapeErrorsName(t *testing.T) {
	// Errors name the operation and the shapes involved.
	err := Concat(0, ar(Int32, 2, 3), ar(Int32, 2, 2)).Err()
	if err == nil || !strings.Contains(err.Error(), "Concat") || !strings.Contains(err.Error(), "[2 3]") {
		t.Errorf("Concat error %v does not name the op and shapes", err)
	}
}

// refPad is numpy.pad computed directly: every output position maps to an input index.
func refPad(x []float64, shape []int, pads [][2]int, mode PadMode, value float64) ([]float64, []int) {
	out := make([]int, len(shape))
	total := 1
	for k := range shape {
		out[k] = shape[k] + pads[k][0] + pads[k][1]
		total *= out[k]
	}
	res := make([]float64, total)
	for o := range res {
		rem, off, inside := o, 0, true
		stride := 1
		for k := len(shape) - 1; k >= 0; k-- {
			i := rem%out[k] - pads[k][0]
			rem /= out[k]
			n := shape[k]
			if i < 0 || i >= n {
				switch mode {
				case PadConstant:
					inside = false
				case PadEdge:
					i = min(max(i, 0), n-1)
				case PadReflect:
					if n == 1 {
						i = 0
					} else {
						p := 2 * (n - 1)
						i = ((i % p) + p) % p
						if i >= n {
							i = p - i
						}
					}
				}
			}
			off += i * stride
			stride *= n
		}
		if inside {
			res[o] = x[off]
		} else {
			res[o] = value
		}
	}
	return res, out
}

func TestPadAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 90 {
		r := 1 + trial%3
		shape := make([]int, r)
		pads := make([][2]int, r)
		n := 1
		for k := range shape {
			shape[k] = 1 + rng.IntN(4)
			pads[k] = [2]int{rng.IntN(2*shape[k] + 2), rng.IntN(2*shape[k] + 2)}
			n *= shape[k]
		}
		mode := PadMode(trial / 3 % 3)
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = float64(rng.IntN(100))
		}
		want, out := refPad(vals, shape, pads, mode, -1)
		t.Run(fmt.Sprintf("%s %v %v", padModeName(mode), shape, pads), func(t *testing.T) {
			checkTensor(t, tcase{got: New(vals, shape...).Pad(pads, mode, -1), shape: out, want: want})
		})
	}
}

// TestConcatLong checks concatenations whose parts are long enough for blocks of the kernel to
// start in one part and end in another, along the first and a middle axis.
func TestConcatLong(t *testing.T) {
	part := func(seed, rows, cols int) ([]float32, *Tensor) {
		v := make([]float32, rows*cols)
		for i := range v {
			v[i] = float32(seed*100000 + i)
		}
		return v, New(v, rows, cols)
	}
	av, a := part(1, 3, 100)
	bv, b := part(2, 7, 100)
	cv, c := part(3, 2, 100)
	got, err := Data[float32](Concat(0, a, b, c))
	want := slices.Concat(av, bv, cv)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("rows: err %v, %v", err, firstDiff(got, want))
	}
	// Along the last axis: each row is a stretch of each part.
	got, err = Data[float32](Concat(1, a, b.Slice(0, 0, 3, 1).Slice(1, 0, 50, 1)))
	want = nil
	for r := range 3 {
		want = slices.Concat(want, av[r*100:(r+1)*100], bv[r*100:r*100+50])
	}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("columns: err %v, %v", err, firstDiff(got, want))
	}
	// Along the middle axis of [2, n, 100]: each part is a stretch of every outer slab.
	got, err = Data[float32](Concat(1, a.Reshape(1, 3, 100).Expand(2, 3, 100), b.Reshape(1, 7, 100).Expand(2, 7, 100)))
	want = slices.Concat(av, bv, av, bv)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("middle axis: err %v, %v", err, firstDiff(got, want))
	}
}

package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestLayerNorm(t *testing.T) {
	x := New([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	scale := New([]float64{1, 2, 0.5})
	bias := New([]float64{0, 1, -1})
	row := []float64{-1.2247356859083902, 1.0, -0.3876321570458049}
	checkCases(t, []tcase{
		{name: "last axis", got: x.LayerNorm(-1, scale, bias, 1e-5), shape: []int{2, 3},
			want: append(row, row...), tol: 1e-14, dtype: Float64},
		{name: "all axes, scalar scale, no bias", got: x.LayerNorm(0, Scalar[float64](2), nil, 0.1), shape: []int{2, 3},
			want: []float64{-2.8787658497487354, -1.7272595098492411, -0.575753169949747, 0.575753169949747, 1.7272595098492411, 2.8787658497487354},
			tol:  1e-14},
		{name: "float32", got: x.Cast(Float32).LayerNorm(1, scale.Cast(Float32), bias.Cast(Float32), 1e-5), shape: []int{2, 3},
			want: append(row, row...), tol: 1e-6, dtype: Float32},
		{name: "float16", got: x.Cast(Float16).LayerNorm(1, scale.Cast(Float16), bias.Cast(Float16), 1e-5), shape: []int{2, 3},
			want: append(row, row...), tol: 1e-3, dtype: Float16},
		{name: "scale broadcast over rows", got: ar(Float32, 2, 2, 2).LayerNorm(1, New([]float32{1, 2}, 1, 2), nil, 0), shape: []int{2, 2, 2},
			want: []float64{-1.3416407, -0.8944272, 0.4472136, 2.6832816, -1.3416407, -0.8944272, 0.4472136, 2.6832816}, tol: 1e-6},
		{name: "constant rows", got: Ones(Float32, 2, 2).LayerNorm(-1, Ones(Float32, 2), nil, 1e-5), shape: []int{2, 2},
			want: []float64{0, 0, 0, 0}},
		{name: "empty", got: Zeros(Float32, 0, 3).LayerNorm(-1, Ones(Float32, 3), nil, 1e-5), shape: []int{0, 3}, want: []float64{}},

		{name: "int", got: ar(Int32, 2, 3).LayerNorm(-1, Ones(Int32, 3), nil, 0), err: "float"},
		{name: "scale dtype", got: x.LayerNorm(-1, Ones(Float32, 3), nil, 0), err: "dtypes"},
		{name: "scale shape", got: x.LayerNorm(-1, Ones(Float64, 2), nil, 0), err: "does not broadcast"},
		{name: "scale too big", got: x.LayerNorm(-1, Ones(Float64, 2, 3), nil, 0), err: "does not broadcast"},
		{name: "bias shape", got: x.LayerNorm(-1, Ones(Float64, 3), Ones(Float64, 4), 0), err: "does not broadcast"},
		{name: "nil scale", got: x.LayerNorm(-1, nil, nil, 0), err: "nil tensor"},
		{name: "axis", got: x.LayerNorm(2, scale, nil, 0), err: "out of range"},
		{name: "scalar input", got: Scalar[float32](1).LayerNorm(0, Scalar[float32](1), nil, 0), err: "out of range"},
	})
}

func TestConv(t *testing.T) {
	xc := ar(Float64, 1, 1, 3, 3).Add(Scalar[float64](1))
	x2 := ar(Float64, 1, 2, 3, 5).Sub(Scalar[float64](10))
	w2 := ar(Float64, 3, 2, 2, 3).Div(Scalar[float64](10)).Sub(Scalar[float64](0.5))
	xg := ar(Float64, 1, 4, 2, 4)
	wg := New([]float64{1, -1, 2, 0.5, 0, 3, 1, 1, -2, 1, 1, 0}, 2, 2, 1, 3)
	xd := ar(Float32, 2, 3, 5)
	wd := New([]float32{1, 2, -1, 0.5, 0, -2}, 3, 1, 2)
	x3 := ar(Float64, 1, 2, 3, 3, 2)
	w3 := ar(Float64, 2, 2, 2, 2, 2).Div(Scalar[float64](8))
	const tol = 1e-12
	checkCases(t, []tcase{
		{name: "1x1 ones", got: ar(Float32, 1, 1, 4, 4).Conv(Ones(Float32, 1, 1, 2, 2), ConvOptions{}), shape: []int{1, 1, 3, 3},
			want: []float64{10, 14, 18, 26, 30, 34, 42, 46, 50}, dtype: Float32},
		{name: "asymmetric pads", got: xc.Conv(Ones(Float64, 1, 1, 2, 2), ConvOptions{Pads: []int{1, 1, 0, 0}}), shape: []int{1, 1, 3, 3},
			want: []float64{1, 3, 5, 5, 12, 16, 11, 24, 28}},
		{name: "channels", got: x2.Conv(w2, ConvOptions{}), shape: []int{1, 3, 2, 3}, tol: tol,
			want: []float64{32.9, 33.5, 34.1, 35.9, 36.5, 37.1, 47.3, 62.3, 77.3, 122.3, 137.3, 152.3, 61.7, 91.1, 120.5, 208.7, 238.1, 267.5}},
		{name: "strided and padded", got: x2.Conv(w2, ConvOptions{Strides: []int{1, 2}, Pads: []int{1, 0, 0, 1}}), shape: []int{1, 3, 3, 2}, tol: tol,
			want: []float64{12.1, 14.5, 32.9, 34.1, 35.9, 37.1, 1.3, 18.1, 47.3, 77.3, 122.3, 152.3, -9.5, 21.7, 61.7, 120.5, 208.7, 267.5}},
		{name: "dilated, sliced weights", got: x2.Conv(w2.Slice(3, 0, 2, 1), ConvOptions{Dilations: []int{2, 3}}), shape: []int{1, 3, 1, 2}, tol: tol,
			want: []float64{24.6, 24.6, 63.0, 72.6, 101.4, 120.6}},
		{name: "two groups", got: xg.Conv(wg, ConvOptions{Groups: 2}), shape: []int{1, 2, 2, 2},
			want: []float64{37, 42.5, 59, 64.5, 46, 48, 54, 56}},
		{name: "depthwise 1-D", got: xd.Conv(wd, ConvOptions{Groups: 3, Pads: []int{1, 0}}), shape: []int{2, 3, 5},
			want: []float64{0, 2, 5, 8, 11, 2.5, -2, -2.5, -3, -3.5, -20, -22, -24, -26, -28,
				30, 47, 50, 53, 56, 10, -9.5, -10, -10.5, -11, -50, -52, -54, -56, -58}},
		{name: "3-D", got: x3.Conv(w3, ConvOptions{Strides: []int{2, 1, 1}}), shape: []int{1, 2, 1, 2, 1},
			want: []float64{289, 319, 721, 815}},
		{name: "groups 1", got: xc.Conv(Ones(Float64, 1, 1, 3, 3), ConvOptions{Groups: 1}), shape: []int{1, 1, 1, 1}, want: []float64{45}},
		{name: "empty batch", got: Zeros(Float32, 0, 2, 4).Conv(Ones(Float32, 3, 2, 2), ConvOptions{}), shape: []int{0, 3, 3}, want: []float64{}},
		{name: "no channels", got: Zeros(Float32, 1, 0, 4).Conv(Ones(Float32, 2, 0, 2), ConvOptions{}), shape: []int{1, 2, 3},
			want: make([]float64, 6)},
		{name: "empty input padded", got: Zeros(Float32, 1, 1, 0).Conv(Ones(Float32, 1, 1, 1), ConvOptions{Pads: []int{1, 1}}),
			shape: []int{1, 1, 2}, want: []float64{0, 0}},
		{name: "float16", got: xc.Cast(Float16).Conv(Ones(Float16, 1, 1, 2, 2), ConvOptions{}), shape: []int{1, 1, 2, 2},
			want: []float64{12, 16, 24, 28}, dtype: Float16},

		{name: "rank", got: ar(Float32, 2, 3).Conv(ar(Float32, 2, 3), ConvOptions{}), err: "input shape [2 3]"},
		{name: "rank 6", got: ar(Float32, 1, 1, 1, 1, 1, 1).Conv(ar(Float32, 1, 1, 1, 1, 1, 1), ConvOptions{}), err: "Conv"},
		{name: "weight rank", got: xc.Conv(Ones(Float64, 1, 1, 2), ConvOptions{}), err: "weight shape"},
		{name: "dtype", got: xc.Conv(Ones(Float32, 1, 1, 2, 2), ConvOptions{}), err: "dtypes"},
		{name: "int", got: ar(Int32, 1, 1, 3).Conv(Ones(Int32, 1, 1, 2), ConvOptions{}), err: "float"},
		{name: "channels mismatch", got: x2.Conv(Ones(Float64, 1, 3, 1, 1), ConvOptions{}), err: "groups do not fit"},
		{name: "groups do not divide C", got: x2.Conv(Ones(Float64, 3, 1, 1, 1), ConvOptions{Groups: 3}), err: "groups do not fit"},
		{name: "groups do not divide O", got: xg.Conv(Ones(Float64, 3, 2, 1, 1), ConvOptions{Groups: 2}), err: "groups do not fit"},
		{name: "negative groups", got: xc.Conv(Ones(Float64, 1, 1, 1, 1), ConvOptions{Groups: -1}), err: "groups"},
		{name: "kernel too large", got: xc.Conv(Ones(Float64, 1, 1, 4, 1), ConvOptions{}), err: "does not fit"},
		{name: "dilated too large", got: xc.Conv(Ones(Float64, 1, 1, 2, 2), ConvOptions{Dilations: []int{3, 1}}), err: "does not fit"},
		{name: "empty kernel", got: xc.Conv(Ones(Float64, 1, 1, 0, 2), ConvOptions{}), err: "bad kernel"},
		{name: "strides length", got: xc.Conv(Ones(Float64, 1, 1, 2, 2), ConvOptions{Strides: []int{1}}), err: "strides"},
		{name: "zero stride", got: xc.Conv(Ones(Float64, 1, 1, 2, 2), ConvOptions{Strides: []int{1, 0}}), err: "bad kernel"},
		{name: "dilations length", got: xc.Conv(Ones(Float64, 1, 1, 2, 2), ConvOptions{Dilations: []int{1, 1, 1}}), err: "dilations"},
		{name: "pads length", got: xc.Conv(Ones(Float64, 1, 1, 2, 2), ConvOptions{Pads: []int{1, 1}}), err: "pads"},
		{name: "negative pad", got: xc.Conv(Ones(Float64, 1, 1, 2, 2), ConvOptions{Pads: []int{0, -1, 0, 0}}), err: "bad kernel"},
		{name: "huge dilation", got: xc.Conv(Ones(Float64, 1, 1, 2, 2), ConvOptions{Dilations: []int{math.MaxInt, 1}}), err: "Conv"},
		{name: "nil weights", got: xc.Conv(nil, ConvOptions{}), err: "nil tensor"},
		{name: "nil input", got: (*Tensor)(nil).Conv(xc, ConvOptions{}), err: "nil tensor"},
	})
}

func TestPools(t *testing.T) {
	x := ar(Float32, 1, 1, 4, 4)
	xn := ar(Float64, 1, 1, 3, 3).Add(Scalar[float64](1)).Neg()
	x1 := New([]float64{1, 5, 2, 8, 3, 9, 4}, 1, 1, 7)
	x3 := ar(Float64, 1, 1, 3, 3, 3)
	k3 := []int{3, 3}
	s2 := []int{2, 2}
	p1 := []int{1, 1, 1, 1}
	const tol = 1e-6
	checkCases(t, []tcase{
		{name: "max", got: x.MaxPool(PoolOptions{Kernel: []int{2, 2}, Strides: s2}), shape: []int{1, 1, 2, 2},
			want: []float64{5, 7, 13, 15}, dtype: Float32},
		{name: "max ceil", got: x.MaxPool(PoolOptions{Kernel: k3, Strides: s2, CeilMode: true}), shape: []int{1, 1, 2, 2},
			want: []float64{10, 11, 14, 15}},
		{name: "max floor", got: x.MaxPool(PoolOptions{Kernel: k3, Strides: s2}), shape: []int{1, 1, 1, 1}, want: []float64{10}},
		{name: "max padding never wins", got: xn.MaxPool(PoolOptions{Kernel: []int{2, 2}, Pads: p1}), shape: []int{1, 1, 4, 4},
			want: []float64{-1, -1, -2, -3, -1, -1, -2, -3, -4, -4, -5, -6, -7, -7, -8, -9}},
		{name: "max dilated 1-D", got: x1.MaxPool(PoolOptions{Kernel: []int{2}, Strides: []int{2}, Dilations: []int{2}}), shape: []int{1, 1, 3},
			want: []float64{2, 3, 4}},
		{name: "max ceil 1-D", got: x1.MaxPool(PoolOptions{Kernel: []int{2}, Strides: []int{3}, CeilMode: true}), shape: []int{1, 1, 3},
			want: []float64{5, 8, 4}},
		{name: "max 3-D", got: x3.MaxPool(PoolOptions{Kernel: []int{2, 2, 2}}), shape: []int{1, 1, 2, 2, 2},
			want: []float64{13, 14, 16, 17, 22, 23, 25, 26}},
		{name: "max NaN", got: New([]float32{1, float32(nan), 3, 4}, 1, 1, 4).MaxPool(PoolOptions{Kernel: []int{2}, Strides: []int{2}}),
			shape: []int{1, 1, 2}, want: []float64{nan, 4}},
		{name: "max -Inf input", got: New([]float64{negInf, negInf}, 1, 1, 2).MaxPool(PoolOptions{Kernel: []int{2}, Pads: []int{1, 0}}),
			shape: []int{1, 1, 2}, want: []float64{negInf, negInf}},
		{name: "max float16", got: x.Cast(Float16).MaxPool(PoolOptions{Kernel: []int{4, 4}}), shape: []int{1, 1, 1, 1},
			want: []float64{15}, dtype: Float16},
		{name: "max batch and channels", got: ar(Float32, 2, 3, 2).MaxPool(PoolOptions{Kernel: []int{2}}), shape: []int{2, 3, 1},
			want: []float64{1, 3, 5, 7, 9, 11}},
		{name: "max empty batch", got: Zeros(Float32, 0, 2, 3).MaxPool(PoolOptions{Kernel: []int{2}}), shape: []int{0, 2, 2}, want: []float64{}},

		{name: "avg", got: x.AvgPool(PoolOptions{Kernel: []int{2, 2}, Strides: s2}), shape: []int{1, 1, 2, 2},
			want: []float64{2.5, 4.5, 10.5, 12.5}},
		{name: "avg pads excluded", got: x.AvgPool(PoolOptions{Kernel: k3, Strides: s2, Pads: p1}), shape: []int{1, 1, 2, 2},
			want: []float64{2.5, 4, 8.5, 10}},
		{name: "avg pads included", got: x.AvgPool(PoolOptions{Kernel: k3, Strides: s2, Pads: p1, CountIncludePad: true}), shape: []int{1, 1, 2, 2},
			want: []float64{1.1111111111111112, 2.6666666666666665, 5.666666666666667, 10}, tol: tol},
		{name: "avg ceil pads included", got: x.AvgPool(PoolOptions{Kernel: k3, Strides: s2, Pads: p1, CeilMode: true, CountIncludePad: true}),
			shape: []int{1, 1, 3, 3}, tol: tol,
			want: []float64{1.1111111111111112, 2.6666666666666665, 1.6666666666666667, 5.666666666666667, 10.0, 5.5, 4.166666666666667, 7.0, 3.75}},
		{name: "avg ceil pads excluded", got: x.AvgPool(PoolOptions{Kernel: k3, Strides: s2, Pads: p1, CeilMode: true}),
			shape: []int{1, 1, 3, 3}, want: []float64{2.5, 4, 5, 8.5, 10, 11, 12.5, 14, 15}},
		{name: "avg ceil 1-D", got: x1.AvgPool(PoolOptions{Kernel: []int{2}, Strides: []int{3}, CeilMode: true}), shape: []int{1, 1, 3},
			want: []float64{3, 5.5, 4}},
		{name: "avg dilated", got: x.AvgPool(PoolOptions{Kernel: []int{2, 2}, Dilations: []int{2, 2}}), shape: []int{1, 1, 2, 2},
			want: []float64{5, 6, 9, 10}},
		{name: "avg 3-D end pads", got: x3.AvgPool(PoolOptions{Kernel: []int{2, 2, 2}, Strides: []int{2, 2, 2}, Pads: []int{0, 0, 0, 1, 1, 1}}),
			shape: []int{1, 1, 2, 2, 2}, want: []float64{6.5, 8, 11, 12.5, 20, 21.5, 24.5, 26}},
		{name: "avg window of padding only", got: New([]float32{4}, 1, 1, 1).AvgPool(PoolOptions{Kernel: []int{1}, Pads: []int{1, 0}}),
			shape: []int{1, 1, 2}, want: []float64{nan, 4}},

		{name: "kernel rank", got: x.MaxPool(PoolOptions{Kernel: []int{2}}), err: "does not fit input shape"},
		{name: "no kernel", got: x.AvgPool(PoolOptions{}), err: "kernel []"},
		{name: "int", got: ar(Int32, 1, 1, 4).MaxPool(PoolOptions{Kernel: []int{2}}), err: "float"},
		{name: "kernel too large", got: x.MaxPool(PoolOptions{Kernel: []int{5, 1}}), err: "does not fit"},
		{name: "zero kernel", got: x.AvgPool(PoolOptions{Kernel: []int{0, 1}}), err: "bad kernel"},
		{name: "strides", got: x.AvgPool(PoolOptions{Kernel: []int{2, 2}, Strides: []int{1}}), err: "strides"},
		{name: "pads", got: x.MaxPool(PoolOptions{Kernel: []int{2, 2}, Pads: []int{1, 1, 1}}), err: "pads"},
		{name: "nil", got: (*Tensor)(nil).MaxPool(PoolOptions{Kernel: []int{1}}), err: "nil tensor"},
		{name: "invalid", got: invalid().AvgPool(PoolOptions{Kernel: []int{1}}), err: "New"},
	})
}

// refWindow is the direct definition of the sliding windows: it calls fn with the input
// index of each window element along every spatial axis (ok false where it is padding),
// and the index relative to the padded extent (inPad false past the explicit pads).
func refOut(in, k, s, d, pb, pe int, ceil bool) int {
	span := in + pb + pe - ((k-1)*d + 1)
	if !ceil {
		return span/s + 1
	}
	n := (span+s-1)/s + 1
	if (n-1)*s >= in+pb {
		n--
	}
	return n
}

// refConvPool computes Conv (w != nil), MaxPool or AvgPool of x directly from the ONNX
// definitions, in float64.
func refConvPool(x []float64, xs []int, w []float64, ws []int, kernel, s, d, pads []int, groups int, op string, ceil, cip bool) ([]float64, []int) {
	nsp := len(xs) - 2
	n, c := xs[0], xs[1]
	oc := c
	if w != nil {
		oc = ws[0]
	}
	shape := []int{n, oc}
	for a := range nsp {
		shape = append(shape, refOut(xs[2+a], kernel[a], s[a], d[a], pads[a], pads[nsp+a], ceil))
	}
	total := 1
	for _, v := range shape {
		total *= v
	}
	out := make([]float64, total)
	kn := 1
	for _, v := range kernel {
		kn *= v
	}
	idx := make([]int, nsp)
	for o := range out {
		rem := o
		pos := make([]int, nsp)
		for a := nsp - 1; a >= 0; a-- {
			pos[a] = rem % shape[2+a]
			rem /= shape[2+a]
		}
		ch := rem % oc
		b := rem / oc
		cg, og := c/groups, oc/groups
		chans := []int{ch}
		if w != nil {
			chans = chans[:0]
			for i := range cg {
				chans = append(chans, ch/og*cg+i)
			}
		}
		acc, m, count := 0.0, math.Inf(-1), 0
		for ci, xc := range chans {
			for kk := range kn {
				r := kk
				inside, padded := true, true
				koff := make([]int, nsp)
				for a := nsp - 1; a >= 0; a-- {
					koff[a] = r % kernel[a]
					r /= kernel[a]
					idx[a] = pos[a]*s[a] - pads[a] + koff[a]*d[a]
					if idx[a] < 0 || idx[a] >= xs[2+a] {
						inside = false
					}
					if idx[a] < -pads[a] || idx[a] >= xs[2+a]+pads[nsp+a] {
						padded = false
					}
				}
				if inside || (cip && padded) {
					count++
				}
				if !inside {
					continue
				}
				off := b*c + xc
				for a := range nsp {
					off = off*xs[2+a] + idx[a]
				}
				v := x[off]
				if w != nil {
					woff := ch*cg + ci
					for a := range nsp {
						woff = woff*kernel[a] + koff[a]
					}
					acc += v * w[woff]
				} else {
					acc += v
					if v > m || math.IsNaN(v) {
						m = v
					}
				}
			}
		}
		switch op {
		case "Conv":
			out[o] = acc
		case "MaxPool":
			out[o] = m
		default:
			out[o] = acc / float64(count)
		}
	}
	return out, shape
}

// TestWindowsAgainstReference compares Conv and the pools with the direct definition over
// many random geometries: ranks 1 to 3, strides, dilations, asymmetric pads, groups, ceil
// mode and count_include_pad.
func TestWindowsAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 66 {
		nsp := 1 + trial%3
		// The last trials take 1-D kernels longer than maxShifted, which read windows.
		long := trial >= 60
		if long {
			nsp = 1
		}
		n, g := 1+rng.IntN(2), 1+rng.IntN(2)
		c := g * (1 + rng.IntN(2))
		oc := g * (1 + rng.IntN(2))
		xs := []int{n, c}
		kernel, s, d := make([]int, nsp), make([]int, nsp), make([]int, nsp)
		pads := make([]int, 2*nsp)
		for a := range nsp {
			kernel[a] = 1 + rng.IntN(3)
			if long {
				kernel[a] = maxShifted + 1 + rng.IntN(4)
			}
			s[a] = 1 + rng.IntN(3)
			d[a] = 1 + rng.IntN(2)
			pads[a] = rng.IntN(kernel[a])
			pads[nsp+a] = rng.IntN(kernel[a])
			xs = append(xs, (kernel[a]-1)*d[a]+1+rng.IntN(4))
		}
		ceil, cip := rng.IntN(2) == 0, rng.IntN(2) == 0
		numel := 1
		for _, v := range xs {
			numel *= v
		}
		xv := make([]float64, numel)
		for i := range xv {
			xv[i] = math.Round(rng.NormFloat64()*8) / 4
		}
		ws := append([]int{oc, c / g}, kernel...)
		wn := oc * c / g
		for _, v := range kernel {
			wn *= v
		}
		wv := make([]float64, wn)
		for i := range wv {
			wv[i] = math.Round(rng.NormFloat64()*8) / 4
		}
		x, w := New(xv, xs...), New(wv, ws...)
		desc := fmt.Sprintf("x %v w %v kernel %v strides %v dilations %v pads %v groups %d ceil %v cip %v", xs, ws, kernel, s, d, pads, g, ceil, cip)

		want, shape := refConvPool(xv, xs, wv, ws, kernel, s, d, pads, g, "Conv", false, false)
		t.Run(fmt.Sprintf("conv %d", trial), func(t *testing.T) {
			t.Log(desc)
			checkTensor(t, tcase{got: x.Conv(w, ConvOptions{Strides: s, Dilations: d, Pads: pads, Groups: g}), shape: shape, want: want, tol: 1e-12})
		})
		want, shape = refConvPool(xv, xs, nil, nil, kernel, s, d, pads, 1, "MaxPool", ceil, false)
		// The maximum of -0 and +0 may be either (IEEE 754 leaves it open): adding +0 to
		// both sides compares the zeros as equal.
		for i := range want {
			want[i] += 0
		}
		t.Run(fmt.Sprintf("maxpool %d", trial), func(t *testing.T) {
			t.Log(desc)
			got := x.MaxPool(PoolOptions{Kernel: kernel, Strides: s, Dilations: d, Pads: pads, CeilMode: ceil})
			checkTensor(t, tcase{got: got.Add(Scalar(0.0)), shape: shape, want: want})
		})
		want, shape = refConvPool(xv, xs, nil, nil, kernel, s, d, pads, 1, "AvgPool", ceil, cip)
		t.Run(fmt.Sprintf("avgpool %d", trial), func(t *testing.T) {
			t.Log(desc)
			checkTensor(t, tcase{got: x.AvgPool(PoolOptions{Kernel: kernel, Strides: s, Dilations: d, Pads: pads, CeilMode: ceil, CountIncludePad: cip}),
				shape: shape, want: want, tol: 1e-12})
		})
	}
}

// TestDepthwiseBits checks a Float32 depthwise convolution against the sum it lowers to, in
// its order, bit for bit: term k is float32(x shifted · w_k), zero outside the input (so
// 0·w, -0 for a negative weight and NaN for an infinite one), added to the sum of the terms
// before it. The images are large enough that the CPU device reads each shifted window's
// planes where they lie, each plane times its channel's weight.
func TestDepthwiseBits(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, c := range []struct {
		n, ch, h, w, k, pad int
	}{{2, 4, 19, 23, 3, 1}, {1, 3, 16, 16, 5, 2}, {1, 2, 9, 40, 3, 0}} {
		xs := make([]float32, c.n*c.ch*c.h*c.w)
		for i := range xs {
			xs[i] = float32(r.NormFloat64())
			if r.IntN(10) == 0 {
				xs[i] = 0
			}
		}
		ws := make([]float32, c.ch*c.k*c.k)
		for i := range ws {
			ws[i] = float32(r.NormFloat64())
		}
		ws[len(ws)-1] = float32(math.Inf(1)) // NaN from 0·Inf at the padding
		oh, ow := c.h+2*c.pad-c.k+1, c.w+2*c.pad-c.k+1
		got, err := Data[float32](New(xs, c.n, c.ch, c.h, c.w).Conv(New(ws, c.ch, 1, c.k, c.k),
			ConvOptions{Groups: c.ch, Pads: []int{c.pad, c.pad, c.pad, c.pad}}))
		if err != nil {
			t.Fatal(err)
		}
		for b := range c.n {
			for g := range c.ch {
				for i := range oh {
					for j := range ow {
						var y float32
						for k := range c.k * c.k {
							ii, jj := i+k/c.k-c.pad, j+k%c.k-c.pad
							var x float32
							if ii >= 0 && ii < c.h && jj >= 0 && jj < c.w {
								x = xs[((b*c.ch+g)*c.h+ii)*c.w+jj]
							}
							term := float32(x * ws[g*c.k*c.k+k])
							if k == 0 {
								y = term
							} else {
								y = float32(y + term)
							}
						}
						at := ((b*c.ch+g)*oh+i)*ow + j
						if v := got[at]; math.Float32bits(v) != math.Float32bits(y) && !(v != v && y != y) {
							t.Fatalf("%+v: [%d %d %d %d] = %g (%#x), want %g (%#x)", c, b, g, i, j, v, math.Float32bits(v), y, math.Float32bits(y))
						}
					}
				}
			}
		}
	}
}

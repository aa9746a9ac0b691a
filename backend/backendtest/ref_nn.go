package backendtest

import (
	"fmt"
	"math"
)

// refLayerNorm is ONNX LayerNormalization: over the axes [axis, rank) it computes
// y = (x - mean) / sqrt(var + eps) * scale + bias with the population variance; scale and
// bias (bias may be nil) broadcast to the normalized part a.shape[axis:]. axis is in
// [-rank, rank). All operands must share one float dtype.
func refLayerNorm(a *refArray, axis int, scale, bias *refArray, eps float64) (*refArray, error) {
	ax, err := refNormAxis("LayerNorm", axis, a.rank(), a.shape)
	if err != nil {
		return nil, err
	}
	if !a.dt.isFloat() {
		return nil, fmt.Errorf("LayerNorm: dtype %v is not a float type (shape %v)", a.dt, a.shape)
	}
	norm := a.shape[ax:]
	params := []*refArray{scale}
	if bias != nil {
		params = append(params, bias)
	}
	for _, p := range params {
		if p.dt != a.dt {
			return nil, fmt.Errorf("LayerNorm: dtypes %v and %v differ (shapes %v and %v)", a.dt, p.dt, a.shape, p.shape)
		}
		s, err := refBroadcastShapes(p.shape, norm)
		if err != nil || !refSameShape(s, norm) {
			return nil, fmt.Errorf("LayerNorm: parameter shape %v does not broadcast to %v (input shape %v)", p.shape, norm, a.shape)
		}
	}
	m := refNumel(norm)
	outer := refNumel(a.shape[:ax])
	out := refZeros(a.dt, a.shape...)
	for o := 0; o < outer; o++ {
		x := a.data[o*m : (o+1)*m]
		mean := 0.0
		for _, v := range x {
			mean += v
		}
		mean /= float64(m)
		variance := 0.0
		for _, v := range x {
			variance += (v - mean) * (v - mean)
		}
		variance /= float64(m)
		inv := 1 / math.Sqrt(variance+eps)
		for i, v := range x {
			pidx := refUnravel(i, norm)
			y := (v - mean) * inv * scale.at(refBroadcastIndex(pidx, scale.shape))
			if bias != nil {
				y += bias.at(refBroadcastIndex(pidx, bias.shape))
			}
			out.data[o*m+i] = refRoundResult(a.dt, y)
		}
	}
	return out, nil
}

// refWindowOpts validates and defaults the spatial options shared by Conv and the pools:
// nsp spatial axes; strides and dilations nil means all 1 (else nsp values >= 1); pads nil
// means 0 (else 2*nsp values >= 0, all begins then all ends).
func refWindowOpts(op string, shape []int, nsp int, strides, dilations, pads []int) (s, d, pb, pe []int, err error) {
	s, d, pb, pe = make([]int, nsp), make([]int, nsp), make([]int, nsp), make([]int, nsp)
	for i := 0; i < nsp; i++ {
		s[i], d[i] = 1, 1
	}
	if strides != nil {
		if len(strides) != nsp {
			return nil, nil, nil, nil, fmt.Errorf("%s: %d strides %v for %d spatial axes (shape %v)", op, len(strides), strides, nsp, shape)
		}
		copy(s, strides)
	}
	if dilations != nil {
		if len(dilations) != nsp {
			return nil, nil, nil, nil, fmt.Errorf("%s: %d dilations %v for %d spatial axes (shape %v)", op, len(dilations), dilations, nsp, shape)
		}
		copy(d, dilations)
	}
	if pads != nil {
		if len(pads) != 2*nsp {
			return nil, nil, nil, nil, fmt.Errorf("%s: %d pads %v for %d spatial axes (shape %v)", op, len(pads), pads, nsp, shape)
		}
		copy(pb, pads[:nsp])
		copy(pe, pads[nsp:])
	}
	for i := 0; i < nsp; i++ {
		if s[i] < 1 || d[i] < 1 || pb[i] < 0 || pe[i] < 0 {
			return nil, nil, nil, nil, fmt.Errorf("%s: bad strides %v, dilations %v or pads %v (shape %v)", op, strides, dilations, pads, shape)
		}
	}
	return s, d, pb, pe, nil
}

// refWindowCount is the number of output positions of a sliding window along one axis:
// floor((in + pb + pe - ((k-1)*d+1)) / s) + 1, or with ceil the ceiling, dropping a last
// window that would start past the input and left padding (in the right padding), which is
// the PyTorch and ONNX rule. A window larger than the padded input is an error (ok=false).
func refWindowCount(in, k, s, d, pb, pe int, ceil bool) (int, bool) {
	span := in + pb + pe - ((k-1)*d + 1)
	if span < 0 {
		return 0, false
	}
	if !ceil {
		return span/s + 1, true
	}
	n := (span+s-1)/s + 1
	if (n-1)*s >= in+pb {
		n--
	}
	return n, true
}

// refConv is ONNX Conv without bias: x is [N, C, spatial...] with 1 to 3 spatial axes, w is
// [O, C/groups, kernel...]; groups 0 means 1, and C and O must be multiples of groups.
// Output position p along a spatial axis reads input p*stride - padBegin + k*dilation.
// Float dtypes only, shared by x and w.
func refConv(x, w *refArray, strides, dilations, pads []int, groups int) (*refArray, error) {
	if groups == 0 {
		groups = 1
	}
	nsp := x.rank() - 2
	if nsp < 1 || nsp > 3 || w.rank() != x.rank() {
		return nil, fmt.Errorf("Conv: input shape %v and weight shape %v (need [N, C, 1 to 3 spatial] and [O, C/groups, kernel])", x.shape, w.shape)
	}
	if x.dt != w.dt || !x.dt.isFloat() {
		return nil, fmt.Errorf("Conv: dtypes %v and %v (shapes %v and %v); need one float dtype", x.dt, w.dt, x.shape, w.shape)
	}
	n, c, o := x.shape[0], x.shape[1], w.shape[0]
	if groups < 0 || c%groups != 0 || o%groups != 0 || w.shape[1] != c/groups {
		return nil, fmt.Errorf("Conv: %d groups do not fit input shape %v and weight shape %v", groups, x.shape, w.shape)
	}
	s, d, pb, pe, err := refWindowOpts("Conv", x.shape, nsp, strides, dilations, pads)
	if err != nil {
		return nil, err
	}
	kernel := w.shape[2:]
	outShape := []int{n, o}
	for i := 0; i < nsp; i++ {
		cnt, ok := refWindowCount(x.shape[2+i], kernel[i], s[i], d[i], pb[i], pe[i], false)
		if !ok || kernel[i] < 1 {
			return nil, fmt.Errorf("Conv: kernel of weight shape %v does not fit input shape %v with pads %v and dilations %v", w.shape, x.shape, pads, dilations)
		}
		outShape = append(outShape, cnt)
	}
	cg, og := c/groups, o/groups
	xi := make([]int, x.rank())
	wi := make([]int, w.rank())
	return refBuild(x.dt, outShape, func(idx []int) float64 {
		b, oc := idx[0], idx[1]
		g := oc / og
		sum := 0.0
		for ic := 0; ic < cg; ic++ {
			refForEachIndex(kernel, func(k []int) {
				xi[0], xi[1] = b, g*cg+ic
				for i := 0; i < nsp; i++ {
					p := idx[2+i]*s[i] - pb[i] + k[i]*d[i]
					if p < 0 || p >= x.shape[2+i] {
						return // padding contributes 0
					}
					xi[2+i] = p
				}
				wi[0], wi[1] = oc, ic
				copy(wi[2:], k)
				sum += x.at(xi) * w.at(wi)
			})
		}
		return refRoundResult(x.dt, sum)
	}), nil
}

// refPoolSetup validates pooling arguments and returns the defaulted options and the
// output shape.
func refPoolSetup(op string, x *refArray, kernel, strides, dilations, pads []int, ceil bool) (s, d, pb, pe, outShape []int, err error) {
	nsp := len(kernel)
	if nsp < 1 || nsp > 3 || x.rank() != nsp+2 {
		return nil, nil, nil, nil, nil, fmt.Errorf("%s: kernel %v does not fit input shape %v (need [N, C, 1 to 3 spatial])", op, kernel, x.shape)
	}
	if !x.dt.isFloat() {
		return nil, nil, nil, nil, nil, fmt.Errorf("%s: dtype %v is not a float type (shape %v)", op, x.dt, x.shape)
	}
	s, d, pb, pe, err = refWindowOpts(op, x.shape, nsp, strides, dilations, pads)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	outShape = []int{x.shape[0], x.shape[1]}
	for i := 0; i < nsp; i++ {
		cnt, ok := refWindowCount(x.shape[2+i], kernel[i], s[i], d[i], pb[i], pe[i], ceil)
		if !ok || kernel[i] < 1 {
			return nil, nil, nil, nil, nil, fmt.Errorf("%s: kernel %v does not fit input shape %v with pads %v and dilations %v", op, kernel, x.shape, pads, dilations)
		}
		outShape = append(outShape, cnt)
	}
	return s, d, pb, pe, outShape, nil
}

// refMaxPool is ONNX MaxPool: the maximum over each window, ignoring padding (a window with
// no input element gives -Inf). NaN propagates. Output size as refWindowCount.
func refMaxPool(x *refArray, kernel, strides, dilations, pads []int, ceilMode bool) (*refArray, error) {
	s, d, pb, _, outShape, err := refPoolSetup("MaxPool", x, kernel, strides, dilations, pads, ceilMode)
	if err != nil {
		return nil, err
	}
	nsp := len(kernel)
	xi := make([]int, x.rank())
	return refBuild(x.dt, outShape, func(idx []int) float64 {
		m := math.Inf(-1)
		refForEachIndex(kernel, func(k []int) {
			xi[0], xi[1] = idx[0], idx[1]
			for i := 0; i < nsp; i++ {
				p := idx[2+i]*s[i] - pb[i] + k[i]*d[i]
				if p < 0 || p >= x.shape[2+i] {
					return
				}
				xi[2+i] = p
			}
			m = refBinaryFloat("Maximum", m, x.at(xi))
		})
		return refRoundResult(x.dt, m)
	}), nil
}

// refAvgPool is ONNX AveragePool without dilation; see refAvgPoolDilated.
func refAvgPool(x *refArray, kernel, strides, pads []int, ceilMode, countIncludePad bool) (*refArray, error) {
	return refAvgPoolDilated(x, kernel, strides, nil, pads, ceilMode, countIncludePad)
}

// refAvgPoolDilated is ONNX AveragePool: the sum of the input elements of each window
// divided by their number, or with countIncludePad by the number of window positions inside
// the explicitly padded extent [-padBegin, in+padEnd) (a ceil-mode window that reaches past
// the padded end counts only up to it, as PyTorch). A window with nothing to count gives
// NaN. Output size as refWindowCount.
func refAvgPoolDilated(x *refArray, kernel, strides, dilations, pads []int, ceilMode, countIncludePad bool) (*refArray, error) {
	s, d, pb, pe, outShape, err := refPoolSetup("AvgPool", x, kernel, strides, dilations, pads, ceilMode)
	if err != nil {
		return nil, err
	}
	nsp := len(kernel)
	xi := make([]int, x.rank())
	return refBuild(x.dt, outShape, func(idx []int) float64 {
		sum, count := 0.0, 0
		refForEachIndex(kernel, func(k []int) {
			inside, padded := true, true
			xi[0], xi[1] = idx[0], idx[1]
			for i := 0; i < nsp; i++ {
				p := idx[2+i]*s[i] - pb[i] + k[i]*d[i]
				if p < 0 || p >= x.shape[2+i] {
					inside = false
				}
				if p < -pb[i] || p >= x.shape[2+i]+pe[i] {
					padded = false
				}
				xi[2+i] = p
			}
			if inside {
				sum += x.at(xi)
			}
			if inside || (countIncludePad && padded) {
				count++
			}
		})
		return refRoundResult(x.dt, sum/float64(count))
	}), nil
}

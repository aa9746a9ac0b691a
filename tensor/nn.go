package tensor

import (
	"fmt"
	"math"
	"slices"

	"github.com/crossbar-compute/crossbar/graph"
)

// ConvOptions are the attributes of Conv (ONNX Conv).
type ConvOptions struct {
	Strides, Dilations []int // nil: all 1
	Pads               []int // ONNX order: all begins, then all ends; nil: 0
	Groups             int   // 0 or 1: ungrouped
}

// PoolOptions are the attributes of MaxPool and AvgPool (ONNX).
type PoolOptions struct {
	Kernel, Strides, Dilations, Pads []int // Strides nil: all 1; Pads as in ConvOptions
	CeilMode, CountIncludePad        bool
}

// LayerNorm normalizes t over the axes [axis, rank) (ONNX LayerNormalization): with the mean
// and the population variance of those axes it computes (t-mean)/sqrt(var+eps)*scale + bias.
// scale and bias (bias may be nil) must share t's float dtype and broadcast to
// t.shape[axis:]. Float16 and BFloat16 inputs are normalized in float32 and rounded once.
//
// On a device that computes layer normalizations (backend.Capabilities.LayerNorm: the CPU,
// CUDA and GL devices), it is one kernel: each block of the normalized axes read from memory
// once, its mean, variance, normalization, scale and bias computed while it is in cache (on
// a GPU, by one workgroup per block). Elsewhere it is three: the mean, the variance, and the
// result, each computing t - mean from t.
func (t *Tensor) LayerNorm(axis int, scale, bias *Tensor, eps float64) *Tensor {
	const op = "LayerNorm"
	if err := t.needFloat(op); err != nil {
		return fail(err)
	}
	params := []*Tensor{scale}
	if bias != nil {
		params = append(params, bias)
	}
	if err := check(op, params...); err != nil {
		return fail(err)
	}
	shape := t.node.Shape
	r := len(shape)
	ax, err := normAxis(op, axis, r, shape)
	if err != nil {
		return fail(err)
	}
	norm := shape[ax:]
	for _, p := range params {
		if p.node.DType != t.node.DType {
			return failf(op, "dtypes %v and %v differ (shapes %v and %v)", t.node.DType, p.node.DType, shape, p.node.Shape)
		}
		if s, ok := broadcastShape(p.node.Shape, norm); !ok || !slices.Equal(s, norm) {
			return failf(op, "parameter shape %v does not broadcast to %v (input shape %v, axis %d)", p.node.Shape, norm, shape, axis)
		}
	}
	dt := t.node.DType
	wide := dt
	if dt == Float16 || dt == BFloat16 {
		wide = Float32
	}
	axes := make([]int, 0, r-ax)
	for a := ax; a < r; a++ {
		axes = append(axes, a)
	}
	if t.dev.Capabilities().LayerNorm {
		n, err := graph.LayerNorm(t.Cast(wide).node, ax, eps)
		y := wrap(op, t.dev, n, err).Mul(scale.Cast(wide))
		if bias != nil {
			y = y.Add(bias.Cast(wide))
		}
		return y.Cast(dt)
	}
	count := float64(graph.NumElements(norm))
	// The widened input and t - mean are built once for each kernel that reads them, so
	// that each computes them from t: three passes over t (mean, variance, result) rather
	// than each written out and read again. (The variance's square reads its one t - mean
	// twice: computed once, in the variance's kernel.)
	mean := t.Cast(wide).reduceKeep(op, graph.OpSum, axes)
	mean = mean.Div(mean.scalarLike(count))
	centered := func() *Tensor { return t.Cast(wide).Sub(mean) }
	d := centered()
	v := d.Mul(d).reduceKeep(op, graph.OpSum, axes)
	v = v.Div(v.scalarLike(count))
	y := centered().Div(v.Add(v.scalarLike(eps)).Sqrt()).Mul(scale.Cast(wide))
	if bias != nil {
		y = y.Add(bias.Cast(wide))
	}
	return y.Cast(dt)
}

// window is the geometry of a sliding window over the spatial axes of [N, C, spatial...].
type window struct {
	kernel, strides, dilations []int
	padBegin, padEnd           []int // the explicit pads
	extra                      []int // ceil mode: padding past padEnd that the last window reaches
	out                        []int // output positions per axis
}

// newWindow validates strides, dilations and pads (nil means 1, 1 and 0) for the kernel
// over the spatial dimensions in, and counts the output positions: floor((in + pads -
// ((k-1)*d+1)) / s) + 1, or in ceil mode the ceiling, less a last window that would start
// past the input and the left padding (the ONNX and PyTorch rule).
func newWindow(op string, in, kernel, strides, dilations, pads []int, ceil bool) (*window, error) {
	nsp := len(kernel)
	bad := func(format string, args ...any) (*window, error) {
		return nil, fmt.Errorf("%s: %w: %s", op, ErrInvalid, fmt.Sprintf(format, args...))
	}
	w := &window{kernel: kernel, strides: slices.Repeat([]int{1}, nsp), dilations: slices.Repeat([]int{1}, nsp),
		padBegin: make([]int, nsp), padEnd: make([]int, nsp), extra: make([]int, nsp), out: make([]int, nsp)}
	if strides != nil {
		if len(strides) != nsp {
			return bad("%d strides %v for %d spatial axes (spatial shape %v)", len(strides), strides, nsp, in)
		}
		copy(w.strides, strides)
	}
	if dilations != nil {
		if len(dilations) != nsp {
			return bad("%d dilations %v for %d spatial axes (spatial shape %v)", len(dilations), dilations, nsp, in)
		}
		copy(w.dilations, dilations)
	}
	if pads != nil {
		if len(pads) != 2*nsp {
			return bad("%d pads %v for %d spatial axes (spatial shape %v)", len(pads), pads, nsp, in)
		}
		copy(w.padBegin, pads[:nsp])
		copy(w.padEnd, pads[nsp:])
	}
	const limit = 1 << 40 // keeps every product below in int range
	for i := range nsp {
		k, s, d, pb, pe := kernel[i], w.strides[i], w.dilations[i], w.padBegin[i], w.padEnd[i]
		if s < 1 || d < 1 || pb < 0 || pe < 0 || k < 1 || s > limit || d > limit || pb > limit || pe > limit || k > limit {
			return bad("bad kernel %v, strides %v, dilations %v or pads %v (spatial shape %v)", kernel, strides, dilations, pads, in)
		}
		if in[i] > graph.MaxElements || (k-1) > limit/d || k > graph.MaxElements/(in[i]+pb+pe+d) {
			return bad("kernel %v with dilations %v is too large for spatial shape %v with pads %v", kernel, dilations, in, pads)
		}
		span := in[i] + pb + pe - ((k-1)*d + 1)
		if span < 0 {
			return bad("kernel %v with dilations %v does not fit spatial shape %v with pads %v", kernel, dilations, in, pads)
		}
		n := span/s + 1
		if ceil {
			n = (span+s-1)/s + 1
			if (n-1)*s >= in[i]+pb {
				n--
			}
		}
		w.out[i] = n
		w.extra[i] = max(0, (n-1)*s+(k-1)*d+1-(in[i]+pb+pe))
	}
	return w, nil
}

// pads are the Pad arguments for [N, C, spatial...]: the explicit pads plus the ceil-mode
// extra at the end.
func (w *window) pads() [][2]int {
	p := make([][2]int, 2, 2+len(w.kernel))
	for i := range w.kernel {
		p = append(p, [2]int{w.padBegin[i], w.padEnd[i] + w.extra[i]})
	}
	return p
}

// windows views the padded x [N, C, in...] as [N, C, k1, o1, k2, o2, ...], whose element
// [n, c, k1, o1, ...] is x[n, c, o1*s1 + k1*d1, ...].
//
// Along an axis of length i with kernel k > 1, x is repeated r = ceil(k*(i+d)/i) times; the
// first k*(i+d) elements, read as [k, i+d], hold x[(k'*d + j) mod i] at [k', j], and the
// columns j = o*s that the windows need never wrap. So one copy of the repeated input (about
// k times its size) is the only data movement: the rest are views.
func (w *window) windows(x *Tensor) *Tensor {
	if x.err != nil {
		return x
	}
	nsp := len(w.kernel)
	in := x.node.Shape[2:]
	reps := []int{1, 1}
	keep := make([]int, nsp)  // elements kept along each repeated axis
	inner := make([]int, nsp) // their row length
	for a := range nsp {
		k, d, i := w.kernel[a], w.dilations[a], in[a]
		if k == 1 {
			reps = append(reps, 1)
			keep[a], inner[a] = i, i
			continue
		}
		reps = append(reps, (k*(i+d)+i-1)/i)
		keep[a], inner[a] = k*(i+d), i+d
	}
	y := x.Tile(reps...)
	split := []int{x.node.Shape[0], x.node.Shape[1]}
	for a := range nsp {
		y = y.Slice(2+a, 0, keep[a], 1)
		split = append(split, w.kernel[a], inner[a])
	}
	y = y.Reshape(split...)
	for a := range nsp {
		y = y.Slice(3+2*a, 0, (w.out[a]-1)*w.strides[a]+1, w.strides[a])
	}
	return y
}

// kernelAxes are the axes of windows' result that run over the kernel.
func (w *window) kernelAxes() []int {
	ax := make([]int, len(w.kernel))
	for a := range ax {
		ax[a] = 2 + 2*a
	}
	return ax
}

// maxShifted is the largest kernel (the product of its extents) that Conv and the pools read
// as one shifted view of the input per kernel position (see shifted): a 3x3 pool is then one
// elementwise kernel of 9 loads, a 7x7 depthwise convolution one of 49, and a convolution's
// columns one copy. Larger kernels read windows, whose one copy costs the same for any
// kernel.
const maxShifted = 64

// shifted returns, for each kernel position (row-major over the kernel), the view of the
// padded x [N, C, in...] whose element [n, c, o1, ...] is x[n, c, o1*s1 + k1*d1, ...]: what
// every output position reads at that kernel position.
func (w *window) shifted(x *Tensor) []*Tensor {
	nsp := len(w.kernel)
	pos := make([]int, nsp)
	out := make([]*Tensor, 0, graph.NumElements(w.kernel))
	for range graph.NumElements(w.kernel) {
		y := x
		for a := range nsp {
			start := pos[a] * w.dilations[a]
			y = y.Slice(2+a, start, start+(w.out[a]-1)*w.strides[a]+1, w.strides[a])
		}
		out = append(out, y)
		for a := nsp - 1; a >= 0; a-- {
			if pos[a]++; pos[a] < w.kernel[a] {
				break
			}
			pos[a] = 0
		}
	}
	return out
}

// widened is t in Float32 when it is Float16 or BFloat16, so that sums over a kernel's
// positions round once, as a reduction's accumulator does; narrow casts the result back.
func widened(t *Tensor) (wide *Tensor, narrow func(*Tensor) *Tensor) {
	if dt := t.node.DType; dt == Float16 || dt == BFloat16 {
		return t.Cast(Float32), func(y *Tensor) *Tensor { return y.Cast(dt) }
	}
	return t, func(y *Tensor) *Tensor { return y }
}

// Conv is ONNX Conv without bias: t is [N, C, spatial...] with 1 to 3 spatial axes, w is
// [O, C/groups, kernel...] of t's float dtype; output position p along a spatial axis reads
// the input at p*stride - padBegin + k*dilation. Groups 0 means 1; C and O must be multiples
// of the groups. It lowers to im2col (the shifted views of the input stacked, or for kernels
// larger than maxShifted a view of the input repeated once, see windows) and one batched
// MatMul per image and group; a depthwise convolution (one input channel a group) to a sum
// over the kernel's positions of the shifted input times the weight.
func (t *Tensor) Conv(w *Tensor, o ConvOptions) *Tensor {
	const op = "Conv"
	if err := check(op, t, w); err != nil {
		return fail(err)
	}
	xs, ws := t.node.Shape, w.node.Shape
	nsp := len(xs) - 2
	if nsp < 1 || nsp > 3 || len(ws) != len(xs) {
		return failf(op, "input shape %v and weight shape %v (need [N, C, 1 to 3 spatial] and [O, C/groups, kernel...])", xs, ws)
	}
	if t.node.DType != w.node.DType || !t.node.DType.IsFloat() {
		return failf(op, "dtypes %v and %v (shapes %v and %v); need one float dtype", t.node.DType, w.node.DType, xs, ws)
	}
	g := o.Groups
	if g == 0 {
		g = 1
	}
	n, c, oc := xs[0], xs[1], ws[0]
	if g < 0 || c%g != 0 || oc%g != 0 || ws[1] != c/g {
		return failf(op, "%d groups do not fit input shape %v and weight shape %v", o.Groups, xs, ws)
	}
	win, err := newWindow(op, xs[2:], ws[2:], o.Strides, o.Dilations, o.Pads, false)
	if err != nil {
		return fail(err)
	}
	if w.dev != t.dev {
		w = w.To(t.dev)
	}
	kprod := graph.NumElements(ws[2:])
	lprod := graph.NumElements(win.out)
	outShape := append([]int{n, oc}, win.out...)
	if kprod <= maxShifted && c == g {
		// Depthwise: y[n, g, m] = sum over positions k of x_k[n, g] * w[g, m, k].
		x, narrow := widened(t)
		wk, _ := widened(w)
		wk = wk.Reshape(g, oc/g, kprod)
		unit := slices.Repeat([]int{1}, nsp)
		var y *Tensor
		for k, xk := range win.shifted(x.Pad(win.pads(), PadConstant, 0)) {
			term := xk.Reshape(append([]int{n, g, 1}, win.out...)...).
				Mul(wk.Slice(2, k, k+1, 1).Reshape(append([]int{1, g, oc / g}, unit...)...))
			if y == nil {
				y = term
			} else {
				y = y.Add(term)
			}
		}
		return narrow(y.Reshape(outShape...))
	}
	var cols *Tensor
	if kprod <= maxShifted {
		// [N, C, K, o1, o2, ...]: the shifted views stacked, one copy.
		sh := win.shifted(t.Pad(win.pads(), PadConstant, 0))
		for k := range sh {
			sh[k] = sh[k].Unsqueeze(2)
		}
		cols = Concat(2, sh...)
		if len(sh) > 1 {
			cols.transient() // a new node that only the product reads
		}
	} else {
		// [N, C, k1, o1, ...] -> [N, C, k1, k2, ..., o1, o2, ...]
		cols = win.windows(t.Pad(win.pads(), PadConstant, 0))
		perm := []int{0, 1}
		for a := range nsp {
			perm = append(perm, 2+2*a)
		}
		for a := range nsp {
			perm = append(perm, 3+2*a)
		}
		cols = cols.Permute(perm...)
	}
	cols = cols.Reshape(n, g, c/g*kprod, lprod)
	y := w.Reshape(g, oc/g, c/g*kprod).MatMul(cols)
	return y.Reshape(outShape...)
}

// poolWindow validates the pooling arguments for t.
func (t *Tensor) poolWindow(op string, o PoolOptions) (*window, error) {
	if err := check(op, t); err != nil {
		return nil, err
	}
	xs := t.node.Shape
	nsp := len(o.Kernel)
	if nsp < 1 || nsp > 3 || len(xs) != nsp+2 {
		return nil, fmt.Errorf("%s: %w: kernel %v does not fit input shape %v (need [N, C, 1 to 3 spatial])", op, ErrInvalid, o.Kernel, xs)
	}
	if err := t.needFloat(op); err != nil {
		return nil, err
	}
	return newWindow(op, xs[2:], o.Kernel, o.Strides, o.Dilations, o.Pads, o.CeilMode)
}

// MaxPool is ONNX MaxPool over t [N, C, spatial...] (1 to 3 spatial axes, float): the
// maximum of each window, where padding never wins (a window of padding only gives -Inf)
// and NaN propagates. CeilMode rounds the output size up, keeping a last window only if it
// starts inside the input or the left padding.
func (t *Tensor) MaxPool(o PoolOptions) *Tensor {
	win, err := t.poolWindow("MaxPool", o)
	if err != nil {
		return fail(err)
	}
	x := t.Pad(win.pads(), PadConstant, math.Inf(-1))
	if graph.NumElements(o.Kernel) <= maxShifted {
		sh := win.shifted(x)
		y := sh[0]
		for _, xk := range sh[1:] {
			y = y.Maximum(xk)
		}
		return y
	}
	ax := win.kernelAxes()
	return win.windows(x).reduceKeep("MaxPool", graph.OpReduceMax, ax).dropAxes("MaxPool", ax)
}

// AvgPool is ONNX AveragePool over t [N, C, spatial...] (1 to 3 spatial axes, float): the
// sum of each window's input elements divided by their number, or with CountIncludePad by
// the number of window positions inside the explicitly padded extent (not the ceil-mode
// extra). A window with nothing to count gives NaN. Dilations are honoured.
func (t *Tensor) AvgPool(o PoolOptions) *Tensor {
	const op = "AvgPool"
	win, err := t.poolWindow(op, o)
	if err != nil {
		return fail(err)
	}
	ax := win.kernelAxes()
	// poolSum sums x's windows: over the shifted views (widened, so the sum rounds once) for a
	// small kernel, with the kernel axes kept as units so the division below applies alike.
	poolSum := func(x *Tensor) *Tensor {
		if graph.NumElements(o.Kernel) > maxShifted {
			return win.windows(x).reduceKeep(op, graph.OpSum, ax)
		}
		wide, narrow := widened(x)
		var y *Tensor
		for _, xk := range win.shifted(wide) {
			if y == nil {
				y = xk
			} else {
				y = y.Add(xk)
			}
		}
		return narrow(y).Unsqueeze(ax...)
	}
	sum := poolSum(t.Pad(win.pads(), PadConstant, 0))
	if err := check(op, sum); err != nil {
		return fail(err)
	}
	xs := t.node.Shape
	nsp := len(o.Kernel)
	padded := false
	for a := range nsp {
		padded = padded || win.padBegin[a] > 0 || win.padEnd[a] > 0 || win.extra[a] > 0
	}
	var count *Tensor
	if !padded {
		count = sum.scalarLike(float64(graph.NumElements(o.Kernel)))
	} else {
		// Count the positions that take part by pooling a mask of ones: ones over the input,
		// or with CountIncludePad over the input and its explicit pads.
		ones := []int{1, 1}
		pads := [][2]int{{}, {}}
		for a := range nsp {
			if o.CountIncludePad {
				ones = append(ones, xs[2+a]+win.padBegin[a]+win.padEnd[a])
				pads = append(pads, [2]int{0, win.extra[a]})
			} else {
				ones = append(ones, xs[2+a])
				pads = append(pads, [2]int{win.padBegin[a], win.padEnd[a] + win.extra[a]})
			}
		}
		mask := constant(op, t.dev, 1, t.node.DType, ones).Pad(pads, PadConstant, 0)
		count = poolSum(mask)
	}
	// Divide before dropping the kernel axes, so that the division fuses into the sum's
	// kernel.
	return sum.Div(count).dropAxes(op, ax)
}

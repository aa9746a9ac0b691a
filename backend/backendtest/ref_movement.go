package backendtest

import "fmt"

// Pad modes, with the values of tensor.PadMode.
const (
	refPadConstant = 0
	refPadReflect  = 1
	refPadEdge     = 2
)

// refReshape is numpy.reshape (row-major). One dimension may be -1 and is inferred; any other
// negative dimension, a second -1, a -1 that cannot be inferred (the other dimensions
// multiply to 0) and a size mismatch are errors.
func refReshape(a *refArray, shape ...int) (*refArray, error) {
	out := append([]int{}, shape...)
	infer, known := -1, 1
	for i, d := range out {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			return nil, fmt.Errorf("Reshape: bad target shape %v for shape %v", shape, a.shape)
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || a.size()%known != 0 {
			return nil, fmt.Errorf("Reshape: cannot infer -1 in %v for shape %v", shape, a.shape)
		}
		out[infer] = a.size() / known
	}
	if refNumel(out) != a.size() {
		return nil, fmt.Errorf("Reshape: cannot reshape shape %v (%d elements) into %v", a.shape, a.size(), shape)
	}
	return &refArray{shape: out, data: append([]float64{}, a.data...), dt: a.dt}, nil
}

// refPermute is numpy.transpose(a, axes): output axis i is input axis axes[i]. The axes must
// be a permutation of the rank (negative allowed).
func refPermute(a *refArray, axes ...int) (*refArray, error) {
	if len(axes) != a.rank() {
		return nil, fmt.Errorf("Permute: %d axes %v for shape %v", len(axes), axes, a.shape)
	}
	perm, err := refNormAxes("Permute", axes, a.rank(), a.shape)
	if err != nil {
		return nil, err
	}
	shape := make([]int, len(perm))
	for i, p := range perm {
		shape[i] = a.shape[p]
	}
	in := make([]int, a.rank())
	return refBuild(a.dt, shape, func(idx []int) float64 {
		for i, p := range perm {
			in[p] = idx[i]
		}
		return a.at(in)
	}), nil
}

// refTranspose reverses all axes, like NumPy's .T.
func refTranspose(a *refArray) *refArray {
	axes := make([]int, a.rank())
	for i := range axes {
		axes[i] = a.rank() - 1 - i
	}
	out, err := refPermute(a, axes...)
	if err != nil {
		panic(err) // cannot happen: axes is a permutation
	}
	return out
}

// refExpand is numpy.broadcast_to(a, shape): shape has at least a's rank, and each of a's
// dimensions (right-aligned) equals the target or is 1.
func refExpand(a *refArray, shape ...int) (*refArray, error) {
	if len(shape) < a.rank() {
		return nil, fmt.Errorf("Expand: cannot broadcast shape %v to %v", a.shape, shape)
	}
	lead := len(shape) - a.rank()
	for i, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("Expand: negative dimension in %v (shape %v)", shape, a.shape)
		}
		if i >= lead && a.shape[i-lead] != d && a.shape[i-lead] != 1 {
			return nil, fmt.Errorf("Expand: cannot broadcast shape %v to %v", a.shape, shape)
		}
	}
	return refBuild(a.dt, shape, func(idx []int) float64 {
		return a.at(refBroadcastIndex(idx, a.shape))
	}), nil
}

// refSqueeze removes the given size-1 axes, or with no axes every size-1 axis. Squeezing
// an axis whose size is not 1, a repeated axis or one out of range is an error.
func refSqueeze(a *refArray, axes ...int) (*refArray, error) {
	drop := make([]bool, a.rank())
	if len(axes) == 0 {
		for i, d := range a.shape {
			drop[i] = d == 1
		}
	} else {
		norm, err := refNormAxes("Squeeze", axes, a.rank(), a.shape)
		if err != nil {
			return nil, err
		}
		for _, ax := range norm {
			if a.shape[ax] != 1 {
				return nil, fmt.Errorf("Squeeze: axis %d of shape %v has size %d, not 1", ax, a.shape, a.shape[ax])
			}
			drop[ax] = true
		}
	}
	shape := []int{}
	for i, d := range a.shape {
		if !drop[i] {
			shape = append(shape, d)
		}
	}
	return &refArray{shape: shape, data: append([]float64{}, a.data...), dt: a.dt}, nil
}

// refUnsqueeze inserts size-1 axes at the given positions of the output (rank + len(axes)),
// like numpy.expand_dims; negative positions count from the end of the output.
func refUnsqueeze(a *refArray, axes ...int) (*refArray, error) {
	r := a.rank() + len(axes)
	outShape := make([]int, r)
	norm, err := refNormAxes("Unsqueeze", axes, r, a.shape)
	if err != nil {
		return nil, fmt.Errorf("%w (axes index the output, of rank %d)", err, r)
	}
	ins := make([]bool, r)
	for _, ax := range norm {
		ins[ax] = true
	}
	j := 0
	for i := range outShape {
		if ins[i] {
			outShape[i] = 1
		} else {
			outShape[i] = a.shape[j]
			j++
		}
	}
	return &refArray{shape: outShape, data: append([]float64{}, a.data...), dt: a.dt}, nil
}

// refFlatten is ONNX Flatten: a 2-D array (prod(dims[:axis]), prod(dims[axis:])); axis is
// in [-rank, rank].
func refFlatten(a *refArray, axis int) (*refArray, error) {
	r := a.rank()
	if axis < -r || axis > r {
		return nil, fmt.Errorf("Flatten: axis %d out of range for shape %v", axis, a.shape)
	}
	if axis < 0 {
		axis += r
	}
	return refReshape(a, refNumel(a.shape[:axis]), refNumel(a.shape[axis:]))
}

// refSliceRange is Python's slice(start, stop, step).indices(n) followed by range(): it
// returns the first index and the count of taken indices. step must not be 0.
func refSliceRange(n, start, stop, step int) (first, count int) {
	if step > 0 {
		clamp := func(i int) int {
			if i < 0 {
				i += n
				if i < 0 {
					i = 0
				}
			} else if i > n {
				i = n
			}
			return i
		}
		start, stop = clamp(start), clamp(stop)
		if step > n+1 {
			step = n + 1 // takes at most one element either way; avoids overflow below
		}
		if stop > start {
			count = (stop-start-1)/step + 1
		}
		return start, count
	}
	clamp := func(i int) int {
		if i < 0 {
			i += n
			if i < 0 {
				i = -1
			}
		} else if i >= n {
			i = n - 1
		}
		return i
	}
	start, stop = clamp(start), clamp(stop)
	if step < -(n + 1) {
		step = -(n + 1)
	}
	if start > stop {
		count = (start-stop-1)/(-step) + 1
	}
	return start, count
}

// refSlice is a[..., start:stop:step, ...] on one axis with exactly Python's slice
// semantics: negative indices count from the end, out-of-range bounds clamp, a negative
// step walks backwards. "None" is expressed with a bound beyond the end (math.MaxInt for
// a stop with a positive step, math.MinInt for a stop with a negative step). step 0 is an
// error.
func refSlice(a *refArray, axis, start, stop, step int) (*refArray, error) {
	ax, err := refNormAxis("Slice", axis, a.rank(), a.shape)
	if err != nil {
		return nil, err
	}
	if step == 0 {
		return nil, fmt.Errorf("Slice: step 0 on axis %d of shape %v", axis, a.shape)
	}
	first, count := refSliceRange(a.shape[ax], start, stop, step)
	shape := append([]int{}, a.shape...)
	shape[ax] = count
	in := make([]int, a.rank())
	return refBuild(a.dt, shape, func(idx []int) float64 {
		copy(in, idx)
		in[ax] = first + idx[ax]*step
		return a.at(in)
	}), nil
}

// refFlip reverses the given axes (no axes: all axes). Repeated axes are an error.
func refFlip(a *refArray, axes ...int) (*refArray, error) {
	if len(axes) == 0 {
		axes = make([]int, a.rank())
		for i := range axes {
			axes[i] = i
		}
	}
	norm, err := refNormAxes("Flip", axes, a.rank(), a.shape)
	if err != nil {
		return nil, err
	}
	flip := make([]bool, a.rank())
	for _, ax := range norm {
		flip[ax] = true
	}
	in := make([]int, a.rank())
	return refBuild(a.dt, a.shape, func(idx []int) float64 {
		for i, v := range idx {
			in[i] = v
			if flip[i] {
				in[i] = a.shape[i] - 1 - v
			}
		}
		return a.at(in)
	}), nil
}

// refTile is numpy.tile(a, reps): reps shorter than the rank is padded with leading 1s; a
// rank shorter than reps gets leading size-1 axes. Negative reps are an error.
func refTile(a *refArray, reps ...int) (*refArray, error) {
	for _, r := range reps {
		if r < 0 {
			return nil, fmt.Errorf("Tile: negative repetition in %v for shape %v", reps, a.shape)
		}
	}
	d := max(len(reps), a.rank())
	rp := make([]int, d)
	src := make([]int, d)
	for i := range rp {
		rp[i], src[i] = 1, 1
		if j := i - (d - len(reps)); j >= 0 {
			rp[i] = reps[j]
		}
		if j := i - (d - a.rank()); j >= 0 {
			src[i] = a.shape[j]
		}
	}
	shape := make([]int, d)
	for i := range shape {
		shape[i] = src[i] * rp[i]
	}
	in := make([]int, d)
	pa := &refArray{shape: src, data: a.data, dt: a.dt}
	return refBuild(a.dt, shape, func(idx []int) float64 {
		for i, v := range idx {
			in[i] = v % src[i]
		}
		return pa.at(in)
	}), nil
}

// refPadIndex maps a position i of a padded axis (i < 0 in the leading pad, i >= n in the
// trailing pad) to the input index it copies, for PadReflect and PadEdge.
func refPadIndex(i, n, mode int) int {
	if mode == refPadEdge {
		return min(max(i, 0), n-1)
	}
	// numpy 'reflect': mirror about the edge elements without repeating them, as many
	// times as needed, i.e. periodic with period 2(n-1).
	if n == 1 {
		return 0
	}
	p := 2 * (n - 1)
	j := ((i % p) + p) % p
	if j >= n {
		j = p - j
	}
	return j
}

// refPad is numpy.pad(a, pads, mode): pads has one (before, after) pair per axis, each
// non-negative. mode refPadConstant fills with value (converted to a's dtype);
// refPadReflect mirrors without repeating the edge (numpy 'reflect', repeating the
// reflection when a pad exceeds the axis); refPadEdge repeats the edge. Padding an empty
// axis in reflect or edge mode is an error, as in numpy.
func refPad(a *refArray, pads [][2]int, mode int, value float64) (*refArray, error) {
	if len(pads) != a.rank() {
		return nil, fmt.Errorf("Pad: %d pad pairs for shape %v", len(pads), a.shape)
	}
	if mode != refPadConstant && mode != refPadReflect && mode != refPadEdge {
		return nil, fmt.Errorf("Pad: unknown mode %d (shape %v)", mode, a.shape)
	}
	shape := make([]int, a.rank())
	for i, p := range pads {
		if p[0] < 0 || p[1] < 0 {
			return nil, fmt.Errorf("Pad: negative pads %v for shape %v", pads, a.shape)
		}
		if mode != refPadConstant && a.shape[i] == 0 && p[0]+p[1] > 0 {
			return nil, fmt.Errorf("Pad: cannot pad empty axis %d of shape %v in mode %d", i, a.shape, mode)
		}
		shape[i] = a.shape[i] + p[0] + p[1]
	}
	fill := refConvert(a.dt, value)
	in := make([]int, a.rank())
	return refBuild(a.dt, shape, func(idx []int) float64 {
		for i, v := range idx {
			j := v - pads[i][0]
			if j < 0 || j >= a.shape[i] {
				if mode == refPadConstant {
					return fill
				}
				j = refPadIndex(j, a.shape[i], mode)
			}
			in[i] = j
		}
		return a.at(in)
	}), nil
}

// refConcat is numpy.concatenate(arrays, axis): at least one array, all of one dtype and
// rank (not 0), equal in every dimension but axis.
func refConcat(axis int, arrays ...*refArray) (*refArray, error) {
	if len(arrays) == 0 {
		return nil, fmt.Errorf("Concat: no arrays")
	}
	shapes := make([][]int, len(arrays))
	for i, t := range arrays {
		shapes[i] = t.shape
	}
	first := arrays[0]
	if first.rank() == 0 {
		return nil, fmt.Errorf("Concat: rank-0 arrays cannot be concatenated (shapes %v)", shapes)
	}
	ax, err := refNormAxis("Concat", axis, first.rank(), first.shape)
	if err != nil {
		return nil, err
	}
	shape := append([]int{}, first.shape...)
	shape[ax] = 0
	for _, t := range arrays {
		if t.dt != first.dt {
			return nil, fmt.Errorf("Concat: dtypes %v and %v differ (shapes %v)", first.dt, t.dt, shapes)
		}
		if t.rank() != first.rank() {
			return nil, fmt.Errorf("Concat: ranks differ (shapes %v)", shapes)
		}
		for i := range t.shape {
			if i != ax && t.shape[i] != first.shape[i] {
				return nil, fmt.Errorf("Concat: shapes %v differ outside axis %d", shapes, axis)
			}
		}
		shape[ax] += t.shape[ax]
	}
	in := make([]int, len(shape))
	return refBuild(first.dt, shape, func(idx []int) float64 {
		copy(in, idx)
		for _, t := range arrays {
			if in[ax] < t.shape[ax] {
				return t.at(in)
			}
			in[ax] -= t.shape[ax]
		}
		panic("refConcat: index past the end")
	}), nil
}

// refSplit cuts a along axis into consecutive pieces of the given sizes, which must be
// non-negative and sum to the axis length (no sizes is an error).
func refSplit(a *refArray, axis int, sizes ...int) ([]*refArray, error) {
	ax, err := refNormAxis("Split", axis, a.rank(), a.shape)
	if err != nil {
		return nil, err
	}
	if len(sizes) == 0 {
		return nil, fmt.Errorf("Split: no sizes for axis %d of shape %v", axis, a.shape)
	}
	total := 0
	for _, s := range sizes {
		if s < 0 {
			return nil, fmt.Errorf("Split: negative size in %v for shape %v", sizes, a.shape)
		}
		total += s
	}
	if total != a.shape[ax] {
		return nil, fmt.Errorf("Split: sizes %v do not sum to axis %d of shape %v", sizes, axis, a.shape)
	}
	var out []*refArray
	start := 0
	for _, s := range sizes {
		p, err := refSlice(a, ax, start, start+s, 1)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
		start += s
	}
	return out, nil
}

// refGather is numpy.take(a, idx, axis): the result's shape is a.shape[:axis] + idx.shape +
// a.shape[axis+1:]. idx must have an integer dtype; negative indices wrap once; indices
// outside [-n, n) are an error.
func refGather(a *refArray, axis int, idx *refArray) (*refArray, error) {
	ax, err := refNormAxis("Gather", axis, a.rank(), a.shape)
	if err != nil {
		return nil, err
	}
	if !idx.dt.isInt() {
		return nil, fmt.Errorf("Gather: indices of dtype %v (shape %v) for shape %v", idx.dt, idx.shape, a.shape)
	}
	n := a.shape[ax]
	for _, v := range idx.data {
		if int(v) < -n || int(v) >= n {
			return nil, fmt.Errorf("Gather: index %d out of range for axis %d of shape %v (indices shape %v)", int(v), axis, a.shape, idx.shape)
		}
	}
	shape := append(append(append([]int{}, a.shape[:ax]...), idx.shape...), a.shape[ax+1:]...)
	in := make([]int, a.rank())
	return refBuild(a.dt, shape, func(o []int) float64 {
		copy(in[:ax], o[:ax])
		i := int(idx.at(o[ax : ax+idx.rank()]))
		if i < 0 {
			i += n
		}
		in[ax] = i
		copy(in[ax+1:], o[ax+idx.rank():])
		return a.at(in)
	}), nil
}

// refTriu is numpy.triu(a, k) over the last two axes: keeps (i, j) with j - i >= k and
// zeroes the rest. Rank below 2 is an error.
func refTriu(a *refArray, k int) (*refArray, error) { return refTri("Triu", a, k) }

// refTril is numpy.tril(a, k): keeps (i, j) with j - i <= k.
func refTril(a *refArray, k int) (*refArray, error) { return refTri("Tril", a, k) }

func refTri(op string, a *refArray, k int) (*refArray, error) {
	r := a.rank()
	if r < 2 {
		return nil, fmt.Errorf("%s: shape %v has rank below 2", op, a.shape)
	}
	return refBuild(a.dt, a.shape, func(idx []int) float64 {
		i, j := idx[r-2], idx[r-1]
		keep := j-i >= k
		if op == "Tril" {
			keep = j-i <= k
		}
		if keep {
			return a.at(idx)
		}
		return 0
	}), nil
}

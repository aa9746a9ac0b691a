package backendtest

import (
	"fmt"
	"math"
)

// refReduceDType is the result dtype of a reduction of an array of type dt:
// Sum and Prod of Bool, Uint8 and Int32 give Int64 (NumPy's and PyTorch's promotion; a
// Bool sum is a count); Mean and LogSumExp of Bool and integers give Float64 (NumPy);
// otherwise the input type.
func refReduceDType(op string, dt refDType) refDType {
	switch op {
	case "Sum", "Prod":
		if !dt.isFloat() {
			return refInt64
		}
	case "Mean", "LogSumExp":
		if !dt.isFloat() {
			return refFloat64
		}
	}
	return dt
}

// refReduce reduces a over axes with "Sum", "Prod", "Max", "Min", "Mean" or "LogSumExp".
// Axes may be negative; no axes means all axes; reduced axes are removed. Duplicate or
// out-of-range axes are errors, and so is Max or Min of an empty reduction. Sum of nothing
// is 0, Prod 1, Mean NaN, LogSumExp -Inf. Max and Min propagate NaN. Float results are
// accumulated in float64 and rounded once; integer results are exact and wrap.
func refReduce(op string, a *refArray, axes []int) (*refArray, error) {
	switch op {
	case "Sum", "Prod", "Max", "Min", "Mean", "LogSumExp":
	default:
		return nil, fmt.Errorf("refReduce: unknown op %q", op)
	}
	r := a.rank()
	if len(axes) == 0 {
		axes = make([]int, r)
		for i := range axes {
			axes[i] = i
		}
	}
	norm, err := refNormAxes(op, axes, r, a.shape)
	if err != nil {
		return nil, err
	}
	reduced := make([]bool, r)
	for _, ax := range norm {
		reduced[ax] = true
	}
	var outShape []int
	for i, d := range a.shape {
		if !reduced[i] {
			outShape = append(outShape, d)
		}
	}
	outShape = append([]int{}, outShape...) // rank 0 is []int{}, not nil

	// Collect, for every output element, the input values that reduce into it, in
	// row-major input order.
	groups := make([][]float64, refNumel(outShape))
	refForEachIndex(a.shape, func(idx []int) {
		var oidx []int
		for i, v := range idx {
			if !reduced[i] {
				oidx = append(oidx, v)
			}
		}
		o := refOffset(append([]int{}, oidx...), outShape)
		groups[o] = append(groups[o], a.at(idx))
	})

	outDT := refReduceDType(op, a.dt)
	out := refZeros(outDT, outShape...)
	for o, g := range groups {
		if len(g) == 0 && (op == "Max" || op == "Min") {
			return nil, fmt.Errorf("%s: empty reduction over axes %v of shape %v", op, axes, a.shape)
		}
		out.data[o] = refReduceValues(op, a.dt, outDT, g)
	}
	return out, nil
}

// refReduceValues reduces one group of values of type dt into a value of type outDT.
func refReduceValues(op string, dt, outDT refDType, g []float64) float64 {
	if !dt.isFloat() && (op == "Sum" || op == "Prod" || op == "Max" || op == "Min") {
		var acc int64
		switch op {
		case "Sum":
			for _, x := range g {
				acc += int64(x)
			}
		case "Prod":
			acc = 1
			for _, x := range g {
				acc *= int64(x)
			}
		case "Max":
			acc = int64(g[0])
			for _, x := range g {
				acc = max(acc, int64(x))
			}
		case "Min":
			acc = int64(g[0])
			for _, x := range g {
				acc = min(acc, int64(x))
			}
		}
		return float64(refWrapInt(outDT, acc))
	}
	var v float64
	switch op {
	case "Sum":
		for _, x := range g {
			v += x
		}
	case "Prod":
		v = 1
		for _, x := range g {
			v *= x
		}
	case "Max", "Min":
		v = g[0]
		for _, x := range g {
			v = refBinaryFloat(map[string]string{"Max": "Maximum", "Min": "Minimum"}[op], v, x)
		}
	case "Mean":
		for _, x := range g {
			v += x
		}
		v /= float64(len(g)) // 0/0 = NaN for an empty group
	case "LogSumExp":
		v = refLogSumExp(g)
	}
	return refRoundResult(outDT, v)
}

// refLogSumExp is log(sum(exp(x))) computed as m + log(sum(exp(x-m))) with m = max(x).
// NaN anywhere gives NaN; an infinite maximum is the result (-Inf also for no values).
func refLogSumExp(g []float64) float64 {
	m := math.Inf(-1)
	for _, x := range g {
		if math.IsNaN(x) {
			return x
		}
		m = math.Max(m, x)
	}
	if math.IsInf(m, 0) {
		return m
	}
	s := 0.0
	for _, x := range g {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}

// refAxisLines calls f once per position of the axes other than axis, with the flat
// offsets of the elements along axis (in order) and the flat offset of that position in
// the shape with axis removed.
func refAxisLines(shape []int, axis int, f func(line []int, outer int)) {
	before := refNumel(shape[:axis])
	n := shape[axis]
	after := refNumel(shape[axis+1:])
	line := make([]int, n)
	for o := 0; o < before; o++ {
		for in := 0; in < after; in++ {
			for k := 0; k < n; k++ {
				line[k] = (o*n+k)*after + in
			}
			f(line, o*after+in)
		}
	}
}

// refRemoveAxis returns shape without axis.
func refRemoveAxis(shape []int, axis int) []int {
	out := append([]int{}, shape[:axis]...)
	return append(out, shape[axis+1:]...)
}

// refArgMax is numpy.argmax(a, axis): Int64, the first occurrence of the maximum; a NaN
// counts as the maximum (the index of the first NaN). An empty axis is an error.
func refArgMax(a *refArray, axis int) (*refArray, error) { return refArg("ArgMax", a, axis) }

// refArgMin is numpy.argmin(a, axis), like refArgMax.
func refArgMin(a *refArray, axis int) (*refArray, error) { return refArg("ArgMin", a, axis) }

func refArg(op string, a *refArray, axis int) (*refArray, error) {
	ax, err := refNormAxis(op, axis, a.rank(), a.shape)
	if err != nil {
		return nil, err
	}
	outShape := refRemoveAxis(a.shape, ax)
	if a.shape[ax] == 0 && refNumel(outShape) > 0 {
		return nil, fmt.Errorf("%s: axis %d of shape %v is empty", op, axis, a.shape)
	}
	out := refZeros(refInt64, outShape...)
	refAxisLines(a.shape, ax, func(line []int, o int) {
		best := 0
		for k, off := range line {
			x, b := a.data[off], a.data[line[best]]
			if math.IsNaN(b) {
				break
			}
			if math.IsNaN(x) || (op == "ArgMax" && x > b) || (op == "ArgMin" && x < b) {
				best = k
			}
		}
		out.data[o] = float64(best)
	})
	return out, nil
}

// refSoftmax is exp(x-max)/sum(exp(x-max)) along axis. Integer and Bool inputs give
// Float64; float inputs keep their type (rounded once).
func refSoftmax(a *refArray, axis int) (*refArray, error) { return refSoftmaxOp("Softmax", a, axis) }

// refLogSoftmax is (x-max) - log(sum(exp(x-max))) along axis.
func refLogSoftmax(a *refArray, axis int) (*refArray, error) {
	return refSoftmaxOp("LogSoftmax", a, axis)
}

func refSoftmaxOp(op string, a *refArray, axis int) (*refArray, error) {
	ax, err := refNormAxis(op, axis, a.rank(), a.shape)
	if err != nil {
		return nil, err
	}
	outDT := a.dt
	if !outDT.isFloat() {
		outDT = refFloat64
	}
	out := refZeros(outDT, a.shape...)
	refAxisLines(a.shape, ax, func(line []int, _ int) {
		m := math.Inf(-1)
		for _, off := range line {
			m = refBinaryFloat("Maximum", m, a.data[off])
		}
		s := 0.0
		for _, off := range line {
			s += math.Exp(a.data[off] - m)
		}
		for _, off := range line {
			var y float64
			if op == "Softmax" {
				y = math.Exp(a.data[off]-m) / s
			} else {
				y = a.data[off] - m - math.Log(s)
			}
			out.data[off] = refRoundResult(outDT, y)
		}
	})
	return out, nil
}

// refCumSum is ONNX CumSum along axis: inclusive by default; exclusive leaves out the
// element itself (the first output is 0); reverse sums from the end. Bool gives Int64;
// other types keep theirs (integers exact and wrapping; floats summed in float64 and
// rounded per output).
func refCumSum(a *refArray, axis int, exclusive, reverse bool) (*refArray, error) {
	ax, err := refNormAxis("CumSum", axis, a.rank(), a.shape)
	if err != nil {
		return nil, err
	}
	outDT := a.dt
	if outDT == refBool {
		outDT = refInt64
	}
	out := refZeros(outDT, a.shape...)
	refAxisLines(a.shape, ax, func(line []int, _ int) {
		n := len(line)
		for k := 0; k < n; k++ {
			// Sum the elements j that precede k in the direction of summation.
			var fs float64
			var is int64
			for j := 0; j < n; j++ {
				in := j <= k
				if reverse {
					in = j >= k
				}
				if exclusive && j == k {
					in = false
				}
				if in {
					fs += a.data[line[j]]
					is += int64(a.data[line[j]])
				}
			}
			if outDT.isFloat() {
				out.data[line[k]] = refRoundResult(outDT, fs)
			} else {
				out.data[line[k]] = float64(refWrapInt(outDT, is))
			}
		}
	})
	return out, nil
}

// refMatMul is numpy.matmul: a 1-D first operand is promoted to a row (1, n) and a 1-D
// second operand to a column (n, 1), the added axis being removed from the result; the
// batch axes (all but the last two) broadcast. Sums accumulate in float64 (exactly, in
// int64, for integers; Bool is logical or of ands). Rank-0 operands are an error.
func refMatMul(a, b *refArray) (*refArray, error) {
	if a.dt != b.dt {
		return nil, fmt.Errorf("MatMul: dtypes %v and %v differ (shapes %v and %v)", a.dt, b.dt, a.shape, b.shape)
	}
	if a.rank() == 0 || b.rank() == 0 {
		return nil, fmt.Errorf("MatMul: rank-0 operand (shapes %v and %v)", a.shape, b.shape)
	}
	as, bs := append([]int{}, a.shape...), append([]int{}, b.shape...)
	rowA, colB := len(as) == 1, len(bs) == 1
	if rowA {
		as = []int{1, as[0]}
	}
	if colB {
		bs = []int{bs[0], 1}
	}
	m, k, k2, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-2], bs[len(bs)-1]
	if k != k2 {
		return nil, fmt.Errorf("MatMul: inner dimensions differ (shapes %v and %v)", a.shape, b.shape)
	}
	batchA, batchB := as[:len(as)-2], bs[:len(bs)-2]
	batch, err := refBroadcastShapes(batchA, batchB)
	if err != nil {
		return nil, fmt.Errorf("MatMul: batch %w (shapes %v and %v)", err, a.shape, b.shape)
	}
	pa := &refArray{shape: as, data: a.data, dt: a.dt}
	pb := &refArray{shape: bs, data: b.data, dt: b.dt}
	full := append(append([]int{}, batch...), m, n)
	out := refBuild(a.dt, full, func(idx []int) float64 {
		bi := idx[:len(batch)]
		i, j := idx[len(batch)], idx[len(batch)+1]
		ia := append(refBroadcastIndex(bi, batchA), i, 0)
		ib := append(refBroadcastIndex(bi, batchB), 0, j)
		var fs float64
		var is int64
		for p := 0; p < k; p++ {
			ia[len(ia)-1], ib[len(ib)-2] = p, p
			x, y := pa.at(ia), pb.at(ib)
			fs += x * y
			is += int64(x) * int64(y)
		}
		if a.dt.isFloat() {
			return refRoundResult(a.dt, fs)
		}
		return float64(refWrapInt(a.dt, is))
	})
	// Remove the axes added by 1-D promotion.
	shape := append([]int{}, batch...)
	if !rowA {
		shape = append(shape, m)
	}
	if !colB {
		shape = append(shape, n)
	}
	out.shape = shape
	return out, nil
}

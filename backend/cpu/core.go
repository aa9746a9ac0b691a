package cpu

import (
	"fmt"
	"math"
	"runtime"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/graph"
)

// reduce computes the kernel's reduction into n outputs.
func (p *program) reduce(ins []*Buffer, n int) ([]float64, []int64) {
	c := p.k.Core
	e := p.core[0]
	total := graph.NumElements(c.InShape)
	r := 0
	if n > 0 {
		r = total / n
	}
	var accF []float64
	var accI []int64
	fl := isF(e.dt)
	if fl {
		accF = make([]float64, n)
		idF := identityF(c.Op)
		for i := range accF {
			accF[i] = idF
		}
	} else {
		accI = make([]int64, n)
		idI := identityI(c.Op)
		for i := range accI {
			accI[i] = idI
		}
	}
	if r == 0 {
		return p.finishReduce(accF, accI)
	}
	if p.cols != nil {
		p.reduceColumns(ins, n, r, accF, accI)
		return p.finishReduce(accF, accI)
	}
	workers := runtime.GOMAXPROCS(0)
	// reduceRange folds domain elements [lo, hi) into acc, where element d belongs to output
	// d/r - base.
	// A plain float32 load is read in place, so it can go to the vector kernels in runs much
	// longer than a scratch block.
	chunk := blockSize
	if e.op == graph.OpLoad && e.view.contiguous && e.dt == graph.Float32 {
		chunk = 1 << 16
	}
	// Short rows of a sum, maximum or minimum are folded many at a time (foldRowsF32), but
	// for the sums of rows that a vector kernel takes many at a call (SumRowsF32).
	narrow := c.Op == graph.OpSum && asm.SumRowsNarrow(r)
	short := inF32(e.dt) && (r <= shortRow && (c.Op == graph.OpReduceMax || c.Op == graph.OpReduceMin) ||
		r <= shortSum && c.Op == graph.OpSum && !narrow)
	reduceRange := func(cx *ctx, lo, hi int, accF []float64, accI []int64, base int) {
		var t []float32 // foldRowsF32's scratch, for as many values as it takes at a time
		var lanes []float64
		var red []float32 // foldExtremaF32's, a value a row of a chunk
		rowSums := 0      // the most rows of whole SumF32 blocks (or narrow) summed at a call
		if short {
			t, lanes = make([]float32, min(shortFold, hi-lo)), make([]float64, min(shortFold, hi-lo))
		} else if g := min(chunk, hi-lo) / r; inF32(e.dt) && g >= 2 {
			switch {
			case (c.Op == graph.OpReduceMax || c.Op == graph.OpReduceMin) && r <= extremaRows:
				red = make([]float32, g)
			case c.Op == graph.OpSum && (r%32 == 0 || narrow):
				rowSums = g
			}
		}
		for s := lo; s < hi; s += chunk {
			m := min(chunk, hi-s)
			cx.enter(s, m)
			o, left := s/r, r-s%r
			if inF32(e.dt) {
				vals := e.evalF32(cx, s, m, nil)
				for j := 0; j < m; {
					run := min(left, m-j)
					if g := min((m-j)/r, len(t)/r); t != nil && run == r && g >= 2 {
						foldRowsF32(c.Op, accF[o-base:o-base+g], vals[j:j+g*r], r, t, lanes)
						j += g * r
						o += g
						continue
					}
					if g := min((m-j)/r, len(red)); run == r && g >= 2 {
						foldExtremaF32(c.Op, accF[o-base:o-base+g], vals[j:j+g*r], r, red)
						j += g * r
						o += g
						continue
					}
					if g := min((m-j)/r, rowSums); run == r && g >= 2 {
						// SumF32 of each row, in one call: foldF32's sums bit for bit. The
						// rows are whole, their sums still +0.
						asm.SumRowsF32(accF[o-base:o-base+g], vals[j:j+g*r], r)
						j += g * r
						o += g
						continue
					}
					accF[o-base] = foldF32(c.Op, accF[o-base], vals[j:j+run])
					j += run
					o++
					left = r
				}
			} else if fl {
				vals := e.evalF(cx, s, m)
				for j := 0; j < m; {
					run := min(left, m-j)
					accF[o-base] = foldF(c.Op, accF[o-base], vals[j:j+run])
					j += run
					o++
					left = r
				}
			} else {
				vals := e.evalI(cx, s, m)
				for j := 0; j < m; {
					run := min(left, m-j)
					accI[o-base] = foldI(c.Op, accI[o-base], vals[j:j+run])
					j += run
					o++
					left = r
				}
			}
		}
	}
	if n >= workers || r < 4*blockSize {
		// Enough outputs to share out: each worker owns whole outputs, so results do not depend
		// on the number of workers.
		parallelFor(n, max(1, 4*blockSize/r, parallelWork/(r*e.cost())), func(_, lo, hi int) {
			c := newCtx(p.slots, ins)
			reduceRange(c, lo*r, hi*r, accF, accI, 0)
			putCtx(c)
		})
		return p.finishReduce(accF, accI)
	}
	// Few long reductions: split each one across the workers, then combine the partials in
	// order.
	for o := range n {
		partF := make([]float64, workers)
		partI := make([]int64, workers)
		for w := range workers {
			if fl {
				partF[w] = accF[o]
			} else {
				partI[w] = accI[o]
			}
		}
		parallelFor(r, max(blockSize, parallelWork/e.cost()), func(w, lo, hi int) {
			var pf []float64
			var pi []int64
			if fl {
				pf = partF[w : w+1]
			} else {
				pi = partI[w : w+1]
			}
			c := newCtx(p.slots, ins)
			reduceRange(c, o*r+lo, o*r+hi, pf, pi, o)
			putCtx(c)
		})
		if fl {
			accF[o] = foldF(c.Op, accF[o], partF)
		} else {
			accI[o] = foldI(c.Op, accI[o], partI)
		}
	}
	return p.finishReduce(accF, accI)
}

// reduceColumns folds the source of the reduction into the n outputs' accumulators, r
// values each, in the order of p.cols: domain element j*n + o is the j-th value of output o.
// A sum over the rows of a matrix thus reads the matrix row after row, adding each to the
// sums, where the order of the outputs would step a row's length from one value to the next.
func (p *program) reduceColumns(ins []*Buffer, n, r int, accF []float64, accI []int64) {
	e, op := p.cols, p.k.Core.Op
	// fold folds domain elements [lo, hi) into acc (n outputs).
	fold := func(cx *ctx, lo, hi int, accF []float64, accI []int64) {
		for s := lo; s < hi; s += maxBlock {
			m := min(maxBlock, hi-s)
			cx.enter(s, m)
			var vf32 []float32
			var vf []float64
			var vi []int64
			switch {
			case inF32(e.dt):
				vf32 = e.evalF32(cx, s, m, nil)
			case accF != nil:
				vf = e.evalF(cx, s, m)
			default:
				vi = e.evalI(cx, s, m)
			}
			for j := 0; j < m; {
				o := (s + j) % n
				run := min(n-o, m-j)
				switch {
				case vf32 != nil:
					foldColumns(op, accF[o:o+run], vf32[j:j+run])
				case vf != nil:
					foldColumns(op, accF[o:o+run], vf[j:j+run])
				default:
					foldColumnsI(op, accI[o:o+run], vi[j:j+run])
				}
				j += run
			}
		}
	}
	workers := runtime.GOMAXPROCS(0)
	if r < 4*workers || n > 1<<16 {
		// Few values an output, or outputs enough that accumulators for each worker would
		// crowd the caches: each worker folds whole outputs, all their values in order (64
		// rows of 262,144 float32: 6.0-9.3 ms so, 7.5-16.8 ms in bands of rows).
		parallelFor(n, max(64, 4*blockSize/r, parallelWork/(r*e.cost())), func(_, lo, hi int) {
			cx := newCtx(p.slots, ins)
			for j := range r {
				fold(cx, j*n+lo, j*n+hi, accF, accI)
			}
			putCtx(cx)
		})
		return
	}
	// Each worker folds a band of the rows into accumulators of its own, reading memory in
	// one stream, and the bands' accumulators are folded in order.
	partF := make([][]float64, workers)
	partI := make([][]int64, workers)
	parallelFor(r, max(1, 4*blockSize/n, parallelWork/(n*e.cost())), func(w, lo, hi int) {
		var pf []float64
		var pi []int64
		if accF != nil {
			pf = fill(make([]float64, n), identityF(op))
		} else {
			pi = fill(make([]int64, n), identityI(op))
		}
		cx := newCtx(p.slots, ins)
		fold(cx, lo*n, hi*n, pf, pi)
		putCtx(cx)
		partF[w], partI[w] = pf, pi
	})
	for w := range workers {
		if partF[w] != nil {
			foldColumns(op, accF, partF[w])
		} else if partI[w] != nil {
			foldColumnsI(op, accI, partI[w])
		}
	}
}

// foldColumns folds vals[i] into acc[i] for every i, as foldF folds a run into one
// accumulator: a NaN wins a maximum or a minimum and stays.
func foldColumns[T float32 | float64](op graph.Op, acc []float64, vals []T) {
	acc = acc[:len(vals)]
	switch op {
	case graph.OpSum:
		switch x := any(vals).(type) {
		case []float32:
			asm.AccumulateF32(acc, x)
		case []float64:
			asm.AddF64(acc, acc, x)
		}
	case graph.OpProd:
		for i, v := range vals {
			acc[i] *= float64(v)
		}
	case graph.OpReduceMax:
		// The built-in max propagates NaN, as the reduction does, without a branch that
		// the data decides.
		for i, v := range vals {
			acc[i] = max(acc[i], float64(v))
		}
	case graph.OpReduceMin:
		for i, v := range vals {
			acc[i] = min(acc[i], float64(v))
		}
	}
}

func foldColumnsI(op graph.Op, acc []int64, vals []int64) {
	acc = acc[:len(vals)]
	switch op {
	case graph.OpSum:
		for i, v := range vals {
			acc[i] += v
		}
	case graph.OpProd:
		for i, v := range vals {
			acc[i] *= v
		}
	case graph.OpReduceMax:
		for i, v := range vals {
			acc[i] = max(acc[i], v)
		}
	case graph.OpReduceMin:
		for i, v := range vals {
			acc[i] = min(acc[i], v)
		}
	}
}

func (p *program) finishReduce(accF []float64, accI []int64) ([]float64, []int64) {
	dt := p.k.Core.DType
	if accF != nil {
		roundSliceF(dt, accF)
	} else {
		wrapSliceI(dt, accI)
	}
	return accF, accI
}

func identityF(op graph.Op) float64 {
	switch op {
	case graph.OpProd:
		return 1
	case graph.OpReduceMax:
		return math.Inf(-1)
	case graph.OpReduceMin:
		return math.Inf(1)
	}
	return 0
}

func identityI(op graph.Op) int64 {
	switch op {
	case graph.OpProd:
		return 1
	case graph.OpReduceMax:
		return math.MinInt64
	case graph.OpReduceMin:
		return math.MaxInt64
	}
	return 0
}

func foldF(op graph.Op, acc float64, vals []float64) float64 {
	switch op {
	case graph.OpSum:
		// In 32 lanes, as Float32 values are summed: no addition waits for the one before,
		// and the error grows with a 32nd of the length.
		acc += asm.SumF64(vals)
	case graph.OpProd:
		for _, v := range vals {
			acc *= v
		}
	case graph.OpReduceMax:
		// As foldF32 does: NaN if any is NaN, +0 over -0.
		acc = max(acc, asm.ReduceMaxF64(vals))
	case graph.OpReduceMin:
		acc = min(acc, asm.ReduceMinF64(vals))
	}
	return acc
}

// The maxima and minima of rows of up to shortRow float32 values, and the sums of rows of up
// to shortSum, are folded shortFold values at a time by foldRowsF32, rather than a row at a
// time by the vector kernels, whose call then costs more than the row: the maxima of
// 4096×4096 in rows of 8, 16, 32 took 20-21, 9.2-10.6, 5.1-6.1 ms a row at a time, 6.2-7.7,
// 4.0-4.2, 3.8 ms so; in rows of 64, 2.8-3.0 ms a row at a time, 4.0-4.1 ms so. The sums of
// 4096×12288 in rows of 4, 8, 16, 24 took 152-155, 75-76, 41-44, 26-27 ms a row at a time,
// 42, 22-25, 21, 19-21 ms so; but in rows of 32, which SumF32 takes in whole vectors with
// no tail, 9.4-10.5 ms a row at a time, 17-19 ms so. Rows of 4, 8 and 16 have a vector
// kernel of their own (asm.SumRowsNarrow): 4096×4096 in rows of 16 took 11.5-11.9 ms
// folded, 7.4-8.3 ms so.
const (
	shortRow  = 32
	shortSum  = 31
	shortFold = 4096
)

// foldRowsF32 folds each of the len(acc) rows of r values in vals into its accumulator, for a
// sum, a maximum or a minimum: the rows are transposed into t (at least len(vals) long), so
// that the vector kernels fold the rows' first values with their second, and so on, across
// all the rows at once. The results are foldF32's bit for bit: NaN wins, +0 wins a maximum
// over -0 (and -0 a minimum), and a sum is SumF32's, its 32 float64 lanes (each of them a
// row of lanes, in scratch of at least len(vals) float64) added in the same order.
func foldRowsF32(op graph.Op, acc []float64, vals []float32, r int, t []float32, lanes []float64) {
	g := len(acc)
	asm.TransposeF32(t, g, vals, r, g, r)
	if op == graph.OpSum {
		// Value i of a row goes to lane i%32, each lane starting at +0 and adding its values
		// in order; lane j+h then goes into lane j for h = 16, 8, ..., 1. The lanes past the
		// row's values stay +0 and are left out: no lane is ever -0, so adding +0 to it is
		// no change.
		nl := min(r, 32)
		h := 16
		if r <= 32 {
			// A lane a value: the first halving that adds anything (lane j+h0 into lane j,
			// h0 the largest power of two below nl) adds the two values straight from t,
			// without a lane j+h0 of its own.
			h0 := 1
			for 2*h0 < nl {
				h0 *= 2
			}
			for j := range h0 {
				l := lanes[j*g : (j+1)*g]
				clear(l)
				asm.AccumulateF32(l, t[j*g:(j+1)*g])
				if j+h0 < nl {
					asm.AccumulateF32(l, t[(j+h0)*g:(j+h0+1)*g])
				}
			}
			nl, h = h0, h0/2
		}
		for j := 0; j < nl && r > 32; j++ {
			l := lanes[j*g : (j+1)*g]
			clear(l)
			for i := j; i < r; i += 32 {
				asm.AccumulateF32(l, t[i*g:(i+1)*g])
			}
		}
		for ; h > 0; h /= 2 {
			for j := 0; j < h && j+h < nl; j++ {
				l := lanes[j*g : (j+1)*g]
				asm.AddF64(l, l, lanes[(j+h)*g:(j+h+1)*g])
			}
			nl = min(nl, h)
		}
		for i, v := range lanes[:g] {
			acc[i] += v
		}
		return
	}
	red := t[:g]
	for q := 1; q < r; q++ {
		if op == graph.OpReduceMax {
			asm.MaxF32(red, red, t[q*g:(q+1)*g])
		} else {
			asm.MinF32(red, red, t[q*g:(q+1)*g])
		}
	}
	for i, v := range red {
		if op == graph.OpReduceMax {
			acc[i] = max(acc[i], float64(v))
		} else {
			acc[i] = min(acc[i], float64(v))
		}
	}
}

// extremaRows is the longest row whose maximum or minimum foldExtremaF32 finds: its kernel
// keeps one vector of running extrema, a chain of dependent steps, where ReduceMaxF32
// keeps four; past it the call a row costs less than the chain (4,096 values in rows of
// 256: 614 ns in one call, 714 ns a row at a time; in rows of 512: 573 ns against 496).
const extremaRows = 256

// foldExtremaF32 folds each of the len(acc) rows of r values in vals into its accumulator
// for a maximum or a minimum, the rows' extrema found by one call of the row kernels
// (asm.ReduceMaxRowsF32) into red (at least len(acc) long), where foldF32 is a call a row:
// the same results, as a maximum or minimum does not depend on the order (4,096 values in
// rows of 64: 1,412-1,559 ns a row at a time, 565-583 ns in one call).
func foldExtremaF32(op graph.Op, acc []float64, vals []float32, r int, red []float32) {
	red = red[:len(acc)]
	if op == graph.OpReduceMax {
		asm.ReduceMaxRowsF32(red, vals, r)
		for i, v := range red {
			acc[i] = max(acc[i], float64(v))
		}
		return
	}
	asm.ReduceMinRowsF32(red, vals, r)
	for i, v := range red {
		acc[i] = min(acc[i], float64(v))
	}
}

// foldF32 folds float32 values into a float64 accumulator.
func foldF32(op graph.Op, acc float64, vals []float32) float64 {
	switch op {
	case graph.OpSum:
		return acc + asm.SumF32(vals)
	case graph.OpReduceMax:
		return max(acc, float64(asm.ReduceMaxF32(vals)))
	case graph.OpReduceMin:
		return min(acc, float64(asm.ReduceMinF32(vals)))
	}
	for _, v := range vals {
		acc *= float64(v)
	}
	return acc
}

func foldI(op graph.Op, acc int64, vals []int64) int64 {
	switch op {
	case graph.OpSum:
		for _, v := range vals {
			acc += v
		}
	case graph.OpProd:
		for _, v := range vals {
			acc *= v
		}
	case graph.OpReduceMax:
		for _, v := range vals {
			acc = max(acc, v)
		}
	case graph.OpReduceMin:
		for _, v := range vals {
			acc = min(acc, v)
		}
	}
	return acc
}

// contract computes the batched matrix product of the kernel's two operands: on the asm GEMM
// for float32 and float64 (gemm.go), else in float64 or int64 here.
func (p *program) contract(ins []*Buffer) coreVals {
	if v, ok := p.contractGemm(ins); ok {
		return v
	}
	c := p.k.Core
	ea, eb := p.core[0], p.core[1]
	r := len(c.Shape)
	m, nn := c.Shape[r-2], c.Shape[r-1]
	batch := graph.NumElements(c.Shape[:r-2])
	kk := 0
	if m > 0 && batch > 0 {
		kk = graph.NumElements(p.k.Core.Src[0].View.Shape) / (batch * m)
	}
	af, ai := p.evalAll(ea, ins, batch*m*kk)
	bf, bi := p.evalAll(eb, ins, batch*kk*nn)
	rows := batch * m
	if af != nil {
		out := make([]float64, rows*nn)
		parallelFor(rows, max(1, 16384/max(1, kk*nn)), func(_, lo, hi int) {
			gemmF(af, bf, out, lo, hi, m, kk, nn)
		})
		roundSliceF(c.DType, out)
		return coreVals{f: out}
	}
	out := make([]int64, rows*nn)
	parallelFor(rows, max(1, 16384/max(1, kk*nn)), func(_, lo, hi int) {
		gemmI(ai, bi, out, lo, hi, m, kk, nn)
	})
	wrapSliceI(c.DType, out)
	return coreVals{i: out}
}

// gemmF computes rows [lo, hi) of the stacked batch of products (row i belongs to batch i/m).
// The k loop is blocked so that a panel of B stays in cache while rows of A stream by.
func gemmF(a, b, out []float64, lo, hi, m, k, n int) {
	const kb = 256
	for k0 := 0; k0 < k; k0 += kb {
		k1 := min(k, k0+kb)
		for i := lo; i < hi; i++ {
			bat := i / m
			arow := a[i*k : i*k+k]
			crow := out[i*n : i*n+n]
			bm := b[bat*k*n : (bat+1)*k*n]
			for l := k0; l < k1; l++ {
				asm.AxpyF64(arow[l], bm[l*n:l*n+n], crow)
			}
		}
	}
}

func gemmI(a, b, out []int64, lo, hi, m, k, n int) {
	for i := lo; i < hi; i++ {
		bat := i / m
		arow := a[i*k : i*k+k]
		crow := out[i*n : i*n+n]
		bm := b[bat*k*n : (bat+1)*k*n]
		for l, av := range arow {
			brow := bm[l*n : l*n+n]
			for j, bv := range brow {
				crow[j] += av * bv
			}
		}
	}
}

// gatherDirect computes a kernel that is only a gather from a contiguous input of the
// output's dtype by copying the gathered stretches of bytes straight from the input to the
// output, with no conversions on the way. It reports whether it did; err is a bad index.
func (p *program) gatherDirect(out *Buffer, ins []*Buffer) (done bool, err error) {
	c, src := p.k.Core, p.core[0]
	if p.k.Expr.Op != graph.OpCoreValue || src.op != graph.OpLoad || !src.view.contiguous ||
		ins[src.input].dt != out.dt || out.n != graph.NumElements(c.Shape) {
		return false, nil
	}
	axis := c.Axes[0]
	srcShape := c.Src[0].View.Shape
	_, idx := p.evalAll(p.core[1], ins, graph.NumElements(c.Src[1].View.Shape))
	a := srcShape[axis]
	if err := checkIndices(idx, axis, srcShape); err != nil {
		return true, err
	}
	sz := out.dt.Size()
	row := graph.NumElements(srcShape[axis+1:]) * sz
	pre, ni := graph.NumElements(srcShape[:axis]), len(idx)
	if row == sz {
		// Single elements (a gather along the last axis): typed loads, not a copy each.
		in := ins[src.input]
		switch sz {
		case 1:
			gatherElems(view[uint8](out), view[uint8](in)[src.view.offset:], idx, pre, a)
		case 2:
			gatherElems(view[uint16](out), view[uint16](in)[src.view.offset:], idx, pre, a)
		case 4:
			gatherElems(view[uint32](out), view[uint32](in)[src.view.offset:], idx, pre, a)
		default:
			gatherElems(view[uint64](out), view[uint64](in)[src.view.offset:], idx, pre, a)
		}
		return true, nil
	}
	from := ins[src.input].Bytes()[src.view.offset*sz:]
	to := out.Bytes()
	parallelFor(pre*ni, max(1, 1<<19/max(row, 1)), func(_, lo, hi int) {
		for q := lo; q < hi; q++ {
			pr, j := q/ni, int(idx[q%ni])
			if j < 0 {
				j += a
			}
			at := (pr*a + j) * row
			copy(to[q*row:(q+1)*row], from[at:at+row])
		}
	})
	return true, nil
}

// gatherElems sets to[pr*len(idx)+i] = from[pr*a+idx[i]] (a negative index counting from
// the end) for each of pre lines of length a.
func gatherElems[T any](to, from []T, idx []int64, pre, a int) {
	ni := len(idx)
	parallelFor(pre, max(1, 1<<14/max(ni, 1)), func(_, lo, hi int) {
		for pr := lo; pr < hi; pr++ {
			line, dst := from[pr*a:(pr+1)*a], to[pr*ni:(pr+1)*ni]
			for i, j := range idx {
				if j < 0 {
					j += int64(a)
				}
				dst[i] = line[j]
			}
		}
	})
}

// checkIndices reports an index outside [-a, a) for an axis of length a.
func checkIndices(idx []int64, axis int, shape []int) error {
	a := int64(shape[axis])
	for _, v := range idx {
		if v < -a || v >= a {
			return fmt.Errorf("gather: index %d out of range for axis %d of size %d in %v: %w", v, axis, a, shape, graph.ErrShape)
		}
	}
	return nil
}

// gather takes the elements of the source at the indices along the core's axis.
func (p *program) gather(ins []*Buffer) ([]float64, []int64, error) {
	c := p.k.Core
	axis := c.Axes[0]
	srcShape := p.k.Core.Src[0].View.Shape
	idxShape := p.k.Core.Src[1].View.Shape
	sf, si := p.evalAll(p.core[0], ins, graph.NumElements(srcShape))
	_, idx := p.evalAll(p.core[1], ins, graph.NumElements(idxShape))
	a := srcShape[axis]
	post := graph.NumElements(srcShape[axis+1:])
	pre := graph.NumElements(srcShape[:axis])
	ni := len(idx)
	if err := checkIndices(idx, axis, srcShape); err != nil {
		return nil, nil, err
	}
	n := pre * ni * post
	var of []float64
	var oi []int64
	if sf != nil {
		of = make([]float64, n)
	} else {
		oi = make([]int64, n)
	}
	parallelFor(pre*ni, 1024, func(_, lo, hi int) {
		for q := lo; q < hi; q++ {
			pr, ii := q/ni, q%ni
			j := int(idx[ii])
			if j < 0 {
				j += a
			}
			src := (pr*a + j) * post
			if of != nil {
				copy(of[q*post:(q+1)*post], sf[src:src+post])
			} else {
				copy(oi[q*post:(q+1)*post], si[src:src+post])
			}
		}
	})
	return of, oi, nil
}

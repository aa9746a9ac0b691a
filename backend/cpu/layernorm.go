package cpu

import (
	"math"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/graph"
)

// layerNorm computes the kernel's layer normalization (graph.OpLayerNorm) of its prologue
// over the core's axes from Axes[0] on, a row of those axes at a time (see rowsCore): the
// mean, the differences, their squares' mean, and the quotients by the square root of the
// variance plus epsilon, each step on the vector kernels over a row that stays in cache,
// then the kernel's epilogue (a layer norm's scale and bias) over the same rows; a few rows
// of at least normLongRow values have each step shared out among the workers. Float32
// values are those of the decomposition that devices without the op run (the same kernels
// and roundings: sums of float32 in float64 rounded once, divisions by the count);
// Float64 rows are normalized the same way in float64.
func (p *program) layerNorm(out *Buffer, ins []*Buffer, epilogue func(c *ctx, s, m int)) (cv coreVals, done bool) {
	c, e := p.k.Core, p.core[0]
	ax := c.Axes[0]
	g := scanShape{pre: graph.NumElements(c.Shape[:ax]), n: graph.NumElements(c.Shape[ax:]), post: 1}
	total := g.pre * g.n
	direct := p.k.Expr.Op == graph.OpCoreValue && out.dt == c.DType && out.n == total
	if c.DType != graph.Float64 && g.long() && g.n >= normLongRow {
		// Few long rows: each row's steps shared out among the workers.
		return p.linesF32(out, ins, total, direct, func(dst, src []float32) {
			for r := range g.pre {
				normLongRowF32(dst[r*g.n:(r+1)*g.n], src[r*g.n:(r+1)*g.n], float32(c.Eps))
			}
		})
	}
	if c.DType != graph.Float64 {
		return p.rowsCore(out, ins, g, func() rowKernel { return newNormRows(g.n, c.Eps) }, epilogue)
	}
	var dst, src []float64
	if direct {
		dst = view[float64](out)
	} else {
		dst = make([]float64, total)
	}
	if e.op == graph.OpLoad && e.view.contiguous && ins[e.input].dt == c.DType {
		src = view[float64](ins[e.input])[e.view.offset:][:total]
	} else {
		src, _ = p.evalAll(e, ins, total)
	}
	if g.n > 0 {
		parallelFor(g.pre, max(1, scanGrain/g.n), func(_, lo, hi int) {
			// spread holds a row's mean, then its divisor, along the row, for the vector
			// kernels.
			sq, spread := make([]float64, g.n), make([]float64, g.n)
			for r := lo; r < hi; r++ {
				x, y := src[r*g.n:(r+1)*g.n], dst[r*g.n:(r+1)*g.n]
				count := float64(g.n)
				mean := asm.SumF64(x) / count
				asm.FillRowsF64(spread, g.n, []float64{mean}, 0)
				asm.SubF64(y, x, spread)
				asm.MulF64(sq, y, y)
				asm.FillRowsF64(spread, g.n, []float64{math.Sqrt(asm.SumF64(sq)/count + c.Eps)}, 0)
				asm.DivF64(y, y, spread)
			}
		})
	}
	return coreVals{f: dst}, direct
}

// normRows is a worker's rowKernel of a layer normalization of rows of n values. Rows of up
// to softmaxShortRow values are normalized a group at a time, one call of each vector kernel
// for the group (the rows' sums by SumRowsF32, the same bits as SumF32's), longer ones a row
// at a time.
type normRows struct {
	n      int
	count  float32
	eps    float32
	square []float32 // the squares of the differences
	spread []float32 // a value of each row, repeated along it (short rows)
	vals   []float32 // a value of each row: the means, the divisors (short rows)
	sums   []float64
}

func newNormRows(n int, eps float64) *normRows {
	k := &normRows{n: n, count: float32(n), eps: float32(eps)}
	if n <= softmaxShortRow {
		rows := max(1, rowsGroup/n)
		k.square, k.spread = make([]float32, rows*n), make([]float32, rows*n)
		k.vals, k.sums = make([]float32, rows), make([]float64, rows)
	} else {
		k.square = make([]float32, n)
	}
	return k
}

func (k *normRows) rows(vals, from []float32) {
	if k.spread != nil {
		k.shortRows(vals, from)
		return
	}
	for r := 0; r < len(vals); r += k.n {
		x, y := from[r:r+k.n], vals[r:r+k.n]
		mean := float32(asm.SumF32(x)) / k.count
		asm.SubScalarF32(y, x, mean)
		asm.MulF32(k.square, y, y)
		v := float32(asm.SumF32(k.square)) / k.count
		asm.DivScalarF32(y, y, float32(math.Sqrt(float64(v+k.eps))))
	}
}

// shortRows normalizes a group of short rows, each step one call for the group.
func (k *normRows) shortRows(vals, from []float32) {
	rows := len(vals) / k.n
	square, spread, v, sums := k.square[:len(vals)], k.spread[:len(vals)], k.vals[:rows], k.sums[:rows]
	asm.SumRowsF32(sums, from, k.n)
	for i, s := range sums {
		v[i] = float32(s) / k.count
	}
	asm.FillRowsF32(spread, k.n, v, 1)
	asm.SubF32(vals, from, spread)
	asm.MulF32(square, vals, vals)
	asm.SumRowsF32(sums, square, k.n)
	for i, s := range sums {
		v[i] = float32(math.Sqrt(float64(float32(s)/k.count + k.eps)))
	}
	asm.FillRowsF32(spread, k.n, v, 1)
	asm.DivF32(vals, vals, spread)
}

// normLongRow is the shortest row of a layer norm whose steps the workers share when the
// rows are too few for a row a worker: a layer norm's steps are light (no exponentials),
// and on shorter rows starting the workers three times costs what they save (131072
// values: 72-74 µs on one worker, 73-92 shared by two; 1M: 674-751 against 430-456).
const normLongRow = 1 << 18

// normLongRowF32 is normRows' normalization of one row, out from x (out may be x), with
// each step shared out among the workers a segment of softmaxSegment values at a time, the
// segments' sums added in order: the row's statistics depend on its length alone, not on
// the workers.
func normLongRowF32(out, x []float32, eps float32) {
	segs, bounds := segments(len(x))
	sums := make([]float64, segs)
	total := func() float32 {
		var s float64
		for _, v := range sums {
			s += v
		}
		return float32(s)
	}
	count := float32(len(x))
	parallelFor(segs, 1, func(_, lo, hi int) {
		for u := lo; u < hi; u++ {
			a, b := bounds(u)
			sums[u] = asm.SumF32(x[a:b])
		}
	})
	mean := total() / count
	parallelFor(segs, 1, func(_, lo, hi int) {
		square := make([]float32, softmaxSegment)
		for u := lo; u < hi; u++ {
			a, b := bounds(u)
			asm.SubScalarF32(out[a:b], x[a:b], mean)
			asm.MulF32(square[:b-a], out[a:b], out[a:b])
			sums[u] = asm.SumF32(square[:b-a])
		}
	})
	div := float32(math.Sqrt(float64(total()/count + eps)))
	parallelFor(segs, 1, func(_, lo, hi int) {
		a, _ := bounds(lo)
		_, b := bounds(hi - 1)
		asm.DivScalarF32(out[a:b], out[a:b], div)
	})
}

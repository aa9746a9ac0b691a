package cpu

import (
	"math"
	"runtime"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/graph"
)

// softmaxSegment is the length of the pieces whose exponentials a row's sum adds one after
// another (see sumRowF32): a row's sum depends on its length alone, not on how many workers
// share a long row.
const softmaxSegment = 16 << 10

// softmax computes the kernel's softmax or log-softmax (graph.OpSoftmax, OpLogSoftmax) of its
// prologue along the core's axis, a line at a time: the maximum, the exponentials of the
// differences (kept in the output), their sum, and the quotients (or the differences less the
// sum's logarithm), each step on the vector kernels over a line that stays in cache. Rows
// (lines along the last axis) go through rowsCore, with the kernel's epilogue; a few rows too
// long for a row a worker have each step shared out among the workers, and lines across rows
// are taken a block of columns at a time, their values computed into a buffer first. Float32
// rows of up to softmaxSegment values are the decomposition's values that devices without
// the op compute (the same kernels: SubScalarF32, ExpF32, a sum of float32 in float64 rounded
// once, DivScalarF32); 16-bit dtypes are computed in float32 and rounded once.
func (p *program) softmax(out *Buffer, ins []*Buffer, epilogue func(c *ctx, s, m int)) (cv coreVals, done bool) {
	c, e := p.k.Core, p.core[0]
	ax := c.Axes[0]
	g := scanShape{pre: graph.NumElements(c.Shape[:ax]), n: c.Shape[ax], post: graph.NumElements(c.Shape[ax+1:])}
	total := g.pre * g.n * g.post
	log := c.Op == graph.OpLogSoftmax
	direct := p.k.Expr.Op == graph.OpCoreValue && out.dt == c.DType && out.n == total
	if c.DType == graph.Float64 {
		plain := e.op == graph.OpLoad && e.view.contiguous && ins[e.input].dt == c.DType
		var dst, src []float64
		if direct {
			dst = view[float64](out)
		} else {
			dst = make([]float64, total)
		}
		if plain {
			src = view[float64](ins[e.input])[e.view.offset:][:total]
		} else {
			src, _ = p.evalAll(e, ins, total)
		}
		softmaxLinesF64(g, dst, src, log)
		return coreVals{f: dst}, direct
	}
	worker := func() rowKernel { return newSoftmaxRows(g.n, log) }
	if g.post == 1 && !g.long() {
		return p.rowsCore(out, ins, g, worker, epilogue)
	}
	return p.linesF32(out, ins, total, direct, func(dst, src []float32) {
		if g.post == 1 {
			// Few long rows (a vocabulary's logits): each row's steps shared out among the
			// workers.
			for r := range g.pre {
				softmaxLongRowF32(dst[r*g.n:(r+1)*g.n], src[r*g.n:(r+1)*g.n], log)
			}
		} else {
			softmaxColumnsF32(g, dst, src, log)
		}
	})
}

// softmaxRows is a worker's rowKernel of a softmax (log: a log-softmax) of rows of n values.
type softmaxRows struct {
	n     int
	log   bool
	tmp   []float32 // a log-softmax's exponentials, a segment at a time
	short *shortRows
}

func newSoftmaxRows(n int, log bool) *softmaxRows {
	k := &softmaxRows{n: n, log: log}
	if n <= softmaxShortRow {
		k.short = newShortRows(max(1, rowsGroup/n), n)
	} else if log {
		k.tmp = make([]float32, min(n, softmaxSegment))
	}
	return k
}

func (k *softmaxRows) rows(vals, from []float32) {
	if k.short != nil {
		k.short.softmax(vals, from, k.log)
		return
	}
	for r := 0; r < len(vals); r += k.n {
		softmaxRowF32(vals[r:r+k.n], from[r:r+k.n], k.tmp, k.log)
	}
}

// long reports whether g's lines are rows (post == 1) too long and too few for a row a
// worker: each row's steps are then shared out among the workers (see softmaxLongRowF32).
func (g scanShape) long() bool {
	return g.post == 1 && g.pre < runtime.GOMAXPROCS(0) && g.n > softmaxSegment
}

// softmaxShortRow is the longest row whose softmax is taken a group of rows at a time (see
// shortRows): a call of each vector kernel for the group, not for each row.
const softmaxShortRow = 256

// shortRows is the scratch space of a worker taking the softmax of groups of short rows of
// n values: each step is one call for the whole group (the rows' maxima, their values
// spread along the rows, the differences, the exponentials, the rows' sums, ...), with
// softmaxRowF32's values.
type shortRows struct {
	n      int
	spread []float32 // a value of each row, repeated along it
	vals   []float32 // a value of each row: the maxima, the sums, their logarithms
	sums   []float64
}

func newShortRows(rows, n int) *shortRows {
	return &shortRows{n: n, spread: make([]float32, rows*n), vals: make([]float32, rows), sums: make([]float64, rows)}
}

// softmax sets out to the softmax (log: the log-softmax) of each row of x. out may be x.
func (s *shortRows) softmax(out, x []float32, log bool) {
	rows := len(x) / s.n
	spread, vals, sums := s.spread[:len(x)], s.vals[:rows], s.sums[:rows]
	asm.ReduceMaxRowsF32(vals, x, s.n)
	for i, m := range vals {
		vals[i] = float32(stableShift(float64(m)))
	}
	asm.FillRowsF32(spread, s.n, vals, 1)
	asm.SubF32(out, x, spread)
	if log {
		asm.ExpF32(spread, out)
		asm.SumRowsF32(sums, spread, s.n)
	} else {
		asm.ExpF32(out, out)
		asm.SumRowsF32(sums, out, s.n)
	}
	for i, v := range sums {
		vals[i] = float32(v)
	}
	if log {
		asm.LogF32(vals, vals)
	}
	asm.FillRowsF32(spread, s.n, vals, 1)
	if log {
		asm.SubF32(out, out, spread)
	} else {
		asm.DivF32(out, out, spread)
	}
}

// stableShift is the value a line's elements are shifted by before their exponentials: the
// line's maximum m, or 0 where m is ±Inf (a NaN stays, and makes every result NaN).
func stableShift(m float64) float64 {
	if math.IsInf(m, 0) {
		return 0
	}
	return m
}

// softmaxRowF32 sets out to the softmax (log: the log-softmax) of x; tmp holds
// min(len(x), softmaxSegment) values for a log-softmax's exponentials. out may be x.
func softmaxRowF32(out, x, tmp []float32, log bool) {
	m := float32(stableShift(float64(asm.ReduceMaxF32(x))))
	asm.SubScalarF32(out, x, m)
	if !log {
		asm.ExpF32(out, out)
		asm.DivScalarF32(out, out, sumRowF32(out, nil))
		return
	}
	asm.SubScalarF32(out, out, logF32(sumRowF32(out, tmp)))
}

// sumRowF32 returns the sum of the exponentials of x, rounded to float32: of x itself where
// tmp is nil, else computed into tmp a segment at a time. Each segment of softmaxSegment
// values is summed by SumF32, in float64, and the segments' sums are added in order.
func sumRowF32(x, tmp []float32) float32 {
	var s float64
	for lo := 0; lo < len(x); lo += softmaxSegment {
		seg := x[lo:min(lo+softmaxSegment, len(x))]
		if tmp != nil {
			asm.ExpF32(tmp[:len(seg)], seg)
			seg = tmp[:len(seg)]
		}
		s += asm.SumF32(seg)
	}
	return float32(s)
}

// logF32 is the float32 logarithm of the vector kernels, as a Log node computes it.
func logF32(v float32) float32 {
	var a [1]float32
	asm.LogF32(a[:], []float32{v})
	return a[0]
}

// segments cuts a row of n values into segs pieces of softmaxSegment values (the last one
// shorter), whose bounds are bounds(0), ..., bounds(segs-1).
func segments(n int) (segs int, bounds func(u int) (lo, hi int)) {
	return (n + softmaxSegment - 1) / softmaxSegment, func(u int) (int, int) {
		return u * softmaxSegment, min((u+1)*softmaxSegment, n)
	}
}

// softmaxLongRowF32 is softmaxRowF32 with each step shared out among the workers a segment
// at a time, the same values.
func softmaxLongRowF32(out, x []float32, log bool) {
	segs, bounds := segments(len(x))
	maxes := make([]float32, segs)
	sums := make([]float64, segs)
	parallelFor(segs, 1, func(_, lo, hi int) {
		for u := lo; u < hi; u++ {
			a, b := bounds(u)
			maxes[u] = asm.ReduceMaxF32(x[a:b])
		}
	})
	m := float32(stableShift(float64(asm.ReduceMaxF32(maxes))))
	parallelFor(segs, 1, func(_, lo, hi int) {
		var tmp []float32
		if log {
			tmp = make([]float32, softmaxSegment)
		}
		for u := lo; u < hi; u++ {
			a, b := bounds(u)
			seg := out[a:b]
			asm.SubScalarF32(seg, x[a:b], m)
			if log {
				asm.ExpF32(tmp[:b-a], seg)
				sums[u] = asm.SumF32(tmp[:b-a])
			} else {
				asm.ExpF32(seg, seg)
				sums[u] = asm.SumF32(seg)
			}
		}
	})
	var s float64
	for _, v := range sums {
		s += v
	}
	sum := float32(s)
	if log {
		sum = logF32(sum)
	}
	parallelFor(segs, 1, func(_, lo, hi int) {
		a, _ := bounds(lo)
		_, b := bounds(hi - 1)
		if log {
			asm.SubScalarF32(out[a:b], out[a:b], sum)
		} else {
			asm.DivScalarF32(out[a:b], out[a:b], sum)
		}
	})
}

// softmaxColumnsF32 takes the softmax of g's lines across rows of post values (post > 1), a
// block of at most scanColumns columns at a time: the columns' maxima, then a row at a time
// the exponentials of the differences with their sums accumulated in float64, then the
// quotients (or the differences less the sums' logarithms).
func softmaxColumnsF32(g scanShape, dst, src []float32, log bool) {
	eachLine(g, nil, func() func(p, c0, c1 int) {
		m := make([]float32, scanColumns)
		acc := make([]float64, scanColumns)
		var tmp []float32
		if log {
			tmp = make([]float32, scanColumns)
		}
		return func(p, c0, c1 int) {
			w := c1 - c0
			row := func(s []float32, i int) []float32 {
				at := (p*g.n+i)*g.post + c0
				return s[at : at+w]
			}
			m, acc := m[:w], acc[:w]
			copy(m, row(src, 0))
			for i := 1; i < g.n; i++ {
				asm.MaxF32(m, m, row(src, i))
			}
			for j, v := range m {
				m[j] = float32(stableShift(float64(v)))
			}
			clear(acc)
			for i := range g.n {
				o := row(dst, i)
				asm.SubF32(o, row(src, i), m)
				if log {
					asm.ExpF32(tmp[:w], o)
					asm.AccumulateF32(acc, tmp[:w])
				} else {
					asm.ExpF32(o, o)
					asm.AccumulateF32(acc, o)
				}
			}
			for j, v := range acc {
				m[j] = float32(v) // the sums, in the maxima's place
			}
			if log {
				asm.LogF32(m, m)
			}
			for i := range g.n {
				o := row(dst, i)
				if log {
					asm.SubF32(o, o, m)
				} else {
					asm.DivF32(o, o, m)
				}
			}
		}
	})
}

// softmaxLinesF64 takes the softmax (log: the log-softmax) of every line of g from src into
// dst (which may be src), in float64: the line's maximum, the exponentials of the differences
// and their sum, then the quotients (or the differences less the sum's logarithm).
func softmaxLinesF64(g scanShape, dst, src []float64, log bool) {
	lines := g.pre * g.post
	if lines == 0 || g.n == 0 {
		return
	}
	parallelFor(lines, max(1, scanGrain/g.n), func(_, lo, hi int) {
		x, d, o := make([]float64, g.n), make([]float64, g.n), make([]float64, g.n)
		for l := lo; l < hi; l++ {
			base := l/g.post*g.n*g.post + l%g.post
			row, out := x, o
			if g.post == 1 {
				row, out = src[base:base+g.n], dst[base:base+g.n]
			} else {
				for i := range g.n {
					x[i] = src[base+i*g.post]
				}
			}
			m := stableShift(asm.ReduceMaxF64(row))
			for i, v := range row {
				d[i] = v - m
			}
			asm.ExpF64(out, d)
			s := asm.SumF64(out)
			if log {
				ls := logF64(s)
				for i, v := range d {
					out[i] = v - ls
				}
			} else {
				for i, v := range out {
					out[i] = v / s
				}
			}
			if g.post > 1 {
				for i, v := range out {
					dst[base+i*g.post] = v
				}
			}
		}
	})
}

// logF64 is the float64 logarithm of the vector kernels, as a Log node computes it.
func logF64(v float64) float64 {
	var a [1]float64
	asm.LogF64(a[:], []float64{v})
	return a[0]
}

package cpu

import (
	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/graph"
)

// argExtreme computes the kernel's index of the first maximum or minimum (graph.OpArgMax,
// OpArgMin) of its prologue along the core's axis, the values read once: along rows, the
// row's extreme by the vector kernels and then the first place that holds it (or the first
// NaN, where the extreme is NaN), the row in cache; across rows, a block of columns at a
// time, each column's best value and its index kept while the rows go by. The prologue is
// read where it lies when it is one contiguous load, else computed into a buffer first.
// Where the kernel's output is the index itself it goes straight to out (done is then
// true).
func (p *program) argExtreme(out *Buffer, ins []*Buffer) (cv coreVals, done bool) {
	c, e := p.k.Core, p.core[0]
	ax := c.Axes[0]
	in := c.InShape
	g := scanShape{pre: graph.NumElements(in[:ax]), n: in[ax], post: graph.NumElements(in[ax+1:])}
	lines, total := g.pre*g.post, g.pre*g.n*g.post
	direct := p.k.Expr.Op == graph.OpCoreValue && out.dt == graph.Int64 && out.n == lines
	var idx []int64
	if direct {
		idx = view[int64](out)
	} else {
		idx = make([]int64, lines)
	}
	min := c.Op == graph.OpArgMin
	plain := e.op == graph.OpLoad && e.view.contiguous && ins[e.input].dt == e.dt
	switch {
	case inF32(e.dt):
		src := p.plainF32(ins, total)
		if src == nil {
			src = p.evalAllF32(e, ins, total)
		}
		argLines(g, idx, src, min, asm.ReduceMaxF32, asm.ReduceMinF32)
	case isF(e.dt):
		var src []float64
		if plain {
			src = view[float64](ins[e.input])[e.view.offset:][:total]
		} else {
			src, _ = p.evalAll(e, ins, total)
		}
		argLines(g, idx, src, min, asm.ReduceMaxF64, asm.ReduceMinF64)
	default:
		var src []int64
		if plain && e.dt == graph.Int64 {
			src = view[int64](ins[e.input])[e.view.offset:][:total]
		} else {
			_, src = p.evalAll(e, ins, total)
		}
		argLines(g, idx, src, min, nil, nil)
	}
	return coreVals{i: idx}, direct
}

// argLines sets idx[l] to the index along g's axis of the first maximum (min: minimum) of
// line l of src, a NaN counting as the extreme. maxOf and minOf give a row's extreme (NaN if
// it holds one), or are nil for integers.
func argLines[T float32 | float64 | int64](g scanShape, idx []int64, src []T, min bool, maxOf, minOf func([]T) T) {
	// better reports whether v takes the place of the best so far: strictly beyond it, or
	// the first NaN (which no value displaces).
	better := func(v, best T) bool {
		if min {
			return v < best || v != v && best == best
		}
		return v > best || v != v && best == best
	}
	if g.post == 1 {
		extreme := maxOf
		if min {
			extreme = minOf
		}
		parallelFor(g.pre, max(1, scanGrain/g.n), func(_, lo, hi int) {
			for r := lo; r < hi; r++ {
				row := src[r*g.n : (r+1)*g.n]
				if extreme == nil {
					at := 0
					for i, v := range row {
						if better(v, row[at]) {
							at = i
						}
					}
					idx[r] = int64(at)
					continue
				}
				m := extreme(row)
				for i, v := range row {
					if v == m || m != m && v != v {
						idx[r] = int64(i)
						break
					}
				}
			}
		})
		return
	}
	eachLine(g, nil, func() func(p, c0, c1 int) {
		best := make([]T, scanColumns)
		return func(p, c0, c1 int) {
			w := c1 - c0
			best := best[:w]
			at := idx[p*g.post+c0 : p*g.post+c1]
			copy(best, src[p*g.n*g.post+c0:][:w])
			clear(at)
			for i := 1; i < g.n; i++ {
				row := src[(p*g.n+i)*g.post+c0:][:w]
				// The comparison written out for each direction, not called: this loop is
				// the whole cost of an argmax across rows.
				if min {
					for j, v := range row {
						if b := best[j]; v < b || v != v && b == b {
							best[j], at[j] = v, int64(i)
						}
					}
				} else {
					for j, v := range row {
						if b := best[j]; v > b || v != v && b == b {
							best[j], at[j] = v, int64(i)
						}
					}
				}
			}
		}
	})
}

package cpu

import (
	"math"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/graph"
)

// scanShape is the core's shape of a running sum seen as [pre, n, post], the sum running
// along n: post == 1 is a sum along rows, each a line of n neighbours; else the lines are
// columns of rows of post values, summed a row at a time.
type scanShape struct {
	pre, n, post int
	excl, rev    bool
}

// scanGrain is the least number of elements of a running sum a worker takes: a pass over
// memory, like an addition (see parallelWork).
const scanGrain = 256 << 10

// scanColumns is the number of columns whose sums a worker keeps while it goes down a block
// of rows: 16 KiB of float64 accumulators, which stay in L1.
const scanColumns = 2048

// cumSum computes the kernel's running sum (graph.OpCumSum) of its prologue. Float32 (and
// 16-bit) values are summed in float64, each result rounded once; Float64 values with a
// compensated sum (each addition's rounding error kept, see neumaier), so that an element's error does not grow with its place
// along the axis; integers in int64, each result wrapped to the dtype. One pass over the
// values: where the kernel's output is the running sum itself it goes straight to out (done
// is then true), read straight from the input where the prologue is one contiguous load.
func (p *program) cumSum(out *Buffer, ins []*Buffer) (cv coreVals, done bool) {
	c, e := p.k.Core, p.core[0]
	ax := c.Axes[0]
	g := scanShape{pre: graph.NumElements(c.Shape[:ax]), n: c.Shape[ax], post: graph.NumElements(c.Shape[ax+1:]),
		excl: c.Exclusive, rev: c.Reverse}
	total := g.pre * g.n * g.post
	direct := p.k.Expr.Op == graph.OpCoreValue && out.dt == c.DType && out.n == total
	plain := e.op == graph.OpLoad && e.view.contiguous && ins[e.input].dt == c.DType
	switch {
	case c.DType == graph.Float32 || c.DType == graph.Float16 || c.DType == graph.BFloat16:
		var dst, src []float32
		if direct && c.DType == graph.Float32 {
			dst = view[float32](out)
		} else {
			dst = make([]float32, total)
		}
		if plain && c.DType == graph.Float32 {
			src = view[float32](ins[e.input])[e.view.offset:][:total]
		} else {
			p.evalIntoF32(e, ins, dst)
			src = dst
		}
		scanF32(g, dst, src)
		if c.DType != graph.Float32 {
			roundHalf(c.DType, dst)
		}
		return coreVals{f32: dst}, direct && c.DType == graph.Float32
	case c.DType == graph.Float64:
		var src []float64
		if plain {
			src = view[float64](ins[e.input])[e.view.offset:][:total]
		} else {
			src, _ = p.evalAll(e, ins, total)
		}
		dst := src // the prologue's values, computed for this scan alone
		if direct {
			dst = view[float64](out)
		} else if plain {
			dst = make([]float64, total) // not into the input
		}
		scanF64(g, dst, src)
		return coreVals{f: dst}, direct
	}
	var src []int64
	plain = plain && c.DType == graph.Int64
	if plain {
		src = view[int64](ins[e.input])[e.view.offset:][:total]
	} else {
		_, src = p.evalAll(e, ins, total)
	}
	dst := src
	if direct && c.DType == graph.Int64 {
		dst = view[int64](out)
	} else if plain {
		dst = make([]int64, total)
	}
	scanI(g, dst, src, c.DType)
	return coreVals{i: dst}, direct && c.DType == graph.Int64
}

// evalIntoF32 evaluates e, of a dtype computed in float32, over its whole domain of len(out)
// elements into out, in parallel.
func (p *program) evalIntoF32(e *enode, ins []*Buffer, out []float32) {
	n := len(out)
	parallelFor(n, max(4*blockSize, parallelWork/e.cost()), func(_, lo, hi int) {
		c := newCtx(p.slots, ins)
		for s := lo; s < hi; s += blockSize {
			m := min(blockSize, hi-s)
			c.enter(s, m)
			if v := e.evalF32(c, s, m, out[s:s+m]); &v[0] != &out[s] {
				copy(out[s:s+m], v)
			}
		}
		putCtx(c)
	})
}

// eachLine shares the lines of g out among the workers: rows gets the rows [lo, hi) of pre
// (post == 1); or else each worker calls cols once, for a function that it then calls on
// blocks of row p of pre and columns [c0, c1) of post, at most scanColumns of them (the
// worker's accumulators, made once).
func eachLine(g scanShape, rows func(lo, hi int), cols func() func(p, c0, c1 int)) {
	if g.pre == 0 || g.n == 0 || g.post == 0 {
		return
	}
	if g.post == 1 {
		parallelFor(g.pre, max(1, scanGrain/g.n), func(_, lo, hi int) { rows(lo, hi) })
		return
	}
	cw := min(g.post, scanColumns)
	per := (g.post + cw - 1) / cw
	parallelFor(g.pre*per, max(1, scanGrain/(g.n*cw)), func(_, lo, hi int) {
		block := cols()
		for u := lo; u < hi; u++ {
			c0 := u % per * cw
			block(u/per, c0, min(c0+cw, g.post))
		}
	})
}

// zero is the sum of no elements that a running sum starts from: -0 for an inclusive one,
// so that its first element is the input's as it is (-0 + x is x, -0 included), +0 for an
// exclusive one, whose first element is that zero.
func (g scanShape) zero() float64 {
	if g.excl {
		return 0
	}
	return math.Copysign(0, -1)
}

// order returns the place along the axis of the k-th element summed.
func (g scanShape) order(k int) int {
	if g.rev {
		return g.n - 1 - k
	}
	return k
}

// scanF32 writes the running sums of src to dst (which may be src), summed in float64.
func scanF32(g scanShape, dst, src []float32) {
	n := g.n
	eachLine(g, func(lo, hi int) {
		r := lo
		// Four rows at a time: four independent chains of additions, where one waits for
		// each addition before the next.
		for ; r+4 <= hi; r += 4 {
			scanRows4F32(g, dst[r*n:(r+4)*n], src[r*n:(r+4)*n])
		}
		for ; r < hi; r++ {
			acc := g.zero()
			d, s := dst[r*n:(r+1)*n], src[r*n:(r+1)*n]
			for k := range n {
				i := g.order(k)
				x := float64(s[i])
				if g.excl {
					d[i] = float32(acc)
					acc += x
				} else {
					acc += x
					d[i] = float32(acc)
				}
			}
		}
	}, func() func(p, c0, c1 int) {
		buf := make([]float64, min(g.post, scanColumns))
		return func(p, c0, c1 int) {
			acc := fill(buf[:c1-c0], g.zero())
			scanColumnsF32(g, dst, src, acc, p, c0)
		}
	})
}

// scanColumnsF32 is scanF32 of the block of row p of pre and the len(acc) columns of post
// from c0, summed in acc.
func scanColumnsF32(g scanShape, dst, src []float32, acc []float64, p, c0 int) {
	n := g.n
	for k := range n {
		o := (p*n+g.order(k))*g.post + c0
		d, s := dst[o:o+len(acc)], src[o:o+len(acc)]
		if g.excl {
			for j, x := range s {
				d[j] = float32(acc[j])
				acc[j] += float64(x)
			}
			continue
		}
		asm.AccumulateF32(acc, s)
		for j, a := range acc {
			d[j] = float32(a)
		}
	}
}

// scanRows4F32 is scanF32 of four rows of g.n values.
func scanRows4F32(g scanShape, dst, src []float32) {
	n := g.n
	d0, d1, d2, d3 := dst[:n], dst[n:2*n], dst[2*n:3*n], dst[3*n:4*n]
	s0, s1, s2, s3 := src[:n], src[n:2*n], src[2*n:3*n], src[3*n:4*n]
	z := g.zero()
	a0, a1, a2, a3 := z, z, z, z
	for k := range n {
		i := g.order(k)
		x0, x1, x2, x3 := float64(s0[i]), float64(s1[i]), float64(s2[i]), float64(s3[i])
		if g.excl {
			d0[i], d1[i], d2[i], d3[i] = float32(a0), float32(a1), float32(a2), float32(a3)
			a0, a1, a2, a3 = a0+x0, a1+x1, a2+x2, a3+x3
		} else {
			a0, a1, a2, a3 = a0+x0, a1+x1, a2+x2, a3+x3
			d0[i], d1[i], d2[i], d3[i] = float32(a0), float32(a1), float32(a2), float32(a3)
		}
	}
}

// neumaier adds x to the compensated sum (s, comp): s + comp is the sum, comp the rounding
// errors of the additions so far, each found exactly by Knuth's TwoSum (no branch on which
// of s and x is the larger, which random signs would make a guess). A sum that is infinite
// or NaN has no rounding error to keep (inf - inf would make comp NaN): comp stays, and
// s + comp is s.
func neumaier(s, comp, x float64) (float64, float64) {
	t := s + x
	if t-t != 0 { // infinite or NaN
		return t, comp
	}
	bp := t - s
	return t, comp + ((s - (t - bp)) + (x - bp))
}

// compensated is the value of the compensated sum (s, comp): s itself while comp is zero,
// which keeps the sign of a sum of zeros.
func compensated(s, comp float64) float64 {
	if comp == 0 {
		return s
	}
	return s + comp
}

// scanF64 writes the running sums of src to dst (which may be src), compensated.
func scanF64(g scanShape, dst, src []float64) {
	n := g.n
	eachLine(g, func(lo, hi int) {
		r := lo
		for ; r+4 <= hi; r += 4 {
			scanRows4F64(g, dst[r*n:(r+4)*n], src[r*n:(r+4)*n])
		}
		for ; r < hi; r++ {
			s, comp := g.zero(), 0.0
			d, x := dst[r*n:(r+1)*n], src[r*n:(r+1)*n]
			for k := range n {
				i := g.order(k)
				v := x[i]
				if g.excl {
					d[i] = compensated(s, comp)
					s, comp = neumaier(s, comp, v)
				} else {
					s, comp = neumaier(s, comp, v)
					d[i] = compensated(s, comp)
				}
			}
		}
	}, func() func(p, c0, c1 int) {
		bufS, bufC := make([]float64, min(g.post, scanColumns)), make([]float64, min(g.post, scanColumns))
		return func(p, c0, c1 int) {
			sum, comp := fill(bufS[:c1-c0], g.zero()), bufC[:c1-c0]
			clear(comp)
			scanColumnsF64(g, dst, src, sum, comp, p, c0)
		}
	})
}

// scanRows4F64 is scanF64 of four rows of g.n values, four chains of additions at once.
func scanRows4F64(g scanShape, dst, src []float64) {
	n := g.n
	d0, d1, d2, d3 := dst[:n], dst[n:2*n], dst[2*n:3*n], dst[3*n:4*n]
	x0, x1, x2, x3 := src[:n], src[n:2*n], src[2*n:3*n], src[3*n:4*n]
	z := g.zero()
	s0, s1, s2, s3 := z, z, z, z
	var c0, c1, c2, c3 float64
	for k := range n {
		i := g.order(k)
		v0, v1, v2, v3 := x0[i], x1[i], x2[i], x3[i]
		if g.excl {
			d0[i], d1[i], d2[i], d3[i] = compensated(s0, c0), compensated(s1, c1), compensated(s2, c2), compensated(s3, c3)
		}
		s0, c0 = neumaier(s0, c0, v0)
		s1, c1 = neumaier(s1, c1, v1)
		s2, c2 = neumaier(s2, c2, v2)
		s3, c3 = neumaier(s3, c3, v3)
		if !g.excl {
			d0[i], d1[i], d2[i], d3[i] = compensated(s0, c0), compensated(s1, c1), compensated(s2, c2), compensated(s3, c3)
		}
	}
}

// scanColumnsF64 is scanF64 of the block of row p of pre and the len(sum) columns of post
// from c0, summed in (sum, comp).
func scanColumnsF64(g scanShape, dst, src, sum, comp []float64, p, c0 int) {
	n := g.n
	for k := range n {
		o := (p*n+g.order(k))*g.post + c0
		d, x := dst[o:o+len(sum)], src[o:o+len(sum)]
		for j, v := range x {
			if g.excl {
				d[j] = compensated(sum[j], comp[j])
				sum[j], comp[j] = neumaier(sum[j], comp[j], v)
			} else {
				sum[j], comp[j] = neumaier(sum[j], comp[j], v)
				d[j] = compensated(sum[j], comp[j])
			}
		}
	}
}

// scanI writes the running sums of src to dst (which may be src), each wrapped to dt.
func scanI(g scanShape, dst, src []int64, dt graph.DType) {
	n := g.n
	eachLine(g, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			var s int64
			d, x := dst[r*n:(r+1)*n], src[r*n:(r+1)*n]
			for k := range n {
				i := g.order(k)
				v := x[i]
				if g.excl {
					d[i] = wrapI(dt, s)
					s += v
				} else {
					s += v
					d[i] = wrapI(dt, s)
				}
			}
		}
	}, func() func(p, c0, c1 int) {
		buf := make([]int64, min(g.post, scanColumns))
		return func(p, c0, c1 int) {
			sum := buf[:c1-c0]
			clear(sum)
			scanColumnsI(g, dst, src, sum, dt, p, c0)
		}
	})
}

// scanColumnsI is scanI of the block of row p of pre and the len(sum) columns of post from
// c0, summed in sum.
func scanColumnsI(g scanShape, dst, src, sum []int64, dt graph.DType, p, c0 int) {
	n := g.n
	for k := range n {
		o := (p*n+g.order(k))*g.post + c0
		d, x := dst[o:o+len(sum)], src[o:o+len(sum)]
		for j, v := range x {
			if g.excl {
				d[j] = wrapI(dt, sum[j])
				sum[j] += v
			} else {
				sum[j] += v
				d[j] = wrapI(dt, sum[j])
			}
		}
	}
}

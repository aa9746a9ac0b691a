package cpu

import (
	"math"
	"runtime"
	"slices"

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

// scanSegment is the length of the pieces that a running sum along rows longer than it cuts
// each row into (see scanSegments): 64 KiB of float32, long enough that the pass of totals
// costs a call a segment, short enough that a row of a vocabulary (32K-256K values) is
// shared among the workers.
const scanSegment = 16 << 10

// scanColumns is the number of columns whose sums a worker keeps while it goes down a block
// of rows: 16 KiB of float64 accumulators, which stay in L1.
const scanColumns = 2048

// cumSum computes the kernel's running sum (graph.OpCumSum) of its prologue. Float32 (and
// 16-bit) values are summed in float64, each result rounded once; Float64 values with a
// compensated sum (each addition's rounding error kept, see neumaier), so that an element's
// error does not grow with its place along the axis; integers in int64, each result wrapped
// to the dtype. One pass over the values (rows longer than scanSegment: a pass of segment
// totals first where the rows are too few to share out, see segmented): where the kernel's
// output is the running sum itself it goes straight to out (done is then true), read straight
// from the input where the prologue is one contiguous load.
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

// rows4 returns the bounds of rows r to r+3 of n elements.
func rows4(r, n int) (lo, hi *[4]int) {
	return &[4]int{r * n, (r + 1) * n, (r + 2) * n, (r + 3) * n}, &[4]int{(r + 1) * n, (r + 2) * n, (r + 3) * n, (r + 4) * n}
}

// runs4 returns the runs s[lo[q]:hi[q]].
func runs4[T any](s []T, lo, hi *[4]int) *[4][]T {
	return &[4][]T{s[lo[0]:hi[0]], s[lo[1]:hi[1]], s[lo[2]:hi[2]], s[lo[3]:hi[3]]}
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

// segmented reports whether g's running sums are computed by scanSegments: sums along rows
// longer than scanSegment. A single row is otherwise one chain of additions on one core, each
// addition waiting for the last (16M float32: 13-14 ms on two cores, three times a
// negation); cut into segments it is a pass of totals and a pass of sums four chains at a
// time, on every core. The cut depends on the row's length alone, so that a row's sums are
// the same whatever the machine and however many rows there are; what it changes is where
// the float64 (or compensated) sums round: a segment starts from the sum of the totals
// before it rather than from the sum of every element before it.
func (g scanShape) segmented() bool { return g.post == 1 && g.n > scanSegment }

// segments is the number of segments a row is cut into where g is segmented.
func (g scanShape) segments() int { return (g.n + scanSegment - 1) / scanSegment }

// segment returns the bounds [lo, hi) in g's elements of segment u: segment u%segments of row
// u/segments, the segments of a row numbered in the order they are summed.
func (g scanShape) segment(u int) (lo, hi int) {
	per := g.segments()
	r, j := u/per, u%per
	lo, hi = j*scanSegment, min((j+1)*scanSegment, g.n)
	if g.rev {
		lo, hi = g.n-hi, g.n-lo
	}
	return r*g.n + lo, r*g.n + hi
}

// scanSegments runs the running sums of a segmented g (see segmented) on the workers. Of
// segment u (numbered as segment numbers them), total computes the total (of all but a row's
// last segment), start the sum that its running sum starts from (the zero for a row's first
// segment, else from segment u-1's start and total), and scan4 or scan1 the running sum, of
// four segments of one length at once or of one. With rows enough for each worker to take
// four at a time, a worker takes its rows a segment at a time, each segment's total first
// and its sums then read from cache; otherwise the totals are a pass over the whole input,
// and the sums a second pass. The sums are the same either way.
func (g scanShape) scanSegments(total func(u, lo, hi int), start func(u int), scan4 func(u, lo, hi *[4]int), scan1 func(u, lo, hi int)) {
	if g.pre == 0 {
		return
	}
	per := g.segments()
	if g.pre >= 4*runtime.GOMAXPROCS(0) {
		parallelFor(g.pre, 4, func(_, r0, r1 int) {
			var us, los, his [4]int
			for r := r0; r < r1; r += 4 {
				m := min(4, r1-r)
				for j := range per {
					for q := range m {
						u := (r+q)*per + j
						us[q] = u
						los[q], his[q] = g.segment(u)
						start(u)
						if j < per-1 {
							total(u, los[q], his[q])
						}
					}
					if m == 4 { // four segments of one length
						scan4(&us, &los, &his)
						continue
					}
					for q := range m {
						scan1(us[q], los[q], his[q])
					}
				}
			}
		})
		return
	}
	units := g.pre * per
	grain := max(4, scanGrain/scanSegment)
	parallelFor(units, grain, func(_, lo, hi int) {
		for u := lo; u < hi; u++ {
			if u%per != per-1 {
				lo, hi := g.segment(u)
				total(u, lo, hi)
			}
		}
	})
	for u := range units {
		start(u)
	}
	parallelFor(units, grain, func(_, u0, u1 int) {
		var us, los, his [4]int
		k := 0
		for u := u0; u < u1; u++ {
			lo, hi := g.segment(u)
			if hi-lo != scanSegment {
				scan1(u, lo, hi)
				continue
			}
			us[k], los[k], his[k] = u, lo, hi
			if k++; k == 4 {
				scan4(&us, &los, &his)
				k = 0
			}
		}
		for q := range k {
			scan1(us[q], los[q], his[q])
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
	if g.segmented() {
		// A segment's total (asm.SumF32), then each segment's start, its row's totals before
		// it added in order, then the segments summed four at a time from their starts.
		per := g.segments()
		totals, starts := make([]float64, g.pre*per), make([]float64, g.pre*per)
		g.scanSegments(func(u, lo, hi int) { totals[u] = sumF32(src[lo:hi]) },
			func(u int) {
				if u%per == 0 {
					starts[u] = g.zero()
				} else {
					starts[u] = starts[u-1] + totals[u-1]
				}
			},
			func(u *[4]int, lo, hi *[4]int) {
				scanRuns4F32(g, runs4(dst, lo, hi), runs4(src, lo, hi), [4]float64{starts[u[0]], starts[u[1]], starts[u[2]], starts[u[3]]})
			},
			func(u, lo, hi int) { scanRunF32(g, dst[lo:hi], src[lo:hi], starts[u]) })
		return
	}
	eachLine(g, func(lo, hi int) {
		r := lo
		// Four rows at a time: four independent chains of additions, where one waits for
		// each addition before the next.
		z := g.zero()
		for ; r+4 <= hi; r += 4 {
			lo, hi := rows4(r, n)
			scanRuns4F32(g, runs4(dst, lo, hi), runs4(src, lo, hi), [4]float64{z, z, z, z})
		}
		for ; r < hi; r++ {
			scanRunF32(g, dst[r*n:(r+1)*n], src[r*n:(r+1)*n], z)
		}
	}, func() func(p, c0, c1 int) {
		buf := make([]float64, min(g.post, scanColumns))
		return func(p, c0, c1 int) {
			acc := fill(buf[:c1-c0], g.zero())
			scanColumnsF32(g, dst, src, acc, p, c0)
		}
	})
}

// sumF32 is asm.SumF32, but -0 for a sum of -0s only, as a running sum through them is:
// added to a running sum, +0 would turn its -0 into +0.
func sumF32(x []float32) float64 {
	t := asm.SumF32(x)
	if t == 0 && len(x) > 0 && !slices.ContainsFunc(x, func(v float32) bool { return math.Float32bits(v) != 1<<31 }) {
		return math.Copysign(0, -1)
	}
	return t
}

// scanRunF32 writes the running sums of the run s (in g's direction) to d, from the sum acc.
func scanRunF32(g scanShape, d, s []float32, acc float64) {
	n := len(d)
	s = s[:n]
	for k := range n {
		i := k
		if g.rev {
			i = n - 1 - k
		}
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

// scanRuns4F32 is scanRunF32 of four runs of one length at once, from the sums a.
func scanRuns4F32(g scanShape, dst, src *[4][]float32, a [4]float64) {
	n := len(dst[0])
	d0, d1, d2, d3 := dst[0][:n], dst[1][:n], dst[2][:n], dst[3][:n]
	s0, s1, s2, s3 := src[0][:n], src[1][:n], src[2][:n], src[3][:n]
	a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
	// An exclusive sum writes each sum rounded an element late (p0...p3), rather than
	// rounding it before the addition: the conversions (CVTSD2SS) keep the rest of their
	// destination register, and the compiler gave all four one register, which made them one
	// chain through every element (0.9 against 0.43 ns an element).
	p0, p1, p2, p3 := float32(a0), float32(a1), float32(a2), float32(a3)
	for k := range n {
		i := k
		if g.rev {
			i = n - 1 - k
		}
		x0, x1, x2, x3 := float64(s0[i]), float64(s1[i]), float64(s2[i]), float64(s3[i])
		if g.excl {
			a0, a1, a2, a3 = a0+x0, a1+x1, a2+x2, a3+x3
			d0[i], d1[i], d2[i], d3[i] = p0, p1, p2, p3
			p0, p1, p2, p3 = float32(a0), float32(a1), float32(a2), float32(a3)
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
	if g.segmented() {
		// As scanF32 does, each segment's compensated total, and its start the compensated
		// sum of the totals before it, each total's sum and error added.
		per := g.segments()
		tsums, tcomps := make([]float64, g.pre*per), make([]float64, g.pre*per) // the totals
		sums, comps := make([]float64, g.pre*per), make([]float64, g.pre*per)   // the starts
		g.scanSegments(func(u, lo, hi int) { tsums[u], tcomps[u] = sumCompensated(src[lo:hi]) },
			func(u int) {
				if u%per == 0 {
					sums[u], comps[u] = g.zero(), 0
					return
				}
				s, comp := neumaier(sums[u-1], comps[u-1], tsums[u-1])
				sums[u], comps[u] = s, comp+tcomps[u-1]
			},
			func(u, lo, hi *[4]int) {
				scanRuns4F64(g, runs4(dst, lo, hi), runs4(src, lo, hi),
					[4]float64{sums[u[0]], sums[u[1]], sums[u[2]], sums[u[3]]},
					[4]float64{comps[u[0]], comps[u[1]], comps[u[2]], comps[u[3]]})
			},
			func(u, lo, hi int) { scanRunF64(g, dst[lo:hi], src[lo:hi], sums[u], comps[u]) })
		return
	}
	eachLine(g, func(lo, hi int) {
		r := lo
		z := g.zero()
		for ; r+4 <= hi; r += 4 {
			lo, hi := rows4(r, n)
			scanRuns4F64(g, runs4(dst, lo, hi), runs4(src, lo, hi), [4]float64{z, z, z, z}, [4]float64{})
		}
		for ; r < hi; r++ {
			scanRunF64(g, dst[r*n:(r+1)*n], src[r*n:(r+1)*n], z, 0)
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

// sumCompensated returns the compensated sum (s, comp) of x from -0 (so that a sum of -0s
// is -0, as the running sum through them is): four chains, each of every fourth element,
// joined in order.
func sumCompensated(x []float64) (s, comp float64) {
	n := len(x)
	z := math.Copysign(0, -1)
	s0, s1, s2, s3 := z, z, z, z
	var c0, c1, c2, c3 float64
	k := 0
	for ; k+4 <= n; k += 4 {
		s0, c0 = neumaier(s0, c0, x[k])
		s1, c1 = neumaier(s1, c1, x[k+1])
		s2, c2 = neumaier(s2, c2, x[k+2])
		s3, c3 = neumaier(s3, c3, x[k+3])
	}
	for ; k < n; k++ {
		s0, c0 = neumaier(s0, c0, x[k])
	}
	s, comp = s0, c0
	for _, p := range [3][2]float64{{s1, c1}, {s2, c2}, {s3, c3}} {
		s, comp = neumaier(s, comp, p[0])
		comp += p[1]
	}
	return s, comp
}

// scanRunF64 writes the running sums of the run x (in g's direction) to d, compensated, from
// the compensated sum (s, comp).
func scanRunF64(g scanShape, d, x []float64, s, comp float64) {
	n := len(d)
	x = x[:n]
	for k := range n {
		i := k
		if g.rev {
			i = n - 1 - k
		}
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

// scanRuns4F64 is scanRunF64 of four runs of one length at once, from the compensated sums
// (sums[q], comps[q]): four chains of additions.
func scanRuns4F64(g scanShape, dst, src *[4][]float64, sums, comps [4]float64) {
	n := len(dst[0])
	d0, d1, d2, d3 := dst[0][:n], dst[1][:n], dst[2][:n], dst[3][:n]
	x0, x1, x2, x3 := src[0][:n], src[1][:n], src[2][:n], src[3][:n]
	s0, s1, s2, s3 := sums[0], sums[1], sums[2], sums[3]
	c0, c1, c2, c3 := comps[0], comps[1], comps[2], comps[3]
	for k := range n {
		i := k
		if g.rev {
			i = n - 1 - k
		}
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
	if g.segmented() {
		// As scanF32 does; the sums are exact (wrapped), whatever the order.
		per := g.segments()
		totals, starts := make([]int64, g.pre*per), make([]int64, g.pre*per)
		g.scanSegments(func(u, lo, hi int) {
			var t int64
			for _, v := range src[lo:hi] {
				t += v
			}
			totals[u] = t
		},
			func(u int) {
				if u%per != 0 {
					starts[u] = starts[u-1] + totals[u-1]
				}
			},
			func(u, lo, hi *[4]int) {
				for q := range 4 {
					scanRunI(g, dst[lo[q]:hi[q]], src[lo[q]:hi[q]], starts[u[q]], dt)
				}
			},
			func(u, lo, hi int) { scanRunI(g, dst[lo:hi], src[lo:hi], starts[u], dt) })
		return
	}
	eachLine(g, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			scanRunI(g, dst[r*n:(r+1)*n], src[r*n:(r+1)*n], 0, dt)
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

// scanRunI writes the running sums of the run x (in g's direction) to d from the sum s, each
// wrapped to dt.
func scanRunI(g scanShape, d, x []int64, s int64, dt graph.DType) {
	n := len(d)
	x = x[:n]
	for k := range n {
		i := k
		if g.rev {
			i = n - 1 - k
		}
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

package cpu

import (
	"github.com/crossbar-compute/crossbar/graph"
)

// A rowKernel is a worker's state for a core computed a row at a time (a softmax, a layer
// normalization): rows sets vals, a group of whole rows, from from, the same rows' values of
// the core's prologue (from may be vals).
type rowKernel interface {
	rows(vals, from []float32)
}

// rowsGroup is the most elements of rows that a worker computes at a time: their prologue
// evaluated, the rows' core, and the kernel's epilogue or a narrowing to 16 bits, one after
// another while the group is in cache (32 KiB of float32).
const rowsGroup = 8 << 10

// plainF32 returns the Float32 input that the core's prologue reads where that is one
// contiguous load of total elements, else nil.
func (p *program) plainF32(ins []*Buffer, total int) []float32 {
	e := p.core[0]
	if e.op != graph.OpLoad || !e.view.contiguous || ins[e.input].dt != graph.Float32 {
		return nil
	}
	return view[float32](ins[e.input])[e.view.offset:][:total]
}

// rowsCore runs a 32-bit or 16-bit core computed along rows (g.post == 1), its rows shared
// out among the workers, each with a rowKernel made by worker, a group of rows at a time:
// the prologue evaluated into the group (read straight from the input where it is one
// contiguous Float32 load), the rows computed, and then the group stored (a Float32 core
// whose values are the output), narrowed to 16 bits into the output (a 16-bit one), or
// handed to the kernel's epilogue (where the output is an expression of the core's values,
// computed without tiles), each step reading the last one's values from cache. Otherwise
// the core's values are computed into a buffer of their own for the epilogue to read; done
// says whether the output is written.
func (p *program) rowsCore(out *Buffer, ins []*Buffer, g scanShape, worker func() rowKernel, epilogue func(c *ctx, s, m int)) (cv coreVals, done bool) {
	c, e := p.k.Core, p.core[0]
	total := g.pre * g.n
	direct := p.k.Expr.Op == graph.OpCoreValue && out.dt == c.DType && out.n == total
	src := p.plainF32(ins, total)
	var dst []float32
	var out16 []uint16
	switch {
	case direct && c.DType == graph.Float32:
		dst = view[float32](out)
	case direct:
		out16 = view[uint16](out)
	case p.transposed == 0:
		// The epilogue takes each group.
	default:
		dst, epilogue = make([]float32, total), nil
	}
	if g.pre == 0 || g.n == 0 {
		return coreVals{f32: dst}, direct || epilogue != nil
	}
	group := max(1, rowsGroup/g.n)
	parallelFor(g.pre, max(group, scanGrain/g.n), func(_, lo, hi int) {
		k := worker()
		var pc, ec *ctx // the prologue's and the epilogue's scratch
		if src == nil {
			pc = newCtx(p.slots, ins)
			defer putCtx(pc)
		}
		if epilogue != nil {
			ec = newCtx(p.slots, ins)
			defer putCtx(ec)
		}
		var scratch []float32 // a group's values, where dst is nil
		if dst == nil {
			scratch = make([]float32, group*g.n)
		}
		for r0 := lo; r0 < hi; r0 += group {
			lo, hi := r0*g.n, min(r0+group, hi)*g.n
			var vals []float32
			if dst != nil {
				vals = dst[lo:hi]
			} else {
				vals = scratch[:hi-lo]
			}
			from := vals
			if src != nil {
				from = src[lo:hi]
			} else {
				evalRangeF32(pc, e, vals, lo, hi)
			}
			k.rows(vals, from)
			switch {
			case out16 != nil:
				narrowHalf(c.DType, out16[lo:hi], vals)
			case dst != nil && c.DType != graph.Float32:
				roundHalf(c.DType, vals)
			case epilogue != nil:
				if c.DType != graph.Float32 {
					roundHalf(c.DType, vals) // the 16-bit core's values
				}
				ec.core = coreVals{f32: vals, base: lo}
				for s := lo; s < hi; s += p.block {
					epilogue(ec, s, min(p.block, hi-s))
				}
			}
		}
	})
	return coreVals{f32: dst}, direct || epilogue != nil
}

// evalRangeF32 evaluates e, of a dtype computed in float32, over the elements [lo, hi) of its
// domain into out (hi-lo values), with the worker's scratch c.
func evalRangeF32(c *ctx, e *enode, out []float32, lo, hi int) {
	for s := lo; s < hi; s += blockSize {
		m := min(blockSize, hi-s)
		c.enter(s, m)
		o := out[s-lo : s-lo+m]
		if v := e.evalF32(c, s, m, o); &v[0] != &o[0] {
			copy(o, v)
		}
	}
}

// linesF32 runs compute, a core's lines outside rowsCore, from the kernel's prologue (read
// where it lies when it is one contiguous Float32 load, else computed into the output
// first) to the output: the kernel's own where it is the core's Float32 values (direct),
// else a buffer. Float16 and BFloat16 results are rounded to their dtype after.
func (p *program) linesF32(out *Buffer, ins []*Buffer, total int, direct bool, compute func(dst, src []float32)) (cv coreVals, done bool) {
	dt := p.k.Core.DType
	var dst []float32
	if direct && dt == graph.Float32 {
		dst = view[float32](out)
	} else {
		dst = make([]float32, total)
	}
	src := p.plainF32(ins, total)
	if src == nil {
		p.evalIntoF32(p.core[0], ins, dst)
		src = dst
	}
	compute(dst, src)
	if dt != graph.Float32 {
		roundHalf(dt, dst)
	}
	return coreVals{f32: dst}, direct && dt == graph.Float32
}

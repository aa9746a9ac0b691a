package cpu

import (
	"math"

	"github.com/crossbar-compute/crossbar/graph"
)

// Float32 nodes are computed in float32: +, -, *, / and sqrt rounded once to float32 give
// exactly what computing in float64 and rounding gives, at half the memory traffic. The math
// functions still go through float64 (one rounding at the end).

func (c *ctx) f32slot(s int) []float32 {
	if c.f32[s] == nil {
		c.f32[s] = make([]float32, blockSize)
	}
	return c.f32[s]
}

// f64 returns the values of any float node as float64.
func (e *enode) f64(c *ctx, start, n int) []float64 {
	if e.dt != graph.Float32 {
		return e.evalF(c, start, n)
	}
	v := e.evalF32(c, start, n, nil)
	out := c.fslot(e.slot)[:n]
	for j, x := range v {
		out[j] = float64(x)
	}
	return out
}

// evalF32 computes the Float32 node e over domain elements [start, start+n), into dst when
// it is not nil. The result may alias an input buffer: callers only read it.
func (e *enode) evalF32(c *ctx, start, n int, dst []float32) []float32 {
	if e.op == graph.OpLoad && dst == nil && e.view.contiguous && c.ins[e.input].dt == graph.Float32 {
		lo := e.view.offset + start
		return view[float32](c.ins[e.input])[lo : lo+n]
	}
	out := dst
	if out == nil {
		out = c.f32slot(e.slot)[:n]
	}
	switch e.op {
	case graph.OpLoad:
		b := c.ins[e.input]
		if e.view.contiguous && b.dt == graph.Float32 {
			lo := e.view.offset + start
			copy(out, view[float32](b)[lo:lo+n])
			return out
		}
		all := e.view.fill(start, n, c.off, c.valid, c.idx)
		s := view[float32](b)
		for j, o := range c.off[:n] {
			if (all || c.valid[j]) && uint(o) < uint(len(s)) {
				out[j] = s[o]
			} else {
				out[j] = 0
			}
		}
		return out
	case graph.OpConst:
		v := float32(e.cval.F)
		if e.view.mask == nil {
			for j := range out {
				out[j] = v
			}
			return out
		}
		e.view.fill(start, n, c.off, c.valid, c.idx)
		for j := range out {
			out[j] = 0
			if c.valid[j] {
				out[j] = v
			}
		}
		return out
	case graph.OpCoreValue:
		for j, v := range c.coreF[start : start+n] {
			out[j] = float32(v)
		}
		return out
	case graph.OpCast:
		s := e.src[0]
		if isF(s.dt) {
			for j, v := range s.f64(c, start, n) {
				out[j] = float32(v)
			}
		} else {
			for j, v := range s.evalI(c, start, n) {
				out[j] = float32(v)
			}
		}
		return out
	case graph.OpWhere:
		cond := e.src[0].evalI(c, start, n)
		a := e.src[1].evalF32(c, start, n, nil)
		b := e.src[2].evalF32(c, start, n, nil)
		for j := range out {
			if cond[j] != 0 {
				out[j] = a[j]
			} else {
				out[j] = b[j]
			}
		}
		return out
	case graph.OpMulAdd:
		a := e.src[0].evalF32(c, start, n, nil)
		b := e.src[1].evalF32(c, start, n, nil)
		cc := e.src[2].evalF32(c, start, n, nil)
		for j := range out {
			out[j] = float32(math.FMA(float64(a[j]), float64(b[j]), float64(cc[j])))
		}
		return out
	}
	if e.op.IsUnary() {
		unaryF32(c, e.op, out, e.src[0].evalF32(c, start, n, nil))
		return out
	}
	a := e.src[0].evalF32(c, start, n, nil)
	b := e.src[1].evalF32(c, start, n, nil)
	binaryF32(c, e.op, out, a, b)
	return out
}

func unaryF32(c *ctx, op graph.Op, out, x []float32) {
	x = x[:len(out)]
	switch op {
	case graph.OpNeg:
		for j, v := range x {
			out[j] = -v
		}
	case graph.OpAbs:
		for j, v := range x {
			out[j] = math.Float32frombits(math.Float32bits(v) &^ (1 << 31))
		}
	case graph.OpReciprocal:
		for j, v := range x {
			out[j] = 1 / v
		}
	case graph.OpSqrt:
		for j, v := range x {
			out[j] = float32(math.Sqrt(float64(v)))
		}
	case graph.OpCopy:
		copy(out, x)
	default:
		// The math functions: computed in float64, rounded once.
		tmp := c.tmp[:len(x)]
		for j, v := range x {
			tmp[j] = float64(v)
		}
		unaryF(op, tmp)
		for j, v := range tmp {
			out[j] = float32(v)
		}
	}
}

func binaryF32(c *ctx, op graph.Op, out, a, b []float32) {
	a, b = a[:len(out)], b[:len(out)]
	switch op {
	case graph.OpAdd:
		for j := range out {
			out[j] = a[j] + b[j]
		}
	case graph.OpSub:
		for j := range out {
			out[j] = a[j] - b[j]
		}
	case graph.OpMul:
		for j := range out {
			out[j] = a[j] * b[j]
		}
	case graph.OpDiv:
		for j := range out {
			out[j] = a[j] / b[j]
		}
	case graph.OpMax:
		for j := range out {
			x, y := a[j], b[j]
			switch {
			case x != x || x > y:
				out[j] = x
			case y != y || y > x:
				out[j] = y
			default: // equal: +0 wins over -0
				out[j] = math.Float32frombits(math.Float32bits(x) & math.Float32bits(y))
			}
		}
	case graph.OpMin:
		for j := range out {
			x, y := a[j], b[j]
			switch {
			case x != x || x < y:
				out[j] = x
			case y != y || y < x:
				out[j] = y
			default: // equal: -0 wins over +0
				out[j] = math.Float32frombits(math.Float32bits(x) | math.Float32bits(y))
			}
		}
	default:
		// Mod, Rem, Pow: through float64, as the CPU reference defines them.
		ta, tb := c.tmp[:len(out)], c.tmp[blockSize:blockSize+len(out)]
		for j := range out {
			ta[j], tb[j] = float64(a[j]), float64(b[j])
		}
		binaryF(op, ta, tb)
		for j, v := range ta {
			out[j] = float32(v)
		}
	}
}

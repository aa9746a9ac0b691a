package cpu

import (
	"math"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/graph"
)

// Float32 nodes are computed in float32, on the vector kernels of package asm: +, -, *, / and
// sqrt rounded once to float32 give exactly what computing in float64 and rounding gives, at
// half the memory traffic, as do the roundings to integers, which are exact; exp, exp2, log,
// log2, tanh, erf, sin and cos are float32 polynomials within 1 ulp of the correctly rounded
// result (see asm.ExpF32 ...); tan, atan, asin, acos, sinh and cosh are built from those
// kernels and the vector arithmetic, within math32MaxULP (see math32.go).
//
// Float16 and BFloat16 nodes are computed the same way, their loads widened to float32 and
// each node's values rounded to its precision: float32 holds more than twice their bits and
// two, so +, -, *, / and sqrt rounded to float32 and then to them round as once would.

func (c *ctx) f32slot(s int) []float32 {
	if c.f32[s] == nil {
		c.f32[s] = make([]float32, maxBlock)
	}
	return c.f32[s]
}

// f64 returns the values of any float node as float64.
func (e *enode) f64(c *ctx, start, n int) []float64 {
	if !inF32(e.dt) {
		return e.evalF(c, start, n)
	}
	if e.shared {
		if m, at, ok := c.memoOf(e, start, n); ok {
			if m.genF != c.gen {
				v := e.evalF32(c, c.top, c.topN, nil)
				m.f, m.genF = c.fslot(e.slot)[:len(v)], c.gen
				for j, x := range v {
					m.f[j] = float64(x)
				}
			}
			return m.f[at : at+n]
		}
	}
	v := e.evalF32(c, start, n, nil)
	out := c.fslot(e.slot)[:n]
	for j, x := range v {
		out[j] = float64(x)
	}
	return out
}

// evalF32 computes the node e, of a dtype computed in float32 (inF32), over domain elements
// [start, start+n), into dst when it is not nil. The result may alias an input buffer:
// callers only read it.
func (e *enode) evalF32(c *ctx, start, n int, dst []float32) []float32 {
	if e.shared {
		return e.sharedF32(c, start, n, dst)
	}
	// (roundedF32, written out: a call fewer for every node.)
	v := e.computeF32(c, start, n, dst)
	if e.rounds {
		roundHalf(e.dt, v)
	}
	return v
}

// sharedF32 is evalF32 for a shared node: its values over the entry's range, computed on the
// first call.
func (e *enode) sharedF32(c *ctx, start, n int, dst []float32) []float32 {
	m, at, ok := c.memoOf(e, start, n)
	if !ok {
		return e.roundedF32(c, start, n, dst)
	}
	if m.gen32 != c.gen {
		m.f32, m.gen32 = e.roundedF32(c, c.top, c.topN, nil), c.gen
	}
	v := m.f32[at : at+n]
	if dst == nil {
		return v
	}
	copy(dst, v)
	return dst
}

// roundedF32 is evalF32, not kept.
func (e *enode) roundedF32(c *ctx, start, n int, dst []float32) []float32 {
	v := e.computeF32(c, start, n, dst)
	if e.rounds {
		roundHalf(e.dt, v)
	}
	return v
}

// roundHalf rounds float32 values to Float16 or BFloat16, in place.
func roundHalf(dt graph.DType, v []float32) {
	if dt == graph.Float16 {
		asm.RoundToFloat16(v)
	} else {
		asm.RoundToBFloat16(v)
	}
}

// widenHalf sets dst to the float32 values of the Float16 or BFloat16 (dt) bits src (exact).
func widenHalf(dt graph.DType, dst []float32, src []uint16) {
	if dt == graph.Float16 {
		asm.Float16ToF32(dst, src)
	} else {
		asm.BFloat16ToF32(dst, src)
	}
}

// narrowHalf sets dst to the Float16 or BFloat16 (dt) bits of src, rounded to nearest even.
func narrowHalf(dt graph.DType, dst []uint16, src []float32) {
	if dt == graph.Float16 {
		asm.F32ToFloat16(dst, src)
	} else {
		asm.F32ToBFloat16(dst, src)
	}
}

// loadHalf widens the values of a load from a Float16 or BFloat16 buffer into out.
func (e *enode) loadHalf(c *ctx, start int, out []float32) {
	widenHalf(c.ins[e.input].dt, out, e.halfBits(c, start, c.h16[:len(out)]))
}

// halfBits returns the bits of a load from a Float16 or BFloat16 buffer over domain elements
// [start, start+len(h)): a slice of the buffer where the view is contiguous, else h, filled.
func (e *enode) halfBits(c *ctx, start int, h []uint16) []uint16 {
	s := view[uint16](c.ins[e.input])
	n := len(h)
	if e.view.contiguous {
		lo := e.view.offset + start
		return s[lo : lo+n]
	}
	if o, ok := e.view.inPlace(start, n); ok && o >= 0 && o+n <= len(s) {
		return s[o : o+n]
	}
	switch {
	case readRuns(&e.view, s, start, h):
	default:
		all := e.view.fill(start, n, c.off, c.valid, c.idx)
		for j, o := range c.off[:n] {
			h[j] = 0 // +0 in both formats
			if (all || c.valid[j]) && uint(o) < uint(len(s)) {
				h[j] = s[o]
			}
		}
	}
	return h
}

// movesHalf reports whether e, of a 16-bit dtype, only moves values: loads of its own
// dtype, constants, and selects between the parts of a concatenation or a pad (a Where of
// a masked constant). Its bits can then be copied as they are (see moveHalf), rather than
// widened to float32 and rounded back, which gives the same bits at three times the cost.
func movesHalf(e *enode) bool {
	switch e.op {
	case graph.OpLoad, graph.OpConst:
		return true
	case graph.OpWhere:
		k := e.src[0]
		return k.op == graph.OpConst && k.view.maskInner > 0 && e.src[1].dt == e.dt && e.src[2].dt == e.dt &&
			movesHalf(e.src[1]) && movesHalf(e.src[2])
	}
	return false
}

// moveHalf writes the bits of e (movesHalf) over domain elements [start, start+len(dst))
// into dst. It reports false, dst then partly written, where a select's block is cut into
// too many parts for whole stretches: the caller computes that block in float32 instead.
func (e *enode) moveHalf(c *ctx, start int, dst []uint16) bool {
	n := len(dst)
	switch e.op {
	case graph.OpLoad:
		if c.ins[e.input].dt != e.dt {
			return false
		}
		if h := e.halfBits(c, start, dst); n > 0 && &h[0] != &dst[0] {
			copy(dst, h)
		}
		return true
	case graph.OpConst:
		var h [1]uint16
		narrowHalf(e.dt, h[:], []float32{float32(e.cval.F)})
		fillConst(e, c, start, dst, h[0])
		return true
	case graph.OpWhere:
		k := e.src[0]
		if valid, whole := k.view.validBlock(start, n); whole {
			return e.src[1+b2i(!(valid && k.cval.I != 0))].moveHalf(c, start, dst)
		}
		var buf [maxSpans]span
		sp := k.view.maskSpans(start, n, buf[:0])
		for _, s := range sp {
			if !e.src[1+b2i(!(s.valid && k.cval.I != 0))].moveHalf(c, start+s.at, dst[s.at:s.at+s.ln]) {
				return false
			}
		}
		return len(sp) > 0
	}
	return false
}

// computeF32 is evalF32 before the rounding to a 16-bit dtype.
func (e *enode) computeF32(c *ctx, start, n int, dst []float32) []float32 {
	if e.op == graph.OpLoad && dst == nil && e.view.contiguous && c.ins[e.input].dt == graph.Float32 {
		lo := e.view.offset + start
		return view[float32](c.ins[e.input])[lo : lo+n]
	}
	out := dst
	if out == nil {
		out = c.f32slot(e.slot)[:n]
	}
	if e.rowLen > 0 && n > 1 && e.op != graph.OpLoad && e.op != graph.OpConst {
		// The same value all along each row: compute it once a row (into the sources'
		// slots, which the spreading below does not touch) and spread it.
		eachRow(start, n, e.rowLen, func(at, ln int) {
			fill(out[at:at+ln], e.roundedF32(c, start+at, 1, nil)[0])
		})
		return out
	}
	if e.chain != nil && e.runChain(c, start, n, out) {
		return out
	}
	switch e.op {
	case graph.OpLoad:
		if c.tile != nil {
			if v := c.tile.row(e, start, n); v != nil {
				if dst == nil {
					return v
				}
				copy(out, v)
				return out
			}
		}
		b := c.ins[e.input]
		if b.dt == graph.Float16 || b.dt == graph.BFloat16 {
			e.loadHalf(c, start, out)
			return out
		}
		if e.view.contiguous && b.dt == graph.Float32 {
			lo := e.view.offset + start
			copy(out, view[float32](b)[lo:lo+n])
			return out
		}
		if dst == nil && b.dt == graph.Float32 && n > 1 {
			// A block that lies in the buffer as it is (callers only read a result); one
			// element, a row's value, takes the shorter path below.
			s := view[float32](b)
			if o, ok := e.view.inPlace(start, n); ok && o >= 0 && o+n <= len(s) {
				return s[o : o+n]
			}
		}
		if b.dt == graph.Float32 && n == 1 {
			// One element (a row's value, see enode.rowLen): its offset, without the
			// setting up of runs.
			out[0] = 0
			if o, ok := e.view.offsetOf(start); ok {
				if s := view[float32](b); uint(o) < uint(len(s)) {
					out[0] = s[o]
				}
			}
			return out
		}
		if b.dt == graph.Float32 && readRuns(&e.view, view[float32](b), start, out) {
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
		fillConst(e, c, start, out, float32(e.cval.F))
		return out
	case graph.OpCoreValue:
		at := start - c.core.base
		if f := c.core.f32; f != nil {
			copy(out, f[at:at+n])
		} else {
			for j, v := range c.core.f[at : at+n] {
				out[j] = float32(v)
			}
		}
		return out
	case graph.OpCast:
		s := e.src[0]
		if inF32(s.dt) {
			copy(out, s.evalF32(c, start, n, nil)) // exact: the source's values are float32's
		} else if isF(s.dt) {
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
		var cond []int64
		var u int
		var ok bool
		if k := e.src[0]; k.op == graph.OpConst && k.view.maskInner > 0 && n > 0 {
			// The parts of a concatenation or a pad: a block inside one part takes its
			// branch; a block across parts is cut into the mask's stretches, each computed
			// from its own branch, rather than both branches over the whole block.
			var buf [maxSpans]span
			if valid, whole := k.view.validBlock(start, n); whole {
				u, ok = int(b2i(valid && k.cval.I != 0)), true
			} else if sp := k.view.maskSpans(start, n, buf[:0]); len(sp) > 0 {
				for _, s := range sp {
					x := e.src[1+b2i(!(s.valid && k.cval.I != 0))].evalF32(c, start+s.at, s.ln, out[s.at:s.at+s.ln])
					if &x[0] != &out[s.at] {
						copy(out[s.at:s.at+s.ln], x)
					}
				}
				return out
			}
		}
		if !ok {
			cond, u, ok = e.whereCond(c, start, n)
		}
		if ok {
			x := e.src[2-u].evalF32(c, start, n, dst)
			if dst == nil || &x[0] == &dst[0] {
				return x
			}
			copy(out, x)
			return out
		}
		a := e.src[1].evalF32(c, start, n, nil)
		b := e.src[2].evalF32(c, start, n, nil)
		selectBits(out, cond, a, b)
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
	if hasScalarF32(e.op) {
		if s, ok := e.src[1].constF32(c); ok {
			scalarF32(e.op, out, e.src[0].evalF32(c, start, n, nil), s, false)
			return out
		}
		if s, ok := e.src[0].constF32(c); ok {
			scalarF32(e.op, out, e.src[1].evalF32(c, start, n, nil), s, true)
			return out
		}
		// One operand the same along each row (a softmax's row maximum, a layer norm's
		// mean): that operand once a row, and the broadcasting kernels on the row.
		for k, inv := range e.src {
			if inv.rowLen == 0 || e.src[1-k].rowLen > 0 {
				continue
			}
			if l := e.src[1-k]; l.op == graph.OpLoad && c.tile == nil && c.ins[l.input].dt == graph.Float32 &&
				l.view.planesIn(c.ins[l.input].n) {
				// The other operand a window of an image (a depthwise convolution's shifted
				// input times a channel's weight): the kernel reads the image's planes where
				// they lie, rather than from a copy, and the masked elements take the value
				// of the operation at 0.
				img := view[float32](c.ins[l.input])
				eachRow(start, n, inv.rowLen, func(at, ln int) {
					s := inv.evalF32(c, start+at, 1, nil)[0]
					var z [1]float32
					scalarF32(e.op, z[:], z[:], s, k == 0)
					eachPlaneOr(&l.view, start+at, out[at:at+ln], func(dst []float32, o int) {
						scalarF32(e.op, dst, img[o:o+len(dst)], s, k == 0)
					}, z[0])
				})
				return out
			}
			x := e.src[1-k].evalF32(c, start, n, nil)
			eachRow(start, n, inv.rowLen, func(at, ln int) {
				s := inv.evalF32(c, start+at, 1, nil)[0]
				scalarF32(e.op, out[at:at+ln], x[at:at+ln], s, k == 0)
			})
			return out
		}
	}
	if s, ok := e.src[1].constF32(c); ok && e.op == graph.OpPow && powConstOK(s) {
		powConst(out, e.src[0].evalF32(c, start, n, nil), s)
		return out
	}
	a := e.src[0].evalF32(c, start, n, nil)
	b := e.src[1].evalF32(c, start, n, nil)
	binaryF32(e.op, out, a, b)
	return out
}

// powConstOK reports whether powConst takes the exponent s.
func powConstOK(s float32) bool {
	return s == 0.5 || s == -0.5 || s == float32(int(s)) && s != 0 && s != 1 && max(s, -s) <= maxIntPow
}

// powConst sets out to x**s for an exponent that powConstOK takes: the common powers, bit
// for bit what float64's pow rounded to float32 gives. x**2 is the exact square in float64,
// which rounds as the float32 product does; x**0.5 is math.Pow's square root, but +0 at -0
// and +Inf at -Inf; x**-1 is math.Pow's 1/x. A square root or quotient rounded to float64
// and then to float32 is the float32 one. x**-0.5 is math.Pow's 1/Sqrt(x) in float64, but
// +Inf at ±0 and +0 at -Inf (an rsqrt, which the API spells so). The other integers up to
// maxIntPow are math.Pow's products (powInt). out may be x.
func powConst(out, x []float32, s float32) {
	switch s {
	case 2:
		asm.MulF32(out, x, x)
	case 0.5:
		inf := float32(math.Inf(1))
		if len(out) > 0 && &out[0] == &x[0] {
			// In place, -Inf is made +Inf first, whose root is math.Pow's; the roots of ±0
			// are still found zero below.
			for j, v := range x[:len(out)] {
				if v == -inf {
					x[j] = inf
				}
			}
		}
		asm.SqrtF32(out, x)
		for j, v := range x[:len(out)] {
			if v == 0 {
				out[j] = 0
			} else if v == -inf {
				out[j] = inf
			}
		}
	case -1:
		asm.ScalarDivF32(out, 1, x)
	case -0.5:
		inf := math.Inf(1)
		for j, v := range x[:len(out)] {
			b := float64(v)
			switch {
			case b == 0:
				out[j] = float32(inf)
			case b == -inf:
				out[j] = 0
			default:
				out[j] = float32(1 / math.Sqrt(b))
			}
		}
	default:
		powInt(out, x, int(s))
	}
}

// maxIntPow is the largest integer exponent powInt takes: a float32's 8th power still fits
// a float64 (3.4e38^8 < 1.8e308).
const maxIntPow = 8

// powInt sets out[j] to x[j]**p for an integer 2 <= |p| <= maxIntPow, bit for bit what
// float64's math.Pow rounded to float32 gives (a GELU's x**3, say, at the cost of a few
// multiplications rather than math.Pow's call): the same squarings and products in the same
// order (math.Pow multiplies the bits of |p| in from the lowest, then takes the reciprocal
// for p < 0), without its scaling of the mantissas, which is exact where no product
// leaves float64's normal range, as none does for float32 inputs whose result a float32
// can hold; one that underflows float64 rounds to zero in float32 either way. NaN gives
// math.NaN's NaN.
func powInt(out, x []float32, p int) {
	// The positive powers in loops of their own, each product spelled out (a loop on the
	// bits of p, or a switch on it, per element took twice to three times as long).
	switch p {
	case 3:
		powLoop(out, x, func(b float64) float64 { return b * (b * b) })
		return
	case 4:
		powLoop(out, x, func(b float64) float64 { b2 := b * b; return b2 * b2 })
		return
	case 5:
		powLoop(out, x, func(b float64) float64 { b2 := b * b; return b * (b2 * b2) })
		return
	case 6:
		powLoop(out, x, func(b float64) float64 { b2 := b * b; return b2 * (b2 * b2) })
		return
	case 7:
		powLoop(out, x, func(b float64) float64 { b2 := b * b; return (b * b2) * (b2 * b2) })
		return
	case 8:
		powLoop(out, x, func(b float64) float64 { b2 := b * b; b4 := b2 * b2; return b4 * b4 })
		return
	}
	q := max(p, -p)
	for j, v := range x[:len(out)] {
		b := float64(v)
		if b != b {
			out[j] = float32(math.NaN())
			continue
		}
		a := 1.0
		for i := q; i != 0; i >>= 1 {
			if i&1 == 1 {
				a *= b
			}
			b *= b
		}
		if p < 0 {
			a = 1 / a
		}
		out[j] = float32(a)
	}
}

// powLoop sets out[j] to pow(x[j]) rounded to float32, NaN to math.NaN's NaN (pow's
// products would keep the operand's bits). Being inlined, with pow, into each of powInt's
// cases, it runs each power's products in a loop of their own.
func powLoop(out, x []float32, pow func(b float64) float64) {
	for j, v := range x[:len(out)] {
		b := float64(v)
		if b != b {
			out[j] = float32(math.NaN())
			continue
		}
		out[j] = float32(pow(b))
	}
}

// selectBits sets out[j] to a[j] where cond[j] != 0, else to b[j], by masking bits rather
// than branching: a condition that follows the data (x > 0) would mispredict half the
// branches. Float32 goes to the vector kernels (asm.SelectF32).
func selectBits[T float32 | float64 | int64](out []T, cond []int64, a, b []T) {
	cond, a, b = cond[:len(out)], a[:len(out)], b[:len(out)]
	switch o := any(out).(type) {
	case []float32:
		asm.SelectF32(o, cond, any(a).([]float32), any(b).([]float32))
	case []float64:
		asm.SelectF64(o, cond, any(a).([]float64), any(b).([]float64))
	case []int64:
		a, b := any(a).([]int64), any(b).([]int64)
		for j := range o {
			m := -b2i(cond[j] != 0)
			o[j] = a[j]&m | b[j]&^m
		}
	}
}

// eachRow calls f for the stretches [at, at+ln) of domain elements [start, start+n) that lie
// in one row of length rowLen, the last row first: a node that computes its row value into
// its own slot (element 0) spreads the first row last, so no later row's value overwrites it.
func eachRow(start, n, rowLen int, f func(at, ln int)) {
	for end := n; end > 0; {
		at := max(0, end-1-(start+end-1)%rowLen)
		f(at, end-at)
		end = at
	}
}

func unaryF32(c *ctx, op graph.Op, out, x []float32) {
	x = x[:len(out)]
	switch op {
	case graph.OpNeg:
		asm.NegF32(out, x)
	case graph.OpAbs:
		asm.AbsF32(out, x)
	case graph.OpReciprocal:
		asm.ScalarDivF32(out, 1, x)
	case graph.OpSqrt:
		asm.SqrtF32(out, x)
	case graph.OpExp:
		asm.ExpF32(out, x)
	case graph.OpExp2:
		asm.Exp2F32(out, x)
	case graph.OpLog:
		asm.LogF32(out, x)
	case graph.OpLog2:
		asm.Log2F32(out, x)
	case graph.OpTanh:
		asm.TanhF32(out, x)
	case graph.OpErf:
		asm.ErfF32(out, x)
	case graph.OpSin:
		asm.SinF32(out, x)
	case graph.OpCos:
		asm.CosF32(out, x)
	case graph.OpRound:
		asm.RoundF32(out, x)
	case graph.OpFloor:
		asm.FloorF32(out, x)
	case graph.OpCeil:
		asm.CeilF32(out, x)
	case graph.OpTrunc:
		asm.TruncF32(out, x)
	case graph.OpCopy:
		copy(out, x)
	case graph.OpTan:
		tanF32(c.math32(), out, x)
	case graph.OpAtan:
		atanF32(c.math32(), out, x)
	case graph.OpAsin:
		asinF32(c.math32(), out, x)
	case graph.OpAcos:
		acosF32(c.math32(), out, x)
	case graph.OpSinh:
		sinhCoshF32(c.math32(), out, x, false)
	case graph.OpCosh:
		sinhCoshF32(c.math32(), out, x, true)
	default:
		// Any other: computed in float64, rounded once.
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

func binaryF32(op graph.Op, out, a, b []float32) {
	a, b = a[:len(out)], b[:len(out)]
	switch op {
	case graph.OpAdd:
		asm.AddF32(out, a, b)
	case graph.OpSub:
		asm.SubF32(out, a, b)
	case graph.OpMul:
		asm.MulF32(out, a, b)
	case graph.OpDiv:
		asm.DivF32(out, a, b)
	case graph.OpMax:
		asm.MaxF32(out, a, b)
	case graph.OpMin:
		asm.MinF32(out, a, b)
	case graph.OpPow:
		powF32(out, a, b) // math.Pow's, rounded to float32
	default:
		asm.ModF32(out, a, b, op == graph.OpMod) // Mod, Rem: binaryF's, rounded to float32
	}
}

// hasScalarF32 reports whether scalarF32 computes op.
func hasScalarF32(op graph.Op) bool {
	switch op {
	case graph.OpAdd, graph.OpSub, graph.OpMul, graph.OpDiv, graph.OpMax, graph.OpMin:
		return true
	}
	return false
}

// scalarF32 computes x op s, or s op x when left is set, with the kernels that broadcast a
// constant instead of reading a block of copies of it.
func scalarF32(op graph.Op, out, x []float32, s float32, left bool) {
	x = x[:len(out)]
	switch op {
	case graph.OpAdd:
		asm.AddScalarF32(out, x, s)
	case graph.OpMul:
		asm.MulScalarF32(out, x, s)
	case graph.OpMax:
		asm.MaxScalarF32(out, x, s)
	case graph.OpMin:
		asm.MinScalarF32(out, x, s)
	case graph.OpSub:
		if left {
			asm.ScalarSubF32(out, s, x)
		} else {
			asm.SubScalarF32(out, x, s)
		}
	case graph.OpDiv:
		if left {
			asm.ScalarDivF32(out, s, x)
		} else {
			asm.DivScalarF32(out, x, s)
		}
	}
}

// constF is constF32 for a Float64 node.
func (e *enode) constF(c *ctx) (float64, bool) {
	switch {
	case e.op == graph.OpConst && e.view.mask == nil:
		return e.cval.F, true
	case e.op == graph.OpLoad && e.view.constant && c.ins[e.input].dt == graph.Float64:
		if s := view[float64](c.ins[e.input]); uint(e.view.offset) < uint(len(s)) {
			return s[e.view.offset], true
		}
	}
	return 0, false
}

// constF32 returns the value of a node that is the same everywhere: a constant, or a load of
// one element broadcast (a scalar tensor expanded).
func (e *enode) constF32(c *ctx) (float32, bool) {
	switch {
	case e.op == graph.OpConst && e.view.mask == nil:
		return float32(e.cval.F), true
	case e.op == graph.OpLoad && e.view.constant && c.ins[e.input].dt == graph.Float32:
		if s := view[float32](c.ins[e.input]); uint(e.view.offset) < uint(len(s)) {
			return s[e.view.offset], true
		}
	}
	return 0, false
}

package cpu

import (
	"math"
	"sync"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/graph"
)

// blockSize is the number of elements each expression node computes at a time: small enough
// that a fused chain's scratch slices stay in L1, large enough to amortize the dispatch. An
// elementwise kernel may be tuned to another block (see tune_block.go), up to maxBlock, the
// capacity of the scratch slices.
const (
	blockSize = 512
	maxBlock  = 2048
)

// isF reports whether values of dt are computed as float64 (else as int64).
func isF(dt graph.DType) bool { return dt.IsFloat() }

// inF32 reports whether nodes of dt are computed in float32 (see eval32.go): Float32, and
// Float16 and BFloat16, rounded to their precision after each node.
func inF32(dt graph.DType) bool {
	return dt == graph.Float32 || dt == graph.Float16 || dt == graph.BFloat16
}

// enode is a compiled expression node.
type enode struct {
	op    graph.Op
	dt    graph.DType
	src   []*enode
	slot  int
	input int
	view  viewIter
	cval  graph.Scalar
	// rowLen is the number of domain elements, a product of the domain's trailing axes, that
	// share the node's value (every load and constant under it broadcast along those axes: a
	// row's maximum or variance read by the row's elements, a channel's bias over an image)
	// when there are enough of them for computing the value once a row to pay; else 0.
	rowLen int
	// rounds: a Float16 or BFloat16 node whose float32 values are rounded to its precision
	// (every computing node; loads, constants and selects hold such values already).
	rounds bool
	// shared: a computing node read by several others (the kernel's expression is a graph,
	// see graph.Expr), computed once over the range its entry point evaluates (see ctx.enter)
	// and kept in its slot for them all.
	shared bool
	// work: for the root of an expression, the work of computing one element (see cost).
	work int
	// chain: the program computing the node and the nodes of its spine in one pass (see
	// chain.go), or nil.
	chain *chain
}

// viewIter walks a view in row-major order of its shape.
type viewIter struct {
	shape, strides []int
	offset         int
	mask           [][2]int
	contiguous     bool // offsets are offset+i, all valid
	constant       bool // every offset is offset, all valid
	lo, hi         int  // the least and greatest offsets of valid elements (see validExtent)
	// maskInner is the number of elements under one index of the last axis that the mask
	// cuts (the product of the later axes' lengths), or 0 when the mask cuts none.
	maskInner int
	maskAxis  int // that axis, when maskInner > 0
	// rowBroadcast: the view spreads one value along each row (a row's maximum or sum read
	// by the row's elements: the last axis's stride is 0), unmasked, and its rows lie a
	// stride apart (the axes before the last are one axis in memory).
	rowBroadcast bool
	// rows: the last two axes are rows that follow one another in the buffer (unit stride
	// along a row, the row length between rows), in planes of at least minPlane elements, as
	// a shifted window of an image is: readRuns reads them a plane at a time (eachPlane).
	rows bool
}

// minPlane is the least number of elements in the last two axes for which a view is read
// a plane at a time (see eachPlane): one copy and a clear of the masked columns of each row,
// rather than a run, with its calls, for each row.
const minPlane = 64

// newViewIter walks v over the same domain with its axes of length 1 (those inside the
// mask) left out: they change no offset, and without them the axes that matter come last (a
// pool's window axes kept as units leave [..., 56, 1, 56] rows of 56).
func newViewIter(v graph.View) viewIter {
	it := viewIter{offset: v.Offset}
	for d, n := range v.Shape {
		if n == 1 && (v.Mask == nil || v.Mask[d] == [2]int{0, 1}) {
			continue
		}
		it.shape = append(it.shape, n)
		it.strides = append(it.strides, v.Strides[d])
		if v.Mask != nil {
			it.mask = append(it.mask, v.Mask[d])
		}
	}
	it.contiguous = v.IsContiguous()
	it.constant = it.mask == nil
	for _, s := range it.strides {
		if s != 0 {
			it.constant = false
		}
	}
	it.lo, it.hi = it.validExtent()
	if r := len(it.shape); it.planar() && !it.contiguous && it.strides[r-1] == 1 && it.strides[r-2] == it.shape[r-1] {
		it.rows = true
	}
	if r := len(it.shape); r >= 2 && it.mask == nil && it.strides[r-1] == 0 && it.strides[r-2] != 0 {
		it.rowBroadcast = true
		for d := range r - 2 {
			it.rowBroadcast = it.rowBroadcast && it.strides[d] == it.strides[d+1]*it.shape[d+1]
		}
	}
	inner := 1
	for d := len(it.shape) - 1; d >= 0 && it.mask != nil; d-- {
		if it.mask[d][0] > 0 || it.mask[d][1] < it.shape[d] {
			it.maskInner, it.maskAxis = inner, d
			break
		}
		inner *= it.shape[d]
	}
	return it
}

// validBlock reports whether the domain elements [start, start+n) are all valid or all
// masked (ok), and which (valid): so when they share their indices along every axis the mask
// cuts, as a block inside one part of a concatenation does.
func (v *viewIter) validBlock(start, n int) (valid, ok bool) {
	if v.maskInner == 0 {
		return true, true
	}
	if start/v.maskInner != (start+n-1)/v.maskInner {
		return false, false
	}
	_, valid = v.offsetOf(start)
	return valid, true
}

// span is a stretch [at, at+ln) of a block whose elements are all valid or all masked.
type span struct {
	at, ln int
	valid  bool
}

// maxSpans bounds the stretches maskSpans cuts a block into: a block in more of them (parts a
// few elements long, a concatenation of narrow columns) is left to the select element by
// element.
const maxSpans = 64

// maskSpans cuts domain elements [start, start+n) into the stretches the mask makes valid or
// masked, neighbours of one kind merged, appended to sp; it returns sp empty when that takes
// more than maxSpans stretches or the stretches would average under 16 elements.
func (v *viewIter) maskSpans(start, n int, sp []span) []span {
	if len(v.shape) == 0 {
		return sp[:0]
	}
	over := false
	add := func(at, ln int, valid bool) {
		if ln == 0 || over {
			return
		}
		if k := len(sp) - 1; k >= 0 && sp[k].valid == valid {
			sp[k].ln += ln
			return
		}
		if len(sp) == cap(sp) || len(sp) == maxSpans {
			over = true
			return
		}
		sp = append(sp, span{at, ln, valid})
	}
	if in := v.maskInner; in >= 16 {
		// The mask leaves the axes after the last one it cuts whole: the elements under one
		// index of that axis are valid or masked together, and so are those under a stretch
		// of its indices on one side of its valid range (a part of a concatenation), so a
		// stretch ends only where the index enters or leaves that range or wraps around.
		d := v.maskAxis
		m0, m1, size := v.mask[d][0], v.mask[d][1], v.shape[d]
		for at := start; at < start+n && !over; {
			i := at / in % size
			next := size
			if i < m0 {
				next = m0
			} else if i < m1 {
				next = m1
			}
			end := min(start+n, (at/in+next-i)*in)
			_, valid := v.offsetOf(at)
			add(at-start, end-at, valid)
			at = end
		}
	} else {
		v.walkRuns(start, n, func(at, ln, a, b, _ int) {
			if a >= b {
				add(at, ln, false)
				return
			}
			add(at, a, false)
			add(at+a, b-a, true)
			add(at+b, ln-b, false)
		})
	}
	if over || len(sp) > max(1, n/16) {
		return sp[:0]
	}
	return sp
}

// rowRuns reports whether the view is read best as runs along its last axis: a last axis
// long enough for a copy (unit stride: a slice), a fill (zero: a row broadcast like a bias)
// or a strided loop (a transpose, a flip) per run to beat an offset per element. A mask (a
// pad, the parts of a concatenation) is then decided a run at a time: the axes before the
// last are inside it or not for the whole run, and the last one cuts the run into a valid
// middle and masked ends.
func (v *viewIter) rowRuns() bool {
	r := len(v.shape)
	return r > 0 && v.shape[r-1] >= 16 && (r > 1 || v.mask != nil || v.strides[0] != 1)
}

// runs calls fn for the valid runs along the last axis that cover domain elements [start,
// start+n): run q covers out[at:at+len] and reads the buffer from offset o by the last
// axis's stride (which may be negative or zero); it calls zero for the masked stretches. It
// reports false, having called nothing, when an offset of a valid run would fall outside a
// buffer of size elements.
func (v *viewIter) runs(start, n, size int, fn func(at, o, len int), zero func(at, len int)) bool {
	if n <= 0 {
		return true
	}
	// A view whose valid elements all lie inside the buffer (the usual case) is read in runs
	// without looking further; one that reaches outside it is read element by element, as the
	// general path does, when any run of [start, start+n) would.
	if v.lo < 0 || v.hi >= size {
		inside := true
		v.walkRuns(start, n, func(_, _, a, b, o int) {
			if a < b {
				end := o + (b-a-1)*v.strides[len(v.strides)-1]
				inside = inside && min(o, end) >= 0 && max(o, end) < size
			}
		})
		if !inside {
			return false
		}
	}
	v.walkRuns(start, n, func(at, ln, a, b, o int) {
		if a >= b {
			zero(at, ln)
			return
		}
		if a > 0 {
			zero(at, a)
		}
		fn(at+a, o, b-a)
		if b < ln {
			zero(at+b, ln-b)
		}
	})
	return true
}

// inPlace returns the buffer offset of domain elements [start, start+n), and true, when they
// are all valid and follow one another in the buffer: they lie in one row of a last axis of
// unit stride (or are one element), inside its mask. A load can then be read where it lies,
// without a copy (a block of a slice's rows, of a part of a concatenation, of a pad's
// inside, of a scan's shifted rows).
func (v *viewIter) inPlace(start, n int) (int, bool) {
	r := len(v.shape)
	if r == 0 || n <= 0 || n > 1 && v.strides[r-1] != 1 {
		return 0, false
	}
	j := start % v.shape[r-1]
	if j+n > v.shape[r-1] || v.mask != nil && (j < v.mask[r-1][0] || j+n > v.mask[r-1][1]) {
		return 0, false
	}
	return v.offsetOf(start)
}

// offsetOf returns the buffer offset of domain element e, and whether it is valid (not
// masked).
func (v *viewIter) offsetOf(e int) (int, bool) {
	o := v.offset
	for d := len(v.shape) - 1; d >= 0; d-- {
		i := e % v.shape[d]
		e /= v.shape[d]
		if v.mask != nil && (i < v.mask[d][0] || i >= v.mask[d][1]) {
			return 0, false
		}
		o += i * v.strides[d]
	}
	return o, true
}

// validExtent returns the least and the greatest buffer offset of the view's valid elements
// (hi < lo when there are none).
func (v *viewIter) validExtent() (lo, hi int) {
	lo, hi = v.offset, v.offset
	for d, s := range v.strides {
		a, b := 0, v.shape[d]
		if v.mask != nil {
			a, b = max(a, v.mask[d][0]), min(b, v.mask[d][1])
		}
		if a >= b {
			return 0, -1
		}
		lo += min(a*s, (b-1)*s)
		hi += max(a*s, (b-1)*s)
	}
	return lo, hi
}

// walkRuns calls visit for each run along the last axis that covers domain elements [start,
// start+n): the run starts at domain element start+at and has ln elements, of which [a, b)
// are valid (a >= b: none), and its element a lies at buffer offset o. An odometer over the
// axes before the last steps from one run to the next, so a short last axis (a block of a
// scan, a small window) does not pay a division per axis per run.
func (v *viewIter) walkRuns(start, n int, visit func(at, ln, a, b, o int)) {
	r := len(v.shape)
	last, step := v.shape[r-1], v.strides[r-1]
	lo, hi := 0, last // the last axis's valid range
	if v.mask != nil {
		lo, hi = v.mask[r-1][0], v.mask[r-1][1]
	}
	var buf [8]int // the indices along the axes before the last, on the stack for rank <= 9
	var idx []int
	if r-1 > len(buf) {
		idx = make([]int, r-1)
	} else {
		idx = buf[:r-1]
	}
	j := start % last
	e := start / last
	base := v.offset // the buffer offset of the run's element 0 along the last axis
	for d := r - 2; d >= 0; d-- {
		idx[d] = e % v.shape[d]
		e /= v.shape[d]
		base += idx[d] * v.strides[d]
	}
	for at := 0; at < n; {
		ln := min(n-at, last-j)
		a, b := max(0, lo-j), min(ln, hi-j)
		if v.mask != nil {
			for d, i := range idx {
				if i < v.mask[d][0] || i >= v.mask[d][1] {
					a, b = 0, 0
					break
				}
			}
		}
		visit(at, ln, a, b, base+(j+a)*step)
		at += ln
		j = 0
		for d := r - 2; d >= 0; d-- {
			idx[d]++
			base += v.strides[d]
			if idx[d] < v.shape[d] {
				break
			}
			idx[d] = 0
			base -= v.shape[d] * v.strides[d]
		}
	}
}

// readRuns reads the view's domain elements [start, start+len(out)) from s into out in runs
// along the last axis, masked elements as zero; it reports false, having written nothing,
// where the view is not read in runs or reaches outside s.
func readRuns[T, U uint8 | uint16 | int32 | int64 | float32 | float64](v *viewIter, s []T, start int, out []U) bool {
	if v.planesIn(len(s)) {
		if same, ok := any(out).([]T); ok {
			// Buffer and domain step alike along a plane's rows: a stretch is a slice.
			eachPlane(v, start, same, func(dst []T, o int) { copy(dst, s[o:o+len(dst)]) })
			return true
		}
	}
	if v.rowBroadcast && v.lo >= 0 && v.hi < len(s) {
		// A fill a row, each row's offset a multiple of the row stride from the first's; the
		// whole rows of float32 and float64 values in one call (asm.FillRowsF32), where a
		// call a row cost more than its row: a softmax over rows of 64 spreads two values
		// along every row.
		r := len(v.shape)
		w, rs := v.shape[r-1], v.strides[r-2]
		row, j := start/w, start%w
		rows := rs >= 0 // whole rows may go to fillRows, until it declines the types
		for at := 0; at < len(out); row++ {
			if k := (len(out) - at) / w; j == 0 && k > 1 && rows {
				if rows = fillRows(out[at:at+k*w], w, s[v.offset+row*rs:], rs); rows {
					at += k * w
					row += k - 1
					continue
				}
			}
			ln := min(len(out)-at, w-j)
			fill(out[at:at+ln], U(s[v.offset+row*rs]))
			at += ln
			j = 0
		}
		return true
	}
	if !v.rowRuns() {
		return false
	}
	step := v.strides[len(v.strides)-1]
	return v.runs(start, len(out), len(s), func(at, o, ln int) {
		dst := out[at : at+ln]
		switch step {
		case 0:
			fill(dst, U(s[o]))
		case 1:
			if same, ok := any(dst).([]T); ok {
				copy(same, s[o:o+ln]) // a memmove, as before runs took conversions
				return
			}
			if widenRun(dst, s[o:o+ln]) {
				return
			}
			for q, x := range s[o : o+ln] {
				dst[q] = U(x)
			}
		default:
			for q := range dst {
				dst[q] = U(s[o])
				o += step
			}
		}
	}, func(at, ln int) { clear(out[at : at+ln]) })
}

// widenRun sets dst to src's uint8 or int32 values widened to int64 on the vector kernels
// (asm.WidenU8, asm.WidenI32); it reports whether it did (other types are converted by the
// caller).
func widenRun[T, U uint8 | uint16 | int32 | int64 | float32 | float64](dst []U, src []T) bool {
	d, ok := any(dst).([]int64)
	if !ok {
		return false
	}
	switch s := any(src).(type) {
	case []uint8:
		asm.WidenU8(d, s)
		return true
	case []int32:
		asm.WidenI32(d, s)
		return true
	}
	return false
}

// fillRows fills dst, rows of w values, row i with src[i*stride], on the vector kernels
// where the values are float32 or float64 and need no conversion; it reports whether it did.
func fillRows[T, U uint8 | uint16 | int32 | int64 | float32 | float64](dst []U, w int, src []T, stride int) bool {
	switch d := any(dst).(type) {
	case []float32:
		if s, ok := any(src).([]float32); ok {
			asm.FillRowsF32(d, w, s, stride)
			return true
		}
	case []float64:
		if s, ok := any(src).([]float64); ok {
			asm.FillRowsF64(d, w, s, stride)
			return true
		}
	}
	return false
}

// planesIn reports whether the view is of rows (see viewIter.rows) whose valid elements all
// lie inside a buffer of size elements: its planes can then be read a stretch at a time.
func (v *viewIter) planesIn(size int) bool { return v.rows && v.lo >= 0 && v.hi < size }

// planar reports whether the view's last two axes make planes of at least minPlane
// elements, and rows of more than one: an image's rows and columns.
func (v *viewIter) planar() bool {
	r := len(v.shape)
	return r >= 2 && v.shape[r-1] > 1 && v.shape[r-2]*v.shape[r-1] >= minPlane
}

// eachPlane writes the domain elements [start, start+len(out)) of a planar view, a plane at
// a time: stretch writes dst, the stretch from the plane's first valid element to its last
// (its first element at buffer offset o when the view is of rows, see viewIter.rows), then
// the masked columns of the rows in the stretch and the masked rows around it are cleared.
func eachPlane[T uint8 | uint16 | int32 | int64 | float32 | float64](v *viewIter, start int, out []T, stretch func(dst []T, o int)) {
	eachPlaneOr(v, start, out, stretch, 0)
}

// eachPlaneOr is eachPlane setting the masked elements to z rather than clearing them (an
// operation's value at a masked 0, such as a scale's 0·s, which is -0 for a negative s).
func eachPlaneOr[T uint8 | uint16 | int32 | int64 | float32 | float64](v *viewIter, start int, out []T, stretch func(dst []T, o int), z T) {
	// Only a z whose bits are all 0 may be cleared: -0 == 0.
	var zero T
	clears := z == zero
	if f, ok := any(z).(float32); ok {
		clears = math.Float32bits(f) == 0
	} else if f, ok := any(z).(float64); ok {
		clears = math.Float64bits(f) == 0
	}
	set := func(d []T) {
		if clears {
			clear(d)
		} else {
			fill(d, z)
		}
	}
	r := len(v.shape)
	h, w := v.shape[r-2], v.shape[r-1]
	plane := h * w
	r0, r1, c0, c1 := 0, h, 0, w // the valid rows and columns
	if v.mask != nil {
		r0, r1 = v.mask[r-2][0], v.mask[r-2][1]
		c0, c1 = v.mask[r-1][0], v.mask[r-1][1]
	}
	first, last := r0*w+c0, (r1-1)*w+c1 // the plane's valid stretch [first, last)
	if r0 >= r1 || c0 >= c1 {
		first, last = 0, 0
	}
	n := len(out)
	for at := 0; at < n; {
		q := (start + at) % plane // the position in the plane
		ln := min(n-at, plane-q)
		dst := out[at : at+ln]
		at += ln
		// The plane's offset, and whether the axes before the rows take it in.
		base, ok := v.offset, true
		p := (start + at - ln) / plane
		for d := r - 3; d >= 0; d-- {
			i := p % v.shape[d]
			p /= v.shape[d]
			if v.mask != nil && (i < v.mask[d][0] || i >= v.mask[d][1]) {
				ok = false
				break
			}
			base += i * v.strides[d]
		}
		a, b := max(first, q), min(last, q+ln) // the written stretch, in plane positions
		if !ok || a >= b {
			set(dst)
			continue
		}
		set(dst[:a-q])
		stretch(dst[a-q:b-q], base+a)
		set(dst[b-q:])
		if c0 == 0 && c1 == w {
			continue
		}
		// The masked columns inside the stretch, from the end of a row to the start of the
		// next: a loop for a few elements (a window's shift), which beats a call to clear.
		for row := a/w*w - w; row < b; row += w {
			lo, hi := max(row+c1, a)-q, min(row+w+c0, b)-q
			if hi-lo > 16 {
				set(dst[lo:hi])
				continue
			}
			for k := lo; k < hi; k++ {
				dst[k] = z
			}
		}
	}
}

// fill writes the buffer offsets of domain elements [start, start+n) and whether each is
// inside the mask; it reports whether all are valid.
func (v *viewIter) fill(start, n int, off []int, valid []bool, idx []int) bool {
	if v.contiguous {
		for j := range n {
			off[j] = v.offset + start + j
		}
		return true
	}
	if v.constant {
		for j := range n {
			off[j] = v.offset
		}
		return true
	}
	r := len(v.shape)
	idx = idx[:r]
	rem := start
	o := v.offset
	for d := r - 1; d >= 0; d-- {
		idx[d] = rem % v.shape[d]
		rem /= v.shape[d]
		o += idx[d] * v.strides[d]
	}
	all := true
	for j := range n {
		off[j] = o
		if v.mask != nil {
			ok := true
			for d, m := range v.mask {
				if idx[d] < m[0] || idx[d] >= m[1] {
					ok = false
					break
				}
			}
			valid[j] = ok
			all = all && ok
		}
		if r == 0 {
			continue
		}
		d := r - 1
		idx[d]++
		o += v.strides[d]
		for idx[d] == v.shape[d] && d > 0 {
			o -= v.shape[d] * v.strides[d]
			idx[d] = 0
			d--
			idx[d]++
			o += v.strides[d]
		}
	}
	return all
}

// ctx is one worker's scratch space.
type ctx struct {
	ins   []*Buffer
	f     [][]float64
	f32   [][]float32
	tmp   []float64 // 2*maxBlock of scratch for float32 math through float64
	i     [][]int64
	off   []int
	valid []bool
	idx   []int
	core  coreVals
	tile  *tileLoads   // while computing in tiles: the loads read a tile at a time, or nil
	h16   []uint16     // maxBlock of scratch for Float16 and BFloat16 bits
	m32   *mathScratch // made on first use (see math32.go)
	// The values of shared nodes (enode.shared), by slot, each computed once over the range
	// [top, top+topN) of the current entry; valid while their gen is gen.
	memo      []memo
	gen       uint64
	top, topN int
	// stored is an Int32 or Uint8 root whose values go to a store of its dtype, which keeps
	// their low bits as wrapping them would: computeI leaves them unwrapped (a pass less).
	stored *enode
}

// memo holds a shared node's values over its entry's range, in the forms asked for: float32
// (gen32), float64 (genF: a float64 node's, or a float32 node's widened) and int64 (genI).
type memo struct {
	gen32, genF, genI uint64
	f32               []float32
	f                 []float64
	i                 []int64
}

// enter starts the evaluation of an expression over domain elements [start, start+n), from
// outside of it (a block of the output, of a core's operand): what the shared nodes kept
// from before is stale, and every evaluation inside lies in that range. A shared node is
// computed over the whole range even where its reader asks for part of it (a row's value, a
// stretch of a select), so that no reader's values are overwritten by another's.
func (c *ctx) enter(start, n int) {
	c.gen++
	c.top, c.topN = start, n
}

// memoOf returns the memo of shared node e and the place of [start, start+n) in its
// range, or ok false when the range is not inside the entry's (not expected: the node is
// then computed for this reader alone).
func (c *ctx) memoOf(e *enode, start, n int) (m *memo, at int, ok bool) {
	at = start - c.top
	return &c.memo[e.slot], at, at >= 0 && at+n <= c.topN && c.topN <= maxBlock
}

// coreVals are the values of a kernel's core that its expression reads: a Float32, Float16 or
// BFloat16 product's in float32, as the float32 GEMM leaves them (in float64 they would take
// twice the memory and a pass to widen); other floating-point values in float64, integers in
// int64.
type coreVals struct {
	f   []float64
	f32 []float32
	i   []int64
	// base is the element of the core whose value is at index 0: a core computed a group of
	// lines at a time holds only the group's values.
	base int
}

// ctxPool keeps workers' scratch space between launches, so that a small kernel allocates
// nothing.
var ctxPool sync.Pool

// newCtx returns scratch space for a worker evaluating a program with the given number of
// expression slots; release it with putCtx.
func newCtx(slots int, ins []*Buffer) *ctx {
	c, _ := ctxPool.Get().(*ctx)
	if c == nil {
		c = &ctx{off: make([]int, maxBlock), valid: make([]bool, maxBlock), idx: make([]int, 64),
			tmp: make([]float64, 2*maxBlock), h16: make([]uint16, maxBlock)}
	}
	for len(c.f) < slots {
		c.f, c.i, c.f32 = append(c.f, nil), append(c.i, nil), append(c.f32, nil)
	}
	if len(c.memo) < slots {
		c.memo = make([]memo, slots)
	}
	c.ins = ins
	c.gen++ // nothing kept for another program's slots is valid
	c.top, c.topN = 0, 0
	return c
}

func putCtx(c *ctx) {
	c.ins, c.core = nil, coreVals{}
	ctxPool.Put(c)
}

func (c *ctx) fslot(s int) []float64 {
	if c.f[s] == nil {
		c.f[s] = make([]float64, maxBlock)
	}
	return c.f[s]
}

func (c *ctx) islot(s int) []int64 {
	if c.i[s] == nil {
		c.i[s] = make([]int64, maxBlock)
	}
	return c.i[s]
}

func roundSliceF(dt graph.DType, out []float64) {
	switch dt {
	case graph.Float32:
		for j, v := range out {
			out[j] = float64(float32(v))
		}
	case graph.Float16, graph.BFloat16:
		for lo := 0; lo < len(out); lo += blockSize {
			roundHalfBlock(dt, out[lo:min(lo+blockSize, len(out))])
		}
	}
}

// roundHalfBlock rounds up to blockSize values to float16 or bfloat16 with the vector
// conversions, through float32.
func roundHalfBlock(dt graph.DType, out []float64) {
	var f [blockSize]float32
	var h [blockSize]uint16
	fs, hs := f[:len(out)], h[:len(out)]
	for j, v := range out {
		fs[j] = float32(v)
	}
	narrowHalf(dt, hs, fs)
	widenHalf(dt, fs, hs)
	for j, v := range fs {
		out[j] = float64(v)
	}
}

// wrapI wraps an integer to the width of dt (Bool: nonzero is 1).
func wrapI(dt graph.DType, v int64) int64 {
	switch dt {
	case graph.Int32:
		return int64(int32(v))
	case graph.Uint8:
		return int64(uint8(v))
	case graph.Bool:
		if v != 0 {
			return 1
		}
		return 0
	}
	return v
}

// wrapSliceI wraps each value into dt, a loop for each dtype so that the switch is not
// taken for every element.
func wrapSliceI(dt graph.DType, out []int64) {
	switch dt {
	case graph.Int32:
		for j, v := range out {
			out[j] = int64(int32(v))
		}
	case graph.Uint8:
		for j, v := range out {
			out[j] = int64(uint8(v))
		}
	case graph.Bool:
		for j, v := range out {
			out[j] = b2i(v != 0)
		}
	}
}

// castF32 sets out to the float32 values x converted to the integer dtype dt (not Bool) as
// floatToInt and wrapSliceI do.
func castF32(dt graph.DType, out []int64, x []float32) {
	out = out[:len(x)]
	switch dt {
	case graph.Uint8:
		for j, v := range x {
			out[j] = int64(uint8(floatToInt(float64(v))))
		}
	case graph.Int32:
		for j, v := range x {
			out[j] = int64(int32(floatToInt(float64(v))))
		}
	default:
		for j, v := range x {
			out[j] = floatToInt(float64(v))
		}
	}
}

// floatToInt converts like a C cast where that is defined: truncation toward zero. NaN is 0
// and out-of-range values saturate, so that every platform gives the same answer.
func floatToInt(v float64) int64 {
	switch {
	case v != v:
		return 0
	case v >= 9.223372036854775807e18:
		return math.MaxInt64
	case v <= -9.223372036854775808e18:
		return math.MinInt64
	}
	return int64(v)
}

// evalF computes the float node e over domain elements [start, start+n).
func (e *enode) evalF(c *ctx, start, n int) []float64 {
	if inF32(e.dt) {
		return e.f64(c, start, n)
	}
	if e.shared {
		if m, at, ok := c.memoOf(e, start, n); ok {
			if m.genF != c.gen {
				m.f, m.genF = e.computeF(c, c.top, c.topN, nil), c.gen
			}
			return m.f[at : at+n]
		}
	}
	return e.computeF(c, start, n, nil)
}

// evalFInto is evalF of a Float64 node, computed into dst where e is not kept (see
// computeF).
func (e *enode) evalFInto(c *ctx, start, n int, dst []float64) []float64 {
	if e.shared {
		return e.evalF(c, start, n)
	}
	return e.computeF(c, start, n, dst)
}

// computeF is evalF for a node of Float64 (or a 64-bit float dtype), not kept: into dst when
// it is not nil (an output's block), else into e's scratch; a load of consecutive elements
// with no dst is the input itself, not a copy. Callers only read the result.
func (e *enode) computeF(c *ctx, start, n int, dst []float64) []float64 {
	out := dst
	if out == nil {
		out = c.fslot(e.slot)[:n]
	}
	switch e.op {
	case graph.OpLoad:
		if e.view.contiguous && dst == nil {
			lo := e.view.offset + start
			return view[float64](c.ins[e.input])[lo : lo+n]
		}
		if c.tile != nil {
			if v := c.tile.row64(e, start, n); v != nil {
				if dst == nil {
					return v
				}
				copy(out, v)
				return out
			}
		}
		e.loadF(c, start, out)
		return out
	case graph.OpConst:
		fillConst(e, c, start, out, e.cval.F)
		return out
	case graph.OpCoreValue:
		copy(out, c.core.f[start-c.core.base:][:n]) // a Float64 core's (evalF computes Float64 nodes only)
		return out
	case graph.OpCast:
		s := e.src[0]
		if isF(s.dt) {
			copy(out, s.evalF(c, start, n))
		} else {
			for j, v := range s.evalI(c, start, n) {
				out[j] = float64(v)
			}
		}
		roundSliceF(e.dt, out)
		return out
	case graph.OpWhere:
		cond, u, ok := e.whereCond(c, start, n)
		if ok {
			copy(out, e.src[2-u].evalF(c, start, n))
			return out
		}
		selectBits(out, cond, e.src[1].evalF(c, start, n), e.src[2].evalF(c, start, n))
		return out
	}
	if e.op == graph.OpPow {
		if s, ok := e.src[1].constF(c); ok && powConstOKF64(s) {
			powConstF64(out, e.src[0].evalF(c, start, n), s)
			roundSliceF(e.dt, out)
			return out
		}
	}
	switch {
	case e.op.IsUnary():
		unaryFTo(e.op, out, e.src[0].evalF(c, start, n))
	case e.op == graph.OpMulAdd:
		a := e.src[0].evalF(c, start, n)
		b := e.src[1].evalF(c, start, n)
		cc := e.src[2].evalF(c, start, n)
		for j := range out {
			out[j] = math.FMA(a[j], b[j], cc[j])
		}
	default:
		binaryFTo(e.op, out, e.src[0].evalF(c, start, n), e.src[1].evalF(c, start, n))
	}
	roundSliceF(e.dt, out)
	return out
}

// copyTo copies src to dst unless they are the same.
func copyTo[T any](dst, src []T) {
	if len(dst) > 0 && &dst[0] != &src[0] {
		copy(dst, src)
	}
}

// evalI computes the integer or Bool node e over domain elements [start, start+n).
func (e *enode) evalI(c *ctx, start, n int) []int64 {
	if e.shared {
		if m, at, ok := c.memoOf(e, start, n); ok {
			if m.genI != c.gen {
				m.i, m.genI = e.computeI(c, c.top, c.topN, nil), c.gen
			}
			return m.i[at : at+n]
		}
	}
	return e.computeI(c, start, n, nil)
}

// evalIInto is evalI, computed into dst where e is not kept (see computeI).
func (e *enode) evalIInto(c *ctx, start, n int, dst []int64) []int64 {
	if e.shared {
		return e.evalI(c, start, n)
	}
	return e.computeI(c, start, n, dst)
}

// computeI is evalI, not kept: into dst when it is not nil (an Int64 output's block), else
// into e's scratch; a load of consecutive elements of an Int64 buffer with no dst is the
// input itself. Callers only read the result.
func (e *enode) computeI(c *ctx, start, n int, dst []int64) []int64 {
	out := dst
	if out == nil {
		out = c.islot(e.slot)[:n]
	}
	switch e.op {
	case graph.OpLoad:
		if b := c.ins[e.input]; e.view.contiguous && dst == nil && b.dt == graph.Int64 {
			lo := e.view.offset + start
			return view[int64](b)[lo : lo+n]
		}
		e.loadI(c, start, out)
		return out
	case graph.OpConst:
		fillConst(e, c, start, out, e.cval.I)
		return out
	case graph.OpCoreValue:
		copy(out, c.core.i[start-c.core.base:][:n])
		return out
	case graph.OpCast:
		s := e.src[0]
		if inF32(s.dt) && e.dt != graph.Bool {
			// Straight from the float32 values, wrapped to the width in the same loop.
			castF32(e.dt, out, s.evalF32(c, start, n, nil))
			return out
		}
		if isF(s.dt) {
			for j, v := range s.evalF(c, start, n) {
				if e.dt == graph.Bool {
					out[j] = b2i(v != 0)
				} else {
					out[j] = floatToInt(v)
				}
			}
		} else {
			copy(out, s.evalI(c, start, n))
		}
		if e != c.stored {
			wrapSliceI(e.dt, out)
		}
		return out
	case graph.OpWhere:
		cond, u, ok := e.whereCond(c, start, n)
		if ok {
			copy(out, e.src[2-u].evalI(c, start, n))
			return out
		}
		selectBits(out, cond, e.src[1].evalI(c, start, n), e.src[2].evalI(c, start, n))
		return out
	}
	if e.op.IsCompare() {
		if inF32(e.src[0].dt) {
			a := e.src[0].evalF32(c, start, n, nil)
			b := e.src[1].evalF32(c, start, n, nil)
			compareF32(e.op, out, a, b)
		} else if isF(e.src[0].dt) {
			a := e.src[0].evalF(c, start, n)
			b := e.src[1].evalF(c, start, n)
			compare(e.op, out, a, b)
		} else {
			a := e.src[0].evalI(c, start, n)
			b := e.src[1].evalI(c, start, n)
			compare(e.op, out, a, b)
		}
		return out
	}
	switch {
	case e.op.IsUnary():
		copyTo(out, e.src[0].evalI(c, start, n))
		unaryI(e.op, e.dt, out)
	case e.op == graph.OpMulAdd:
		a := e.src[0].evalI(c, start, n)
		b := e.src[1].evalI(c, start, n)
		cc := e.src[2].evalI(c, start, n)
		for j := range out {
			out[j] = a[j]*b[j] + cc[j]
		}
	default:
		copyTo(out, e.src[0].evalI(c, start, n))
		binaryI(e.op, e.dt, out, e.src[1].evalI(c, start, n))
	}
	if e != c.stored && !(e.dt == graph.Bool && boolClosed(e.op)) {
		wrapSliceI(e.dt, out)
	}
	return out
}

// boolClosed reports whether binaryI's or unaryI's op on Bool values (0 or 1) gives 0 or 1:
// the logical ones, and those that Bool reads as them (see binaryI); their results need no
// wrapping.
func boolClosed(op graph.Op) bool {
	switch op {
	case graph.OpAnd, graph.OpOr, graph.OpXor, graph.OpNot, graph.OpAdd, graph.OpMax, graph.OpMul, graph.OpMin:
		return true
	}
	return false
}

// whereCond evaluates a Where's condition over domain elements [start, start+n) and reports
// whether it is the same throughout (u: 1 true, 0 false). A constant condition (masked: the
// parts of a concatenation) is judged by its mask, without evaluating it, when the block
// lies inside one index of every axis the mask cuts; cond is then nil.
func (e *enode) whereCond(c *ctx, start, n int) (cond []int64, u int, ok bool) {
	if k := e.src[0]; k.op == graph.OpConst && n > 0 {
		if valid, ok := k.view.validBlock(start, n); ok {
			return nil, int(b2i(valid && k.cval.I != 0)), true
		}
	}
	cond = e.src[0].evalI(c, start, n)
	u, ok = uniform(cond)
	return cond, u, ok
}

// uniform reports the branch that a Where takes for every element of a block whose
// conditions are cond (1: the first, 0: the second), if it takes one only: the block of a
// concatenation's part, of a pad's inside, of a triangle's side. The other branch is then
// not computed.
func uniform(cond []int64) (int, bool) {
	if len(cond) == 0 {
		return 0, false
	}
	first := cond[0] != 0
	if c0 := cond[0]; c0 == 0 || c0 == 1 {
		// Conditions of 0 and 1 (a comparison's, a Bool's): eight at a time, their
		// differences from the first or-ed together, one branch per eight.
		j := 0
		for ; j+8 <= len(cond); j += 8 {
			q := cond[j : j+8 : j+8]
			if (q[0]^c0)|(q[1]^c0)|(q[2]^c0)|(q[3]^c0)|(q[4]^c0)|(q[5]^c0)|(q[6]^c0)|(q[7]^c0) != 0 {
				break
			}
		}
		cond = cond[j:]
	}
	for _, v := range cond {
		if (v != 0) != first {
			return 0, false
		}
	}
	return int(b2i(first)), true
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// fillConst writes the constant v over domain elements [start, start+len(out)), and zero
// where the constant's view masks it out.
func fillConst[T uint16 | float32 | float64 | int64](e *enode, c *ctx, start int, out []T, v T) {
	if e.view.mask == nil {
		fill(out, v)
		return
	}
	if e.view.planar() {
		eachPlane(&e.view, start, out, func(dst []T, _ int) { fill(dst, v) })
		return
	}
	if e.view.rowRuns() && e.view.runs(start, len(out), math.MaxInt, func(at, _, ln int) { fill(out[at:at+ln], v) },
		func(at, ln int) { clear(out[at : at+ln]) }) {
		return
	}
	e.view.fill(start, len(out), c.off, c.valid, c.idx)
	for j := range out {
		if c.valid[j] {
			out[j] = v
		} else {
			out[j] = 0
		}
	}
}

// loadF reads a load of a Float64 node, the only float nodes evalF computes (the others are
// computed in float32, see eval32.go), from its Float64 buffer.
func (e *enode) loadF(c *ctx, start int, out []float64) {
	s := view[float64](c.ins[e.input])
	n := len(out)
	if e.view.contiguous {
		lo := e.view.offset + start
		copy(out, s[lo:lo+n])
		return
	}
	if readRuns(&e.view, s, start, out) {
		return
	}
	all := e.view.fill(start, n, c.off, c.valid, c.idx)
	gatherF(s, c.off[:n], out)
	if !all {
		for j := range out {
			if !c.valid[j] {
				out[j] = 0
			}
		}
	}
}

// gatherF reads s at the offsets (masked-out offsets may be out of range, so they are
// clamped here and zeroed by the caller).
func gatherF(s []float64, off []int, out []float64) {
	for j, o := range off {
		if uint(o) < uint(len(s)) {
			out[j] = s[o]
		}
	}
}

func gatherI[T uint8 | int32 | int64](s []T, off []int, out []int64) {
	for j, o := range off {
		if uint(o) < uint(len(s)) {
			out[j] = int64(s[o])
		}
	}
}

func (e *enode) loadI(c *ctx, start int, out []int64) {
	b := c.ins[e.input]
	n := len(out)
	if c.tile != nil {
		// A tile read ahead (see tileLoads), which holds the values' bits.
		switch b.dt {
		case graph.Int32:
			if v := c.tile.row(e, start, n); v != nil {
				for j, x := range v {
					out[j] = int64(int32(math.Float32bits(x)))
				}
				return
			}
		case graph.Int64:
			if v := c.tile.row64(e, start, n); v != nil {
				for j, x := range v {
					out[j] = int64(math.Float64bits(x))
				}
				return
			}
		}
	}
	if e.view.contiguous {
		lo := e.view.offset + start
		switch b.dt {
		case graph.Int64:
			copy(out, view[int64](b)[lo:lo+n])
			return
		case graph.Int32:
			asm.WidenI32(out, view[int32](b)[lo:lo+n])
			return
		case graph.Bool, graph.Uint8:
			asm.WidenU8(out, view[uint8](b)[lo:lo+n])
			return
		}
	}
	var ok bool
	switch b.dt {
	case graph.Bool, graph.Uint8:
		ok = readRuns(&e.view, view[uint8](b), start, out)
	case graph.Int32:
		ok = readRuns(&e.view, view[int32](b), start, out)
	case graph.Int64:
		ok = readRuns(&e.view, view[int64](b), start, out)
	}
	if ok {
		return
	}
	all := e.view.fill(start, n, c.off, c.valid, c.idx)
	off := c.off[:n]
	switch b.dt {
	case graph.Bool, graph.Uint8:
		gatherI(view[uint8](b), off, out)
	case graph.Int32:
		gatherI(view[int32](b), off, out)
	case graph.Int64:
		gatherI(view[int64](b), off, out)
	}
	if !all {
		for j := range out {
			if !c.valid[j] {
				out[j] = 0
			}
		}
	}
}

func storeI(b *Buffer, start int, vals []int64) {
	switch b.dt {
	case graph.Bool, graph.Uint8:
		asm.NarrowU8(view[uint8](b)[start:start+len(vals)], vals)
	case graph.Int32:
		asm.NarrowI32(view[int32](b)[start:start+len(vals)], vals)
	case graph.Int64:
		copy(view[int64](b)[start:], vals)
	}
}

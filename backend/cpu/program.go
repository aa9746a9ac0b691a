package cpu

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
)

// program is a compiled kernel.
type program struct {
	k     *graph.Kernel
	expr  *enode   // output expression over the output shape
	core  []*enode // core sources (reduction prologue over the permuted input shape, ...)
	slots int
	rperm []int // reductions: kept axes, then reduced axes, of the input shape
	// cols is the reduction's source over the input shape permuted to the reduced axes, then
	// the kept ones, where its loads read better in that order (see reduceColumns); else nil.
	cols  *enode
	tile  *tileEpilogue // contractions: the expression as an epilogue of the GEMM, or nil
	block int           // elements evaluated at a time by run (blockSize, or a tuned size)
	// transposed is the length of the output's rows where it is computed in tiles (see
	// transposedLoads), else 0; tloads are the loads that step across memory along rows of
	// that length, read a tile at a time (see tileLoads).
	transposed int
	tloads     []*enode
	// movesHalf: a 16-bit output that only moves values (see movesHalf), copied as bits.
	movesHalf bool
}

func compile(k *graph.Kernel) (*program, error) {
	// The program keeps the kernel's structure, not its nodes: a cached program must not
	// keep the first graph's inputs (host data, buffers) alive.
	structure := *k
	structure.Out, structure.Inputs = nil, nil
	p := &program{k: &structure}
	var err error
	if c := k.Core; c != nil {
		var perm []int
		if c.Op.IsReduce() {
			red := map[int]bool{}
			for _, a := range c.Axes {
				red[a] = true
			}
			for a := range c.InShape {
				if !red[a] {
					perm = append(perm, a)
				}
			}
			perm = append(perm, c.Axes...)
			p.rperm = perm
		}
		for _, s := range c.Src {
			en, err := p.compileExpr(s, perm)
			if err != nil {
				return nil, err
			}
			p.core = append(p.core, en)
		}
		if c.Op.IsReduce() {
			cperm := append(append([]int(nil), c.Axes...), perm[:len(perm)-len(c.Axes)]...)
			cols, err := p.compileExpr(c.Src[0], cperm)
			if err != nil {
				return nil, err
			}
			if unitLoads(cols) > unitLoads(p.core[0]) {
				p.cols = cols
			}
		}
	}
	if p.expr, err = p.compileExpr(k.Expr, nil); err != nil {
		return nil, err
	}
	p.tile = compileTile(k)
	p.block = elementwiseBlock(k)
	p.movesHalf = k.Core == nil && (p.expr.dt == graph.Float16 || p.expr.dt == graph.BFloat16) && movesHalf(p.expr)
	p.transposed = transposedLoads(p.expr)
	if p.transposed > 0 {
		p.tloads = stepAcross(p.expr, p.transposed, nil)
	}
	return p, nil
}

// compileExpr compiles the expression e, its loads' views permuted by perm (when not nil).
// A computing node that several others read (see graph.Expr) is one shared enode; loads and
// constants are compiled for each reader (they are read, not computed).
func (p *program) compileExpr(e *graph.Expr, perm []int) (*enode, error) {
	en, err := p.compileNode(e, perm, readers(e), map[*graph.Expr]*enode{})
	if err != nil {
		return nil, err
	}
	eachNode(en, func(n *enode) { en.work += n.opCost() })
	if chains {
		markChains(en)
	}
	return en, nil
}

// readers returns the number of readers of each node of the expression e (e itself: 1).
func readers(e *graph.Expr) map[*graph.Expr]int {
	refs := map[*graph.Expr]int{}
	var count func(e *graph.Expr)
	count = func(e *graph.Expr) {
		if refs[e]++; refs[e] == 1 {
			for _, s := range e.Src {
				count(s)
			}
		}
	}
	count(e)
	return refs
}

// eachNode calls f on e and on every node under it, a shared node once.
func eachNode(e *enode, f func(*enode)) {
	seen := map[*enode]bool{}
	var walk func(e *enode)
	walk = func(e *enode) {
		if e.shared {
			if seen[e] {
				return
			}
			seen[e] = true
		}
		f(e)
		for _, s := range e.src {
			walk(s)
		}
	}
	walk(e)
}

func (p *program) compileNode(e *graph.Expr, perm []int, refs map[*graph.Expr]int, done map[*graph.Expr]*enode) (*enode, error) {
	if en := done[e]; en != nil {
		return en, nil
	}
	en := &enode{op: e.Op, dt: e.DType, slot: p.slots, input: e.Input, cval: e.Const}
	p.slots++
	switch e.Op {
	case graph.OpLoad, graph.OpConst:
		v := e.View
		if perm != nil {
			v = v.Permute(perm)
		}
		en.view = newViewIter(v)
	case graph.OpCoreValue:
	default:
		if err := supported(e); err != nil {
			return nil, err
		}
	}
	for _, s := range e.Src {
		se, err := p.compileNode(s, perm, refs, done)
		if err != nil {
			return nil, err
		}
		en.src = append(en.src, se)
	}
	if refs[e] > 1 && len(e.Src) > 0 {
		en.shared = true
		done[e] = en
	}
	en.rowLen = rowInvariant(en)
	switch e.Op {
	case graph.OpLoad, graph.OpConst, graph.OpCoreValue, graph.OpWhere:
	default:
		en.rounds = e.DType == graph.Float16 || e.DType == graph.BFloat16
	}
	return en, nil
}

// minRowLen is the shortest row whose value of an expression constant along it is computed
// once and spread (see enode.rowLen): below it, the call per row costs more than it saves.
const minRowLen = 128

// rowInvariant returns e's rowLen: the number of domain elements, a product of the domain's
// trailing axes, over which e's value depends only on the axes before them, else 0. A load
// that broadcasts along several trailing axes (a channel's bias over an image's rows and
// columns) has them all: 56 x 56 elements share one value though each row has only 56.
func rowInvariant(e *enode) int {
	switch {
	case e.op == graph.OpLoad || e.op == graph.OpConst:
		v := e.view
		n := 1
		for d := len(v.shape) - 1; d >= 0 && v.strides[d] == 0; d-- {
			if v.mask != nil && (v.mask[d][0] > 0 || v.mask[d][1] < v.shape[d]) {
				break // part of the row reads as zero
			}
			n *= v.shape[d]
		}
		if n < minRowLen {
			return 0
		}
		return n
	case e.op == graph.OpCoreValue || len(e.src) == 0:
		return 0
	}
	// Each source's rowLen is a product of trailing axes, so the least of them divides the
	// others: every source is the same along it.
	n := e.src[0].rowLen
	for _, s := range e.src[1:] {
		n = min(n, s.rowLen)
	}
	return n
}

// unitLoads counts the loads under e whose elements follow one another in memory along the
// last axis of the domain: those that the evaluator reads in runs.
func unitLoads(e *enode) int {
	n := 0
	eachNode(e, func(e *enode) {
		if e.op == graph.OpLoad {
			v := e.view
			if r := len(v.shape); v.contiguous || r > 0 && v.shape[r-1] > 1 && v.strides[r-1] == 1 {
				n++
			}
		}
	})
	return n
}

// supported rejects ops that the evaluator has no code for, so that it never meets them.
func supported(e *graph.Expr) error {
	op := e.Op
	ok := op.IsElementwise()
	if ok && !isF(e.DType) && !op.IsCompare() {
		switch {
		case op.FloatOnly():
			ok = false
		case op.IsUnary():
			switch op {
			case graph.OpNeg, graph.OpNot, graph.OpAbs, graph.OpReciprocal, graph.OpTrunc, graph.OpFloor,
				graph.OpCeil, graph.OpRound, graph.OpCopy, graph.OpCast:
			default:
				ok = false
			}
		}
	}
	if ok && isF(e.DType) && (op == graph.OpAnd || op == graph.OpOr || op == graph.OpXor) {
		ok = false
	}
	if !ok {
		return fmt.Errorf("cpu: %v on %v: %w", op, e.DType, backend.ErrUnsupported)
	}
	return nil
}

// parallelFor splits [0, n) into chunks of at least grain and runs fn on them on all cores.
func parallelFor(n, grain int, fn func(w, lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	chunks := min(workers, (n+grain-1)/grain)
	if chunks <= 1 {
		if n > 0 {
			fn(0, 0, n)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range chunks {
		lo, hi := n*w/chunks, n*(w+1)/chunks
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w, lo, hi)
		}()
	}
	wg.Wait()
}

func (p *program) run(out *Buffer, ins []*Buffer) error {
	k := p.k
	n := out.n
	// eval computes output elements [s, s+m).
	// A float32 expression narrowed to 16 bits is converted once, by the vector kernels,
	// rather than through float64 and back.
	narrow := p.expr.op == graph.OpCast && p.expr.src[0].dt == graph.Float32 &&
		(p.expr.dt == graph.Float16 || p.expr.dt == graph.BFloat16)
	eval := func(c *ctx, s, m int) {
		c.enter(s, m)
		if p.expr.dt == graph.Float32 {
			p.expr.evalF32(c, s, m, view[float32](out)[s:s+m])
		} else if p.movesHalf && c.tile == nil && p.expr.moveHalf(c, s, view[uint16](out)[s:s+m]) {
			// (A transpose reads better through the tiles of the float32 path.)
			return
		} else if narrow {
			narrowHalf(p.expr.dt, view[uint16](out)[s:s+m], p.expr.src[0].evalF32(c, s, m, nil))
		} else if p.expr.dt == graph.Float16 || p.expr.dt == graph.BFloat16 {
			// Computed in float32 and rounded to the dtype node by node, the last node by the
			// store alone (rounding it in float32 first would give the same bits).
			narrowHalf(p.expr.dt, view[uint16](out)[s:s+m], p.expr.computeF32(c, s, m, nil))
		} else if isF(p.expr.dt) {
			dst := view[float64](out)[s : s+m]
			copyTo(dst, p.expr.evalFInto(c, s, m, dst))
		} else if out.dt == graph.Int64 {
			dst := view[int64](out)[s : s+m]
			copyTo(dst, p.expr.evalIInto(c, s, m, dst))
		} else {
			if p.expr.dt == out.dt && out.dt != graph.Bool {
				c.stored = p.expr
			}
			storeI(out, s, p.expr.evalI(c, s, m))
			c.stored = nil
		}
	}
	var core coreVals
	if c := k.Core; c != nil {
		if c.Op == graph.OpContract && p.gemmDirect(out, ins) {
			return nil // the GEMM wrote the output in place
		}
		if c.Op == graph.OpGather {
			if done, err := p.gatherDirect(out, ins); done {
				return err
			}
		}
		var err error
		switch {
		case c.Op == graph.OpCumSum:
			var done bool
			if core, done = p.cumSum(out, ins); done {
				return nil // the running sums went straight to the output
			}
		case c.Op == graph.OpSoftmax || c.Op == graph.OpLogSoftmax:
			var done bool
			if core, done = p.softmax(out, ins, eval); done {
				return nil // the softmax, or its epilogue, went straight to the output
			}
		case c.Op == graph.OpArgMax || c.Op == graph.OpArgMin:
			var done bool
			if core, done = p.argExtreme(out, ins); done {
				return nil // the indices went straight to the output
			}
		case c.Op == graph.OpLayerNorm:
			var done bool
			if core, done = p.layerNorm(out, ins, eval); done {
				return nil
			}
		case c.Op.IsReduce():
			core.f, core.i = p.reduce(ins, n)
		case c.Op == graph.OpContract:
			core = p.contract(ins)
		case c.Op == graph.OpGather:
			core.f, core.i, err = p.gather(ins)
		}
		if err != nil {
			return err
		}
	}
	if w := p.transposed; w > 0 && n >= 4*w {
		p.runTiles(n, ins, core, eval)
		return nil
	}
	blk := p.block
	parallelFor(n, max(4*blk, parallelWork/p.expr.cost()), func(_, lo, hi int) {
		c := newCtx(p.slots, ins)
		c.core = core
		for s := lo; s < hi; s += blk {
			eval(c, s, min(blk, hi-s))
		}
		putCtx(c)
	})
	return nil
}

// parallelWork is the least work, in elements times the cost of the expression computing
// them (enode.cost), that a kernel gives each thread: starting a second thread and waiting
// for it costs 8 µs or more, as much as adding 64K float32 values (on two cores of Zen 5, a sum
// of two vectors took 8 µs for 64K elements on one thread, 16 µs on two; 17 against 23 µs for
// 128K; from 512K elements, two were faster: 52 against 58 µs; exponentials, whose cost is 5
// to an addition's 3, from about 256K).
const parallelWork = 768 << 10

// cost estimates the work of computing one element of the expression e (compiled by
// compileExpr), in units of a load or an addition.
func (e *enode) cost() int { return max(1, e.work) }

// opCost is the work of e's own operation: four for the math functions that the vector
// kernels approximate by polynomials, else one.
func (e *enode) opCost() int {
	switch e.op {
	case graph.OpExp, graph.OpExp2, graph.OpLog, graph.OpLog2, graph.OpTanh, graph.OpErf, graph.OpSin,
		graph.OpCos, graph.OpTan, graph.OpAsin, graph.OpAcos, graph.OpAtan, graph.OpSinh, graph.OpCosh,
		graph.OpPow:
		return 4
	}
	return 1
}

// Tiles of an output whose loads step across memory along its rows (a transpose): tileRows
// rows of up to tileWidth elements each.
const (
	tileRows  = 16
	tileWidth = 256
)

// transposedLoads reports the length of the output's rows when e reads a view that steps
// across memory along the domain's last axis and along memory by one element along the axis
// before it (a transpose, or a permutation that moves the contiguous axis off the last):
// the output is then best computed in tiles of tileRows rows, which read tileWidth lines of
// the input each and each of them whole, rather than a row after another, which read a
// line for every element and come back to it only a row later. Else it reports 0.
func transposedLoads(e *enode) int {
	if e.steppingAcross() {
		return e.view.shape[len(e.view.shape)-1]
	}
	for _, s := range e.src {
		if w := transposedLoads(s); w > 0 {
			return w
		}
	}
	return 0
}

// steppingAcross reports whether e is an unmasked load that steps across memory along its
// rows and by one element from a row to the next (see transposedLoads).
func (e *enode) steppingAcross() bool {
	if e.op != graph.OpLoad || e.view.mask != nil {
		return false
	}
	v := e.view
	r := len(v.shape)
	return r >= 2 && v.shape[r-1] >= 16 && v.shape[r-2] >= 2 &&
		v.strides[r-1] != 0 && v.strides[r-1] != 1 && v.strides[r-1] != -1 &&
		(v.strides[r-2] == 1 || v.strides[r-2] == -1)
}

// stepAcross appends to loads the loads under e that step across memory along rows of w
// elements.
func stepAcross(e *enode, w int, loads []*enode) []*enode {
	eachNode(e, func(e *enode) {
		if e.steppingAcross() && e.view.shape[len(e.view.shape)-1] == w {
			loads = append(loads, e)
		}
	})
	return loads
}

// tileLoads holds a worker's values of the float32, 16-bit, Float64, Int32 and Int64 loads
// that step across memory (see transposedLoads) over the tile it computes, the 16-bit ones
// widened to float32.
// Read a row of the tile after another, as the evaluator asks for them, such a load comes
// back to each line of its input once a row, and the lines of a tile, a row length apart in
// memory (a power of two, often), fall into a few sets of the cache, which keep too few of
// them for that: each element cost a line read. So the tile's values are read first, a
// column of the tile at a time, which is a stretch of the input, and kept by rows.
type tileLoads struct {
	w            int         // the output's row length
	r0, c0, m, h int         // the tile's first row and column, its columns and rows
	vals         [][]float32 // by slot: tileRows rows of tileWidth values; nil but for the loads read here
	vals64       [][]float64 // the same of Float64 loads
	raw          []uint16    // a tile of the bits of a Float16 or BFloat16 load
	wide         []float32   // or its columns widened
}

// newTileLoads returns the space for p's loads that step across memory in float32, Float16,
// BFloat16, Float64, Int32 or Int64 buffers (only those are read here), or nil if there are
// none. An Int32 or Int64 tile holds the values' bits as float32 or float64 values, which the
// transposes and copies move unchanged.
func (p *program) newTileLoads(ins []*Buffer) *tileLoads {
	var t *tileLoads
	for _, e := range p.tloads {
		b := ins[e.input]
		wide := b.dt == graph.Float64 || b.dt == graph.Int64
		if !inF32(b.dt) && !wide && b.dt != graph.Int32 || e.view.lo < 0 || e.view.hi >= b.n {
			continue
		}
		if t == nil {
			t = &tileLoads{w: p.transposed, vals: make([][]float32, p.slots), vals64: make([][]float64, p.slots)}
		}
		if wide {
			t.vals64[e.slot] = make([]float64, tileRows*tileWidth)
			continue
		}
		t.vals[e.slot] = make([]float32, tileRows*tileWidth)
		if (b.dt == graph.Float16 || b.dt == graph.BFloat16) && t.raw == nil {
			t.raw, t.wide = make([]uint16, tileRows*tileWidth), make([]float32, tileRows*tileWidth)
		}
	}
	return t
}

// read reads the loads' values over the tile of rows [r0, r1) and columns [c0, c0+m).
func (t *tileLoads) read(ins []*Buffer, loads []*enode, r0, r1, c0, m int) {
	t.r0, t.c0, t.m, t.h = r0, c0, m, r1-r0
	var at [tileRows]int // the input offset of each row's element at column c0
	for _, e := range loads {
		vals, vals64 := t.vals[e.slot], t.vals64[e.slot]
		if vals == nil && vals64 == nil {
			continue
		}
		up := true // the rows' elements follow one another in memory
		for i := range t.h {
			at[i], _ = e.view.offsetOf((r0+i)*t.w + c0)
			up = up && at[i] == at[0]+i
		}
		step := e.view.strides[len(e.view.strides)-1]
		if vals64 != nil {
			readTile(vals64, view[float64](ins[e.input]), at[:t.h], up, step, m)
			continue
		}
		if b := ins[e.input]; b.dt == graph.Float16 || b.dt == graph.BFloat16 {
			s := view[uint16](b)
			if up && step >= t.h {
				// Each column of the tile, h bits in a row of the input, widened, then the
				// float32 tile transposed.
				tmp := t.wide[:m*t.h]
				for j := range m {
					o := at[0] + j*step
					widenHalf(b.dt, tmp[j*t.h:(j+1)*t.h], s[o:o+t.h])
				}
				asm.TransposeF32(vals, tileWidth, tmp, t.h, m, t.h)
				continue
			}
			// Else the bits gathered a column of the tile at a time, then each row widened.
			raw := t.raw[:t.h*tileWidth]
			for j := range m {
				for i := range t.h {
					raw[i*tileWidth+j] = s[at[i]+j*step]
				}
			}
			for i := range t.h {
				widenHalf(b.dt, vals[i*tileWidth:i*tileWidth+m], raw[i*tileWidth:i*tileWidth+m])
			}
			continue
		}
		readTile(vals, view[float32](ins[e.input]), at[:t.h], up, step, m)
	}
}

// readTile reads into vals the m columns of a tile whose rows start at the offsets at of s,
// their elements step apart (up: the rows' first elements follow one another).
func readTile[T float32 | float64](vals, s []T, at []int, up bool, step, m int) {
	h := len(at)
	if up && step >= h {
		// The tile's columns are rows of the input, step apart: a transpose.
		switch v := any(vals).(type) {
		case []float32:
			asm.TransposeF32(v, tileWidth, any(s).([]float32)[at[0]:], step, m, h)
		case []float64:
			asm.TransposeF64(v, tileWidth, any(s).([]float64)[at[0]:], step, m, h)
		}
		return
	}
	for j := range m {
		for i := range h {
			vals[i*tileWidth+j] = s[at[i]+j*step]
		}
	}
}

// row returns load e's values over domain elements [start, start+n) when they lie in one
// row of the tile, else nil.
func (t *tileLoads) row(e *enode, start, n int) []float32 {
	return tileRow(t, t.vals[e.slot], start, n)
}

// row64 is row for a Float64 load.
func (t *tileLoads) row64(e *enode, start, n int) []float64 {
	return tileRow(t, t.vals64[e.slot], start, n)
}

func tileRow[T float32 | float64](t *tileLoads, vals []T, start, n int) []T {
	if vals == nil {
		return nil
	}
	i, j := start/t.w-t.r0, start%t.w-t.c0
	if i < 0 || i >= t.h || j < 0 || j+n > t.m {
		return nil
	}
	return vals[i*tileWidth+j : i*tileWidth+j+n]
}

// runTiles computes the n outputs with eval in tiles of tileRows rows by tileWidth
// columns, bands of tileRows rows shared among the workers.
func (p *program) runTiles(n int, ins []*Buffer, core coreVals, eval func(c *ctx, s, m int)) {
	w := p.transposed
	rows := n / w
	bands := (rows + tileRows - 1) / tileRows
	parallelFor(bands, max(1, 4*p.block/(w*tileRows), parallelWork/(p.expr.cost()*w*tileRows)), func(_, lo, hi int) {
		c := newCtx(p.slots, ins)
		c.core = core
		c.tile = p.newTileLoads(ins)
		for b := lo; b < hi; b++ {
			r0, r1 := b*tileRows, min(rows, (b+1)*tileRows)
			for c0 := 0; c0 < w; c0 += tileWidth {
				m := min(tileWidth, w-c0)
				if c.tile != nil {
					c.tile.read(ins, p.tloads, r0, r1, c0, m)
				}
				for i := r0; i < r1; i++ {
					eval(c, i*w+c0, m)
				}
			}
		}
		c.tile = nil
		putCtx(c)
	})
}

// evalAllF32 evaluates e, of a dtype computed in float32, over its whole domain of n
// elements (a core's operand) in parallel.
func (p *program) evalAllF32(e *enode, ins []*Buffer, n int) []float32 {
	out := make([]float32, n)
	p.evalIntoF32(e, ins, out)
	return out
}

// evalAll evaluates e over its whole domain of n elements (a core's operand) in parallel.
func (p *program) evalAll(e *enode, ins []*Buffer, n int) ([]float64, []int64) {
	var fs []float64
	var is []int64
	if isF(e.dt) {
		fs = make([]float64, n)
	} else {
		is = make([]int64, n)
	}
	parallelFor(n, max(4*blockSize, parallelWork/e.cost()), func(_, lo, hi int) {
		c := newCtx(p.slots, ins)
		for s := lo; s < hi; s += blockSize {
			m := min(blockSize, hi-s)
			c.enter(s, m)
			if fs != nil {
				copy(fs[s:], e.evalF(c, s, m))
			} else {
				copy(is[s:], e.evalI(c, s, m))
			}
		}
		putCtx(c)
	})
	return fs, is
}

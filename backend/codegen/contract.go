package codegen

import (
	"fmt"
	"strings"

	"github.com/crossbar-compute/crossbar/graph"
)

// contraction describes the core of a matrix-product kernel: [batch..., M, K] x
// [batch..., K, N] -> [batch..., M, N], both operands read through their views.
type contraction struct {
	dt      graph.DType
	s       Scalar // the accumulator's type
	batch   []int
	m, n, k int
	a, b    *graph.Expr // loads
}

func (b *builder) contraction() contraction {
	c := b.k.Core
	r := len(c.Shape)
	ct := contraction{dt: c.DType, s: ComputeType(c.DType), batch: c.Shape[:r-2], m: c.Shape[r-2], n: c.Shape[r-1],
		a: c.Src[0], b: c.Src[1]}
	ct.k = ct.a.View.Shape[r-1]
	return ct
}

// fma is acc + x*y in the accumulator's type (Bool: acc || x && y).
func (ct contraction) fma(acc, x, y *Expr) *Expr {
	if ct.s == Bool {
		return Bin(OLOr, acc, Bin(OLAnd, x, y))
	}
	return Bin(OAdd, acc, Bin(OMul, x, y))
}

// operand reads operand view v (over [batch..., rows, cols]) at batch coordinates bc and
// (row, col), as a value of the accumulator's type.
func (b *builder) operand(ct contraction, e *graph.Expr, bc []*Expr, row, col *Expr) *Expr {
	coords := append(append([]*Expr{}, bc...), row, col)
	shape := e.View.Shape
	return b.load(e.Input+1, b.k.Inputs[e.Input].DType, e.View, &env{shape: shape, coords: coords})
}

func (b *builder) contract() error {
	ct := b.contraction()
	if b.skinnyOK(ct) {
		return b.contractSkinny(ct)
	}
	if la, lb, wg, ok := b.tensorCore(ct); ok {
		if wg {
			return b.contractWarpgroup(ct, la, lb)
		}
		return b.contractTensorCore(ct, la, lb)
	}
	o := b.o
	threads := (o.BlockM / o.ThreadM) * (o.BlockN / o.ThreadN)
	batch := graph.NumElements(ct.batch)
	shared := tiledShared(o)
	tiled := *o.Tiled && ct.s != Bool && ct.m*ct.n*ct.k >= o.TiledMin && ct.m >= 16 && ct.n >= 16 &&
		b.gridFits((ct.n+o.BlockN-1)/o.BlockN, (ct.m+o.BlockM-1)/o.BlockM, batch) &&
		(b.t.SharedMemory == 0 || shared <= b.t.SharedMemory) &&
		(b.t.MaxWorkgroup == 0 || threads <= b.t.MaxWorkgroup)
	if tiled {
		return b.contractTiled(ct)
	}
	return b.contractSimple(ct)
}

// contractSimple: one thread per output element, a serial loop over K.
func (b *builder) contractSimple(ct contraction) error {
	n := b.k.Out.Numel()
	b.note("contract simple: %d outputs, K = %d, workgroups of %d", n, ct.k, b.o.Local)
	gid := b.launch1D(n, b.o.Local)
	b.guard(gid, n)
	shape := append(append([]int{}, ct.batch...), ct.m, ct.n)
	c := b.decode(gid, shape, "c")
	bc, row, col := c[:len(ct.batch)], c[len(ct.batch)], c[len(ct.batch)+1]
	acc := b.variable("acc", Zero(ct.s))
	if ct.k > 0 {
		kv := Var("k", T(b.idx))
		body := b.block(func() {
			x := b.operand(ct, ct.a, bc, row, kv)
			y := b.operand(ct, ct.b, bc, kv, col)
			b.emit(&Assign{Name: acc.Name, Value: ct.fma(acc, x, y)})
		})
		b.emit(&For{Var: kv.Name, Type: b.idx, Start: b.iconst(0), End: b.iconst(ct.k), Step: b.iconst(1), Body: body})
	}
	core := b.let("v", b.narrow(acc, ct.dt, graph.OpSum))
	return b.epilogue(gid, core)
}

// vecOK reports whether operand view v can be read as aligned vectors of w elements along
// its last axis (stride 1, unmasked, offset and other strides multiples of w, and the
// length of the last axis too).
func vecOK(v graph.View, dt graph.DType, w int) bool {
	if w <= 1 || v.Mask != nil || (dt != graph.Float32 && dt != graph.Int32) {
		return false
	}
	r := len(v.Shape)
	if v.Strides[r-1] != 1 || v.Shape[r-1]%w != 0 || v.Offset%w != 0 {
		return false
	}
	for i := 0; i < r-1; i++ {
		if v.Shape[i] != 1 && v.Strides[i]%w != 0 {
			return false
		}
	}
	return true
}

// contractTiled: each workgroup computes a BlockM × BlockN tile of one batch's output. For
// every step of BlockK along K, the threads copy both operand tiles into shared memory
// (zero past the edges), then each thread accumulates its ThreadM × ThreadN block in
// registers. The epilogue runs on each element as it is stored.
func (b *builder) contractTiled(ct contraction) error {
	o := b.o
	bm, bn, bk, tm, tn := o.BlockM, o.BlockN, o.BlockK, o.ThreadM, o.ThreadN
	cols := bn / tn
	threads := (bm / tm) * cols
	// A thread's rows (columns) go in pieces of pm (pn) adjacent ones, strideM (strideN)
	// apart: one piece of ThreadM (ThreadN) unless Spread.
	pm, pn := spreadPiece(o, tm), spreadPiece(o, tn)
	strideM, strideN := bm/tm*pm, bn/tn*pn
	batch := graph.NumElements(ct.batch)
	aVec := vecOK(ct.a.View, b.k.Inputs[ct.a.Input].DType, o.Vec) && bk%o.Vec == 0
	bVec := vecOK(ct.b.View, b.k.Inputs[ct.b.Input].DType, o.Vec) && bn%o.Vec == 0
	pieces := ""
	if pm != tm || pn != tn {
		pieces = fmt.Sprintf(" in pieces of %dx%d", pm, pn)
	}
	b.note("contract tiled: block %dx%dx%d, thread tile %dx%d%s, %d threads, vector loads A:%v B:%v (width %d)",
		bm, bn, bk, tm, tn, pieces, threads, aVec, bVec, o.Vec)
	b.p.Local = [3]int{threads, 1, 1}
	gx, gy := (ct.n+bn-1)/bn, (ct.m+bm-1)/bm
	sp := b.splitOf(ct, bk, tm*tn, threads, gx, gy)
	b.setGrid(gx, gy, batch, sp)
	s := T(ct.s)
	bufs := o.Buffers
	b.p.Shared = append(b.p.Shared, &Decl{Name: "tileA", Type: s, Len: bufs * bk * bm}, &Decl{Name: "tileB", Type: s, Len: bufs * bn * bk})
	ic := b.iconst
	tid := b.named("tid", Cast(Spec(LocalID, 0, U32), b.idx))
	trow0, tcol0 := b.tileOf(gx, gy)
	row0 := b.named("row0", mulE(trow0, bm))
	col0 := b.named("col0", mulE(tcol0, bn))
	bz := b.batch(&sp)
	bc := b.decode(bz, ct.batch, "b")
	// kend is the end of this workgroup's share of K.
	kend := ic(ct.k)
	if sp.n > 1 {
		kend = b.named("kend", Sel(Bin(OEq, sp.share, ic(sp.n-1)), ic(ct.k), addE(sp.base, ic(sp.per))))
	}
	trow := b.named("trow", mulE(divE(tid, cols), pm))
	tcol := b.named("tcol", mulE(remE(tid, cols), pn))
	// at is the offset in the tile of the thread's row or column i, a constant or a loop
	// variable, from its first one t.
	at := func(t, i *Expr, piece, stride, n int) *Expr {
		if piece == n {
			return addE(t, i)
		}
		if i.Kind == KConst {
			v := int(i.I)
			return addE(t, ic(v/piece*stride+v%piece))
		}
		return addE(t, addE(mulE(divE(i, piece), stride), remE(i, piece)))
	}
	b.emit(&Decl{Name: "acc", Type: s, Len: tm * tn})
	accAt := func(i *Expr) *Expr { return Index("acc", s, i) }
	iv, jv := Var("i", T(b.idx)), Var("j", T(b.idx))
	loop := func(v *Expr, n int, body []Stmt) *For {
		return &For{Var: v.Name, Type: b.idx, Start: ic(0), End: ic(n), Step: ic(1), Body: body, Unroll: true}
	}
	b.emit(loop(iv, tm*tn, []Stmt{&Assign{Name: "acc", Index: iv, Value: Zero(ct.s)}}))

	// multiply accumulates the products of the tiles at offsets offA and offB of shared memory.
	multiply := func(offA, offB *Expr) {
		kk := Var("kk", T(b.idx))
		inner := b.block(func() {
			ra := make([]*Expr, tm)
			for i := range tm {
				ra[i] = b.named(fmt.Sprintf("a%d", i), Index("tileA", s, addE(offA, addE(mulE(kk, bm), at(trow, ic(i), pm, strideM, tm)))))
			}
			rb := make([]*Expr, tn)
			for j := range tn {
				rb[j] = b.named(fmt.Sprintf("b%d", j), Index("tileB", s, addE(offB, addE(mulE(kk, bn), at(tcol, ic(j), pn, strideN, tn)))))
			}
			for i := range tm {
				for j := range tn {
					at := ic(i*tn + j)
					b.emit(&Assign{Name: "acc", Index: at, Value: ct.fma(accAt(at), ra[i], rb[j])})
				}
			}
		})
		b.emit(loop(kk, bk, inner))
	}
	copyTiles := func(k0 *Expr, mode tileMode, offA, offB *Expr) {
		b.tileLoad(ct, ct.a, aVec, bm, bk, threads, bc, row0, k0, ct.m, ct.k, "tileA", true, mode, offA)
		b.tileLoad(ct, ct.b, bVec, bk, bn, threads, bc, k0, col0, ct.k, ct.n, "tileB", false, mode, offB)
	}
	kt := Var("k0", T(b.idx))
	if bufs == 1 {
		step := b.block(func() {
			b.emit(&Comment{Text: "Copy the tiles of A and B at k0 into shared memory."})
			copyTiles(kt, tileDirect, ic(0), ic(0))
			b.emit(&Barrier{})
			multiply(ic(0), ic(0))
			b.emit(&Barrier{})
		})
		b.emit(&For{Var: kt.Name, Type: b.idx, Start: b.k0(sp, ic(0)), End: kend, Step: ic(bk), Body: step})
	} else {
		// Two halves of shared memory: while the threads multiply the tiles of one step out
		// of one half, the tiles of the next step are on their way from memory into
		// registers, and go to the other half after the products. One barrier a step.
		b.emit(&Decl{Name: "stageA", Type: s, Len: stageLen(bm*bk, threads, aVec, o.Vec)},
			&Decl{Name: "stageB", Type: s, Len: stageLen(bk*bn, threads, bVec, o.Vec)})
		if ct.k > 0 {
			b.emit(&Comment{Text: "The tiles of the first step."})
			copyTiles(b.k0(sp, ic(0)), tileDirect, ic(0), ic(0))
			b.emit(&Barrier{})
		}
		step := Var("step", T(b.idx))
		body := b.block(func() {
			cur := b.named("cur", remE(step, 2))
			next := b.named("knext", b.k0(sp, addE(step, ic(1))))
			more := Bin(OLt, next, kend)
			// The loads of the next step take no condition of their own: past K their
			// elements are zeros of the bounds check, and a split's share reads the next
			// share's first tile, never past the operand. Under the condition of the
			// stores below, ptxas would join the two and issue the loads after the
			// products, where their latency is no longer hidden behind them.
			copyTiles(next, tileToRegs, nil, nil)
			multiply(mulE(cur, bm*bk), mulE(cur, bk*bn))
			other := b.named("other", Bin(OSub, ic(1), cur))
			b.emit(&If{Cond: more, Then: b.block(func() {
				copyTiles(next, tileFromRegs, mulE(other, bm*bk), mulE(other, bk*bn))
			})})
			b.emit(&Barrier{})
		})
		b.emit(&For{Var: step.Name, Type: b.idx, Start: ic(0), End: b.steps(sp), Step: ic(1), Body: body})
	}
	b.splitFinish(sp, tm*tn, threads, bz, tid)

	var err error
	store := b.block(func() {
		row := b.named("row", addE(row0, at(trow, iv, pm, strideM, tm)))
		col := b.named("col", addE(col0, at(tcol, jv, pn, strideN, tn)))
		err = b.storeProduct(ct, bz, row, col, accAt(addE(mulE(iv, tn), jv)))
	})
	b.emit(&Comment{Text: "Finish and store this thread's block."})
	b.emit(loop(iv, tm, []Stmt{loop(jv, tn, store)}))
	return err
}

// spreadPiece is the number of adjacent rows or columns in a piece of a thread's block of
// n along one axis: 4 (a vector of float32) when o.Spread and n is a larger multiple of 4,
// else n.
func spreadPiece(o Options, n int) int {
	if o.Spread && n > 4 && n%4 == 0 {
		return 4
	}
	return n
}

// storeProduct stores the accumulated value acc of output (row, col) of batch bz through
// the kernel's epilogue, if the output is inside the matrix.
func (b *builder) storeProduct(ct contraction, bz, row, col, acc *Expr) error {
	var err error
	then := b.block(func() {
		pos := b.named("pos", b.outputAt(ct, bz, row, col))
		core := b.let("v", b.narrow(acc, ct.dt, graph.OpSum))
		err = b.epilogue(pos, core)
	})
	b.emit(&If{Cond: b.insideOutput(ct, row, col), Then: then})
	return err
}

// outputAt is the position of output (row, col) of batch bz in the output buffer.
func (b *builder) outputAt(ct contraction, bz, row, col *Expr) *Expr {
	return addE(mulE(addE(mulE(bz, ct.m), row), ct.n), col)
}

// insideOutput says whether output (row, col) lies inside the M × N matrix.
func (b *builder) insideOutput(ct contraction, row, col *Expr) *Expr {
	return Bin(OLAnd, Bin(OLt, row, b.iconst(ct.m)), Bin(OLt, col, b.iconst(ct.n)))
}

// tileMode says where tileLoad takes the elements from and puts them.
type tileMode uint8

const (
	tileDirect   tileMode = iota // from memory into shared memory
	tileToRegs                   // from memory into the thread's staging registers
	tileFromRegs                 // from the staging registers into shared memory
)

// stageLen is the staging registers a thread needs for a tile of n elements.
func stageLen(n, threads int, vec bool, w int) int {
	if !vec {
		w = 1
	}
	return (n/w + threads - 1) / threads * w
}

// tileLoad copies the rows × cols tile of operand e at (r0, c0) into the shared array
// name at offset off, k-major: A tiles (kMajorRows: rows are M) as name[c*rows + r], B
// tiles as name[r*cols + c]. Elements past (limR, limC) are zero. In mode tileToRegs the
// elements go to the staging array "stage"+A or B instead, each thread's elements in the
// order of its rounds, and tileFromRegs copies them from there to shared memory.
func (b *builder) tileLoad(ct contraction, e *graph.Expr, vec bool, rows, cols, threads int, bc []*Expr, r0, c0 *Expr,
	limR, limC int, name string, transpose bool, mode tileMode, off *Expr) {
	ic := b.iconst
	w := 1
	if vec {
		w = b.o.Vec
		b.p.Params[e.Input+1].Vec = w
	}
	per := rows * cols / w // vectors (or elements) in the tile
	s := ComputeType(b.k.Inputs[e.Input].DType)
	stage := "stage" + name[len(name)-1:]
	lv := Var("l", T(b.idx))
	var body []Stmt
	body = b.block(func() {
		// Names of their own (prefixed a or b), as one-round copies share a scope.
		pre := strings.ToLower(name[len(name)-1:])
		var l, slot *Expr // slot: the first staging register of this round
		if per <= threads {
			l, slot = b.named(pre+"i", tid(b)), ic(0)
		} else {
			l, slot = b.named(pre+"i", addE(lv, tid(b))), mulE(divE(lv, threads), w)
		}
		// Neighbouring threads take neighbouring elements in memory: along the tile's rows
		// where the operand is contiguous along them (A stored K × M, B N × K), else along
		// its columns, so that a warp's loads share their cache lines.
		var r, c *Expr
		if vs := e.View.Strides; w == 1 && len(vs) >= 2 && vs[len(vs)-2] == 1 && vs[len(vs)-1] != 1 {
			r, c = b.named(pre+"r", remE(l, rows)), b.named(pre+"c", divE(l, rows))
		} else {
			r, c = b.named(pre+"r", divE(l, cols/w)), b.named(pre+"c", mulE(remE(l, cols/w), w))
		}
		dst := func(cc *Expr) *Expr {
			if transpose {
				return addE(off, addE(mulE(cc, rows), r))
			}
			return addE(off, addE(mulE(r, cols), cc))
		}
		if mode == tileFromRegs {
			for i := range w {
				b.emit(&Assign{Name: name, Index: dst(addE(c, ic(i))), Value: Index(stage, T(s), addE(slot, ic(i)))})
			}
			return
		}
		gr, gc := b.named(pre+"row", addE(r0, r)), b.named(pre+"col", addE(c0, c))
		inside := Bin(OLAnd, Bin(OLt, gr, ic(limR)), Bin(OLt, gc, ic(limC)))
		put := func(i int, v *Expr) {
			if mode == tileToRegs {
				b.emit(&Assign{Name: stage, Index: addE(slot, ic(i)), Value: v})
				return
			}
			b.emit(&Assign{Name: name, Index: dst(addE(c, ic(i))), Value: v})
		}
		if w == 1 {
			put(0, b.operandValue(ct, e, bc, gr, gc, inside))
			return
		}
		// Whole vectors are inside or outside: the last axis is a multiple of the width.
		idx, _ := b.at(e.View, append(append([]*Expr{}, bc...), gr, gc), nil, e.View.Shape)
		vt := Type{S: ct.s, Vec: w}
		ld := Load(e.Input+1, vt, divE(idx, w))
		zero := &Expr{Kind: KCast, Type: vt, Args: []*Expr{Zero(ct.s)}}
		v := b.let("q", Sel(inside, ld, zero))
		for i := range w {
			put(i, Lane(v, i))
		}
	})
	if per%threads != 0 {
		// The last round has fewer elements than threads.
		decl, rest := body[0], body[1:]
		body = []Stmt{decl, &If{Cond: Bin(OLt, Var(decl.(*Decl).Name, T(b.idx)), ic(per)), Then: rest}}
	}
	if per <= threads {
		// One round: t is tid.
		b.emit(body...)
		return
	}
	b.emit(&For{Var: lv.Name, Type: b.idx, Start: ic(0), End: ic(per), Step: ic(threads), Body: body, Unroll: true})
}

func tid(b *builder) *Expr { return Var("tid", T(b.idx)) }

// operandValue is operand e at (row, col), or zero outside the matrix.
func (b *builder) operandValue(ct contraction, e *graph.Expr, bc []*Expr, row, col, inside *Expr) *Expr {
	coords := append(append([]*Expr{}, bc...), row, col)
	idx, valid := b.at(e.View, coords, nil, e.View.Shape)
	s := ComputeType(b.k.Inputs[e.Input].DType)
	if valid != nil && valid.IsConst() {
		return Zero(s)
	}
	cond := andE(inside, valid)
	if cond == nil {
		return b.let("v", Load(e.Input+1, T(s), idx))
	}
	return b.let("v", Sel(cond, Load(e.Input+1, T(s), idx), Zero(s)))
}

// tiledShared is the bytes of shared memory that the tiled template's tiles take, at 8
// bytes a value (the widest accumulator).
func tiledShared(o Options) int { return o.Buffers * (o.BlockM + o.BlockN) * o.BlockK * 8 }

// maxRasterM bounds Options.RasterM.
const maxRasterM = 64

// tileOf returns the row and the column of the output tile that this workgroup computes,
// of gy rows and gx columns of tiles (a batch's): tileRow and its group's x, or with
// RasterM > 1 the tile at its place in the order of bands of RasterM rows (the last band
// maybe fewer), each band column by column. Every tile is taken once either way.
func (b *builder) tileOf(gx, gy int) (row, col *Expr) {
	x, y := Cast(Spec(GroupID, 0, U32), b.idx), b.tileRow()
	r := b.o.RasterM
	if r <= 1 || gx <= 1 || gy <= 1 {
		return y, x
	}
	r = min(r, gy)
	b.note("tiles in bands of %d rows", r)
	ic := b.iconst
	id := b.named("wgid", addE(mulE(y, gx), x))
	band := b.named("band", divE(id, r*gx))
	first := mulE(band, r)
	in := b.named("inband", remE(id, r*gx))
	rows := ic(r)
	if gy%r != 0 {
		// The last band has the rows that are left.
		rows = b.named("bandrows", Sel(Bin(OEq, band, ic(gy/r)), ic(gy%r), ic(r)))
	}
	row = b.named("rowtile", addE(first, Bin(ORem, in, rows)))
	col = b.named("coltile", Bin(ODiv, in, rows))
	return row, col
}

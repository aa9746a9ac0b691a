package codegen

import "github.com/crossbar-compute/crossbar/graph"

// Split-K (Options.SplitK): a product with few output tiles and a long K (1760 × 16 over
// K = 1760) leaves most of a GPU idle when each tile is one workgroup. With a split, the
// workgroups of one tile take consecutive shares of K, whole steps of the template each,
// and the grid's third dimension counts batch × shares. Each workgroup stores its partial
// tile in the workspace (Program.Split), each thread its accumulators at the same place
// in every share, and counts itself done on the tile's counter; the one that counts last
// sums the partial tiles of all the shares in the order of K, resets the counter for the
// next launch and runs the epilogue. The sum does not depend on which workgroup is last,
// so results are the same from run to run.

// maxSplitK bounds Options.SplitK.
const maxSplitK = 64

// maxPartials bounds the partial tiles of a split, in 4-byte words (256 MiB): a split is
// for products of few tiles, whose partials take a few MiB; a knob that asks for one on a
// large product gets none.
const maxPartials = 1 << 26

// kSplit is how the workgroups of an output tile share K: n shares of per values of K,
// whole steps of bk; n == 1 is no split.
type kSplit struct {
	n, per, bk, k int
	share, base   *Expr // this workgroup's share and its first K (index type); set by batch
}

// noSplit is all of K in steps of bk.
func noSplit(ct contraction, bk int) kSplit { return kSplit{n: 1, per: ct.k, bk: bk, k: ct.k} }

// splitOf returns the split of K that the options ask for, as far as the target and the
// product allow: float32 accumulators, shares of at least one step, the grid and the
// workspace within their limits; a split goes in the kernel's notes. accs and threads are
// the accumulators of a thread and the threads of a workgroup, gx × gy the output tiles
// of a batch.
func (b *builder) splitOf(ct contraction, bk, accs, threads, gx, gy int) kSplit {
	sp := noSplit(ct, bk)
	n := b.o.SplitK
	if n <= 1 || !b.t.SplitK || ct.s != F32 || ct.k <= bk {
		return sp
	}
	steps := (ct.k + bk - 1) / bk
	n = min(n, steps)
	per := (steps + n - 1) / n
	n = (steps + per - 1) / per
	batch := max(graph.NumElements(ct.batch), 1)
	if n <= 1 || !b.gridFits(gx, gy, batch*n) || int64(gx*gy*batch)*int64(n)*int64(accs*threads) > maxPartials {
		return sp
	}
	sp.n, sp.per = n, per*bk
	b.note("split K: %d shares of %d", sp.n, sp.per)
	return sp
}

// productGrid is the grid of a product template: gx × gy output tiles of each of z
// batches and shares of a split (z = batches × shares). The launch's third dimension
// counts the z; where they pass the target's limit of a dimension (MaxGroups: 65,535 on
// CUDA, which 100,000 batches of 32 × 32 pass), fold of them lie along the second
// dimension instead, as bands of gy tile rows, and the third counts groups of fold.
type productGrid struct {
	gx, gy, z, fold int
	row             *Expr // tileRow's
}

// gridFits reports whether a product template's grid of gx × gy tiles, z times, fits
// the target's launch dimensions, folded as setGrid folds it.
func (b *builder) gridFits(gx, gy, z int) bool {
	m := b.t.MaxGroups
	return gx <= m && gy <= m && (z <= m || (z+m-1)/m*gy <= m)
}

// setGrid sets the launch grid of a product template of gx × gy tiles a batch, batch
// batches (0 for none), and the shares of split sp.
func (b *builder) setGrid(gx, gy, batch int, sp kSplit) {
	z := max(batch, 1) * sp.n
	fold := 1
	if z > b.t.MaxGroups {
		fold = (z + b.t.MaxGroups - 1) / b.t.MaxGroups
		b.note("grid: %d batches and shares, %d of them in bands along the second dimension", z, fold)
	}
	b.grid = productGrid{gx: gx, gy: gy, z: z, fold: fold}
	b.p.Groups = [3]int{gx, gy * fold, (z + fold - 1) / fold}
}

// tileRow is the row of the output tile of this workgroup among the gy of a batch: its
// second group coordinate, less the bands of a fold. With a fold it is declared where
// first asked for, which the templates do before they branch.
func (b *builder) tileRow() *Expr {
	y := Cast(Spec(GroupID, 1, U32), b.idx)
	if b.grid.fold <= 1 {
		return y
	}
	if b.grid.row == nil {
		b.grid.row = b.named("tilerow", remE(y, b.grid.gy))
	}
	return b.grid.row
}

// batch binds the batch of this workgroup from its third group coordinate (and with a
// fold its band of the second), and with a split its share of K. The workgroups past the
// last of a fold leave at once, all their threads together, before any barrier.
func (b *builder) batch(sp *kSplit) *Expr {
	gz := Cast(Spec(GroupID, 2, U32), b.idx)
	if g := b.grid; g.fold > 1 {
		gz = b.named("gz", addE(mulE(gz, g.fold), divE(Cast(Spec(GroupID, 1, U32), b.idx), g.gy)))
		if b.p.Groups[2]*g.fold > g.z {
			b.emit(&If{Cond: Bin(OLe, b.iconst(g.z), gz), Then: []Stmt{&Return{}}})
		}
	} else if sp.n > 1 {
		gz = b.named("gz", gz)
	}
	if sp.n == 1 {
		return b.named("batch", gz)
	}
	sp.share = b.named("share", remE(gz, sp.n))
	sp.base = b.named("kbase", mulE(sp.share, sp.per))
	return b.named("batch", divE(gz, sp.n))
}

// steps is the number of steps of bk of this workgroup's share of K (index type): all of
// K without a split.
func (b *builder) steps(sp kSplit) *Expr {
	all := (sp.k + sp.bk - 1) / sp.bk
	if sp.n == 1 {
		return b.iconst(all)
	}
	last := all - (sp.n-1)*(sp.per/sp.bk)
	return b.named("steps", Sel(Bin(OEq, sp.share, b.iconst(sp.n-1)), b.iconst(last), b.iconst(sp.per/sp.bk)))
}

// k0 is the first K of step kt (index type) of this workgroup's share.
func (b *builder) k0(sp kSplit, kt *Expr) *Expr {
	if sp.n == 1 {
		return mulE(kt, sp.bk)
	}
	return addE(sp.base, mulE(kt, sp.bk))
}

// splitFinish, after the last step of a split product, leaves the threads of the
// workgroup that counts last for its tile with the sums of all the shares in the float32
// accumulators acc (accs a thread), and ends the others. bz is the workgroup's batch, tid
// the thread's index in the workgroup of threads.
func (b *builder) splitFinish(sp kSplit, accs, threads int, bz, tid *Expr) {
	if sp.n == 1 {
		return
	}
	g := b.grid
	tiles := g.gx * g.gy * (g.z / sp.n)
	per := accs * threads // a partial tile
	pc, pp := b.workspace(tiles, tiles*sp.n*per, F32)
	ic := b.iconst
	tid = b.named("ptid", Cast(tid, b.idx))
	gx, gy := Cast(Spec(GroupID, 0, U32), b.idx), b.tileRow()
	tile := b.named("tile", addE(mulE(addE(mulE(bz, g.gy), gy), g.gx), gx))
	// partial is the place of accumulator i of this thread in share z of the tile.
	partial := func(z, i *Expr) *Expr {
		return addE(addE(mulE(addE(mulE(tile, sp.n), z), per), mulE(i, threads)), tid)
	}
	iv := Var("si", T(b.idx))
	loop := func(v *Expr, n int, body []Stmt, unroll bool) *For {
		return &For{Var: v.Name, Type: b.idx, Start: ic(0), End: ic(n), Step: ic(1), Body: body, Unroll: unroll}
	}
	accAt := func(i *Expr) *Expr { return Index("acc", T(F32), Cast(i, I32)) }
	b.emit(&Comment{Text: "Split K: store this share's partial tile, count it done, and leave the sum to the workgroup that counts last."})
	b.emit(loop(iv, accs, []Stmt{&Store{Param: pp, Index: partial(sp.share, iv), Value: accAt(iv)}}, true))
	// The barrier orders the workgroup's stores before thread 0's count.
	b.emit(&Barrier{})
	count := b.block(func() { b.countDone(pc, tile, sp.n) })
	b.emit(&If{Cond: Bin(OEq, tid, ic(0)), Then: count}, &Barrier{})
	b.emit(&If{Cond: Bin(OEq, Index("splitLast", T(I32), i32(0)), i32(0)), Then: []Stmt{&Return{}}})
	zv := Var("sz", T(b.idx))
	sum := loop(iv, accs, []Stmt{&Assign{Name: "acc", Index: Cast(iv, I32),
		Value: Bin(OAdd, accAt(iv), Load(pp, T(F32), partial(zv, iv)))}}, true)
	b.emit(loop(iv, accs, []Stmt{&Assign{Name: "acc", Index: Cast(iv, I32), Value: Zero(F32)}}, true))
	b.emit(loop(zv, sp.n, []Stmt{sum}, false))
}

// workspace adds the parameters of the workspace of a kernel whose workgroups meet through
// it (Program.Split), counters Int32 counters and partials values of accumulator type s
// (any in partialTypes), and the shared flag that countDone sets; it returns the indices
// of the two parameters.
func (b *builder) workspace(counters, partials int, s Scalar) (pc, pp int) {
	dt := partialTypes[s]
	pc, pp = len(b.p.Params), len(b.p.Params)+1
	b.p.Params = append(b.p.Params, Param{Name: "counters", DType: graph.Int32, Write: true, Len: counters},
		Param{Name: "partials", DType: dt, Write: true, Len: partials})
	b.p.Split = Workspace{Counters: counters, Partials: partials * dt.Size() / 4}
	b.p.Shared = append(b.p.Shared, &Decl{Name: "splitLast", Type: T(I32), Len: 1})
	return pc, pp
}

// partialTypes are the accumulator types whose values a workspace holds, and the dtypes
// it holds them in: their own, but for Uint8's (U32) and Bool's, which it holds as Int32
// words (storePartial, loadPartial), the smallest that every thread can store alone.
var partialTypes = map[Scalar]graph.DType{F32: graph.Float32, F64: graph.Float64, I32: graph.Int32, I64: graph.Int64,
	U32: graph.Int32, Bool: graph.Int32}

// storePartial is the statement that stores v, a value of accumulator type s, at index at
// of the workspace's partials (parameter pp).
func storePartial(pp int, at, v *Expr, s Scalar) Stmt {
	if partialTypes[s] == graph.Int32 {
		v = Cast(v, I32) // U32: the same bits; Bool: 0 or 1
	}
	return &Store{Param: pp, Index: at, Value: v}
}

// loadPartial is the value of accumulator type s that storePartial stored at index at of
// the workspace's partials (parameter pp).
func loadPartial(pp int, at *Expr, s Scalar) *Expr {
	switch s {
	case U32:
		return Cast(Load(pp, T(I32), at), U32)
	case Bool:
		return Bin(ONe, Load(pp, T(I32), at), Int(0, I32))
	}
	return Load(pp, T(s), at)
}

// countDone, run by one thread of a workgroup that has stored its share of a result in
// the workspace, counts the workgroup done on counter at of parameter pc, one of n that
// share the result, and sets the shared flag splitLast for the one that counts last,
// which also resets the counter for the next launch. The fence before the count orders
// the stores before it for every workgroup (a release); the last fences again before
// its workgroup reads the others' stores, after a barrier (an acquire).
func (b *builder) countDone(pc int, at *Expr, n int) {
	b.emit(&Intrinsic{Op: IFenceDevice})
	before := b.named("arrived", Call(FnAtomicAdd, I32, Addr(Load(pc, T(I32), at)), i32(1)))
	last := b.named("last", Bin(OEq, before, i32(n-1)))
	b.emit(&Assign{Name: "splitLast", Index: i32(0), Value: Sel(last, i32(1), i32(0))})
	b.emit(&If{Cond: last, Then: []Stmt{&Intrinsic{Op: IFenceDevice}, &Store{Param: pc, Index: at, Value: i32(0)}}})
}

package codegen

import (
	"fmt"

	"github.com/crossbar-compute/crossbar/graph"
)

// The warpgroup form of the tensor-core Contract template (Target.WarpgroupMMA: Nvidia
// sm_90a).
//
// A workgroup of TCBlockM/64 warpgroups (four warps each) computes a TCBlockM × TCBlockN
// tile of one batch's output; warpgroup w computes rows 64w ... 64w+63 of it with
// wgmma.m64nNk16 (N = TCBlockN), which reads both operands straight from shared memory
// through matrix descriptors and accumulates in the registers of the warpgroup's 128
// threads, TCBlockN/2 floats each. The operand tiles come in with asynchronous 16-byte
// copies (8-byte ones, two a chunk, for operands in rows aligned to 8 bytes only) into the
// layouts that the descriptors describe (the PTX ISA's canonical ones):
//   - a K-major tile (K along rows in memory) as rows of TCBlockK values, the chunks of
//     each row swizzled within atoms of 8 rows, the same layout as the warp-level
//     template's, and in the descriptor's terms a 32-, 64- or 128-byte swizzle;
//   - an MN-major tile as atoms of 64 values along M (N) by TCBlockK rows of K, each row
//     128 bytes with its chunks swizzled by the row: the 128-byte swizzle, the wgmma
//     reading it transposed.
//
// The swizzles follow the bits of the shared-memory address, so the stages start on a
// 1024-byte boundary of the shared array (which is 1 KiB longer for it).
//
// The MMAs run asynchronously, and the tiles come in one of two ways.
//
// With tensor copies (Target.TensorMaps, Options.TMA, operands in 16-byte aligned rows):
// thread 0 loads a stage with one tensor copy a tile (an atom of an MN-major one) through
// the kernel's tensor maps, which lay the boxes out swizzled as the descriptors describe;
// a transaction barrier a stage ("full") completes when their bytes have landed, and every
// thread waits for it before the step's MMAs. Once a step's MMAs are done, each warp
// arrives at the stage's "empty" barrier; thread 0 waits for all of them before loading
// the stage again, TCStages steps later. The copies thus run TCStages-1 steps ahead, no
// thread but one spends instructions on them, and no workgroup barrier holds the
// warpgroups in step.
//
// Otherwise every thread copies 16-byte chunks: a step waits for its tiles' copies, makes
// them visible to the MMAs (fence.proxy.async) and to the other threads (a barrier),
// issues the copies of a later step, then its MMAs, and waits only for the MMAs of the
// step before (with TCStages of at least 3), so that the tensor cores always have a step
// queued. The copies therefore run TCStages-2 steps ahead: the stage they overwrite is the
// one the MMAs two steps back read, which every warpgroup has waited for before the
// barrier.

// wgCheck reports why the warpgroup template cannot take the knobs of o ("" if it can).
func wgCheck(o Options) string {
	switch {
	case o.TCBlockM%64 != 0 || o.TCBlockM > 256:
		return fmt.Sprintf("TCBlockM %d is not 64, 128 or 256", o.TCBlockM)
	case o.TCBlockN%64 != 0 || o.TCBlockN > 256:
		return fmt.Sprintf("TCBlockN %d is not a multiple of 64 up to 256", o.TCBlockN)
	}
	return ""
}

// wgShared is the bytes of shared memory that the warpgroup template takes: the stages,
// the room to align them, and two transaction barriers a stage (with tensor copies).
func wgShared(o Options) int { return tcShared(o) + 1024 + 16*o.TCStages }

// warpgroupFits reports whether the warpgroup template takes a product whose operands
// lie as la and lb, with the builder's options and target.
func (b *builder) warpgroupFits(la, lb tcLayout) bool {
	o := b.o
	return b.t.WarpgroupMMA && *o.Warpgroup && !la.gathered() && !lb.gathered() && wgCheck(o) == "" &&
		(b.t.MaxWorkgroup <= 0 || 2*o.TCBlockM <= b.t.MaxWorkgroup) && (b.t.SharedMemory <= 0 || wgShared(o) <= b.t.SharedMemory)
}

// wgDesc is the descriptor of one operand of a warpgroup MMA, but its start address.
type wgDesc struct {
	lbo, sbo, swizzle int // bytes
	mnMajor           bool
}

// wgDescOf describes tile t (TCBlockK = bk) to the MMAs.
func wgDescOf(t tcTile, bk int) wgDesc {
	if t.layout.mnMajor() {
		// Atoms of 64 values along M (N) are bk rows × 128 bytes apart; each 8 rows of K
		// are one 1024-byte swizzle atom.
		return wgDesc{lbo: bk * 128, sbo: 1024, swizzle: 128, mnMajor: true}
	}
	// Rows of bk values (2*bk bytes: the swizzle), 8 rows an atom. The leading offset
	// does not apply: K of one MMA (16) lies within a row.
	return wgDesc{lbo: 16, sbo: 16 * bk, swizzle: 2 * bk}
}

func (d wgDesc) args(addr *Expr) []*Expr {
	mn := 0
	if d.mnMajor {
		mn = 1
	}
	return []*Expr{addr, Int(int64(d.lbo), U32), Int(int64(d.sbo), U32), Int(int64(d.swizzle), U32), Int(int64(mn), U32)}
}

func (b *builder) contractWarpgroup(ct contraction, la, lb tcLayout) error {
	o := b.o
	bm, bn, bk, st := o.TCBlockM, o.TCBlockN, o.TCBlockK, o.TCStages
	threads := bm / 64 * 128
	batch := graph.NumElements(ct.batch)
	inflight := 1 // steps of MMAs left in flight at the end of a step
	if st < 3 {
		inflight = 0
	}
	ahead := st - 1 - inflight // steps whose copies are in flight
	mma := IWarpgroupMMAF16
	if b.k.Inputs[ct.a.Input].DType == graph.BFloat16 {
		mma = IWarpgroupMMABF16
	}
	groups := fmt.Sprintf("%d warpgroups", bm/64)
	if bm == 64 {
		groups = "1 warpgroup"
	}
	b.note("contract warpgroup MMA: block %dx%dx%d, %s of 64x%d, %d stages, A %s, B %s",
		bm, bn, bk, groups, bn, st, tcLayoutName(la), tcLayoutName(lb))
	b.p.Local = [3]int{threads, 1, 1}
	gx, gy := (ct.n+bn-1)/bn, (ct.m+bm-1)/bm
	sp := b.splitOf(ct, bk, bn/2, threads, gx, gy)
	b.setGrid(gx, gy, batch, sp)

	stage := (bm + bn) * bk // 16-bit values
	b.p.Shared = append(b.p.Shared, &Decl{Name: "tiles", Type: T(U32), Len: st*stage/2 + 256})
	u32 := func(v int) *Expr { return Int(int64(v), U32) }
	tid := b.named("tid", Cast(Spec(LocalID, 0, U32), I32))
	warp, lane := b.named("warp", divE(tid, 32)), b.named("lane", remE(tid, 32))
	wg := b.named("wg", divE(warp, 4))
	trow0, tcol0 := b.tileOf(gx, gy)
	row0 := b.named("row0", mulE(trow0, bm))
	col0 := b.named("col0", mulE(tcol0, bn))
	bz := b.batch(&sp)
	bc := b.decode(bz, ct.batch, "b")
	steps := b.steps(sp)

	b.emit(&Comment{Text: "The stages start at the first 1024-byte boundary of the array: the swizzles follow the address bits."})
	array := b.named("smem", Call(FnSharedAddress, U32, Addr(Index("tiles", T(U32), i32(0)))))
	skip := b.named("skip", Bin(OAnd, Bin(OSub, u32(1024), Bin(OAnd, array, u32(1023))), u32(1023))) // bytes
	origin := b.named("origin", Cast(divE(skip, 2), I32))                                            // 16-bit values
	sbase := b.named("sbase", addE(array, skip))

	ta, tb := tcTiles(ct, la, lb, bm, bn, bk)
	ta.atoms, ta.origin, tb.atoms, tb.origin = true, origin, true, origin
	da, db := wgDescOf(ta, bk), wgDescOf(tb, bk)

	acc := Addr(Index("acc", T(F32), i32(0)))
	b.emit(&Decl{Name: "acc", Type: T(F32), Len: bn / 2})
	iv := Var("i", T(I32))
	loop := func(v string, n int, body []Stmt) *For {
		return &For{Var: v, Type: I32, Start: i32(0), End: i32(n), Step: i32(1), Body: body, Unroll: true}
	}
	b.emit(loop("i", bn/2, []Stmt{&Assign{Name: "acc", Index: iv, Value: Zero(F32)}}))

	// issue emits the MMAs of a step on the tiles of stage si (I32) and commits them.
	issue := func(si *Expr) {
		cur := b.named("cur", Cast(mulE(si, stage*2), U32)) // bytes
		abase := b.named("abase", addE(sbase, cur))
		bbase := b.named("bbase", addE(abase, u32(bm*bk*2)))
		// The warpgroup's 64 rows of A.
		if la.mnMajor() {
			abase = b.named("awg", addE(abase, mulE(Cast(wg, U32), bk*128)))
		} else {
			abase = b.named("awg", addE(abase, mulE(Cast(wg, U32), 64*bk*2)))
		}
		b.emit(&Intrinsic{Op: IWarpgroupFence})
		for kk := 0; kk < bk; kk += 16 {
			// K of the MMA: 16 values along a K-major row (32 bytes), or 16 rows of an
			// MN-major tile (2048 bytes).
			step := func(l tcLayout) int {
				if l.mnMajor() {
					return kk * 128
				}
				return kk * 2
			}
			args := []*Expr{acc}
			args = append(args, da.args(addE(abase, u32(step(la))))...)
			args = append(args, db.args(addE(bbase, u32(step(lb))))...)
			args = append(args, u32(bn))
			b.emit(&Intrinsic{Op: mma, Args: args})
		}
		b.emit(&Intrinsic{Op: IWarpgroupCommit})
	}
	kt := Var("kt", T(b.idx))
	maps := b.wgTensorMaps(ct, ta, tb, bk, bc)
	tma := maps != nil
	if tma {
		b.wgTMASteps(maps, sp, steps, kt, row0, col0, sbase, stage, st, inflight, threads, tid, lane, acc, issue)
	} else {
		b.wgCopySteps(ct, ta, tb, bc, row0, col0, sp, steps, kt, stage, st, inflight, ahead, threads, tid, acc, issue)
	}
	if inflight > 0 {
		b.emit(&Intrinsic{Op: IWarpgroupWait, Imm: 0, Args: []*Expr{acc, i32(bn / 2)}})
	}
	b.splitFinish(sp, bn/2, threads, bz, tid)

	// Thread (w, g, t) = (warp%4, lane/4, lane%4) of warpgroup wg holds accumulator i at
	// row 64wg + 16w + g + 8((i/2)%2), column 8(i/4) + 2t + i%2.
	g, t4 := b.named("g", divE(lane, 4)), b.named("t4", remE(lane, 4))
	return b.tcStore(ct, bz, row0, col0, bm, bn, bn/2, threads, tid, st*stage*2+1024, !tma, func(i *Expr) (r, c *Expr) {
		return addE(addE(mulE(wg, 64), mulE(remE(warp, 4), 16)), addE(g, mulE(remE(divE(i, 2), 2), 8))),
			addE(addE(mulE(divE(i, 4), 8), mulE(t4, 2)), remE(i, 2))
	})
}

// wgCopySteps emits the steps along K of the warpgroup template with asynchronous copies
// by every thread: a step waits for its tiles' copies, makes them visible to the MMAs
// (fence.proxy.async) and to the other threads (a barrier), issues the copies of a later
// step, then its MMAs.
func (b *builder) wgCopySteps(ct contraction, ta, tb tcTile, bc []*Expr, row0, col0 *Expr, sp kSplit, steps, kt *Expr,
	stage, st, inflight, ahead, threads int, tid, acc *Expr, issue func(*Expr)) {
	load := func(kt, s *Expr) []Stmt {
		return b.block(func() {
			k0 := b.named("k0", b.k0(sp, kt))
			for _, t := range []tcTile{ta, tb} {
				b.tcCopy(ct, t, bc, row0, col0, k0, s, stage, threads, tid)
			}
		})
	}
	b.emit(&Comment{Text: "Start the copies of the first steps; a group per step, empty or not, keeps the count of groups to wait for fixed."})
	sv := Var("s", T(I32))
	b.emit(&For{Var: "s", Type: I32, Start: i32(0), End: i32(ahead), Step: i32(1), Unroll: true, Body: []Stmt{
		&If{Cond: Bin(OLt, sv, Cast(steps, I32)), Then: load(Cast(sv, b.idx), sv)},
		&Intrinsic{Op: ICopyCommit},
	}})
	body := b.block(func() {
		b.emit(&Comment{Text: "Wait for this step's tiles and show them to the MMAs; after the barrier, every warpgroup's MMAs of two steps back are done."})
		b.emit(&Intrinsic{Op: ICopyWait, Imm: ahead - 1}, &Intrinsic{Op: IFenceProxyAsync}, &Barrier{})
		next := b.named("next", addE(kt, b.iconst(ahead)))
		b.emit(&If{Cond: Bin(OLt, next, steps), Then: load(next, Cast(remE(next, st), I32))})
		b.emit(&Intrinsic{Op: ICopyCommit})
		issue(Cast(remE(kt, st), I32))
		b.emit(&Intrinsic{Op: IWarpgroupWait, Imm: inflight, Args: []*Expr{acc, i32(b.o.TCBlockN / 2)}})
	})
	b.emit(&For{Var: kt.Name, Type: b.idx, Start: b.iconst(0), End: steps, Step: b.iconst(1), Body: body})
}

// wgMaps are the tensor maps of the operand tiles of a warpgroup product, and how to load
// a step's tiles with them.
type wgMaps struct {
	tiles [2]tcTile
	maps  [2]int     // indices in Program.TensorMaps
	batch [2][]*Expr // each map's coordinates past the first two: the batch axes it keeps
	bytes int        // of a stage: both tiles
}

// wgTensorMaps returns the tensor maps of tiles ta and tb, where the target has tensor maps,
// Options.TMA holds and both operands can be read through one (else nil): K-major or
// MN-major in 16-byte aligned rows, every batch axis that moves the operand in 16-byte
// steps, no more than five dimensions. A K-major tile is one box of bk values (one row of
// the tile, the swizzle's width) by the tile's rows; an MN-major one is a box of 64 values
// along M (N) by bk rows for each atom of the tile.
func (b *builder) wgTensorMaps(ct contraction, ta, tb tcTile, bk int, bc []*Expr) *wgMaps {
	if !b.t.TensorMaps || !*b.o.TMA {
		return nil
	}
	w := &wgMaps{tiles: [2]tcTile{ta, tb}}
	var maps [2]TensorMap
	for i, t := range w.tiles {
		v := t.e.View
		r := len(v.Shape)
		mnAxis, kAxis := r-2, r-1
		if i == 1 {
			mnAxis, kAxis = r-1, r-2
		}
		dt := b.k.Inputs[t.e.Input].DType
		size := dt.Size()
		m := TensorMap{Param: t.e.Input + 1, DType: dt, Offset: v.Offset}
		contig, other := kAxis, mnAxis
		switch t.layout {
		case tcKMajor:
			m.Box, m.Swizzle = []int{bk, t.rows}, 2*bk
		case tcMNMajor:
			contig, other = mnAxis, kAxis
			m.Box, m.Swizzle = []int{64, bk}, 128
		default:
			return nil
		}
		// A stride only matters along an axis longer than 1; elsewhere any valid one does.
		stride := func(axis int) int {
			if v.Shape[axis] == 1 {
				return (v.Shape[contig]*size + 15) / 16 * 16
			}
			return v.Strides[axis] * size
		}
		m.Dims = []int{v.Shape[contig], v.Shape[other]}
		m.Strides = []int{stride(other)}
		for a := range r - 2 {
			if v.Shape[a] == 1 || v.Strides[a] == 0 {
				continue // the coordinate along it does not move the operand
			}
			m.Dims = append(m.Dims, v.Shape[a])
			m.Strides = append(m.Strides, stride(a))
			m.Box = append(m.Box, 1)
			w.batch[i] = append(w.batch[i], Cast(bc[a], I32))
		}
		if v.Strides[contig] != 1 || m.Check() != nil {
			return nil
		}
		maps[i] = m
	}
	b.note("tiles loaded by tensor copies")
	for i, m := range maps {
		w.maps[i] = len(b.p.TensorMaps)
		b.p.TensorMaps = append(b.p.TensorMaps, m)
	}
	w.bytes = (ta.rows*ta.chunks + tb.rows*tb.chunks) * 16
	return w
}

// load emits the tensor copies of the tiles of the step at k0 (index type) to the stage
// at shared address dst (U32), counted by the barrier at bar.
func (w *wgMaps) load(b *builder, row0, col0, k0, dst, bar *Expr) {
	for i, t := range w.tiles {
		mn0 := row0
		if i == 1 {
			mn0 = col0
		}
		at := addE(dst, Int(int64(t.base*2), U32))
		coords := func(c0, c1 *Expr) []*Expr {
			return append([]*Expr{Cast(c0, I32), Cast(c1, I32)}, w.batch[i]...)
		}
		if !t.layout.mnMajor() {
			args := append(append([]*Expr{at}, coords(k0, mn0)...), bar)
			b.emit(&Intrinsic{Op: ITensorLoad, Imm: w.maps[i], Args: args})
			continue
		}
		// An atom of 64 values along M (N) by the tile's rows (bk of K), 128 bytes a row.
		// Atoms of an edge tile past M (N) would be boxes wholly outside the tensor, whose
		// bytes the PTX ISA does not promise to complete on the barrier: such an atom reads
		// the last atom in the tensor instead, which feeds only outputs past M (N), never
		// stored. The stage's bytes stay those of whole tiles.
		ext := b.p.TensorMaps[w.maps[i]].Dims[0]
		last := b.iconst((ext - 1) / 64 * 64)
		for j := 0; j < t.chunks/8; j++ {
			mn := addE(mn0, b.iconst(64*j))
			if j > 0 && ext%(t.chunks*8) != 0 {
				mn = b.named(fmt.Sprintf("atom%d_%d", i, j), Sel(Bin(OLt, mn, b.iconst(ext)), mn, last))
			}
			args := append(append([]*Expr{addE(at, Int(int64(j*t.rows*128), U32))}, coords(mn, k0)...), bar)
			b.emit(&Intrinsic{Op: ITensorLoad, Imm: w.maps[i], Args: args})
		}
	}
}

// wgTMASteps emits the steps along K of the warpgroup template with tensor copies. Thread 0
// loads each stage, a copy a tile (an atom of an MN-major one), the stage's "full" barrier
// counting the bytes; every thread waits for that barrier before the step's MMAs. Once the
// MMAs of a step are done, each warp arrives at the stage's "empty" barrier, for which
// thread 0 waits before it loads the stage again, st steps later. The copies thus run
// st-1 steps ahead of the MMAs, and no workgroup barrier holds the warpgroups in step.
func (b *builder) wgTMASteps(w *wgMaps, sp kSplit, steps, kt, row0, col0, sbase *Expr, stage, st, inflight, threads int,
	tid, lane, acc *Expr, issue func(*Expr)) {
	u32 := func(v int) *Expr { return Int(int64(v), U32) }
	b.p.Shared = append(b.p.Shared, &Decl{Name: "bars", Type: T(U64), Len: 2 * st})
	bars := b.named("bars0", Call(FnSharedAddress, U32, Addr(Index("bars", T(U64), i32(0)))))
	full := func(s *Expr) *Expr { return addE(bars, mulE(Cast(s, U32), 8)) } // s: a stage (I32)
	empty := func(s *Expr) *Expr { return addE(bars, mulE(addE(Cast(s, U32), u32(st)), 8)) }
	parity := func(step *Expr) *Expr { return Cast(remE(divE(step, st), 2), U32) }
	producer := b.named("producer", Bin(OEq, tid, i32(0)))
	// load emits the copies of step j (index type) into its stage.
	load := func(j *Expr) []Stmt {
		return b.block(func() {
			s := b.named("ls", Cast(remE(j, st), I32))
			k0 := b.named("lk0", b.k0(sp, j))
			b.emit(&Intrinsic{Op: IBarrierArriveTx, Args: []*Expr{full(s), u32(w.bytes)}})
			w.load(b, row0, col0, k0, b.named("ldst", addE(sbase, Cast(mulE(s, stage*2), U32))), full(s))
		})
	}
	b.emit(&Comment{Text: "Thread 0 sets up the barriers of the stages (a stage is full when its copies have landed, empty when every warp's MMAs have read it) and starts the copies of the first steps."})
	var setup []Stmt
	for _, m := range w.maps {
		setup = append(setup, &Intrinsic{Op: ITensorMapPrefetch, Imm: m})
	}
	for s := 0; s < st; s++ {
		setup = append(setup, &Intrinsic{Op: IBarrierInit, Args: []*Expr{full(i32(s)), u32(1)}},
			&Intrinsic{Op: IBarrierInit, Args: []*Expr{empty(i32(s)), u32(threads / 32)}})
	}
	setup = append(setup, &Intrinsic{Op: IBarrierInitFence})
	b.emit(&If{Cond: producer, Then: setup}, &Barrier{})
	sv := Var("s", T(b.idx))
	b.emit(&If{Cond: producer, Then: []Stmt{&For{Var: "s", Type: b.idx, Start: b.iconst(0), End: b.iconst(st), Step: b.iconst(1),
		Body: []Stmt{&If{Cond: Bin(OLt, sv, steps), Then: load(sv)}}}}})

	body := b.block(func() {
		s := b.named("s", Cast(remE(kt, st), I32))
		b.emit(&Comment{Text: "Wait for this step's tiles, then multiply: the warp's threads leave the wait's loop and thread 0 its copies apart, and the warpgroup MMAs need each warp converged."})
		b.emit(&Intrinsic{Op: IBarrierWait, Args: []*Expr{full(s), parity(kt)}}, &Intrinsic{Op: ISyncWarp})
		issue(s)
		b.emit(&Intrinsic{Op: IWarpgroupWait, Imm: inflight, Args: []*Expr{acc, i32(b.o.TCBlockN / 2)}})
		release := b.block(func() {
			done := kt
			if inflight > 0 {
				done = b.named("done", addE(kt, b.iconst(-inflight)))
			}
			ds := b.named("ds", Cast(remE(done, st), I32))
			next := b.named("refill", addE(done, b.iconst(st)))
			b.emit(&If{Cond: Bin(OEq, lane, i32(0)), Then: []Stmt{&Intrinsic{Op: IBarrierArrive, Args: []*Expr{empty(ds)}}}})
			wait := &Intrinsic{Op: IBarrierWait, Args: []*Expr{empty(ds), parity(done)}}
			b.emit(&If{Cond: Bin(OLAnd, producer, Bin(OLt, next, steps)), Then: append([]Stmt{wait}, load(next)...)})
			b.emit(&Intrinsic{Op: ISyncWarp})
		})
		b.emit(&Comment{Text: "The MMAs of a step back (of this step, with none left in flight) have read their stage: release it, and thread 0 refills it once every warp has."})
		if inflight > 0 {
			b.emit(&If{Cond: Bin(OLe, b.iconst(inflight), kt), Then: release})
		} else {
			b.emit(release...)
		}
	})
	b.emit(&For{Var: kt.Name, Type: b.idx, Start: b.iconst(0), End: steps, Step: b.iconst(1), Body: body})
}

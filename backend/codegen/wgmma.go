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
// The MMAs run asynchronously. A step waits for its tiles' copies, makes them visible to
// the MMAs (fence.proxy.async) and to the other threads (a barrier), issues the copies of
// a later step, then its MMAs, and waits only for the MMAs of the step before (with
// TCStages of at least 3), so that the tensor cores always have a step queued. The copies
// therefore run TCStages-2 steps ahead: the stage they overwrite is the one the MMAs two
// steps back read, which every warpgroup has waited for before the barrier.

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

// wgShared is the bytes of shared memory that the warpgroup template takes: the stages
// and the room to align them.
func wgShared(o Options) int { return tcShared(o) + 1024 }

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
	sp := b.splitOf(ct, bk, bn/2, threads, gx*gy*max(batch, 1))
	b.p.Groups = [3]int{gx, gy, sp.groupsZ(batch)}

	stage := (bm + bn) * bk // 16-bit values
	b.p.Shared = append(b.p.Shared, &Decl{Name: "tiles", Type: T(U32), Len: st*stage/2 + 256})
	ic, i32 := b.iconst, func(v int) *Expr { return Int(int64(v), I32) }
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
	b.emit(loop("s", ahead, []Stmt{
		&If{Cond: Bin(OLt, sv, Cast(steps, I32)), Then: load(Cast(sv, b.idx), sv)},
		&Intrinsic{Op: ICopyCommit},
	}))

	kt := Var("kt", T(b.idx))
	body := b.block(func() {
		b.emit(&Comment{Text: "Wait for this step's tiles and show them to the MMAs; after the barrier, every warpgroup's MMAs of two steps back are done."})
		b.emit(&Intrinsic{Op: ICopyWait, Imm: ahead - 1}, &Intrinsic{Op: IFenceProxyAsync}, &Barrier{})
		next := b.named("next", addE(kt, ic(ahead)))
		b.emit(&If{Cond: Bin(OLt, next, steps), Then: load(next, Cast(remE(next, st), I32))})
		b.emit(&Intrinsic{Op: ICopyCommit})
		cur := b.named("cur", Cast(mulE(Cast(remE(kt, st), I32), stage*2), U32)) // bytes
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
		b.emit(&Intrinsic{Op: IWarpgroupCommit}, &Intrinsic{Op: IWarpgroupWait, Imm: inflight, Args: []*Expr{acc, i32(bn / 2)}})
	})
	b.emit(&For{Var: kt.Name, Type: b.idx, Start: ic(0), End: steps, Step: ic(1), Body: body})
	if inflight > 0 {
		b.emit(&Intrinsic{Op: IWarpgroupWait, Imm: 0, Args: []*Expr{acc, i32(bn / 2)}})
	}
	b.splitFinish(sp, bn/2, threads, bz, tid, b.p.Groups)

	// Thread (w, g, t) = (warp%4, lane/4, lane%4) of warpgroup wg holds accumulator i at
	// row 64wg + 16w + g + 8((i/2)%2), column 8(i/4) + 2t + i%2.
	var err error
	g, t4 := b.named("g", divE(lane, 4)), b.named("t4", remE(lane, 4))
	store := b.block(func() {
		r := addE(addE(mulE(wg, 64), mulE(remE(warp, 4), 16)), addE(g, mulE(remE(divE(iv, 2), 2), 8)))
		c := addE(addE(mulE(divE(iv, 4), 8), mulE(t4, 2)), remE(iv, 2))
		row := b.named("row", addE(row0, Cast(r, b.idx)))
		col := b.named("col", addE(col0, Cast(c, b.idx)))
		err = b.storeProduct(ct, bz, row, col, Index("acc", T(F32), iv))
	})
	b.emit(&Comment{Text: "Store this thread's part of the tile."})
	b.emit(loop("i", bn/2, store))
	return err
}

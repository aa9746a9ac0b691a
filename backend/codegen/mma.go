package codegen

import (
	"fmt"

	"github.com/crossbar-compute/crossbar/graph"
)

// The tensor-core Contract template (Target.TensorCores: Nvidia sm_80 and newer).
//
// A workgroup of TCWarpsM × TCWarpsN warps computes a TCBlockM × TCBlockN tile of one
// batch's output; each warp computes a WM × WN part of it as (WM/16) × (WN/8) fragments of
// mma.m16n8k16, accumulating in float. Operand tiles of TCBlockK along K go from memory to
// shared memory with asynchronous 16-byte copies (8-byte ones for operands in rows aligned
// to 8 bytes only), TCStages tiles in flight: while the warps multiply the tiles of step
// k, the copies of steps k+1 ... k+TCStages-1 are on their way.
// Fragments come out of shared memory with ldmatrix, transposed where an operand's rows in
// memory run along the other axis, so that either layout of A and B is read directly.
//
// Shared memory holds each operand tile as rows of 16-byte chunks, and the chunk c of row
// r is stored at position c XOR (a few bits of r) of its row: the eight row addresses of
// one ldmatrix then fall on eight different groups of banks, without padding that would
// cost shared memory.

// tcLayout says how an operand tile lies in memory.
type tcLayout uint8

const (
	tcNone     tcLayout = iota
	tcKMajor            // K runs along rows in memory (A row-major, B column-major)
	tcMNMajor           // M (of A) or N (of B) runs along rows in memory
	tcGathered          // neither, or not in rows aligned to 8 bytes: read element by element
	// tcGatheredMN: M (N) runs along rows in memory, but not in aligned 8-byte pieces:
	// read element by element, 8 neighbours along M (N) a thread, into a tile laid out as
	// tcMNMajor's, so that the threads of a warp read neighbouring memory.
	tcGatheredMN
	// tcKMajor8 and tcMNMajor8 are tcKMajor and tcMNMajor for operands in rows aligned to
	// 8 bytes only (4 values): copied asynchronously in 8-byte halves of the chunks, into
	// the same tiles.
	tcKMajor8
	tcMNMajor8
)

// gathered says whether tiles of layout l go through registers (not cp.async).
func (l tcLayout) gathered() bool { return l == tcGathered || l == tcGatheredMN }

// mnMajor says whether tiles of layout l are stored MN-major in shared memory: rows of K,
// chunks along M (N), read by the transposing ldmatrix.
func (l tcLayout) mnMajor() bool { return l == tcMNMajor || l == tcGatheredMN || l == tcMNMajor8 }

// halves says whether tiles of layout l are copied in 8-byte halves of their chunks.
func (l tcLayout) halves() bool { return l == tcKMajor8 || l == tcMNMajor8 }

// tcLayoutOf gives the layout in which the tensor-core template can read operand view v
// of shape [batch..., rows, cols], where kAxis (rows or cols: r-1 or r-2) is K: the view
// must be unmasked, contiguous along one of the last two axes with a length that is a
// multiple of 8, and every other stride and the offset multiples of 8 elements, so that
// every 8 elements along the contiguous axis are one aligned 16-byte chunk; or, for the
// 8-byte layouts, all of that with 4 for 8.
func tcLayoutOf(v graph.View, kAxis int) tcLayout {
	r := len(v.Shape)
	if v.Mask != nil || r < 2 {
		return tcNone
	}
	aligned := func(contig, n int) bool {
		if v.Offset%n != 0 || v.Strides[contig] != 1 || v.Shape[contig]%n != 0 {
			return false
		}
		for i, s := range v.Strides {
			if i != contig && v.Shape[i] != 1 && s%n != 0 {
				return false
			}
		}
		return true
	}
	other := 2*r - 3 - kAxis // the axis that is not K among the last two
	switch {
	case aligned(kAxis, 8):
		return tcKMajor
	case aligned(other, 8):
		return tcMNMajor
	case aligned(kAxis, 4):
		return tcKMajor8
	case aligned(other, 4):
		return tcMNMajor8
	}
	return tcNone
}

// tcCheck reports what is wrong with the tensor-core knobs of o ("" for nothing).
func tcCheck(o Options) string {
	bm, bn, bk, wm, wn, st := o.TCBlockM, o.TCBlockN, o.TCBlockK, o.TCWarpsM, o.TCWarpsN, o.TCStages
	switch {
	case bk != 16 && bk != 32 && bk != 64:
		return fmt.Sprintf("TCBlockK %d is not 16, 32 or 64", bk)
	case wm <= 0 || wn <= 0 || bm%(16*wm) != 0 || bn%(16*wn) != 0:
		return fmt.Sprintf("tensor-core block %dx%d does not split into %dx%d warp tiles of multiples of 16", bm, bn, wm, wn)
	case !pow2(bm/8) || !pow2(bn/8):
		return fmt.Sprintf("tensor-core block %dx%d is not 8 times a power of two", bm, bn)
	case st < 2:
		return fmt.Sprintf("TCStages %d is less than 2", st)
	}
	return ""
}

func pow2(n int) bool { return n > 0 && n&(n-1) == 0 }

// tcShared is the bytes of shared memory that the tensor-core template's tiles take.
func tcShared(o Options) int {
	return o.TCStages * (o.TCBlockM + o.TCBlockN) * o.TCBlockK * 2
}

// tcRegisters is the accumulator values per thread.
func tcRegisters(o Options) int {
	return (o.TCBlockM / o.TCWarpsM / 16) * (o.TCBlockN / o.TCWarpsN / 8) * 4
}

// maxTCRegisters bounds the accumulators of one thread: past it, the kernel spills.
const maxTCRegisters = 128

// tensorCore returns the layouts of A and B when a tensor-core template applies to ct,
// and whether it is the warpgroup one (wgmma.go).
func (b *builder) tensorCore(ct contraction) (la, lb tcLayout, warpgroup, ok bool) {
	o := b.o
	if !b.t.TensorCores || !*o.TensorCore || ct.s != F32 {
		return 0, 0, false, false
	}
	da, db := b.k.Inputs[ct.a.Input].DType, b.k.Inputs[ct.b.Input].DType
	if da != db || (da != graph.Float16 && da != graph.BFloat16) {
		return 0, 0, false, false
	}
	if ct.m < 16 || ct.n < 8 || ct.k < 16 || !b.gridFits((ct.n+o.TCBlockN-1)/o.TCBlockN, (ct.m+o.TCBlockM-1)/o.TCBlockM, graph.NumElements(ct.batch)) {
		return 0, 0, false, false
	}
	r := len(ct.a.View.Shape)
	la, lb = tcLayoutOf(ct.a.View, r-1), tcLayoutOf(ct.b.View, r-2)
	// Unaligned operands are gathered along the axis their elements are adjacent on in
	// memory: K of A is its last axis, M the one before; B the other way round.
	if la == tcNone {
		la = tcGathered
		if ct.a.View.Strides[r-2] == 1 && ct.a.View.Strides[r-1] != 1 {
			la = tcGatheredMN
		}
	}
	if lb == tcNone {
		lb = tcGathered
		if ct.b.View.Strides[r-1] == 1 && ct.b.View.Strides[r-2] != 1 {
			lb = tcGatheredMN
		}
	}
	if b.warpgroupFits(la, lb) {
		return la, lb, true, true
	}
	threads := o.TCWarpsM * o.TCWarpsN * 32
	if (b.t.MaxWorkgroup > 0 && threads > b.t.MaxWorkgroup) || (b.t.SharedMemory > 0 && tcShared(o) > b.t.SharedMemory) ||
		tcRegisters(o) > maxTCRegisters {
		return 0, 0, false, false
	}
	return la, lb, false, true
}

// tcTile is one operand's tile in shared memory: rows of chunks 16-byte chunks (8 values).
type tcTile struct {
	e      *graph.Expr
	layout tcLayout
	rows   int
	chunks int
	base   int // offset of the tile in a stage, in 16-bit values
	// atoms lays a tcMNMajor tile out for the warpgroup MMAs: in atoms of 8 chunks (64
	// values along M or N) by all the tile's rows, one atom after another.
	atoms bool
	// origin (I32, 16-bit values, nil for 0) is where the stages start in the shared array.
	origin *Expr
}

// tcTiles are the tiles of A ([bm][bk] K-major, else [bk][bm]) and B ([bn][bk] K-major,
// else [bk][bn]) of one stage, B after A.
func tcTiles(ct contraction, la, lb tcLayout, bm, bn, bk int) (ta, tb tcTile) {
	ta = tcTile{e: ct.a, layout: la, rows: bm, chunks: bk / 8}
	if la.mnMajor() {
		ta.rows, ta.chunks = bk, bm/8
	}
	tb = tcTile{e: ct.b, layout: lb, rows: bn, chunks: bk / 8, base: bm * bk}
	if lb.mnMajor() {
		tb.rows, tb.chunks = bk, bn/8
	}
	return ta, tb
}

// swizzle is the stored position of chunk c in row r: c XOR the bits of r that make eight
// consecutive rows (the eight addresses of one ldmatrix matrix) hit eight different
// 128-byte bank groups. Rows of fewer than 8 chunks share a 128-byte line with their
// neighbours, so the XOR takes the row's line number instead.
func (t tcTile) swizzle(r, c *Expr) *Expr {
	perLine := max(1, 8/t.chunks) // rows in one 128-byte line
	bits := min(t.chunks, 8)
	return Bin(OXor, c, remE(divE(r, perLine), bits))
}

// offset is the position in 16-bit values of chunk c of row r within the tile.
func (t tcTile) offset(r, c *Expr) *Expr {
	if t.atoms && t.layout.mnMajor() {
		// Row r of atom c/8 is 128 bytes at r*128 in it, its chunks swizzled by r.
		return addE(addE(mulE(divE(c, 8), t.rows*64), mulE(r, 64)), mulE(Bin(OXor, remE(c, 8), remE(r, 8)), 8))
	}
	return addE(mulE(r, t.chunks*8), mulE(t.swizzle(r, c), 8))
}

func (b *builder) contractTensorCore(ct contraction, la, lb tcLayout) error {
	o := b.o
	bm, bn, bk, st := o.TCBlockM, o.TCBlockN, o.TCBlockK, o.TCStages
	wm, wn := bm/o.TCWarpsM, bn/o.TCWarpsN // a warp's tile
	mt, nt := wm/16, wn/8                  // its fragments
	threads := o.TCWarpsM * o.TCWarpsN * 32
	batch := graph.NumElements(ct.batch)
	dt := b.k.Inputs[ct.a.Input].DType
	mma := IMMAF16
	if dt == graph.BFloat16 {
		mma = IMMABF16
	}
	b.note("contract tensor core: block %dx%dx%d, %dx%d warps of %dx%d, %d stages, A %s, B %s",
		bm, bn, bk, o.TCWarpsM, o.TCWarpsN, wm, wn, st, tcLayoutName(la), tcLayoutName(lb))
	b.p.Local = [3]int{threads, 1, 1}
	gx, gy := (ct.n+bn-1)/bn, (ct.m+bm-1)/bm
	sp := b.splitOf(ct, bk, mt*nt*4, threads, gx, gy)
	b.setGrid(gx, gy, batch, sp)

	// Tiles: A is [BM][BK] (K-major or gathered) or [BK][BM]; B is [BN][BK] (K-major or
	// gathered) or [BK][BN].
	ta, tb := tcTiles(ct, la, lb, bm, bn, bk)
	stage := (bm + bn) * bk // 16-bit values
	b.p.Shared = append(b.p.Shared, &Decl{Name: "tiles", Type: T(U32), Len: st * stage / 2})

	ic := b.iconst
	tid := b.named("tid", Cast(Spec(LocalID, 0, U32), I32))
	warp, lane := b.named("warp", divE(tid, 32)), b.named("lane", remE(tid, 32))
	wrow := b.named("wrow", mulE(divE(warp, o.TCWarpsN), wm))
	wcol := b.named("wcol", mulE(remE(warp, o.TCWarpsN), wn))
	trow0, tcol0 := b.tileOf(gx, gy)
	row0 := b.named("row0", mulE(trow0, bm))
	col0 := b.named("col0", mulE(tcol0, bn))
	bz := b.batch(&sp)
	bc := b.decode(bz, ct.batch, "b")
	steps := b.steps(sp)

	b.emit(&Decl{Name: "acc", Type: T(F32), Len: mt * nt * 4}, &Decl{Name: "fa", Type: T(U32), Len: mt * 4},
		&Decl{Name: "fb", Type: T(U32), Len: nt * 2})
	loop := func(v string, n int, body []Stmt) *For {
		return &For{Var: v, Type: I32, Start: i32(0), End: i32(n), Step: i32(1), Body: body, Unroll: true}
	}
	iv := Var("i", T(I32))
	b.emit(loop("i", mt*nt*4, []Stmt{&Assign{Name: "acc", Index: iv, Value: Zero(F32)}}))

	// Operands that cannot be copied asynchronously (tcGathered) go through registers:
	// read from memory before the products of a step, stored to shared memory after them.
	for _, t := range []tcTile{ta, tb} {
		if t.layout.gathered() {
			b.emit(&Decl{Name: t.stage(), Type: T(U32), Len: (t.rows*t.chunks + threads - 1) / threads * 4})
		}
	}
	// load issues the copies of the tiles of step kt (index type) into stage s (I32); in
	// the prologue (stageNow) gathered tiles are stored right away, else only read into
	// registers, and store puts them in stage s after the products.
	load := func(kt, s *Expr, stageNow bool) []Stmt {
		return b.block(func() {
			k0 := b.named("k0", b.k0(sp, kt))
			for _, t := range []tcTile{ta, tb} {
				if !t.layout.gathered() {
					b.tcCopy(ct, t, bc, row0, col0, k0, s, stage, threads, tid)
					continue
				}
				b.tcGather(ct, t, bc, row0, col0, k0, nil, stage, threads, tid)
				if stageNow {
					b.tcGather(ct, t, bc, row0, col0, k0, s, stage, threads, tid)
				}
			}
		})
	}
	storeGathered := func(s *Expr) []Stmt {
		return b.block(func() {
			for _, t := range []tcTile{ta, tb} {
				if t.layout.gathered() {
					b.tcGather(ct, t, bc, row0, col0, nil, s, stage, threads, tid)
				}
			}
		})
	}
	gathered := la.gathered() || lb.gathered()
	b.emit(&Comment{Text: "Start the copies of the first stages; a group per stage, empty or not, keeps the count of groups to wait for fixed."})
	sv := Var("s", T(I32))
	b.emit(loop("s", st-1, []Stmt{
		&If{Cond: Bin(OLt, sv, Cast(steps, I32)), Then: load(Cast(sv, b.idx), sv, true)},
		&Intrinsic{Op: ICopyCommit},
	}))

	kt := Var("kt", T(b.idx))
	body := b.block(func() {
		b.emit(&Comment{Text: "Wait for this step's tiles; every warp is done with the stage that the next copies overwrite."})
		b.emit(&Intrinsic{Op: ICopyWait, Imm: st - 2}, &Barrier{})
		next := b.named("next", addE(kt, ic(st-1)))
		nextStage := Cast(remE(next, st), I32)
		b.emit(&If{Cond: Bin(OLt, next, steps), Then: load(next, nextStage, false)})
		b.emit(&Intrinsic{Op: ICopyCommit})
		cur := b.named("cur", mulE(Cast(remE(kt, st), I32), stage))
		kk := Var("kk", T(I32))
		inner := b.block(func() {
			b.emit(&Comment{Text: "Fragments of A and B for 16 steps along K, then their products."})
			mi := Var("mi", T(I32))
			b.emit(loop("mi", mt, b.block(func() {
				b.tcFragments(ta, cur, lane, addE(wrow, mulE(mi, 16)), kk, "fa", mulE(mi, 4), true)
			})))
			nj := Var("nj", T(I32))
			b.emit(loop("nj", nt/2, b.block(func() {
				b.tcFragments(tb, cur, lane, addE(wcol, mulE(nj, 16)), kk, "fb", mulE(nj, 4), false)
			})))
			b.emit(loop("mi", mt, []Stmt{loop("nj", nt, []Stmt{&Intrinsic{Op: mma, Args: []*Expr{
				Addr(Index("acc", T(F32), mulE(addE(mulE(mi, nt), nj), 4))),
				Addr(Index("fa", T(U32), mulE(mi, 4))),
				Addr(Index("fb", T(U32), mulE(nj, 2))),
			}}})}))
		})
		b.emit(&For{Var: kk.Name, Type: I32, Start: i32(0), End: i32(bk), Step: i32(16), Body: inner, Unroll: true})
		if gathered {
			// The stage of step next was last read in the step before this one, which every
			// warp finished before the barrier above.
			b.emit(&If{Cond: Bin(OLt, next, steps), Then: storeGathered(nextStage)})
		}
	})
	b.emit(&For{Var: kt.Name, Type: b.idx, Start: ic(0), End: steps, Step: ic(1), Body: body})
	b.splitFinish(sp, mt*nt*4, threads, bz, tid)

	// Thread (g, t) = (lane/4, lane%4) of a warp holds, of each 16×8 fragment, rows g and
	// g+8 at columns 2t and 2t+1.
	g, t4 := b.named("g", divE(lane, 4)), b.named("t4", remE(lane, 4))
	return b.tcStore(ct, bz, row0, col0, bm, bn, mt*nt*4, threads, tid, st*stage*2, true, func(i *Expr) (r, c *Expr) {
		mi, nj := divE(i, nt*4), remE(divE(i, 4), nt)
		e := remE(i, 4)
		return addE(addE(wrow, mulE(mi, 16)), addE(g, mulE(divE(e, 2), 8))), addE(addE(wcol, mulE(nj, 8)), addE(mulE(t4, 2), remE(e, 2)))
	})
}

// tcStore stores the float accumulators acc of a tensor-core tile through the kernel's
// epilogue, accs a thread: accumulator i of the thread is output (row0+r, col0+c) of the
// bm × bn tile, (r, c) = at(i) (I32), and accumulators i and i+1, i even, are neighbours
// (c, c+1) in a row. shared is the bytes of the array "tiles" (the stages), which every
// warp is done reading; copies says whether the template copied tiles with cp.async.
//
// The threads of a warp hold pairs of columns in eight rows, so that each store of a warp
// writes 2 bytes into each of 32 places in eight rows: eight memory transactions for 64
// bytes. An output of 16-bit values goes through shared memory instead, where the tile
// fits in the stages: each thread puts its pairs there as 32-bit words; then neighbouring
// threads store neighbouring chunks of a row, 16 bytes each where the output's rows are
// whole chunks of 16 bytes (8, 4 or 2 bytes where they are of those), so that a warp's
// store writes 512 neighbouring bytes in whole lines (64 at 2 bytes a thread). A row of
// the staged tile is 16 bytes longer than its values, so that the eight rows of a warp's
// words fall on different banks.
func (b *builder) tcStore(ct contraction, bz, row0, col0 *Expr, bm, bn, accs, threads int, tid *Expr, shared int,
	copies bool, at func(i *Expr) (r, c *Expr)) error {
	loop := func(v string, n, step int, body []Stmt) *For {
		return &For{Var: v, Type: I32, Start: i32(0), End: i32(n), Step: i32(step), Body: body, Unroll: true}
	}
	pitch := bn/2 + 4 // 32-bit words a row of the staged tile
	out := b.p.Params[0].DType
	if (out != graph.Float16 && out != graph.BFloat16) || bm*pitch*4 > shared {
		var err error
		iv := Var("i", T(I32))
		store := b.block(func() {
			r, c := at(iv)
			row, col := b.named("row", addE(row0, Cast(r, b.idx))), b.named("col", addE(col0, Cast(c, b.idx)))
			err = b.storeProduct(ct, bz, row, col, Index("acc", T(F32), iv))
		})
		b.emit(&Comment{Text: "Store this thread's part of the tile."})
		b.emit(loop("i", accs, 1, store))
		return err
	}
	w := 8 // values a chunk: the rows of the output are whole chunks
	for ct.n%w != 0 {
		w /= 2
	}
	b.note("tiles stored in %d-byte chunks through shared memory", 2*w)
	pack := FnPackF16x2
	if out == graph.BFloat16 {
		pack = FnPackBF16x2
	}
	b.emit(&Comment{Text: fmt.Sprintf("Stage the tile in shared memory once every warp is done with the stages, then store it in %d-byte chunks of its rows.", 2*w)})
	if copies {
		b.emit(&Intrinsic{Op: ICopyWait, Imm: 0})
	}
	b.emit(&Barrier{})
	var err error
	iv := Var("i", T(I32))
	put := b.block(func() {
		r, c := at(iv)
		r, c = b.named("sr", r), b.named("sc", c)
		row, col := b.named("row", addE(row0, Cast(r, b.idx))), b.named("col", addE(col0, Cast(c, b.idx)))
		then := b.block(func() {
			pos := b.named("pos", b.outputAt(ct, bz, row, col))
			value := func(j int) *Expr {
				core := b.let("v", b.narrow(Index("acc", T(F32), addE(iv, i32(j))), ct.dt, graph.OpSum))
				v, e := b.epilogueValue(addE(pos, b.iconst(j)), core, []string{"o", "on"}[j])
				if e != nil {
					err = e
				}
				return b.let("v", v)
			}
			v0 := value(0)
			var v1 *Expr
			if ct.n%2 == 0 {
				v1 = value(1) // col < N, then so is col+1
			} else {
				// The last column of an odd N has no neighbour.
				v1 = b.variable("right", Zero(F32))
				b.emit(&If{Cond: Bin(OLt, addE(col, b.iconst(1)), b.iconst(ct.n)), Then: b.block(func() {
					b.emit(&Assign{Name: v1.Name, Value: value(1)})
				})})
			}
			b.emit(&Assign{Name: "tiles", Index: addE(mulE(r, pitch), divE(c, 2)), Value: Call(pack, U32, v0, v1)})
		})
		b.emit(&If{Cond: b.insideOutput(ct, row, col), Then: then})
	})
	b.emit(loop("i", accs, 2, put))
	b.emit(&Barrier{})
	b.tcRounds(tcTile{rows: bm, chunks: bn / w}, "o", threads, tid, func(r, c, _ *Expr) {
		row, col := b.named("grow", addE(row0, Cast(r, b.idx))), b.named("gcol", addE(col0, Cast(mulE(c, w), b.idx)))
		pos := b.outputAt(ct, bz, row, col)
		// Chunk c of row r: at word r*pitch + c*w/2, or for single values, in half c%2 of one.
		word, off := addE(mulE(r, pitch), mulE(c, w/2)), i32(0)
		if w == 1 {
			word, off = addE(mulE(r, pitch), divE(c, 2)), mulE(remE(c, 2), 2)
		}
		b.emit(&If{Cond: b.insideOutput(ct, row, col), Then: []Stmt{&Intrinsic{Op: IStoreChunk, Imm: 2 * w, Args: []*Expr{
			Addr(Load(0, T(ComputeType(out)), pos)), Addr(Index("tiles", T(U32), word)), off,
		}}}})
	})
	return err
}

func tcLayoutName(l tcLayout) string {
	return [...]string{tcKMajor: "K-major", tcMNMajor: "K-minor", tcGathered: "gathered", tcGatheredMN: "gathered K-minor",
		tcKMajor8: "K-major in 8-byte copies", tcMNMajor8: "K-minor in 8-byte copies"}[l]
}

// tcCopy issues the asynchronous copies of tile t for the step at k0 into stage s: chunk
// (r, c) of the tile, for each chunk of the tile in rounds of the workgroup's threads, or
// for the 8-byte layouts each half of a chunk, the halves of a chunk to neighbouring
// threads. Chunks (halves) past the edges of the matrix are zero-filled: the length of
// the contiguous axis being a multiple of 8 (4) values, none straddles an edge.
func (b *builder) tcCopy(ct contraction, t tcTile, bc []*Expr, row0, col0, k0, s *Expr, stage, threads int, tid *Expr) {
	isA := t.base == 0
	pre, mn0, lim := "a", row0, ct.m
	if !isA {
		pre, mn0, lim = "b", col0, ct.n
	}
	iter, width, op := t, 16, ICopy16
	if t.layout.halves() {
		iter.chunks, width, op = 2*t.chunks, 8, ICopy8
	}
	b.tcRounds(iter, pre, threads, tid, func(r, c, _ *Expr) {
		// The values of the chunk (half) along the tile's rows, from its first.
		along := mulE(c, 8)
		var half *Expr
		if t.layout.halves() {
			half = b.named(pre+"half", remE(c, 2))
			c = b.named(pre+"whole", divE(c, 2))
			along = addE(mulE(c, 8), mulE(half, 4))
		}
		// The tile's row and chunk as matrix coordinates.
		var mn, k *Expr
		if !t.layout.mnMajor() {
			mn, k = addE(mn0, Cast(r, b.idx)), addE(k0, Cast(along, b.idx))
		} else {
			mn, k = addE(mn0, Cast(along, b.idx)), addE(k0, Cast(r, b.idx))
		}
		mn, k = b.named(pre+"mn", mn), b.named(pre+"k", k)
		inside := b.named(pre+"in", Bin(OLAnd, Bin(OLt, mn, b.iconst(lim)), Bin(OLt, k, b.iconst(ct.k))))
		coords := append([]*Expr{}, bc...)
		if isA {
			coords = append(coords, mn, k)
		} else {
			coords = append(coords, k, mn)
		}
		idx, _ := b.at(t.e.View, coords, nil, t.e.View.Shape)
		src := b.named(pre+"src", Sel(inside, idx, b.iconst(0)))
		dst := addE(addE(mulE(s, stage), Int(int64(t.base), I32)), t.offset(r, c))
		if half != nil {
			dst = addE(dst, mulE(half, 4))
		}
		if t.origin != nil {
			dst = addE(dst, t.origin)
		}
		b.emit(&Intrinsic{Op: op, Args: []*Expr{
			Addr(Index("tiles", T(U32), divE(dst, 2))),
			Addr(Load(t.e.Input+1, T(ComputeType(b.k.Inputs[t.e.Input].DType)), src)),
			Sel(inside, Int(int64(width), U32), Int(0, U32)),
		}})
	})
}

// tcFragments loads, with one ldmatrix, the fragments of tile t at stage offset cur for
// the 16 steps of K at kk and the 16 rows (A) or columns (B) at mn of the workgroup's
// tile, into the four registers of array name at at. For A they are the four registers of
// one 16×16 fragment; for B, two registers each of the 16×8 fragments at mn and mn+8.
func (b *builder) tcFragments(t tcTile, cur, lane, mn, kk *Expr, name string, at *Expr, isA bool) {
	q, i := divE(lane, 8), remE(lane, 8) // the matrix whose row this thread addresses
	// Matrix q of the four: for A, (M half q%2, K half q/2); for B, (N half q/2, K half q%2).
	mHalf, kHalf := remE(q, 2), divE(q, 2)
	if !isA {
		mHalf, kHalf = kHalf, mHalf
	}
	var r, c *Expr
	if !t.layout.mnMajor() {
		// Rows are M (N); ldmatrix reads the fragments as they lie.
		r, c = addE(addE(mn, mulE(mHalf, 8)), i), addE(divE(kk, 8), kHalf)
	} else {
		// Rows are K; the transposed ldmatrix turns them.
		r, c = addE(addE(kk, mulE(kHalf, 8)), i), addE(divE(mn, 8), mHalf)
	}
	op := ILoadMatrix
	if t.layout.mnMajor() {
		op = ILoadMatrixT
	}
	off := addE(addE(cur, Int(int64(t.base), I32)), t.offset(r, c))
	b.emit(&Intrinsic{Op: op, Args: []*Expr{Addr(Index(name, T(U32), at)), Addr(Index("tiles", T(U32), divE(off, 2)))}})
}

// stage is the name of the registers through which a gathered tile travels.
func (t tcTile) stage() string {
	if t.base == 0 {
		return "gatherA"
	}
	return "gatherB"
}

// tcGather moves the gathered tile t (K-major in shared memory) in rounds of the
// workgroup's threads, each thread a chunk of 8 values along K a round: with k0 set, it
// reads the chunks of the step at k0 from memory (through the operand's view, zero past the
// edges of the matrix) into the thread's registers, two 16-bit values to a register; with
// s set, it stores the registers to stage s of shared memory.
func (b *builder) tcGather(ct contraction, t tcTile, bc []*Expr, row0, col0, k0, s *Expr, stage, threads int, tid *Expr) {
	isA := t.base == 0
	pre, mn0, lim := "ga", row0, ct.m
	if !isA {
		pre, mn0, lim = "gb", col0, ct.n
	}
	if s != nil && k0 == nil {
		pre += "s"
	}
	pack := FnPackF16x2
	if b.k.Inputs[t.e.Input].DType == graph.BFloat16 {
		pack = FnPackBF16x2
	}
	b.tcRounds(t, pre, threads, tid, func(r, c, round *Expr) {
		reg := func(j int) *Expr { return addE(mulE(round, 4), Int(int64(j), I32)) }
		if k0 != nil {
			// Row r and chunk c of the tile: an M (N) and 8 values along K, or with
			// tcGatheredMN a K and 8 values along M (N).
			mnr, kr := r, mulE(c, 8)
			if t.layout == tcGatheredMN {
				mnr, kr = mulE(c, 8), r
			}
			mn := b.named(pre+"mn", addE(mn0, Cast(mnr, b.idx)))
			kc := b.named(pre+"k", addE(k0, Cast(kr, b.idx)))
			v := make([]*Expr, 8)
			for i := range v {
				mn, k := mn, addE(kc, b.iconst(i))
				if t.layout == tcGatheredMN {
					mn, k = addE(mn, b.iconst(i)), kc
				}
				inside := Bin(OLAnd, Bin(OLt, mn, b.iconst(lim)), Bin(OLt, k, b.iconst(ct.k)))
				if isA {
					v[i] = b.operandValue(ct, t.e, bc, mn, k, inside)
				} else {
					v[i] = b.operandValue(ct, t.e, bc, k, mn, inside)
				}
			}
			for j := range 4 {
				b.emit(&Assign{Name: t.stage(), Index: reg(j), Value: Call(pack, U32, v[2*j], v[2*j+1])})
			}
		}
		if s != nil {
			dst := b.named(pre+"dst", divE(addE(addE(mulE(s, stage), Int(int64(t.base), I32)), t.offset(r, c)), 2))
			for j := range 4 {
				b.emit(&Assign{Name: "tiles", Index: addE(dst, Int(int64(j), I32)), Value: Index(t.stage(), T(U32), reg(j))})
			}
		}
	})
}

// tcRounds emits the loop over the chunks of tile t in rounds of the workgroup's threads:
// body gets this thread's row r and chunk c of the tile, and the round's number, for each
// round; names are prefixed pre. A last round with fewer chunks than threads leaves the
// threads past them out.
func (b *builder) tcRounds(t tcTile, pre string, threads int, tid *Expr, body func(r, c, round *Expr)) {
	total := t.rows * t.chunks
	l0 := Var(pre+"l0", T(I32))
	stmts := b.block(func() {
		l := b.named(pre+"l", addE(tid, l0))
		body(b.named(pre+"row", divE(l, t.chunks)), b.named(pre+"chunk", remE(l, t.chunks)), divE(l0, threads))
	})
	if total%threads != 0 {
		decl, rest := stmts[0], stmts[1:]
		stmts = []Stmt{decl, &If{Cond: Bin(OLt, Var(pre+"l", T(I32)), Int(int64(total), I32)), Then: rest}}
	}
	b.emit(&For{Var: l0.Name, Type: I32, Start: Int(0, I32), End: Int(int64(total), I32), Step: Int(int64(threads), I32),
		Body: stmts, Unroll: true})
}

package codegen

import (
	"fmt"

	"github.com/crossbar-compute/crossbar/graph"
)

// The skinny Contract template: products with few outputs and a long K (a 512 × 8 result
// over K = 500000), where tiles of the output leave most of the device idle. A workgroup
// computes a few outputs as a reduction along K, its threads arranged so that neighbours
// read neighbouring values of A. Where A is contiguous along K: groups of warps of up to 4
// rows by 8 columns each (skinnyGroups: one group for a few rows, up to one a warp for
// hundreds), each of a group's threads taking every step of K that is its own modulo the
// group's threads, the partial sums meeting through warp shuffles and then shared memory.
// Where A is contiguous along M: groups of warps of 32 rows (the lanes of a warp) by up
// to 16 columns each (skinnyRowGroups), each warp of a group taking every step of K that
// is its own modulo the group's warps, the partial sums meeting in shared memory. The
// groups of a workgroup read the same values of B. It needs shuffles (Target.Shuffle).
// With a split of K (Options.SplitK, splitk.go), the workgroups of the same outputs take
// shares of K, whole strides each, and meet as the tiled templates' do. Options.Skinny =
// false leaves such products to the other templates (CUDA gives Float16 and BFloat16 ones
// to tensor cores).

// skinnyRows and skinnyCols bound the outputs of one workgroup where A is contiguous along
// K, 32 rows and skinnyRowsCols where it is along M: a product of up to that many columns
// reads A once.
const skinnyRows, skinnyCols, skinnyRowsCols = 4, 8, 16

// skinnyLocal is the workgroup size of the skinny template: with few workgroups, each
// needs many warps in flight to keep memory busy.
const skinnyLocal = 512

// skinnyThreads is the workgroup size on the target: skinnyLocal, or the largest multiple
// of 32 the target allows.
func (b *builder) skinnyThreads() int {
	if b.t.MaxWorkgroup > 0 {
		return min(skinnyLocal, b.t.MaxWorkgroup/32*32)
	}
	return skinnyLocal
}

// skinnyMap says how the threads of the skinny template split the work.
type skinnyMap uint8

const (
	skinnyNone  skinnyMap = iota
	skinnyAlong           // A contiguous along K: every thread its own steps of K
	skinnyRowsK           // A contiguous along M: the lanes of a warp 32 rows, the warps steps of K
)

// skinnyMapOf says whether and how the skinny template applies to ct: a long K against the
// outputs, A contiguous along K or along M, a target with 32-wide shuffles, Options.Skinny.
func (b *builder) skinnyMapOf(ct contraction) skinnyMap {
	if !*b.o.Skinny || !b.t.Shuffle || b.t.WarpWidth != 32 || b.skinnyThreads() < 32 || ct.s == Bool {
		return skinnyNone
	}
	if ct.k < 4096 || ct.k < 16*max(ct.m, ct.n) || ct.m == 0 || ct.n == 0 {
		return skinnyNone
	}
	// The grids as at one group of warps a workgroup, which has the most rows of tiles.
	v, batch, gx := ct.a.View, graph.NumElements(ct.batch), (ct.n+skinnyCols-1)/skinnyCols
	r := len(v.Shape)
	switch {
	case v.Strides[r-1] == 1 && b.gridFits(gx, (ct.m+skinnyRows-1)/skinnyRows, batch):
		return skinnyAlong
	case v.Strides[r-2] == 1 && ct.m >= 32 && b.gridFits((ct.n+skinnyRowsN(ct)-1)/skinnyRowsN(ct), (ct.m+31)/32, batch):
		return skinnyRowsK
	}
	return skinnyNone
}

func (b *builder) skinnyOK(ct contraction) bool { return b.skinnyMapOf(ct) != skinnyNone }

// skinnyRowsN is the columns a workgroup of the rows template computes: up to
// skinnyRowsCols, or skinnyCols for 8-byte accumulators, whose partial sums of 16 columns
// (16 warps × 32 rows × 16 × 8 bytes) would pass 48 KiB of shared memory.
func skinnyRowsN(ct contraction) int {
	if ct.s == F64 || ct.s == I64 || ct.s == U64 {
		return min(ct.n, skinnyCols)
	}
	return min(ct.n, skinnyRowsCols)
}

// SkinnyShape reports whether Lower gives k to a skinny template on target t, and then
// its workgroups without a split of K and the steps along K (strides of its threads or
// warps) that a split shares out.
func SkinnyShape(k *graph.Kernel, t Target, o Options) (groups, steps int, ok bool) {
	if k.Core == nil || k.Core.Op != graph.OpContract {
		return 0, 0, false
	}
	b := &builder{k: k, t: t, o: o.withDefaults()}
	if b.t.MaxGroups <= 0 {
		b.t.MaxGroups = 65535
	}
	ct := b.contraction()
	batch := max(graph.NumElements(ct.batch), 1)
	local := b.skinnyThreads()
	switch b.skinnyMapOf(ct) {
	case skinnyAlong:
		rm, rn := min(ct.m, skinnyRows), min(ct.n, skinnyCols)
		g := b.skinnyGroups(ct)
		return batch * ((ct.m + g*rm - 1) / (g * rm)) * ((ct.n + rn - 1) / rn), (ct.k + local/g - 1) / (local / g), true
	case skinnyRowsK:
		rn, g := skinnyRowsN(ct), b.skinnyRowGroups(ct)
		wpg := local / 32 / g
		return batch * ((ct.m + 32*g - 1) / (32 * g)) * ((ct.n + rn - 1) / rn), (ct.k + wpg - 1) / wpg, true
	}
	return 0, 0, false
}

// skinnyGroups is the groups of warps into which the along-K template divides a
// workgroup, each group rm rows of A of its own over the same steps of K: a power of two
// up to the warps of a workgroup, as many as leave 8 workgroups along M. All the groups
// read the same values of B, so that B comes from L2 once a workgroup of g*rm rows; a
// workgroup of 4 rows would have read all of B for every 4 rows of A (for 512 × 8 ×
// 500000, 128 times B).
func (b *builder) skinnyGroups(ct contraction) int {
	return skinnyGroupsOf((ct.m+skinnyRows-1)/skinnyRows, b.skinnyThreads()/32)
}

// skinnyGroupsOf is the groups of a workgroup of warps warps for blocks of rows: a power
// of two that divides warps, at most blocks/8.
func skinnyGroupsOf(blocks, warps int) int {
	g := 1
	for warps%(2*g) == 0 && 2*g*8 <= blocks {
		g *= 2
	}
	return g
}

// skinnyRowGroups is skinnyGroups for the template where A is contiguous along M: groups
// of warps of 32 rows each, as many as leave 8 workgroups along M (1024 × 16 × 500000:
// 4, so that B comes from L2 8 times, not 32).
func (b *builder) skinnyRowGroups(ct contraction) int {
	return skinnyGroupsOf((ct.m+31)/32, b.skinnyThreads()/32)
}

func (b *builder) contractSkinny(ct contraction) error {
	if b.skinnyMapOf(ct) == skinnyRowsK {
		return b.contractSkinnyRows(ct)
	}
	local := b.skinnyThreads()
	warps := local / 32
	rm, rn := min(ct.m, skinnyRows), min(ct.n, skinnyCols)
	g := b.skinnyGroups(ct)
	stride, wpg := local/g, warps/g // threads and warps of a group
	batch := graph.NumElements(ct.batch)
	if g == 1 {
		b.note("contract skinny: %dx%d outputs a workgroup of %d threads along K = %d, shuffles in warps, then across %d warps",
			rm, rn, local, ct.k, warps)
	} else {
		across := ""
		if wpg > 1 {
			across = fmt.Sprintf(", then across %d warps", wpg)
		}
		b.note("contract skinny: %dx%d outputs a workgroup of %d threads in %d groups of %d rows, each group's %d threads along K = %d, shuffles in warps%s",
			g*rm, rn, local, g, rm, stride, ct.k, across)
	}
	b.p.Local = [3]int{local, 1, 1}
	gx, gy := (ct.n+rn-1)/rn, (ct.m+g*rm-1)/(g*rm)
	n := rm * rn // outputs of a group
	// Split K in shares of whole strides, the workgroup's outputs one a thread.
	sp := noSplit(ct, stride)
	if g*n <= local {
		sp = b.splitOf(ct, stride, 1, local, gx, gy)
	}
	b.setGrid(gx, gy, batch, sp)
	ic := b.iconst
	s := T(ct.s)
	tid := b.named("tid", Cast(Spec(LocalID, 0, U32), b.idx))
	// The thread's group, and its place in the group's stride along K.
	grp, gtid := ic(0), tid
	if g > 1 {
		grp, gtid = b.named("grp", divE(tid, stride)), b.named("gtid", remE(tid, stride))
	}
	var wg0, row0 *Expr // the workgroup's first row, the group's
	if g == 1 {
		wg0 = b.named("row0", mulE(b.tileRow(), rm))
		row0 = wg0
	} else {
		wg0 = b.named("wgrow0", mulE(b.tileRow(), g*rm))
		row0 = b.named("row0", addE(wg0, mulE(grp, rm)))
	}
	col0 := b.named("col0", mulE(Cast(Spec(GroupID, 0, U32), b.idx), rn))
	bz := b.batch(&sp)
	bc := b.decode(bz, ct.batch, "b")
	first, end := b.share(sp, gtid)
	b.emit(&Decl{Name: "acc", Type: s, Len: n})
	iv := Var("i", T(b.idx))
	b.emit(&For{Var: iv.Name, Type: b.idx, Start: ic(0), End: ic(n), Step: ic(1), Unroll: true,
		Body: []Stmt{&Assign{Name: "acc", Index: iv, Value: Zero(ct.s)}}})
	// A thread reads a row of B (rn values at col0) at each of its steps of K; where the
	// row lies in aligned vectors of 4 values, it reads vectors: with a scalar load a
	// column, the loads of a warp's 32 steps span 32 rows of B and take the L1 cache a
	// pass over each of their lines for every column.
	bs := ComputeType(b.k.Inputs[ct.b.Input].DType)
	bVec := rn%4 == 0 && bs == ct.s && vecOK(ct.b.View, b.k.Inputs[ct.b.Input].DType, 4)
	if bVec {
		b.p.Params[ct.b.Input+1].Vec = 4
	}
	// load reads the operands of step k; add accumulates their products.
	load := func(k *Expr) []*Expr {
		v := make([]*Expr, rm+rn)
		for i := range rm {
			row := addE(row0, ic(i))
			v[i] = b.operandValue(ct, ct.a, bc, row, k, b.edge(row, ct.m, g*rm))
		}
		if !bVec {
			for j := range rn {
				col := addE(col0, ic(j))
				v[rm+j] = b.operandValue(ct, ct.b, bc, k, col, b.edge(col, ct.n, rn))
			}
			return v
		}
		vt := Type{S: bs, Vec: 4}
		for q := 0; q < rn; q += 4 {
			col := addE(col0, ic(q))
			idx, _ := b.at(ct.b.View, append(append([]*Expr{}, bc...), k, col), nil, ct.b.View.Shape)
			var x *Expr = Load(ct.b.Input+1, vt, divE(idx, 4))
			// Whole vectors are inside or past the last column: N is a multiple of 4.
			if edge := b.edge(col, ct.n, rn); edge != nil {
				x = Sel(edge, x, &Expr{Kind: KCast, Type: vt, Args: []*Expr{Zero(bs)}})
			}
			x = b.let("bq", x)
			for i := range 4 {
				v[rm+q+i] = Lane(x, i)
			}
		}
		return v
	}
	add := func(v []*Expr) {
		for j := range rn {
			for i := range rm {
				at := ic(i*rn + j)
				b.emit(&Assign{Name: "acc", Index: at, Value: ct.fma(Index("acc", s, at), v[i], v[rm+j])})
			}
		}
	}
	b.emit(&Comment{Text: fmt.Sprintf("Each thread takes every %dth step along K, %d steps a round.", stride, skinnyUnroll)})
	b.skinnyLoop(first, stride, end, "k", load, add)

	b.emit(&Comment{Text: "Sum each output over the warp, then over the warps (of its group)."})
	red := reduction{op: graph.OpSum, s: ct.s}
	for v := range n {
		b.butterfly(red, Index("acc", s, ic(v)))
	}
	lane := b.named("lane", remE(tid, 32))
	b.p.Shared = append(b.p.Shared, &Decl{Name: "partial", Type: s, Len: n * warps})
	save := b.block(func() {
		for v := range n {
			b.emit(&Assign{Name: "partial", Index: addE(ic(v*warps), divE(tid, 32)), Value: Index("acc", s, ic(v))})
		}
	})
	b.emit(&If{Cond: Bin(OEq, lane, ic(0)), Then: save}, &Barrier{})
	var err error
	// Thread t < g*n sums output t%n of group t/n: partial[(t%n)*warps + (t/n)*wpg + w].
	out, og := tid, ic(0)
	if g > 1 {
		out, og = b.named("out", remE(tid, n)), b.named("outgrp", divE(tid, n))
	}
	sum := func(*Expr) *Expr {
		at := b.named("at", addE(mulE(out, warps), mulE(og, wpg)))
		sum := b.variable("sum", Index("partial", s, at))
		for w := 1; w < wpg; w++ {
			b.emit(&Assign{Name: sum.Name, Value: red.combine(sum, Index("partial", s, addE(at, ic(w))))})
		}
		return sum
	}
	store := func(_, v *Expr) {
		row := b.named("row", addE(addE(wg0, mulE(og, rm)), divE(out, rn)))
		col := b.named("col", addE(col0, remE(out, rn)))
		err = b.storeProduct(ct, bz, row, col, v)
	}
	b.skinnyFinish(sp, g*n, tid, bz, sum, store)
	return err
}

// share returns the first step along K of this thread (at offset tid in a stride) and the
// end of its workgroup's share of K: all of K without a split.
func (b *builder) share(sp kSplit, tid *Expr) (first, end *Expr) {
	if sp.n == 1 {
		return tid, b.iconst(sp.k)
	}
	end = b.named("kend", Sel(Bin(OEq, sp.share, b.iconst(sp.n-1)), b.iconst(sp.k), addE(sp.base, b.iconst(sp.per))))
	return b.named("kfirst", addE(sp.base, tid)), end
}

// skinnyFinish ends a skinny template of outputs outputs: thread tid takes outputs tid,
// tid + threads, ... (at most acc's length of them where K is split): their sums, and,
// past a split of K (which all the threads join, each with its outputs in acc), stores
// them.
func (b *builder) skinnyFinish(sp kSplit, outputs int, tid, bz *Expr, sum func(out *Expr) *Expr, store func(out, v *Expr)) {
	ic, threads := b.iconst, b.p.Local[0]
	if sp.n == 1 {
		if outputs <= threads {
			b.emit(&If{Cond: Bin(OLt, tid, ic(outputs)), Then: b.block(func() { store(tid, sum(tid)) })})
			return
		}
		ov := Var("out", T(b.idx))
		b.emit(&For{Var: ov.Name, Type: b.idx, Start: tid, End: ic(outputs), Step: ic(threads),
			Body: b.block(func() { store(ov, sum(ov)) })})
		return
	}
	per := (outputs + threads - 1) / threads
	outs := make([]*Expr, per)
	for i := range outs {
		outs[i] = b.named(fmt.Sprintf("out%d", i), addE(tid, ic(i*threads)))
	}
	for i, out := range outs {
		b.emit(&If{Cond: Bin(OLt, out, ic(outputs)), Then: b.block(func() {
			b.emit(&Assign{Name: "acc", Index: Int(int64(i), I32), Value: sum(out)})
		}), Else: []Stmt{&Assign{Name: "acc", Index: Int(int64(i), I32), Value: Zero(F32)}}})
	}
	b.splitFinish(sp, per, threads, bz, tid)
	for i, out := range outs {
		b.emit(&If{Cond: Bin(OLt, out, ic(outputs)), Then: b.block(func() { store(out, Index("acc", T(F32), Int(int64(i), I32))) })})
	}
}

// skinnyUnroll is the steps along K that a thread of the skinny template reads before it
// accumulates them: the loads of one step alone leave memory idle for most of its
// latency, and these products are as fast as memory serves A.
const skinnyUnroll = 4

// skinnyLoop emits the loop over this thread's steps along K of the skinny templates, k =
// first, first+stride, ... below n: rounds of skinnyUnroll steps whose operands load
// reads before add accumulates them, step by step in the order of K, then the steps left
// one at a time. name prefixes the loop variables.
func (b *builder) skinnyLoop(first *Expr, stride int, n *Expr, name string, load func(k *Expr) []*Expr, add func([]*Expr)) {
	ic := b.iconst
	u := skinnyUnroll
	k0 := Var(name+"0", T(b.idx))
	round := b.block(func() {
		vals := make([][]*Expr, u)
		for i := range u {
			vals[i] = load(b.named(fmt.Sprintf("%su%d", name, i), addE(k0, ic(i*stride))))
		}
		for _, v := range vals {
			add(v)
		}
	})
	// plus is n + d, folded where n is a literal.
	plus := func(d int) *Expr {
		if n.IsConst() {
			return ic(int(n.I) + d)
		}
		return Bin(OAdd, n, ic(d))
	}
	// A round's last step, k0 + (u-1)*stride, must be below n.
	b.emit(&For{Var: k0.Name, Type: b.idx, Start: first, End: plus(-(u - 1) * stride), Step: ic(u * stride), Body: round})
	// The rounds took (n + stride - 1 - first) / (u*stride) of them (first < n + stride).
	rest := b.named(name+"rest", addE(first, mulE(divE(Bin(OSub, plus(stride-1), first), u*stride), u*stride)))
	kv := Var(name, T(b.idx))
	b.emit(&For{Var: kv.Name, Type: b.idx, Start: rest, End: n, Step: ic(stride), Body: b.block(func() { add(load(kv)) })})
}

// edge is the condition that coordinate x (of a block of size per at a multiple of per)
// is inside an axis of length lim; nil when every block fits.
func (b *builder) edge(x *Expr, lim, per int) *Expr {
	if lim%per == 0 {
		return nil
	}
	return Bin(OLt, x, b.iconst(lim))
}

// contractSkinnyRows is the skinny template where A is contiguous along M: lane l of every
// warp computes row row0+l, the warps split K.
func (b *builder) contractSkinnyRows(ct contraction) error {
	local := b.skinnyThreads()
	warps := local / 32
	rn := skinnyRowsN(ct)
	g := b.skinnyRowGroups(ct)
	wpg := warps / g // warps of a group
	batch := graph.NumElements(ct.batch)
	if g == 1 {
		b.note("contract skinny: 32x%d outputs a workgroup of %d threads, lanes along M, %d warps along K = %d",
			rn, local, warps, ct.k)
	} else {
		b.note("contract skinny: %dx%d outputs a workgroup of %d threads in %d groups of 32 rows, lanes along M, each group's %d warps along K = %d",
			32*g, rn, local, g, wpg, ct.k)
	}
	b.p.Local = [3]int{local, 1, 1}
	gx, gy := (ct.n+rn-1)/rn, (ct.m+32*g-1)/(32*g)
	outputs := 32 * g * rn
	sp := noSplit(ct, wpg)
	if per := (outputs + local - 1) / local; per <= rn {
		sp = b.splitOf(ct, wpg, per, local, gx, gy)
	}
	b.setGrid(gx, gy, batch, sp)
	ic := b.iconst
	s := T(ct.s)
	tid := b.named("tid", Cast(Spec(LocalID, 0, U32), b.idx))
	lane, warp := b.named("lane", remE(tid, 32)), b.named("warp", divE(tid, 32))
	// The warp's group, and its place among the group's warps along K.
	grp, gwarp := ic(0), warp
	if g > 1 {
		grp, gwarp = b.named("grp", divE(warp, wpg)), b.named("gwarp", remE(warp, wpg))
	}
	row0 := b.named("row0", mulE(b.tileRow(), 32*g))
	row := b.named("row", addE(addE(row0, mulE(grp, 32)), lane))
	col0 := b.named("col0", mulE(Cast(Spec(GroupID, 0, U32), b.idx), rn))
	bz := b.batch(&sp)
	bc := b.decode(bz, ct.batch, "b")
	first, end := b.share(sp, gwarp)
	b.emit(&Decl{Name: "acc", Type: s, Len: rn})
	iv := Var("i", T(b.idx))
	b.emit(&For{Var: iv.Name, Type: b.idx, Start: ic(0), End: ic(rn), Step: ic(1), Unroll: true,
		Body: []Stmt{&Assign{Name: "acc", Index: iv, Value: Zero(ct.s)}}})
	load := func(k *Expr) []*Expr {
		v := []*Expr{b.operandValue(ct, ct.a, bc, row, k, b.edge(row, ct.m, 32*g))}
		for j := range rn {
			col := addE(col0, ic(j))
			v = append(v, b.operandValue(ct, ct.b, bc, k, col, b.edge(col, ct.n, rn)))
		}
		return v
	}
	add := func(v []*Expr) {
		for j := range rn {
			b.emit(&Assign{Name: "acc", Index: ic(j), Value: ct.fma(Index("acc", s, ic(j)), v[0], v[1+j])})
		}
	}
	b.emit(&Comment{Text: fmt.Sprintf("Each warp takes every %dth step along K, %d steps a round.", wpg, skinnyUnroll)})
	b.skinnyLoop(first, wpg, end, "k", load, add)

	b.emit(&Comment{Text: "Sum each output over the warps (of its group)."})
	red := reduction{op: graph.OpSum, s: ct.s}
	b.p.Shared = append(b.p.Shared, &Decl{Name: "partial", Type: s, Len: warps * 32 * rn})
	for j := range rn {
		b.emit(&Assign{Name: "partial", Index: addE(mulE(addE(mulE(warp, rn), ic(j)), 32), lane), Value: Index("acc", s, ic(j))})
	}
	b.emit(&Barrier{})
	var err error
	// Output out is row out%32 of group out/(32*rn), column out/32%rn of the workgroup's.
	sum := func(out *Expr) *Expr {
		r, j := b.named("r", remE(out, 32)), b.named("j", remE(divE(out, 32), rn))
		w0 := ic(0)
		if g > 1 {
			w0 = b.named("w0", mulE(divE(out, 32*rn), wpg))
		}
		at := func(w int) *Expr { return addE(mulE(addE(mulE(addE(w0, ic(w)), rn), j), 32), r) }
		sum := b.variable("sum", Index("partial", s, at(0)))
		for w := 1; w < wpg; w++ {
			b.emit(&Assign{Name: sum.Name, Value: red.combine(sum, Index("partial", s, at(w)))})
		}
		return sum
	}
	store := func(out, v *Expr) {
		orow := addE(row0, remE(out, 32))
		if g > 1 {
			orow = addE(orow, mulE(divE(out, 32*rn), 32))
		}
		orow = b.named("orow", orow)
		col := b.named("col", addE(col0, remE(divE(out, 32), rn)))
		err = b.storeProduct(ct, bz, orow, col, v)
	}
	b.skinnyFinish(sp, outputs, tid, bz, sum, store)
	return err
}

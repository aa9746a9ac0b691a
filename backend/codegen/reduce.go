package codegen

import (
	"fmt"
	"math"
	"slices"

	"github.com/crossbar-compute/crossbar/graph"
)

// reduction describes the core of a reduction kernel.
type reduction struct {
	op      graph.Op
	dt      graph.DType // the core's dtype (that of its prologue)
	s       Scalar      // the accumulator's type
	in      []int       // the shape reduced over
	reduced []int       // the reduced axes of in with size > 1, in order
	outs    int         // output elements
	group   int         // input elements per output element
}

func (b *builder) reduction() reduction {
	c := b.k.Core
	r := reduction{op: c.Op, dt: c.DType, s: ComputeType(c.DType), in: c.InShape, outs: graph.NumElements(c.Shape)}
	for _, a := range c.Axes {
		if c.InShape[a] != 1 {
			r.reduced = append(r.reduced, a)
		}
	}
	if r.outs > 0 {
		r.group = graph.NumElements(c.InShape) / r.outs
	}
	return r
}

// identity is the value that op starts from.
func (r reduction) identity() *Expr {
	s := r.s
	switch r.op {
	case graph.OpProd:
		if s.IsFloat() {
			return Float(1, s)
		}
		return Int(1, s)
	case graph.OpReduceMax:
		switch s {
		case F32, F64:
			return Float(math.Inf(-1), s)
		case I32:
			return Int(math.MinInt32, s)
		case I64:
			return Int(math.MinInt64, s)
		}
		return Zero(s) // U32 (Uint8) and Bool
	case graph.OpReduceMin:
		switch s {
		case F32, F64:
			return Float(math.Inf(1), s)
		case I32:
			return Int(math.MaxInt32, s)
		case I64:
			return Int(math.MaxInt64, s)
		case U32:
			return Int(255, s)
		case Bool:
			return BoolLit(true)
		}
	}
	return Zero(s)
}

// combine folds v into the accumulator acc; both may be read twice.
func (r reduction) combine(acc, v *Expr) *Expr {
	s := r.s
	switch r.op {
	case graph.OpSum:
		if s == Bool {
			return Bin(OLOr, acc, v)
		}
		return Bin(OAdd, acc, v)
	case graph.OpProd:
		if s == Bool {
			return Bin(OLAnd, acc, v)
		}
		return Bin(OMul, acc, v)
	case graph.OpReduceMax, graph.OpReduceMin:
		if s == Bool {
			if r.op == graph.OpReduceMax {
				return Bin(OLOr, acc, v)
			}
			return Bin(OLAnd, acc, v)
		}
		if !s.IsFloat() {
			fn := FnMax
			if r.op == graph.OpReduceMin {
				fn = FnMin
			}
			return Call(fn, s, acc, v)
		}
		// A NaN wins and stays.
		better := Bin(OLt, acc, v)
		if r.op == graph.OpReduceMin {
			better = Bin(OLt, v, acc)
		}
		return Sel(Bin(OLOr, better, Call(FnIsNaN, Bool, v)), v, acc)
	}
	return nil
}

// reduce lowers a reduction kernel, its prologue and its epilogue.
func (b *builder) reduce() error {
	r := b.reduction()
	switch b.strategy(r) {
	case ReduceGroup:
		return b.reduceGroup(r)
	case ReduceColumns:
		return b.reduceColumns(r)
	}
	return b.reduceSerial(r)
}

// strategy is the strategy Lower takes for r: Options.Reduce or, where that is ReduceAuto,
// the one the shape and the loads suggest; ReduceSerial where the workgroups of the others
// would not fit the target.
func (b *builder) strategy(r reduction) ReduceStrategy {
	s := b.o.Reduce
	if s == ReduceAuto {
		switch {
		case r.group < b.o.GroupMin:
			s = ReduceSerial
		case b.columnar(r):
			s = ReduceColumns
		case r.outs <= b.o.GroupMaxOutputs:
			s = ReduceGroup
		default:
			s = ReduceSerial
		}
	}
	if s != ReduceSerial && b.t.MaxWorkgroup > 0 && b.o.ReduceLocal > b.t.MaxWorkgroup {
		s = ReduceSerial
	}
	return s
}

// columnLanes is the outputs of a tile of ReduceColumns: a warp's, so that a warp's load
// reads a row of the tile, 128 bytes of float32.
const columnLanes = 32

// columnar says that neighbouring outputs of r read neighbouring elements, as in a sum
// over the rows of a matrix (a bias's gradient): its last kept axis longer than 1 has at
// least columnLanes elements, and every load of the prologue that varies along it steps
// along it by one element (there is one). A warp of ReduceColumns then reads a line for
// 32 outputs, where one of ReduceGroup, its threads on one output 1 row apart, would read
// 32 lines, and ReduceSerial leaves a thread an output, too few threads to fill a GPU.
func (b *builder) columnar(r reduction) bool {
	ka := -1
	for a := len(r.in) - 1; a >= 0 && ka < 0; a-- {
		if r.in[a] > 1 && !slices.Contains(r.reduced, a) {
			ka = a
		}
	}
	if ka < 0 || r.in[ka] < columnLanes {
		return false
	}
	along, other := 0, 0
	visit(b.k.Core.Src[0], func(e *graph.Expr) {
		if e.Op == graph.OpLoad && len(e.View.Strides) == len(r.in) {
			switch st := e.View.Strides[ka]; {
			case st == 1 || st == -1:
				along++
			case st != 0:
				other++
			}
		}
	})
	return along > 0 && other == 0
}

// ReduceColumnar says that neighbouring outputs of reduction kernel k read neighbouring
// elements (columnar): the layout that ReduceAuto gives to ReduceColumns.
func ReduceColumnar(k *graph.Kernel) bool {
	if k.Core == nil || !k.Core.Op.IsReduce() {
		return false
	}
	b := &builder{k: k}
	return b.columnar(b.reduction())
}

// ReduceLaunch returns, for reduction kernel k on target t with options o, the strategy
// that Lower takes, the workgroups it launches without a split (Options.ReduceSplit), the
// threads of each and the threads that fold each output's group: what a device needs to
// know to choose a split. For a kernel that is no reduction it returns ReduceAuto and
// zeros.
func ReduceLaunch(k *graph.Kernel, t Target, o Options) (s ReduceStrategy, groups, local, folders int) {
	if k.Core == nil || !k.Core.Op.IsReduce() {
		return ReduceAuto, 0, 0, 0
	}
	b := &builder{k: k, t: t, o: o.withDefaults()}
	r := b.reduction()
	switch s = b.strategy(r); s {
	case ReduceGroup:
		return s, r.outs, b.o.ReduceLocal, b.o.ReduceLocal
	case ReduceColumns:
		lanes := min(columnLanes, b.o.ReduceLocal)
		return s, (r.outs + lanes - 1) / lanes, b.o.ReduceLocal, b.o.ReduceLocal / lanes
	}
	return s, (r.outs + b.o.Local - 1) / b.o.Local, b.o.Local, 1
}

// inCoords are the coordinates of the input element of output coordinates out (over the
// core's shape) and reduced-axis coordinates red (indexed like r.reduced).
func (b *builder) inCoords(r reduction, out, red []*Expr) []*Expr {
	coords := slices.Clone(out)
	for i, a := range r.reduced {
		coords[a] = red[i]
	}
	return coords
}

// reduceSerial: one thread per output element folds its group in nested loops over the
// reduced axes.
func (b *builder) reduceSerial(r reduction) error {
	b.note("reduce %v serial: %d outputs of %d elements, workgroups of %d", r.op, r.outs, r.group, b.o.Local)
	gid := b.launch1D(r.outs, b.o.Local)
	b.guard(gid, r.outs)
	out := b.decode(gid, b.k.Core.Shape, "c")
	acc := b.variable("acc", r.identity())
	if r.group > 0 {
		red := make([]*Expr, len(r.reduced))
		for i, a := range r.reduced {
			red[i] = Var(fmt.Sprintf("r%d", a), T(b.idx))
		}
		body, err := b.combineAt(r, acc, func() []*Expr { return b.inCoords(r, out, red) })
		if err != nil {
			return err
		}
		for i := len(r.reduced) - 1; i >= 0; i-- {
			a := r.reduced[i]
			body = []Stmt{&For{Var: red[i].Name, Type: b.idx, Start: b.iconst(0), End: b.iconst(r.in[a]), Step: b.iconst(1), Body: body}}
		}
		b.emit(body...)
	}
	core := b.let("v", b.narrow(acc, r.dt, graph.OpSum))
	return b.epilogue(gid, core)
}

// reduceGroup: one workgroup per output element; each thread folds a strided part of the
// group, then the partial results meet in a tree in shared memory. With a split
// (Options.ReduceSplit), n workgroups share each group, each a contiguous share of it.
func (b *builder) reduceGroup(r reduction) error {
	local := b.o.ReduceLocal
	shuffle := b.t.Shuffle && b.t.WarpWidth == 32 && local%32 == 0
	how := "tree in shared memory"
	if shuffle {
		how = fmt.Sprintf("shuffles in warps, then across %d warps", local/32)
	}
	n, per := b.reduceSplitOf(r, local)
	if n > 1 {
		b.note("reduce %v group: %d outputs of %d elements, %d workgroups of %d each, %d elements a workgroup, %s",
			r.op, r.outs, r.group, n, local, per, how)
	} else {
		b.note("reduce %v group: %d outputs of %d elements, one workgroup of %d each, %s", r.op, r.outs, r.group, local, how)
	}
	total := r.outs * n
	wg := b.launchGroups(total, local)
	tid := b.named("tid", Cast(Spec(LocalID, 0, U32), b.idx))
	group, share := wg, (*Expr)(nil)
	if n > 1 {
		share = b.named("share", remE(wg, n))
		group = b.named("opos", divE(wg, n)) // not "out", a word GLSL keeps
	}
	out := b.decode(group, b.k.Core.Shape, "c")
	acc := b.variable("acc", r.identity())
	if r.group > 0 {
		start, end := tid, b.iconst(r.group)
		if n > 1 {
			start, end = b.shareBounds(r, share, n, per, tid)
			b.emit(&Comment{Text: fmt.Sprintf("Each thread folds every %dth element of this workgroup's share of the group.", local)})
		} else {
			b.emit(&Comment{Text: "Each thread folds every " + fmt.Sprint(local) + "th element of the group."})
		}
		if err := b.fold(r, out, acc, start, end, local); err != nil {
			return err
		}
	}
	if n > 1 {
		return b.reduceSplitFinish(r, group, share, tid, acc, n, local, shuffle)
	}
	return b.combineGroup(r, tid, acc, local, 1, shuffle, func(v *Expr) error { return b.reduceEpilogue(group, r, v) })
}

// shareBounds declares the bounds of share (of n, per elements each but the last) of a
// group, and returns where a thread at offset into it starts and where the share ends.
func (b *builder) shareBounds(r reduction, share *Expr, n, per int, offset *Expr) (start, end *Expr) {
	first := b.named("rfirst", mulE(share, per))
	end = b.named("rend", Sel(Bin(OEq, share, b.iconst(n-1)), b.iconst(r.group), addE(first, b.iconst(per))))
	return addE(first, offset), end
}

// fold emits the loop in which a thread folds into acc the elements start, start+step,
// ... before end of the group of the output at coordinates out (over the core's shape).
func (b *builder) fold(r reduction, out []*Expr, acc, start, end *Expr, step int) error {
	red := Var("r", T(b.idx))
	sizes := make([]int, len(r.reduced))
	for i, a := range r.reduced {
		sizes[i] = r.in[a]
	}
	body, err := b.combineAt(r, acc, func() []*Expr { return b.inCoords(r, out, b.decode(red, sizes, "r")) })
	if err != nil {
		return err
	}
	b.emit(&For{Var: red.Name, Type: b.idx, Start: start, End: end, Step: b.iconst(step), Body: body})
	return nil
}

// combineAt returns the statements that fold into acc the prologue's value at the input
// coordinates (over r.in) that coords returns; coords runs inside them, where it may
// declare what it needs.
func (b *builder) combineAt(r reduction, acc *Expr, coords func() []*Expr) ([]Stmt, error) {
	var err error
	body := b.block(func() {
		en := &env{shape: r.in, coords: coords()}
		var v *Expr
		if v, err = b.value(b.k.Core.Src[0], en); err == nil {
			b.emit(&Assign{Name: acc.Name, Value: r.combine(acc, v)})
		}
	})
	return body, err
}

// reduceColumns: a workgroup of ReduceLocal threads for each tile of columnLanes
// neighbouring outputs, in rows of columnLanes lanes. Lane l of each row folds the group
// of the tile's output l, each row every rows-th element of it, so that the threads of a
// row read neighbouring elements when the outputs' groups lie side by side (columnar);
// the rows' partial results meet in a tree in shared memory. With a split
// (Options.ReduceSplit), n workgroups share each tile, each a contiguous share of its
// groups.
func (b *builder) reduceColumns(r reduction) error {
	local := b.o.ReduceLocal
	lanes := min(columnLanes, local)
	rows := local / lanes
	tiles := (r.outs + lanes - 1) / lanes
	n, per := b.reduceSplitOf(r, rows)
	shape := fmt.Sprintf("reduce %v columns: %d outputs of %d elements, tiles of %d outputs", r.op, r.outs, r.group, lanes)
	if n > 1 {
		b.note("%s, %d workgroups of %d lanes × %d rows each, %d elements a workgroup, tree in shared memory", shape, n, lanes, rows, per)
	} else {
		b.note("%s, one workgroup of %d lanes × %d rows each, tree in shared memory", shape, lanes, rows)
	}
	total := tiles * n
	wg := b.launchGroups(total, local)
	tid := b.named("tid", Cast(Spec(LocalID, 0, U32), b.idx))
	lane, row := b.named("lane", remE(tid, lanes)), b.named("row", divE(tid, lanes))
	tile, share := wg, (*Expr)(nil)
	if n > 1 {
		share = b.named("share", remE(wg, n))
		tile = b.named("tile", divE(wg, n))
	}
	opos := b.named("opos", addE(mulE(tile, lanes), lane))
	// inside runs what f emits in the lanes of an output, past the last one where the last
	// tile is not full; the others take part in the barriers only.
	inside := func(f func() error) error {
		if tiles*lanes == r.outs {
			return f()
		}
		var err error
		then := b.block(func() { err = f() })
		b.emit(&If{Cond: Bin(OLt, opos, b.iconst(r.outs)), Then: then})
		return err
	}
	out := b.decode(opos, b.k.Core.Shape, "c")
	acc := b.variable("acc", r.identity())
	if r.group > 0 {
		err := inside(func() error {
			start, end := row, b.iconst(r.group)
			if n > 1 {
				start, end = b.shareBounds(r, share, n, per, row)
				b.emit(&Comment{Text: fmt.Sprintf("Each row folds every %dth element of this workgroup's share of its lane's group.", rows)})
			} else {
				b.emit(&Comment{Text: fmt.Sprintf("Each row folds every %dth element of its lane's group.", rows)})
			}
			return b.fold(r, out, acc, start, end, rows)
		})
		if err != nil {
			return err
		}
	}
	epilogue := func(v *Expr) error { return inside(func() error { return b.reduceEpilogue(opos, r, v) }) }
	if n == 1 {
		return b.combineGroup(r, tid, acc, local, lanes, false, epilogue)
	}
	pc, pp := b.workspace(tiles, r.outs*n, r.s)
	slot := func(z *Expr) *Expr { return addE(mulE(opos, n), z) }
	err := b.combineGroup(r, tid, acc, local, lanes, false, func(v *Expr) error {
		return inside(func() error {
			b.emit(storePartial(pp, slot(share), v, r.s))
			return nil
		})
	})
	if err != nil {
		return err
	}
	// The barrier orders the stores of the first row before thread 0's count.
	b.emit(&Barrier{})
	count := b.block(func() { b.countDone(pc, tile, n) })
	b.emit(&If{Cond: Bin(OEq, tid, b.iconst(0)), Then: count}, &Barrier{})
	then := b.block(func() {
		total := b.variable("total", r.identity())
		z := Var("z", T(b.idx))
		fold := []Stmt{&Assign{Name: total.Name, Value: r.combine(total, loadPartial(pp, slot(z), r.s))}}
		err = inside(func() error {
			b.emit(&For{Var: z.Name, Type: b.idx, Start: row, End: b.iconst(n), Step: b.iconst(rows), Body: fold})
			return nil
		})
		if err == nil {
			err = b.combineGroup(r, tid, total, local, lanes, false, epilogue)
		}
	})
	b.emit(&Comment{Text: "Split: the workgroup that counted last combines the shares' results."})
	b.emit(&If{Cond: Bin(ONe, Index("splitLast", T(I32), i32(0)), i32(0)), Then: then})
	return err
}

// reduceEpilogue runs the epilogue of output element group on v, the group's result.
func (b *builder) reduceEpilogue(group *Expr, r reduction, v *Expr) error {
	core := b.let("v", b.narrow(v, r.dt, graph.OpSum))
	return b.epilogue(group, core)
}

// combineGroup combines the threads' partial results acc of a workgroup of local threads
// into width results (a power of two; thread i's result combines those of the threads i,
// i+width, i+2·width, ...), through shuffles (width 1 only) or a tree in shared memory,
// and calls finish with the result of thread i in each of the first width threads, the
// only ones that run what finish emits.
func (b *builder) combineGroup(r reduction, tid, acc *Expr, local, width int, shuffle bool, finish func(v *Expr) error) error {
	if shuffle && width == 1 {
		return b.reduceWarps(r, tid, acc, local, finish)
	}
	b.sharedOnce(&Decl{Name: "partial", Type: T(r.s), Len: local})
	part := func(i *Expr) *Expr { return Index("partial", T(r.s), i) }
	b.emit(&Comment{Text: "Combine the threads' partial results in a tree."})
	b.emit(&Assign{Name: "partial", Index: tid, Value: acc}, &Barrier{})
	for s := local / 2; s >= width; s /= 2 {
		then := b.block(func() {
			mine := b.named("mine", part(tid))
			other := b.named("other", part(addE(tid, b.iconst(s))))
			b.emit(&Assign{Name: "partial", Index: tid, Value: r.combine(mine, other)})
		})
		b.emit(&If{Cond: Bin(OLt, tid, b.iconst(s)), Then: then}, &Barrier{})
	}
	var err error
	if width == 1 {
		then := b.block(func() { err = finish(part(b.iconst(0))) })
		b.emit(&If{Cond: Bin(OEq, tid, b.iconst(0)), Then: then})
		return err
	}
	then := b.block(func() { err = finish(part(tid)) })
	b.emit(&If{Cond: Bin(OLt, tid, b.iconst(width)), Then: then})
	return err
}

// sharedOnce declares d in shared memory unless an array of its name is declared already.
func (b *builder) sharedOnce(d *Decl) {
	for _, s := range b.p.Shared {
		if s.Name == d.Name {
			return
		}
	}
	b.p.Shared = append(b.p.Shared, d)
}

// reduceWarps is combineGroup on a target with warp shuffles: the threads of each warp
// combine their partial results through shuffles, the first thread of each warp leaves the
// warp's result in shared memory, and the first warp combines those the same way.
func (b *builder) reduceWarps(r reduction, tid, acc *Expr, local int, finish func(v *Expr) error) error {
	warps := local / 32
	b.emit(&Comment{Text: "Combine the partial results of each warp, then of the warps."})
	b.butterfly(r, acc)
	lane := b.named("lane", remE(tid, 32))
	b.sharedOnce(&Decl{Name: "partial", Type: T(r.s), Len: warps})
	b.emit(&If{Cond: Bin(OEq, lane, b.iconst(0)), Then: []Stmt{&Assign{Name: "partial", Index: divE(tid, 32), Value: acc}}}, &Barrier{})
	var err error
	first := b.block(func() {
		w := b.variable("w", Sel(Bin(OLt, lane, b.iconst(warps)), Index("partial", T(r.s), lane), r.identity()))
		b.butterfly(r, w)
		then := b.block(func() { err = finish(w) })
		b.emit(&If{Cond: Bin(OEq, tid, b.iconst(0)), Then: then})
	})
	b.emit(&If{Cond: Bin(OLt, tid, b.iconst(32)), Then: first})
	return err
}

// MaxReduceSplit bounds Options.ReduceSplit: a whole device's workgroups for one output.
const MaxReduceSplit = 4096

// reduceSplitOf returns the workgroups n that share each group of a ReduceGroup or
// ReduceColumns reduction and the elements per of each share but the last, as far as
// Options.ReduceSplit, the target and the reduction allow: accumulators of a type the
// workspace holds (partialTypes: every one), shares of at least as many elements as the
// threads that fold each group (folders). n == 1 is no split.
func (b *builder) reduceSplitOf(r reduction, folders int) (n, per int) {
	n = min(b.o.ReduceSplit, b.reduceSplitCap(r, folders))
	if n <= 1 {
		return 1, r.group
	}
	per = (r.group + n - 1) / n
	return (r.group + per - 1) / per, per
}

// reduceSplitCap is the most workgroups that may share each group of reduction r whose
// workgroups fold each group with folders threads: MaxReduceSplit, shares of at least
// folders elements, and a workspace of at most maxPartials words; 1 (none) on a target
// without SplitK.
func (b *builder) reduceSplitCap(r reduction, folders int) int {
	dt, held := partialTypes[r.s]
	if !b.t.SplitK || !held || folders <= 0 {
		return 1
	}
	words := int64(max(r.outs, 1)) * int64(dt.Size()/4)
	return int(min(int64(MaxReduceSplit), int64(r.group/folders), maxPartials/words))
}

// ReduceSplitMax returns the most workgroups that may share each group (each tile's) of
// reduction kernel k on target t with options o: Options.ReduceSplit at or past it makes
// the same kernel, below it another. It is 1 where the kernel does not split (the serial
// strategy, a target without SplitK, short groups).
func ReduceSplitMax(k *graph.Kernel, t Target, o Options) int {
	s, _, _, folders := ReduceLaunch(k, t, o)
	if s != ReduceGroup && s != ReduceColumns {
		return 1
	}
	b := &builder{k: k, t: t, o: o.withDefaults()}
	b.o.ReduceSplit = MaxReduceSplit
	n, _ := b.reduceSplitOf(b.reduction(), folders)
	return n
}

// reduceSplitFinish ends a split ReduceGroup reduction: the workgroup's result goes to
// its share's place in the workspace (Program.Split) and the workgroup counts itself
// done on the output's counter; the one that counts last combines the n results in a
// fixed order (each thread those at its index modulo the workgroup, then the workgroup
// as above), resets the counter for the next launch and runs the epilogue. The result
// does not depend on which workgroup counts last.
func (b *builder) reduceSplitFinish(r reduction, group, share, tid, acc *Expr, n, local int, shuffle bool) error {
	pc, pp := b.workspace(r.outs, r.outs*n, r.s)
	slot := func(z *Expr) *Expr { return addE(mulE(group, n), z) }
	err := b.combineGroup(r, tid, acc, local, 1, shuffle, func(v *Expr) error {
		b.emit(storePartial(pp, slot(share), v, r.s))
		b.countDone(pc, group, n)
		return nil
	})
	if err != nil {
		return err
	}
	b.emit(&Barrier{})
	then := b.block(func() {
		total := b.variable("total", r.identity())
		z := Var("z", T(b.idx))
		fold := []Stmt{&Assign{Name: total.Name, Value: r.combine(total, loadPartial(pp, slot(z), r.s))}}
		b.emit(&For{Var: z.Name, Type: b.idx, Start: tid, End: b.iconst(n), Step: b.iconst(local), Body: fold})
		err = b.combineGroup(r, tid, total, local, 1, shuffle, func(v *Expr) error { return b.reduceEpilogue(group, r, v) })
	})
	b.emit(&Comment{Text: "Split: the workgroup that counted last combines the shares' results."})
	b.emit(&If{Cond: Bin(ONe, Index("splitLast", T(I32), i32(0)), i32(0)), Then: then})
	return err
}

// butterfly folds v (a variable or an array element) by r with the values of the other
// lanes of its warp, through shuffles: every lane ends with the warp's result.
func (b *builder) butterfly(r reduction, v *Expr) {
	for m := 16; m > 0; m /= 2 {
		other := b.let("o", b.shuffle(r.s, v, m))
		b.emit(&Assign{Name: v.Name, Index: index(v), Value: r.combine(v, other)})
	}
}

// index is the array index of an element expression (KIndex), nil for a variable.
func index(v *Expr) *Expr {
	if v.Kind == KIndex {
		return v.Args[0]
	}
	return nil
}

// shuffle is FnShuffleXor of v, a value of type s; Bool travels as an int.
func (b *builder) shuffle(s Scalar, v *Expr, mask int) *Expr {
	m := Int(int64(mask), I32)
	if s == Bool {
		return Bin(ONe, Call(FnShuffleXor, I32, Cast(v, I32), m), Int(0, I32))
	}
	return Call(FnShuffleXor, s, v, m)
}

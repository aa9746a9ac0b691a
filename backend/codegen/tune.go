package codegen

import (
	"fmt"

	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/graph"
)

// The tiled Contract template as a tuning space: the knobs of its tiles, with a validity
// predicate from the target's limits. A backend keys, measures and caches it; every backend
// that lowers through this package shares it.

// ContractSpaceVersion is part of the kernel signature of tuned contractions: it changes
// whenever the knobs, their grids or the template change, so that old entries are not reused.
const ContractSpaceVersion = "contract/v5"

// SplitKs are the values of the SplitK knob of the Contract spaces.
var SplitKs = []int{1, 2, 3, 4, 6, 8, 12, 16, 24, 32}

// splitKnob is the SplitK knob on target t: 1 alone where the target cannot split K.
func splitKnob(t Target) autotune.Knob {
	if !t.SplitK {
		return autotune.Knob{Name: "SplitK", Values: []int{1}}
	}
	return autotune.Knob{Name: "SplitK", Values: SplitKs}
}

// rasterKnob is the RasterM knob of the Contract spaces.
var rasterKnob = autotune.Knob{Name: "RasterM", Values: []int{1, 4, 8, 16}}

// maxTileLoads bounds the rounds in which a workgroup copies one operand tile: the copy
// loop is unrolled, so a tile much larger than the workgroup makes a long shader.
const maxTileLoads = 16

// ContractSpace returns the tuning space of the tiled Contract template on target t: block
// sizes BlockM, BlockN, BlockK, thread tiles ThreadM, ThreadN, the vector width Vec, the
// Buffers, Spread (0 or 1) and, on a target with SplitK, SplitK. The
// prior is the defaults of Options. A configuration is valid when the thread tile divides
// the block, the workgroup fits t.MaxWorkgroup, both operand tiles fit t.SharedMemory (at 8
// bytes an element, the widest accumulator) and each tile is copied in at most a few rounds.
func ContractSpace(t Target) autotune.Space {
	d := Options{}.withDefaults()
	return autotune.Space{
		Knobs: []autotune.Knob{
			{Name: "BlockM", Values: []int{16, 32, 64, 128}},
			{Name: "BlockN", Values: []int{16, 32, 64, 128}},
			{Name: "BlockK", Values: []int{8, 16, 32}},
			{Name: "ThreadM", Values: []int{1, 2, 4, 8}},
			{Name: "ThreadN", Values: []int{1, 2, 4, 8}},
			{Name: "Vec", Values: []int{1, 2, 4}},
			{Name: "Buffers", Values: []int{1, 2}},
			{Name: "Spread", Values: []int{0, 1}},
			splitKnob(t),
			rasterKnob,
		},
		Prior: ContractConfig(d),
		Valid: func(c autotune.Config) bool {
			bm, bn, bk, tm, tn, vec, bufs := c["BlockM"], c["BlockN"], c["BlockK"], c["ThreadM"], c["ThreadN"], c["Vec"], c["Buffers"]
			if bufs != 1 && bufs != 2 {
				return false
			}
			// Spread where no thread block has more than one piece is Spread 0 again.
			switch sp := c["Spread"]; {
			case sp == 1 && (tm <= 4 || tm%4 != 0) && (tn <= 4 || tn%4 != 0):
				return false
			case sp != 0 && sp != 1:
				return false
			}
			if bm <= 0 || bn <= 0 || bk <= 0 || tm <= 0 || tn <= 0 || bm%tm != 0 || bn%tn != 0 {
				return false
			}
			if vec != 1 && vec != 2 && vec != 4 {
				return false
			}
			threads := (bm / tm) * (bn / tn)
			if t.MaxWorkgroup > 0 && threads > t.MaxWorkgroup {
				return false
			}
			if t.SharedMemory > 0 && tiledShared(Options{Buffers: bufs, BlockM: bm, BlockN: bn, BlockK: bk}) > t.SharedMemory {
				return false
			}
			return bm*bk <= maxTileLoads*threads && bk*bn <= maxTileLoads*threads
		},
	}
}

// ContractConfig returns the tile knobs of o as a configuration of ContractSpace (zero
// fields as their defaults).
func ContractConfig(o Options) autotune.Config {
	o = o.withDefaults()
	spread := 0
	if o.Spread {
		spread = 1
	}
	return autotune.Config{"BlockM": o.BlockM, "BlockN": o.BlockN, "BlockK": o.BlockK,
		"ThreadM": o.ThreadM, "ThreadN": o.ThreadN, "Vec": o.Vec, "Buffers": o.Buffers, "Spread": spread, "SplitK": o.SplitK, "RasterM": o.RasterM}
}

// WithContract returns o with the tile knobs set from c; knobs c does not set are kept.
func (o Options) WithContract(c autotune.Config) Options {
	for name, p := range map[string]*int{"BlockM": &o.BlockM, "BlockN": &o.BlockN, "BlockK": &o.BlockK,
		"ThreadM": &o.ThreadM, "ThreadN": &o.ThreadN, "Vec": &o.Vec, "Buffers": &o.Buffers, "SplitK": &o.SplitK, "RasterM": &o.RasterM} {
		if v, ok := c[name]; ok {
			*p = v
		}
	}
	if v, ok := c["Spread"]; ok {
		o.Spread = v == 1
	}
	return o
}

// String describes every knob, defaults filled in, in a fixed order: two Options make the
// same code exactly when their strings are equal, so it can key a cache of compiled
// programs.
func (o Options) String() string {
	o = o.withDefaults()
	return fmt.Sprintf("local=%d,elems=%d,reduce=%v,reducelocal=%d,groupmin=%d,groupmax=%d,reducesplit=%d,tiled=%v,block=%dx%dx%d,thread=%dx%d,vec=%d,buffers=%d,tiledmin=%d,"+
		"tc=%v,tcblock=%dx%dx%d,tcwarps=%dx%d,tcstages=%d,warpgroup=%v,spread=%v,splitk=%d,raster=%d,skinny=%v,tma=%v",
		o.Local, o.Elems, o.Reduce, o.ReduceLocal, o.GroupMin, o.GroupMaxOutputs, o.ReduceSplit, *o.Tiled, o.BlockM, o.BlockN, o.BlockK,
		o.ThreadM, o.ThreadN, o.Vec, o.Buffers, o.TiledMin, *o.TensorCore, o.TCBlockM, o.TCBlockN, o.TCBlockK, o.TCWarpsM, o.TCWarpsN, o.TCStages, *o.Warpgroup, o.Spread, o.SplitK, o.RasterM, *o.Skinny, *o.TMA)
}

// ElementwiseSpaceVersion and ReduceSpaceVersion are part of the kernel signatures of tuned
// elementwise kernels and reductions, as ContractSpaceVersion is of contractions.
const (
	ElementwiseSpaceVersion = "elementwise/v3"
	ReduceSpaceVersion      = "reduce/v3"
)

// localSizes are the workgroup sizes a search tries for one-thread-per-element kernels.
var localSizes = []int{32, 64, 128, 256, 512, 1024}

// ElementwiseSpace returns the tuning space of elementwise kernels on target t: the
// workgroup size Local and the elements a thread Elems (1, 2, 4 or 8). The prior is the
// default of Options; a size is valid when it fits t.MaxWorkgroup.
func ElementwiseSpace(t Target) autotune.Space {
	return autotune.Space{
		Knobs: []autotune.Knob{{Name: "Local", Values: localSizes}, {Name: "Elems", Values: []int{1, 2, 4, 8}}},
		Prior: ElementwiseConfig(Options{}),
		Valid: func(c autotune.Config) bool {
			l := c["Local"]
			return l > 0 && (t.MaxWorkgroup <= 0 || l <= t.MaxWorkgroup)
		},
	}
}

// ElementwiseConfig returns the elementwise knob of o as a configuration of
// ElementwiseSpace (a zero field as its default).
func ElementwiseConfig(o Options) autotune.Config {
	o = o.withDefaults()
	return autotune.Config{"Local": o.Local, "Elems": o.Elems}
}

// WithElementwise returns o with the workgroup size and elements a thread of c, where c
// sets them.
func (o Options) WithElementwise(c autotune.Config) Options {
	if v, ok := c["Local"]; ok {
		o.Local = v
	}
	if v, ok := c["Elems"]; ok {
		o.Elems = v
	}
	return o
}

// ReduceSplits are the values of the ReduceSplit knob of ReduceSpace on a target with
// SplitK (1 alone on others).
var ReduceSplits = []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, MaxReduceSplit}

// ReduceSpace returns the tuning space of reductions on target t: the strategy Reduce
// (ReduceAuto, ReduceSerial, ReduceGroup or ReduceColumns, as integers), the workgroup
// size Local of the serial strategy, ReduceLocal of the group and column strategies and,
// on a target with SplitK, how many workgroups share each output's group (ReduceSplit)
// in those two and ReduceAuto. A tuned kernel has one shape, so the strategy is chosen
// outright and the thresholds of ReduceAuto (GroupMin, GroupMaxOutputs) are not knobs.
// The prior is the defaults of Options. A configuration is valid when the workgroups its
// strategy launches fit t.MaxWorkgroup and the tree of partial results (at 8 bytes an
// element, the widest accumulator) fits t.SharedMemory; a knob the strategy does not read
// keeps its default, so that no two candidates make the same kernel (a split past what
// one kernel takes, ReduceSplitMax, is for the caller, who knows the kernel, to refuse).
func ReduceSpace(t Target) autotune.Space {
	d := Options{}.withDefaults()
	splits := []int{1}
	if t.SplitK {
		splits = ReduceSplits
	}
	return autotune.Space{
		Knobs: []autotune.Knob{
			{Name: "Reduce", Values: []int{int(ReduceAuto), int(ReduceSerial), int(ReduceGroup), int(ReduceColumns)}},
			{Name: "Local", Values: []int{64, 128, 256, 512}},
			{Name: "ReduceLocal", Values: []int{64, 128, 256, 512, 1024}},
			{Name: "ReduceSplit", Values: splits},
		},
		Prior: ReduceConfig(d),
		Valid: func(c autotune.Config) bool {
			s, l, rl, n := c["Reduce"], c["Local"], c["ReduceLocal"], c["ReduceSplit"]
			if l <= 0 || rl <= 0 || rl&(rl-1) != 0 || n < 1 || n > MaxReduceSplit || (n > 1 && !t.SplitK) {
				return false
			}
			fits := func(n int) bool { return t.MaxWorkgroup <= 0 || n <= t.MaxWorkgroup }
			group := func() bool { return fits(rl) && (t.SharedMemory <= 0 || rl*8 <= t.SharedMemory) }
			switch s {
			case int(ReduceAuto):
				return l == d.Local && rl == d.ReduceLocal && fits(l) && group()
			case int(ReduceSerial):
				return rl == d.ReduceLocal && n == d.ReduceSplit && fits(l)
			case int(ReduceGroup), int(ReduceColumns):
				return l == d.Local && group()
			}
			return false
		},
	}
}

// ReduceConfig returns the reduction knobs of o as a configuration of ReduceSpace (zero
// fields as their defaults).
func ReduceConfig(o Options) autotune.Config {
	o = o.withDefaults()
	return autotune.Config{"Reduce": int(o.Reduce), "Local": o.Local, "ReduceLocal": o.ReduceLocal, "ReduceSplit": o.ReduceSplit}
}

// WithReduce returns o with the reduction knobs set from c; knobs c does not set are kept.
func (o Options) WithReduce(c autotune.Config) Options {
	if v, ok := c["Reduce"]; ok {
		o.Reduce = ReduceStrategy(v)
	}
	if v, ok := c["Local"]; ok {
		o.Local = v
	}
	if v, ok := c["ReduceLocal"]; ok {
		o.ReduceLocal = v
	}
	if v, ok := c["ReduceSplit"]; ok {
		o.ReduceSplit = v
	}
	return o
}

// TensorContractSpaceVersion is part of the kernel signature of tuned tensor-core
// contractions, as ContractSpaceVersion is of the tiled ones.
const TensorContractSpaceVersion = "contract-tc/v5"

// TensorContractSpace returns the tuning space of the tensor-core Contract template on
// target t: the block TCBlockM × TCBlockN × TCBlockK, the warps TCWarpsM × TCWarpsN and the
// pipeline depth TCStages, on a target with WarpgroupMMA whether to use it (Warpgroup,
// 1 or 0; its configurations keep the default warps, which do not apply to them, and may
// have deeper pipelines) and on a target with TensorMaps whether the warpgroups' tiles come
// by tensor copies (TMA, 1 or 0), the order of the tiles RasterM, and on a target with
// SplitK, SplitK. The prior is the defaults of Options. A configuration is valid
// when its knobs pass the template's checks, the workgroup fits t.MaxWorkgroup, the stages
// fit t.SharedMemory and a thread's accumulators stay within the register budget.
func TensorContractSpace(t Target) autotune.Space {
	warpgroup, stages, tma := []int{1}, []int{2, 3, 4}, []int{1}
	if t.WarpgroupMMA {
		warpgroup, stages = []int{0, 1}, []int{2, 3, 4, 5, 6}
	}
	if t.WarpgroupMMA && t.TensorMaps {
		tma = []int{0, 1}
	}
	def := Options{}.withDefaults()
	return autotune.Space{
		Knobs: []autotune.Knob{
			{Name: "TCBlockM", Values: []int{64, 128, 256}},
			{Name: "TCBlockN", Values: []int{64, 128, 256}},
			{Name: "TCBlockK", Values: []int{16, 32, 64}},
			{Name: "TCWarpsM", Values: []int{1, 2, 4}},
			{Name: "TCWarpsN", Values: []int{1, 2, 4}},
			{Name: "TCStages", Values: stages},
			{Name: "Warpgroup", Values: warpgroup},
			{Name: "TMA", Values: tma},
			splitKnob(t),
			rasterKnob,
		},
		Prior: TensorContractConfig(Options{}),
		Valid: func(c autotune.Config) bool {
			o := Options{}.WithTensorContract(c).withDefaults()
			if tcCheck(o) != "" {
				return false
			}
			if !*o.TMA && !(t.WarpgroupMMA && *o.Warpgroup) {
				return false // the same kernel as with TMA = 1
			}
			if t.WarpgroupMMA && *o.Warpgroup {
				return o.TCWarpsM == def.TCWarpsM && o.TCWarpsN == def.TCWarpsN && wgCheck(o) == "" &&
					(t.MaxWorkgroup <= 0 || 2*o.TCBlockM <= t.MaxWorkgroup) && (t.SharedMemory <= 0 || wgShared(o) <= t.SharedMemory)
			}
			threads := o.TCWarpsM * o.TCWarpsN * 32
			return o.TCStages <= 4 && (t.MaxWorkgroup <= 0 || threads <= t.MaxWorkgroup) &&
				(t.SharedMemory <= 0 || tcShared(o) <= t.SharedMemory) && tcRegisters(o) <= maxTCRegisters
		},
	}
}

// TensorContractConfig returns the tensor-core knobs of o as a configuration of
// TensorContractSpace (zero fields as their defaults).
func TensorContractConfig(o Options) autotune.Config {
	o = o.withDefaults()
	b2i := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	return autotune.Config{"TCBlockM": o.TCBlockM, "TCBlockN": o.TCBlockN, "TCBlockK": o.TCBlockK,
		"TCWarpsM": o.TCWarpsM, "TCWarpsN": o.TCWarpsN, "TCStages": o.TCStages, "Warpgroup": b2i(*o.Warpgroup), "TMA": b2i(*o.TMA),
		"SplitK": o.SplitK, "RasterM": o.RasterM}
}

// WithTensorContract returns o with the tensor-core knobs set from c; knobs c does not set
// are kept.
func (o Options) WithTensorContract(c autotune.Config) Options {
	for name, p := range map[string]*int{"TCBlockM": &o.TCBlockM, "TCBlockN": &o.TCBlockN, "TCBlockK": &o.TCBlockK,
		"TCWarpsM": &o.TCWarpsM, "TCWarpsN": &o.TCWarpsN, "TCStages": &o.TCStages, "SplitK": &o.SplitK, "RasterM": &o.RasterM} {
		if v, ok := c[name]; ok {
			*p = v
		}
	}
	if v, ok := c["Warpgroup"]; ok {
		o.Warpgroup = new(v != 0)
	}
	if v, ok := c["TMA"]; ok {
		o.TMA = new(v != 0)
	}
	return o
}

// UsesTensorCores reports whether Lower, with options o on target t, gives kernel k to the
// tensor-core Contract template (so that a tuner searches TensorContractSpace for it).
func UsesTensorCores(k *graph.Kernel, t Target, o Options) bool {
	_, _, ok := tensorCoreLayouts(k, t, o)
	return ok
}

// ContractBlock returns the output block (bm × bn), the step along K, the threads and the
// bytes of shared memory of a workgroup of the tensor-core template for kernel k, a
// contraction, where Lower gives k to it with options o on target t, else of the tiled
// template.
func ContractBlock(k *graph.Kernel, t Target, o Options) (bm, bn, bk, threads, shared int) {
	_, wg, tc := tensorCoreLayouts(k, t, o)
	o = o.withDefaults()
	switch {
	case tc && wg:
		return o.TCBlockM, o.TCBlockN, o.TCBlockK, o.TCBlockM / 64 * 128, wgShared(o)
	case tc:
		return o.TCBlockM, o.TCBlockN, o.TCBlockK, o.TCWarpsM * o.TCWarpsN * 32, tcShared(o)
	}
	return o.BlockM, o.BlockN, o.BlockK, (o.BlockM / o.ThreadM) * (o.BlockN / o.ThreadN), tiledShared(o)
}

// UsesWarpgroupMMA reports whether Lower gives k to the warpgroup form of the tensor-core
// template (Target.WarpgroupMMA, Options.Warpgroup, operands in rows aligned to 8 bytes).
func UsesWarpgroupMMA(k *graph.Kernel, t Target, o Options) bool {
	_, wg, ok := tensorCoreLayouts(k, t, o)
	return ok && wg
}

// TensorCoreGathers reports whether the tensor-core template, used for k, reads an operand
// element by element through registers (not in rows aligned to 8 bytes): registers that its
// accumulators share.
func TensorCoreGathers(k *graph.Kernel, t Target, o Options) bool {
	l, _, ok := tensorCoreLayouts(k, t, o)
	return ok && (l[0].gathered() || l[1].gathered())
}

// tensorCoreLayouts returns the layouts of A and B when the tensor-core template lowers k,
// and whether in its warpgroup form.
func tensorCoreLayouts(k *graph.Kernel, t Target, o Options) ([2]tcLayout, bool, bool) {
	if k.Core == nil || k.Core.Op != graph.OpContract {
		return [2]tcLayout{}, false, false
	}
	b := &builder{k: k, t: t, o: o.withDefaults()}
	if b.t.MaxGroups <= 0 {
		b.t.MaxGroups = 65535
	}
	ct := b.contraction()
	if b.skinnyOK(ct) {
		return [2]tcLayout{}, false, false
	}
	la, lb, wg, ok := b.tensorCore(ct)
	return [2]tcLayout{la, lb}, wg, ok
}

package codegen

import (
	"fmt"

	"github.com/crossbar-compute/crossbar/backend/autotune"
)

// The tiled Contract template as a tuning space: the knobs of its tiles, with a validity
// predicate from the target's limits. A backend keys, measures and caches it; every backend
// that lowers through this package shares it.

// ContractSpaceVersion is part of the kernel signature of tuned contractions: it changes
// whenever the knobs, their grids or the template change, so that old entries are not reused.
const ContractSpaceVersion = "contract/v1"

// maxTileLoads bounds the rounds in which a workgroup copies one operand tile: the copy
// loop is unrolled, so a tile much larger than the workgroup makes a long shader.
const maxTileLoads = 16

// ContractSpace returns the tuning space of the tiled Contract template on target t: block
// sizes BlockM, BlockN, BlockK, thread tiles ThreadM, ThreadN and the vector width Vec. The
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
		},
		Prior: ContractConfig(d),
		Valid: func(c autotune.Config) bool {
			bm, bn, bk, tm, tn, vec := c["BlockM"], c["BlockN"], c["BlockK"], c["ThreadM"], c["ThreadN"], c["Vec"]
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
			if t.SharedMemory > 0 && (bm+bn)*bk*8 > t.SharedMemory {
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
	return autotune.Config{"BlockM": o.BlockM, "BlockN": o.BlockN, "BlockK": o.BlockK,
		"ThreadM": o.ThreadM, "ThreadN": o.ThreadN, "Vec": o.Vec}
}

// WithContract returns o with the tile knobs set from c; knobs c does not set are kept.
func (o Options) WithContract(c autotune.Config) Options {
	for name, p := range map[string]*int{"BlockM": &o.BlockM, "BlockN": &o.BlockN, "BlockK": &o.BlockK,
		"ThreadM": &o.ThreadM, "ThreadN": &o.ThreadN, "Vec": &o.Vec} {
		if v, ok := c[name]; ok {
			*p = v
		}
	}
	return o
}

// String describes every knob, defaults filled in, in a fixed order: two Options make the
// same code exactly when their strings are equal, so it can key a cache of compiled
// programs.
func (o Options) String() string {
	o = o.withDefaults()
	return fmt.Sprintf("local=%d,reduce=%v,reducelocal=%d,groupmin=%d,groupmax=%d,tiled=%v,block=%dx%dx%d,thread=%dx%d,vec=%d,tiledmin=%d",
		o.Local, o.Reduce, o.ReduceLocal, o.GroupMin, o.GroupMaxOutputs, *o.Tiled, o.BlockM, o.BlockN, o.BlockK,
		o.ThreadM, o.ThreadN, o.Vec, o.TiledMin)
}

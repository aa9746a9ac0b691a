package backend_cuda

import (
	"math"
	"slices"

	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/graph"
)

// optionsFor returns the options to compile k with on a device of architecture a, from
// the device's options o: the tiles of a contraction by the size of the product, where o
// leaves them to the defaults.
//
// On CUDA cores (float32, float64, the integers) a product with at least a wave of 128 ×
// 128 blocks (one per SM) takes the tiles of the classic SIMT GEMM: 128 × 128 blocks of
// 8 × 8 per thread along steps of 8, so that each thread loads 16 values from shared
// memory for 64 multiply-adds. The 8 × 8 are spread in 4 × 4 pieces (Options.Spread): a
// thread's rows 0-3 and 64-67 of the block, say, so that its loads are four 16-byte
// vectors, and those of a warp's threads adjacent. With 8 adjacent columns a thread, the
// vectors of a quarter-warp would be 32 bytes apart and meet in the same banks: two
// cycles a load instead of one, which would make shared memory and not the multiply-adds
// the limit. On tensor cores such a product takes 128 × 256 blocks of
// eight 64 × 64 warp tiles, which halves the loads of A per multiply-add, where the device
// allows their 72 KiB of shared memory and no operand is gathered (its staging registers
// would join a thread's 128 accumulators); one with less than a wave of the default 128 × 128
// blocks takes 64 × 64 blocks of four warps. Smaller products keep the default 64 × 64
// (CUDA cores) blocks, so that more SMs get work. Products on CUDA cores read the next
// step's tiles while they multiply (two buffers), as GPUs hide the latency of memory only
// with work in flight.
//
// With warpgroup MMAs (sm_90a), the tiles are 64 deep along K: 128 × 256 for a wave, in
// four stages (193 KiB of shared memory, one block an SM); else 128 × 128 in three (97
// KiB, two blocks an SM); below a wave of those, 64 × 128, or 64 × 64 for at most 64
// columns. A product that the warpgroup template does not take (an operand not in rows
// aligned to 8 bytes) gets the mma.sync tiles.
//
// A Float16 or BFloat16 product of few outputs over a long K (512 × 8 × 500000) goes to
// the tensor-core template in blocks of 64 rows, with K split (skinnyTensorCore), not to
// codegen's skinny template.
//
// A product of at least two waves of tiles takes them in bands of 8 rows of tiles
// (Options.RasterM), for the L2 cache.
//
// An elementwise kernel of at least 8 × 2048 elements an SM computes 8 elements a thread,
// one of at least 4 × 2048 4.
//
// A reduction over the last axis (rows: a softmax's sums, a norm's) gives each output a
// workgroup however many outputs there are (codegen caps that at 4096 outputs by
// default, past which one thread folds each row): a warp's loads then read neighbouring
// elements of one row, where one thread a row would have each load of a warp touch 32
// rows. (Reductions over columns, a bias's gradient, take codegen's column strategy, whose
// warps read a row of 32 neighbouring outputs at a time.) With fewer workgroups than fill
// the device, several share each output, or each tile of columns (Options.ReduceSplit,
// see reduceSplitFor).
//
// A product with fewer tiles than a wave, and K long enough, splits K among the
// workgroups of each tile (Options.SplitK, see splitFor), where o leaves SplitK to the
// default; so does one whose workgroups of fewer than 8 warps are about one an SM, and one
// whose workgroups come to fewer than two an SM, where one SM running one more than the
// others would take the time of it.
//
// These choices follow the usual practice on Nvidia GPUs; they have not been timed on one
// here yet. They are the priors that tuning (go run ./bench -tune) starts from and checks
// its winners against.
func optionsFor(k *graph.Kernel, a Arch, o codegen.Options) codegen.Options {
	if k.Core == nil {
		// An elementwise kernel that fills every SM's 2048 threads eight (four) times over
		// computes 8 (4) elements a thread: streaming memory needs more loads in flight
		// than a thread with one element has. An H200 keeps about 4.8 TB/s × 0.7 µs = 3.4
		// MB in flight, 25 KiB an SM: 2048 threads of 8 float32 loads are 64 KiB, of 4
		// loads 32 KiB.
		for _, e := range []int{8, 4} {
			if o.Elems == 0 && k.Out.Numel() >= e*2048*max(a.SMs, 1) {
				o.Elems = e
			}
		}
		return o
	}
	o2, stream := skinnyTensorCore(k, a.Target(), o)
	if !stream {
		o2 = tilesFor(k, a, o)
	}
	c := k.Core
	if c != nil && c.Op.IsReduce() {
		if last := len(c.InShape) - 1; o.GroupMaxOutputs == 0 && last >= 0 && c.InShape[last] > 1 && slices.Contains(c.Axes, last) {
			o2.GroupMaxOutputs = math.MaxInt32
		}
		if o.ReduceSplit == 0 {
			o2.ReduceSplit = reduceSplitFor(k, a, o2)
		}
	}
	if c == nil || c.Op != graph.OpContract || len(c.Shape) < 2 {
		return o2
	}
	sms := max(a.SMs, 1)
	split := o.SplitK == 0
	switch c.DType {
	case graph.Float32, graph.Float16, graph.BFloat16: // float32 accumulators: codegen splits these only
	default:
		split = false
	}
	if groups, steps, ok := codegen.SkinnyShape(k, a.Target(), o2); ok {
		if s := splitFor(groups, steps, sms, 1); split && s > 1 {
			o2.SplitK = s
		}
		return o2
	}
	bm, bn, bk, threads, shared := codegen.ContractBlock(k, a.Target(), o2)
	r := len(c.Shape)
	m, n, kk := c.Shape[r-2], c.Shape[r-1], c.Src[0].View.Shape[r-1]
	grid := ((m + bm - 1) / bm) * ((n + bn - 1) / bn) // tiles of a batch
	if o.RasterM == 0 && grid >= rasterWaves*sms {
		o2.RasterM = rasterRows
	}
	tiles, steps, perSM := graph.NumElements(c.Shape[:r-2])*grid, (kk+bk-1)/bk, residentFor(threads/32, shared, a)
	s := splitFor(tiles, steps, sms, perSM)
	if stream {
		s = streamSplit(tiles, steps, sms*perSM)
	}
	if split && s > 1 {
		o2.SplitK = s
	}
	return o2
}

// reduceSplitFor is how many workgroups share each output of reduction k (codegen's
// ReduceSplit, which applies to the group and column strategies): enough to give every SM
// its 2048 threads when the workgroups are fewer, each thread folding at least 16
// elements; 0 (none) otherwise. One workgroup of 128 threads summing a whole tensor keeps
// a few KiB of loads in flight, where an H200's bandwidth takes megabytes (see the
// elementwise kernels above).
func reduceSplitFor(k *graph.Kernel, a Arch, o codegen.Options) int {
	s, groups, local, folders := codegen.ReduceLaunch(k, a.Target(), o)
	if s == codegen.ReduceSerial || groups == 0 {
		return 0
	}
	c := k.Core
	group := graph.NumElements(c.InShape) / graph.NumElements(c.Shape)
	fill := max(a.SMs, 1) * 2048 / local // workgroups that fill the device once
	n := min((fill+groups-1)/groups, group/(16*folders), codegen.MaxReduceSplit)
	if n <= 1 {
		return 0
	}
	return n
}

// streamSplit is the split of K for a product that skinnyTensorCore gave to tensor cores:
// the largest that runs at once (slots workgroups), so that every SM streams A with as
// many copies in flight as it holds workgroups: 8 tiles of 64 × 16 over K = 500000 split
// 32 ways, two workgroups of 30 KiB in flight on each of 132 SMs.
func streamSplit(tiles, steps, slots int) int {
	best := 1
	for _, s := range codegen.SplitKs {
		if s*minShareSteps > steps || tiles*s > slots {
			break
		}
		best = s
	}
	return best
}

// residentWarps is the warps a product gives each SM to hide its latencies with, where
// its tiles allow (splitFor): with 4 warps, one a scheduler, a scheduler has no other
// warp to issue while one waits for memory or for its MMAs.
const residentWarps = 8

// residentFor is how many workgroups of warps warps and shared bytes of shared memory an
// SM of a is given to reach residentWarps, as far as its shared memory allows: the SM's,
// less what the driver reserves for each workgroup.
func residentFor(warps, shared int, a Arch) int {
	n := max(1, residentWarps/max(warps, 1))
	perSM := a.SharedPerSM
	if perSM <= 0 {
		perSM = a.SharedOptIn
	}
	if perSM > 0 && shared > 0 {
		n = min(n, max(1, perSM/(shared+a.SharedReserved)))
	}
	return n
}

// A product of at least rasterWaves waves of tiles a batch takes them in bands of
// rasterRows rows of tiles (Options.RasterM): the tiles of a wave then read fewer, shorter
// panels of the operands (8192³ in 128 × 256 tiles on 132 SMs: 84 MiB a wave instead of
// 138), so that more of them come from the L2 cache. Below two waves most of the tiles
// run at once either way.
const (
	rasterWaves = 2
	rasterRows  = 8
)

// minShareSteps is the fewest steps along K that splitFor gives a share: fewer would be
// all prologue and epilogue.
const minShareSteps = 4

// quantShareSteps is the fewest steps along K of a share that splitFor makes to even out
// the SMs' work when every SM has a workgroup already.
const quantShareSteps = 16

// splitFor returns the SplitK (one of codegen.SplitKs) for a product of tiles output tiles
// and steps steps along K on a device of sms SMs, each of which runs perSM of its
// workgroups at once (residentFor).
//
// Fewer tiles than SMs: the split with the least time, counted as waves of workgroups
// (one an SM) times the share of K each takes, a larger split only when it saves a
// tenth. 28 tiles of 28 steps on 132 SMs split 4 ways, into 112 workgroups of 7 steps.
//
// Tiles enough for every SM but fewer than its perSM: the fewest shares that give the SMs
// about perSM workgroups each, so that a workgroup waiting for memory leaves others to
// run. 133 tiles of four warps (35 × 8457 × 2048 on tensor cores) split 2 ways on 132
// SMs.
//
// Where that leaves fewer than two workgroups an SM, some SMs run one more than the
// others, which can double the time: 133 tiles of eight warps (35 × 8457 × 2048 in
// float32) would run two on one SM. Then the split with the least time as above, with
// shares of at least quantShareSteps steps: 6 ways, 7 shares on the busiest SM (1.17
// tiles' worth) against 2 tiles.
func splitFor(tiles, steps, sms, perSM int) int {
	if tiles <= 0 || sms <= 0 {
		return 1
	}
	if tiles >= sms {
		fill := 1
		if tiles < sms*perSM {
			for _, s := range codegen.SplitKs {
				if s*minShareSteps > steps {
					break
				}
				if 10*tiles*s >= 9*sms*perSM {
					fill = s
					break
				}
			}
		}
		if tiles*fill >= 2*sms {
			return fill
		}
		// Fewer than two workgroups an SM: the SMs that run one more than the others take
		// the time of it (133 tiles on 132 SMs: one SM runs two). Shares of K spread the
		// work; long shares, so that their partial tiles cost little beside them.
		best, cost := fill, float64((tiles*fill+sms-1)/sms)/float64(fill)
		for _, s := range codegen.SplitKs {
			if s <= fill {
				continue
			}
			if s*quantShareSteps > steps {
				break
			}
			if c := float64((tiles*s+sms-1)/sms) / float64(s); c < 0.9*cost {
				best, cost = s, c
			}
		}
		return best
	}
	best, cost := 1, 1.0
	for _, s := range codegen.SplitKs {
		if s*minShareSteps > steps {
			break
		}
		if c := float64((tiles*s+sms-1)/sms) / float64(s); c < 0.9*cost {
			best, cost = s, c
		}
	}
	return best
}

// skinnyTensorCore gives a product of few outputs over a long K (codegen's skinny
// template) in Float16 or BFloat16, of n columns, to the warp-level tensor-core template
// instead, where o leaves the template and the tiles to the defaults: blocks of 64 rows by
// 16 to 64 columns, four warps of 16 rows, 64 deep along K in 4 stages (40 KiB of shared
// memory for 16 columns), and a split of K (streamSplit) for enough workgroups. A workgroup
// then streams its rows of A through asynchronous copies, 10 KiB a step in flight three
// steps ahead, and multiplies on tensor cores, where the skinny template converts and
// multiplies every value on CUDA cores and reads all of B for every 4 rows of A.
func skinnyTensorCore(k *graph.Kernel, t codegen.Target, o codegen.Options) (codegen.Options, bool) {
	if k.Core == nil || len(k.Core.Shape) < 2 || o.Skinny != nil || o.TensorCore != nil || o.Warpgroup != nil || o.TCBlockM != 0 || o.TCBlockN != 0 ||
		o.TCBlockK != 0 || o.TCWarpsM != 0 || o.TCWarpsN != 0 || o.TCStages != 0 || !t.TensorCores {
		return o, false
	}
	if _, _, ok := codegen.SkinnyShape(k, t, o); !ok {
		return o, false
	}
	n := k.Core.Shape[len(k.Core.Shape)-1]
	alt := o
	alt.Skinny, alt.Warpgroup = new(false), new(false)
	alt.TCBlockM, alt.TCWarpsM, alt.TCWarpsN, alt.TCBlockK, alt.TCStages = 64, 4, 1, 64, 4
	switch {
	case n <= 16:
		alt.TCBlockN = 16
	case n <= 32:
		alt.TCBlockN = 32
	default:
		alt.TCBlockN = 64
	}
	if !codegen.UsesTensorCores(k, t, alt) {
		return o, false
	}
	return alt, true
}

// tilesFor is optionsFor without the split of K, for a product that skinnyTensorCore
// leaves.
func tilesFor(k *graph.Kernel, a Arch, o codegen.Options) codegen.Options {
	c := k.Core
	if c == nil || c.Op != graph.OpContract || len(c.Shape) < 2 {
		return o
	}
	r := len(c.Shape)
	m, n := c.Shape[r-2], c.Shape[r-1]
	blocks := func(bm, bn int) int {
		return graph.NumElements(c.Shape[:r-2]) * ((m + bm - 1) / bm) * ((n + bn - 1) / bn)
	}
	wave := max(a.SMs, 1)
	t := a.Target()
	if codegen.UsesTensorCores(k, t, o) {
		if o.TCBlockM != 0 || o.TCBlockN != 0 || o.TCWarpsM != 0 || o.TCWarpsN != 0 {
			return o
		}
		alt := o
		if t.WarpgroupMMA {
			// Warpgroup MMAs read both operands from shared memory, so a block's tiles go
			// deeper along K (64) and further ahead.
			alt.TCBlockK = 64
			switch {
			case blocks(128, 256) >= wave:
				alt.TCBlockM, alt.TCBlockN, alt.TCStages = 128, 256, 4
			case blocks(128, 128) >= wave:
				alt.TCBlockM, alt.TCBlockN, alt.TCStages = 128, 128, 3
			case n <= 64:
				// The narrowest warpgroup MMA: fewer columns of zeros (1760 × 16 × 1760).
				alt.TCBlockM, alt.TCBlockN, alt.TCStages = 64, 64, 3
			default:
				alt.TCBlockM, alt.TCBlockN, alt.TCStages = 64, 128, 3
			}
			if codegen.UsesWarpgroupMMA(k, t, alt) {
				return alt
			}
			alt = o
		}
		switch {
		case blocks(128, 256) >= wave && !codegen.TensorCoreGathers(k, t, o):
			alt.TCBlockM, alt.TCBlockN = 128, 256
		case blocks(128, 128) < wave:
			alt.TCBlockM, alt.TCBlockN, alt.TCWarpsM, alt.TCWarpsN = 64, 64, 2, 2
		default:
			return o
		}
		if codegen.UsesTensorCores(k, t, alt) {
			return alt
		}
		return o
	}
	if o.Buffers == 0 {
		o.Buffers = 2
	}
	if o.BlockM != 0 || o.BlockN != 0 || blocks(128, 128) < wave {
		return o
	}
	// Knobs o sets are kept.
	for _, f := range []struct {
		p *int
		v int
	}{{&o.BlockM, 128}, {&o.BlockN, 128}, {&o.BlockK, 8}, {&o.ThreadM, 8}, {&o.ThreadN, 8}} {
		if *f.p == 0 {
			*f.p = f.v
		}
	}
	o.Spread = true
	return o
}

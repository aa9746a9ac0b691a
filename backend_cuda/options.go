package backend_cuda

import (
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
// allows their 72 KiB of shared memory; one with less than a wave of the default 128 × 128
// blocks takes 64 × 64 blocks of four warps. Smaller products keep the default 64 × 64
// (CUDA cores) blocks, so that more SMs get work. Products on CUDA cores read the next
// step's tiles while they multiply (two buffers), as GPUs hide the latency of memory only
// with work in flight.
//
// With warpgroup MMAs (sm_90a), the tiles are 64 deep along K: 128 × 256 for a wave, in
// four stages (193 KiB of shared memory, one block an SM); else 128 × 128 in three (97
// KiB, two blocks an SM); below a wave of those, 64 × 128.
//
// These choices follow the usual practice on Nvidia GPUs; they have not been timed on one
// here yet. They are the priors that tuning (go run ./bench -tune) starts from and checks
// its winners against.
func optionsFor(k *graph.Kernel, a Arch, o codegen.Options) codegen.Options {
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
			default:
				alt.TCBlockM, alt.TCBlockN, alt.TCStages = 64, 128, 3
			}
			if codegen.UsesTensorCores(k, t, alt) {
				return alt
			}
			alt = o
		}
		switch {
		case blocks(128, 256) >= wave:
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
	o.BlockM, o.BlockN, o.BlockK, o.ThreadM, o.ThreadN, o.Spread = 128, 128, 8, 8, 8, true
	return o
}

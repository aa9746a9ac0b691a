package backend_cuda

import (
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/graph"
)

// optionsFor returns the options to compile k with on a device of architecture a, from
// the device's options o. Contractions on CUDA cores (float32, float64 and the integers)
// take the tiles of the classic SIMT GEMM, 128 × 128 blocks of 8 × 8 per thread along
// steps of 8, when the product has at least a wave of such blocks (one per SM): each
// thread then loads 16 values from shared memory for 64 multiply-adds. Smaller products
// keep the default 64 × 64 blocks, so that more SMs get work. Tensor-core products have
// their own tiles.
func optionsFor(k *graph.Kernel, a Arch, o codegen.Options) codegen.Options {
	c := k.Core
	if c == nil || c.Op != graph.OpContract || len(c.Shape) < 2 || o.BlockM != 0 || o.BlockN != 0 {
		return o
	}
	if codegen.UsesTensorCores(k, a.Target(), o) {
		return o
	}
	r := len(c.Shape)
	m, n := c.Shape[r-2], c.Shape[r-1]
	blocks := graph.NumElements(c.Shape[:r-2]) * ((m + 127) / 128) * ((n + 127) / 128)
	if blocks < max(a.SMs, 1) {
		return o
	}
	o.BlockM, o.BlockN, o.BlockK, o.ThreadM, o.ThreadN = 128, 128, 8, 8, 8
	return o
}

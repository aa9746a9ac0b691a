package backend_cuda

import (
	"fmt"

	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/backend/codegen/kerneltune"
	"github.com/crossbar-compute/crossbar/graph"
)

// Tuned knobs on CUDA (package kerneltune): the tiles of the SIMT and of the tensor-core
// Contract templates, the workgroup size of elementwise kernels and the strategy,
// workgroup sizes and split (how many workgroups share each output) of reductions, keyed
// by the device's name and compute capability and the versions of the driver and of NVRTC.
// The prior of each search, and the knobs of a kernel the cache has nothing for, are those
// of optionsFor, so that a cached entry that names codegen's defaults for a large product
// is a variant of its own and not mistaken for the heuristic's choice.

// KernelTuning is the tuning problem of one scheduled kernel on the device (see
// kerneltune.KernelTuning); NewKernelTuning wraps kerneltune.ErrNoKnobs for a kernel
// without tuned knobs.
type KernelTuning = kerneltune.KernelTuning

// MatMulTuning is the tuning problem of one m×n×k product of row-major matrices on the
// device; NewMatMulTuning wraps kerneltune.ErrNotTiled for a product too small for tiles.
type MatMulTuning = kerneltune.MatMulTuning

// newSite returns the device as the tuner sees it.
func (d *Device) newSite() *kerneltune.Site {
	fp := autotune.Fingerprint{
		Model:    fmt.Sprintf("%s sm_%d", d.name, d.arch.CC),
		Driver:   "CUDA " + d.drv.Version(),
		Compiler: "NVRTC " + d.nv.Version(),
	}
	return kerneltune.NewSite("cuda", d, fp, d.target,
		func(k *graph.Kernel) codegen.Options { return optionsFor(k, d.arch, d.opts) })
}

// ProgramVariant implements backend.VariantDevice: the options Compile would use for k,
// when they are not optionsFor's.
func (d *Device) ProgramVariant(k *graph.Kernel) string { return d.tuning.Variant(k) }

// NewKernelTuning returns the tuning problem of k, a contraction, an elementwise kernel or
// a reduction, measured with the device's events.
func (d *Device) NewKernelTuning(k *graph.Kernel) (*KernelTuning, error) {
	return d.tuning.NewKernelTuning(k)
}

// NewMatMulTuning returns the tuning problem of an m×n×k product of dtype dt: Float32 or
// Float64 on CUDA cores, Float16 or BFloat16 on tensor cores (sm_80 and later).
func (d *Device) NewMatMulTuning(dt graph.DType, m, n, k int) (*MatMulTuning, error) {
	return d.tuning.NewMatMulTuning(dt, m, n, k)
}

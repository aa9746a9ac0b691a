package backend_gl

import (
	"fmt"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/backend/codegen/kerneltune"
	"github.com/crossbar-compute/crossbar/graph"
)

// The knobs of codegen's templates are tuned on GL as on every device that compiles
// through codegen (package kerneltune): the tiles of the tiled Contract template for one
// shape bucket and dtype, the workgroup size of elementwise kernels by bucketed element
// count, and the strategy and workgroup sizes of reductions by bucketed output count and
// group length, each on this driver. Compile looks the knobs of a kernel up in the tuning
// cache, once per family, dtype and shape in a process; the program cache tells the
// variants apart (ProgramVariant). Searching is done ahead of time (go run ./bench -tune on
// a gl device, KernelTuning.Tune or MatMulTuning.Tune).

// ErrNotTiled is wrapped by NewMatMulTuning for a product too small for the tiled
// template, which then runs one thread per output whatever the tiles.
var ErrNotTiled = kerneltune.ErrNotTiled

// ErrNoKnobs is wrapped by NewKernelTuning for a kernel no family tunes (a gather, or an
// empty output).
var ErrNoKnobs = kerneltune.ErrNoKnobs

// A KernelTuning is the tuning problem of one scheduled kernel on the device (see
// kerneltune.KernelTuning).
type KernelTuning = kerneltune.KernelTuning

// A MatMulTuning is the tuning problem of one m×n×k product of row-major matrices on the
// device: the KernelTuning of its contraction kernel.
type MatMulTuning = kerneltune.MatMulTuning

// newSite returns the device as the tuner sees it: kernels keyed by the driver's
// description, compiled with the device's options when nothing is tuned.
func (d *Device) newSite() *kerneltune.Site {
	s := kerneltune.NewSite("gl", d, autotune.Fingerprint{Model: d.info}, d.target,
		func(*graph.Kernel) codegen.Options { return d.opts })
	s.Check = d.fitsStorage
	return s
}

// fitsStorage rejects a kernel with a buffer larger than the device's storage blocks: it
// runs on the CPU.
func (d *Device) fitsStorage(k *graph.Kernel) error {
	for _, nd := range append([]*graph.Node{k.Out}, k.Inputs...) {
		if storageBytes(nd.DType, nd.Numel()) > d.maxBlock {
			return fmt.Errorf("buffer of %d x %v exceeds the device's %d-byte storage blocks: %w",
				nd.Numel(), nd.DType, d.maxBlock, backend.ErrUnsupported)
		}
	}
	return nil
}

// optionsFor returns the options to compile k with: the device's, with the knobs of the
// tuning cache for a kernel whose family, dtype and shape have an entry.
func (d *Device) optionsFor(k *graph.Kernel) codegen.Options { return d.tuning.Options(k) }

// resetTuning forgets the mode, the cache and every answer; the next lookup reads the
// environment again.
func resetTuning() { kerneltune.Reset() }

// NewKernelTuning returns the tuning problem of k, a contraction, an elementwise kernel or a
// reduction; a kernel of another kind, or with an empty output, is an error wrapping
// ErrNoKnobs, and one with a buffer larger than the device's storage blocks (which runs on
// the CPU) an error wrapping backend.ErrUnsupported.
func (d *Device) NewKernelTuning(k *graph.Kernel) (*KernelTuning, error) {
	return d.tuning.NewKernelTuning(k)
}

// NewMatMulTuning returns the tuning problem of an m×n×k product of dtype dt (Float32 or
// Float64). A product too small for the tiled template is an error wrapping ErrNotTiled.
func (d *Device) NewMatMulTuning(dt graph.DType, m, n, k int) (*MatMulTuning, error) {
	return d.tuning.NewMatMulTuning(dt, m, n, k)
}

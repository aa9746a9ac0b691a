// Package kerneltune ties the tuning spaces of codegen's templates to the autotuner for
// every device that compiles through codegen (GL, CUDA): which family tunes a kernel, its
// tuning key on a device, the knobs a device compiles it with (the tuning cache looked up
// once per family, dtype, shape and device in a process), and the measurement of
// candidates by the device's timer.
//
// A device describes itself once as a Site and asks it for the options of each kernel:
//
//	site := kerneltune.NewSite("gl", dev, fingerprint, target, func(*graph.Kernel) codegen.Options { return opts })
//	o := site.Options(k)       // in Compile
//	v := site.Variant(k)       // in ProgramVariant
//	g, err := site.NewKernelTuning(k) // ahead of time: g.Tune(ctx, tuner)
//
// CROSSBAR_TUNE=off compiles every kernel with its base options; cached and on take a
// cached entry. Searching is done ahead of time (go run ./bench -tune, KernelTuning.Tune,
// MatMulTuning.Tune), never inside Compile: a search there would hold up its realization,
// and every other waiting for the same program, for seconds.
package kerneltune

import (
	"errors"

	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/graph"
)

// ErrNotTiled is wrapped by NewMatMulTuning for a product too small for the tiled
// template, which then runs one thread per output whatever the tiles.
var ErrNotTiled = errors.New("too small for tiles")

// ErrNoKnobs is wrapped by NewKernelTuning for a kernel no family tunes (a gather, or an
// empty output).
var ErrNoKnobs = errors.New("no tuned knobs")

// A Family is one template's tuning problem: its kernel signature (the backend's name and
// the version of the space), its space on a target, and the translation between a
// configuration and options.
type Family struct {
	Name   string
	Space  func(codegen.Target) autotune.Space
	Config func(codegen.Options) autotune.Config
	With   func(codegen.Options, autotune.Config) codegen.Options
}

// families are the families of one backend, one per template of codegen with knobs.
type families struct {
	contract, tensorContract, elementwise, reduce *Family
	// reduceColumns tunes the reductions whose neighbouring outputs read neighbouring
	// elements (codegen.ReduceColumnar): the knobs of reduce, but not the best of them
	// for a reduction over rows of the same size.
	reduceColumns *Family
}

func newFamilies(backend string) families {
	p := backend + "."
	return families{
		contract: &Family{p + codegen.ContractSpaceVersion, codegen.ContractSpace, codegen.ContractConfig,
			codegen.Options.WithContract},
		tensorContract: &Family{p + codegen.TensorContractSpaceVersion, codegen.TensorContractSpace,
			codegen.TensorContractConfig, codegen.Options.WithTensorContract},
		elementwise: &Family{p + codegen.ElementwiseSpaceVersion, codegen.ElementwiseSpace, codegen.ElementwiseConfig,
			codegen.Options.WithElementwise},
		reduce: &Family{p + codegen.ReduceSpaceVersion, codegen.ReduceSpace, codegen.ReduceConfig,
			codegen.Options.WithReduce},
		reduceColumns: &Family{p + codegen.ReduceSpaceVersion + "/columns", codegen.ReduceSpace, codegen.ReduceConfig,
			codegen.Options.WithReduce},
	}
}

// A Problem is the tuning problem of one kernel: its family, its dtype and the dimensions
// its key buckets.
type Problem struct {
	Family *Family
	DType  graph.DType
	Dims   []int
}

// Key returns the problem's key on the device of fingerprint fp.
func (p Problem) Key(fp autotune.Fingerprint) (autotune.Key, error) {
	b, err := autotune.Bucket(p.Dims)
	if err != nil {
		return autotune.Key{}, err
	}
	return autotune.Key{Kernel: p.Family.Name, Shape: b, DType: p.DType.String(), Device: fp}, nil
}

// Space returns the family's space on target t with the knobs of base as its prior: a
// device whose base options are a heuristic choice of its own (CUDA's tiles for large
// products) measures that choice first and falls back to it, and a cached configuration
// equal to it is no variant.
func (p Problem) Space(t codegen.Target, base codegen.Options) autotune.Space {
	sp := p.Family.Space(t)
	sp.Prior = p.Family.Config(base)
	return sp
}

// contractShape returns the dtype, m, n and k of a contraction kernel.
func contractShape(k *graph.Kernel) (dt graph.DType, m, n, kk int, ok bool) {
	c := k.Core
	if c == nil || c.Op != graph.OpContract || len(c.Shape) < 2 || len(c.Src) != 2 {
		return 0, 0, 0, 0, false
	}
	r := len(c.Shape)
	return c.DType, c.Shape[r-2], c.Shape[r-1], c.Src[0].View.Shape[r-1], true
}

// problemOf returns the problem of k compiled with options base on target t: m, n and k
// of a contraction (on tensor cores a family of its own), the element count of an
// elementwise kernel, the output count and group length of a reduction (over columns a
// family of its own). ok is false for a kernel no family tunes.
func (fs *families) problemOf(k *graph.Kernel, t codegen.Target, base codegen.Options) (p Problem, ok bool) {
	if k == nil || k.Out == nil {
		return Problem{}, false
	}
	c := k.Core
	switch {
	case c == nil:
		if n := k.Out.Numel(); n > 0 {
			return Problem{fs.elementwise, k.Out.DType, []int{n}}, true
		}
	case c.Op == graph.OpContract:
		if dt, m, n, kk, ok := contractShape(k); ok && m > 0 && n > 0 && kk > 0 {
			f := fs.contract
			if t.TensorCores && codegen.UsesTensorCores(k, t, base) {
				f = fs.tensorContract
			}
			return Problem{f, dt, []int{m, n, kk}}, true
		}
	case c.Op.IsReduce():
		outs, in := graph.NumElements(c.Shape), graph.NumElements(c.InShape)
		if outs > 0 && in > 0 {
			f := fs.reduce
			if codegen.ReduceColumnar(k) {
				f = fs.reduceColumns
			}
			return Problem{f, c.DType, []int{outs, in / outs}}, true
		}
	}
	return Problem{}, false
}

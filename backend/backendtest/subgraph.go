package backendtest

import (
	"fmt"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
)

// KernelByKernel is a subgraph (backend.SubgraphDevice) compiled as the programs of its
// kernels on a kernel-level device and launched one after another: the reference that
// tests of graph-level dispatch run a subgraph with. It keeps where each kernel's inputs
// come from by position only, as the executor reuses a subgraph's program for every
// subgraph of the same structure.
type KernelByKernel struct {
	Programs []backend.Program
	outDT    []graph.DType
	outLen   []int
	reads    [][]int // per kernel input: j >= 0 the j-th external input, -1-i kernel i's result
	outs     []int   // the kernel computing each output
}

// CompileKernelByKernel compiles kernels (a run in schedule order, whose results outs
// are read after it) on dev. Its external inputs are backend.SubgraphInputs(kernels).
func CompileKernelByKernel(dev backend.Device, kernels []*graph.Kernel, outs []*graph.Node) (*KernelByKernel, error) {
	p := &KernelByKernel{}
	pos := map[*graph.Node]int{}
	ext := map[*graph.Node]int{}
	for i, k := range kernels {
		kp, err := dev.Compile(k)
		if err != nil {
			return nil, err
		}
		var reads []int
		for _, in := range k.Inputs {
			if j, ok := pos[in]; ok {
				reads = append(reads, -1-j)
				continue
			}
			if _, ok := ext[in]; !ok {
				ext[in] = len(ext)
			}
			reads = append(reads, ext[in])
		}
		pos[k.Out] = i
		p.Programs = append(p.Programs, kp)
		p.outDT = append(p.outDT, k.Out.DType)
		p.outLen = append(p.outLen, k.Out.Numel())
		p.reads = append(p.reads, reads)
	}
	for _, o := range outs {
		i, ok := pos[o]
		if !ok {
			return nil, fmt.Errorf("%s: output %v%v is not computed by the subgraph: %w", dev.Name(), o.DType, o.Shape, backend.ErrCompile)
		}
		p.outs = append(p.outs, i)
	}
	if got := backend.SubgraphInputs(kernels); len(got) != len(ext) {
		return nil, fmt.Errorf("%s: %d subgraph inputs, %d read: %w", dev.Name(), len(got), len(ext), backend.ErrCompile)
	}
	return p, nil
}

// Launch runs the kernels on dev, reading inputs (in the order of SubgraphInputs) and
// writing outs (in the order of the outputs); the results of other kernels live in
// buffers of their own until it returns.
func (p *KernelByKernel) Launch(dev backend.Device, outs, inputs []backend.Buffer) error {
	if len(outs) != len(p.outs) {
		return fmt.Errorf("%s: %d output buffers for %d outputs: %w", dev.Name(), len(outs), len(p.outs), backend.ErrLaunch)
	}
	results := make([]backend.Buffer, len(p.Programs))
	for i, k := range p.outs {
		results[k] = outs[i]
	}
	for i := range p.Programs {
		if results[i] == nil {
			b, err := dev.Alloc(p.outDT[i], p.outLen[i])
			if err != nil {
				return err
			}
			defer dev.Free(b)
			results[i] = b
		}
		var ins []backend.Buffer
		for _, r := range p.reads[i] {
			if r >= 0 {
				ins = append(ins, inputs[r])
			} else {
				ins = append(ins, results[-1-r])
			}
		}
		if p.outLen[i] > 0 {
			if err := dev.Launch(p.Programs[i], results[i], ins); err != nil {
				return err
			}
		}
	}
	return nil
}

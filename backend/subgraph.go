package backend

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/crossbar-compute/crossbar/graph"
)

// A SubgraphDevice is a graph-level device (Capabilities.GraphLevel) that compiles a run of
// scheduled kernels as one program, the way XLA compiles a module: the kernels of the run
// read each other's results inside the program, and only the results read after the run
// (by later kernels or by the caller) are written to buffers. The executor gives such a
// device the longest runs of consecutive kernels it accepts; a kernel it rejects runs on the
// CPU and splits the run.
//
// A subgraph program is cached like a kernel program, by structure: the kernels' keys in
// order, which earlier kernel or which external input each kernel reads, and which results
// are outputs. CompileSubgraph must therefore depend on nothing else (not on the nodes'
// identity or data), since its program is reused for every subgraph of the same structure.
type SubgraphDevice interface {
	Device
	// CheckKernel reports whether k can be part of a subgraph; an error wraps ErrUnsupported
	// and says why. It is asked once per kernel structure (the verdict is cached), so it
	// should not compile anything.
	CheckKernel(k *graph.Kernel) error
	// CompileSubgraph prepares one program computing kernels (in schedule order, each
	// accepted by CheckKernel) whose results are the nodes of outs, in that order. The
	// program's inputs are SubgraphInputs(kernels). Errors wrap ErrCompile or ErrUnsupported;
	// on ErrUnsupported the executor runs the kernels one at a time instead.
	CompileSubgraph(kernels []*graph.Kernel, outs []*graph.Node) (Program, error)
	// LaunchSubgraph runs p, reading inputs (in the order of SubgraphInputs) and writing
	// outs (in the order of CompileSubgraph's outs).
	LaunchSubgraph(p Program, outs []Buffer, inputs []Buffer) error
}

// SubgraphInputs returns the nodes that kernels (a run in schedule order) read from outside
// the run, in the order they are first read: the inputs of a subgraph program.
func SubgraphInputs(kernels []*graph.Kernel) []*graph.Node {
	inside := map[*graph.Node]bool{}
	var ins []*graph.Node
	for _, k := range kernels {
		for _, in := range k.Inputs {
			if !inside[in] {
				inside[in] = true
				ins = append(ins, in)
			}
		}
		inside[k.Out] = true
	}
	return ins
}

// subgraphKey is the program cache's key of a subgraph on dev: the program key of every
// kernel, what each kernel reads (k<i>: the result of the i-th kernel of the run, a<j>: the
// j-th external input) and which results are outputs. Kernel keys alone would not do: two
// runs whose second kernel reads a float32[3] read the first kernel's result in one and an
// input of the subgraph in the other.
func subgraphKey(dev Device, kernels []*graph.Kernel, outs []*graph.Node) string {
	var b strings.Builder
	b.WriteString("subgraph")
	pos := map[*graph.Node]int{}
	ext := map[*graph.Node]int{}
	for i, k := range kernels {
		b.WriteString("\x00")
		b.WriteString(programKey(dev, k))
		b.WriteString(" <-")
		for _, in := range k.Inputs {
			if j, ok := pos[in]; ok {
				b.WriteString(" k")
				b.WriteString(strconv.Itoa(j))
				continue
			}
			j, ok := ext[in]
			if !ok {
				j = len(ext)
				ext[in] = j
			}
			b.WriteString(" a")
			b.WriteString(strconv.Itoa(j))
		}
		pos[k.Out] = i
	}
	b.WriteString("\x00out")
	for _, o := range outs {
		b.WriteString(" k")
		b.WriteString(strconv.Itoa(pos[o]))
	}
	return b.String()
}

// checkKernel asks dev whether k can join a subgraph, once per kernel structure.
func checkKernel(dev SubgraphDevice, k *graph.Kernel) error {
	return programs.check("check\x00"+programKey(dev, k), func() error { return dev.CheckKernel(k) })
}

// subgraphProgram returns the program of a subgraph from the cache, compiling it on a miss.
// A subgraph the device cannot compile is remembered, so that it is not tried again.
func subgraphProgram(dev SubgraphDevice, kernels []*graph.Kernel, outs []*graph.Node) (Program, error) {
	return programs.get(subgraphKey(dev, kernels, outs), func() (Program, error) { return dev.CompileSubgraph(kernels, outs) })
}

// runSubgraphs runs a schedule on a graph-level device: each longest run of consecutive
// kernels the device accepts is one launch; the kernels it rejects run on the CPU. roots are
// the nodes the caller asked for.
func (r *realization) runSubgraphs(dev SubgraphDevice, kernels []*graph.Kernel, roots []*graph.Node) error {
	// lastRead is the index of the last kernel reading a node: a result read at or after
	// the end of its run must leave the run in a buffer.
	lastRead := map[*graph.Node]int{}
	for i, k := range kernels {
		for _, in := range k.Inputs {
			lastRead[in] = i
		}
	}
	isRoot := map[*graph.Node]bool{}
	for _, r := range roots {
		isRoot[r] = true
	}
	for i := 0; i < len(kernels); {
		if err := checkKernel(dev, kernels[i]); err != nil {
			if !errors.Is(err, ErrUnsupported) {
				return fmt.Errorf("backend: %s: %s: %w", dev.Name(), describeKernel(kernels[i]), err)
			}
			if err := r.runOnCPU(dev, kernels[i], err); err != nil {
				return err
			}
			i++
			continue
		}
		end := i + 1
		for end < len(kernels) && checkKernel(dev, kernels[end]) == nil {
			end++
		}
		var outs []*graph.Node
		for _, k := range kernels[i:end] {
			if last, ok := lastRead[k.Out]; isRoot[k.Out] || ok && last >= end {
				outs = append(outs, k.Out)
			}
		}
		if err := r.runSubgraph(dev, kernels[i:end], outs); err != nil {
			return err
		}
		i = end
	}
	return nil
}

// runSubgraph compiles (or finds) the program of one run and launches it once, allocating
// buffers for outs only.
func (r *realization) runSubgraph(dev SubgraphDevice, kernels []*graph.Kernel, outs []*graph.Node) error {
	if len(outs) == 0 {
		return nil // nothing of the run is read: the scheduler does not produce this
	}
	p, err := subgraphProgram(dev, kernels, outs)
	if errors.Is(err, ErrUnsupported) {
		// Every kernel passed CheckKernel, but the device cannot compile them together:
		// run them one at a time, as on a kernel-level device.
		for _, k := range kernels {
			if err := r.run(dev, k); err != nil {
				return err
			}
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("backend: %s: compile %s: %w", dev.Name(), describeSubgraph(kernels), err)
	}
	ins, temps, err := r.inputBuffers(dev, SubgraphInputs(kernels))
	defer freeAll(dev, temps)
	if err != nil {
		return err
	}
	bufs := make([]Buffer, 0, len(outs))
	freeOuts := func() { freeAll(dev, bufs) }
	empty := true
	for _, o := range outs {
		b, err := alloc(dev, o.DType, o.Numel())
		if err != nil {
			freeOuts()
			return fmt.Errorf("backend: %s: allocate %v%v: %w", dev.Name(), o.DType, o.Shape, err)
		}
		bufs = append(bufs, b)
		empty = empty && o.Numel() == 0
	}
	if !empty {
		for _, k := range kernels {
			if k.Out.Numel() > 0 {
				nKernels.Add(1)
			}
		}
		nSubgraphs.Add(1)
		if err := retryOutOfMemory(func() error { return dev.LaunchSubgraph(p, bufs, ins) }); err != nil {
			freeOuts()
			return fmt.Errorf("backend: %s: launch %s: %w", dev.Name(), describeSubgraph(kernels), err)
		}
	}
	for i, o := range outs {
		r.attach(o, newStorage(dev, bufs[i]))
	}
	return nil
}

// describeKernel names a kernel by its operation and result, for errors: the core's op
// (contract, sum, ...) or, for an elementwise kernel, the outermost op of its expression.
func describeKernel(k *graph.Kernel) string {
	op := "kernel"
	switch {
	case k.Core != nil:
		op = k.Core.Op.String()
	case k.Expr != nil:
		op = k.Expr.Op.String()
	}
	return fmt.Sprintf("%s %v%v", op, k.Out.DType, k.Out.Shape)
}

// describeSubgraph names the kernels of a run, for errors.
func describeSubgraph(kernels []*graph.Kernel) string {
	names := make([]string, len(kernels))
	for i, k := range kernels {
		names[i] = describeKernel(k)
	}
	return "subgraph [" + strings.Join(names, ", ") + "]"
}

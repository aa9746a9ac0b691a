package backend

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/crossbar-compute/crossbar/graph"
)

// Storage is a realized node's buffer on a device. Its device memory is released by Free, or
// once the Storage is unreachable: by a cleanup after Go's collector has found it, or by an
// allocation that fails with ErrOutOfMemory, which runs the collector, releases what it
// found and tries again.
type Storage struct {
	Device Device
	h      *bufHandle
}

type bufHandle struct {
	dev  Device
	buf  Buffer
	once sync.Once
	gone atomic.Bool
}

func (h *bufHandle) free() error {
	var err error
	h.once.Do(func() {
		h.gone.Store(true)
		err = h.dev.Free(h.buf)
		live.Add(-1)
		released.Add(1)
		// Out of the set only once released: releaseGarbage waits (in once.Do) for a
		// release under way that it finds there.
		storages.Lock()
		delete(storages.m, h)
		storages.Unlock()
	})
	return err
}

// live counts the storages not yet released, released those released.
var live, released atomic.Int64

// storages holds, for each storage not yet released on a device whose memory is not Go's, a
// weak pointer to it: nil once the collector has found it unreachable, which is what alloc
// looks for. The CPU's buffers are Go's memory, which the collector paces itself by, and a
// weak pointer costs microseconds of the collector's time, as much as a small graph's run
// on the CPU.
var storages = struct {
	sync.Mutex
	m map[*bufHandle]weak.Pointer[Storage]
}{m: map[*bufHandle]weak.Pointer[Storage]{}}

func newStorage(dev Device, buf Buffer) *Storage {
	h := &bufHandle{dev: dev, buf: buf}
	s := &Storage{Device: dev, h: h}
	live.Add(1)
	if c := dev.Capabilities(); !c.UnifiedMemory || c.MaxWorkgroup > 0 || c.GraphLevel {
		storages.Lock()
		storages.m[h] = weak.Make(s)
		storages.Unlock()
	}
	runtime.AddCleanup(s, func(h *bufHandle) { _ = h.free() }, h)
	return s
}

// Buffer returns the device buffer, or an error wrapping ErrFreed.
func (s *Storage) Buffer() (Buffer, error) {
	if s.h.gone.Load() {
		return nil, ErrFreed
	}
	return s.h.buf, nil
}

// Free releases the device memory now. Later use of the storage returns ErrFreed.
func (s *Storage) Free() error { return s.h.free() }

// Stats counts the executor's work since the program started.
type Stats struct {
	Kernels   int64 // kernels launched
	Compiles  int64 // programs compiled (cache misses)
	CacheHits int64 // programs found in the cache
	Live      int64 // device buffers currently allocated by the executor
	Fallbacks int64 // kernels run on the CPU because their device could not compile them
	// Subgraphs counts the launches of whole subgraphs on graph-level devices; the kernels
	// such a launch computes count in Kernels.
	Subgraphs int64
}

var (
	nKernels, nCompiles, nHits, nFallbacks atomic.Int64
	nSubgraphs                             atomic.Int64
)

// ReadStats returns the executor's counters.
func ReadStats() Stats {
	return Stats{Kernels: nKernels.Load(), Compiles: nCompiles.Load(), CacheHits: nHits.Load(), Live: live.Load(),
		Fallbacks: nFallbacks.Load(), Subgraphs: nSubgraphs.Load()}
}

// Realize computes nodes on dev: it schedules the graph behind them, compiles each kernel once
// per structure and device, and attaches the results to the nodes (see graph.Node.Realized).
// Realizations run concurrently, also of graphs that share nodes (see begin).
func Realize(dev Device, nodes ...*graph.Node) error {
	if dev == nil {
		return fmt.Errorf("backend: realize: no device: %w", ErrUnavailable)
	}
	r, kernels, err := begin(nodes)
	if err != nil {
		return err
	}
	defer r.end()
	for _, n := range nodes {
		if n.Op == graph.OpHost && n.Realized() == nil {
			if err := r.upload(dev, n); err != nil {
				return err
			}
		}
	}
	if sd, ok := dev.(SubgraphDevice); ok && dev.Capabilities().GraphLevel {
		return r.runSubgraphs(sd, kernels, nodes)
	}
	last := lastReads(kernels, nodes)
	for i, k := range kernels {
		if err := r.run(dev, k); err != nil {
			return err
		}
		// Dropping the finished kernel lets the collector free an intermediate result (and
		// its device memory) once no later kernel reads it, rather than at the end of the
		// realization: a long chain of passes, such as CumSum's, then holds a few buffers, not
		// one for each pass.
		kernels[i] = nil
		// A transient intermediate is released at once: its memory goes back to the device
		// for the next allocation (the CPU's to its cache of buffers), without waiting for
		// the collector, which by then may have returned the pages to the system.
		for _, in := range k.Inputs {
			if j, ok := last[in]; ok && j == i {
				r.release(in)
			}
		}
	}
	return nil
}

// lastReads maps each transient node that kernels read, but for the nodes being realized, to
// the index of the last kernel that reads it.
func lastReads(kernels []*graph.Kernel, nodes []*graph.Node) map[*graph.Node]int {
	var last map[*graph.Node]int
	for i, k := range kernels {
		for _, in := range k.Inputs {
			if in.Transient() && !slices.Contains(nodes, in) {
				if last == nil {
					last = map[*graph.Node]int{}
				}
				last[in] = i
			}
		}
	}
	return last
}

func (r *realization) upload(dev Device, n *graph.Node) error {
	buf, err := alloc(dev, n.DType, n.Numel())
	if err != nil {
		return fmt.Errorf("backend: upload %v%v to %s: %w", n.DType, n.Shape, dev.Name(), err)
	}
	if err := dev.CopyIn(buf, n.Host); err != nil {
		_ = dev.Free(buf)
		return fmt.Errorf("backend: upload %v%v to %s: %w", n.DType, n.Shape, dev.Name(), err)
	}
	r.attach(n, newStorage(dev, buf))
	return nil
}

// inputBuffer returns n's buffer on dev, copying it there (into a temporary the caller frees)
// when it lives on another device.
// inputBuffers returns the buffers on dev of nodes, and those of them made for this call
// (copies from other devices), which the caller frees, also after an error.
func (r *realization) inputBuffers(dev Device, nodes []*graph.Node) (ins, temps []Buffer, err error) {
	for _, in := range nodes {
		b, temp, err := r.inputBuffer(dev, in)
		if err != nil {
			return nil, temps, err
		}
		if temp {
			temps = append(temps, b)
		}
		ins = append(ins, b)
	}
	return ins, temps, nil
}

func freeAll(dev Device, bufs []Buffer) {
	for _, b := range bufs {
		_ = dev.Free(b)
	}
}

func (r *realization) inputBuffer(dev Device, n *graph.Node) (buf Buffer, temp bool, err error) {
	if n.Realized() == nil {
		if n.Op != graph.OpHost {
			return nil, false, fmt.Errorf("backend: input %v%v was not computed", n.Op, n.Shape)
		}
		if err := r.upload(dev, n); err != nil {
			return nil, false, err
		}
	}
	st := n.Realized().(*Storage)
	b, err := st.Buffer()
	if err != nil {
		return nil, false, fmt.Errorf("backend: input %v%v: %w", n.DType, n.Shape, err)
	}
	if st.Device == dev {
		return b, false, nil
	}
	host := make([]byte, b.Len()*b.DType().Size())
	if err := st.Device.CopyOut(host, b); err != nil {
		return nil, false, fmt.Errorf("backend: copy %v%v from %s: %w", n.DType, n.Shape, st.Device.Name(), err)
	}
	nb, err := alloc(dev, b.DType(), b.Len())
	if err != nil {
		return nil, false, fmt.Errorf("backend: copy %v%v to %s: %w", n.DType, n.Shape, dev.Name(), err)
	}
	if err := dev.CopyIn(nb, host); err != nil {
		_ = dev.Free(nb)
		return nil, false, fmt.Errorf("backend: copy %v%v to %s: %w", n.DType, n.Shape, dev.Name(), err)
	}
	return nb, true, nil
}

// A VariantDevice compiles a kernel in one of several variants, code-generation options
// chosen by the autotuner, say. ProgramVariant names the variant Compile would build for k
// now ("" for the default); the program cache keeps one program per kernel and variant, so
// that a tuned program is never taken for an untuned one, nor the other way round.
type VariantDevice interface {
	Device
	ProgramVariant(k *graph.Kernel) string
}

// programKey is the program cache's key of k on dev.
func programKey(dev Device, k *graph.Kernel) string {
	key := dev.Name() + "\x00" + k.Key()
	if vd, ok := dev.(VariantDevice); ok {
		if v := vd.ProgramVariant(k); v != "" {
			key += "\x00" + v
		}
	}
	return key
}

func program(dev Device, k *graph.Kernel) (Program, error) {
	return programs.get(programKey(dev, k), func() (Program, error) { return dev.Compile(k) })
}

// run executes one kernel on dev, or on the CPU when dev cannot compile it.
func (r *realization) run(dev Device, k *graph.Kernel) error {
	p, err := program(dev, k)
	if errors.Is(err, ErrUnsupported) && dev.Name() != "cpu" {
		return r.runOnCPU(dev, k, err)
	}
	if err != nil {
		return fmt.Errorf("backend: %s: compile kernel for %v%v: %w", dev.Name(), k.Out.DType, k.Out.Shape, err)
	}
	return r.launch(dev, p, k)
}

// runOnCPU executes k on the CPU because dev cannot (why wraps ErrUnsupported).
func (r *realization) runOnCPU(dev Device, k *graph.Kernel, why error) error {
	cpu, err := Open("cpu")
	if err != nil {
		return fmt.Errorf("backend: %s: compile kernel for %v%v: %w", dev.Name(), k.Out.DType, k.Out.Shape, why)
	}
	nFallbacks.Add(1)
	p, err := program(cpu, k)
	if err != nil {
		return fmt.Errorf("backend: %s: compile kernel for %v%v: %w", cpu.Name(), k.Out.DType, k.Out.Shape, err)
	}
	return r.launch(cpu, p, k)
}

// launch runs p, the program of k on dev, into a new buffer for k's output.
func (r *realization) launch(dev Device, p Program, k *graph.Kernel) error {
	out := k.Out
	ins, temps, err := r.inputBuffers(dev, k.Inputs)
	defer freeAll(dev, temps)
	if err != nil {
		return err
	}
	buf, err := alloc(dev, out.DType, out.Numel())
	if err != nil {
		return fmt.Errorf("backend: %s: allocate %v%v: %w", dev.Name(), out.DType, out.Shape, err)
	}
	if out.Numel() > 0 {
		nKernels.Add(1)
		if err := retryOutOfMemory(func() error { return dev.Launch(p, buf, ins) }); err != nil {
			_ = dev.Free(buf)
			return fmt.Errorf("backend: %s: kernel for %v%v: %w", dev.Name(), out.DType, out.Shape, err)
		}
	}
	r.attach(out, newStorage(dev, buf))
	return nil
}

// Read realizes n on dev (if needed) and copies its elements out, little-endian.
func Read(dev Device, n *graph.Node) ([]byte, error) {
	if n == nil {
		return nil, fmt.Errorf("backend: read: nil node: %w", graph.ErrShape)
	}
	host := make([]byte, n.Numel()*n.DType.Size())
	if err := ReadInto(dev, n, host); err != nil {
		return nil, err
	}
	return host, nil
}

// ReadInto is Read into dst, which must hold exactly the node's bytes: a caller that has
// the memory for the elements already (a typed slice) saves an allocation and a copy.
func ReadInto(dev Device, n *graph.Node, dst []byte) error {
	if n == nil {
		return fmt.Errorf("backend: read: nil node: %w", graph.ErrShape)
	}
	if want := n.Numel() * n.DType.Size(); len(dst) != want {
		return fmt.Errorf("backend: read %v%v: %d bytes of room for %d: %w", n.DType, n.Shape, len(dst), want, graph.ErrShape)
	}
	if err := Realize(dev, n); err != nil {
		return err
	}
	st, ok := n.Realized().(*Storage)
	if !ok {
		return fmt.Errorf("backend: read %v%v: not realized", n.DType, n.Shape)
	}
	b, err := st.Buffer()
	if err != nil {
		return fmt.Errorf("backend: read %v%v: %w", n.DType, n.Shape, err)
	}
	if err := st.Device.CopyOut(dst, b); err != nil {
		return fmt.Errorf("backend: read %v%v from %s: %w", n.DType, n.Shape, st.Device.Name(), err)
	}
	return nil
}

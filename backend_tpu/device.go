package backend_tpu

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
)

func init() {
	backend.Register(pjrtBackend{name: "tpu", priority: 40})
	backend.Register(pjrtBackend{name: "pjrt", priority: 30})
}

// pjrtBackend lists the devices of libtpu ("tpu") or of every other plugin ("pjrt").
type pjrtBackend struct {
	name     string
	priority int
}

func (b pjrtBackend) Name() string  { return b.name }
func (b pjrtBackend) Priority() int { return b.priority }

func (b pjrtBackend) Devices() ([]backend.Device, error) {
	all, tried := discover()
	var out []backend.Device
	for _, d := range all {
		if (d.plugin == "tpu") == (b.name == "tpu") {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no PJRT %s found; tried:\n  %s: %w", b.name, pluginKind(b.name),
			strings.Join(tried, "\n  "), backend.ErrUnavailable)
	}
	return out, nil
}

func pluginKind(name string) string {
	if name == "tpu" {
		return "TPU plugin (libtpu) with devices"
	}
	return "plugin with devices"
}

var (
	discoverMu    sync.Mutex
	loadedPlugins = map[string]*pluginState{} // by file: a plugin is loaded and initialized once
)

// pluginState is a loaded plugin: its client and devices, or why it could not be used.
type pluginState struct {
	devices []*Device
	err     error
}

// discover loads every plugin found (once per path) and returns their devices and a line
// per path tried, for errors.
func discover() ([]*Device, []string) {
	discoverMu.Lock()
	defer discoverMu.Unlock()
	var devs []*Device
	var tried []string
	seen := map[string]bool{}
	file := map[string]string{}  // the file a path resolves to -> the first path tried for it
	tpus := -1                   // TPU chips on the PCI bus, counted when a libtpu is found
	inUse := map[string]string{} // plugin short name -> the path of the one whose devices are listed
	for _, c := range candidates() {
		if seen[c.path] {
			continue
		}
		seen[c.path] = true
		if c.note != "" {
			tried = append(tried, fmt.Sprintf("%s (%s): %s", c.path, c.source, c.note))
			continue
		}
		if _, err := os.Stat(c.path); err != nil {
			tried = append(tried, fmt.Sprintf("%s (%s): not found", c.path, c.source))
			continue
		}
		if !strings.HasPrefix(c.path, "/") {
			tried = append(tried, fmt.Sprintf("%s (%s): skipped, not an absolute path", c.path, c.source))
			continue
		}
		// dlopen gives one library for every path to a file: loading it again through another
		// path would initialize the plugin twice and list its devices twice.
		real, err := filepath.EvalSymlinks(c.path)
		if err != nil {
			real = c.path
		}
		if first, ok := file[real]; ok {
			tried = append(tried, fmt.Sprintf("%s (%s): skipped, the same file as %s", c.path, c.source, first))
			continue
		}
		file[real] = c.path
		// One plugin of a kind: two (CUDA 12's and 13's, libtpu from pip and from the
		// system) would each hold the devices and give them the same names.
		if first, ok := inUse[c.name]; ok {
			tried = append(tried, fmt.Sprintf("%s (%s): skipped, the %s plugin %s is in use", c.path, c.source, c.name, first))
			continue
		}
		st, ok := loadedPlugins[real]
		if !ok && c.name == "tpu" && !c.explicit() {
			if tpus < 0 {
				tpus = tpuChips()
			}
			if tpus == 0 {
				tried = append(tried, fmt.Sprintf("%s (%s): skipped, no TPU on the PCI bus (%s); name it in CROSSBAR_PJRT_PLUGIN to load it anyway",
					c.path, c.source, pciDevices))
				continue
			}
		}
		if !ok {
			// Loaded through the file itself: the plugin finds its companions (XLA's GPU
			// plugins, NVIDIA's libraries and ptxas from pip) relative to where it is, and
			// the dynamic loader's $ORIGIN is the directory of the path it was given.
			lc := c
			lc.path = real
			st = openPlugin(lc)
			loadedPlugins[real] = st
		}
		if st.err != nil {
			tried = append(tried, fmt.Sprintf("%s (%s): %v", c.path, c.source, st.err))
			continue
		}
		if len(st.devices) == 0 {
			tried = append(tried, fmt.Sprintf("%s (%s): no addressable devices", c.path, c.source))
			continue
		}
		inUse[c.name] = c.path
		devs = append(devs, st.devices...)
	}
	return devs, tried
}

// Open returns the device of this package with the given name: "tpu", "tpu:1",
// "pjrt:cuda:0" (the plugin's short name and its device index), or "pjrt:2".
func Open(name string) (backend.Device, error) {
	if strings.Count(name, ":") < 2 {
		return backend.Open(name)
	}
	all, tried := discover()
	for _, d := range all {
		if d.Name() == name {
			return d, nil
		}
	}
	return nil, fmt.Errorf("backend_tpu: open %q: no such device; tried:\n  %s: %w", name,
		strings.Join(tried, "\n  "), backend.ErrUnavailable)
}

// Device is one addressable device of a PJRT plugin.
type Device struct {
	name   string
	plugin string
	p      *plugin
	index  int
	info   deviceInfo
	caps   backend.Capabilities
}

// plugin is a loaded plugin with its client.
type plugin struct {
	mu       sync.Mutex // the PJRT calls of one client are serialized
	rt       *runtimeAPI
	client   clientHandle
	platform string
	version  string
}

func (d *Device) Name() string                       { return d.name }
func (d *Device) Capabilities() backend.Capabilities { return d.caps }

// Description is the plugin's description of the device, its kind and attributes.
func (d *Device) Description() string {
	return fmt.Sprintf("%s (%s %s; %s; %v)", d.info.kind, d.p.platform, d.p.version, d.info.desc, d.info.attrs)
}

func capsFor(platform string) backend.Capabilities {
	c := backend.Capabilities{GraphLevel: true,
		DTypes: []graph.DType{graph.Bool, graph.Uint8, graph.Int32, graph.Int64, graph.Float16, graph.BFloat16, graph.Float32}}
	if platform != "tpu" {
		// TPUs have no float64; GPU and CPU plugins do.
		c.DTypes = append(c.DTypes, graph.Float64)
	}
	return c
}

func bufferType(dt graph.DType) (int32, bool) {
	switch dt {
	case graph.Bool:
		return bufPRED, true
	case graph.Uint8:
		return bufU8, true
	case graph.Int32:
		return bufS32, true
	case graph.Int64:
		return bufS64, true
	case graph.Float16:
		return bufF16, true
	case graph.BFloat16:
		return bufBF16, true
	case graph.Float32:
		return bufF32, true
	case graph.Float64:
		return bufF64, true
	}
	return 0, false
}

// Buffer is a device buffer. PJRT buffers are immutable: CopyIn and Launch replace the
// PJRT buffer a Buffer holds.
type Buffer struct {
	dt    graph.DType
	n     int
	h     bufferHandle // nil until written
	freed bool
}

func (b *Buffer) DType() graph.DType { return b.dt }
func (b *Buffer) Len() int           { return b.n }

// buf returns b as a buffer of this device. Its h and freed fields are guarded by d.p.mu:
// callers that read or replace them hold the lock from this check on.
func (d *Device) buf(b backend.Buffer) (*Buffer, error) {
	pb, ok := b.(*Buffer)
	if !ok || pb == nil {
		return nil, fmt.Errorf("%s: buffer %T is not from this device: %w", d.name, b, backend.ErrLaunch)
	}
	if pb.freed {
		return nil, fmt.Errorf("%s: %w", d.name, backend.ErrFreed)
	}
	return pb, nil
}

func (d *Device) Alloc(dt graph.DType, n int) (backend.Buffer, error) {
	if _, ok := bufferType(dt); !ok || n < 0 {
		return nil, fmt.Errorf("%s: alloc %d of %v: %w", d.name, n, dt, backend.ErrUnsupported)
	}
	// Sizes in bytes are computed as ints (copies, the zeros of a never-written input).
	if n > math.MaxInt/dt.Size() {
		return nil, fmt.Errorf("%s: alloc %d of %v: more bytes than an int holds: %w", d.name, n, dt, backend.ErrOutOfMemory)
	}
	return &Buffer{dt: dt, n: n}, nil
}

func (d *Device) Free(b backend.Buffer) error {
	d.p.mu.Lock()
	defer d.p.mu.Unlock()
	pb, err := d.buf(b)
	if err != nil {
		return err
	}
	d.p.rt.destroyBuffer(pb.h)
	pb.h, pb.freed = nil, true
	return nil
}

func (d *Device) CopyIn(dst backend.Buffer, src []byte) error {
	d.p.mu.Lock()
	defer d.p.mu.Unlock()
	pb, err := d.buf(dst)
	if err != nil {
		return err
	}
	if len(src) != pb.n*pb.dt.Size() {
		return fmt.Errorf("%s: copy in %d bytes to %d %v: %w", d.name, len(src), pb.n, pb.dt, backend.ErrLaunch)
	}
	if pb.n == 0 {
		return nil
	}
	typ, _ := bufferType(pb.dt)
	h, err := d.p.rt.fromHost(d.p.client, d.index, typ, []int64{int64(pb.n)}, src)
	if err != nil {
		return fmt.Errorf("%s: copy in %d %v: %v: %w", d.name, pb.n, pb.dt, err, sentinel(err, backend.ErrLaunch))
	}
	d.p.rt.destroyBuffer(pb.h)
	pb.h = h
	return nil
}

func (d *Device) CopyOut(dst []byte, src backend.Buffer) error {
	d.p.mu.Lock()
	defer d.p.mu.Unlock()
	pb, err := d.buf(src)
	if err != nil {
		return err
	}
	if len(dst) != pb.n*pb.dt.Size() {
		return fmt.Errorf("%s: copy out %d bytes from %d %v: %w", d.name, len(dst), pb.n, pb.dt, backend.ErrLaunch)
	}
	if pb.n == 0 {
		return nil
	}
	if pb.h == nil {
		clear(dst) // never written: zeros, like fresh memory elsewhere
		return nil
	}
	if err := d.p.rt.toHost(pb.h, dst); err != nil {
		return fmt.Errorf("%s: copy out %d %v: %v: %w", d.name, pb.n, pb.dt, err, backend.ErrLaunch)
	}
	return nil
}

// sentinel is the backend sentinel for a plugin error: ErrOutOfMemory where the plugin
// ran out of memory (RESOURCE_EXHAUSTED), fallback otherwise.
func sentinel(err error, fallback error) error {
	var oom interface{ outOfMemory() bool }
	if errors.As(err, &oom) && oom.outOfMemory() {
		return backend.ErrOutOfMemory
	}
	return fallback
}

var _ backend.SubgraphDevice = (*Device)(nil)

// Program is a compiled kernel or subgraph. It keeps no graph nodes: the executor caches it
// by structure, and nodes would hold the first graph's data for as long as the cache lives.
type Program struct {
	dev     *Device // the device it was compiled for: an executable runs where it was assigned
	exe     executableHandle
	inputs  []flatType // the arguments of @main
	outputs []flatType // the results of @main
}

// flatType is the type of an argument or result of @main: a flat buffer of n elements.
type flatType struct {
	dt graph.DType
	n  int
}

func flatTypes(nodes []*graph.Node) []flatType {
	ts := make([]flatType, len(nodes))
	for i, n := range nodes {
		ts[i] = flatType{n.DType, n.Numel()}
	}
	return ts
}

// checkDTypes reports a dtype of k the device does not compute.
func (d *Device) checkDTypes(k *graph.Kernel) error {
	for _, dt := range append([]graph.DType{k.Out.DType}, inputDTypes(k)...) {
		if !d.caps.Supports(dt) {
			return fmt.Errorf("%s: %v: %w", d.name, dt, backend.ErrUnsupported)
		}
	}
	return nil
}

// Compile emits k as StableHLO and compiles it with the plugin.
func (d *Device) Compile(k *graph.Kernel) (backend.Program, error) {
	if err := d.checkDTypes(k); err != nil {
		return nil, err
	}
	m, err := EmitKernel(k)
	if err != nil {
		return nil, err
	}
	return d.compile(m)
}

// CheckKernel reports whether k can be part of a subgraph: its dtypes are the device's and
// the emitter can express it. Nothing is compiled.
func (d *Device) CheckKernel(k *graph.Kernel) error {
	if err := d.checkDTypes(k); err != nil {
		return err
	}
	_, err := EmitKernel(k)
	return err
}

// CompileSubgraph emits kernels as one module (EmitSubgraph) and compiles it with the
// plugin; XLA fuses across the kernels as it sees fit.
func (d *Device) CompileSubgraph(kernels []*graph.Kernel, outs []*graph.Node) (backend.Program, error) {
	for _, k := range kernels {
		if err := d.checkDTypes(k); err != nil {
			return nil, err
		}
	}
	m, err := EmitSubgraph(kernels, outs)
	if err != nil {
		return nil, err
	}
	if err := checkArguments(m, kernels); err != nil {
		return nil, fmt.Errorf("%s: %w", d.name, err)
	}
	return d.compile(m)
}

// checkArguments checks that module m of kernels takes the subgraph's inputs as its
// arguments: the executor passes them in the order of backend.SubgraphInputs, and the
// emitter adds arguments in the same order.
func checkArguments(m *Module, kernels []*graph.Kernel) error {
	want := backend.SubgraphInputs(kernels)
	if len(want) != len(m.Inputs) {
		return fmt.Errorf("module takes %d arguments for %d subgraph inputs: %w", len(m.Inputs), len(want), backend.ErrCompile)
	}
	for i, n := range want {
		if m.Inputs[i] != n {
			return fmt.Errorf("module argument %d is not subgraph input %d: %w", i, i, backend.ErrCompile)
		}
	}
	return nil
}

func (d *Device) compile(m *Module) (backend.Program, error) {
	d.p.mu.Lock()
	defer d.p.mu.Unlock()
	exe, n, err := d.p.rt.compile(d.p.client, m.Text, compileOptions(int64(d.info.id)))
	if err != nil {
		return nil, fmt.Errorf("%s: %v\nmodule:\n%s: %w", d.name, err, m.Text, backend.ErrCompile)
	}
	if n != len(m.Outputs) {
		d.p.rt.destroyExecutable(exe)
		return nil, fmt.Errorf("%s: executable has %d outputs, want %d: %w", d.name, n, len(m.Outputs), backend.ErrCompile)
	}
	return &Program{dev: d, exe: exe, inputs: flatTypes(m.Inputs), outputs: flatTypes(m.Outputs)}, nil
}

func (d *Device) Launch(p backend.Program, out backend.Buffer, inputs []backend.Buffer) error {
	return d.LaunchSubgraph(p, []backend.Buffer{out}, inputs)
}

// LaunchSubgraph runs a program of Compile or CompileSubgraph, reading inputs (the module's
// arguments, in order) and writing outs (its results, in order).
func (d *Device) LaunchSubgraph(p backend.Program, outs []backend.Buffer, inputs []backend.Buffer) error {
	prog, ok := p.(*Program)
	if !ok || prog == nil {
		return fmt.Errorf("%s: program %T is not from this device: %w", d.name, p, backend.ErrLaunch)
	}
	if prog.dev != d {
		other := "another device"
		if prog.dev != nil {
			other = prog.dev.name
		}
		return fmt.Errorf("%s: launch of a program compiled for %s: %w", d.name, other, backend.ErrLaunch)
	}
	if len(outs) != len(prog.outputs) {
		return fmt.Errorf("%s: %d output buffers for a program of %d results: %w", d.name, len(outs), len(prog.outputs), backend.ErrLaunch)
	}
	if len(inputs) < len(prog.inputs) {
		return fmt.Errorf("%s: %d inputs for a program of %d: %w", d.name, len(inputs), len(prog.inputs), backend.ErrLaunch)
	}
	d.p.mu.Lock()
	defer d.p.mu.Unlock()
	// An output buffer takes the result's PJRT buffer as it is: one of another type or
	// length would be read back wrong.
	obs := make([]*Buffer, len(outs))
	for i, o := range outs {
		ob, err := d.buf(o)
		if err != nil {
			return err
		}
		if t := prog.outputs[i]; ob.dt != t.dt || ob.n != t.n {
			return fmt.Errorf("%s: launch: output %d is %d %v, the program's result %d is %d %v: %w",
				d.name, i, ob.n, ob.dt, i, t.n, t.dt, backend.ErrLaunch)
		}
		obs[i] = ob
	}
	// The module's arguments are the inputs in order (the emitter adds them as it meets
	// them, and every input of a kernel is read).
	var args []bufferHandle
	var temps []bufferHandle
	defer func() {
		for _, t := range temps {
			d.p.rt.destroyBuffer(t)
		}
	}()
	for i, t := range prog.inputs {
		ib, err := d.buf(inputs[i])
		if err != nil {
			return err
		}
		if ib.dt != t.dt || ib.n != t.n {
			return fmt.Errorf("%s: launch: input %d is %d %v, the program's argument %d is %d %v: %w",
				d.name, i, ib.n, ib.dt, i, t.n, t.dt, backend.ErrLaunch)
		}
		h := ib.h
		if h == nil {
			// An empty or never-written input: upload zeros so that the executable gets a
			// buffer of the right shape.
			typ, _ := bufferType(ib.dt)
			if h, err = d.p.rt.fromHost(d.p.client, d.index, typ, []int64{int64(ib.n)}, make([]byte, ib.n*ib.dt.Size())); err != nil {
				return fmt.Errorf("%s: launch: input %d (%d %v): %v: %w", d.name, i, ib.n, ib.dt, err, sentinel(err, backend.ErrLaunch))
			}
			temps = append(temps, h)
		}
		args = append(args, h)
	}
	res, err := d.p.rt.execute(prog.exe, args, len(prog.outputs))
	if err != nil {
		return fmt.Errorf("%s: launch of %d inputs, %d outputs: %v: %w", d.name, len(args), len(obs), err, sentinel(err, backend.ErrLaunch))
	}
	for i, ob := range obs {
		d.p.rt.destroyBuffer(ob.h)
		ob.h = res[i]
	}
	for _, r := range res[len(obs):] {
		d.p.rt.destroyBuffer(r)
	}
	return nil
}

// Synchronize returns at once: every launch and copy waits for its completion event.
func (d *Device) Synchronize() error { return nil }

func (d *Device) Time(fn func() error) (time.Duration, error) {
	start := time.Now()
	err := fn()
	return time.Since(start), err
}

// deviceName is the name of device n of a plugin.
func deviceName(plugin string, n int) string {
	if plugin == "tpu" {
		return "tpu:" + strconv.Itoa(n)
	}
	return "pjrt:" + plugin + ":" + strconv.Itoa(n)
}

var errNoPlugin = errors.New("PJRT plugins cannot be loaded on this platform")

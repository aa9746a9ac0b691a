// Package backend_gl is crossbar's OpenGL 4.3 compute backend: kernels are generated as
// GLSL compute shaders by backend/codegen and run on any GPU with a GL 4.3 driver, or on
// Mesa's llvmpipe on a machine without one. The context is headless (EGL, surfaceless
// platform or EGL device), so no display server is needed.
//
// Importing the package adds the device "gl:0":
//
//	import _ "github.com/crossbar-compute/crossbar/backend_gl"
//
// With no EGL library, or no GL 4.3 context, it has no devices and backend.Open("gl")
// returns an error wrapping backend.ErrUnavailable that says why. CROSSBAR_GL_LIB names
// the EGL library to load instead of libEGL.so.1.
//
// Buffers are shader storage buffers; Bool and Uint8 elements take 32 bits on the device
// and Float16 and BFloat16 are stored as float32 (converted by CopyIn and CopyOut) and
// rounded after every operation. Int64 needs GL_ARB_gpu_shader_int64; Float64 runs its
// arithmetic on the GPU, while its transcendental functions (which GLSL lacks for
// double) make the kernel report backend.ErrUnsupported, so the executor runs it on the
// CPU. This is the one package of crossbar that needs cgo.
package backend_gl

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/backend/codegen/kerneltune"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/internal/half"
	"github.com/go-gl/gl/v4.3-core/gl"
)

func init() { backend.Register(glBackend{}) }

type glBackend struct{}

func (glBackend) Name() string { return "gl" }

// Priority puts GL devices before the CPU and after the vendor compute APIs.
func (glBackend) Priority() int { return 10 }

var (
	probeOnce sync.Once
	theDevice *Device
	probeErr  error
)

// Devices implements backend.Backend. The first call creates the GL context.
func (glBackend) Devices() ([]backend.Device, error) {
	probeOnce.Do(func() { theDevice, probeErr = open() })
	if probeErr != nil {
		return nil, fmt.Errorf("gl: %v: %w", probeErr, backend.ErrUnavailable)
	}
	return []backend.Device{theDevice}, nil
}

// Device is an OpenGL 4.3 device. Its methods may be called from any goroutine.
type Device struct {
	th       *glThread
	info     string
	caps     backend.Capabilities
	dialect  codegen.GLSL
	target   codegen.Target
	opts     codegen.Options
	bindings int // most shader storage blocks in a compute shader
	maxBlock int // bytes one storage block may span
	flag     uint32
	objects  objectCounts
	tuning   *kerneltune.Site
}

// objectCounts counts the GL objects the device holds, for leak tests.
type objectCounts struct {
	buffers, programs, shaders, queries atomic.Int64
}

// Objects is a snapshot of the GL objects a device holds.
type Objects struct{ Buffers, Programs, Shaders, Queries int64 }

// Objects returns the numbers of GL objects the device holds now.
func (d *Device) Objects() Objects {
	return Objects{d.objects.buffers.Load(), d.objects.programs.Load(), d.objects.shaders.Load(), d.objects.queries.Load()}
}

func open() (*Device, error) {
	d := &Device{}
	th, err := startThread(func() error {
		desc, err := eglContext()
		if err != nil {
			return err
		}
		if err := gl.InitWithProcAddrFunc(eglProcAddress); err != nil {
			return fmt.Errorf("%s: OpenGL 4.3 entry points missing: %v", desc, err)
		}
		var major, minor int32
		gl.GetIntegerv(gl.MAJOR_VERSION, &major)
		gl.GetIntegerv(gl.MINOR_VERSION, &minor)
		version := gl.GoStr(gl.GetString(gl.VERSION))
		if major < 4 || major == 4 && minor < 3 {
			return fmt.Errorf("%s: OpenGL %d.%d (%s), need 4.3", desc, major, minor, version)
		}
		renderer := gl.GoStr(gl.GetString(gl.RENDERER))
		d.info = fmt.Sprintf("%s; %s; OpenGL %s", desc, renderer, version)
		d.query()
		d.caps.Software = isSoftware(renderer)
		var err2 error
		d.flag, err2 = d.newBuffer(4 * codegen.GatherFlag)
		return err2
	})
	if err != nil {
		return nil, err
	}
	d.th = th
	d.tuning = d.newSite()
	return d, nil
}

// query reads the limits and extensions of the context (on the GL thread).
func (d *Device) query() {
	geti := func(name uint32) int {
		var v int32
		gl.GetIntegerv(name, &v)
		return int(v)
	}
	getIndexed := func(name uint32, i uint32) int {
		var v int32
		gl.GetIntegeri_v(name, i, &v)
		return int(v)
	}
	exts := map[string]bool{}
	for i := range geti(gl.NUM_EXTENSIONS) {
		exts[gl.GoStr(gl.GetStringi(gl.EXTENSIONS, uint32(i)))] = true
	}
	d.dialect = codegen.GLSL{Int64: exts["GL_ARB_gpu_shader_int64"], Fp64: true}
	groups := math.MaxInt32
	for i := range uint32(3) {
		groups = min(groups, getIndexed(gl.MAX_COMPUTE_WORK_GROUP_COUNT, i))
	}
	d.target = codegen.Target{
		MaxWorkgroup: min(geti(gl.MAX_COMPUTE_WORK_GROUP_INVOCATIONS), getIndexed(gl.MAX_COMPUTE_WORK_GROUP_SIZE, 0)),
		SharedMemory: geti(gl.MAX_COMPUTE_SHARED_MEMORY_SIZE),
		WarpWidth:    1,
		MaxGroups:    groups,
	}
	d.bindings = geti(gl.MAX_COMPUTE_SHADER_STORAGE_BLOCKS)
	var block int64
	gl.GetInteger64v(gl.MAX_SHADER_STORAGE_BLOCK_SIZE, &block)
	d.maxBlock = int(min(block, math.MaxInt32))
	dts := []graph.DType{graph.Bool, graph.Uint8, graph.Int32, graph.Float16, graph.BFloat16, graph.Float32, graph.Float64}
	if d.dialect.Int64 {
		dts = append(dts, graph.Int64)
	}
	d.caps = backend.Capabilities{DTypes: dts, MaxWorkgroup: d.target.MaxWorkgroup, SharedMemory: d.target.SharedMemory,
		WarpWidth: d.target.WarpWidth, Softmax: true, LayerNorm: true,
		ArgMax: d.dialect.Int64} // an argmax's indices are Int64
}

// Name implements backend.Device.
func (d *Device) Name() string { return "gl:0" }

// Info describes the EGL display and the GL renderer.
func (d *Device) Info() string { return d.info }

// Capabilities implements backend.Device.
func (d *Device) Capabilities() backend.Capabilities {
	c := d.caps
	c.DTypes = append([]graph.DType(nil), c.DTypes...)
	return c
}

// Buffer is a shader storage buffer.
type Buffer struct {
	id    uint32
	dt    graph.DType
	n     int
	freed bool
}

// DType implements backend.Buffer.
func (b *Buffer) DType() graph.DType { return b.dt }

// Len implements backend.Buffer.
func (b *Buffer) Len() int { return b.n }

func storageBytes(dt graph.DType, n int) int {
	size, _ := codegen.GLSLStorage(dt)
	return size * n
}

// newBuffer makes a buffer of at least 16 bytes (on the GL thread).
func (d *Device) newBuffer(bytes int) (uint32, error) {
	for gl.GetError() != gl.NO_ERROR {
	}
	var id uint32
	gl.GenBuffers(1, &id)
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, id)
	gl.BufferData(gl.SHADER_STORAGE_BUFFER, max(bytes, 16), nil, gl.DYNAMIC_COPY)
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, 0)
	if e := gl.GetError(); e != gl.NO_ERROR {
		gl.DeleteBuffers(1, &id)
		if e == gl.OUT_OF_MEMORY {
			return 0, fmt.Errorf("gl: %d bytes: %w", bytes, backend.ErrOutOfMemory)
		}
		return 0, fmt.Errorf("gl: buffer of %d bytes: GL error 0x%x: %w", bytes, e, backend.ErrOutOfMemory)
	}
	d.objects.buffers.Add(1)
	return id, nil
}

// Alloc implements backend.Device.
func (d *Device) Alloc(dt graph.DType, n int) (backend.Buffer, error) {
	if !dt.Valid() || n < 0 {
		return nil, fmt.Errorf("gl: alloc %d of %v: %w", n, dt, backend.ErrUnsupported)
	}
	var id uint32
	var err error
	d.th.do(func() { id, err = d.newBuffer(storageBytes(dt, n)) })
	if err != nil {
		return nil, err
	}
	return &Buffer{id: id, dt: dt, n: n}, nil
}

func (d *Device) buffer(b backend.Buffer) (*Buffer, error) {
	gb, ok := b.(*Buffer)
	if !ok || gb == nil {
		return nil, fmt.Errorf("gl: buffer %T is not a gl buffer: %w", b, backend.ErrUnsupported)
	}
	if gb.freed {
		return nil, fmt.Errorf("gl: %w", backend.ErrFreed)
	}
	return gb, nil
}

// Free implements backend.Device.
func (d *Device) Free(b backend.Buffer) error {
	gb, err := d.buffer(b)
	if err != nil {
		return err
	}
	gb.freed = true
	d.th.do(func() { gl.DeleteBuffers(1, &gb.id) })
	d.objects.buffers.Add(-1)
	return nil
}

// CopyIn implements backend.Device.
func (d *Device) CopyIn(dst backend.Buffer, src []byte) error {
	b, err := d.buffer(dst)
	if err != nil {
		return err
	}
	if len(src) != b.n*b.dt.Size() {
		return fmt.Errorf("gl: copy in %d bytes to %d x %v", len(src), b.n, b.dt)
	}
	if b.n == 0 {
		return nil
	}
	data := toStorage(b.dt, src)
	d.th.do(func() {
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, b.id)
		gl.BufferSubData(gl.SHADER_STORAGE_BUFFER, 0, len(data), unsafe.Pointer(&data[0]))
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, 0)
	})
	return nil
}

// CopyOut implements backend.Device.
func (d *Device) CopyOut(dst []byte, src backend.Buffer) error {
	b, err := d.buffer(src)
	if err != nil {
		return err
	}
	if len(dst) != b.n*b.dt.Size() {
		return fmt.Errorf("gl: copy out %d x %v to %d bytes", b.n, b.dt, len(dst))
	}
	if b.n == 0 {
		return nil
	}
	data := make([]byte, storageBytes(b.dt, b.n))
	d.th.do(func() {
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, b.id)
		gl.GetBufferSubData(gl.SHADER_STORAGE_BUFFER, 0, len(data), unsafe.Pointer(&data[0]))
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, 0)
	})
	fromStorage(b.dt, dst, data)
	return nil
}

// toStorage converts host elements to their device representation (32-bit words for the
// narrow types).
func toStorage(dt graph.DType, src []byte) []byte {
	if _, conv := codegen.GLSLStorage(dt); !conv {
		return src
	}
	le := binary.LittleEndian
	switch dt {
	case graph.Bool, graph.Uint8:
		out := make([]byte, 4*len(src))
		for i, v := range src {
			out[4*i] = v
		}
		return out
	case graph.Float16, graph.BFloat16:
		conv := half.Float16To
		if dt == graph.BFloat16 {
			conv = half.BFloat16To
		}
		n := len(src) / 2
		out := make([]byte, 4*n)
		for i := range n {
			le.PutUint32(out[4*i:], math.Float32bits(conv(le.Uint16(src[2*i:]))))
		}
		return out
	}
	return src
}

// fromStorage is the inverse of toStorage.
func fromStorage(dt graph.DType, dst, data []byte) {
	if _, conv := codegen.GLSLStorage(dt); !conv {
		copy(dst, data)
		return
	}
	le := binary.LittleEndian
	switch dt {
	case graph.Bool, graph.Uint8:
		for i := range dst {
			dst[i] = data[4*i]
		}
	case graph.Float16, graph.BFloat16:
		conv := half.Float16From
		if dt == graph.BFloat16 {
			conv = half.BFloat16From
		}
		for i := range len(dst) / 2 {
			le.PutUint16(dst[2*i:], conv(math.Float32frombits(le.Uint32(data[4*i:]))))
		}
	}
}

// program is a linked compute shader.
type program struct {
	id     uint32
	groups [3]int
	params int
	flag   bool
	where  string // gather: the axis, for errors
	source string
}

// Source returns the GLSL that Compile would build for k, for humans and tests.
func (d *Device) Source(k *graph.Kernel) (string, error) {
	p, err := codegen.Lower(k, d.target, d.optionsFor(k))
	if err != nil {
		return "", err
	}
	return codegen.Render(p, d.dialect)
}

// Compile implements backend.Device. A contraction, elementwise kernel or reduction gets
// the knobs tuned for its shape where the tuning cache has them (see tune.go).
func (d *Device) Compile(k *graph.Kernel) (backend.Program, error) {
	return d.CompileWith(k, d.optionsFor(k))
}

// ProgramVariant implements backend.VariantDevice: the options Compile would use for k,
// when they are not the device's defaults.
func (d *Device) ProgramVariant(k *graph.Kernel) string { return d.tuning.Variant(k) }

// CompileWith compiles k with code-generation options o, tuned knobs not looked up: the
// tuner measures candidates with it.
func (d *Device) CompileWith(k *graph.Kernel, o codegen.Options) (backend.Program, error) {
	p, err := codegen.Lower(k, d.target, o)
	if err != nil {
		return nil, fmt.Errorf("gl: %w", err)
	}
	if len(p.Params) > d.bindings {
		return nil, fmt.Errorf("gl: kernel with %d buffers, the device binds %d: %w", len(p.Params), d.bindings, backend.ErrUnsupported)
	}
	for _, prm := range p.Params {
		if storageBytes(prm.DType, prm.Len) > d.maxBlock {
			return nil, fmt.Errorf("gl: buffer of %d x %v exceeds the device's %d-byte storage blocks: %w",
				prm.Len, prm.DType, d.maxBlock, backend.ErrUnsupported)
		}
	}
	src, err := codegen.Render(p, d.dialect)
	if err != nil {
		return nil, fmt.Errorf("gl: %w", err)
	}
	prog := &program{groups: p.Groups, params: len(p.Params), flag: p.ErrorFlag, source: src}
	if c := k.Core; p.ErrorFlag && c != nil && c.Op == graph.OpGather {
		shape := c.Src[0].View.Shape
		prog.where = fmt.Sprintf("for axis %d of size %d in %v", c.Axes[0], shape[c.Axes[0]], shape)
	}
	d.th.do(func() { prog.id, err = d.build(src) })
	if err != nil {
		return nil, err
	}
	// Programs live in the executor's cache; one that is dropped gives its GL object back.
	id := prog.id
	runtime.AddCleanup(prog, func(id uint32) { d.th.do(func() { d.deleteProgram(id) }) }, id)
	return prog, nil
}

// build compiles and links a compute shader (on the GL thread).
func (d *Device) build(src string) (uint32, error) {
	sh := gl.CreateShader(gl.COMPUTE_SHADER)
	d.objects.shaders.Add(1)
	defer func() {
		gl.DeleteShader(sh)
		d.objects.shaders.Add(-1)
	}()
	csrc, free := gl.Strs(src + "\x00")
	gl.ShaderSource(sh, 1, csrc, nil)
	free()
	gl.CompileShader(sh)
	var ok int32
	gl.GetShaderiv(sh, gl.COMPILE_STATUS, &ok)
	if ok == 0 {
		return 0, compileError("compile", shaderLog(sh), src)
	}
	prog := gl.CreateProgram()
	d.objects.programs.Add(1)
	gl.AttachShader(prog, sh)
	gl.LinkProgram(prog)
	gl.DetachShader(prog, sh)
	gl.GetProgramiv(prog, gl.LINK_STATUS, &ok)
	if ok == 0 {
		log := programLog(prog)
		d.deleteProgram(prog)
		return 0, compileError("link", log, src)
	}
	return prog, nil
}

func (d *Device) deleteProgram(id uint32) {
	gl.DeleteProgram(id)
	d.objects.programs.Add(-1)
}

func shaderLog(sh uint32) string {
	var n int32
	gl.GetShaderiv(sh, gl.INFO_LOG_LENGTH, &n)
	if n <= 1 {
		return ""
	}
	buf := make([]byte, n)
	gl.GetShaderInfoLog(sh, n, nil, &buf[0])
	return strings.TrimRight(string(buf), "\x00\n")
}

func programLog(p uint32) string {
	var n int32
	gl.GetProgramiv(p, gl.INFO_LOG_LENGTH, &n)
	if n <= 1 {
		return ""
	}
	buf := make([]byte, n)
	gl.GetProgramInfoLog(p, n, nil, &buf[0])
	return strings.TrimRight(string(buf), "\x00\n")
}

// compileError wraps backend.ErrCompile with the driver's log and the numbered source.
func compileError(stage, log, src string) error {
	var b strings.Builder
	for i, l := range strings.Split(strings.TrimRight(src, "\n"), "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, l)
	}
	return fmt.Errorf("gl: %s: %w:\n%s\n--- source ---\n%s", stage, backend.ErrCompile, log, b.String())
}

// Launch implements backend.Device.
func (d *Device) Launch(p backend.Program, out backend.Buffer, inputs []backend.Buffer) error {
	prog, ok := p.(*program)
	if !ok {
		return fmt.Errorf("gl: program %T: %w", p, backend.ErrLaunch)
	}
	bufs := make([]*Buffer, 0, 1+len(inputs))
	for _, b := range append([]backend.Buffer{out}, inputs...) {
		gb, err := d.buffer(b)
		if err != nil {
			return err
		}
		bufs = append(bufs, gb)
	}
	want := prog.params
	if prog.flag {
		want--
	}
	if len(bufs) != want {
		return fmt.Errorf("gl: program takes %d buffers, got %d: %w", want, len(bufs), backend.ErrLaunch)
	}
	var flag [codegen.GatherFlag]int32
	var glErr uint32
	d.th.do(func() {
		for gl.GetError() != gl.NO_ERROR {
		}
		gl.UseProgram(prog.id)
		for i, b := range bufs {
			gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, uint32(i), b.id)
		}
		if prog.flag {
			gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, d.flag)
			gl.BufferSubData(gl.SHADER_STORAGE_BUFFER, 0, 4*len(flag), unsafe.Pointer(&flag[0]))
			gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, uint32(len(bufs)), d.flag)
		}
		gl.DispatchCompute(uint32(prog.groups[0]), uint32(prog.groups[1]), uint32(prog.groups[2]))
		gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT | gl.BUFFER_UPDATE_BARRIER_BIT)
		if prog.flag {
			gl.GetBufferSubData(gl.SHADER_STORAGE_BUFFER, 0, 4*len(flag), unsafe.Pointer(&flag[0]))
			gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, 0)
		}
		gl.UseProgram(0)
		glErr = gl.GetError()
	})
	if glErr != gl.NO_ERROR {
		return fmt.Errorf("gl: dispatch %v: GL error 0x%x: %w", prog.groups, glErr, backend.ErrLaunch)
	}
	if flag[0] != 0 {
		return fmt.Errorf("gather: index %d out of range %s: %w", flag[1], prog.where, graph.ErrShape)
	}
	return nil
}

// Synchronize implements backend.Device.
func (d *Device) Synchronize() error {
	d.th.do(func() { gl.Finish() })
	return nil
}

// Time implements backend.Device with GL_TIMESTAMP queries around fn.
func (d *Device) Time(fn func() error) (time.Duration, error) {
	var q [2]uint32
	var bits int32
	d.th.do(func() {
		gl.GetQueryiv(gl.TIMESTAMP, gl.QUERY_COUNTER_BITS, &bits)
		if bits == 0 {
			return
		}
		gl.GenQueries(2, &q[0])
		d.objects.queries.Add(2)
		gl.QueryCounter(q[0], gl.TIMESTAMP)
	})
	if bits == 0 {
		t0 := time.Now()
		err := fn()
		if serr := d.Synchronize(); err == nil {
			err = serr
		}
		return time.Since(t0), err
	}
	err := fn()
	var t0, t1 uint64
	d.th.do(func() {
		gl.QueryCounter(q[1], gl.TIMESTAMP)
		gl.GetQueryObjectui64v(q[0], gl.QUERY_RESULT, &t0)
		gl.GetQueryObjectui64v(q[1], gl.QUERY_RESULT, &t1)
		gl.DeleteQueries(2, &q[0])
		d.objects.queries.Add(-2)
	})
	return time.Duration(t1 - t0), err
}

// isSoftware reports whether a GL renderer string names a rasterizer that runs on the CPU.
func isSoftware(renderer string) bool {
	r := strings.ToLower(renderer)
	for _, sw := range []string{"llvmpipe", "softpipe", "swrast", "swiftshader", "lavapipe"} {
		if strings.Contains(r, sw) {
			return true
		}
	}
	return false
}

package backend_cuda

// The CUDA emulator: generated CUDA C++ compiled by g++ as host code against the headers of
// testdata/emu (see xb_emu.h there for the execution model) and run out of process, so
// that kernels execute on a machine without an Nvidia GPU and a kernel that crashes fails
// its test instead of the test binary.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/backend/backendtest"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/internal/half"
)

// Emulator modes of cp.async: copies land when issued, or only when waited for.
const (
	emuEager    = "eager"
	emuDeferred = "deferred"
)

// emuFlags compile an emulated kernel. -fwrapv and -fno-strict-aliasing give the C++ the
// meaning CUDA gives it on the device: integers wrap, and buffers are read through vector
// types and fragments through unsigned.
var emuFlags = []string{"-std=c++17", "-O1", "-w", "-fwrapv", "-fno-strict-aliasing"}

// emuBatch is the number of kernels built into one executable: the headers are parsed,
// the launcher compiled and g++ started once for all of them (about a second, against some
// 30 ms a kernel).
const emuBatch = 128

// emuTimeout bounds one run of the emulator; deadlocks are detected, endless loops are not.
const emuTimeout = 2 * time.Minute

// emuCompiler returns the path of g++ or skips the test; under CI=true a missing compiler
// is a failure.
func emuCompiler(t testing.TB) string {
	t.Helper()
	gxx, err := exec.LookPath("g++")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no g++ under CI: %v", err)
		}
		t.Skipf("no g++: %v", err)
	}
	return gxx
}

// emuExe is one kernel built into an executable (alone or in a batch); done is closed
// when the build has finished.
type emuExe struct {
	done   chan struct{}
	path   string
	kernel string
	err    error
}

// emu is the build cache of the test binary: executables by source hash, in a temporary
// directory that TestMain removes.
var emu struct {
	once    sync.Once
	dir     string
	dirErr  error
	headers string
	static  bool // g++ links static executables
	mu      sync.Mutex
	exes    map[[32]byte]*emuExe
	seq     atomic.Int64
}

func TestMain(m *testing.M) {
	// The tests' kernel images (and their children's) go to a directory of their own, not
	// to the user's cache.
	cache, err := os.MkdirTemp("", "crossbar-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Setenv(autotune.EnvCacheDir, cache)
	code := m.Run()
	if emu.dir != "" {
		os.RemoveAll(emu.dir)
	}
	os.RemoveAll(cache)
	os.Exit(code)
}

// emuWorkDir makes the build directory once, and finds out whether gxx links static
// executables there.
func emuWorkDir(gxx string) (string, error) {
	emu.once.Do(func() {
		emu.exes = map[[32]byte]*emuExe{}
		if emu.headers, emu.dirErr = filepath.Abs(filepath.Join("testdata", "emu")); emu.dirErr != nil {
			return
		}
		if emu.dir, emu.dirErr = os.MkdirTemp("", "crossbar-emu-"); emu.dirErr != nil {
			return
		}
		emu.static = emuLinksStatic(gxx, emu.dir)
	})
	return emu.dir, emu.dirErr
}

// emuLinksStatic reports whether gxx links a static C++ executable in dir (it needs the C
// and C++ libraries' archives). Such an executable starts in about half the time of one
// that loads them, and the emulator starts one a kernel launch.
func emuLinksStatic(gxx, dir string) bool {
	src := filepath.Join(dir, "static.cc")
	if err := os.WriteFile(src, []byte("#include <vector>\nint main() { return std::vector<int>(1)[0]; }\n"), 0o644); err != nil {
		return false
	}
	exe := filepath.Join(dir, "static")
	if exec.Command(gxx, "-static", "-o", exe, src).Run() != nil {
		return false
	}
	return exec.Command(exe).Run() == nil
}

// emuBuild builds every source of srcs that is not built yet, emuBatch of them per
// executable, on one goroutine per CPU. A batch that fails is built again kernel by kernel,
// so that an error shows the one kernel's compiler log. name is the kernel's name in each
// source. It returns the number of times it ran g++.
func emuBuild(gxx string, srcs []string, name string) (int, error) {
	dir, err := emuWorkDir(gxx)
	if err != nil {
		return 0, err
	}
	var todo []*emuExe
	var todoSrc []string
	emu.mu.Lock()
	for _, s := range srcs {
		h := sha256.Sum256([]byte(s))
		if emu.exes[h] == nil {
			e := &emuExe{done: make(chan struct{})}
			emu.exes[h] = e
			todo = append(todo, e)
			todoSrc = append(todoSrc, s)
		}
	}
	emu.mu.Unlock()
	var batches [][2]int
	for i := 0; i < len(todo); i += emuBatch {
		batches = append(batches, [2]int{i, min(i+emuBatch, len(todo))})
	}
	var wg sync.WaitGroup
	var next, runs atomic.Int64
	for range max(runtime.NumCPU(), 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(batches) {
					return
				}
				lo, hi := batches[i][0], batches[i][1]
				path, names, err := emuLink(gxx, dir, todoSrc[lo:hi], name)
				runs.Add(1)
				for j := lo; j < hi; j++ {
					e := todo[j]
					if err == nil {
						e.path, e.kernel = path, names[j-lo]
					} else if hi-lo == 1 {
						e.err = err
					} else {
						e.path, names, e.err = emuLink(gxx, dir, todoSrc[j:j+1], name)
						runs.Add(1)
						if e.err == nil {
							e.kernel = names[0]
						}
					}
					close(e.done)
				}
			}
		}()
	}
	wg.Wait()
	return int(runs.Load()), nil
}

// emuLink writes srcs as one translation unit, each kernel in its own namespace under its
// own name, with the launcher, and compiles it. It returns the executable and the names of
// the kernels in it.
func emuLink(gxx, dir string, srcs []string, name string) (string, []string, error) {
	var unit strings.Builder
	var table strings.Builder
	names := make([]string, len(srcs))
	for i, s := range srcs {
		names[i] = fmt.Sprintf("kernel%d", i)
		fmt.Fprintf(&unit, "namespace xb%d {\n%s}\n", i, renameKernel(s, name, names[i]))
		fmt.Fprintf(&table, " X(%s, xb%d::%s)", names[i], i, names[i])
	}
	fmt.Fprintf(&unit, "#define XB_KERNELS%s\n#include \"xb_emu_main.h\"\n", table.String())
	base := filepath.Join(dir, fmt.Sprintf("k%d", emu.seq.Add(1)))
	if err := os.WriteFile(base+".cc", []byte(unit.String()), 0o644); err != nil {
		return "", nil, err
	}
	args := append([]string(nil), emuFlags...)
	if emu.static {
		args = append(args, "-static")
	}
	args = append(args, "-I", emu.headers, "-include", "xb_emu.h", "-o", base, base+".cc")
	out, err := exec.Command(gxx, args...).CombinedOutput()
	if err != nil {
		if len(srcs) == 1 {
			return "", nil, fmt.Errorf("g++ %s: %v\n%s\nsource:\n%s", strings.Join(args, " "), err, out, numbered(srcs[0]))
		}
		return "", nil, fmt.Errorf("g++: %v", err)
	}
	return base, names, nil
}

func numbered(src string) string {
	var b strings.Builder
	for i, l := range strings.Split(src, "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, l)
	}
	return b.String()
}

// emuLaunch is how a kernel is run: its grid and block (zeros mean 1) and the mode of
// cp.async.
type emuLaunch struct {
	groups, local [3]int
	mode          string
	timeout       time.Duration // 0: emuTimeout
}

// emulateSource runs the kernel called name in src (CUDA C++) in the emulator. params hold
// the bytes of the kernel's buffers in the order it declares them; those of the buffers it
// may write are replaced by what it wrote.
func emulateSource(t testing.TB, src, name string, l emuLaunch, params [][]byte) error {
	t.Helper()
	gxx := emuCompiler(t)
	// The build cache's map and directory are made once, by emuWorkDir: every reader of
	// them goes through it first, which orders the reads after the making.
	if _, err := emuWorkDir(gxx); err != nil {
		return err
	}
	h := sha256.Sum256([]byte(src))
	emu.mu.Lock()
	e := emu.exes[h]
	emu.mu.Unlock()
	if e == nil {
		if _, err := emuBuild(gxx, []string{src}, name); err != nil {
			return err
		}
		emu.mu.Lock()
		e = emu.exes[h]
		emu.mu.Unlock()
	}
	<-e.done
	if e.err != nil {
		return e.err
	}
	run, err := os.MkdirTemp(emu.dir, "run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(run)
	dims := func(d [3]int) string { return fmt.Sprintf("%d,%d,%d", max(d[0], 1), max(d[1], 1), max(d[2], 1)) }
	args := []string{"-kernel", e.kernel, "-grid", dims(l.groups), "-block", dims(l.local), "-mode", l.mode}
	files := make([]string, len(params))
	for i, p := range params {
		files[i] = filepath.Join(run, fmt.Sprintf("p%d", i))
		if err := os.WriteFile(files[i], p, 0o644); err != nil {
			return err
		}
	}
	timeout := l.timeout
	if timeout == 0 {
		timeout = emuTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, e.path, append(args, files...)...)
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w after %v", ctx.Err(), timeout)
		}
		return fmt.Errorf("emulator, %s mode, grid %v block %v: %v: %s", l.mode, l.groups, l.local, err,
			strings.TrimSpace(stderr.String()))
	}
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if len(b) != len(params[i]) {
			return fmt.Errorf("emulator: parameter %d came back with %d bytes, not %d", i, len(b), len(params[i]))
		}
		copy(params[i], b)
	}
	return nil
}

// emulate renders p in the CUDA dialect and runs it in the emulator with p's launch
// dimensions; params are as for emulateSource (p.Params order). The tensor maps of
// p.TensorMaps follow them, as the emulator's maps of the same buffers; like a device, it
// refuses maps that cuTensorMapEncodeTiled would.
func emulate(t testing.TB, p *codegen.Program, mode string, params [][]byte) error {
	t.Helper()
	src, err := codegen.Render(p, codegen.CUDA{})
	if err != nil {
		return err
	}
	if len(params) != len(p.Params) {
		return fmt.Errorf("emulate %s: %d parameters, %d buffers", p.Name, len(p.Params), len(params))
	}
	all := params[:len(params):len(params)]
	for i, m := range p.TensorMaps {
		if err := m.Check(); err != nil {
			return fmt.Errorf("emulate %s: tensor map %d: %v", p.Name, i, err)
		}
		size := m.DType.Size()
		all = append(all, emuTensorMapBytes(m.Param, m.Offset*size, size, m.Swizzle, m.Dims, m.Box, m.Strides))
	}
	return emulateSource(t, src, p.Name, emuLaunch{groups: p.Groups, local: p.Local, mode: mode}, all)
}

// ---- the emulated device of the conformance suite

// emuDevice is the CPU device whose Compile lowers every kernel that selects picks for a
// typical sm_80 device and runs it, rendered in the CUDA dialect, in the emulator; every
// other kernel runs on the CPU. With collect set it only hands each selected kernel's
// source to collect and runs everything on the CPU, so that a first pass can find every
// kernel a second pass will emulate and build them all at once.
type emuDevice struct {
	backend.Device
	t       testing.TB
	name    string
	arch    Arch
	selects func(k *graph.Kernel) bool
	// only, if set, keeps to the emulator just the selected kernels whose source has it.
	only    string
	opts    codegen.Options // the device's options (optionsFor fills in the rest)
	collect func(src string)
	// counters
	emulated, launches atomic.Int64
}

// emuProgram is a kernel the emulator runs, in each of modes.
type emuProgram struct {
	p     *codegen.Program
	src   string
	modes []string
}

func (d *emuDevice) Name() string { return d.name }

func (d *emuDevice) Capabilities() backend.Capabilities {
	c := d.Device.Capabilities()
	c.DTypes = append([]graph.DType(nil), dtypes...)
	// The named patterns a CUDA device computes, and no others: running sums are then
	// built of the kernels a CUDA device gets.
	c.CumSum = false
	return c
}

func (d *emuDevice) Compile(k *graph.Kernel) (backend.Program, error) {
	if !d.selects(k) {
		return d.Device.Compile(k)
	}
	p, err := codegen.Lower(k, d.arch.Target(), optionsFor(k, d.arch, d.opts))
	if errors.Is(err, backend.ErrUnsupported) {
		return d.Device.Compile(k)
	}
	if err != nil {
		return nil, err
	}
	src, err := codegen.Render(p, codegen.CUDA{})
	if err != nil {
		return nil, err
	}
	if d.only != "" && !strings.Contains(src, d.only) {
		return d.Device.Compile(k)
	}
	if d.collect != nil {
		d.collect(src)
		return d.Device.Compile(k)
	}
	d.emulated.Add(1)
	modes := []string{emuEager}
	// Matrix products, kernels with asynchronous copies and those that workgroups share
	// through the workspace run in both modes.
	if (k.Core != nil && k.Core.Op == graph.OpContract) || strings.Contains(src, "xb_cp_async") || p.Split.Counters > 0 {
		modes = append(modes, emuDeferred)
	}
	return &emuProgram{p: p, src: src, modes: modes}, nil
}

func (d *emuDevice) Launch(prog backend.Program, out backend.Buffer, inputs []backend.Buffer) error {
	ep, ok := prog.(*emuProgram)
	if !ok {
		return d.Device.Launch(prog, out, inputs)
	}
	d.launches.Add(1)
	bufs := append([]backend.Buffer{out}, inputs...)
	want := len(ep.p.Params)
	if ep.p.ErrorFlag {
		want--
	}
	split := ep.p.Split.Counters > 0
	if split {
		want -= 2
	}
	if len(bufs) != want {
		return fmt.Errorf("emulator: program takes %d buffers, got %d: %w", want, len(bufs), backend.ErrLaunch)
	}
	host := make([][]byte, len(bufs))
	for i, b := range bufs {
		host[i] = make([]byte, b.Len()*b.DType().Size())
		if err := d.Device.CopyOut(host[i], b); err != nil {
			return err
		}
	}
	var result [][]byte
	for _, mode := range ep.modes {
		params := make([][]byte, len(host))
		for i := range host {
			params[i] = bytes.Clone(host[i])
		}
		if ep.p.ErrorFlag {
			params = append(params, make([]byte, 4*codegen.GatherFlag))
		}
		if split {
			// Counters zero, partials poison (NaN): a partial tile read before it was
			// written shows in the result.
			params = append(params, make([]byte, 4*ep.p.Split.Counters), bytes.Repeat([]byte{0xff}, 4*ep.p.Split.Partials))
		}
		if err := emulate(d.t, ep.p, mode, params); err != nil {
			return fmt.Errorf("%w\n%s", err, numbered(ep.src))
		}
		if split {
			if c := params[len(host)]; !bytes.Equal(c, make([]byte, len(c))) {
				return fmt.Errorf("emulator, %s mode: the split left counters that are not zero for the next launch\n%s", mode, numbered(ep.src))
			}
		}
		if result == nil {
			result = params
			continue
		}
		if !bytes.Equal(result[0], params[0]) {
			return fmt.Errorf("emulator: the output of %s mode differs from %s mode's\n%s", mode, ep.modes[0], numbered(ep.src))
		}
	}
	if ep.p.ErrorFlag {
		flag := result[len(result)-1]
		if v := int32(uint32(flag[0]) | uint32(flag[1])<<8 | uint32(flag[2])<<16 | uint32(flag[3])<<24); v != 0 {
			return fmt.Errorf("gather: index out of range (emulated): %w", graph.ErrShape)
		}
	}
	return d.Device.CopyIn(out, result[0])
}

// ---- self-tests of the emulator, with hand-written kernels

// emuKernel runs the kernel "kernel" of src in the emulator, failing the test on an error.
func emuKernel(t *testing.T, src string, l emuLaunch, params ...[]byte) {
	t.Helper()
	if err := emulateSource(t, src, "kernel", l, params); err != nil {
		t.Fatal(err)
	}
}

func int32s(b []byte) []int32 {
	out := make([]int32, len(b)/4)
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func float32s(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func float32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func uint16Bytes(v []uint16) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	return b
}

// TestEmuBarrierShared checks __syncthreads and shared memory across the warps of 3-D
// blocks, the launch coordinates of every thread, threads that exit before a barrier, and
// the poison in shared memory that a block did not write.
func TestEmuBarrierShared(t *testing.T) {
	emulatorTest(t)
	const src = `extern "C" __global__ void kernel(int* out, int* poison) {
    __shared__ int s[256];
    __shared__ int untouched[4];
    const int tid = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    const int block = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
    int* o = out + (block * 256 + tid) * 3;
    o[0] = (threadIdx.x << 16) | (threadIdx.y << 8) | threadIdx.z;
    o[1] = (blockIdx.x << 16) | (blockIdx.y << 8) | blockIdx.z;
    if (tid >= 224) return; // the last warp leaves: the barriers wait for the others only
    s[tid] = tid * 3 + block;
    __syncthreads();
    int v = s[223 - tid];
    __syncthreads();
    const int w = v + s[(tid + 32) % 224];
    __syncthreads();
    s[tid] = w;
    __syncthreads();
    o[2] = s[(tid + 64) % 224];
    if (tid == 0) poison[block] = untouched[block % 4];
}
`
	out := make([]byte, 6*256*3*4)
	poison := make([]byte, 6*4)
	emuKernel(t, src, emuLaunch{groups: [3]int{3, 2, 1}, local: [3]int{8, 4, 8}, mode: emuEager}, out, poison)
	got := int32s(out)
	for block := range 6 {
		bx, by := block%3, block/3
		for tid := range 256 {
			x, y, z := tid%8, tid/8%4, tid/32
			o := got[(block*256+tid)*3:]
			if want := int32(x<<16 | y<<8 | z); o[0] != want {
				t.Fatalf("block %d thread %d: threadIdx %#x, want %#x", block, tid, o[0], want)
			}
			if want := int32(bx<<16 | by<<8); o[1] != want {
				t.Fatalf("block %d thread %d: blockIdx %#x, want %#x", block, tid, o[1], want)
			}
			if tid >= 224 {
				continue
			}
			s := func(i int) int32 { return int32(i*3 + block) }
			second := func(i int) int32 { return s(223-i) + s((i+32)%224) }
			if want := second((tid + 64) % 224); o[2] != want {
				t.Fatalf("block %d thread %d: %d after the barriers, want %d", block, tid, o[2], want)
			}
		}
	}
	for i, v := range int32s(poison) {
		if v != -1 {
			t.Errorf("block %d: shared memory not written reads %#x, want the poison 0xffffffff", i, v)
		}
	}
}

// TestEmuShuffles checks every shuffle for every type it moves, in two warps, against the
// lanes CUDA documents, widths 32 and 8.
func TestEmuShuffles(t *testing.T) {
	emulatorTest(t)
	const src = `template <class T> __device__ void shuffles(T* out, T v, int lane) {
    out[0] = __shfl_xor_sync(0xffffffffu, v, 5);
    out[1] = __shfl_down_sync(0xffffffffu, v, 3);
    out[2] = __shfl_up_sync(0xffffffffu, v, 3);
    out[3] = __shfl_sync(0xffffffffu, v, (lane * 7) % 32);
    out[4] = __shfl_down_sync(0xffffffffu, v, 1, 8);
    out[5] = __shfl_xor_sync(0xffffffffu, v, 12, 8);
}
extern "C" __global__ void kernel(int* i, unsigned* u, long long* ll, unsigned long long* ull, float* f, double* d) {
    const int tid = threadIdx.x, lane = tid % 32, n = 6;
    shuffles(i + tid * n, tid * 1000 - 7, lane);
    shuffles(u + tid * n, 0x80000000u + tid, lane);
    shuffles(ll + tid * n, ((long long)tid << 40) - tid, lane);
    shuffles(ull + tid * n, 0xf000000000000000ull + tid, lane);
    shuffles(f + tid * n, tid + 0.25f, lane);
    shuffles(d + tid * n, tid * 1e10 + 0.5, lane);
}
`
	const threads, n = 64, 6
	sizes := []int{4, 4, 8, 8, 4, 8}
	params := make([][]byte, len(sizes))
	for i, s := range sizes {
		params[i] = make([]byte, threads*n*s)
	}
	emuKernel(t, src, emuLaunch{groups: [3]int{1, 1, 1}, local: [3]int{threads, 1, 1}, mode: emuEager}, params...)
	// value is thread tid's value of type ty, as the bits the buffers hold.
	value := func(ty, tid int) uint64 {
		switch ty {
		case 0:
			return uint64(uint32(int32(tid*1000 - 7)))
		case 1:
			return uint64(0x80000000 + uint32(tid))
		case 2:
			return uint64(int64(tid)<<40 - int64(tid))
		case 3:
			return 0xf000000000000000 + uint64(tid)
		case 4:
			return uint64(math.Float32bits(float32(tid) + 0.25))
		}
		return math.Float64bits(float64(tid)*1e10 + 0.5)
	}
	for tid := range threads {
		lane, warp := tid%32, tid/32*32
		seg := lane &^ 7
		src := [n]int{lane ^ 5, lane, lane, lane * 7 % 32, lane, lane}
		if lane+3 < 32 {
			src[1] = lane + 3
		}
		if lane-3 >= 0 {
			src[2] = lane - 3
		}
		if lane+1 < seg+8 {
			src[4] = lane + 1
		}
		if lane^12 < seg+8 {
			src[5] = lane ^ 12
		}
		for ty, size := range sizes {
			for op := range n {
				b := params[ty][(tid*n+op)*size:]
				var got uint64
				if size == 4 {
					got = uint64(binary.LittleEndian.Uint32(b))
				} else {
					got = binary.LittleEndian.Uint64(b)
				}
				if want := value(ty, warp+src[op]); got != want {
					t.Errorf("type %d, shuffle %d, thread %d: %#x, want %#x (lane %d's)", ty, op, tid, got, want, src[op])
				}
			}
		}
	}
}

// TestEmuErrors checks that kernels that can never finish, or that write past a buffer,
// give an error naming the block, and that the timeout ends one that loops forever.
func TestEmuErrors(t *testing.T) {
	emulatorTest(t)
	for _, c := range []struct {
		name, body, want string
		timeout          time.Duration
	}{
		{"warp op with exited lanes", "if (lane < 16) return;\n    v = __shfl_xor_sync(0xffffffffu, v, 1);",
			"deadlock", 0},
		{"barrier against warp op", "if (lane < 16) __syncthreads(); else v = __shfl_xor_sync(0xffffffffu, v, 1);",
			"deadlock", 0},
		{"lanes at different warp ops", "if (lane < 16) v = __shfl_xor_sync(0xffffffffu, v, 1); else v = __shfl_down_sync(0xffffffffu, v, 1);",
			"other lanes of warp", 0},
		{"partial warp", "v = __shfl_xor_sync(0xffffffffu, v, 1);", "deadlock", 0},
		{"write past the buffer", "if (blockIdx.x == 1) out[64 + threadIdx.x] = v;", "block (1,0,0) thread (0,0,0): memory fault", 0},
		{"endless loop", "while (out[0] == 0) {}", "deadline exceeded", 2 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := "extern \"C\" __global__ void kernel(int* out) {\n    const int lane = threadIdx.x % 32;\n    int v = lane;\n    " +
				c.body + "\n    out[threadIdx.x] = v;\n}\n"
			threads := 64
			if c.name == "partial warp" {
				threads = 48
			}
			out := make([]byte, 4*threads)
			l := emuLaunch{groups: [3]int{2, 1, 1}, local: [3]int{threads, 1, 1}, mode: emuEager, timeout: c.timeout}
			if c.timeout == 0 {
				l.timeout = 30 * time.Second
			}
			err := emulateSource(t, src, "kernel", l, [][]byte{out})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error with %q", err, c.want)
			}
			if c.want == "deadlock" && !strings.Contains(err.Error(), "block (0,0,0)") {
				t.Errorf("the error does not name the block: %v", err)
			}
			t.Log(err)
		})
	}
}

// TestEmuHalfConversions compares the emulator's Float16 and BFloat16 conversions with
// package half's: every 16-bit pattern to float, and rounding of float32 values around
// every binade edge, ties, subnormals, overflow, Inf and NaN.
func TestEmuHalfConversions(t *testing.T) {
	emulatorTest(t)
	const src = `extern "C" __global__ void kernel(float* h2f, float* b2f, __half* f2h, __nv_bfloat16* f2b, const unsigned short* bits, const float* vals) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    __half h; h.x = bits[i];
    __nv_bfloat16 b; b.x = bits[i];
    h2f[i] = __half2float(h);
    b2f[i] = __bfloat162float(b);
    f2h[i] = __float2half_rn(vals[i]);
    f2b[i] = __float2bfloat16_rn(vals[i]);
}
`
	const n = 1 << 16
	bits := make([]uint16, n)
	vals := make([]float32, n)
	for i := range n {
		bits[i] = uint16(i)
	}
	// Values near the half and bfloat16 grid: exact points, midpoints (ties) and their
	// neighbours, for every exponent, plus specials.
	i := 0
	put := func(f float32) {
		if i < n {
			vals[i] = f
			i++
		}
	}
	for _, f := range []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), 65504, 65519.99, 65520, 65536, 1e-8, 2.9802322e-08, 2.98023259e-08, 5.9604645e-08} {
		put(f)
		put(-f)
	}
	for e := -30; e <= 17; e++ {
		for _, m := range []float64{1, 1 + 1.0/2048, 1 + 1.0/1024 + 1.0/2048, 1 + 3.0/2048, 1.5, 2 - 1.0/2048, 1 + 1.0/256, 1 + 3.0/512} {
			f := float32(math.Ldexp(m, e))
			for _, g := range []float32{f, math.Nextafter32(f, 0), math.Nextafter32(f, 2*f)} {
				put(g)
				put(-g)
			}
		}
	}
	for j := 0; i < n; j++ {
		put(math.Float32frombits(uint32(j) * 2654435761))
	}
	h2f, b2f := make([]byte, 4*n), make([]byte, 4*n)
	f2h, f2b := make([]byte, 2*n), make([]byte, 2*n)
	emuKernel(t, src, emuLaunch{groups: [3]int{n / 256, 1, 1}, local: [3]int{256, 1, 1}, mode: emuEager},
		h2f, b2f, f2h, f2b, uint16Bytes(bits), float32Bytes(vals))
	gotH, gotB := float32s(h2f), float32s(b2f)
	same := func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b }
	for i := range n {
		if want := half.Float16To(uint16(i)); !same(gotH[i], want) {
			t.Fatalf("__half2float(%#04x) = %v, want %v", i, gotH[i], want)
		}
		if want := half.BFloat16To(uint16(i)); !same(gotB[i], want) {
			t.Fatalf("__bfloat162float(%#04x) = %v, want %v", i, gotB[i], want)
		}
		v := vals[i]
		gh := binary.LittleEndian.Uint16(f2h[2*i:])
		if want := half.Float16From(v); gh != want && !(v != v && gh&0x7c00 == 0x7c00 && gh&0x3ff != 0) {
			t.Fatalf("__float2half_rn(%g = %#08x) = %#04x, want %#04x", v, math.Float32bits(v), gh, want)
		}
		if got, want := binary.LittleEndian.Uint16(f2b[2*i:]), half.BFloat16From(v); got != want {
			t.Fatalf("__float2bfloat16_rn(%g) = %#04x, want %#04x", v, got, want)
		}
	}
}

// emuHalves returns n random values in [-2, 2) rounded to Float16 (or BFloat16), as bits
// and as float64.
func emuHalves(rng *rand.Rand, n int, bf16 bool) ([]uint16, []float64) {
	bits := make([]uint16, n)
	vals := make([]float64, n)
	for i := range n {
		f := float32(rng.Float64()*4 - 2)
		if bf16 {
			bits[i] = half.BFloat16From(f)
			vals[i] = float64(half.BFloat16To(bits[i]))
		} else {
			bits[i] = half.Float16From(f)
			vals[i] = float64(half.Float16To(bits[i]))
		}
	}
	return bits, vals
}

// checkProduct compares d (m x n, row-major) with c + a x b computed in float64 (a: m x k,
// b: k x n, both row-major), allowing for float accumulation.
func checkProduct(t *testing.T, what string, d []float32, a, b, c []float64, m, n, k int) {
	t.Helper()
	for i := range m {
		for j := range n {
			want, mag := c[i*n+j], math.Abs(c[i*n+j])
			for l := range k {
				p := a[i*k+l] * b[l*n+j]
				want += p
				mag += math.Abs(p)
			}
			if got := float64(d[i*n+j]); math.Abs(got-want) > 2e-6*mag+1e-30 {
				t.Fatalf("%s: D[%d][%d] = %v, want %v", what, i, j, got, want)
			}
		}
	}
}

// TestEmuMMA checks mma.m16n8k16 for f16 and bf16 with fragments that each lane loads
// from global memory as the PTX ISA lays them out, in two warps of two blocks.
func TestEmuMMA(t *testing.T) {
	emulatorTest(t)
	const src = `__device__ unsigned pair(unsigned short lo, unsigned short hi) { return (unsigned)lo | (unsigned)hi << 16; }
extern "C" __global__ void kernel(float* d, const unsigned short* a, const unsigned short* b, const float* c) {
    const int lane = threadIdx.x % 32, problem = blockIdx.x * 2 + threadIdx.x / 32;
    const int g = lane >> 2, t = lane & 3;
    a += problem * 256;
    b += problem * 128;
    c += problem * 128;
    d += problem * 128;
    // A is 16x16 row-major, B 16x8 row-major (k, n), C and D 16x8 row-major.
    const unsigned ra[4] = {pair(a[g * 16 + 2 * t], a[g * 16 + 2 * t + 1]),
        pair(a[(g + 8) * 16 + 2 * t], a[(g + 8) * 16 + 2 * t + 1]),
        pair(a[g * 16 + 2 * t + 8], a[g * 16 + 2 * t + 9]),
        pair(a[(g + 8) * 16 + 2 * t + 8], a[(g + 8) * 16 + 2 * t + 9])};
    const unsigned rb[2] = {pair(b[2 * t * 8 + g], b[(2 * t + 1) * 8 + g]), pair(b[(2 * t + 8) * 8 + g], b[(2 * t + 9) * 8 + g])};
    float acc[4] = {c[g * 8 + 2 * t], c[g * 8 + 2 * t + 1], c[(g + 8) * 8 + 2 * t], c[(g + 8) * 8 + 2 * t + 1]};
    MMA(acc, ra, rb);
    d[g * 8 + 2 * t] = acc[0];
    d[g * 8 + 2 * t + 1] = acc[1];
    d[(g + 8) * 8 + 2 * t] = acc[2];
    d[(g + 8) * 8 + 2 * t + 1] = acc[3];
}
`
	for _, bf16 := range []bool{false, true} {
		name, mma := "f16", "xb_mma_f16"
		if bf16 {
			name, mma = "bf16", "xb_mma_bf16"
		}
		t.Run(name, func(t *testing.T) {
			const problems = 4
			rng := rand.New(rand.NewPCG(1, 2))
			ab, av := emuHalves(rng, problems*256, bf16)
			bb, bv := emuHalves(rng, problems*128, bf16)
			cv := make([]float32, problems*128)
			c64 := make([]float64, len(cv))
			for i := range cv {
				cv[i] = float32(rng.Float64()*8 - 4)
				c64[i] = float64(cv[i])
			}
			d := make([]byte, 4*problems*128)
			emuKernel(t, "#define MMA "+mma+"\n"+src, emuLaunch{groups: [3]int{2, 1, 1}, local: [3]int{64, 1, 1}, mode: emuEager},
				d, uint16Bytes(ab), uint16Bytes(bb), float32Bytes(cv))
			got := float32s(d)
			for p := range problems {
				checkProduct(t, fmt.Sprintf("problem %d", p), got[p*128:], av[p*256:], bv[p*128:], c64[p*128:], 16, 8, 16)
			}
		})
	}
}

// TestEmuLdmatrix checks ldmatrix.x4 and .x4.trans on four 8x8 matrices whose rows lie
// 32 bytes apart in shared memory: lane l receives, of matrix i, the elements (l/4,
// 2*(l%4)+{0,1}), or with .trans (2*(l%4)+{0,1}, l/4), the first in the low half.
func TestEmuLdmatrix(t *testing.T) {
	emulatorTest(t)
	const src = `extern "C" __global__ void kernel(unsigned* plain, unsigned* trans) {
    __shared__ __align__(16) unsigned short tile[4][8][16];
    const int lane = threadIdx.x;
    for (int i = lane; i < 4 * 8 * 16; i += 32) tile[i / 128][i / 16 % 8][i % 16] = (unsigned short)(i / 128 * 64 + i / 16 % 8 * 8 + i % 16 + 1);
    __syncthreads();
    unsigned r[4];
    xb_ldmatrix_x4(r, &tile[lane / 8][lane % 8][0]);
    for (int i = 0; i < 4; i++) plain[lane * 4 + i] = r[i];
    xb_ldmatrix_x4_trans(r, &tile[lane / 8][lane % 8][0]);
    for (int i = 0; i < 4; i++) trans[lane * 4 + i] = r[i];
}
`
	plain, trans := make([]byte, 4*128), make([]byte, 4*128)
	emuKernel(t, src, emuLaunch{groups: [3]int{1, 1, 1}, local: [3]int{32, 1, 1}, mode: emuEager}, plain, trans)
	elem := func(m, r, c int) uint32 { return uint32(m*64 + r*8 + c + 1) }
	gp, gt := int32s(plain), int32s(trans)
	for l := range 32 {
		for i := range 4 {
			if want := elem(i, l/4, 2*(l%4)) | elem(i, l/4, 2*(l%4)+1)<<16; uint32(gp[l*4+i]) != want {
				t.Errorf("ldmatrix.x4: lane %d, matrix %d: %#08x, want %#08x", l, i, uint32(gp[l*4+i]), want)
			}
			if want := elem(i, 2*(l%4), l/4) | elem(i, 2*(l%4)+1, l/4)<<16; uint32(gt[l*4+i]) != want {
				t.Errorf("ldmatrix.x4.trans: lane %d, matrix %d: %#08x, want %#08x", l, i, uint32(gt[l*4+i]), want)
			}
		}
	}
}

// TestEmuLdmatrixMMA multiplies 16x16 matrices the way tensor-core GEMMs do: A row-major
// in shared memory through ldmatrix.x4 (its four matrices are the A fragment's registers),
// B row-major (k, n) through ldmatrix.x4.trans (the B fragments of two n8 tiles), two
// mma.m16n8k16. That the two documented layouts compose to the product checks both.
func TestEmuLdmatrixMMA(t *testing.T) {
	emulatorTest(t)
	const src = `extern "C" __global__ void kernel(float* d, const unsigned short* a, const unsigned short* b) {
    __shared__ __align__(16) unsigned short sa[16][24];
    __shared__ __align__(16) unsigned short sb[16][24];
    const int lane = threadIdx.x, g = lane >> 2, t = lane & 3;
    for (int i = lane; i < 256; i += 32) {
        sa[i / 16][i % 16] = a[i];
        sb[i / 16][i % 16] = b[i];
    }
    __syncthreads();
    unsigned ra[4], rb[4];
    xb_ldmatrix_x4(ra, &sa[lane % 16][lane / 16 * 8]);
    xb_ldmatrix_x4_trans(rb, &sb[lane % 16][lane / 16 * 8]);
    for (int j = 0; j < 2; j++) {
        float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        MMA(acc, ra, rb + 2 * j);
        d[g * 16 + j * 8 + 2 * t] = acc[0];
        d[g * 16 + j * 8 + 2 * t + 1] = acc[1];
        d[(g + 8) * 16 + j * 8 + 2 * t] = acc[2];
        d[(g + 8) * 16 + j * 8 + 2 * t + 1] = acc[3];
    }
}
`
	for _, bf16 := range []bool{false, true} {
		name, mma := "f16", "xb_mma_f16"
		if bf16 {
			name, mma = "bf16", "xb_mma_bf16"
		}
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			ab, av := emuHalves(rng, 256, bf16)
			bb, bv := emuHalves(rng, 256, bf16)
			d := make([]byte, 4*256)
			emuKernel(t, "#define MMA "+mma+"\n"+src, emuLaunch{groups: [3]int{1, 1, 1}, local: [3]int{32, 1, 1}, mode: emuEager},
				d, uint16Bytes(ab), uint16Bytes(bb))
			checkProduct(t, name, float32s(d), av, bv, make([]float64, 256), 16, 16, 16)
		})
	}
}

// TestEmuWarpgroupMMA checks wgmma.m64n128k16 on a 64x64 A and a 64x128 B copied into
// shared memory with cp.async in the 128-byte swizzled layouts, each operand K-major or
// MN-major, four MMAs along K with the descriptors' start addresses stepped through the
// tiles: that the layouts as written here, the descriptors and the emulator's decoding of
// them by the PTX ISA's canonical layouts agree gives the product. Then the mistakes the
// emulator must catch: a missing fence.proxy.async or wgmma.fence fails the run; reading
// the accumulators before the wait gives wrong results in eager mode (where the products
// run at the wait).
func TestEmuWarpgroupMMA(t *testing.T) {
	emulatorTest(t)
	const src = `extern "C" __global__ void kernel(float* d, const unsigned short* a, const unsigned short* b) {
    __shared__ __align__(1024) unsigned short sa[64 * 64];
    __shared__ __align__(1024) unsigned short sb[128 * 64];
    const int tid = threadIdx.x, w = tid / 32, l = tid % 32;
    // Chunk i (8 values) of A: K-major, a is (m, k) row-major and row m of the tile is
    // 128 bytes with chunk c at c ^ (m % 8); MN-major, a is (k, m) and row k is 128 bytes
    // of M. B alike: K-major, b is (n, k); MN-major, b is (k, n) and the tile two atoms of
    // 64 n, each 64 rows of 128 bytes.
    for (int i = tid; i < 512; i += 128) {
        const int r = i / 8, c = i % 8;
        xb_cp_async16((char*)sa + r * 128 + ((c ^ (r % 8)) * 16), a + r * 64 + c * 8, 16);
    }
    for (int i = tid; i < 1024; i += 128) {
#if B_MN
        const int r = i / 16, c = i % 16;
        xb_cp_async16((char*)sb + (c / 8) * 8192 + r * 128 + (((c % 8) ^ (r % 8)) * 16), b + r * 128 + c * 8, 16);
#else
        const int r = i / 8, c = i % 8;
        xb_cp_async16((char*)sb + r * 128 + ((c ^ (r % 8)) * 16), b + r * 64 + c * 8, 16);
#endif
    }
    xb_cp_async_commit();
    xb_cp_async_wait<0>();
    PROXY_FENCE;
    __syncthreads();
    float acc[64];
    for (int i = 0; i < 64; i++) acc[i] = 0.0f;
    WG_FENCE;
    for (int s = 0; s < 4; s++) {
        const unsigned ka = A_MN ? s * 16 * 128 : s * 32, kb = B_MN ? s * 16 * 128 : s * 32;
        const unsigned long long da = xb_wgmma_desc(xb_smem_addr(sa) + ka, A_MN ? 8192 : 16, 1024, 1);
        const unsigned long long db = xb_wgmma_desc(xb_smem_addr(sb) + kb, B_MN ? 8192 : 16, 1024, 1);
        MMA<A_MN, B_MN>(acc, da, db);
    }
    xb_wgmma_commit();
    float out[64];
    READ(0);
    xb_wgmma_wait<0, 64>(acc);
    READ(1);
    for (int i = 0; i < 64; i++) d[(16 * w + l / 4 + 8 * ((i / 2) % 2)) * 128 + 8 * (i / 4) + 2 * (l % 4) + i % 2] = out[i];
}
`
	rng := rand.New(rand.NewPCG(5, 6))
	for _, bf16 := range []bool{false, true} {
		ab, av := emuHalves(rng, 64*64, bf16)  // (m, k)
		bb, bv := emuHalves(rng, 64*128, bf16) // (k, n)
		transpose := func(x []uint16, rows, cols int) []uint16 {
			y := make([]uint16, len(x))
			for r := range rows {
				for c := range cols {
					y[c*rows+r] = x[r*cols+c]
				}
			}
			return y
		}
		mma := "xb_wgmma_m64n128_f16"
		if bf16 {
			mma = "xb_wgmma_m64n128_bf16"
		}
		for _, c := range []struct {
			name      string
			aMN, bMN  bool
			defs      string
			wrongIn   string // the mode that must give wrong results
			failsWith string // what the emulator must fail with
		}{
			{name: "A K-major, B MN-major", bMN: true},
			{name: "A MN-major, B K-major", aMN: true},
			{name: "both K-major"},
			{name: "both MN-major", aMN: true, bMN: true},
			{name: "no fence.proxy.async", bMN: true, defs: "#define PROXY_FENCE (void)0\n", failsWith: "did not fence.proxy.async"},
			{name: "no wgmma.fence", bMN: true, defs: "#define WG_FENCE (void)0\n", failsWith: "without a wgmma.fence"},
			{name: "read before the wait", bMN: true, defs: "#define READ(after) if (!(after)) for (int i = 0; i < 64; i++) out[i] = acc[i]\n",
				wrongIn: emuEager},
		} {
			defs := fmt.Sprintf("#define A_MN %d\n#define B_MN %d\n#define MMA %s\n", b2i(c.aMN), b2i(c.bMN), mma) + c.defs
			for _, d := range []string{"PROXY_FENCE xb_fence_proxy_async()", "WG_FENCE xb_wgmma_fence()",
				"READ(after) if (after) for (int i = 0; i < 64; i++) out[i] = acc[i]"} {
				if name, _, _ := strings.Cut(d, " "); !strings.Contains(defs, "#define "+name+" ") {
					defs += "#define " + d + "\n"
				}
			}
			ga, gb := ab, transpose(bb, 64, 128) // K-major: (m, k) and (n, k)
			if c.aMN {
				ga = transpose(ab, 64, 64)
			}
			if c.bMN {
				gb = bb
			}
			for _, mode := range []string{emuEager, emuDeferred} {
				out := make([]byte, 4*64*128)
				err := emulateSource(t, defs+src, "kernel", emuLaunch{groups: [3]int{1, 1, 1}, local: [3]int{128, 1, 1}, mode: mode},
					[][]byte{out, uint16Bytes(ga), uint16Bytes(gb)})
				what := fmt.Sprintf("bf16 %v, %s, %s mode", bf16, c.name, mode)
				if c.failsWith != "" {
					if err == nil || !strings.Contains(err.Error(), c.failsWith) {
						t.Errorf("%s: %v, want an error with %q", what, err, c.failsWith)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if c.wrongIn == mode {
					if got := float32s(out); got[0] != 0 || got[len(got)-1] != 0 {
						t.Errorf("%s: read the products before they were done", what)
					}
					continue
				}
				checkProduct(t, what, float32s(out), av, bv, make([]float64, 64*128), 64, 128, 64)
			}
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestEmuCpAsyncZeroFill checks that cp.async copies its bytes and zero-fills the rest of
// the 16, and that with 0 bytes it reads nothing (the source here is a null pointer).
func TestEmuCpAsyncZeroFill(t *testing.T) {
	emulatorTest(t)
	const src = `extern "C" __global__ void kernel(unsigned char* out, const unsigned char* in) {
    __shared__ __align__(16) unsigned char stage[32 * 16];
    const int tid = threadIdx.x;
    const unsigned bytes = tid % 17;
    stage[tid * 16 + 15] = 0x5a;
    xb_cp_async16(&stage[tid * 16], bytes == 0 ? (const void*)0 : in + tid * 16, bytes);
    xb_cp_async_commit();
    xb_cp_async_wait<0>();
    __syncthreads();
    for (int i = 0; i < 16; i++) out[tid * 16 + i] = stage[(31 - tid) * 16 + i];
}
`
	for _, mode := range []string{emuEager, emuDeferred} {
		in := make([]byte, 32*16)
		for i := range in {
			in[i] = byte(i%251 + 1)
		}
		out := make([]byte, len(in))
		emuKernel(t, src, emuLaunch{groups: [3]int{1, 1, 1}, local: [3]int{32, 1, 1}, mode: mode}, out, in)
		for tid := range 32 {
			from := 31 - tid
			for i := range 16 {
				want := byte(0)
				if i < from%17 {
					want = in[from*16+i]
				}
				if got := out[tid*16+i]; got != want {
					t.Fatalf("%s: thread %d's byte %d: %#x, want %#x", mode, from, i, got, want)
				}
			}
		}
	}
}

// TestEmuCpAsyncPipeline runs a double-buffered cp.async pipeline, correct and with two
// classic bugs, in both modes. Reading a stage without waiting for its group gives wrong
// results in deferred mode; issuing the next copy without the barrier that ends the reads
// of the stage it overwrites gives wrong results in eager mode. The correct kernel is right
// in both.
func TestEmuCpAsyncPipeline(t *testing.T) {
	emulatorTest(t)
	const src = `extern "C" __global__ void kernel(float* out, const float* in) {
    __shared__ __align__(16) float stage[2][256];
    const int tid = threadIdx.x, chunks = 8;
    xb_cp_async16(&stage[0][tid * 4], in + tid * 4, 16);
    xb_cp_async_commit();
    float acc = 0.0f;
    for (int c = 0; c < chunks; c++) {
        if (c + 1 < chunks) xb_cp_async16(&stage[(c + 1) % 2][tid * 4], in + (c + 1) * 256 + tid * 4, 16);
        xb_cp_async_commit();
        WAIT;
        __syncthreads();
        for (int j = 0; j < 4; j++) acc += stage[c % 2][(tid * 4 + 128 + j) % 256] * (float)(c + 1);
        END_OF_READS;
    }
    out[tid] = acc;
}
`
	const threads, chunks = 64, 8
	in := make([]float32, chunks*256)
	for i := range in {
		in[i] = float32(i%13 - 6)
	}
	want := make([]float32, threads)
	for tid := range threads {
		for c := range chunks {
			for j := range 4 {
				want[tid] += in[c*256+(tid*4+128+j)%256] * float32(c+1)
			}
		}
	}
	for _, c := range []struct {
		name, defs string
		wrongIn    string // the mode that must give wrong results, "" for none
	}{
		{"correct", "#define WAIT xb_cp_async_wait<1>()\n#define END_OF_READS __syncthreads()\n", ""},
		{"no wait", "#define WAIT (void)0\n#define END_OF_READS __syncthreads()\n", emuDeferred},
		{"no barrier after the reads", "#define WAIT xb_cp_async_wait<1>()\n#define END_OF_READS (void)0\n", emuEager},
	} {
		for _, mode := range []string{emuEager, emuDeferred} {
			out := make([]byte, 4*threads)
			emuKernel(t, c.defs+src, emuLaunch{groups: [3]int{1, 1, 1}, local: [3]int{threads, 1, 1}, mode: mode}, out, float32Bytes(in))
			got := float32s(out)
			bad := -1
			for i := range got {
				if got[i] != want[i] {
					bad = i
					break
				}
			}
			switch {
			case c.wrongIn == mode && bad < 0:
				t.Errorf("%s, %s mode: the results are right; the emulator missed the bug", c.name, mode)
			case c.wrongIn != mode && bad >= 0:
				t.Errorf("%s, %s mode: thread %d got %v, want %v", c.name, mode, bad, got[bad], want[bad])
			case bad >= 0:
				t.Logf("%s, %s mode: caught (thread %d got %v, want %v)", c.name, mode, bad, got[bad], want[bad])
			}
		}
	}
}

// emulatorTest begins a test of the emulator. Under -race it skips the test: the kernels
// it checks run as C++, which -race does not look into, and the Go around them is the
// conformance suite and the CPU device, which their own packages check under -race;
// scripts/test.sh's pass without -race (noasm) runs it. Otherwise the test runs in
// parallel with the other tests of the emulator, so that one's g++ builds and emulator
// processes overlap another's (two tests that launch through the executor take turns:
// it realizes one graph at a time).
func emulatorTest(t *testing.T) {
	t.Helper()
	if !compileAll {
		t.Skip("emulated C++: run without -race")
	}
	t.Parallel()
}

// TestEmuConformance runs the conformance suite on emuDevice: every kernel is lowered for
// sm_80 with the options a device would choose, rendered in the CUDA dialect and executed
// by the emulator, matrix products in both cp.async modes. A first pass through the suite
// collects the sources, which are then built in batches on every CPU, so that the second
// pass, the one that checks results, finds each executable ready.
func TestEmuConformance(t *testing.T) {
	emulatorTest(t)
	selects := func(k *graph.Kernel) bool { return true }
	// Two SMs, as in TestNVRTCCompilesEverything: the larger products take the large
	// SIMT tiles and the wide tensor-core tiles (in dynamic shared memory).
	arch := TypicalArch(80)
	arch.SMs = 2
	srcs := emuConformance(t, arch, selects, "")
	count := func(s string) int {
		n := 0
		for _, src := range srcs {
			if strings.Contains(src, s) {
				n++
			}
		}
		return n
	}
	t.Logf("%d on tensor cores, %d of them in dynamic shared memory; %d with warp shuffles; %d on the SIMT tiles in pieces; %d softmaxes or layer norms and %d argmaxes of a workgroup a row",
		count("xb_mma_"), count("extern __shared__"), count("__shfl_xor_sync"), count("in pieces of 4x4"), count("linestat"), count("argplace"))
	for _, s := range []string{"xb_mma_", "extern __shared__", "__shfl_xor_sync", "in pieces of 4x4", "linestat", "argplace"} {
		if count(s) == 0 {
			t.Errorf("the suite emulated no kernel with %q", s)
		}
	}
}

// TestEmuConformanceSplitK runs the conformance suite's matrix products that split K on a
// device of an H200's 132 SMs (those with K long enough: the suite's products have few
// tiles) in the emulator, in both modes: the second runs the blocks in reverse order.
func TestEmuConformanceSplitK(t *testing.T) {
	emulatorTest(t)
	arch := TypicalArch(80)
	arch.SMs = 132
	products := func(k *graph.Kernel) bool { return k.Core != nil && k.Core.Op == graph.OpContract }
	srcs := emuConformance(t, arch, products, "// split K:")
	tc := 0
	for _, src := range srcs {
		if strings.Contains(src, "xb_mma_") {
			tc++
		}
	}
	t.Logf("%d products with K split, %d of them on tensor cores", len(srcs), tc)
	if len(srcs) == 0 || tc == 0 {
		t.Errorf("the suite split K in %d products, %d on tensor cores", len(srcs), tc)
	}
}

// TestEmuConformanceWarpgroup runs the conformance suite's matrix products that an sm_90a
// device (two SMs) gives to the warpgroup template in the emulator, in both modes: with
// tiles copied by every thread, and with tensor copies (TMA).
func TestEmuConformanceWarpgroup(t *testing.T) {
	emulatorTest(t)
	for _, tma := range []bool{false, true} {
		t.Run(fmt.Sprintf("tma=%v", tma), func(t *testing.T) {
			arch := TypicalArch(90)
			arch.SMs = 2
			arch.WarpgroupMMA, arch.TensorMaps = true, tma
			products := func(k *graph.Kernel) bool { return k.Core != nil && k.Core.Op == graph.OpContract }
			srcs := emuConformance(t, arch, products, "wgmma.mma_async")
			// The operands' orientations, by the MMAs' imm-trans-a and imm-trans-b.
			trans := regexp.MustCompile(`xb_wgmma_m64n\d+_b?f16<(\d), (\d)>`)
			kinds := map[string]int{}
			loads := 0
			for _, src := range srcs {
				if m := trans.FindStringSubmatch(src); m != nil {
					kinds[m[1]+m[2]]++
				}
				if strings.Contains(src, "xb_tma_load_") {
					loads++
				}
			}
			t.Logf("operands K-major (0) or MN-major (1), A then B: %v; %d kernels with tensor copies", kinds, loads)
			if len(kinds) != 4 {
				t.Errorf("the suite's products on warpgroup MMAs take %d of the 4 orientations of A and B", len(kinds))
			}
			if (loads > 0) != tma {
				t.Errorf("%d kernels of %d with tensor copies", loads, len(srcs))
			}
		})
	}
}

// TestEmuConformanceReductions runs the conformance suite's reductions in the emulator with
// the column strategy forced on every one of them, whatever its layout (views, masks, every
// dtype and op), each shared among up to 4 workgroups where codegen can split it (in both
// orders): the suite's shapes rarely choose that strategy by themselves. (The group
// strategy, which they do choose, runs in TestEmuConformance.)
func TestEmuConformanceReductions(t *testing.T) {
	emulatorTest(t)
	arch := TypicalArch(90)
	arch.SMs = 2
	opts := codegen.Options{Reduce: codegen.ReduceColumns, ReduceSplit: 4}
	srcs := emuConformanceWith(t, arch, opts, "-columns-split4", reductions, " columns:")
	split := 0
	for _, src := range srcs {
		if strings.Contains(src, " elements a workgroup,") {
			split++
		}
	}
	t.Logf("%d reductions, %d of them split", len(srcs), split)
	if split == 0 {
		t.Errorf("none of the suite's %d reductions split", len(srcs))
	}
}

// emuConformance runs the conformance suite on an emuDevice for arch that emulates the
// kernels selects picks (whose source has only, if set), and returns their sources.
func emuConformance(t *testing.T, arch Arch, selects func(k *graph.Kernel) bool, only string) []string {
	return emuConformanceWith(t, arch, codegen.Options{}, "", selects, only)
}

// emuConformanceWith is emuConformance on a device with options opts, whose name (the
// executor's cache key) has tag.
func emuConformanceWith(t *testing.T, arch Arch, opts codegen.Options, tag string, selects func(k *graph.Kernel) bool, only string) []string {
	return emuRun(t, arch, opts, tag, selects, only, func(t *testing.T, dev backend.Device) { backendtest.Run(t, dev) })
}

// emuRun runs run, a test of a device (the conformance suite, say), twice: on an
// emuDevice for arch with options opts, whose name (the executor's cache key) has tag,
// that collects the sources of the kernels selects picks (whose source has only, if
// set), which are then built in batches on every CPU; and on an emuDevice that emulates
// them. It returns the sources.
func emuRun(t *testing.T, arch Arch, opts codegen.Options, tag string, selects func(k *graph.Kernel) bool, only string,
	run func(t *testing.T, dev backend.Device)) []string {
	gxx := emuCompiler(t)
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
		srcs []string
	)
	// The executor caches programs by device name: one name per architecture and SM count
	// (which the tiles and splits follow).
	name := fmt.Sprintf("cuda-emulated-%v-%dsm", gpuArch{cc: arch.CC, cubin: true, specific: arch.WarpgroupMMA}, arch.SMs)
	if arch.TensorMaps {
		name += "-tma"
	}
	name += tag
	collect := &emuDevice{Device: cpu.New(), t: t, name: name + "-collect", arch: arch, opts: opts, selects: selects, only: only,
		collect: func(src string) {
			mu.Lock()
			defer mu.Unlock()
			if !seen[src] {
				seen[src] = true
				srcs = append(srcs, src)
			}
		}}
	start := time.Now()
	t.Run("collect", func(t *testing.T) { run(t, collect) })
	collectTime := time.Since(start)
	start = time.Now()
	builds, err := emuBuild(gxx, srcs, "kernel")
	if err != nil {
		t.Fatal(err)
	}
	buildTime := time.Since(start)
	start = time.Now()
	dev := &emuDevice{Device: cpu.New(), t: t, name: name, arch: arch, opts: opts, selects: selects, only: only}
	t.Run("suite", func(t *testing.T) { run(t, dev) })
	t.Logf("collected %d distinct kernel sources in %v; built them with %d g++ runs in %v on %d CPUs; "+
		"the run emulated %d kernels in %d launches in %v",
		len(srcs), collectTime.Round(time.Millisecond), builds, buildTime.Round(time.Millisecond), runtime.NumCPU(),
		dev.emulated.Load(), dev.launches.Load(), time.Since(start).Round(time.Millisecond))
	if len(srcs) == 0 || dev.launches.Load() == 0 {
		t.Error("the run emulated no kernels")
	}
	return srcs
}

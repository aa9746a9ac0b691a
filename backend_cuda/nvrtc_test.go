package backend_cuda

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/backendtest"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
)

// testArchs are the targets every generated kernel must compile for.
var testArchs = []int{80, 90}

// nvrtcForTest loads NVRTC or skips the test; under CI=true on amd64, where
// scripts/test.sh installs Debian's libnvrtc11.2, a missing NVRTC is a failure, as is
// another major version than CROSSBAR_TEST_NVRTC_MAJOR when that is set.
func nvrtcForTest(t *testing.T) *nvrtcAPI {
	t.Helper()
	n, err := loadNVRTC(0)
	if err != nil {
		if os.Getenv("CI") == "true" && runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
			t.Fatalf("no NVRTC under CI: %v", err)
		}
		t.Skipf("no NVRTC: %v", err)
	}
	// scripts/test.sh runs the NVRTC tests again with NVRTC 12, and says so.
	if want := os.Getenv("CROSSBAR_TEST_NVRTC_MAJOR"); want != "" && want != fmt.Sprint(n.major) {
		t.Fatalf("NVRTC %s (%s), want NVRTC %s (CROSSBAR_TEST_NVRTC_MAJOR)", n.Version(), n.path, want)
	}
	for _, a := range testArchs {
		if arch, err := n.target(a); err != nil || !arch.cubin {
			t.Fatalf("NVRTC %s (%s) cannot make sm_%d CUBINs (it knows %v)", n.Version(), n.path, a, n.archs)
		}
	}
	return n
}

// compileDevice is the CPU device with a Compile that first lowers every kernel for a
// typical sm_80 device (with the options a device would choose), renders it in the CUDA dialect and hands it to compile, then lets
// the CPU run it, so that the conformance suite goes through and generates every kernel
// that a CUDA device would compile.
type compileDevice struct {
	backend.Device
	arch    Arch
	compile func(src, name string)
	// counters
	kernels, unsupported atomic.Int64
}

// Name is one per architecture: the executor caches programs by device name.
func (d *compileDevice) Name() string {
	name := "cuda-nvrtc-test-" + gpuArch{cc: d.arch.CC, cubin: true, specific: d.arch.WarpgroupMMA}.String()
	if d.arch.TensorMaps {
		name += "-tma"
	}
	return name
}

func (d *compileDevice) Capabilities() backend.Capabilities {
	c := d.Device.Capabilities()
	c.DTypes = append([]graph.DType(nil), dtypes...)
	// The named patterns a CUDA device computes, and no others: running sums are then
	// built of the kernels a CUDA device gets.
	c.CumSum = false
	return c
}

func (d *compileDevice) Compile(k *graph.Kernel) (backend.Program, error) {
	d.kernels.Add(1)
	p, err := codegen.Lower(k, d.arch.Target(), optionsFor(k, d.arch, codegen.Options{}))
	if err == nil {
		var src string
		if src, err = Source(p); err == nil {
			d.compile(src, p.Name)
		}
	}
	if err != nil && !errors.Is(err, backend.ErrUnsupported) {
		return nil, err
	}
	if err != nil {
		d.unsupported.Add(1)
	}
	return d.Device.Compile(k)
}

// TestNVRTCCompilesEverything runs the conformance suite through compileDevice and
// compiles each distinct kernel source with NVRTC to sm_80 and sm_90 CUBINs. Sources are
// compiled in batches (one translation unit of up to batchSize kernels, each in its own
// namespace under its own name), which spares NVRTC's fixed cost per program, on one
// goroutine per CPU; a batch that fails is compiled again kernel by kernel, so that the
// error shows the one kernel's log and source. Under -race (compileAll false) it compiles
// a fixed sample, one distinct source in sampleEvery.
func TestNVRTCCompilesEverything(t *testing.T) {
	n := nvrtcForTest(t)
	type kernel struct{ src, name string }
	var (
		mu      sync.Mutex
		seen    = map[string]bool{}
		sources []kernel
	)
	// Two SMs: products of two or more 128 × 128 blocks take the large SIMT tiles, smaller
	// ones the default tiles, so that both are compiled.
	arch := TypicalArch(80)
	arch.SMs = 2
	dev := &compileDevice{Device: cpu.New(), arch: arch, compile: func(src, name string) {
		mu.Lock()
		defer mu.Unlock()
		if !seen[src] {
			seen[src] = true
			sources = append(sources, kernel{src, name})
		}
	}}
	start := time.Now()
	t.Run("suite", func(t *testing.T) { backendtest.Run(t, dev) })
	suiteTime := time.Since(start)
	distinct := len(sources)
	if !compileAll {
		var sample []kernel
		for _, k := range sources {
			h := fnv.New32a()
			h.Write([]byte(k.src))
			if h.Sum32()%sampleEvery == 0 {
				sample = append(sample, k)
			}
		}
		sources = sample
	}
	var batches [][]kernel
	for i := 0; i < len(sources); i += batchSize {
		batches = append(batches, sources[i:min(i+batchSize, len(sources))])
	}
	start = time.Now()
	var (
		wg       sync.WaitGroup
		next     atomic.Int64
		compiled atomic.Int64
		failed   atomic.Int64
		maxRegs  atomic.Int64
		spills   atomic.Int64
	)
	workers := max(runtime.NumCPU(), 1)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(batches) {
					return
				}
				b := batches[i]
				var unit strings.Builder
				unit.WriteString(halfShim)
				for j, k := range b {
					fmt.Fprintf(&unit, "namespace xb%d {\n%s}\n", j, renameKernel(strings.TrimPrefix(k.src, halfShim), k.name, fmt.Sprintf("kernel%d", j)))
				}
				for _, a := range testArchs {
					bin, log, err := n.compileLog(unit.String(), fmt.Sprintf("batch%d", i), gpuArch{cc: a, cubin: true}, ptxasVerbose)
					if err == nil && len(bin) > 0 {
						compiled.Add(int64(len(b)))
						r := readPtxas(log)
						if r.kernels != len(b) {
							t.Errorf("sm_%d: ptxas compiled %d entry functions of a batch of %d kernels:\n%s", a, r.kernels, len(b), log)
						}
						// Spills here are a few bytes in rare kernels (tiny products in big tiles)
						// and are counted; the bench's GEMMs may have none (TestNVRTCCompilesBenchProducts).
						for _, w := range r.losses {
							t.Errorf("sm_%d: ptxas: %s", a, w)
						}
						spills.Add(int64(len(r.spills)))
						for m := maxRegs.Load(); int64(r.maxRegs) > m && !maxRegs.CompareAndSwap(m, int64(r.maxRegs)); m = maxRegs.Load() {
						}
						continue
					}
					// Find the culprits.
					for _, k := range b {
						if _, err := n.compile(k.src, k.name, gpuArch{cc: a, cubin: true}); err != nil {
							if failed.Add(1) <= 5 {
								t.Errorf("sm_%d: %v", a, err)
							}
						} else {
							compiled.Add(1)
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 5 {
		t.Errorf("%d more compilations failed", f-5)
	}
	mode := "every one"
	if !compileAll {
		mode = fmt.Sprintf("a sample of 1 in %d", sampleEvery)
	}
	t.Logf("NVRTC %s (%s): the suite compiled %d kernels (%d unsupported by codegen, run on the CPU) in %v; "+
		"%d distinct sources, %s compiled: %d sources in %d batches, %d CUBINs for sm_%v, %d failed, in %v on %d goroutines; "+
		"at most %d registers a thread, %d kernels spilling registers",
		n.Version(), n.path, dev.kernels.Load(), dev.unsupported.Load(), suiteTime.Round(time.Millisecond),
		distinct, mode, len(sources), len(batches), compiled.Load(), testArchs, failed.Load(),
		time.Since(start).Round(time.Millisecond), workers, maxRegs.Load(), spills.Load())
	if distinct == 0 {
		t.Error("the suite generated no CUDA kernels")
	}
}

// batchSize is the number of kernels compiled as one NVRTC program.
const batchSize = 48

// renameKernel gives the entry point of src (extern "C", so unique across namespaces)
// another name.
func renameKernel(src, name, to string) string {
	i := strings.Index(src, "extern \"C\" __global__")
	if i < 0 {
		return src
	}
	return src[:i] + strings.Replace(src[i:], " "+name+"(", " "+to+"(", 1)
}

// TestCompileErrorHasLogAndSource checks that a kernel NVRTC rejects gives ErrCompile with
// the compiler's log and the numbered source.
func TestCompileErrorHasLogAndSource(t *testing.T) {
	n := nvrtcForTest(t)
	src := "extern \"C\" __global__ void kernel(float* x) {\n    x[0] = undefined_thing();\n}\n"
	_, err := n.compile(src, "kernel", gpuArch{cc: 80, cubin: true})
	if !errors.Is(err, backend.ErrCompile) {
		t.Fatalf("compile of a bad kernel: %v, want ErrCompile", err)
	}
	for _, want := range []string{"undefined_thing", "   2      x[0]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not show %q:\n%v", want, err)
		}
	}
}

// TestPTXFallback checks that a device newer than NVRTC gets PTX for the newest
// architecture NVRTC knows.
func TestPTXFallback(t *testing.T) {
	n := nvrtcForTest(t)
	newest := n.archs[len(n.archs)-1]
	arch, err := n.target(newest + 1)
	if err != nil || arch.cubin || arch.cc != newest {
		t.Fatalf("target(sm_%d) = %v, %v; want PTX for %d", newest+1, arch, err, newest)
	}
	src := "extern \"C\" __global__ void kernel(float* x) { x[threadIdx.x] *= 2.0f; }\n"
	ptx, err := n.compile(src, "kernel", arch)
	if err != nil || !strings.Contains(string(ptx), ".entry kernel") {
		t.Fatalf("PTX for %v: %v\n%s", arch, err, ptx)
	}
	if _, err := n.target(10); !errors.Is(err, backend.ErrUnsupported) {
		t.Errorf("target(sm_10): %v, want ErrUnsupported", err)
	}
}

// TestWarpgroupArch checks the names of what NVRTC compiles for, and that sm_90a (the
// warpgroup MMAs) is asked for only where NVRTC knows it: from 12.0 on, for sm_90.
func TestWarpgroupArch(t *testing.T) {
	for a, want := range map[gpuArch]string{{cc: 80, cubin: true}: "sm_80", {cc: 86}: "compute_86",
		{cc: 90, cubin: true, specific: true}: "sm_90a"} {
		if got := a.String(); got != want {
			t.Errorf("%#v: %q, want %q", a, got, want)
		}
	}
	n := nvrtcForTest(t)
	if got, want := n.warpgroupMMA(90), n.major >= 12; got != want {
		t.Errorf("NVRTC %s: warpgroup MMA on sm_90: %v, want %v", n.Version(), got, want)
	}
	if n.warpgroupMMA(80) {
		t.Errorf("NVRTC %s: warpgroup MMA on sm_80", n.Version())
	}
}

// TestNVRTCCompilesWarpgroup compiles the conformance suite's products that an sm_90a
// device gives to the warpgroup template, with and without tensor copies (TMA): to sm_90a
// CUBINs with an NVRTC that knows it (12.0 on), else to PTX for compute_90, which checks
// the C++ and the inline assembly's operands, though not the instructions, which only the
// assembler of 12.0 on knows (scripts/test.sh runs this test with NVRTC 12.4 as well). A
// CUBIN's ptxas report may show no spill, stack frame or warning (checkGEMM): among its
// warnings is the one of warpgroup MMAs serialized.
func TestNVRTCCompilesWarpgroup(t *testing.T) {
	n := nvrtcForTest(t)
	for _, tma := range []bool{false, true} {
		t.Run(fmt.Sprintf("tma=%v", tma), func(t *testing.T) {
			arch := TypicalArch(90)
			arch.SMs = 2
			arch.WarpgroupMMA, arch.TensorMaps = true, tma
			var (
				mu      sync.Mutex
				seen    = map[string]bool{}
				sources []string
			)
			dev := &compileDevice{Device: cpu.New(), arch: arch, compile: func(src, name string) {
				mu.Lock()
				defer mu.Unlock()
				if strings.Contains(src, "wgmma.mma_async") && !seen[src] {
					seen[src] = true
					sources = append(sources, src)
				}
			}}
			t.Run("suite", func(t *testing.T) { backendtest.Run(t, dev) })
			target := gpuArch{cc: 90}
			if n.warpgroupMMA(90) {
				target = gpuArch{cc: 90, cubin: true, specific: true}
			}
			loads, maxRegs := 0, 0
			for _, src := range sources {
				out, log, err := n.compileLog(src, "kernel", target, ptxasVerbose)
				if err != nil {
					t.Fatal(err)
				}
				if target.cubin {
					r := checkGEMM(t, log, "kernel:\n"+numbered(src))
					maxRegs = max(maxRegs, r.maxRegs)
				}
				if !target.cubin && !strings.Contains(string(out), "wgmma.mma_async.sync.aligned.m64n") {
					t.Fatalf("no wgmma in the PTX of\n%s", numbered(src))
				}
				if strings.Contains(src, "xb_tma_load_") {
					loads++
					if !target.cubin && !strings.Contains(string(out), "cp.async.bulk.tensor.") {
						t.Fatalf("no tensor copy in the PTX of\n%s", numbered(src))
					}
				}
			}
			regs := ""
			if target.cubin {
				regs = fmt.Sprintf("; at most %d registers a thread", maxRegs)
			}
			t.Logf("NVRTC %s: %d kernels on warpgroup MMAs compiled for %v, %d of them with tensor copies%s",
				n.Version(), len(sources), target, loads, regs)
			if len(sources) == 0 {
				t.Error("the suite generated no kernels on warpgroup MMAs")
			}
			if tma && loads == 0 {
				t.Error("the suite generated no kernels with tensor copies")
			}
		})
	}
}

// benchProducts are the products of the cublas bench suite: 8192³ and DeepBench's training
// shapes, as m, n, k and whether A is stored K × M and B N × K.
var benchProducts = []struct {
	m, n, k        int
	transA, transB bool
}{
	{8192, 8192, 8192, false, false},
	{1760, 16, 1760, false, false}, {1760, 7000, 1760, false, false}, {2048, 128, 2048, true, false},
	{2560, 7133, 2560, false, true}, {4096, 7000, 4096, false, false}, {5124, 9124, 1760, false, false},
	{35, 8457, 2048, true, false}, {3072, 7435, 1024, false, true}, {7680, 5481, 2560, false, true},
	{512, 8, 500000, false, false}, {1024, 16, 500000, true, false}, {7680, 24000, 2560, false, false},
	{8448, 48000, 2816, true, false}, {1024, 32, 512, false, true},
}

// TestNVRTCCompilesBenchProducts compiles the kernels that an A100 (108 SMs, sm_80) and an
// H200 (132 SMs, sm_90a, with tensor copies and without) compile before tuning for the products of the cublas bench suite,
// in every dtype it measures: the kernels a GPU run starts from, whose tiles, splits and
// bands of tiles the conformance suite's smaller products do not all reach. Kernels on
// warpgroup MMAs compile for sm_90a where this NVRTC knows it, else to compute_90 PTX
// (TestNVRTCCompilesWarpgroup). In every CUBIN, ptxas may spill no register, keep no
// stack frame and give no warning (checkGEMM). The operands' host data is never touched.
func TestNVRTCCompilesBenchProducts(t *testing.T) {
	n := nvrtcForTest(t)
	sm80, sm90 := TypicalArch(80), TypicalArch(90)
	sm80.SMs, sm90.SMs, sm90.WarpgroupMMA = 108, 132, true
	// With tensor copies (a driver of CUDA 12.0 on), and without (CROSSBAR_CUDA_TMA=off).
	sm90tma := sm90
	sm90tma.TensorMaps = true
	type job struct {
		src, what string
		cc        int
	}
	var jobs []job
	seen := map[string]bool{}
	for _, p := range benchProducts {
		for _, dt := range []graph.DType{graph.Float16, graph.BFloat16, graph.Float32} {
			kern, _ := splitProduct(t, dt, 1, p.m, p.n, p.k, p.transA, p.transB, false,
				make([]byte, p.m*p.k*dt.Size()), make([]byte, p.k*p.n*dt.Size()), nil)
			for _, a := range []Arch{sm80, sm90, sm90tma} {
				src, err := SourceFor(a, kern)
				if err != nil {
					t.Fatalf("%v %dx%dx%d on sm_%d: %v", dt, p.m, p.n, p.k, a.CC, err)
				}
				if !seen[src] {
					seen[src] = true
					jobs = append(jobs, job{src, fmt.Sprintf("%v %dx%dx%d for sm_%d", dt, p.m, p.n, p.k, a.CC), a.CC})
				}
			}
		}
	}
	if !compileAll {
		// Under -race, one in sampleEvery: the other passes compile them all.
		var sample []job
		for i := 0; i < len(jobs); i += sampleEvery {
			sample = append(sample, jobs[i])
		}
		jobs = sample
	}
	var (
		wg      sync.WaitGroup
		next    atomic.Int64
		mu      sync.Mutex
		maxRegs = map[string]int{} // by target
	)
	errs := make([]error, len(jobs))
	for range max(runtime.NumCPU(), 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(jobs); i = int(next.Add(1)) - 1 {
				target := gpuArch{cc: jobs[i].cc, cubin: true}
				if strings.Contains(jobs[i].src, "wgmma.mma_async") {
					target = gpuArch{cc: 90, cubin: n.warpgroupMMA(90), specific: n.warpgroupMMA(90)}
				}
				_, log, err := n.compileLog(jobs[i].src, "kernel", target, ptxasVerbose)
				if err != nil {
					errs[i] = fmt.Errorf("%s: %w", jobs[i].what, err)
				} else if target.cubin {
					r := checkGEMM(t, log, fmt.Sprintf("%s for %v", jobs[i].what, target))
					mu.Lock()
					maxRegs[target.String()] = max(maxRegs[target.String()], r.maxRegs)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	t.Logf("NVRTC %s: %d distinct kernels of the bench's products, %d of them compiled; the most registers a thread uses, by target: %v",
		n.Version(), len(seen), len(jobs), maxRegs)
}

// The libraries a driver supports come first, newest first; newer ones stay as a last
// resort; an unknown driver version keeps the order.
func TestForDriver(t *testing.T) {
	for _, c := range []struct {
		cuda int
		want []string
	}{
		{13000, []string{"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"}},
		{13010, []string{"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"}},
		{12090, []string{"libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so.13"}},
		{12000, []string{"libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so.13"}},
		{11080, []string{"libnvrtc.so.11.2", "libnvrtc.so.13", "libnvrtc.so.12"}},
		{0, nvrtcNames},
	} {
		if got := forDriver(nvrtcNames, c.cuda); !slices.Equal(got, c.want) {
			t.Errorf("forDriver(nvrtcNames, %d) = %v, want %v", c.cuda, got, c.want)
		}
	}
	if got, want := forDriver(cublasNames, 12040), []string{"libcublas.so.12", "libcublas.so.11", "libcublas.so.13"}; !slices.Equal(got, want) {
		t.Errorf("forDriver(cublasNames, 12040) = %v, want %v", got, want)
	}
}

// TestNVRTCCompilesReduceSplit compiles reductions that optionsFor has several workgroups
// share on an A100 and an H200 (the conformance suite's groups are too short for a
// split): the stream suite's dot product over 128 Mi float32, maxima of four rows of 1 Mi
// float16, a bias's gradient (sums over 8192 rows of 4096 bfloat16 columns, in tiles of
// columns), whole sums and maxima of 4 Mi float64, int64 and int32 (workspaces of
// their types), and the sums of 4 Mi uint8 and an any of 4 Mi bool (held as int32), to
// sm_80 and sm_90 CUBINs.
func TestNVRTCCompilesReduceSplit(t *testing.T) {
	n := nvrtcForTest(t)
	must := func(x *graph.Node, err error) *graph.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	const big = 1 << 27
	x := must(graph.Host(graph.Float32, []int{big}, make([]byte, 4*big)))
	y := must(graph.Host(graph.Float32, []int{big}, make([]byte, 4*big)))
	dot := must(graph.Reduce(graph.OpSum, must(graph.Binary(graph.OpMul, x, y)), []int{0}))
	h := must(graph.Host(graph.Float16, []int{4, 1 << 20}, make([]byte, 2*4<<20)))
	rows := must(graph.Reduce(graph.OpReduceMax, h, []int{1}))
	g := must(graph.Host(graph.BFloat16, []int{8192, 4096}, make([]byte, 2*8192*4096)))
	bias := must(graph.Reduce(graph.OpSum, g, []int{0}))
	f64 := must(graph.Reduce(graph.OpSum, must(graph.Host(graph.Float64, []int{1 << 22}, make([]byte, 8<<22))), []int{0}))
	i64 := must(graph.Reduce(graph.OpReduceMax, must(graph.Host(graph.Int64, []int{1 << 22}, make([]byte, 8<<22))), []int{0}))
	i32 := must(graph.Reduce(graph.OpSum, must(graph.Host(graph.Int32, []int{1 << 22}, make([]byte, 4<<22))), []int{0}))
	u8 := must(graph.Reduce(graph.OpSum, must(graph.Host(graph.Uint8, []int{1 << 22}, make([]byte, 1<<22))), []int{0}))
	anyTrue := must(graph.Reduce(graph.OpReduceMax, must(graph.Host(graph.Bool, []int{1 << 22}, make([]byte, 1<<22))), []int{0}))
	for _, root := range []*graph.Node{dot, rows, bias, f64, i64, i32, u8, anyTrue} {
		k := lastKernel(t, root)
		for _, cc := range testArchs {
			a := TypicalArch(cc)
			a.SMs = map[int]int{80: 108, 90: 132}[cc]
			src, err := SourceFor(a, k)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(src, " elements a workgroup,") {
				t.Fatalf("sm_%d: %v is not split:\n%s", cc, k, src)
			}
			if _, err := n.compile(src, "kernel", gpuArch{cc: cc, cubin: true}); err != nil {
				t.Errorf("sm_%d: %v", cc, err)
			}
		}
	}
}

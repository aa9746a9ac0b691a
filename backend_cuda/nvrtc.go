package backend_cuda

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unsafe"

	"github.com/crossbar-compute/crossbar/backend"
)

// nvrtcAPI holds the NVRTC entry points (nvrtc.h). Every function returns an nvrtcResult
// (0: NVRTC_SUCCESS). Programs are independent, so several goroutines may compile at once.
type nvrtcAPI struct {
	path         string
	major, minor int32
	archs        []int // the sm_XY that this NVRTC can compile to, as 10*X+Y, ascending

	version            func(major, minor *int32) int32
	getErrorString     func(res int32) string
	createProgram      func(prog *uintptr, src string, name string, numHeaders int32, headers, includeNames unsafe.Pointer) int32
	compileProgram     func(prog uintptr, numOptions int32, options unsafe.Pointer) int32
	destroyProgram     func(prog *uintptr) int32
	getProgramLogSize  func(prog uintptr, size *uintptr) int32
	getProgramLog      func(prog uintptr, log *byte) int32
	getPTXSize         func(prog uintptr, size *uintptr) int32
	getPTX             func(prog uintptr, ptx *byte) int32
	getCUBINSize       func(prog uintptr, size *uintptr) int32
	getCUBIN           func(prog uintptr, cubin *byte) int32
	getNumSupportedArc func(n *int32) int32
	getSupportedArchs  func(archs *int32) int32
}

// nvrtcNames are the sonames tried, newest first (those newer than the driver last, see
// forDriver). CUDA 11.3 and later keep the soname libnvrtc.so.11.2 for every 11.x release
// (Debian's libnvrtc11.2 is NVRTC 11.8).
var nvrtcNames = []string{"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"}

var (
	nvrtcOnce sync.Once
	nvrtcLib  *nvrtcAPI
	nvrtcErr  error
)

// loadNVRTC loads NVRTC once: CROSSBAR_NVRTC_LIB, else nvrtcNames in the standard places,
// those the driver of CUDA version cuda supports first (0: unknown).
func loadNVRTC(cuda int) (*nvrtcAPI, error) {
	nvrtcOnce.Do(func() {
		h, path, err := openLib("CROSSBAR_NVRTC_LIB", forDriver(nvrtcNames, cuda)...)
		if err != nil {
			nvrtcErr = fmt.Errorf("NVRTC: %v", err)
			return
		}
		n := &nvrtcAPI{path: path}
		err = bind(h, path, map[string]any{
			"nvrtcVersion":              &n.version,
			"nvrtcGetErrorString":       &n.getErrorString,
			"nvrtcCreateProgram":        &n.createProgram,
			"nvrtcCompileProgram":       &n.compileProgram,
			"nvrtcDestroyProgram":       &n.destroyProgram,
			"nvrtcGetProgramLogSize":    &n.getProgramLogSize,
			"nvrtcGetProgramLog":        &n.getProgramLog,
			"nvrtcGetPTXSize":           &n.getPTXSize,
			"nvrtcGetPTX":               &n.getPTX,
			"nvrtcGetCUBINSize":         &n.getCUBINSize,
			"nvrtcGetCUBIN":             &n.getCUBIN,
			"nvrtcGetNumSupportedArchs": &n.getNumSupportedArc,
			"nvrtcGetSupportedArchs":    &n.getSupportedArchs,
		})
		if err != nil {
			nvrtcErr = fmt.Errorf("NVRTC: %v (need NVRTC 11.2 or later)", err)
			return
		}
		if r := n.version(&n.major, &n.minor); r != 0 {
			nvrtcErr = fmt.Errorf("NVRTC %s: nvrtcVersion: %s", path, n.errString(r))
			return
		}
		var num int32
		if r := n.getNumSupportedArc(&num); r != 0 || num <= 0 || num > 1024 {
			nvrtcErr = fmt.Errorf("NVRTC %s: nvrtcGetNumSupportedArchs: %d archs, %s", path, num, n.errString(r))
			return
		}
		archs := make([]int32, num)
		if r := n.getSupportedArchs(&archs[0]); r != 0 {
			nvrtcErr = fmt.Errorf("NVRTC %s: nvrtcGetSupportedArchs: %s", path, n.errString(r))
			return
		}
		for _, a := range archs {
			n.archs = append(n.archs, int(a))
		}
		sort.Ints(n.archs)
		nvrtcLib = n
	})
	return nvrtcLib, nvrtcErr
}

func (n *nvrtcAPI) errString(r int32) string {
	if r == 0 {
		return "NVRTC_SUCCESS"
	}
	return fmt.Sprintf("%s (%d)", n.getErrorString(r), r)
}

// Version is NVRTC's version, "11.8".
func (n *nvrtcAPI) Version() string { return fmt.Sprintf("%d.%d", n.major, n.minor) }

// gpuArch is what NVRTC compiles for: a CUBIN for sm_<cc> (with specific, sm_<cc>a: the
// features of exactly that architecture, such as sm_90a's warpgroup MMA), or PTX for
// compute_<cc>.
type gpuArch struct {
	cc              int
	cubin, specific bool
}

func (a gpuArch) String() string {
	kind, suffix := "sm", ""
	if !a.cubin {
		kind = "compute"
	}
	if a.specific {
		suffix = "a"
	}
	return fmt.Sprintf("%s_%d%s", kind, a.cc, suffix)
}

// target chooses what to compile for a device of compute capability cc (10*major+minor):
// a CUBIN for exactly sm_cc when this NVRTC knows it, else PTX for the newest
// compute_XY it knows that the device can run (the driver compiles it when it loads),
// else an error.
func (n *nvrtcAPI) target(cc int) (gpuArch, error) {
	best := 0
	for _, a := range n.archs {
		if a == cc {
			return gpuArch{cc: cc, cubin: true}, nil
		}
		if a < cc && a/10 <= cc/10 {
			best = a
		}
	}
	if best == 0 {
		return gpuArch{}, fmt.Errorf("NVRTC %s compiles for sm_%v, not for sm_%d: %w", n.Version(), n.archs, cc, backend.ErrUnsupported)
	}
	return gpuArch{cc: best}, nil
}

// warpgroupMMA reports whether this NVRTC compiles sm_90a, the architecture of the
// warpgroup MMAs (NVRTC 12.0 and newer), for a device of compute capability cc.
func (n *nvrtcAPI) warpgroupMMA(cc int) bool {
	a, err := n.target(cc)
	return err == nil && a.cubin && cc == 90 && n.major >= 12
}

// nvrtcOptions are the options of every compilation but the architecture. C++17: every
// NVRTC from 11.0 on takes it, and newer ones may drop older dialects.
var nvrtcOptions = []string{"--std=c++17"}

// compile builds src for arch: a CUBIN, or PTX (NUL-terminated). A failure wraps
// backend.ErrCompile with NVRTC's log and the numbered source.
func (n *nvrtcAPI) compile(src, name string, arch gpuArch) ([]byte, error) {
	img, _, err := n.compileLog(src, name, arch)
	return img, err
}

// compileLog is compile with more options for NVRTC, and it returns NVRTC's log of a
// compilation that succeeds as well. For a CUBIN, the log holds what ptxas says of the
// kernels: their resources under --ptxas-options=-v, and its warnings of lost performance.
func (n *nvrtcAPI) compileLog(src, name string, arch gpuArch, extra ...string) ([]byte, string, error) {
	var prog uintptr
	if r := n.createProgram(&prog, src, name+".cu", 0, nil, nil); r != 0 {
		return nil, "", fmt.Errorf("cuda: nvrtcCreateProgram(%s.cu): %s: %w", name, n.errString(r), backend.ErrCompile)
	}
	defer n.destroyProgram(&prog)
	opts := append(append([]string{"--gpu-architecture=" + arch.String()}, nvrtcOptions...), extra...)
	// The array of options handed to C holds Go pointers, which must be pinned.
	var pin runtime.Pinner
	copts := make([]*byte, len(opts))
	for i, o := range opts {
		b := append([]byte(o), 0)
		pin.Pin(&b[0])
		copts[i] = &b[0]
	}
	r := n.compileProgram(prog, int32(len(copts)), unsafe.Pointer(&copts[0]))
	runtime.KeepAlive(copts)
	pin.Unpin()
	if r != 0 {
		return nil, "", compileError(fmt.Sprintf("nvrtc %s (%s)", n.Version(), strings.Join(opts, " ")), n.errString(r)+"\n"+n.log(prog), src)
	}
	size, get, what := n.getCUBINSize, n.getCUBIN, "CUBIN"
	if !arch.cubin {
		size, get, what = n.getPTXSize, n.getPTX, "PTX"
	}
	var sz uintptr
	if r := size(prog, &sz); r != 0 || sz == 0 {
		return nil, "", fmt.Errorf("cuda: nvrtcGet%sSize(%s.cu for %v): %d bytes, %s: %w", what, name, arch, sz, n.errString(r), backend.ErrCompile)
	}
	out := make([]byte, sz)
	if r := get(prog, &out[0]); r != 0 {
		return nil, "", fmt.Errorf("cuda: nvrtcGet%s(%s.cu for %v): %s: %w", what, name, arch, n.errString(r), backend.ErrCompile)
	}
	return out, n.log(prog), nil
}

func (n *nvrtcAPI) log(prog uintptr) string {
	var sz uintptr
	if n.getProgramLogSize(prog, &sz) != 0 || sz <= 1 {
		return ""
	}
	b := make([]byte, sz)
	if n.getProgramLog(prog, &b[0]) != 0 {
		return ""
	}
	return strings.TrimRight(goString(b), "\n")
}

// compileError wraps backend.ErrCompile with the compiler's log and the numbered source.
func compileError(stage, log, src string) error {
	var b strings.Builder
	for i, l := range strings.Split(strings.TrimRight(src, "\n"), "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, l)
	}
	return fmt.Errorf("cuda: %s: %w:\n%s\n--- source ---\n%s", stage, backend.ErrCompile, log, b.String())
}

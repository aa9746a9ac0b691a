package backend_cuda

import (
	"fmt"
	"strings"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/graph"
)

// halfShim replaces the includes of cuda_fp16.h and cuda_bf16.h that the CUDA dialect
// writes: those headers belong to the CUDA toolkit, which a machine with only the driver
// and NVRTC lacks (NVRTC 11 does not build them in). The kernels use the two storage
// types and their four conversions only; the macros keep the shim's names apart from any
// that an NVRTC may predeclare. Float16 converts with the PTX cvt instructions (every
// sm_XY); BFloat16 with integer arithmetic (round to nearest even, NaN kept quiet), which
// needs no sm_80 instruction.
const halfShim = `#define __half xb_half
#define __nv_bfloat16 xb_bfloat16
#define __half2float xb_half2float
#define __float2half_rn xb_float2half_rn
#define __bfloat162float xb_bfloat162float
#define __float2bfloat16_rn xb_float2bfloat16_rn
struct __align__(2) xb_half { unsigned short x; };
struct __align__(2) xb_bfloat16 { unsigned short x; };
__device__ __forceinline__ float xb_half2float(xb_half h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h.x));
    return f;
}
__device__ __forceinline__ xb_half xb_float2half_rn(float f) {
    xb_half h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h.x) : "f"(f));
    return h;
}
__device__ __forceinline__ float xb_bfloat162float(xb_bfloat16 b) {
    return __uint_as_float(((unsigned)b.x) << 16);
}
__device__ __forceinline__ xb_bfloat16 xb_float2bfloat16_rn(float f) {
    unsigned u = __float_as_uint(f);
    xb_bfloat16 b;
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        b.x = (unsigned short)((u >> 16) | 0x40u);
    } else {
        b.x = (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    }
    return b;
}
`

const dialectIncludes = "#include <cuda_fp16.h>\n#include <cuda_bf16.h>\n"

// Source renders a lowered program as a self-contained CUDA C++ kernel for NVRTC.
func Source(p *codegen.Program) (string, error) {
	src, err := codegen.Render(p, codegen.CUDA{})
	if err != nil {
		return "", fmt.Errorf("cuda: %w", err)
	}
	if !strings.HasPrefix(src, dialectIncludes) {
		return "", fmt.Errorf("cuda: the CUDA dialect's prelude changed (want %q): %w", dialectIncludes, backend.ErrCompile)
	}
	return halfShim + src[len(dialectIncludes):], nil
}

// SourceFor renders the kernel that a device of architecture a compiles for k before any
// tuning (the tiles of optionsFor), without a device: for tools, and for reading what the
// benchmarks measure.
func SourceFor(a Arch, k *graph.Kernel) (string, error) {
	p, err := codegen.Lower(k, a.Target(), optionsFor(k, a, codegen.Options{}))
	if err != nil {
		return "", fmt.Errorf("cuda: %w", err)
	}
	return Source(p)
}

// Arch is what code generation needs to know of an Nvidia device.
type Arch struct {
	CC             int // compute capability, 10*major+minor (80: sm_80)
	MaxThreads     int // per block
	SharedMemory   int // static shared memory per block, bytes
	MaxGrid        [3]int
	WarpSize       int
	SMs            int
	Integrated     bool
	MemoryBytes    int64
	ClockKHz       int
	L2Bytes        int
	MemoryClockKHz int
	MemoryBusWidth int
	SharedOptIn    int // opt-in (dynamic) shared memory per block, bytes
	SharedPerSM    int // shared memory of an SM, bytes, which its blocks share
	SharedReserved int // shared memory the driver reserves for each block (sm_80 on: 1 KiB)
	// WarpgroupMMA: the kernels may use sm_90a's warpgroup MMAs (an sm_90 device, and an
	// NVRTC that compiles for sm_90a).
	WarpgroupMMA bool
	// TensorMaps: with WarpgroupMMA, the warpgroup kernels may load their tiles with
	// tensor copies (TMA), the driver building their tensor maps at each launch.
	TensorMaps bool
}

// Target is the codegen target of the device.
func (a Arch) Target() codegen.Target {
	groups := a.MaxGrid[0]
	for _, g := range a.MaxGrid[1:] {
		groups = min(groups, g)
	}
	// Kernels past the static 48 KiB take dynamic shared memory, up to the opt-in limit.
	shared := max(min(a.SharedMemory, codegen.CUDAStaticShared), a.SharedOptIn)
	return codegen.Target{MaxWorkgroup: min(a.MaxThreads, 1024), SharedMemory: shared,
		WarpWidth: a.WarpSize, MaxGroups: groups, Shuffle: a.WarpSize == 32, TensorCores: a.CC >= 80, SplitK: true,
		WarpgroupMMA: a.WarpgroupMMA && a.CC == 90, TensorMaps: a.TensorMaps && a.WarpgroupMMA && a.CC == 90}
}

// TypicalArch is a device of compute capability cc with the limits every sm_70 and later
// has, and the shared memory of its generation (per block opt-in, per SM, reserved per
// block), for compiling without a device.
func TypicalArch(cc int) Arch {
	optIn, perSM := 0, 0
	switch {
	case cc >= 120:
		optIn, perSM = 99<<10, 100<<10
	case cc >= 90:
		optIn, perSM = 227<<10, 228<<10
	case cc == 80 || cc == 87:
		optIn, perSM = 163<<10, 164<<10
	case cc >= 86:
		optIn, perSM = 99<<10, 100<<10
	case cc == 75:
		optIn, perSM = 64<<10, 64<<10
	case cc >= 70:
		optIn, perSM = 96<<10, 96<<10
	}
	reserved := 0
	if cc >= 80 {
		reserved = 1 << 10
	}
	return Arch{CC: cc, MaxThreads: 1024, SharedMemory: 48 << 10, SharedOptIn: optIn, SharedPerSM: perSM, SharedReserved: reserved,
		MaxGrid: [3]int{1<<31 - 1, 65535, 65535}, WarpSize: 32}
}

// dtypes are the dtypes the CUDA dialect computes: all of them. Bool and Uint8 are stored
// in a byte, Float16 and BFloat16 in two, so buffers hold the host's bytes as they are.
var dtypes = []graph.DType{graph.Bool, graph.Uint8, graph.Int32, graph.Int64, graph.Float16, graph.BFloat16,
	graph.Float32, graph.Float64}

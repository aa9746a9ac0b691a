package codegen

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/crossbar-compute/crossbar/graph"
)

// CUDA is the dialect of CUDA C++ kernels (NVRTC); HIP takes the same spelling. Buffers are
// plain pointers of the dtype's own type (Float16 as __half, BFloat16 as __nv_bfloat16),
// converted to the compute type on load and back on store.
type CUDA struct{}

// Name implements Dialect.
func (CUDA) Name() string { return "cuda" }

var cudaScalars = [...]string{Void: "void", Bool: "bool", I32: "int", U32: "unsigned", I64: "long long", U64: "unsigned long long", F32: "float", F64: "double"}
var cudaVecPrefix = [...]string{I32: "int", U32: "uint", I64: "longlong", U64: "ulonglong", F32: "float", F64: "double"}

// Type implements Dialect.
func (CUDA) Type(t Type) (string, bool) {
	if t.IsVector() {
		p := cudaVecPrefix[t.S]
		return fmt.Sprintf("%s%d", p, t.Vec), p != "" && t.Vec <= 4
	}
	return cudaScalars[t.S], true
}

// Literal implements Dialect.
func (CUDA) Literal(e *Expr) string {
	switch e.Type.S {
	case Bool:
		return strconv.FormatBool(e.I != 0)
	case I32:
		if e.I == math.MinInt32 {
			return "(-2147483647 - 1)"
		}
		return strconv.FormatInt(e.I, 10)
	case U32:
		return strconv.FormatUint(uint64(uint32(e.I)), 10) + "u"
	case I64:
		if e.I == math.MinInt64 {
			return "(-9223372036854775807ll - 1ll)"
		}
		return strconv.FormatInt(e.I, 10) + "ll"
	case U64:
		return strconv.FormatUint(uint64(e.I), 10) + "ull"
	case F32:
		if math.IsNaN(e.F) || math.IsInf(e.F, 0) {
			return fmt.Sprintf("__int_as_float(0x%08x)", math.Float32bits(float32(e.F)))
		}
		return floatLit(strconv.FormatFloat(e.F, 'g', -1, 32)) + "f"
	case F64:
		if math.IsNaN(e.F) || math.IsInf(e.F, 0) {
			return fmt.Sprintf("__longlong_as_double(0x%016xll)", math.Float64bits(e.F))
		}
		return floatLit(strconv.FormatFloat(e.F, 'g', -1, 64))
	}
	return "0"
}

// Special implements Dialect.
func (CUDA) Special(s Special, dim int) string {
	c := "xyz"[dim : dim+1]
	switch s {
	case LocalID:
		return "threadIdx." + c
	case GroupID:
		return "blockIdx." + c
	}
	return "gridDim." + c
}

// Subscript implements Dialect: pointers take 64-bit indices as they are.
func (CUDA) Subscript(index string, _ Scalar) string { return index }

// Load implements Dialect.
func (CUDA) Load(p Param, t Type, index string) string {
	if t.IsVector() {
		return fmt.Sprintf("%sv[%s]", p.Name, index)
	}
	s := fmt.Sprintf("%s[%s]", p.Name, index)
	switch p.DType {
	case graph.Uint8:
		return "(unsigned)" + s
	case graph.Float16:
		return "__half2float(" + s + ")"
	case graph.BFloat16:
		return "__bfloat162float(" + s + ")"
	}
	return s
}

// Store implements Dialect.
func (CUDA) Store(p Param, _ Type, index, value string) string {
	switch p.DType {
	case graph.Uint8:
		value = "(unsigned char)(" + value + ")"
	case graph.Float16:
		value = "__float2half_rn(" + value + ")"
	case graph.BFloat16:
		value = "__float2bfloat16_rn(" + value + ")"
	}
	return fmt.Sprintf("%s[%s] = %s;", p.Name, index, value)
}

// Cast implements Dialect.
func (c CUDA) Cast(to, _ Type, x string) string {
	t, _ := c.Type(to)
	if to.IsVector() {
		return "make_" + t + "(" + strings.TrimSuffix(strings.Repeat(x+", ", to.Vec), ", ") + ")"
	}
	return "(" + t + ")(" + x + ")"
}

// Binary implements Dialect.
func (CUDA) Binary(Op, Type, string, string) string { return "" }

// Decl implements Dialect.
func (CUDA) Decl(d *Decl) string {
	if d.Const {
		return "const "
	}
	return ""
}

// Barrier implements Dialect.
func (CUDA) Barrier() string { return "__syncthreads();" }

// Unroll implements Dialect.
func (CUDA) Unroll() string { return "#pragma unroll" }

// Intrinsic implements Dialect with the helpers of cudaIntrinsics (inline PTX of sm_80).
func (CUDA) Intrinsic(s *Intrinsic, args []string) (string, string, bool) {
	switch s.Op {
	case ICopyWait:
		return fmt.Sprintf("xb_cp_async_wait<%d>();", s.Imm), "xb_cp_async_wait", true
	case ICopy16, ICopy8, ICopyCommit, ILoadMatrix, ILoadMatrixT, IMMAF16, IMMABF16, IFenceProxyAsync, IWarpgroupFence, IWarpgroupCommit,
		IBarrierInit, IBarrierInitFence, IBarrierArrive, IBarrierArriveTx, IBarrierWait:
		name := cudaIntrinsicNames[s.Op]
		return name + "(" + strings.Join(args, ", ") + ");", name, true
	case IWarpgroupWait:
		return fmt.Sprintf("xb_wgmma_wait<%d, %s>(%s);", s.Imm, args[1], args[0]), "xb_wgmma_wait", true
	case IFenceDevice:
		return "__threadfence();", "", true
	case ISyncWarp:
		return "__syncwarp();", "", true
	case IStoreChunk:
		t, ok := map[int]string{2: "unsigned short", 4: "unsigned", 8: "uint2", 16: "uint4"}[s.Imm]
		if !ok || len(args) != 3 {
			return "", "", false
		}
		src := args[1]
		if !s.Args[2].IsInt(0) {
			src = fmt.Sprintf("reinterpret_cast<const unsigned char*>(%s) + %s", src, args[2])
		}
		return fmt.Sprintf("xb_store_chunk<%s>(%s, %s);", t, args[0], src), "xb_store_chunk", true
	case ITensorMapPrefetch:
		return fmt.Sprintf("xb_prefetch_tensor_map(&tmap%d);", s.Imm), "xb_prefetch_tensor_map", true
	case ITensorLoad:
		n := len(args) - 2
		if n < 1 || n > 5 {
			return "", "", false
		}
		name := fmt.Sprintf("xb_tma_load_%dd", n)
		all := append([]string{args[0], fmt.Sprintf("&tmap%d", s.Imm)}, args[1:]...)
		return name + "(" + strings.Join(all, ", ") + ");", name, true
	case IWarpgroupMMAF16, IWarpgroupMMABF16:
		if len(s.Args) != 12 {
			return "", "", false
		}
		t := "f16"
		if s.Op == IWarpgroupMMABF16 {
			t = "bf16"
		}
		n := s.Args[11].I
		if n%8 != 0 || n < 8 || n > 256 {
			return "", "", false
		}
		// The descriptors' layout types: 0 no swizzle, 1 128-byte, 2 64-byte, 3 32-byte.
		layout := map[int64]int{0: 0, 128: 1, 64: 2, 32: 3}
		desc := func(i int) string {
			return fmt.Sprintf("xb_wgmma_desc(%s, %s, %s, %d)", args[i], args[i+1], args[i+2], layout[s.Args[i+3].I])
		}
		name := fmt.Sprintf("xb_wgmma_m64n%d_%s", n, t)
		return fmt.Sprintf("%s<%d, %d>(%s, %s, %s);", name, s.Args[5].I, s.Args[10].I, args[0], desc(1), desc(6)), name, true
	}
	return "", "", false
}

var cudaIntrinsicNames = map[IntrinsicOp]string{ICopy16: "xb_cp_async16", ICopy8: "xb_cp_async8", ICopyCommit: "xb_cp_async_commit",
	ILoadMatrix: "xb_ldmatrix_x4", ILoadMatrixT: "xb_ldmatrix_x4_trans", IMMAF16: "xb_mma_f16", IMMABF16: "xb_mma_bf16",
	IFenceProxyAsync: "xb_fence_proxy_async", IWarpgroupFence: "xb_wgmma_fence", IWarpgroupCommit: "xb_wgmma_commit",
	IBarrierInit: "xb_mbarrier_init", IBarrierInitFence: "xb_fence_mbarrier_init", IBarrierArrive: "xb_mbarrier_arrive",
	IBarrierArriveTx: "xb_mbarrier_arrive_expect_tx", IBarrierWait: "xb_mbarrier_wait"}

// cudaTensorLoad is the helper of an ITensorLoad of n coordinates: the box lands in shared
// memory and counts its bytes on the barrier. map is the address of a __grid_constant__
// parameter, which the tensor copy reads in the parameter space.
func cudaTensorLoad(n int) string {
	var params, coords, ops []string
	for i := range n {
		params = append(params, fmt.Sprintf("int c%d", i))
		coords = append(coords, fmt.Sprintf("%%%d", i+2))
		ops = append(ops, fmt.Sprintf(`"r"(c%d)`, i))
	}
	return fmt.Sprintf(`__device__ __forceinline__ void xb_tma_load_%dd(unsigned dst, const xb_tensor_map* map, %s, unsigned bar) {
    asm volatile("cp.async.bulk.tensor.%dd.shared::cluster.global.mbarrier::complete_tx::bytes [%%0], [%%1, {%s}], [%%%d];\n"
                 :: "r"(dst), "l"((unsigned long long)map), %s, "r"(bar) : "memory");
}
`, n, strings.Join(params, ", "), n, strings.Join(coords, ", "), n+2, strings.Join(ops, ", "))
}

// cudaTensorMapType is the type of a tensor map parameter: CUtensorMap's size and alignment.
const cudaTensorMapType = "struct __align__(64) xb_tensor_map {\n    unsigned long long opaque[16];\n};\n"

// cudaIntrinsics are the helpers of the intrinsics: inline PTX for sm_80 and newer. A host
// build of the kernels (the tests' CUDA emulator) defines XB_EMULATED_INTRINSICS and its
// own versions of them.
var cudaIntrinsics = map[string]string{
	// A chunk of a tile from shared memory to the output, as it is (a host build checks the
	// alignment that a GPU faults without).
	"xb_store_chunk": `template <typename T> __device__ __forceinline__ void xb_store_chunk(void* dst, const void* src) {
    *reinterpret_cast<T*>(dst) = *reinterpret_cast<const T*>(src);
}
`,
	"xb_prefetch_tensor_map": `__device__ __forceinline__ void xb_prefetch_tensor_map(const xb_tensor_map* map) {
    asm volatile("prefetch.tensormap [%0];\n" :: "l"((unsigned long long)map) : "memory");
}
`,
	// Transaction barriers (mbarrier) in shared memory, at shared-window addresses.
	"xb_mbarrier_init": `__device__ __forceinline__ void xb_mbarrier_init(unsigned bar, unsigned count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" :: "r"(bar), "r"(count) : "memory");
}
`,
	"xb_fence_mbarrier_init": `__device__ __forceinline__ void xb_fence_mbarrier_init() {
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
}
`,
	"xb_mbarrier_arrive": `__device__ __forceinline__ void xb_mbarrier_arrive(unsigned bar) {
    asm volatile("{\n.reg .b64 state;\nmbarrier.arrive.shared::cta.b64 state, [%0];\n}\n" :: "r"(bar) : "memory");
}
`,
	"xb_mbarrier_arrive_expect_tx": `__device__ __forceinline__ void xb_mbarrier_arrive_expect_tx(unsigned bar, unsigned bytes) {
    asm volatile("{\n.reg .b64 state;\nmbarrier.arrive.expect_tx.shared::cta.b64 state, [%0], %1;\n}\n" :: "r"(bar), "r"(bytes) : "memory");
}
`,
	// A phase that never completes (bytes that never land) would hold the device for
	// good, as data-center GPUs have no watchdog: after 5 s of waiting, where a stage
	// takes microseconds, the kernel traps and its launch fails.
	"xb_mbarrier_wait": `__device__ __forceinline__ void xb_mbarrier_wait(unsigned bar, unsigned parity) {
    unsigned long long start = 0;
    for (;;) {
        unsigned done;
        asm volatile("{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
                     : "=r"(done) : "r"(bar), "r"(parity) : "memory");
        if (done) return;
        unsigned long long now;
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
        if (start == 0) {
            start = now;
        } else if (now - start > 5000000000ull) {
            asm volatile("trap;");
        }
    }
}
`,
	"xb_cp_async16": `__device__ __forceinline__ void xb_cp_async16(void* smem, const void* gmem, unsigned bytes) {
    unsigned s = (unsigned)__cvta_generic_to_shared(smem);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" :: "r"(s), "l"(gmem), "r"(bytes));
}
`,
	// The 8-byte form exists only as .ca (through L1); .cg takes 16 bytes alone.
	"xb_cp_async8": `__device__ __forceinline__ void xb_cp_async8(void* smem, const void* gmem, unsigned bytes) {
    unsigned s = (unsigned)__cvta_generic_to_shared(smem);
    asm volatile("cp.async.ca.shared.global [%0], [%1], 8, %2;\n" :: "r"(s), "l"(gmem), "r"(bytes));
}
`,
	"xb_cp_async_commit": `__device__ __forceinline__ void xb_cp_async_commit() {
    asm volatile("cp.async.commit_group;\n" ::);
}
`,
	"xb_cp_async_wait": `template <int N> __device__ __forceinline__ void xb_cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" :: "n"(N));
}
`,
	"xb_ldmatrix_x4": `__device__ __forceinline__ void xb_ldmatrix_x4(unsigned* r, const void* smem) {
    unsigned s = (unsigned)__cvta_generic_to_shared(smem);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(s));
}
`,
	"xb_ldmatrix_x4_trans": `__device__ __forceinline__ void xb_ldmatrix_x4_trans(unsigned* r, const void* smem) {
    unsigned s = (unsigned)__cvta_generic_to_shared(smem);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(s));
}
`,
	"xb_mma_f16":  cudaMMA("xb_mma_f16", "f16"),
	"xb_mma_bf16": cudaMMA("xb_mma_bf16", "bf16"),
	"xb_smem_addr": `__device__ __forceinline__ unsigned xb_smem_addr(const void* p) {
    return (unsigned)__cvta_generic_to_shared(p);
}
`,
	"xb_fence_proxy_async": `__device__ __forceinline__ void xb_fence_proxy_async() {
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}
`,
	"xb_wgmma_fence": `__device__ __forceinline__ void xb_wgmma_fence() {
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
`,
	"xb_wgmma_commit": `__device__ __forceinline__ void xb_wgmma_commit() {
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
`,
	// After the wait, each accumulator passes through an empty asm that "changes" it, so
	// that the compiler reads it only after the wait: it does not know that the MMAs
	// write the registers late.
	"xb_wgmma_wait": `template <int N, int K> __device__ __forceinline__ void xb_wgmma_wait(float* d) {
    asm volatile("wgmma.wait_group.sync.aligned %0;\n" :: "n"(N) : "memory");
#pragma unroll
    for (int i = 0; i < K; i++) asm volatile("" : "+f"(d[i]) :: "memory");
}
`,
}

// cudaWarpgroupMMA is the source of xb_wgmma_m64n<n>_<t>, with the descriptor helper.
func cudaWarpgroupMMA(name string, n int, t string) string {
	var b strings.Builder
	b.WriteString(`#ifndef XB_WGMMA_DESC
#define XB_WGMMA_DESC
// xb_wgmma_desc is a wgmma matrix descriptor: the start address, the leading and stride
// byte offsets (16-byte units, 14 bits each) and the layout type (bits 62-63).
__device__ __forceinline__ unsigned long long xb_wgmma_desc(unsigned addr, unsigned lbo, unsigned sbo, unsigned layout) {
    return (unsigned long long)((addr & 0x3ffff) >> 4) | (unsigned long long)((lbo & 0x3ffff) >> 4) << 16 |
           (unsigned long long)((sbo & 0x3ffff) >> 4) << 32 | (unsigned long long)(layout & 3) << 62;
}
#endif
`)
	regs := make([]string, n/2)
	outs := make([]string, n/2)
	for i := range regs {
		regs[i] = fmt.Sprintf("%%%d", i)
		outs[i] = fmt.Sprintf(`"+f"(d[%d])`, i)
	}
	h := n / 2
	fmt.Fprintf(&b, `template <int TA, int TB> __device__ __forceinline__ void %s(float* d, unsigned long long a, unsigned long long b) {
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %%%d, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n%dk16.f32.%s.%s {%s}, %%%d, %%%d, p, 1, 1, %%%d, %%%d;\n}\n"
                 : %s
                 : "l"(a), "l"(b), "r"(1), "n"(TA), "n"(TB)
                 : "memory");
}
`, name, h+2, n, t, t, strings.Join(regs, ", "), h, h+1, h+3, h+4, strings.Join(outs, ", "))
	return b.String()
}

func cudaMMA(name, t string) string {
	return fmt.Sprintf(`__device__ __forceinline__ void %s(float* c, const unsigned* a, const unsigned* b) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.%s.%s.f32 {%%0, %%1, %%2, %%3}, {%%4, %%5, %%6, %%7}, {%%8, %%9}, {%%0, %%1, %%2, %%3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
`, name, t, t)
}

var cudaMath = map[Fn]string{
	FnSqrt: "sqrt", FnExp: "exp", FnExp2: "exp2", FnLog: "log", FnLog2: "log2", FnSin: "sin", FnCos: "cos",
	FnTan: "tan", FnAsin: "asin", FnAcos: "acos", FnAtan: "atan", FnSinh: "sinh", FnCosh: "cosh", FnTanh: "tanh",
	FnErf: "erf", FnTrunc: "trunc", FnFloor: "floor", FnCeil: "ceil", FnRoundEven: "rint", FnAbs: "fabs",
	FnFmod: "fmod", FnPow: "pow", FnFma: "fma", FnMin: "fmin", FnMax: "fmax",
}

// Call implements Dialect: CUDA has the C math library (f-suffixed for float).
func (CUDA) Call(fn Fn, t Type, argTypes []Type, args []string) (string, string, bool) {
	at := t.S
	if len(argTypes) > 0 {
		at = argTypes[0].S
	}
	call := func(name string) string { return name + "(" + strings.Join(args, ", ") + ")" }
	switch fn {
	case FnIsNaN:
		return call("isnan"), "", true
	case FnMin, FnMax:
		if !at.IsFloat() {
			return call(map[Fn]string{FnMin: "min", FnMax: "max"}[fn]), "", true
		}
	case FnRoundF16:
		return "__half2float(__float2half_rn(" + args[0] + "))", "", true
	case FnRoundBF16:
		return "__bfloat162float(__float2bfloat16_rn(" + args[0] + "))", "", true
	case FnShuffleXor:
		return "__shfl_xor_sync(0xffffffffu, " + args[0] + ", " + args[1] + ")", "", true
	case FnPackF16x2:
		return call("xb_pack_f16x2"), "xb_pack_f16x2", true
	case FnPackBF16x2:
		return call("xb_pack_bf16x2"), "xb_pack_bf16x2", true
	case FnSharedAddress:
		return call("xb_smem_addr"), "xb_smem_addr", true
	case FnAtomicAdd:
		return call("atomicAdd"), "", true
	case FnIPow:
		h := "xb_ipow_" + at.String()
		return call(h), h, true
	case FnF2I:
		h := "xb_f2i_" + t.S.String() + "_" + at.String()
		return call(h), h, true
	}
	name, ok := cudaMath[fn]
	if !ok {
		return "", "", false
	}
	if at == F32 {
		name += "f"
	}
	return call(name), "", true
}

// Kernel implements Dialect.
func (c CUDA) Kernel(p *Program, u Usage, body string) (string, error) {
	var b strings.Builder
	b.WriteString("#include <cuda_fp16.h>\n#include <cuda_bf16.h>\n")
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "// %s\n", n)
	}
	var intrinsics []string
	for _, h := range u.Helpers {
		if src, ok := cudaIntrinsics[h]; ok {
			intrinsics = append(intrinsics, src)
			continue
		}
		var n int
		var t string
		if _, err := fmt.Sscanf(strings.ReplaceAll(h, "_", " "), "xb wgmma m64n%d %s", &n, &t); err == nil {
			intrinsics = append(intrinsics, cudaWarpgroupMMA(h, n, t))
			continue
		}
		if _, err := fmt.Sscanf(h, "xb_tma_load_%dd", &n); err == nil && n >= 1 && n <= 5 {
			intrinsics = append(intrinsics, cudaTensorLoad(n))
			continue
		}
		src, ok := cudaHelper(h)
		if !ok {
			return "", fmt.Errorf("codegen: cuda: no helper %s", h)
		}
		b.WriteString("\n" + src)
	}
	if len(p.TensorMaps) > 0 {
		intrinsics = append([]string{cudaTensorMapType}, intrinsics...)
	}
	if len(intrinsics) > 0 {
		b.WriteString("\n#ifndef XB_EMULATED_INTRINSICS\n" + strings.Join(intrinsics, "") + "#endif\n")
	}
	threads := p.Local[0] * max(p.Local[1], 1) * max(p.Local[2], 1)
	var params []string
	for _, prm := range p.Params {
		q := "const "
		if prm.Write {
			q = ""
		}
		params = append(params, fmt.Sprintf("%s%s* __restrict__ %s", q, cudaStorage(prm.DType), prm.Name))
	}
	for i := range p.TensorMaps {
		params = append(params, fmt.Sprintf("const __grid_constant__ xb_tensor_map tmap%d", i))
	}
	fmt.Fprintf(&b, "\nextern \"C\" __global__ void __launch_bounds__(%d) %s(%s) {\n", threads, p.Name, strings.Join(params, ", "))
	for _, prm := range p.Params {
		if prm.Vec > 1 {
			vt, _ := c.Type(Type{S: ComputeType(prm.DType), Vec: prm.Vec})
			fmt.Fprintf(&b, "    const %s* %sv = reinterpret_cast<const %s*>(%s);\n", vt, prm.Name, vt, prm.Name)
		}
	}
	if bytes := SharedBytes(p); bytes > CUDAStaticShared {
		// Past the static limit, shared memory is the launch's dynamic shared memory, cut
		// into the arrays. A host build (the tests' emulator) declares it statically.
		fmt.Fprintf(&b, "#ifdef XB_EMULATED_INTRINSICS\n    __shared__ __align__(16) unsigned char xb_shared[%d];\n#else\n", bytes)
		b.WriteString("    extern __shared__ __align__(16) unsigned char xb_shared[];\n#endif\n")
		off := 0
		for _, d := range p.Shared {
			t, _ := c.Type(d.Type)
			fmt.Fprintf(&b, "    %s* const %s = reinterpret_cast<%s*>(xb_shared + %d);\n", t, d.Name, t, off)
			off += sharedSize(d)
		}
	} else {
		for _, s := range u.Shared {
			// 16-byte aligned: asynchronous copies and ldmatrix address shared memory in
			// 16-byte rows.
			fmt.Fprintf(&b, "    __shared__ __align__(16) %s\n", s)
		}
	}
	b.WriteString(body)
	b.WriteString("}\n")
	return b.String(), nil
}

// CUDAStaticShared is the most shared memory a CUDA kernel declares statically; a kernel
// that needs more takes it as dynamic shared memory, which the device must allow for the
// kernel (CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES) and give at launch.
const CUDAStaticShared = 48 << 10

// SharedBytes is the shared memory of p's arrays, each starting on 16 bytes.
func SharedBytes(p *Program) int {
	n := 0
	for _, d := range p.Shared {
		n += sharedSize(d)
	}
	return n
}

func sharedSize(d *Decl) int {
	size := map[Scalar]int{Bool: 1, I32: 4, U32: 4, F32: 4, I64: 8, U64: 8, F64: 8}[d.Type.S] * max(d.Type.Vec, 1)
	return (d.Len*size + 15) &^ 15
}

func cudaStorage(dt graph.DType) string {
	switch dt {
	case graph.Bool:
		return "bool"
	case graph.Uint8:
		return "unsigned char"
	case graph.Float16:
		return "__half"
	case graph.BFloat16:
		return "__nv_bfloat16"
	}
	return cudaScalars[ComputeType(dt)]
}

// cudaHelper returns the source of xb_ipow_<int>, xb_f2i_<int>_<float> and
// xb_pack_<f16|bf16>x2.
func cudaHelper(name string) (string, bool) {
	switch name {
	case "xb_pack_f16x2", "xb_pack_bf16x2":
		conv := map[string]string{"xb_pack_f16x2": "__float2half_rn", "xb_pack_bf16x2": "__float2bfloat16_rn"}[name]
		return fmt.Sprintf(`// %s packs two values of the storage type (exact: they are of the type already).
__device__ inline unsigned %s(float lo, float hi) {
    return (unsigned)%s(lo).x | ((unsigned)%s(hi).x << 16);
}
`, name, name, conv, conv), true
	}
	parts := strings.Split(name, "_")
	ctype := map[string]string{"i32": "int", "u32": "unsigned", "i64": "long long", "f32": "float", "f64": "double"}
	switch {
	case len(parts) == 3 && parts[1] == "ipow":
		it := ctype[parts[2]]
		neg := "    if (y < 0) return x == 1 ? 1 : (x == -1 ? ((y & 1) == 0 ? 1 : -1) : 0);\n"
		if parts[2] == "u32" {
			neg = ""
		}
		return fmt.Sprintf("__device__ inline %s %s(%s x, %s y) {\n%s    %s r = 1;\n    for (; y > 0; y >>= 1, x *= x)\n        if (y & 1) r *= x;\n    return r;\n}\n",
			it, name, it, it, neg, it), it != ""
	case len(parts) == 4 && parts[1] == "f2i":
		it, ft := ctype[parts[2]], ctype[parts[3]]
		return fmt.Sprintf(`// %s truncates like the CPU: NaN is 0, values beyond int64 saturate, then wrap.
__device__ inline %s %s(%s x) {
    if (isnan(x)) return 0;
    if (x >= (%s)9223372036854775807ll) return (%s)9223372036854775807ll;
    if (x <= (%s)(-9223372036854775807ll - 1)) return (%s)(-9223372036854775807ll - 1);
    return (%s)(long long)x;
}
`, name, it, name, ft, ft, it, ft, it, it), it != "" && ft != ""
	}
	return "", false
}

// xb_emu.h: a CPU emulator of CUDA C++ for tests. Force-included (g++ -include xb_emu.h)
// in front of the source that the CUDA dialect renders, it lets g++ compile that source
// unchanged as host code; xb_emu_main.h adds the launcher (a main that runs a grid).
//
// Execution model. Every CUDA thread of a block is a fiber with its own stack, made once
// a launch and switched with _setjmp/_longjmp, which leave the signal mask alone
// (swapcontext sets it with a system call on every switch);
// the fibers of one block run round-robin on one OS thread (in eager mode, once the
// block has mbarriers, the first fiber that can run does, so that warps run ahead), and
// blocks run one after another (first to last in eager mode, last to first in deferred
// mode: see below), so __shared__ variables can be function statics. A fiber runs until it exits,
// reaches __syncthreads, or reaches a warp-wide operation. __syncthreads releases its
// threads when every live (not exited) thread of the block waits there; a warp-wide
// operation (shuffle, ballot, __syncwarp, ldmatrix, mma) completes when all 32 lanes of
// the warp have deposited their operands, and then every lane's result is computed from
// all of them. When no thread can run and the barrier cannot release, the block is
// deadlocked: the emulator says which block and where its threads wait, and exits with
// status 3. Other errors (a bad address for ldmatrix or cp.async, lanes at different warp
// operations, a memory fault) exit with status 2 or 4, with a message on stderr.
//
// Shared memory: __shared__ variables are placed in the ELF section xb_shared, and the
// whole section is filled with 0xFF bytes (NaN for every float type, -1 for integers)
// before each block, so that a kernel reading shared memory it did not write sees poison.
// ldmatrix and cp.async check that their shared operand lies in that section.
//
// cp.async (xb_cp_async16 and friends) runs in one of two modes chosen at launch:
//   eager:    a copy lands when it is issued;
//   deferred: a thread's copies land only when its xb_cp_async_wait<N> retires their
//             group (oldest group first); copies never waited for land when it exits.
// A kernel correct in both modes neither reads a stage before waiting for it (deferred
// catches that) nor overwrites a stage that other threads may still read (eager does).
//
// mma: the products of the f16/bf16 inputs are exact in float; each output accumulates
// d = fmaf(a[k], b[k], d) for k = 0..15 in ascending order, starting from c, so each step
// rounds once to float. The hardware's internal order and rounding differ slightly.
//
// Warpgroup MMA (sm_90a's wgmma.mma_async, xb_wgmma_m64n<N>_<f16|bf16>): the 128 threads
// of a warpgroup issue it together; it reads A and B from shared memory through matrix
// descriptors (start address, leading and stride byte offsets, swizzle mode), decoded as
// the PTX ISA lays out its canonical K-major and MN-major layouts, the swizzle applied to
// the shared-memory address bits. Products accumulate like mma's. They run the other way
// round from the copies: in eager mode when a wgmma.wait_group retires their group, in
// deferred mode when issued. Eager copies with late products show a stage overwritten
// while its products are in flight, and accumulators read before the wait; deferred
// copies with early products show products issued before their tiles landed. The emulator
// fails a wgmma that follows no wgmma.fence since the warpgroup's last wait, and one that
// reads shared memory that a cp.async of some thread wrote after that thread's last
// fence.proxy.async (the async proxy would not see the write).
//
// mbarriers and TMA (sm_90): an mbarrier's state (its phase, the arrivals and the
// transaction bytes (tx-count) the phase still needs) lives beside shared memory, keyed by
// its address, for the block; its 8 bytes in shared memory hold a tag that every operation
// checks, so that a store over a live mbarrier is caught. A phase completes when its last
// arrival and its last byte are in; a thread in mbarrier.try_wait.parity sleeps until a
// phase of that mbarrier completes. A tensor copy (cp.async.bulk.tensor, xb_tma_load_<N>d)
// reads its box through a tensor map (a __grid_constant__ kernel parameter that the
// launcher fills in, see xb_emu_main.h), fills elements outside the tensor with zeros,
// swizzles it into shared memory as wgmma reads it, and completes its bytes on an mbarrier:
// in eager mode when issued, in deferred mode only when a thread waits on that mbarrier (a
// kernel that reads a stage before waiting for it reads poison). A copy fails when the
// thread that initialized its mbarrier has not executed fence.mbarrier_init (or
// fence.proxy.async) since; a phase fails when more bytes complete on it than
// arrive.expect_tx announced, and the block when it ends with a copy that no thread waited
// for. A copy whose box lies wholly outside the tensor fails as well: the ISA zero-fills the
// outside elements of a box but does not say whether a box with none inside completes its
// bytes. When no thread can run, threads still waiting on mbarriers make the block
// deadlocked, and the report says which mbarriers and parities they wait for.
#ifndef XB_EMU_H
#define XB_EMU_H

// Fortified builds check that longjmp goes up the stack it is called on, which a switch
// between fibers does not.
#undef _FORTIFY_SOURCE

#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <map>
#include <type_traits>
#include <utility>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#ifndef __align__
#define __align__(n) __attribute__((aligned(n)))
#endif
#define __shared__ __attribute__((section("xb_shared"))) static
#define __grid_constant__

// The CUDA dialect's inline-PTX helpers are left out in favour of the definitions below.
#define XB_EMULATED_INTRINSICS 1

#include "cuda_bf16.h"
#include "cuda_fp16.h"

// ---- vector types

#define XB_VECTOR_TYPES(P, T, A2, A4)                                                       \
    struct P##1 { T x; };                                                                    \
    struct __align__(A2) P##2 { T x, y; };                                                   \
    struct P##3 { T x, y, z; };                                                              \
    struct __align__(A4) P##4 { T x, y, z, w; };                                             \
    inline P##1 make_##P##1(T x) { P##1 v = {x}; return v; }                                \
    inline P##2 make_##P##2(T x, T y) { P##2 v = {x, y}; return v; }                        \
    inline P##3 make_##P##3(T x, T y, T z) { P##3 v = {x, y, z}; return v; }                \
    inline P##4 make_##P##4(T x, T y, T z, T w) { P##4 v = {x, y, z, w}; return v; }

XB_VECTOR_TYPES(char, signed char, 2, 4)
XB_VECTOR_TYPES(uchar, unsigned char, 2, 4)
XB_VECTOR_TYPES(short, short, 4, 8)
XB_VECTOR_TYPES(ushort, unsigned short, 4, 8)
XB_VECTOR_TYPES(int, int, 8, 16)
XB_VECTOR_TYPES(uint, unsigned, 8, 16)
XB_VECTOR_TYPES(float, float, 8, 16)
XB_VECTOR_TYPES(longlong, long long, 16, 16)
XB_VECTOR_TYPES(ulonglong, unsigned long long, 16, 16)
XB_VECTOR_TYPES(double, double, 16, 16)
#undef XB_VECTOR_TYPES

struct dim3 {
    unsigned x, y, z;
};

// xb_tensor_map is a tensor map (CUtensorMap's 128 bytes and alignment) as the emulator
// lays it out, little-endian; the launcher reads one from a file of these 128 bytes.
#define XB_TENSOR_MAP_MAGIC 0x4d544258u  // "XBTM"
struct alignas(64) xb_tensor_map {
    uint32_t magic;
    uint32_t param;        // the kernel parameter (a buffer) the map reads
    uint64_t offset;       // bytes from that buffer's start to element (0, 0, ...)
    uint64_t global;       // 0 in the file; the launcher sets the buffer's address + offset
    uint32_t rank;         // 1 to 5
    uint32_t elem;         // bytes per element: 1, 2, 4 or 8
    uint32_t swizzle;      // 0, 32, 64 or 128 bytes
    uint32_t pad;
    uint32_t dims[5];      // elements along each dimension, innermost (contiguous) first
    uint32_t box[5];       // the box, in elements per dimension
    uint64_t strides[4];   // bytes between consecutive indices of dimensions 1 to rank-1
    uint64_t reserved[2];
};
static_assert(sizeof(xb_tensor_map) == 128 && alignof(xb_tensor_map) == 64, "a tensor map is CUtensorMap's size");
static_assert(offsetof(xb_tensor_map, rank) == 24 && offsetof(xb_tensor_map, dims) == 40 &&
                  offsetof(xb_tensor_map, box) == 60 && offsetof(xb_tensor_map, strides) == 80,
              "the tests write tensor maps with this layout");

// ---- bit casts, integer min/max, fast-math spellings

inline float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
inline int __float_as_int(float f) { int i; memcpy(&i, &f, 4); return i; }
inline float __uint_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
inline double __longlong_as_double(long long i) { double d; memcpy(&d, &i, 8); return d; }
inline long long __double_as_longlong(double d) { long long i; memcpy(&i, &d, 8); return i; }

#define XB_MINMAX(R, A, B)                                 \
    inline R min(A a, B b) { return (R)a < (R)b ? (R)a : (R)b; } \
    inline R max(A a, B b) { return (R)a > (R)b ? (R)a : (R)b; }
XB_MINMAX(int, int, int)
XB_MINMAX(unsigned, unsigned, unsigned)
XB_MINMAX(unsigned, int, unsigned)
XB_MINMAX(unsigned, unsigned, int)
XB_MINMAX(long long, long long, long long)
XB_MINMAX(unsigned long long, unsigned long long, unsigned long long)
XB_MINMAX(unsigned long long, long long, unsigned long long)
XB_MINMAX(unsigned long long, unsigned long long, long long)
#undef XB_MINMAX
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }

inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
template <class T> inline T __ldg(const T* p) { return *p; }
inline void __threadfence() {}
inline void __threadfence_block() {}

// Atomics are plain read-modify-writes: fibers switch only at barriers and warp
// operations, never inside one.
template <class T> inline T atomicAdd(T* p, T v) { T o = *p; *p = o + v; return o; }
template <class T> inline T atomicExch(T* p, T v) { T o = *p; *p = v; return o; }
template <class T> inline T atomicMax(T* p, T v) { T o = *p; if (v > o) *p = v; return o; }
template <class T> inline T atomicMin(T* p, T v) { T o = *p; if (v < o) *p = v; return o; }
template <class T> inline T atomicCAS(T* p, T cmp, T v) { T o = *p; if (o == cmp) *p = v; return o; }

// ---- the emulator's state

namespace xb {

enum State { Ready, Running, AtBarrier, AtWarp, AtMbarrier, Exited };

// The warp-wide operations; lanes of one warp must all be at the same one.
// The warpgroup-wide ones (Wg) need all 128 threads of a warpgroup.
enum WarpOp { OpNone, OpShflIdx, OpShflUp, OpShflDown, OpShflXor, OpBallot, OpSyncWarp,
              OpLdmatrix, OpLdmatrixTrans, OpMmaF16, OpMmaBF16,
              OpWgFence, OpWgMma, OpWgCommit, OpWgWait };

inline const char* op_name(int op) {
    static const char* const names[] = {"none", "__shfl_sync", "__shfl_up_sync", "__shfl_down_sync",
        "__shfl_xor_sync", "__ballot_sync", "__syncwarp", "ldmatrix.x4", "ldmatrix.x4.trans",
        "mma.m16n8k16.f16", "mma.m16n8k16.bf16", "wgmma.fence", "wgmma.mma_async", "wgmma.commit_group",
        "wgmma.wait_group"};
    return names[op];
}

// WgMma is one wgmma.mma_async of a warpgroup: D (64 x n, in the accumulators of its 128
// threads) += A (64 x 16) x B (16 x n).
struct WgMma {
    int n;
    bool bf16;
    bool a_mn, b_mn;  // MN-major rather than K-major (imm-trans-a, imm-trans-b)
    uint64_t a, b;    // descriptors
    float* acc[128];
};

struct CopyOp {
    void* dst;
    const void* src;
    unsigned bytes;
    unsigned size;  // 16 or 8: the bytes written, past bytes zero-filled
};

struct Thread {
    dim3 idx;
    int linear;
    State state;
    jmp_buf jb;  // where the fiber resumes
    // A lane's operands of a warp-wide operation, and its results.
    int op;
    uint64_t value;
    int arg, width;
    const void* addr;
    unsigned regs[10];
    unsigned out[4];
    uint64_t result;
    // cp.async: copies not yet committed, and committed groups, oldest first.
    std::vector<CopyOp> pending;
    std::vector<std::vector<CopyOp>> groups;
    // fence.proxy.async executed so far.
    unsigned fences;
    // A thread's operands of a wgmma.mma_async.
    WgMma wg;
    // The mbarrier (a shared address) and phase parity that the thread waits for, when
    // AtMbarrier; fence.mbarrier_init (or fence.proxy.async) executed so far.
    unsigned mbar, mbar_parity, mbar_fences;
};

struct Warp {
    int arrived;
    int op;
};

struct Warpgroup {
    int arrived;
    int op;
    bool fenced;  // a wgmma.fence since the last wgmma.wait_group
    // Issued and not committed; committed groups, oldest first (deferred mode).
    std::vector<WgMma> pending;
    std::vector<std::vector<WgMma>> groups;
};

// The last cp.async to write an 8-byte piece of shared memory: its thread (-1: none since
// the block began) and that thread's fence count then.
struct ChunkWrite {
    int thread;
    unsigned fences;
};

// TmaLoad is one cp.async.bulk.tensor: the box at coordinates c of the map's tensor, to
// shared address dst, its bytes completed on the mbarrier at bar.
struct TmaLoad {
    unsigned dst, bar;
    int rank;
    int c[5];
    xb_tensor_map map;
};

// Mbarrier is the state of one mbarrier object.
struct Mbarrier {
    unsigned expected;  // arrivals per phase
    unsigned pending;   // arrivals the current phase still needs
    long long tx;       // bytes the current phase still needs; negative when more came than were expected yet
    unsigned phase;     // phases completed
    int init_thread;    // the thread of the mbarrier.init, and its fence count then
    unsigned init_fences;
    std::vector<TmaLoad> queued;  // deferred mode: copies not landed yet
};

// The block's mbarriers by shared address.
inline std::map<unsigned, Mbarrier> mbarriers;

enum Mode { Eager, Deferred };

inline Thread* cur;
inline dim3 block_idx, block_dim, grid_dim;
inline Mode mode = Eager;
inline jmp_buf scheduler;  // where the scheduler resumes
inline jmp_buf creator;    // where a fiber made returns to
inline Thread* starting;   // the fiber being made
inline std::vector<Thread> threads;
inline std::vector<Warp> warps;
inline std::vector<Warpgroup> warpgroups;
inline std::vector<ChunkWrite> chunk_writes;
inline char* stacks;
inline size_t stack_size = 256 << 10;
inline const size_t page = 4096;
inline void (*body)();

[[noreturn]] inline void fail(int status, const char* format, ...) {
    fflush(stdout);
    fprintf(stderr, "emulator: block (%u,%u,%u)", block_idx.x, block_idx.y, block_idx.z);
    if (cur) fprintf(stderr, " thread (%u,%u,%u)", cur->idx.x, cur->idx.y, cur->idx.z);
    fprintf(stderr, ": ");
    va_list ap;
    va_start(ap, format);
    vfprintf(stderr, format, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    fflush(stderr);
    _exit(status);
}

}  // namespace xb

extern "C" char __start_xb_shared[] __attribute__((weak));
extern "C" char __stop_xb_shared[] __attribute__((weak));

namespace xb {

inline bool in_shared(const void* p, size_t n) {
    const char* c = (const char*)p;
    return __start_xb_shared != nullptr && c >= __start_xb_shared && c + n <= __stop_xb_shared;
}

inline void poison_shared() {
    if (__start_xb_shared == nullptr) return;
    memset(__start_xb_shared, 0xff, __stop_xb_shared - __start_xb_shared);
    chunk_writes.assign((__stop_xb_shared - __start_xb_shared) / 8 + 1, ChunkWrite{-1, 0});
    mbarriers.clear();
}

// yield returns to the scheduler; the fiber resumes when it is Ready again.
inline void yield() {
    Thread* t = cur;
    if (_setjmp(t->jb) == 0) _longjmp(scheduler, 1);
    cur = t;
}

inline void land(const CopyOp& c) {
    if (c.bytes > 0) memcpy(c.dst, c.src, c.bytes);
    memset((char*)c.dst + c.bytes, 0, c.size - c.bytes);
    for (unsigned i = 0; i < c.size; i += 8)
        chunk_writes[((const char*)c.dst - __start_xb_shared + i) / 8] = ChunkWrite{cur->linear, cur->fences};
}

inline void land_all(Thread* t) {
    for (auto& g : t->groups)
        for (auto& c : g) land(c);
    t->groups.clear();
    for (auto& c : t->pending) land(c);
    t->pending.clear();
}

// fiber_main is a fiber's whole life: made, it returns to its maker at once; then every
// time the scheduler first runs it in a block it runs the kernel's body for its thread.
inline void fiber_main() {
    if (_setjmp(starting->jb) == 0) _longjmp(creator, 1);
    for (;;) {
        body();
        land_all(cur);
        cur->state = Exited;
        yield();
    }
}

// make_fiber makes the fiber of thread t on the stack [lo, lo+size): fiber_main runs on
// it until its first _setjmp, which returns here.
inline void make_fiber(Thread* t, char* lo, size_t size) {
    starting = t;
    if (_setjmp(creator) != 0) return;
#if defined(__x86_64__)
    // The stack's top is 16-byte aligned, as the ABI wants it at a call.
    asm volatile("mov %0, %%rsp\n\tcall *%1\n\tud2" : : "r"(lo + size), "r"(fiber_main) : "memory");
#elif defined(__aarch64__)
    asm volatile("mov sp, %0\n\tblr %1\n\tbrk #0" : : "r"(lo + size), "r"(fiber_main) : "memory");
#else
    // Elsewhere ucontext enters it (setcontext sets the signal mask: a system call).
    static ucontext_t ctx;
    getcontext(&ctx);
    ctx.uc_stack.ss_sp = lo;
    ctx.uc_stack.ss_size = size;
    ctx.uc_link = nullptr;
    makecontext(&ctx, fiber_main, 0);
    setcontext(&ctx);
#endif
    __builtin_unreachable();
}

// complete computes every lane's result of warp w's operation.
inline void complete(int w) {
    Thread* lane = &threads[w * 32];
    int op = warps[w].op;
    for (int l = 0; l < 32; l++) {
        Thread& t = lane[l];
        int width = t.width;
        int base = l & ~(width - 1);
        int src = l;
        switch (op) {
        case OpShflIdx: src = base + (t.arg & (width - 1)); break;
        case OpShflUp: src = l - t.arg >= base ? l - t.arg : l; break;
        case OpShflDown: src = l + t.arg < base + width ? l + t.arg : l; break;
        case OpShflXor: src = (l ^ t.arg) < base + width ? (l ^ t.arg) & 31 : l; break;
        }
        t.result = lane[src].value;
    }
    switch (op) {
    case OpBallot: {
        uint64_t bits = 0;
        for (int l = 0; l < 32; l++)
            if (lane[l].value) bits |= 1ull << l;
        for (int l = 0; l < 32; l++) lane[l].result = bits;
        break;
    }
    case OpLdmatrix:
    case OpLdmatrixTrans:
        // Lane 8*i + r holds the address of row r of matrix i (8 b16 values, 16 bytes). Lane l
        // receives, of each matrix, the pair of elements (row l/4, columns 2*(l%4)+{0,1}); with
        // .trans, of the transposed matrix: (rows 2*(l%4)+{0,1}, column l/4).
        for (int l = 0; l < 32; l++) {
            for (int i = 0; i < 4; i++) {
                unsigned short lo, hi;
                if (op == OpLdmatrix) {
                    const unsigned short* row = (const unsigned short*)lane[i * 8 + l / 4].addr;
                    lo = row[2 * (l % 4)];
                    hi = row[2 * (l % 4) + 1];
                } else {
                    lo = ((const unsigned short*)lane[i * 8 + 2 * (l % 4)].addr)[l / 4];
                    hi = ((const unsigned short*)lane[i * 8 + 2 * (l % 4) + 1].addr)[l / 4];
                }
                lane[l].out[i] = (unsigned)lo | (unsigned)hi << 16;
            }
        }
        break;
    case OpMmaF16:
    case OpMmaBF16: {
        // Fragments of m16n8k16 (row.col), lane l = 4*g + t:
        //   A (16x16): regs 0..3 hold A[g][2t..2t+1], A[g+8][2t..], A[g][2t+8..], A[g+8][2t+8..];
        //   B (16x8):  regs 0..1 hold B[2t..2t+1][g], B[2t+8..2t+9][g];
        //   C, D (16x8 f32): C[g][2t], C[g][2t+1], C[g+8][2t], C[g+8][2t+1].
        // The lower 16 bits of a register hold the element with the smaller index.
        float a[16][16], b[16][8], d[16][8];
        auto conv = [op](unsigned short h) {
            if (op == OpMmaF16) {
                __half x;
                x.x = h;
                return __half2float(x);
            }
            __nv_bfloat16 x;
            x.x = h;
            return __bfloat162float(x);
        };
        for (int l = 0; l < 32; l++) {
            int g = l >> 2, t = l & 3;
            const unsigned* r = lane[l].regs;
            for (int j = 0; j < 2; j++) {
                int sh = 16 * j;
                a[g][2 * t + j] = conv(r[0] >> sh);
                a[g + 8][2 * t + j] = conv(r[1] >> sh);
                a[g][2 * t + 8 + j] = conv(r[2] >> sh);
                a[g + 8][2 * t + 8 + j] = conv(r[3] >> sh);
                b[2 * t + j][g] = conv(r[4] >> sh);
                b[2 * t + 8 + j][g] = conv(r[5] >> sh);
            }
            d[g][2 * t] = __uint_as_float(r[6]);
            d[g][2 * t + 1] = __uint_as_float(r[7]);
            d[g + 8][2 * t] = __uint_as_float(r[8]);
            d[g + 8][2 * t + 1] = __uint_as_float(r[9]);
        }
        for (int m = 0; m < 16; m++)
            for (int n = 0; n < 8; n++)
                for (int k = 0; k < 16; k++) d[m][n] = fmaf(a[m][k], b[k][n], d[m][n]);
        for (int l = 0; l < 32; l++) {
            int g = l >> 2, t = l & 3;
            lane[l].out[0] = __float_as_uint(d[g][2 * t]);
            lane[l].out[1] = __float_as_uint(d[g][2 * t + 1]);
            lane[l].out[2] = __float_as_uint(d[g + 8][2 * t]);
            lane[l].out[3] = __float_as_uint(d[g + 8][2 * t + 1]);
        }
        break;
    }
    }
}

// warp_op is a lane's part of a warp-wide operation: its operands are in cur; when it
// returns, so is its result.
inline void warp_op(int op) {
    Thread* t = cur;
    int w = t->linear / 32;
    Warp& wp = warps[w];
    if (wp.arrived == 0) {
        wp.op = op;
    } else if (wp.op != op) {
        fail(2, "lane %d is at %s while other lanes of warp %d are at %s", t->linear % 32, op_name(op), w,
             op_name(wp.op));
    }
    t->op = op;
    t->state = AtWarp;
    if (++wp.arrived == 32) {
        complete(w);
        wp.arrived = 0;
        wp.op = OpNone;
        for (int l = 0; l < 32; l++) threads[w * 32 + l].state = Ready;
        t->state = Running;
        return;
    }
    yield();
}

inline void check_mask(unsigned mask, const char* what) {
    if (mask != 0xffffffffu) fail(2, "%s with mask 0x%08x: only full warps are emulated", what, mask);
}

inline void check_width(int width, const char* what) {
    if (width <= 0 || width > 32 || (width & (width - 1)) != 0) fail(2, "%s with width %d", what, width);
}

template <class T> inline T shuffle(int op, unsigned mask, T v, int arg, int width) {
    static_assert(std::is_trivially_copyable<T>::value && sizeof(T) <= 8, "shuffles move 4 or 8 bytes");
    check_mask(mask, op_name(op));
    check_width(width, op_name(op));
    cur->value = 0;
    memcpy(&cur->value, &v, sizeof(T));
    cur->arg = arg;
    cur->width = width;
    warp_op(op);
    T r;
    memcpy(&r, &cur->result, sizeof(T));
    return r;
}

// ---- warpgroup MMA

// wg_address is the shared-memory address (an offset in the xb_shared section) of element
// (mn, k) of the operand that descriptor desc describes: mn is the row of A (M) or the
// column of B (N), k the position along K (0 to 15). Descriptor fields (PTX ISA, "matrix
// descriptor"): bits 0-13 start address, 16-29 leading dimension byte offset (LBO), 32-45
// stride dimension byte offset (SBO), each in 16-byte units; 49-51 base offset; 62-63 the
// layout: 0 no swizzle, 1 128-byte, 2 64-byte, 3 32-byte swizzle. The canonical layouts
// are built of 16-byte rows of 8 values:
//   K-major, no swizzle: 8x8 core matrices of 8 rows of 16 bytes; the next 8 along MN at
//     SBO, the next 8 along K at LBO;
//   K-major, swizzle of S bytes: rows of S bytes along K, 8 rows an atom; the next 8 rows
//     along MN at SBO;
//   MN-major, no swizzle: core matrices of 8 rows along K of 16 bytes along MN; the next
//     8 along MN at SBO, the next 8 along K at LBO;
//   MN-major, swizzle of S bytes: rows of S bytes along MN, one per K, 8 rows an atom; the
//     next S/2 values along MN at LBO, the next 8 rows along K at SBO.
// A swizzle of S bytes XORs address bits 4.. (the 16-byte chunk within a 128-byte line)
// with bits 7.. (the line within the atom), log2(S/16) bits of each.
inline unsigned wg_address(uint64_t desc, bool mn_major, int mn, int k) {
    unsigned start = (unsigned)(desc & 0x3fff) << 4 | (unsigned)((desc >> 52) & 0x3ff) << 18;  // see xb_wgmma_desc
    unsigned lbo = (unsigned)((desc >> 16) & 0x3fff) << 4, sbo = (unsigned)((desc >> 32) & 0x3fff) << 4;
    int layout = (int)(desc >> 62);
    unsigned sw = layout == 1 ? 128 : layout == 2 ? 64 : layout == 3 ? 32 : 0;
    unsigned off;
    if (!mn_major) {
        off = sw == 0 ? (mn % 8) * 16 + (mn / 8) * sbo + (k / 8) * lbo + (k % 8) * 2 : (mn % 8) * sw + (mn / 8) * sbo + k * 2;
    } else if (sw == 0) {
        off = (mn % 8) * 2 + (mn / 8) * sbo + (k % 8) * 16 + (k / 8) * lbo;
    } else {
        unsigned e = sw / 2;
        off = (mn % e) * 2 + (mn / e) * lbo + (k % 8) * sw + (k / 8) * sbo;
    }
    unsigned a = start + off;
    if (sw != 0) a ^= ((a >> 7) & (sw / 16 - 1)) << 4;
    return a;
}

// wg_operand reads element (mn, k) of a wgmma operand from shared memory, checking that
// the async proxy may see it.
inline float wg_operand(uint64_t desc, bool mn_major, int mn, int k, bool bf16, const char* which) {
    unsigned a = wg_address(desc, mn_major, mn, k);
    size_t size = __stop_xb_shared - __start_xb_shared;
    if (a % 2 != 0 || a + 2 > size)
        fail(2, "wgmma.mma_async: %s element (%d, %d) at shared address %u, outside the %zu bytes of shared memory", which, mn, k,
             a, size);
    const ChunkWrite& w = chunk_writes[a / 8];
    if (w.thread >= 0 && threads[w.thread].fences <= w.fences)
        fail(2, "wgmma.mma_async reads %s element (%d, %d) at shared address %u, which thread %d wrote with cp.async "
                "and did not fence.proxy.async since",
             which, mn, k, a, w.thread);
    unsigned short h;
    memcpy(&h, __start_xb_shared + a, 2);
    if (bf16) {
        __nv_bfloat16 x;
        x.x = h;
        return __bfloat162float(x);
    }
    __half x;
    x.x = h;
    return __half2float(x);
}

// wg_run performs m: thread t of the warpgroup (warp w = t/32, lane l) holds in its
// accumulator i the element (16w + l/4 + 8((i/2)%2), 8(i/4) + 2(l%4) + i%2) of D.
inline void wg_run(const WgMma& m) {
    if (((m.a >> 49) & 7) != 0 || ((m.b >> 49) & 7) != 0) fail(2, "wgmma.mma_async with a base offset: not emulated");
    static float a[64][16], b[256][16];
    for (int r = 0; r < 64; r++)
        for (int k = 0; k < 16; k++) a[r][k] = wg_operand(m.a, m.a_mn, r, k, m.bf16, "A");
    for (int c = 0; c < m.n; c++)
        for (int k = 0; k < 16; k++) b[c][k] = wg_operand(m.b, m.b_mn, c, k, m.bf16, "B");
    for (int r = 0; r < 64; r++)
        for (int c = 0; c < m.n; c++) {
            int rr = r % 16;
            int t = 32 * (r / 16) + 4 * (rr % 8) + (c % 8) / 2;
            int i = 4 * (c / 8) + 2 * (rr / 8) + c % 2;
            float d = m.acc[t][i];
            for (int k = 0; k < 16; k++) d = fmaf(a[r][k], b[c][k], d);
            m.acc[t][i] = d;
        }
}

// complete_warpgroup computes warpgroup g's operation once all 128 threads are at it.
inline void complete_warpgroup(int g) {
    Warpgroup& wg = warpgroups[g];
    Thread* th = &threads[g * 128];
    switch (wg.op) {
    case OpWgFence:
        wg.fenced = true;
        break;
    case OpWgMma: {
        WgMma m = th[0].wg;
        for (int t = 0; t < 128; t++) {
            const WgMma& o = th[t].wg;
            if (o.n != m.n || o.bf16 != m.bf16 || o.a_mn != m.a_mn || o.b_mn != m.b_mn || o.a != m.a || o.b != m.b)
                fail(2, "threads 0 and %d of warpgroup %d issue different wgmma.mma_async operands", t, g);
            m.acc[t] = o.acc[0];
        }
        if (!wg.fenced) fail(2, "warpgroup %d: wgmma.mma_async without a wgmma.fence since its last wgmma.wait_group", g);
        if (mode == Deferred) {
            wg_run(m);
        } else {
            wg.pending.push_back(m);
        }
        break;
    }
    case OpWgCommit:
        wg.groups.push_back(std::move(wg.pending));
        wg.pending.clear();
        break;
    case OpWgWait:
        while (wg.groups.size() > (size_t)th[0].arg) {
            for (auto& m : wg.groups.front()) wg_run(m);
            wg.groups.erase(wg.groups.begin());
        }
        wg.fenced = false;
        break;
    }
}

// warpgroup_op is a thread's part of a warpgroup-wide operation, as warp_op.
inline void warpgroup_op(int op) {
    Thread* t = cur;
    int g = t->linear / 128;
    if ((g + 1) * 128 > (int)threads.size())
        fail(2, "%s in a block of %zu threads: a warpgroup is 128 threads", op_name(op), threads.size());
    Warpgroup& wg = warpgroups[g];
    if (wg.arrived == 0) {
        wg.op = op;
    } else if (wg.op != op) {
        fail(2, "thread %d is at %s while other threads of warpgroup %d are at %s", t->linear % 128, op_name(op), g,
             op_name(wg.op));
    }
    t->op = op;
    t->state = AtWarp;
    if (++wg.arrived == 128) {
        complete_warpgroup(g);
        wg.arrived = 0;
        wg.op = OpNone;
        for (int l = 0; l < 128; l++) threads[g * 128 + l].state = Ready;
        t->state = Running;
        return;
    }
    yield();
}

template <int N, bool BF16, int TA, int TB> inline void wgmma(float* d, unsigned long long a, unsigned long long b) {
    static_assert(N % 8 == 0 && N >= 8 && N <= 256, "wgmma.m64nNk16: N is a multiple of 8 up to 256");
    cur->wg = WgMma{N, BF16, TA != 0, TB != 0, a, b, {d}};
    warpgroup_op(OpWgMma);
}

// ---- mbarriers and tensor copies (TMA)

// The tag of a live mbarrier in its 8 bytes of shared memory ("XBMBBAR").
inline const uint64_t mbarrier_tag = 0x524142424d4258ull;

inline size_t shared_size() { return __start_xb_shared == nullptr ? 0 : (size_t)(__stop_xb_shared - __start_xb_shared); }

inline Mbarrier& mbarrier(unsigned bar, const char* what) {
    auto it = mbarriers.find(bar);
    if (it == mbarriers.end())
        fail(2, "%s on shared address %u, where no mbarrier.init of this block made an mbarrier", what, bar);
    if (memcmp(__start_xb_shared + bar, &mbarrier_tag, 8) != 0)
        fail(2, "%s on the mbarrier at shared address %u, whose 8 bytes were overwritten since its mbarrier.init", what,
             bar);
    return it->second;
}

// settle completes the current phase of b (at bar) once its arrivals and bytes are all in,
// and wakes the threads that wait on it to look at its phase again.
inline void settle(unsigned bar, Mbarrier& b) {
    if (b.pending != 0) return;
    if (b.tx < 0)
        fail(2, "mbarrier at shared address %u: phase %u completed %lld bytes more than its arrive.expect_tx announced", bar,
             b.phase, -b.tx);
    if (b.tx > 0) return;
    b.phase++;
    b.pending = b.expected;
    for (auto& t : threads)
        if (t.state == AtMbarrier && t.mbar == bar) t.state = Ready;
}

inline void mbarrier_arrive(unsigned bar, unsigned bytes, const char* what) {
    Mbarrier& b = mbarrier(bar, what);
    if (b.pending == 0)
        fail(2, "%s on the mbarrier at shared address %u: an arrival beyond the %u of its phase %u, which waits for %lld "
                "bytes",
             what, bar, b.expected, b.phase, b.tx);
    b.tx += bytes;
    b.pending--;
    settle(bar, b);
}

// tma_land writes l's box into shared memory and returns its bytes. Box element (i0, i1,
// ...) goes to dst + ((... i2) * box[1] + i1) * box[0] + i0) * elem, that address swizzled;
// elements whose coordinate lies outside the tensor are zeros. The async proxy wrote them,
// so wgmma may read them without a fence.proxy.async.
inline unsigned long long tma_land(const TmaLoad& l) {
    const xb_tensor_map& m = l.map;
    const unsigned elem = m.elem, sw = m.swizzle;
    unsigned long long total = 1;
    for (int d = 0; d < l.rank; d++) total *= m.box[d];
    for (unsigned long long n = 0; n < total; n++) {
        unsigned long long r = n;
        const char* src = (const char*)(uintptr_t)m.global;
        bool in = true;
        for (int d = 0; d < l.rank; d++) {
            long long g = (long long)l.c[d] + (long long)(r % m.box[d]);
            r /= m.box[d];
            if (g < 0 || g >= (long long)m.dims[d]) {
                in = false;
                break;
            }
            src += (unsigned long long)g * (d == 0 ? elem : m.strides[d - 1]);
        }
        unsigned a = l.dst + (unsigned)(n * elem);
        if (sw != 0) a ^= ((a >> 7) & (sw / 16 - 1)) << 4;
        if (in) {
            memcpy(__start_xb_shared + a, src, elem);
        } else {
            memset(__start_xb_shared + a, 0, elem);
        }
        chunk_writes[a / 8] = ChunkWrite{-1, 0};
    }
    return total * elem;
}

// land_queued lands the copies queued on b (at bar) and completes their bytes together.
inline void land_queued(unsigned bar, Mbarrier& b) {
    if (b.queued.empty()) return;
    std::vector<TmaLoad> q;
    q.swap(b.queued);
    long long bytes = 0;
    for (auto& l : q) bytes += (long long)tma_land(l);
    b.tx -= bytes;
    settle(bar, b);
}

inline void tma_load(int rank, unsigned dst, const xb_tensor_map* map, const int* c, unsigned bar) {
    if (map->magic != XB_TENSOR_MAP_MAGIC)
        fail(2, "cp.async.bulk.tensor.%dd with %p, which is not a tensor map", rank, (const void*)map);
    if ((int)map->rank != rank)
        fail(2, "cp.async.bulk.tensor.%dd with a tensor map of rank %u (of parameter %u)", rank, map->rank, map->param);
    unsigned long long bytes = map->elem;
    for (int d = 0; d < rank; d++) bytes *= map->box[d];
    if (dst % 128 != 0 || dst + bytes > shared_size())
        fail(2, "cp.async.bulk.tensor.%dd to shared address %u: its %llu bytes are not 128-byte aligned shared memory", rank,
             dst, bytes);
    // A box wholly outside the tensor: the PTX ISA zero-fills the elements of a box that lie
    // outside, but does not say whether a box with none inside still completes its bytes.
    // The kernels never issue one, so that no stage hangs on it.
    for (int d = 0; d < rank; d++)
        if ((long long)c[d] + (long long)map->box[d] <= 0 || (long long)c[d] >= (long long)map->dims[d])
            fail(2, "cp.async.bulk.tensor.%dd of parameter %u: its box lies wholly outside the tensor along dimension %d "
                    "(coordinate %d, box %u, extent %llu)",
                 rank, map->param, d, c[d], map->box[d], (unsigned long long)map->dims[d]);
    Mbarrier& b = mbarrier(bar, "cp.async.bulk.tensor (its mbarrier::complete_tx)");
    if (threads[b.init_thread].mbar_fences == b.init_fences)
        fail(2, "cp.async.bulk.tensor.%dd completes on the mbarrier at shared address %u, but thread %d that initialized "
                "it executed no fence.mbarrier_init since (the async proxy may not see the init)",
             rank, bar, b.init_thread);
    TmaLoad l = {dst, bar, rank, {0, 0, 0, 0, 0}, *map};
    for (int d = 0; d < rank; d++) l.c[d] = c[d];
    if (mode == Eager) {
        b.tx -= (long long)tma_land(l);
        settle(bar, b);
    } else {
        b.queued.push_back(l);
    }
}

// wake_mbarrier_waiters makes the threads that wait on an mbarrier with queued copies
// ready, so that they land them: a waiting thread polls its mbarrier. It says whether any
// thread woke.
inline bool wake_mbarrier_waiters() {
    bool woke = false;
    for (auto& t : threads) {
        if (t.state != AtMbarrier) continue;
        auto it = mbarriers.find(t.mbar);
        if (it != mbarriers.end() && !it->second.queued.empty()) {
            t.state = Ready;
            woke = true;
        }
    }
    return woke;
}

// end_mbarriers checks the block's mbarriers when it ends and forgets them.
inline void end_mbarriers() {
    for (auto& [bar, b] : mbarriers) {
        if (!b.queued.empty())
            fail(2, "the block ended with cp.async.bulk.tensor copies (%zu) on the mbarrier at shared address %u that no "
                    "thread waited for",
                 b.queued.size(), bar);
        if (b.tx < 0)
            fail(2, "the block ended with %lld bytes completed on the mbarrier at shared address %u that no "
                    "arrive.expect_tx announced",
                 -b.tx, bar);
    }
    mbarriers.clear();
}

}  // namespace xb

#define threadIdx (::xb::cur->idx)
#define blockIdx (::xb::block_idx)
#define blockDim (::xb::block_dim)
#define gridDim (::xb::grid_dim)
#define warpSize 32

inline void __syncthreads() {
    xb::cur->state = xb::AtBarrier;
    xb::yield();
}

template <class T> inline T __shfl_sync(unsigned mask, T v, int src, int width = 32) {
    return xb::shuffle(xb::OpShflIdx, mask, v, src, width);
}
template <class T> inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    return xb::shuffle(xb::OpShflUp, mask, v, (int)delta, width);
}
template <class T> inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    return xb::shuffle(xb::OpShflDown, mask, v, (int)delta, width);
}
template <class T> inline T __shfl_xor_sync(unsigned mask, T v, int laneMask, int width = 32) {
    return xb::shuffle(xb::OpShflXor, mask, v, laneMask, width);
}

inline unsigned __ballot_sync(unsigned mask, int pred) {
    xb::check_mask(mask, "__ballot_sync");
    xb::cur->value = pred != 0;
    xb::cur->width = 32;
    xb::warp_op(xb::OpBallot);
    return (unsigned)xb::cur->result;
}
inline int __any_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) != 0; }
inline int __all_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) == 0xffffffffu; }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
    xb::check_mask(mask, "__syncwarp");
    xb::cur->width = 32;
    xb::warp_op(xb::OpSyncWarp);
}

// ---- tensor-core and asynchronous-copy intrinsics (the CUDA dialect's inline-PTX helpers)

// A chunk of sizeof(T) bytes from shared memory at src to global memory at dst, both of
// which a GPU requires aligned to the chunk's size (where x86 does not care).
template <typename T>
inline void xb_store_chunk(void* dst, const void* src) {
    if ((uintptr_t)src % sizeof(T) != 0 || !xb::in_shared(src, sizeof(T)))
        xb::fail(2, "a %zu-byte chunk from %p, which is not %zu aligned bytes of shared memory", sizeof(T), src,
                 sizeof(T));
    if ((uintptr_t)dst % sizeof(T) != 0)
        xb::fail(2, "a %zu-byte chunk to %p, not %zu-byte aligned", sizeof(T), dst, sizeof(T));
    memcpy(dst, src, sizeof(T));
}

// cp.async of size bytes (16 or 8) from gmem to smem, bytes of them read, the rest zero.
inline void xb_cp_async(void* smem, const void* gmem, unsigned bytes, unsigned size) {
    if (bytes > size) xb::fail(2, "cp.async of %u bytes (at most %u)", bytes, size);
    if ((uintptr_t)smem % size != 0 || !xb::in_shared(smem, size))
        xb::fail(2, "cp.async to %p, which is not %u aligned bytes of shared memory", smem, size);
    if (bytes > 0 && (uintptr_t)gmem % size != 0) xb::fail(2, "cp.async from %p, not %u-byte aligned", gmem, size);
    xb::CopyOp c = {smem, gmem, bytes, size};
    if (xb::mode == xb::Eager) {
        xb::land(c);
    } else {
        xb::cur->pending.push_back(c);
    }
}

// cp.async.cg.shared.global [smem], [gmem], 16, bytes.
inline void xb_cp_async16(void* smem, const void* gmem, unsigned bytes) { xb_cp_async(smem, gmem, bytes, 16); }

// cp.async.ca.shared.global [smem], [gmem], 8, bytes.
inline void xb_cp_async8(void* smem, const void* gmem, unsigned bytes) { xb_cp_async(smem, gmem, bytes, 8); }

// cp.async.commit_group.
inline void xb_cp_async_commit() {
    xb::Thread* t = xb::cur;
    t->groups.push_back(std::move(t->pending));
    t->pending.clear();
}

// cp.async.wait_group N: at most N of this thread's committed groups stay pending.
template <int N> inline void xb_cp_async_wait() {
    xb::Thread* t = xb::cur;
    while (t->groups.size() > (size_t)N) {
        for (auto& c : t->groups.front()) xb::land(c);
        t->groups.erase(t->groups.begin());
    }
}

inline void xb_ldmatrix(unsigned* r, const void* smem, int op) {
    if ((uintptr_t)smem % 16 != 0 || !xb::in_shared(smem, 16))
        xb::fail(2, "%s row address %p is not 16 aligned bytes of shared memory", xb::op_name(op), smem);
    xb::cur->addr = smem;
    xb::cur->width = 32;
    xb::warp_op(op);
    for (int i = 0; i < 4; i++) r[i] = xb::cur->out[i];
}

// ldmatrix.sync.aligned.m8n8.x4.shared.b16.
inline void xb_ldmatrix_x4(unsigned* r, const void* smem) { xb_ldmatrix(r, smem, xb::OpLdmatrix); }
// ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16.
inline void xb_ldmatrix_x4_trans(unsigned* r, const void* smem) { xb_ldmatrix(r, smem, xb::OpLdmatrixTrans); }

inline void xb_mma(float* c, const unsigned* a, const unsigned* b, int op) {
    unsigned* r = xb::cur->regs;
    for (int i = 0; i < 4; i++) r[i] = a[i];
    r[4] = b[0];
    r[5] = b[1];
    for (int i = 0; i < 4; i++) r[6 + i] = __float_as_uint(c[i]);
    xb::cur->width = 32;
    xb::warp_op(op);
    for (int i = 0; i < 4; i++) c[i] = __uint_as_float(xb::cur->out[i]);
}

// mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32: c += A x B.
inline void xb_mma_f16(float* c, const unsigned* a, const unsigned* b) { xb_mma(c, a, b, xb::OpMmaF16); }
// mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32: c += A x B.
inline void xb_mma_bf16(float* c, const unsigned* a, const unsigned* b) { xb_mma(c, a, b, xb::OpMmaBF16); }

// ---- warpgroup MMA intrinsics (sm_90a)

// The shared-memory address of p: its offset in the xb_shared section.
inline unsigned xb_smem_addr(const void* p) {
    if (!xb::in_shared(p, 1)) xb::fail(2, "shared-memory address of %p, which is not in shared memory", p);
    return (unsigned)((const char*)p - __start_xb_shared);
}

// A wgmma matrix descriptor: start address, LBO and SBO in bytes (multiples of 16), layout
// type (0 none, 1 128-byte, 2 64-byte, 3 32-byte swizzle). The emulator's shared memory
// holds the arrays of every kernel of a build, past the 256 KiB that the start address
// field reaches, so the address bits from 18 on go in bits 52-61, which the hardware's
// descriptor leaves unused.
inline unsigned long long xb_wgmma_desc(unsigned addr, unsigned lbo, unsigned sbo, unsigned layout) {
    return (unsigned long long)((addr & 0x3ffff) >> 4) | (unsigned long long)((lbo & 0x3ffff) >> 4) << 16 |
           (unsigned long long)((sbo & 0x3ffff) >> 4) << 32 | (unsigned long long)((addr >> 18) & 0x3ff) << 52 |
           (unsigned long long)(layout & 3) << 62;
}

// fence.proxy.async.shared::cta: the thread's writes to shared memory so far, cp.async
// copies and mbarrier.inits among them, are visible to the async proxy.
inline void xb_fence_proxy_async() {
    xb::cur->fences++;
    xb::cur->mbar_fences++;
}

// wgmma.fence.sync.aligned.
inline void xb_wgmma_fence() { xb::warpgroup_op(xb::OpWgFence); }

// wgmma.commit_group.sync.aligned.
inline void xb_wgmma_commit() { xb::warpgroup_op(xb::OpWgCommit); }

// wgmma.wait_group.sync.aligned N, then the K accumulators at d are read again.
template <int N, int K> inline void xb_wgmma_wait(float*) {
    xb::cur->arg = N;
    xb::warpgroup_op(xb::OpWgWait);
}

// wgmma.mma_async.sync.aligned.m64n<N>k16.f32.<f16|bf16>: d += A x B; TA, TB: imm-trans-a, -b.
#define XB_WGMMA(N)                                                                                     \
    template <int TA, int TB> inline void xb_wgmma_m64n##N##_f16(float* d, unsigned long long a, unsigned long long b) {  \
        xb::wgmma<N, false, TA, TB>(d, a, b);                                                            \
    }                                                                                                    \
    template <int TA, int TB> inline void xb_wgmma_m64n##N##_bf16(float* d, unsigned long long a, unsigned long long b) { \
        xb::wgmma<N, true, TA, TB>(d, a, b);                                                             \
    }
XB_WGMMA(8) XB_WGMMA(16) XB_WGMMA(24) XB_WGMMA(32) XB_WGMMA(40) XB_WGMMA(48) XB_WGMMA(56) XB_WGMMA(64)
XB_WGMMA(72) XB_WGMMA(80) XB_WGMMA(88) XB_WGMMA(96) XB_WGMMA(104) XB_WGMMA(112) XB_WGMMA(120) XB_WGMMA(128)
XB_WGMMA(136) XB_WGMMA(144) XB_WGMMA(152) XB_WGMMA(160) XB_WGMMA(168) XB_WGMMA(176) XB_WGMMA(184) XB_WGMMA(192)
XB_WGMMA(200) XB_WGMMA(208) XB_WGMMA(216) XB_WGMMA(224) XB_WGMMA(232) XB_WGMMA(240) XB_WGMMA(248) XB_WGMMA(256)
#undef XB_WGMMA


// ---- mbarriers and tensor copies (sm_90)

// prefetch.tensormap [map]: a hint, which the emulator takes as a check of the map.
inline void xb_prefetch_tensor_map(const xb_tensor_map* map) {
    if (map->magic != XB_TENSOR_MAP_MAGIC) xb::fail(2, "prefetch.tensormap of %p, which is not a tensor map", (const void*)map);
}

// mbarrier.init.shared::cta.b64 [bar], count.
inline void xb_mbarrier_init(unsigned bar, unsigned count) {
    if (bar % 8 != 0 || bar + 8 > xb::shared_size())
        xb::fail(2, "mbarrier.init at shared address %u, which is not 8 aligned bytes of shared memory", bar);
    if (count < 1 || count >= 1u << 20) xb::fail(2, "mbarrier.init at shared address %u with count %u", bar, count);
    auto it = xb::mbarriers.find(bar);
    if (it != xb::mbarriers.end() && !it->second.queued.empty())
        xb::fail(2, "mbarrier.init at shared address %u, an mbarrier with copies in flight", bar);
    xb::mbarriers[bar] = xb::Mbarrier{count, count, 0, 0, xb::cur->linear, xb::cur->mbar_fences, {}};
    memcpy(__start_xb_shared + bar, &xb::mbarrier_tag, 8);
}

// fence.mbarrier_init.release.cluster: the thread's mbarrier.inits are visible to the
// async proxy (the tensor copies) from here on.
inline void xb_fence_mbarrier_init() { xb::cur->mbar_fences++; }

// mbarrier.arrive.shared::cta.b64 _, [bar].
inline void xb_mbarrier_arrive(unsigned bar) { xb::mbarrier_arrive(bar, 0, "mbarrier.arrive"); }

// mbarrier.arrive.expect_tx.shared::cta.b64 _, [bar], bytes: the phase also waits for
// bytes more of transactions.
inline void xb_mbarrier_arrive_expect_tx(unsigned bar, unsigned bytes) {
    xb::mbarrier_arrive(bar, bytes, "mbarrier.arrive.expect_tx");
}

// mbarrier.try_wait.parity.shared::cta.b64 in a loop: returns once the phase of parity
// parity has completed, that is when the current phase's parity differs. Each look at the
// phase first lands the copies queued on the mbarrier (deferred mode).
inline void xb_mbarrier_wait(unsigned bar, unsigned parity) {
    for (;;) {
        xb::Mbarrier& b = xb::mbarrier(bar, "mbarrier.try_wait.parity");
        xb::land_queued(bar, b);
        if ((b.phase & 1) != (parity & 1)) return;
        xb::cur->mbar = bar;
        xb::cur->mbar_parity = parity & 1;
        xb::cur->state = xb::AtMbarrier;
        xb::yield();
    }
}

// cp.async.bulk.tensor.<N>d.shared::cluster.global.mbarrier::complete_tx::bytes
// [dst], [map, {c0, ...}], [bar]: coordinates innermost first, in elements.
inline void xb_tma_load_1d(unsigned dst, const xb_tensor_map* map, int c0, unsigned bar) {
    const int c[] = {c0};
    xb::tma_load(1, dst, map, c, bar);
}
inline void xb_tma_load_2d(unsigned dst, const xb_tensor_map* map, int c0, int c1, unsigned bar) {
    const int c[] = {c0, c1};
    xb::tma_load(2, dst, map, c, bar);
}
inline void xb_tma_load_3d(unsigned dst, const xb_tensor_map* map, int c0, int c1, int c2, unsigned bar) {
    const int c[] = {c0, c1, c2};
    xb::tma_load(3, dst, map, c, bar);
}
inline void xb_tma_load_4d(unsigned dst, const xb_tensor_map* map, int c0, int c1, int c2, int c3, unsigned bar) {
    const int c[] = {c0, c1, c2, c3};
    xb::tma_load(4, dst, map, c, bar);
}
inline void xb_tma_load_5d(unsigned dst, const xb_tensor_map* map, int c0, int c1, int c2, int c3, int c4, unsigned bar) {
    const int c[] = {c0, c1, c2, c3, c4};
    xb::tma_load(5, dst, map, c, bar);
}

#endif

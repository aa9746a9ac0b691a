// xb_emu_main.h: the launcher of the CUDA emulator (see xb_emu.h). Included at the end of
// a translation unit that holds kernels, it defines main:
//
//   prog [-kernel NAME] -grid X,Y,Z -block X,Y,Z -mode eager|deferred PARAM...
//
// Each PARAM is a file with the raw bytes of one kernel parameter, in the order the kernel
// declares them: a buffer (a pointer parameter), or a tensor map (an xb_tensor_map passed by
// value, 128 bytes laid out as xb_emu.h says), which the launcher checks as the driver's
// cuTensorMapEncodeTiled would, and within the buffer it reads, and completes with that
// buffer's address. The grid runs block after block; then the buffers of the non-const
// pointer parameters are written back to their files. Blocks run in order in
// eager mode and last to first in deferred mode. The kernels are those of
// the macro XB_KERNELS, a list of X(name, function) (the first one is the default), or the
// one kernel named by XB_KERNEL. Exit status: 0 when the grid ran, 1 for bad arguments or
// files, 2 for an error a kernel made, 3 for a deadlock, 4 for a memory fault.
#ifndef XB_EMU_MAIN_H
#define XB_EMU_MAIN_H

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#if !defined(XB_KERNELS) && defined(XB_KERNEL)
#define XB_KERNELS X(XB_KERNEL, XB_KERNEL)
#endif

namespace xb {

struct Entry {
    const char* name;
    void (*fn)();
    void (*call)(void (*)(), void**);
    int params;
    const bool* writable;
    const bool* maps;  // the parameters that are tensor maps
};

// param is a kernel's argument of type A: a buffer, or the tensor map that p points to.
template <class A> inline A param(void* p) {
    if constexpr (std::is_same<A, xb_tensor_map>::value) {
        return *static_cast<const xb_tensor_map*>(p);
    } else {
        return static_cast<A>(p);
    }
}

template <class... A, size_t... I> void call_with(void (*f)(A...), void** p, std::index_sequence<I...>) {
    f(param<A>(p[I])...);
}

template <class... A> void call(void (*f)(), void** p) {
    call_with(reinterpret_cast<void (*)(A...)>(f), p, std::index_sequence_for<A...>{});
}

template <class... A> Entry entry(const char* name, void (*f)(A...)) {
    static_assert(((std::is_pointer<A>::value || std::is_same<A, xb_tensor_map>::value) && ...),
                  "the emulator passes buffers and tensor maps only");
    static const bool writable[] = {(std::is_pointer<A>::value && !std::is_const<std::remove_pointer_t<A>>::value)...,
                                    false};
    static const bool maps[] = {std::is_same<A, xb_tensor_map>::value..., false};
    return Entry{name, reinterpret_cast<void (*)()>(f), &call<A...>, (int)sizeof...(A), writable, maps};
}

inline const Entry* kernel;
inline void** kernel_params;

inline void run_kernel() { kernel->call(kernel->fn, kernel_params); }

// deadlock reports where the threads of a deadlocked block wait, and exits.
inline void deadlock() {
    int barrier = 0, exited = 0, waiting = 0, n = (int)threads.size();
    for (auto& t : threads) {
        barrier += t.state == AtBarrier;
        exited += t.state == Exited;
        waiting += t.state == AtMbarrier;
    }
    cur = nullptr;
    char warps_msg[1024] = "";
    size_t len = 0;
    // The mbarriers waited on, by address and parity, with how many threads wait there.
    std::map<std::pair<unsigned, unsigned>, int> waits;
    for (auto& t : threads)
        if (t.state == AtMbarrier) waits[{t.mbar, t.mbar_parity}]++;
    for (auto& [w, count] : waits) {
        if (len >= sizeof warps_msg - 200) break;
        const Mbarrier& b = mbarriers[w.first];
        len += snprintf(warps_msg + len, sizeof warps_msg - len,
                        "; %d at the mbarrier at shared address %u for the phase of parity %u (it is in phase %u, "
                        "waiting for %u of %u arrivals and %lld bytes)",
                        count, w.first, w.second, b.phase, b.pending, b.expected, b.tx);
    }
    for (size_t w = 0; w < warps.size() && len < sizeof warps_msg - 80; w++) {
        if (warps[w].arrived > 0) {
            int lanes = n - (int)w * 32 < 32 ? n - (int)w * 32 : 32;
            len += snprintf(warps_msg + len, sizeof warps_msg - len, "; warp %zu: %d of its %d lanes at %s (all 32 must come)", w,
                            warps[w].arrived, lanes, op_name(warps[w].op));
        }
    }
    for (size_t g = 0; g < warpgroups.size() && len < sizeof warps_msg - 80; g++) {
        if (warpgroups[g].arrived > 0) {
            len += snprintf(warps_msg + len, sizeof warps_msg - len, "; warpgroup %zu: %d of its 128 threads at %s", g,
                            warpgroups[g].arrived, op_name(warpgroups[g].op));
        }
    }
    fail(3, "deadlock: of %d threads, %d wait at __syncthreads, %d on mbarriers, %d exited%s", n, barrier, waiting,
         exited, warps_msg);
}

inline void run_block() {
    int n = (int)threads.size();
    for (int i = 0; i < n; i++) {
        Thread& t = threads[i];
        t.state = Ready;
        t.pending.clear();
        t.groups.clear();
        t.fences = 0;
        t.mbar_fences = 0;
    }
    for (auto& w : warps) w = Warp{0, OpNone};
    for (auto& g : warpgroups) g = Warpgroup{0, OpNone, false, {}, {}};
    int live = n;
    while (live > 0) {
        bool ran = false;
        // Threads take turns, except in eager mode once the block has mbarriers: then the
        // first thread that can run does, so that the first warps run ahead of the others
        // as far as their barriers let them (a producer that refills a stage before every
        // consumer is done with it overwrites tiles that a lagging warpgroup's MMAs, in
        // eager mode run at their wait, have yet to read).
        bool greedy = mode == Eager && !mbarriers.empty();
        for (int i = 0; i < n; i++) {
            Thread& t = threads[i];
            if (t.state != Ready) continue;
            ran = true;
            t.state = Running;
            cur = &t;
            if (_setjmp(scheduler) == 0) _longjmp(t.jb, 1);
            cur = nullptr;
            if (t.state == Exited) live--;
            if (greedy) break;
        }
        if (ran || live == 0) continue;
        if (wake_mbarrier_waiters()) continue;
        int barrier = 0;
        for (auto& t : threads) barrier += t.state == AtBarrier;
        if (barrier != live) deadlock();
        for (auto& t : threads)
            if (t.state == AtBarrier) t.state = Ready;
    }
    for (size_t g = 0; g < warpgroups.size(); g++)
        if (!warpgroups[g].pending.empty() || !warpgroups[g].groups.empty())
            fail(2, "warpgroup %zu exited with wgmma.mma_async that no wgmma.wait_group waited for", g);
    end_mbarriers();
}

inline void on_fault(int sig, siginfo_t* info, void*) {
    char msg[256];
    int len = snprintf(msg, sizeof msg, "emulator: block (%u,%u,%u)", block_idx.x, block_idx.y, block_idx.z);
    if (cur)
        len += snprintf(msg + len, sizeof msg - len, " thread (%u,%u,%u)", cur->idx.x, cur->idx.y, cur->idx.z);
    len += snprintf(msg + len, sizeof msg - len, ": %s at address %p\n", sig == SIGSEGV ? "memory fault" : strsignal(sig),
                    info->si_addr);
    if (write(2, msg, len) < 0) {
    }
    _exit(4);
}

inline bool dims(const char* s, dim3* d) {
    unsigned long v[3];
    char tail;
    if (sscanf(s, "%lu,%lu,%lu%c", &v[0], &v[1], &v[2], &tail) != 3) return false;
    for (unsigned long x : v)
        if (x == 0 || x > 0x7fffffffu) return false;
    *d = dim3{(unsigned)v[0], (unsigned)v[1], (unsigned)v[2]};
    return true;
}

[[noreturn]] inline void usage(const char* msg) {
    fprintf(stderr, "emulator: %s\nusage: prog [-kernel NAME] -grid X,Y,Z -block X,Y,Z -mode eager|deferred PARAM...\n",
            msg);
    exit(1);
}

// buffer maps memory for a parameter of n bytes. Its end, rounded up to 16 bytes (the
// largest alignment a kernel's vector loads need), meets a page that faults, so that a
// kernel reading or writing past a buffer is stopped there.
inline char* buffer(size_t n) {
    size_t used = (n + 15) / 16 * 16;
    size_t size = (used + page - 1) / page * page;
    char* p = (char*)mmap(nullptr, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) usage("out of memory");
    mprotect(p + size, page, PROT_NONE);
    return p + size - used;
}

// tensor_map checks the tensor map m, from a file of size bytes, as the driver checks what
// it encodes, and that its tensor lies in the buffer it reads (so that a copy reads no
// other memory); then it sets m's global address. When m is bad, it writes why and returns
// false.
inline bool tensor_map(size_t size, xb_tensor_map& m, const std::vector<void*>& params, const std::vector<size_t>& sizes,
                       char* why, size_t n) {
    if (size != sizeof(xb_tensor_map)) return snprintf(why, n, "%zu bytes, not %zu", size, sizeof(xb_tensor_map)), false;
    if (m.magic != XB_TENSOR_MAP_MAGIC) return snprintf(why, n, "magic %#x, not %#x", m.magic, XB_TENSOR_MAP_MAGIC), false;
    if (m.param >= (unsigned)kernel->params || kernel->maps[m.param])
        return snprintf(why, n, "it reads parameter %u, which is not a buffer of kernel %s", m.param, kernel->name), false;
    if (m.rank < 1 || m.rank > 5) return snprintf(why, n, "rank %u (1 to 5)", m.rank), false;
    if (m.elem != 1 && m.elem != 2 && m.elem != 4 && m.elem != 8)
        return snprintf(why, n, "elements of %u bytes (1, 2, 4 or 8)", m.elem), false;
    if (m.swizzle != 0 && m.swizzle != 32 && m.swizzle != 64 && m.swizzle != 128)
        return snprintf(why, n, "swizzle %u (0, 32, 64 or 128 bytes)", m.swizzle), false;
    for (unsigned d = 0; d < m.rank; d++) {
        if (m.dims[d] < 1) return snprintf(why, n, "dimension %u has %u elements", d, m.dims[d]), false;
        if (m.box[d] < 1 || m.box[d] > 256) return snprintf(why, n, "box dimension %u of %u (1 to 256)", d, m.box[d]), false;
    }
    for (unsigned d = 0; d + 1 < m.rank; d++)
        if (m.strides[d] % 16 != 0 || m.strides[d] >= 1ull << 40)
            return snprintf(why, n, "dimension %u's stride of %llu bytes is not a multiple of 16 below 2^40", d + 1,
                            (unsigned long long)m.strides[d]),
                   false;
    // The driver takes a box's rows up to the swizzle's span; the emulator wants them that
    // span exactly, the layout that wgmma's swizzled descriptors describe.
    unsigned inner = m.box[0] * m.elem;
    if (inner % 16 != 0) return snprintf(why, n, "the box's rows are %u bytes, not a multiple of 16", inner), false;
    if (m.swizzle != 0 && inner != m.swizzle)
        return snprintf(why, n, "the box's rows are %u bytes, not the %u of its swizzle", inner, m.swizzle), false;
    unsigned __int128 end = (unsigned __int128)m.offset + m.elem;
    for (unsigned d = 0; d < m.rank; d++)
        end += (unsigned __int128)(m.dims[d] - 1) * (d == 0 ? m.elem : m.strides[d - 1]);
    if (end > sizes[m.param])
        return snprintf(why, n, "its tensor reaches past the %zu bytes of parameter %u", sizes[m.param], m.param), false;
    uintptr_t global = (uintptr_t)params[m.param] + m.offset;
    if (global % 16 != 0)
        return snprintf(why, n, "its tensor starts %llu bytes into parameter %u: not 16-byte aligned",
                        (unsigned long long)m.offset, m.param),
               false;
    m.global = global;
    return true;
}

inline int main(int argc, char** argv, const Entry* kernels, int nkernels) {
    const char* name = nullptr;
    bool grid_set = false, block_set = false;
    std::vector<const char*> files;
    for (int i = 1; i < argc; i++) {
        const char* a = argv[i];
        bool more = i + 1 < argc;
        if (strcmp(a, "-kernel") == 0 && more) {
            name = argv[++i];
        } else if (strcmp(a, "-grid") == 0 && more) {
            if (!dims(argv[++i], &grid_dim)) usage("bad -grid");
            grid_set = true;
        } else if (strcmp(a, "-block") == 0 && more) {
            if (!dims(argv[++i], &block_dim)) usage("bad -block");
            block_set = true;
        } else if (strcmp(a, "-mode") == 0 && more) {
            const char* m = argv[++i];
            if (strcmp(m, "eager") == 0) {
                mode = Eager;
            } else if (strcmp(m, "deferred") == 0) {
                mode = Deferred;
            } else {
                usage("bad -mode");
            }
        } else if (a[0] == '-') {
            usage("bad flag");
        } else {
            files.push_back(a);
        }
    }
    if (!grid_set || !block_set) usage("-grid and -block are needed");
    kernel = &kernels[0];
    if (name != nullptr) {
        kernel = nullptr;
        for (int i = 0; i < nkernels; i++)
            if (strcmp(kernels[i].name, name) == 0) kernel = &kernels[i];
        if (kernel == nullptr) usage("no such kernel");
    }
    if ((int)files.size() != kernel->params) {
        fprintf(stderr, "emulator: kernel %s takes %d parameters, got %zu files\n", kernel->name, kernel->params,
                files.size());
        return 1;
    }
    unsigned long threads_per_block = (unsigned long)block_dim.x * block_dim.y * block_dim.z;
    if (threads_per_block > 1024 || block_dim.z > 64 || grid_dim.y > 65535 || grid_dim.z > 65535) {
        fprintf(stderr, "emulator: bad launch dims: grid (%u,%u,%u), block (%u,%u,%u)\n", grid_dim.x, grid_dim.y,
                grid_dim.z, block_dim.x, block_dim.y, block_dim.z);
        return 1;
    }

    std::vector<void*> params(files.size());
    std::vector<size_t> sizes(files.size());
    for (size_t i = 0; i < files.size(); i++) {
        FILE* f = fopen(files[i], "rb");
        struct stat st;
        if (f == nullptr || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
            fprintf(stderr, "emulator: %s: %s\n", files[i], f == nullptr ? strerror(errno) : "not a regular file");
            return 1;
        }
        fseek(f, 0, SEEK_END);
        sizes[i] = (size_t)ftell(f);
        fseek(f, 0, SEEK_SET);
        char* b = buffer(sizes[i]);
        if (fread(b, 1, sizes[i], f) != sizes[i]) {
            fprintf(stderr, "emulator: %s: short read\n", files[i]);
            return 1;
        }
        fclose(f);
        params[i] = b;
    }
    for (size_t i = 0; i < files.size(); i++) {
        if (!kernel->maps[i]) continue;
        char why[256];
        if (!tensor_map(sizes[i], *(xb_tensor_map*)params[i], params, sizes, why, sizeof why)) {
            fprintf(stderr, "emulator: %s: tensor map (parameter %zu): %s\n", files[i], i, why);
            return 1;
        }
    }
    kernel_params = params.data();
    body = run_kernel;

    // Stacks, each above a guard page; the fault handler runs on its own stack, so that a
    // fiber's stack overflow is reported too.
    int n = (int)threads_per_block;
    stacks = (char*)mmap(nullptr, (size_t)n * (stack_size + page), PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (stacks == MAP_FAILED) usage("no memory for the stacks");
    for (int i = 0; i < n; i++) mprotect(stacks + (size_t)i * (stack_size + page), page, PROT_NONE);
    static char alt[64 << 10];
    stack_t ss = {};
    ss.ss_sp = alt;
    ss.ss_size = sizeof alt;
    sigaltstack(&ss, nullptr);
    struct sigaction sa = {};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, nullptr);
    sigaction(SIGBUS, &sa, nullptr);
    sigaction(SIGFPE, &sa, nullptr);

    threads.resize(n);
    for (int i = 0; i < n; i++) {
        threads[i].linear = i;
        threads[i].idx = dim3{i % block_dim.x, i / block_dim.x % block_dim.y, i / (block_dim.x * block_dim.y)};
    }
    // The fibers, made once: each waits in fiber_main for the blocks to run it, and after
    // its thread of a block exits, for the next block.
    for (int i = 0; i < n; i++) make_fiber(&threads[i], stacks + (size_t)i * (stack_size + page) + page, stack_size);
    warps.resize((n + 31) / 32);
    warpgroups.resize((n + 127) / 128);
    // Blocks run in order in eager mode and in reverse order in deferred mode: a kernel
    // whose blocks meet through global memory (split K) must not depend on their order.
    unsigned long blocks = (unsigned long)grid_dim.x * grid_dim.y * grid_dim.z;
    for (unsigned long i = 0; i < blocks; i++) {
        unsigned long b = mode == Deferred ? blocks - 1 - i : i;
        block_idx = dim3{(unsigned)(b % grid_dim.x), (unsigned)(b / grid_dim.x % grid_dim.y),
                         (unsigned)(b / ((unsigned long)grid_dim.x * grid_dim.y))};
        poison_shared();
        run_block();
    }

    for (size_t i = 0; i < files.size(); i++) {
        if (!kernel->writable[i]) continue;
        FILE* f = fopen(files[i], "wb");
        if (f == nullptr || fwrite(params[i], 1, sizes[i], f) != sizes[i] || fclose(f) != 0) {
            fprintf(stderr, "emulator: writing %s failed\n", files[i]);
            return 1;
        }
    }
    return 0;
}

}  // namespace xb

#define XB_STRING_(x) #x
#define XB_STRING(x) XB_STRING_(x)
#define X(name, fn) xb::entry(XB_STRING(name), &fn),
static const xb::Entry xb_kernels[] = {XB_KERNELS};
#undef X

int main(int argc, char** argv) {
    return xb::main(argc, argv, xb_kernels, (int)(sizeof xb_kernels / sizeof xb_kernels[0]));
}

#endif

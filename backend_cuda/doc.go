// Package backend_cuda is crossbar's Nvidia backend: kernels are generated as CUDA C++ by
// backend/codegen (its CUDA dialect), compiled at run time by NVRTC to a CUBIN for the
// device's exact sm_XY (PTX for the newest architecture NVRTC knows, for the driver to
// compile, when NVRTC is older than the device), and run through the CUDA driver API. No
// cgo and no CUDA toolkit are needed to build: libcuda.so.1 and NVRTC are loaded with
// github.com/ebitengine/purego when a program first asks for devices.
//
// Importing the package adds the devices "cuda:0", "cuda:1", ...:
//
//	import _ "github.com/crossbar-compute/crossbar/backend_cuda"
//
// Libraries are looked for in this order: the path in CROSSBAR_CUDA_LIB (for the driver)
// or CROSSBAR_NVRTC_LIB (for NVRTC) when set, else libcuda.so.1 and libnvrtc.so.13,
// libnvrtc.so.12, libnvrtc.so.11.2 in the standard library directories (the Debian
// multiarch directory, /usr/lib64, /usr/lib, /usr/local/cuda/lib64, WSL's /usr/lib/wsl/lib)
// and then through the dynamic loader's own search; never in the working directory. An
// NVRTC newer than the driver's CUDA version comes last: the driver could not load what it
// compiles. Without them, or without a device, the backend contributes no devices and
// backend.Open("cuda") returns an error wrapping backend.ErrUnavailable that lists every
// path tried.
//
// Compiled kernels are kept in memory for the process, and on disk for the next ones
// (cuda-images/ under CROSSBAR_CACHE_DIR, or crossbar under the user's cache directory),
// by a hash of the source, the architecture and NVRTC's version; the directory is trimmed
// to 1 GiB, the images used longest ago first. CROSSBAR_CUDA_CACHE=off keeps them in
// memory only (see EnvImageCache).
//
// Each device uses its primary context, one stream, events for Time and a pinned host
// buffer through which CopyIn and CopyOut stage their data. Every method may be called
// from any goroutine: a call locks its goroutine to its OS thread and pushes the context
// for the duration of the call (CUDA contexts are current per thread). Device memory holds
// elements as the host does (Bool and Uint8 in a byte, Float16 and BFloat16 in two), so
// copies convert nothing; Float16 and BFloat16 are computed in float32 and rounded after
// every operation, as on the other devices. CUDA_ERROR_OUT_OF_MEMORY maps to
// backend.ErrOutOfMemory, launch failures to backend.ErrLaunch, NVRTC failures to
// backend.ErrCompile with NVRTC's log and the numbered source, and PTX that the driver's
// compiler refuses to backend.ErrCompile with that compiler's log.
//
// A kernel that faults (an illegal address, a trap) loses the context: CUDA fails every
// later call on it in the process. The call that reports the fault, which may come after
// later launches, since launches do not wait, returns an error wrapping backend.ErrLaunch
// that names the device's latest launches; from then on the device calls the driver no
// more, and every method returns that error, wrapping backend.ErrUnavailable as well. Only
// a new process can use the GPU again.
//
// What the generated kernels do: fused elementwise chains (4 or 8 elements a thread for
// large ones, for more loads in flight); reductions (serial, or one block per output
// whose warps combine through shuffles and then across warps, which rows of 256 elements
// or more take however many rows there are; or, over columns, one block per tile of 32
// neighbouring outputs, each warp reading a row of the tile; with few outputs, as a sum
// of a whole tensor, many blocks each, enough to fill every SM, which meet through a
// workspace, the last combining their results in a fixed order); Float16 and BFloat16 products on
// tensor cores from sm_80 (mma.m16n8k16 with float accumulators,
// fragments through ldmatrix, operand tiles in swizzled shared memory filled by multi-stage
// cp.async copies; codegen's tensor-core template), and on sm_90 with NVRTC 12.0 or newer
// (compiled for sm_90a) warpgroup MMAs instead (wgmma.m64nNk16 reading both operands from
// the swizzled tiles through matrix descriptors, one step of products in flight; operands
// in 16-byte aligned rows are loaded by tensor copies (TMA) that one thread issues, through
// tensor maps that the driver builds at each launch (cuTensorMapEncodeTiled, CUDA 12.0
// on), each stage's arrival counted by a transaction barrier (CROSSBAR_CUDA_TMA=off has
// every thread copy them instead); operands in rows aligned to 8 bytes but not 16 are
// copied 8 bytes at a time, and those not in rows aligned to 8 bytes keep mma.sync;
// CROSSBAR_CUDA_WGMMA=off keeps mma.sync for all); float32 and other products on CUDA cores with double-buffered shared-memory
// tiles, 128-bit loads and register blocking (the large tiles spread a thread's 8 × 8 in
// 4 × 4 pieces, so that a warp's 16-byte shared loads meet no bank conflicts); all with
// the kernel's fused epilogue (on tensor cores, Float16 and BFloat16 tiles staged in
// shared memory and stored in chunks of up to 16 bytes, neighbouring threads writing
// neighbouring chunks of a row); and Gather with an out-of-range flag. A kernel that needs
// more than 48 KiB of shared memory takes it dynamically, up to the device's opt-in limit.
//
// Products with fewer tiles than the device has SMs and a long K (DeepBench's 1760 × 16 ×
// 1760) split K among the workgroups of each tile (codegen's Options.SplitK, chosen by
// splitFor): each stores its partial tile in a workspace that the device keeps and grows
// (counters, zero between launches, and partial tiles, at most 256 MiB of them; codegen
// makes no split that would need more; a launch that cannot grow it fails with
// backend.ErrOutOfMemory before it runs, and the executor collects garbage and launches
// again), and the last of a tile sums them
// in the order of K and runs the epilogue, so results do not vary from run to run.
// Float16 and BFloat16 products of few outputs over a long K (DeepBench's 512 × 8 ×
// 500000) take the tensor-core template in blocks of 64 rows by 16 columns, K split so
// that every SM streams its share of A. Products of at least two waves of tiles take them
// in bands of 8 rows of tiles (Options.RasterM), so that the tiles running at once share
// panels of A and B in L2.
//
// BLAS is a cuBLAS baseline (libcublas.so.13, .12 or .11, or CROSSBAR_CUBLAS_LIB, loaded with
// purego) and CopyBuffer a device-to-device copy: the references of the benchmarks and of go
// run ./bench -suite cublas,stream, never used to compute.
//
// Tuning: Compile looks the knobs of contractions (SIMT and tensor-core tiles), elementwise
// kernels and reductions up in the tuning cache of backend/autotune (package
// backend/codegen/kerneltune, keyed by the device's name and sm_XY and the versions of the
// driver and of NVRTC); without an entry, or under CROSSBAR_TUNE=off, a kernel takes the
// tiles of optionsFor (larger ones for a product that fills a wave of SMs), which are also
// the prior of every search. KernelTuning and MatMulTuning measure candidates with the
// device's events; go run ./bench -tune -device cuda:0 tunes the benchmark shapes.
//
// Tested here, without a GPU: every kernel that the conformance suite generates compiles
// with NVRTC to sm_80 and sm_90 CUBINs (TestNVRTCCompilesEverything; the bench's products
// in TestNVRTCCompilesBenchProducts, where ptxas may spill no register), with NVRTC 11.8
// and again with 12.4, whose ptxas also assembles the sm_90a kernels (warpgroup MMAs,
// tensor copies) and would warn of MMAs it serializes; and it runs in a CUDA emulator (testdata/emu: every
// thread a fiber, barriers, shuffles, ldmatrix, mma and cp.async as the PTX ISA defines
// them) where it matches the reference
// (TestEmuConformance; TestEmuConformanceWarpgroup for the products an sm_90a device gives
// to warpgroup MMAs, which the emulator decodes by the PTX ISA's descriptor layouts;
// TestNVRTCCompilesWarpgroup; TestEmuConformanceSplitK
// and TestEmuSplitK for split K, the blocks run in both orders; TestEmuRaster for the
// bands of tiles); a fake libcuda and a fake libcublas exercise the bindings, contexts
// from many goroutines, dynamic shared memory, the split-K workspace and the tuning
// lookup; and a real libcuda (Debian's libcuda1, in CI) binds every entry point, names
// the error codes as the backend maps them and fails cuInit without a GPU
// (TestRealDriverLibrary).
// The device code (driver calls, copies, launches, timing) runs for real only on a machine
// with an Nvidia GPU, where TestConformance runs the conformance suite on cuda:0 and
// scripts/gpu.sh runs it with the benchmarks against cuBLAS.
//
// Not done yet:
//   - Hopper's thread-block clusters (tiles multicast to the blocks of a cluster), and
//     warp-specialized producers for the warpgroup MMAs: one thread of the first warp
//     issues the tensor copies between its MMAs;
//   - occupancy and shared-memory priors per sm_XY for the tuner, in place of optionsFor's
//     rule of a wave of blocks;
//   - asynchronous copies: CopyIn and CopyOut return when the copy has ended (through
//     the two halves of a pinned buffer in turns, the host's part of a large copy overlapping
//     the DMA of the other half); Launch waits only when a gather reports errors.
package backend_cuda

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
// and then through the dynamic loader's own search; never in the working directory.
// Without them, or without a device, the backend contributes no devices and
// backend.Open("cuda") returns an error wrapping backend.ErrUnavailable that lists every
// path tried.
//
// Each device uses its primary context, one stream, events for Time and a pinned host
// buffer through which CopyIn and CopyOut stage their data. Every method may be called
// from any goroutine: a call locks its goroutine to its OS thread and pushes the context
// for the duration of the call (CUDA contexts are current per thread). Device memory holds
// elements as the host does (Bool and Uint8 in a byte, Float16 and BFloat16 in two), so
// copies convert nothing; Float16 and BFloat16 are computed in float32 and rounded after
// every operation, as on the other devices. CUDA_ERROR_OUT_OF_MEMORY maps to
// backend.ErrOutOfMemory, launch failures to backend.ErrLaunch, NVRTC failures to
// backend.ErrCompile with NVRTC's log and the numbered source.
//
// What the generated kernels do today: fused elementwise chains, reductions (serial, or
// one block per output with a shared-memory tree), float32 and other GEMMs on CUDA cores
// with shared-memory tiles and register blocking (codegen's tiled Contract template), all
// with the kernel's fused epilogue, and Gather with an out-of-range flag.
//
// Tuning: Compile looks the knobs of contractions (SIMT and tensor-core tiles), elementwise
// kernels and reductions up in the tuning cache of backend/autotune (package
// backend/codegen/kerneltune, keyed by the device's name and sm_XY and the versions of the
// driver and of NVRTC); without an entry, or under CROSSBAR_TUNE=off, a kernel takes the
// tiles of optionsFor (larger ones for a product that fills a wave of SMs), which are also
// the prior of every search. KernelTuning and MatMulTuning measure candidates with the
// device's events; go run ./bench -tune -device cuda:0 tunes the benchmark shapes.
//
// Tested here: every kernel that the conformance suite generates compiles with NVRTC to
// sm_80 and sm_90 CUBINs (TestNVRTCCompilesEverything, no GPU needed). The device code
// above (driver calls, copies, launches, timing) runs only on a machine with an Nvidia GPU,
// where TestConformance runs the conformance suite on cuda:0.
//
// TODO (later work, deliberately not stubbed):
//   - reductions with warp shuffles (__shfl_down_sync) for the last 32 lanes of the tree,
//     which needs a shuffle node in codegen's IR;
//   - tensor cores: mma.sync fragments for Float16/BFloat16 (and TF32) Contract on sm_80+;
//   - cp.async multi-stage pipelining of the GEMM operand tiles (sm_80+);
//   - occupancy and shared-memory priors per sm_XY for the tuner, in place of optionsFor's
//     rule of a wave of blocks;
//   - a cuBLAS baseline for the benchmarks (libcublas loaded with purego);
//   - asynchronous launches: Launch waits only when a gather reports errors; copies are
//     synchronous through one pinned buffer, without double buffering.
package backend_cuda

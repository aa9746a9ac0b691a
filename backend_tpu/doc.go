// Package backend_tpu is crossbar's graph-level backend for Google TPUs, and for any other
// accelerator with a PJRT plugin (JAX's CUDA and ROCm plugins, ...). Kernels are emitted as
// StableHLO (stablehlo.go: MLIR in the generic syntax, with an @main entry) and compiled by
// the plugin through the PJRT C API (pjrt.go), loaded at run time with purego: no cgo and
// nothing vendor-specific at build time.
//
// Importing the package adds two backends:
//
//   - "tpu": the devices of the libtpu plugin, named tpu:0, tpu:1, ...;
//   - "pjrt": the devices of every other plugin found, named pjrt:<plugin>:<n>
//     (pjrt:cuda:0). backend.Open takes "pjrt:<i>", the i-th of them; Open in this package
//     also takes the full name.
//
// as in
//
//	import _ "github.com/crossbar-compute/crossbar/backend_tpu"
//
// Plugins are looked for in this order: CROSSBAR_PJRT_PLUGIN (a path), PJRT_PLUGIN_LIBRARY_PATH
// (plugins, or directories of them, in a path list), the plugins of installed Python
// packages (libtpu/libtpu.so and jax_plugins/*/xla_*_plugin.so under python3's
// site-packages), then the standard library directories. With none, the backends have no
// devices and their error wraps backend.ErrUnavailable and lists every path tried.
//
// A libtpu found in those places is loaded only where the PCI bus has a TPU chip
// (elsewhere its client would ask the cloud's metadata server for a TPU for minutes); one
// named in either variable always is. One plugin of a kind is used, the first that loads
// (JAX's newest CUDA plugin first): a second would hold the devices again under the same
// names. A plugin is loaded through the file a symbolic link names, where its companions
// are. Plugins of PJRT C API version 0.57 and later are used (JAX 0.4.36 and later); an
// older one is listed among the paths tried with its version. Clients are created without preallocation (the GPU plugins' "preallocate" option; plugins
// that refuse it as an invalid argument get no options, and no other failure is retried),
// so that listing the devices of a GPU does not take 75% of its memory.
//
// A Device is graph-level (backend.SubgraphDevice): the executor hands it each run of
// consecutive scheduled kernels it accepts (CheckKernel: its dtypes and the emitter) as one
// subgraph, which EmitSubgraph emits as one module: later kernels read earlier results
// inside it, only the results read after the run or asked for by the caller are returned to
// buffers, and XLA does its own fusion across the kernels. A kernel the device refuses runs
// on the CPU and splits the run. Compiled executables are cached by the executor by
// structure, as for every device.
//
// Semantics follow the CPU device, with these known differences: Gather clamps out-of-range
// indices (the CPU reports an error); Float32 sums accumulate in float32 on the device;
// transcendental functions are the plugin's. Kernels the emitter cannot express report
// backend.ErrUnsupported and run on the CPU.
package backend_tpu

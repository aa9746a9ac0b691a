// Package backend is crossbar's device layer: the Device, Buffer and Program interfaces that
// every vendor backend implements, the registry that finds the devices present at run time,
// and the executor that runs a scheduled graph on a device with a cache of compiled programs.
//
// A backend registers itself when its package is imported, like a database/sql driver:
//
//	import _ "github.com/crossbar-compute/crossbar/backend_cuda"
//
// The CPU backend (package backend/cpu) is always present. Device names are "<backend>" or
// "<backend>:<index>": "cpu", "cuda:1", "gl", "tpu:0".
//
// Kernel-level devices get one scheduled kernel at a time. A graph-level device that
// implements SubgraphDevice gets each run of consecutive kernels it accepts as one program,
// in which intermediate results never leave the device's compiler.
//
// Realize may be called from any number of goroutines at once, on graphs that share nodes
// too: realizations schedule one at a time but compile, copy and launch side by side, a
// node is computed by one of them while the others that need it wait for it, and a program
// is compiled once however many ask for it at once. A Device must therefore accept calls
// from several goroutines at once (the conformance suite's "concurrent" cases make them).
//
// Failures wrap the sentinels ErrUnavailable, ErrOutOfMemory, ErrCompile, ErrLaunch and
// ErrUnsupported, so that callers can test them with errors.Is.
package backend

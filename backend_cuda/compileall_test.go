//go:build !race

package backend_cuda

// compileAll: without -race (plain go test, and the -tags noasm pass of scripts/test.sh)
// every distinct kernel is compiled with NVRTC; the -race pass compiles a sample (see
// compilesample_test.go), as NVRTC's time is the same in both and one full pass is enough.
const compileAll = true

const sampleEvery = 1

//go:build race

package backend_cuda

// compileAll is false under -race: the noasm pass of scripts/test.sh already compiles
// every kernel, so this one compiles one distinct source in sampleEvery.
const compileAll = false

const sampleEvery = 16

//go:build !noasm

package asm

import "unsafe"

// hasISA reports whether this CPU runs isa's kernels: NEON is part of every arm64 CPU.
func hasISA(isa vecISA) bool { return isa == isaGo || isa == isaNEON }

func binaryF32Arch(_ vecISA, op int, dst, a, b []float32)         { binaryF32NEON(op, dst, a, b) }
func binaryF64Arch(_ vecISA, op int, dst, a, b []float64)         { binaryF64NEON(op, dst, a, b) }
func scalarF32Arch(_ vecISA, op int, dst, x []float32, s float32) { scalarF32NEON(op, dst, x, s) }
func unaryF32Arch(_ vecISA, op int, dst, x []float32)             { unaryF32NEON(op, dst, x) }
func unaryF64Arch(_ vecISA, op int, dst, x []float64)             { unaryF64NEON(op, dst, x) }
func fillF32Arch(_ vecISA, dst []float32, v float32)              { fillF32NEON(dst, v) }
func accumulateF32Arch(_ vecISA, acc []float64, x []float32)      { accumulateF32NEON(acc, x) }

// sumF32Arch and sumF64Arch return the sum of x (whole blocks) and then tail (if not nil),
// accumulated and folded as sumF32's reference does: the NEON kernels leave the lanes, which
// Go folds. Two copies rather than one taking the kernel as a function value, through which
// lane would escape to the heap at every call.
func sumF32Arch(_ vecISA, x []float32, tail *[sumBlock]float32) float64 {
	var lane [32]float64
	if len(x) > 0 {
		sumF32NEON(x, &lane)
	}
	if tail != nil {
		for i, v := range tail {
			lane[i] += float64(v)
		}
	}
	return sumLanes(&lane)
}

func sumF64Arch(_ vecISA, x []float64, tail *[sumBlock]float64) float64 {
	var lane [32]float64
	if len(x) > 0 {
		sumF64NEON(x, &lane)
	}
	if tail != nil {
		for i, v := range tail {
			lane[i] += v
		}
	}
	return sumLanes(&lane)
}

// compareF32Arch, selectF32Arch and their float64 forms: no NEON kernels; the Go references.
func compareF32Arch(_ vecISA, op int, dst []int64, a, b []float32) { compareGo(op, dst, a, b) }
func selectF32Arch(_ vecISA, dst []float32, cond []int64, a, b []float32) {
	selectGo(dst, cond, a, b)
}
func compareF64Arch(_ vecISA, op int, dst []int64, a, b []float64) { compareGo(op, dst, a, b) }
func selectF64Arch(_ vecISA, dst []float64, cond []int64, a, b []float64) {
	selectGo(dst, cond, a, b)
}

// archFoldsLanes: the NEON reduce kernels leave each lane's own max or min, which Go folds.
const archFoldsLanes = false

func reduceF32Arch(_ vecISA, op int, x []float32, lane *[16]float32) {
	reduceF32NEON(op, x, lane)
}
func reduceF64Arch(_ vecISA, op int, x []float64, lane *[8]float64) { reduceF64NEON(op, x, lane) }

// The kernels of vec_arm64.s take whole vectors: len(dst) a multiple of 4 float32 or 2
// float64; len(x) a multiple of 32 for the sums and accumulateF32NEON.

//go:noescape
func binaryF32NEON(op int, dst, a, b []float32)

//go:noescape
func binaryF64NEON(op int, dst, a, b []float64)

//go:noescape
func scalarF32NEON(op int, dst, x []float32, s float32)

//go:noescape
func unaryF32NEON(op int, dst, x []float32)

//go:noescape
func unaryF64NEON(op int, dst, x []float64)

//go:noescape
func fillF32NEON(dst []float32, v float32)

//go:noescape
func sumF32NEON(x []float32, lane *[32]float64)

//go:noescape
func sumF64NEON(x []float64, lane *[32]float64)

//go:noescape
func accumulateF32NEON(acc []float64, x []float32)

//go:noescape
func reduceF32NEON(op int, x []float32, lane *[16]float32)

//go:noescape
func reduceF64NEON(op int, x []float64, lane *[8]float64)

// No chain kernels: ChainF32 runs its Go reference, and never calls chainF32Arch.
func chainArch(vecISA) bool { return false }

func chainF32Arch(vecISA, Chain, []unsafe.Pointer, []float32, []float32) {}

//go:build (!amd64 && !arm64) || noasm

package asm

import "unsafe"

// Without assembly, hasISA admits only the Go references, and the dispatchers never call the
// ...Arch functions; these do what the assembly would, for completeness.

func hasISA(isa vecISA) bool { return isa == isaGo }

func binaryF32Arch(_ vecISA, op int, dst, a, b []float32) { binaryGo(op, dst, a, b) }
func binaryF64Arch(_ vecISA, op int, dst, a, b []float64) { binaryGo(op, dst, a, b) }
func unaryF32Arch(_ vecISA, op int, dst, x []float32)     { unaryF32Go(op, dst, x) }
func unaryF64Arch(_ vecISA, op int, dst, x []float64)     { unaryF64Go(op, dst, x) }
func fillF32Arch(_ vecISA, dst []float32, v float32)      { fillF32Go(dst, v) }

func scalarF32Arch(_ vecISA, op int, dst, x []float32, s float32) { scalarF32Go(op, dst, x, s) }

func sumF32Arch(_ vecISA, x []float32, tail *[sumBlock]float32) float64 {
	if tail != nil {
		x = append(x[:len(x):len(x)], tail[:]...)
	}
	return sumF32(isaGo, x)
}

func accumulateF32Arch(_ vecISA, acc []float64, x []float32) { accumulateF32Go(acc, x) }

func sumF64Arch(_ vecISA, x []float64, tail *[sumBlock]float64) float64 {
	if tail != nil {
		x = append(x[:len(x):len(x)], tail[:]...)
	}
	return sumF64(isaGo, x)
}

func compareF32Arch(_ vecISA, op int, dst []int64, a, b []float32) { compareGo(op, dst, a, b) }
func compareF64Arch(_ vecISA, op int, dst []int64, a, b []float64) { compareGo(op, dst, a, b) }
func selectF64Arch(_ vecISA, dst []float64, cond []int64, a, b []float64) {
	selectGo(dst, cond, a, b)
}
func selectF32Arch(_ vecISA, dst []float32, cond []int64, a, b []float32) {
	selectGo(dst, cond, a, b)
}

// archFoldsLanes: never asked, as the dispatchers call no kernel here.
const archFoldsLanes = false

func reduceF32Arch(_ vecISA, op int, x []float32, lane *[16]float32) {
	lane[0] = reduceGo(op, lane[0], x)
}

func reduceF64Arch(_ vecISA, op int, x []float64, lane *[8]float64) {
	lane[0] = reduceGo(op, lane[0], x)
}

// No chain kernels: ChainF32 runs its Go reference, and never calls chainF32Arch.
func chainArch(vecISA) bool { return false }

func chainF32Arch(vecISA, Chain, []unsafe.Pointer, []float32, []float32) {}

//go:build !noasm

package asm

import (
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// hasISA reports whether this CPU runs isa's kernels: the same conditions as archLevels.
func hasISA(isa vecISA) bool {
	switch isa {
	case isaGo:
		return true
	case isaAVX2:
		return cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3)
	case isaAVX512:
		return cpuid.CPU.Supports(cpuid.AVX512F, cpuid.FMA3)
	}
	return false
}

func binaryF32Arch(isa vecISA, op int, dst, a, b []float32) {
	if isa == isaAVX512 {
		binaryF32AVX512(op, dst, a, b)
	} else {
		binaryF32AVX2(op, dst, a, b)
	}
}

func binaryF64Arch(isa vecISA, op int, dst, a, b []float64) {
	if isa == isaAVX512 {
		binaryF64AVX512(op, dst, a, b)
	} else {
		binaryF64AVX2(op, dst, a, b)
	}
}

func fillF32Arch(isa vecISA, dst []float32, v float32) {
	if isa == isaAVX512 {
		fillF32AVX512(dst, v)
	} else {
		fillF32AVX2(dst, v)
	}
}

func scalarF32Arch(isa vecISA, op int, dst, x []float32, s float32) {
	if isa == isaAVX512 {
		scalarF32AVX512(op, dst, x, s)
	} else {
		scalarF32AVX2(op, dst, x, s)
	}
}

func unaryF32Arch(isa vecISA, op int, dst, x []float32) {
	if isa == isaAVX512 {
		unaryF32AVX512(op, dst, x)
	} else {
		unaryF32AVX2(op, dst, x)
	}
}

func unaryF64Arch(isa vecISA, op int, dst, x []float64) {
	if isa == isaAVX512 {
		unaryF64AVX512(op, dst, x)
	} else {
		unaryF64AVX2(op, dst, x)
	}
}

// sumF32Arch and sumF64Arch return the sum of x (whole blocks) and then tail (if not nil),
// accumulated and folded as sumF32's reference does: the kernels fold in registers.
func sumF32Arch(isa vecISA, x []float32, tail *[sumBlock]float32) float64 {
	if isa == isaAVX512 {
		return sumF32AVX512(x, tail)
	}
	return sumF32AVX2(x, tail)
}

func accumulateF32Arch(isa vecISA, acc []float64, x []float32) {
	if isa == isaAVX512 {
		accumulateF32AVX512(acc, x)
	} else {
		accumulateF32AVX2(acc, x)
	}
}

func sumF64Arch(isa vecISA, x []float64, tail *[sumBlock]float64) float64 {
	if isa == isaAVX512 {
		return sumF64AVX512(x, tail)
	}
	return sumF64AVX2(x, tail)
}

func selectF32Arch(isa vecISA, dst []float32, cond []int64, a, b []float32) {
	if isa == isaAVX512 {
		selectF32AVX512(dst, cond, a, b)
	} else {
		selectF32AVX2(dst, cond, a, b)
	}
}

func compareF32Arch(isa vecISA, op int, dst []int64, a, b []float32) {
	if isa == isaAVX512 {
		compareF32AVX512(op, dst, a, b)
	} else {
		compareF32AVX2(op, dst, a, b)
	}
}

func selectF64Arch(isa vecISA, dst []float64, cond []int64, a, b []float64) {
	if isa == isaAVX512 {
		selectF64AVX512(dst, cond, a, b)
	} else {
		selectF64AVX2(dst, cond, a, b)
	}
}

func compareF64Arch(isa vecISA, op int, dst []int64, a, b []float64) {
	if isa == isaAVX512 {
		compareF64AVX512(op, dst, a, b)
	} else {
		compareF64AVX2(op, dst, a, b)
	}
}

// archFoldsLanes: the reduce kernels leave the max or min over all their lanes in every
// lane (vecgen's foldLanes). They start every lane from lane[0], which reduceF32 and
// reduceF64 fill, like the others, with the identity.
const archFoldsLanes = true

func reduceF32Arch(isa vecISA, op int, x []float32, lane *[16]float32) {
	if isa == isaAVX512 {
		reduceF32AVX512(op, x, lane)
	} else {
		reduceF32AVX2(op, x, lane)
	}
}

func reduceF64Arch(isa vecISA, op int, x []float64, lane *[8]float64) {
	if isa == isaAVX512 {
		reduceF64AVX512(op, x, lane)
	} else {
		reduceF64AVX2(op, x, lane)
	}
}

// The kernels of vec_amd64.s take whole vectors: len(dst) a multiple of 8 (AVX2) or 16
// (AVX-512) float32, half that of float64; len(x) a multiple of 32 for the sums.

//go:noescape
func binaryF32AVX2(op int, dst, a, b []float32)

//go:noescape
func binaryF32AVX512(op int, dst, a, b []float32)

//go:noescape
func binaryF64AVX2(op int, dst, a, b []float64)

//go:noescape
func binaryF64AVX512(op int, dst, a, b []float64)

//go:noescape
func scalarF32AVX2(op int, dst, x []float32, s float32)

//go:noescape
func scalarF32AVX512(op int, dst, x []float32, s float32)

//go:noescape
func fillF32AVX2(dst []float32, v float32)

//go:noescape
func fillF32AVX512(dst []float32, v float32)

//go:noescape
func unaryF32AVX2(op int, dst, x []float32)

//go:noescape
func unaryF32AVX512(op int, dst, x []float32)

//go:noescape
func unaryF64AVX2(op int, dst, x []float64)

//go:noescape
func unaryF64AVX512(op int, dst, x []float64)

//go:noescape
func sumF32AVX2(x []float32, tail *[32]float32) float64

//go:noescape
func sumF32AVX512(x []float32, tail *[32]float32) float64

//go:noescape
func accumulateF32AVX2(acc []float64, x []float32)

//go:noescape
func accumulateF32AVX512(acc []float64, x []float32)

//go:noescape
func sumF64AVX2(x []float64, tail *[32]float64) float64

//go:noescape
func sumF64AVX512(x []float64, tail *[32]float64) float64

//go:noescape
func reduceF32AVX2(op int, x []float32, lane *[16]float32)

//go:noescape
func reduceF32AVX512(op int, x []float32, lane *[16]float32)

// The compare kernels take whole vectors (8 or 16 float32) and write an int64 a float32.
//
//go:noescape
func compareF32AVX2(op int, dst []int64, a, b []float32)

//go:noescape
func compareF32AVX512(op int, dst []int64, a, b []float32)

//go:noescape
func compareF64AVX2(op int, dst []int64, a, b []float64)

//go:noescape
func compareF64AVX512(op int, dst []int64, a, b []float64)

//go:noescape
func selectF64AVX2(dst []float64, cond []int64, a, b []float64)

//go:noescape
func selectF64AVX512(dst []float64, cond []int64, a, b []float64)

//go:noescape
func selectF32AVX2(dst []float32, cond []int64, a, b []float32)

//go:noescape
func selectF32AVX512(dst []float32, cond []int64, a, b []float32)

//go:noescape
func reduceF64AVX2(op int, x []float64, lane *[8]float64)

//go:noescape
func reduceF64AVX512(op int, x []float64, lane *[8]float64)

func chainArch(isa vecISA) bool { return isa == isaAVX2 || isa == isaAVX512 }

func chainF32Arch(isa vecISA, c Chain, src []unsafe.Pointer, scalars []float32, dst []float32) {
	if isa == isaAVX512 {
		chainF32AVX512(c, src, scalars, dst)
	} else {
		chainF32AVX2(c, src, scalars, dst)
	}
}

// chainF32AVX2 and chainF32AVX512 take len(dst) a multiple of four vectors.
//
//go:noescape
func chainF32AVX2(prog []uint32, src []unsafe.Pointer, scal []float32, dst []float32)

//go:noescape
func chainF32AVX512(prog []uint32, src []unsafe.Pointer, scal []float32, dst []float32)

//go:build !noasm

package asm

import "unsafe"

// archLevels: every arm64 CPU has NEON. The vector kernels (vec_arm64.s) run at this level;
// GEMM uses the generic 4×4 micro-kernel until a NEON one is written.
func archLevels() []*level {
	return []*level{{name: "neon", s: genericLevel.s, d: genericLevel.d}}
}

// prefetchL2 is a hint that the generic micro-kernel has no use for.
func prefetchL2(p unsafe.Pointer, lines int) {}

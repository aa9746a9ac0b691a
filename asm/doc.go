// Package asm holds the CPU kernels that the cpu device builds on: vector loops that get an
// assembly implementation per architecture (amd64 AVX2/AVX-512, arm64 NEON) with a pure-Go
// twin that is both the fallback (build tag noasm, other architectures) and the test oracle.
//
// Each kernel's doc comment is the reference loop it implements.
//
// # GEMM
//
// Sgemm, Dgemm and Gemm compute C = A·B + β·C on strided matrices (any transposition, slice,
// flip or broadcast of a buffer is a Matrix), in the BLIS structure: A and B are packed into
// cache-sized panels and an assembly micro-kernel computes register tiles of C. The blocking
// (GemmParams) comes from the BLIS analytic model over the cache sizes cpuid reports, and the
// work is shared among GOMAXPROCS workers by blocks of C, so that results do not depend on
// the number of threads. Thin products take other paths, chosen by the shape: up to four
// rows or columns of C run on the matrix-vector kernels (GemvRows, GemvCols), a line of C
// after another over each band of the matrix, which stays in cache for the next line; a few
// more take a narrow micro-kernel, or read A or B where they are stored instead of packing
// them.
// GemmEpilogue finishes each band of C with an epilogue while it is in cache. GemmMixed
// takes float16 or bfloat16 operands (HalfMatrix) too, widening them to float32 as it packs
// them, with no float32 copy, or, for two bfloat16 operands on a CPU with AVX512_BF16,
// packing them in pairs for micro-kernels that multiply pairs (VDPBF16PS). GemvRowsBF16, GemvColsBF16 and their float16 twins multiply a
// matrix of 16-bit values by a float32 vector, widening its rows or columns as they read
// them.
//
//	a := asm.Matrix[float32]{Data: x, RowStride: k, ColStride: 1} // m×k, by rows
//	b := asm.Matrix[float32]{Data: y, RowStride: 1, ColStride: k} // k×n, the transpose of an n×k buffer
//	c := asm.Matrix[float32]{Data: z, RowStride: n, ColStride: 1}
//	err := asm.Sgemm(m, n, k, a, b, 0, c)
//
// # Levels
//
// The kernels come in levels: "generic" (Go), "avx2" (AVX2+FMA) and "avx512" (AVX-512F) on
// amd64, and "neon" on arm64. The best level the CPU supports is chosen at start-up;
// the environment variable CROSSBAR_CPU=generic|avx2|avx512|neon forces a lower one (an
// unknown or unsupported name falls back to the best, with a warning). Levels lists what this
// machine can run, SetLevel changes the level in use, and GemmParams.Level picks one for a
// single call.
//
// # Random numbers, integers, remainders and rows
//
// Philox4x32 computes blocks of Philox4x32-10, the counter-based generator of the random
// tensors, a block a vector lane. WidenI32, NarrowI32, WidenU8 and NarrowU8 convert between
// int32 or uint8 and int64, the width in which the cpu device computes integers and Bool,
// and AddI64, MaxI64, LessI64 and their kin compute in it. ModF32 and ModF64 are the
// remainders of division, bit for bit math.Mod's. FillRowsF32, ReduceMaxRowsF32,
// SumRowsF32 and their kin take many short rows in one call: a value spread along each
// row, each row's maximum, minimum or sum.
//
// The assembly of the GEMM and vector kernels is generated: go generate runs _asm/gen.go,
// which writes gemm_amd64.s, _asm/neongen.go, which writes gemm_arm64.s, and _asm/vecgen.go,
// which writes vec_amd64.s and vec_arm64.s. The transposes, Philox4x32, the integer
// conversions and kernels, the remainders and the row kernels are written by hand
// (transpose_*.s, philox_*.s, widen_*.s, veci64_*.s, mod_*.s, fillrows_*.s, reducerows_*.s).
package asm

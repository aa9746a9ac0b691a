// Package codegen turns scheduled kernels (graph.Kernel) into source code for the GPU
// backends: one loop-nest IR, lowered from a kernel by Lower, and one C-family renderer
// (Render) that a small Dialect adapts to each language. GLSL (OpenGL 4.3 compute) and
// CUDA C are the dialects so far; a dialect spells types, literals, launch coordinates,
// buffer loads and stores, barriers, shared memory and the math functions, and nothing
// else, so that a new language is a page of code.
//
// The IR (Program) is a kernel run by Groups × Local threads: declarations, assignments,
// stores to buffer parameters, ifs, counted loops and workgroup barriers over expressions
// with C semantics (integer division is only ever given safe operands), warp shuffles, and
// Intrinsic statements for what only some devices have (asynchronous copies into shared
// memory, ldmatrix, mma): a dialect without them refuses the kernel. Lower writes in
// it the graph's semantics, those of the CPU device: integer division by zero is 0, Mod is
// floored, Max and Min propagate NaN, float-to-int conversions saturate, narrow dtypes are
// computed in a wider type and rounded (Float16, BFloat16) or wrapped (Uint8) after every
// operation.
//
// Templates, each with its knobs in Options (defaults in brackets):
//   - elementwise: one thread per output element, or Elems of them Local apart; the domain
//     position is decoded into coordinates and every load reads its view in place
//     (strides, offset, mask: padding, broadcasting, slicing, flips and permutations cost
//     no copy) [Local 256, Elems 1];
//   - reductions: serial, one thread per output folding nested loops over the reduced
//     axes; group, one workgroup per output with strided partial folds combined by warp
//     shuffles (Target.Shuffle) or a tree in shared memory; or columns, one workgroup per
//     tile of 32 neighbouring outputs whose rows of 32 lanes read neighbouring elements,
//     combined by a tree in shared memory; chosen by group length, the loads' strides and
//     output count [ReduceLocal 128, GroupMin 256, GroupMaxOutputs 4096];
//   - Contract: one thread per output, or tiled: BlockM×BlockN output tiles stepping by
//     BlockK with both operand tiles in shared memory (Buffers 2: the next step's tiles
//     travel through registers while this step's are multiplied), ThreadM×ThreadN
//     registers per thread (Spread: in pieces of 4×4 rows and columns, for shared loads
//     free of bank conflicts), vector loads of width Vec where a view is contiguous and
//     aligned [64×64×16, 4×4, Vec 4, Buffers 1, TiledMin 32768];
//   - Contract on tensor cores (Target.TensorCores, Float16 and BFloat16): TCBlockM×TCBlockN
//     tiles of TCWarpsM×TCWarpsN warps computing mma.m16n8k16 fragments read by ldmatrix
//     from swizzled shared memory, TCStages steps of TCBlockK in flight through
//     asynchronous copies (of 16 bytes, or 8 for operands in rows aligned to 8 bytes
//     only), or through registers for operands not in rows aligned to 8 bytes
//     [128×128×32, 2×4 warps, 3 stages] (mma.go);
//   - split K (Target.SplitK, SplitK > 1): the tiled and tensor-core templates share the
//     K of each output tile among workgroups, which meet through a workspace and a
//     counter; the last sums the partial tiles in order and runs the epilogue (splitk.go);
//   - split reductions (Target.SplitK, ReduceSplit > 1): group and column reductions of
//     any dtype share each output's group (each tile's) among up to ReduceSplit
//     workgroups, which meet the same way; the last combines their results in a fixed
//     order (reduce.go) [1];
//   - the order of the tiles (RasterM > 1): the workgroups of the tiled and tensor-core
//     templates take the output tiles in bands of RasterM rows, column by column, so that
//     those running at once share panels of A and B in the cache [1: row by row];
//   - skinny Contract (Target.Shuffle): few outputs over a long K, a workgroup of threads
//     splitting K for a few outputs (skinny.go);
//   - Gather: one thread per output; out-of-range indices are reported in a flag buffer.
//
// Every template ends in the kernel's fused epilogue, evaluated as each element is
// stored. The tensor-core templates stage a tile of 16-bit outputs in the shared memory of
// their stages, so that a warp stores whole chunks of neighbouring rows' bytes rather than
// two bytes in each of eight rows (mma.go, tcStore). Index arithmetic is 32-bit where
// every index provably fits, 64-bit otherwise.
//
//	p, err := codegen.Lower(kernel, codegen.Target{MaxWorkgroup: 1024, SharedMemory: 32768}, codegen.Options{})
//	if err != nil { ... } // errors.Is(err, backend.ErrUnsupported): run the kernel elsewhere
//	src, err := codegen.Render(p, codegen.GLSL{Fp64: true})
package codegen

// Package graph is crossbar's device-neutral op graph: element types, shapes, strided views,
// the primitive op set that devices implement, nodes, verification, and Schedule, which
// cuts a graph into kernels.
//
// A graph is built bottom-up from leaves (host data, constants) with the constructors of this
// package; every constructor checks its operands and returns a descriptive error instead of
// panicking. Movement ops (Reshape, Permute, Expand, Slice, Pad, Flip) are views: the scheduler
// pushes them down to the loads of a kernel, so they cost no copy unless a view cannot express
// them. Schedule fuses elementwise chains into the kernels that consume them: into a reduction
// (prologue), after a reduction or a Contract (epilogue), and never duplicates a reduction. A
// value read more than once joins the kernel that reads it when every read is in that kernel,
// through the same view (GELU's input, Softplus's e^-|t|): the kernel's expression then shares
// it, and backends compute it once; else it is computed into a buffer of its own.
//
// A kernel holds at most one core, the computation that is not elementwise: a reduction, a
// Contract, a Gather, or one of the named patterns that a device may leave out (a running
// sum, a softmax, a layer normalization, the index of an extreme: see OpCumSum, OpSoftmax,
// OpLayerNorm and OpArgMax). Shapes hold at most MaxElements elements.
//
//	a := graph.Host(graph.Float32, []int{2, 3}, data)
//	b := graph.Unary(graph.OpExp, a)
//	s, _ := graph.Reduce(graph.OpSum, b, []int{1})
//	kernels, _ := graph.Schedule([]*graph.Node{s}) // one kernel: exp fused into the sum
package graph

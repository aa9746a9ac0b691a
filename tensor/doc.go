// Package tensor is crossbar's user-facing API: lazy, immutable n-dimensional arrays that
// compute on whatever device the machine has (see package backend).
//
// Operations record a graph and return at once; Realize, Data and String compute it, fusing
// elementwise chains into the kernels that consume them. Semantics follow NumPy (broadcasting,
// negative axes, integer division and modulo) and ONNX where NumPy has none (convolution,
// pooling, layer normalization).
//
// Errors are values carried by tensors: an operation with bad arguments returns a tensor whose
// Err reports what went wrong, naming the operation and the shapes, and every tensor computed
// from it carries the same error. Nothing panics on bad input. A shape holds at most 2^48
// elements (graph.MaxElements), and a tensor whose values are made on the host (Arange,
// RandUniform, RandNormal) at most 2^34.
//
//	a := tensor.New([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
//	b := tensor.Ones(tensor.Float32, 3)
//	y := a.Mul(b).Sum(1) // [6 15]
//	vals, err := tensor.Data[float32](y)
package tensor

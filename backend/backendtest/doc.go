// Package backendtest is the conformance suite that every crossbar device must pass.
//
// It holds an independent float64 reference implementation of every operation of the public
// tensor API (NumPy semantics; ONNX semantics for convolution, pooling and layer
// normalization), written as naive loops over multi-indices, and compares what a device
// computes against it.
package backendtest

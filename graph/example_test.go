package graph_test

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/crossbar-compute/crossbar/graph"
)

// hostF32 makes a host leaf of float32 values, little-endian as Host expects.
func hostF32(shape []int, vals ...float32) *graph.Node {
	data := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
	}
	n, err := graph.Host(graph.Float32, shape, data)
	if err != nil {
		panic(err)
	}
	return n
}

// A framework builds a graph of nodes, each checked as it is made, and Schedule cuts it into
// kernels: here the product of two matrices with a bias added and ReLU applied in its
// epilogue, and a sum of the result's rows whose prologue is the elementwise rest.
func ExampleSchedule() {
	a := hostF32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	b := hostF32([]int{3, 2}, 1, 0, 0, 1, 1, 1)
	bias := hostF32([]int{1, 2}, -4, 0.5)

	must := func(n *graph.Node, err error) *graph.Node {
		if err != nil {
			panic(err)
		}
		return n
	}
	y := must(graph.Contract(a, b))                                               // [2, 2]
	y = must(graph.Binary(graph.OpAdd, y, must(graph.Expand(bias, []int{2, 2})))) // + bias
	// A constant is a scalar; Reshape gives it the rank that Expand (same rank) needs.
	zero := must(graph.Const(graph.ScalarOf(0, graph.Float32), graph.Float32))
	zero = must(graph.Expand(must(graph.Reshape(zero, []int{1, 1})), []int{2, 2}))
	y = must(graph.Binary(graph.OpMax, y, zero))                                      // ReLU
	s := must(graph.Reduce(graph.OpSum, must(graph.Unary(graph.OpExp, y)), []int{1})) // [2, 1]

	kernels, err := graph.Schedule([]*graph.Node{y, s})
	if err != nil {
		panic(err)
	}
	for _, k := range kernels {
		fmt.Printf("%v%v: core %v, inputs %d\n", k.Out.DType, k.Out.Shape, k.Core.Op, len(k.Inputs))
	}
	// Bad input is an error that names the operation and the shapes, not a panic.
	_, err = graph.Contract(a, a)
	fmt.Println(err)
	// Output:
	// float32[2 2]: core contract, inputs 3
	// float32[2 1]: core sum, inputs 1
	// contract: invalid argument: shapes [2 3] and [2 3] do not contract
}

package tensor_test

import (
	"errors"
	"fmt"

	"github.com/crossbar-compute/crossbar/tensor"
)

func Example() {
	a := tensor.New([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	b := tensor.Ones(tensor.Float32, 3)
	y := a.Mul(b).Sum(1) // nothing runs until Data
	vals, err := tensor.Data[float32](y)
	fmt.Println(vals, err)
	// Output: [6 15] <nil>
}

func ExampleNew() {
	t := tensor.New([]int32{1, 2, 3, 4, 5, 6}, 2, 3)
	fmt.Println(t.Shape(), t.DType())
	vals, err := tensor.Data[int32](t)
	fmt.Println(vals, err)
	// Output:
	// [2 3] int32
	// [1 2 3 4 5 6] <nil>
}

func ExampleData() {
	t := tensor.Arange(0, 4, 1, tensor.Float64)
	vals, err := tensor.Data[float64](t)
	fmt.Println(vals, err)
	// The element type must match the dtype.
	_, err = tensor.Data[float32](t)
	fmt.Println(err)
	// Output:
	// [0 1 2 3] <nil>
	// Data: invalid argument: float32 requested from a float64 tensor of shape [4]
}

func ExampleTensor_Add() {
	// NumPy broadcasting: [2, 1] + [3] gives [2, 3].
	col := tensor.New([]float32{10, 20}, 2, 1)
	row := tensor.New([]float32{1, 2, 3})
	fmt.Println(col.Add(row))
	// Output:
	// tensor([[11. 12. 13.]
	//  [21. 22. 23.]], shape=[2 3], dtype=float32)
}

func ExampleTensor_MatMul() {
	a := tensor.New([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	b := tensor.New([]float32{1, 0, 0, 1, 1, 1}, 3, 2)
	fmt.Println(a.MatMul(b))
	// A 1-D operand is a vector.
	fmt.Println(a.MatMul(tensor.New([]float32{1, 1, 1})))
	// Output:
	// tensor([[ 4.  5.]
	//  [10. 11.]], shape=[2 2], dtype=float32)
	// tensor([ 6. 15.], shape=[2], dtype=float32)
}

func ExampleTensor_Sum() {
	t := tensor.Arange(0, 24, 1, tensor.Int64).Reshape(2, 3, 4)
	fmt.Println(t.Sum(0, -1)) // axes 0 and 2
	fmt.Println(t.Sum())      // all axes
	// Output:
	// tensor([ 60  92 124], shape=[3], dtype=int64)
	// tensor(276, shape=[], dtype=int64)
}

func ExampleTensor_Softmax() {
	logits := tensor.New([]float64{1, 2, 3, 1000, 1000, 1000}, 2, 3)
	fmt.Println(logits.Softmax(-1))
	// Output:
	// tensor([[0.09003057 0.24472847 0.66524096]
	//  [0.33333333 0.33333333 0.33333333]], shape=[2 3], dtype=float64)
}

func ExampleTensor_Err() {
	a := tensor.Ones(tensor.Float32, 2, 3)
	b := tensor.Ones(tensor.Float32, 4)
	y := a.Add(b).Exp().Sum() // the error travels down the chain
	fmt.Println(y.Err())
	fmt.Println(errors.Is(y.Err(), tensor.ErrInvalid))
	_, err := tensor.Data[float32](y)
	fmt.Println(err == y.Err())
	// Output:
	// Add: invalid argument: shapes [[2 3] [4]] do not broadcast
	// true
	// true
}

func ExampleTensor_Slice() {
	t := tensor.Arange(0, 10, 1, tensor.Int32)
	fmt.Println(t.Slice(0, 2, 8, 2))
	fmt.Println(t.Slice(0, -1, -4, -1))  // backward
	fmt.Println(t.Slice(0, 5, 100, 1))   // bounds clamp
	fmt.Println(t.Slice(0, 100, 200, 1)) // empty
	// Output:
	// tensor([2 4 6], shape=[3], dtype=int32)
	// tensor([9 8 7], shape=[3], dtype=int32)
	// tensor([5 6 7 8 9], shape=[5], dtype=int32)
	// tensor([], shape=[0], dtype=int32)
}

func ExampleTensor_Conv() {
	// One 4x4 image with one channel; a 2x2 kernel that sums its window, stride 2.
	x := tensor.Arange(0, 16, 1, tensor.Float32).Reshape(1, 1, 4, 4)
	w := tensor.Ones(tensor.Float32, 1, 1, 2, 2)
	fmt.Println(x.Conv(w, tensor.ConvOptions{Strides: []int{2, 2}}))
	// Pads are all begins, then all ends (ONNX order).
	y := x.Conv(w, tensor.ConvOptions{Pads: []int{1, 1, 0, 0}})
	fmt.Println(y.Shape())
	// Output:
	// tensor([[[[10. 18.]
	//    [42. 50.]]]], shape=[1 1 2 2], dtype=float32)
	// [1 1 4 4]
}

func ExampleTensor_MaxPool() {
	x := tensor.New([]float32{1, 5, 2, 8, 3, 9, 4}, 1, 1, 7)
	fmt.Println(x.MaxPool(tensor.PoolOptions{Kernel: []int{2}, Strides: []int{3}, CeilMode: true}))
	// Output:
	// tensor([[[5. 8. 4.]]], shape=[1 1 3], dtype=float32)
}

func ExampleTensor_Pad() {
	x := tensor.New([]int32{1, 2, 3})
	fmt.Println(x.Pad([][2]int{{2, 1}}, tensor.PadConstant, -1))
	fmt.Println(x.Pad([][2]int{{2, 1}}, tensor.PadReflect, 0))
	fmt.Println(x.Pad([][2]int{{2, 1}}, tensor.PadEdge, 0))
	// Output:
	// tensor([-1 -1  1  2  3 -1], shape=[6], dtype=int32)
	// tensor([3 2 1 2 3 2], shape=[6], dtype=int32)
	// tensor([1 1 1 2 3 3], shape=[6], dtype=int32)
}

func ExampleConcat() {
	a := tensor.New([]int64{1, 2, 3, 4}, 2, 2)
	b := tensor.New([]int64{5, 6}, 2, 1)
	fmt.Println(tensor.Concat(1, a, b))
	parts := tensor.Concat(1, a, b).Split(1, 1, 2)
	fmt.Println(parts[1])
	// Output:
	// tensor([[1 2 5]
	//  [3 4 6]], shape=[2 3], dtype=int64)
	// tensor([[2 5]
	//  [4 6]], shape=[2 2], dtype=int64)
}

func ExampleTensor_ArgMax() {
	x := tensor.New([]float32{3, 7, 7, 1, 0, 2}, 2, 3)
	fmt.Println(x.ArgMax(1)) // first occurrence wins
	// Output:
	// tensor([1 2], shape=[2], dtype=int64)
}

func ExampleTensor_CumSum() {
	x := tensor.New([]int32{1, 2, 3, 4})
	fmt.Println(x.CumSum(0, false, false))
	fmt.Println(x.CumSum(0, true, true)) // exclusive, from the end
	// Output:
	// tensor([ 1  3  6 10], shape=[4], dtype=int32)
	// tensor([9 7 4 0], shape=[4], dtype=int32)
}

func ExampleRandNormal() {
	// Element i depends only on the seed and i: the same seed gives the same values on every
	// device, and a larger tensor starts with the same values.
	a := tensor.RandNormal(42, tensor.Float32, 2, 3)
	b := tensor.RandNormal(42, tensor.Float32, 8)
	x, _ := tensor.Data[float32](a)
	y, _ := tensor.Data[float32](b)
	fmt.Printf("%.4f\n%.4f\n", x, y[:6])
	u := tensor.RandUniform(7, tensor.Float64, 100000)
	mean, _ := tensor.Data[float64](u.Mean())
	fmt.Printf("uniform mean %.2f\n", mean[0])
	// Output:
	// [0.3410 1.5945 -1.6351 0.4594 0.0142 -0.9121]
	// [0.3410 1.5945 -1.6351 0.4594 0.0142 -0.9121]
	// uniform mean 0.50
}

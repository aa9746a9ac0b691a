package tensor

import (
	"testing"
)

func TestSmoke(t *testing.T) {
	a := New([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	b := New([]float32{10, 20, 30}, 3)
	y := a.Add(b).Mul(a).Sum(1)
	got, err := Data[float32](y)
	t.Log(got, err)
	m := a.MatMul(a.Transpose()).Add(Ones(Float32, 2)).ReLU()
	g2, err := Data[float32](m)
	t.Log(g2, err)
	s := a.Softmax(-1)
	g3, err := Data[float32](s)
	t.Log(g3, err)
	r := a.Transpose().Reshape(6)
	g4, err := Data[float32](r)
	t.Log(g4, err)
	p := a.Slice(1, -1, -10, -2)
	g5, err := Data[float32](p)
	t.Log(g5, p.Shape(), err)
	q := New([]int32{-7, 7, -7, 7}).Mod(New([]int32{2, -2, -2, 2}))
	g6, err := Data[int32](q)
	t.Log(g6, err)
	e := a.Add(New([]float32{1, 2}))
	t.Log(e.Err())
	mx := a.Max(0).Mean()
	g7, err := Data[float32](mx)
	t.Log(g7, err)
}

package tensor

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/crossbar-compute/crossbar/graph"
)

// program decodes fuzz bytes into a chain of tensor operations.
type program struct {
	b []byte
	i int
}

func (p *program) next() int {
	if p.i >= len(p.b) {
		return 0
	}
	v := int(p.b[p.i])
	p.i++
	return v
}

func (p *program) small(n int) int { return p.next() % n }

// signed returns a small value in [-n, n].
func (p *program) signed(n int) int { return p.small(2*n+1) - n }

func (p *program) shape() []int {
	r := p.small(5)
	s := make([]int, r)
	for k := range s {
		s[k] = p.small(5) // includes 0: empty tensors
	}
	return s
}

var fuzzDTypes = []DType{Float32, Float64, Int32, Int64, Uint8, Bool, Float16, BFloat16}

func (p *program) tensor() *Tensor {
	dt := fuzzDTypes[p.small(len(fuzzDTypes))]
	shape := p.shape()
	if p.small(8) == 0 {
		shape = append(shape, -1) // bad shape
	}
	switch p.small(4) {
	case 0:
		return Full(float64(p.signed(3)), dt, shape...)
	case 1:
		n := 0
		if graph.NumElements(shape) >= 0 {
			n = graph.NumElements(shape)
		}
		if p.small(8) == 0 {
			n++ // wrong data length
		}
		data := make([]float32, max(0, n))
		for i := range data {
			data[i] = float32(p.signed(4))
		}
		return New(data, shape...).Cast(dt)
	case 2:
		return RandNormal(uint64(p.next()), dt, shape...)
	}
	return Arange(float64(p.signed(3)), float64(p.signed(9)), float64(p.signed(2)), dt)
}

func (p *program) axes() []int {
	a := make([]int, p.small(3))
	for i := range a {
		a[i] = p.signed(4)
	}
	return a
}

// step applies one operation chosen by the program to t.
func (p *program) step(t *Tensor) *Tensor {
	u := p.tensor()
	switch p.small(40) {
	case 0:
		return t.Add(u)
	case 1:
		return t.Sub(u)
	case 2:
		return t.Mul(u)
	case 3:
		return t.Div(u)
	case 4:
		return t.Mod(u)
	case 5:
		return t.Maximum(u)
	case 6:
		return t.Less(u)
	case 7:
		return Where(t.Cast(Bool), t, u)
	case 8:
		return t.Exp()
	case 9:
		return t.Neg().Abs().Sqrt()
	case 10:
		return t.Sigmoid()
	case 11:
		return t.Sum(p.axes()...)
	case 12:
		return t.Max(p.axes()...)
	case 13:
		return t.Mean(p.axes()...)
	case 14:
		return t.Softmax(p.signed(4))
	case 15:
		return t.ArgMax(p.signed(4))
	case 16:
		return t.CumSum(p.signed(4), p.small(2) == 0, p.small(2) == 0)
	case 17:
		return t.MatMul(u)
	case 18:
		return t.Reshape(p.signed(4), p.small(6))
	case 19:
		return t.Permute(p.axes()...)
	case 20:
		return t.Transpose()
	case 21:
		return t.Expand(p.shape()...)
	case 22:
		return t.Squeeze(p.axes()...)
	case 23:
		return t.Unsqueeze(p.axes()...)
	case 24:
		return t.Flatten(p.signed(4))
	case 25:
		return t.Slice(p.signed(4), p.signed(6), p.signed(6), p.signed(2))
	case 26:
		return t.Flip(p.axes()...)
	case 27:
		return t.Tile(p.axes()...)
	case 28:
		pads := make([][2]int, p.small(5))
		for i := range pads {
			pads[i] = [2]int{p.signed(2), p.signed(2)}
		}
		return t.Pad(pads, PadMode(p.signed(2)), 1.5)
	case 29:
		return Concat(p.signed(3), t, u)
	case 30:
		parts := t.Split(p.signed(3), p.axes()...)
		if len(parts) == 0 {
			return t
		}
		return parts[p.small(len(parts))]
	case 31:
		return t.Gather(p.signed(3), Arange(float64(p.signed(3)), 3, 1, Int64))
	case 32:
		return t.Triu(p.signed(2))
	case 33:
		return t.LayerNorm(p.signed(3), u, nil, 1e-5)
	case 34:
		return t.Conv(u, ConvOptions{Strides: p.axes(), Pads: p.axes(), Groups: p.signed(2)})
	case 35:
		return t.MaxPool(PoolOptions{Kernel: p.axes(), Strides: p.axes(), CeilMode: p.small(2) == 0})
	case 36:
		return t.AvgPool(PoolOptions{Kernel: p.axes(), Pads: p.axes(), CountIncludePad: p.small(2) == 0})
	case 37:
		return t.Clip(float64(p.signed(2)), float64(p.signed(2)))
	case 38:
		return t.Cast(fuzzDTypes[p.small(len(fuzzDTypes))])
	}
	return t.Pow(u)
}

// FuzzOpChains runs random chains of operations on random shapes: every result must either
// carry an error that names an operation, or compute to exactly as many elements as its
// shape says. Nothing may panic.
func FuzzOpChains(f *testing.F) {
	for _, seed := range [][]byte{
		{1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
		{0, 3, 2, 2, 2, 1, 17, 0, 3, 2, 2, 2, 1, 0, 0},
		{7, 2, 4, 4, 1, 0, 11, 1, 2, 5, 5, 5, 5, 5},
		{255, 254, 253, 0, 1, 34, 2, 1, 1, 1, 1, 1, 1, 34, 34},
		{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := &program{b: b}
		x := p.tensor()
		for range 1 + p.small(6) {
			if x.Err() == nil && graph.NumElements(x.Shape()) > 1<<14 {
				break // keep each input fast; size limits are tested elsewhere
			}
			x = p.step(x)
		}
		if err := x.Err(); err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, graph.ErrShape) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if n := graph.NumElements(x.Shape()); n > 1<<20 {
			return
		}
		vals, err := float64s(x)
		if err != nil {
			// Data-dependent failures (a gather index out of range) are errors, not panics.
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("realize %v%v: %v", x.DType(), x.Shape(), err)
			}
			return
		}
		if len(vals) != graph.NumElements(x.Shape()) {
			t.Fatalf("%d elements for shape %v", len(vals), x.Shape())
		}
		_ = fmt.Sprint(x)
		_ = slices.Clone(vals)
	})
}

// FuzzFusedMatchesStepwise builds random graphs of elementwise operations over one shape,
// each value read by any later one (so that values read twice join the kernels of their
// readers and are shared there), with rows' maxima spread along rows, selects, the parts of
// concatenations and products (and their epilogues), and computes each twice: as one graph, fused, and with every value
// realized as soon as it is made. The two must agree bit for bit (zeros of either sign, and
// NaNs, are taken as equal): fusing changes no rounding.
func FuzzFusedMatchesStepwise(f *testing.F) {
	for _, seed := range [][]byte{
		{0, 1, 5, 3, 0, 0, 12, 1, 0, 7, 2, 1, 9, 3, 2, 1, 4, 0},
		{1, 2, 6, 8, 0, 14, 0, 0, 3, 1, 1, 15, 2, 0, 10, 3, 1, 2, 11, 4},
		{2, 3, 6, 10, 0, 13, 1, 0, 2, 2, 1, 16, 0, 1, 6, 3, 2, 5, 1, 0},
		{0, 0, 4, 17, 0, 0, 12, 1, 1, 9, 2, 2, 13, 3, 0, 8, 4, 3},
		{1, 3, 5, 2, 0, 1, 11, 1, 0, 14, 2, 1, 3, 3, 2, 17, 4, 1, 0, 5, 5},
	} {
		f.Add(seed)
	}
	cols := []int{1, 3, 5, 8, 130, 260}
	f.Fuzz(func(t *testing.T, b []byte) {
		build := func(stepwise bool) (*Tensor, error) {
			p := &program{b: b}
			dt := []DType{Float32, Float64, Float16}[p.small(3)]
			r, c := 1+p.small(4), cols[p.small(len(cols))]
			vals := []*Tensor{RandNormal(uint64(p.next()), dt, r, c)}
			pick := func() *Tensor { return vals[p.small(len(vals))] }
			for range 2 + p.small(10) {
				a, o := pick(), pick()
				var y *Tensor
				switch p.small(20) {
				case 0:
					y = a.Add(o)
				case 1:
					y = a.Sub(o)
				case 2:
					y = a.Mul(o)
				case 3:
					y = a.Div(o)
				case 4:
					y = a.Maximum(o)
				case 5:
					y = Where(a.Greater(o), a, o.Neg())
				case 6:
					y = a.Exp()
				case 7:
					y = a.Abs().Sqrt()
				case 8:
					y = a.Sin()
				case 9:
					y = a.Tanh()
				case 10:
					y = a.Softplus()
				case 11:
					y = a.GELU()
				case 12:
					y = a.SiLU()
				case 13:
					y = a.Max(-1).Unsqueeze(-1).Expand(r, c) // a value along each row
				case 14:
					y = a.Flip(1)
				case 15:
					k := p.small(c + 1)
					y = Concat(1, a.Slice(1, 0, k, 1), o.Slice(1, k, c, 1))
				case 16:
					y = a.Cast(Float16).Cast(dt)
				case 17:
					// A product: what follows it joins the GEMM's epilogue. (Not of Float16:
					// a 16-bit product's epilogue reads it as accumulated, in float32, before
					// its rounding to the dtype, as GEMM epilogues do; computed a value at a
					// time, the product is rounded first.)
					if dt != Float16 {
						y = a.MatMul(RandNormal(uint64(p.next()), dt, c, c))
						break
					}
					fallthrough
				case 18:
					// A running sum, along either axis: a core with a prologue and an epilogue.
					y = a.CumSum(p.small(2), p.small(2) == 0, p.small(2) == 0)
				default:
					y = a.Mul(a).Sub(o)
				}
				if stepwise {
					if err := y.Realize(); err != nil {
						return nil, err
					}
				}
				vals = append(vals, y)
			}
			// The last value, and one read once more at the end.
			return vals[len(vals)-1].Add(pick()), nil
		}
		fused, err := build(false)
		if err != nil {
			t.Fatal(err)
		}
		want, err := build(true)
		if err != nil {
			t.Fatal(err)
		}
		got, err := float64s(fused)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := float64s(want)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ref {
			if got[i] != ref[i] && !(got[i] != got[i] && ref[i] != ref[i]) {
				t.Fatalf("%v%v: element %d is %v fused, %v computed a value at a time", fused.DType(), fused.Shape(), i, got[i], ref[i])
			}
		}
	})
}

// Package randprog draws random tensor programs for differential tests of devices: chains
// of operations that a scheduler fuses into kernels the conformance suite's fixed cases
// need not reach (a reduction of a permuted slice of a broadcast sum, a product whose
// operand is a padded view, ...), each built on the device under test and on the CPU
// device, whose results must agree (Check).
//
// The values stay positive and within a few orders of magnitude (leaves in [0.5, 1.5);
// steps that keep them so: sums, products, maxima, means, square roots, sigmoids,
// products of matrices and convolutions scaled by 1/K, softmaxes and running sums scaled
// by their length, layer norms through a sigmoid, and every kind of data movement), so
// that a result is well conditioned and the tolerance can be tight: an element read from
// the wrong place or left out moves a result far more than rounding in another order
// does. Integer programs add, take maxima and minima, multiply matrices (modulo 97) and
// move data only, and must agree exactly.
package randprog

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/tensor"
)

// A Program is a chain of tensor operations over leaves of pseudo-random values, which
// it builds the same on every device.
type Program struct {
	DType tensor.DType // of its leaves (Int32 programs turn Int64 at a sum)
	Steps []string     // what it does, a step a line, for a failure's message
	build func(dev backend.Device) *tensor.Tensor
	loose tensor.DType // the least precise float dtype it computes in
}

// dtypes are the dtypes New draws from: float32 most often, the 16-bit floats often.
var dtypes = []tensor.DType{tensor.Float32, tensor.Float32, tensor.Float32, tensor.Float16, tensor.Float16,
	tensor.BFloat16, tensor.BFloat16, tensor.Float64, tensor.Int32}

// New returns program seed, of a dtype it draws.
func New(seed uint64) Program { return newProgram(seed, graph.Invalid) }

// NewOf returns program seed with leaves of dtype dt (Float16, BFloat16, Float32,
// Float64 or Int32).
func NewOf(seed uint64, dt tensor.DType) Program { return newProgram(seed, dt) }

// First returns the programs of seeds 0 to n-1.
func First(n int) []Program {
	progs := make([]Program, n)
	for i := range progs {
		progs[i] = New(uint64(i))
	}
	return progs
}

// Build builds the program over tensors on dev: its result, not yet realized.
func (p Program) Build(dev backend.Device) *tensor.Tensor { return p.build(dev) }

// String is the program's steps, a line each.
func (p Program) String() string { return strings.Join(p.Steps, "\n") }

// generator draws the steps of one program.
type generator struct {
	r     *rand.Rand
	dt    tensor.DType
	seed  uint64 // of the next leaf
	steps []string
	// ops are the program so far: each takes the device and the tensor of the step before.
	ops []func(dev backend.Device, x *tensor.Tensor) *tensor.Tensor
	// shape is the shape of the program's tensor after the steps so far.
	shape []int
	// loose is the least precise float dtype of the steps so far (the program's own).
	loose tensor.DType
}

// dims are the sizes an axis of a leaf takes: around warp, tile and vector widths.
var dims = []int{1, 2, 3, 5, 7, 8, 13, 16, 17, 31, 32, 33, 40, 64, 65}

func newProgram(seed uint64, dt tensor.DType) Program {
	r := rand.New(rand.NewPCG(seed, 0x72616e646f6d))
	if dt == graph.Invalid {
		dt = dtypes[r.IntN(len(dtypes))]
	}
	g := &generator{r: r, dt: dt, seed: seed << 8, loose: dt}
	rank := 1 + r.IntN(4)
	for {
		g.shape = make([]int, rank)
		for i := range g.shape {
			g.shape[i] = dims[r.IntN(len(dims))]
		}
		if n := graph.NumElements(g.shape); n >= 8 && n <= 40000 {
			break
		}
	}
	leaf := g.leaf(g.shape)
	g.steps = append(g.steps, fmt.Sprintf("x = leaf %v %v", g.dt, g.shape))
	steps := 3 + r.IntN(5)
	for len(g.ops) < steps {
		g.step()
	}
	ops := g.ops
	return Program{DType: dt, Steps: g.steps, loose: g.loose, build: func(dev backend.Device) *tensor.Tensor {
		x := leaf(dev)
		for _, op := range ops {
			x = op(dev, x)
		}
		return x
	}}
}

// leaf returns a function that makes a tensor of shape on a device: values in [0.5, 1.5)
// (integers 1 to 4), the same on every device, of the program's dtype at this step.
func (g *generator) leaf(shape []int) func(dev backend.Device) *tensor.Tensor {
	shape = slices.Clone(shape)
	seed, dt := g.seed, g.dt
	g.seed++
	if !dt.IsFloat() {
		r := rand.New(rand.NewPCG(seed, 1))
		v := make([]int32, graph.NumElements(shape))
		for i := range v {
			v[i] = int32(1 + r.IntN(4))
		}
		return func(dev backend.Device) *tensor.Tensor { return tensor.New(v, shape...).To(dev).Cast(dt) }
	}
	return func(dev backend.Device) *tensor.Tensor {
		half := tensor.Full(0.5, dt).To(dev)
		return tensor.RandUniform(seed, dt, shape...).To(dev).Add(half)
	}
}

// add appends a step named name that takes the shape to shape.
func (g *generator) add(name string, shape []int, op func(dev backend.Device, x *tensor.Tensor) *tensor.Tensor) {
	g.steps = append(g.steps, name)
	g.ops = append(g.ops, op)
	g.shape = shape
}

func (g *generator) float() bool { return g.dt.IsFloat() }

// step draws one step that suits the program's dtype and shape.
func (g *generator) step() {
	r, shape, rank := g.r, slices.Clone(g.shape), len(g.shape)
	switch k := r.IntN(20); {
	case k == 0 && g.float():
		u := []struct {
			name string
			f    func(x *tensor.Tensor) *tensor.Tensor
		}{
			{"Sqrt", (*tensor.Tensor).Sqrt},
			{"Sigmoid", (*tensor.Tensor).Sigmoid},
			{"Tanh().Exp", func(x *tensor.Tensor) *tensor.Tensor { return x.Tanh().Exp() }},
		}[r.IntN(3)]
		g.add(u.name, shape, func(_ backend.Device, x *tensor.Tensor) *tensor.Tensor { return u.f(x) })
	case k <= 2:
		// A binary operation with a new leaf that broadcasts against x (some of its axes 1,
		// leading ones dropped), or the other way round.
		other := slices.Clone(shape)
		for i := range other {
			if r.IntN(3) == 0 {
				other[i] = 1
			}
		}
		other = other[r.IntN(len(other)+1):]
		if r.IntN(4) == 0 && rank > 0 {
			// x broadcasts against the leaf: an axis of size 1 of x grows.
			if i := slices.Index(shape, 1); i >= 0 {
				other = slices.Clone(shape)
				other[i] = dims[r.IntN(len(dims))]
				shape[i] = other[i]
			}
		}
		ops := []string{"Add", "Mul", "Maximum", "Minimum"}
		if g.float() {
			ops = append(ops, "Div")
		} else {
			ops = []string{"Add", "Maximum", "Minimum"}
		}
		name := ops[r.IntN(len(ops))]
		leaf := g.leaf(other)
		g.add(fmt.Sprintf("%s(leaf %v)", name, other), shape, func(dev backend.Device, x *tensor.Tensor) *tensor.Tensor {
			y := leaf(dev)
			switch name {
			case "Add":
				return x.Add(y)
			case "Mul":
				return x.Mul(y)
			case "Maximum":
				return x.Maximum(y)
			case "Minimum":
				return x.Minimum(y)
			}
			return x.Div(y)
		})
	case k == 3 && rank >= 2:
		perm := r.Perm(rank)
		out := make([]int, rank)
		for i, a := range perm {
			out[i] = shape[a]
		}
		g.add(fmt.Sprintf("Permute%v", perm), out, func(_ backend.Device, x *tensor.Tensor) *tensor.Tensor { return x.Permute(perm...) })
	case k == 4 && rank >= 1:
		// A slice along one axis, forward in steps of 1 to 3 or backward, or a flip.
		axis := r.IntN(rank)
		n := shape[axis]
		if n < 3 {
			g.add(fmt.Sprintf("Flip(%d)", axis), shape, func(_ backend.Device, x *tensor.Tensor) *tensor.Tensor { return x.Flip(axis) })
			return
		}
		var start, stop, step int
		if r.IntN(4) == 0 {
			// Backward from start down to stop+1 (stop >= 0: Python's -1 would mean the last).
			step, start = -1, 1+r.IntN(n-1)
			stop = r.IntN(start)
			shape[axis] = start - stop
		} else {
			step, start = 1+r.IntN(3), r.IntN(n/2+1)
			stop = start + 1 + r.IntN(n-start)
			shape[axis] = (stop - start + step - 1) / step
		}
		g.add(fmt.Sprintf("Slice(%d, %d, %d, %d)", axis, start, stop, step), shape, func(_ backend.Device, x *tensor.Tensor) *tensor.Tensor {
			return x.Slice(axis, start, stop, step)
		})
	case k == 5 && rank >= 1 && graph.NumElements(shape) <= 20000:
		pads := make([][2]int, rank)
		for i := range pads {
			pads[i] = [2]int{r.IntN(3), r.IntN(3)}
			shape[i] += pads[i][0] + pads[i][1]
		}
		mode := []tensor.PadMode{tensor.PadConstant, tensor.PadEdge}[r.IntN(2)]
		g.add(fmt.Sprintf("Pad(%v, mode %d, 1)", pads, mode), shape, func(_ backend.Device, x *tensor.Tensor) *tensor.Tensor {
			return x.Pad(pads, mode, 1)
		})
	case k == 6 && rank >= 1:
		// A reduction over some axes: the mean (the sum of integers) or the maximum or minimum.
		var axes []int
		for a := range rank {
			if r.IntN(2) == 0 {
				axes = append(axes, a)
			}
		}
		if len(axes) == 0 {
			axes = []int{r.IntN(rank)}
		}
		var out []int
		for a, n := range shape {
			if !slices.Contains(axes, a) {
				out = append(out, n)
			}
		}
		name := []string{"Mean", "Max", "Min"}[r.IntN(3)]
		if !g.float() && name == "Mean" {
			name = "Sum"
			g.dt = tensor.Int64 // NumPy's sum of int32
		}
		g.add(fmt.Sprintf("%s%v", name, axes), out, func(_ backend.Device, x *tensor.Tensor) *tensor.Tensor {
			switch name {
			case "Mean":
				return x.Mean(axes...)
			case "Sum":
				return x.Sum(axes...)
			case "Max":
				return x.Max(axes...)
			}
			return x.Min(axes...)
		})
	case k == 7 && rank >= 1 && shape[rank-1] <= 80:
		// A product with a new matrix, scaled by 1/K (integers: modulo 97): mostly of 16
		// columns or more, and half the time of x's rows flattened into one axis, so that
		// many take the tiles of the SIMT or tensor-core templates.
		kk, n := shape[rank-1], dims[r.IntN(len(dims))]
		if r.IntN(4) != 0 {
			n = dims[7+r.IntN(len(dims)-7)]
		}
		flat := rank > 2 && r.IntN(2) == 0
		if flat {
			shape = []int{graph.NumElements(shape) / kk, n}
		} else {
			shape[rank-1] = n
		}
		leaf, float := g.leaf([]int{kk, n}), g.float()
		scale := fmt.Sprintf("/ %d", kk)
		if !float {
			scale = "mod 97"
		}
		g.add(fmt.Sprintf("MatMul(leaf [%d %d]) %s, flattened first %v", kk, n, scale, flat), shape,
			func(dev backend.Device, x *tensor.Tensor) *tensor.Tensor {
				if flat {
					x = x.Flatten(rank - 1)
				}
				y := x.MatMul(leaf(dev))
				if !float {
					// Integers modulo 97, so that chains of products stay far from overflow.
					return y.Mod(tensor.Full(97, y.DType()).To(dev))
				}
				return y.Div(tensor.Full(float64(kk), y.DType()).To(dev))
			})
	case k == 8 && g.float() && rank >= 1:
		axis := r.IntN(rank)
		g.add(fmt.Sprintf("Softmax(%d) * %d", axis, shape[axis]), shape, func(dev backend.Device, x *tensor.Tensor) *tensor.Tensor {
			y := x.Softmax(axis)
			return y.Mul(tensor.Full(float64(shape[axis]), y.DType()).To(dev))
		})
	case k == 10 && g.float() && rank >= 1 && shape[rank-1] <= 65:
		// A running sum along an axis of up to 65 (a masked sum over a square of it), scaled
		// by 1/n.
		axis := r.IntN(rank)
		if shape[axis] > 65 {
			axis = rank - 1
		}
		exclusive, reverse := r.IntN(2) == 0, r.IntN(2) == 0
		n := shape[axis]
		g.add(fmt.Sprintf("CumSum(%d, %v, %v) / %d", axis, exclusive, reverse, n), shape, func(dev backend.Device, x *tensor.Tensor) *tensor.Tensor {
			y := x.CumSum(axis, exclusive, reverse)
			return y.Div(tensor.Full(float64(n), y.DType()).To(dev))
		})
	case k == 11:
		// A choice between x and a new leaf by a comparison of two more leaves, all three of
		// shapes that broadcast against x's (comparisons of the leaves' own values, which
		// every device reads alike).
		other := slices.Clone(shape)
		for i := range other {
			if r.IntN(2) == 0 {
				other[i] = 1
			}
		}
		a, b, c := g.leaf(other), g.leaf(shape[r.IntN(rank+1):]), g.leaf(other)
		g.add(fmt.Sprintf("Where(leaf %v > leaf, x, leaf)", other), shape, func(dev backend.Device, x *tensor.Tensor) *tensor.Tensor {
			return tensor.Where(a(dev).Greater(b(dev)), x, c(dev))
		})
	case k == 12 && (g.dt == tensor.Float32 || g.dt == tensor.Float64):
		// Through a narrower float and back: the program's results are then as precise as
		// that one's.
		narrow := []tensor.DType{tensor.Float16, tensor.BFloat16}[r.IntN(2)]
		if g.dt == tensor.Float64 {
			narrow = tensor.Float32
		}
		if tolerance(narrow) > tolerance(g.loose) {
			g.loose = narrow
		}
		dt := g.dt
		g.add(fmt.Sprintf("Cast(%v).Cast(%v)", narrow, dt), shape, func(_ backend.Device, x *tensor.Tensor) *tensor.Tensor {
			return x.Cast(narrow).Cast(dt)
		})
	case k == 13 && rank >= 1:
		// A reshape: two neighbouring axes merged, or one split in two.
		var out []int
		if a := r.IntN(rank); a+1 < rank && r.IntN(2) == 0 {
			out = append(append(slices.Clone(shape[:a]), shape[a]*shape[a+1]), shape[a+2:]...)
		} else if p := smallestFactor(shape[a]); p < shape[a] {
			out = slices.Insert(slices.Clone(shape), a+1, shape[a]/p)
			out[a] = p
		} else {
			return
		}
		g.add(fmt.Sprintf("Reshape%v", out), out, func(_ backend.Device, x *tensor.Tensor) *tensor.Tensor { return x.Reshape(out...) })
	case k == 14 && rank >= 1:
		// x and a new leaf of 1 to 17 along one axis, joined along it.
		axis := r.IntN(rank)
		other := slices.Clone(shape)
		other[axis] = 1 + r.IntN(17)
		shape[axis] += other[axis]
		leaf, first := g.leaf(other), r.IntN(2) == 0
		g.add(fmt.Sprintf("Concat(%d, leaf %v, first %v)", axis, other, first), shape, func(dev backend.Device, x *tensor.Tensor) *tensor.Tensor {
			if first {
				return tensor.Concat(axis, leaf(dev), x)
			}
			return tensor.Concat(axis, x, leaf(dev))
		})
	case k == 15 && rank >= 1 && graph.NumElements(shape) <= 10000:
		reps := make([]int, rank)
		for i := range reps {
			reps[i] = 1 + r.IntN(2)
			shape[i] *= reps[i]
		}
		g.add(fmt.Sprintf("Tile%v", reps), shape, func(_ backend.Device, x *tensor.Tensor) *tensor.Tensor { return x.Tile(reps...) })
	case k == 16 && rank >= 1 && graph.NumElements(shape) <= 20000:
		// The elements at indices drawn along one axis, negative ones among them.
		axis := r.IntN(rank)
		n, m := shape[axis], 1+r.IntN(20)
		idx := make([]int32, m)
		for i := range idx {
			idx[i] = int32(r.IntN(2*n) - n)
		}
		shape[axis] = m
		g.add(fmt.Sprintf("Gather(%d, %v)", axis, idx), shape, func(dev backend.Device, x *tensor.Tensor) *tensor.Tensor {
			return x.Gather(axis, tensor.New(idx).To(dev))
		})
	case k == 17 && g.float() && rank >= 1:
		// A layer norm over the last axes (values about 0), through a sigmoid back to (0, 1).
		// A new leaf along those axes is added first: x may be constant along them (an
		// expanded axis), where the normalized values would be rounding noise magnified.
		axis := r.IntN(rank)
		spread, scale := g.leaf(shape[axis:]), g.leaf(shape[axis:])
		g.add(fmt.Sprintf("Add(leaf %v).LayerNorm(%d, leaf).Sigmoid", shape[axis:], axis), shape, func(dev backend.Device, x *tensor.Tensor) *tensor.Tensor {
			return x.Add(spread(dev)).LayerNorm(axis, scale(dev), nil, 1e-5).Sigmoid()
		})
	case k == 18 && g.float() && (rank == 3 || rank == 4) && shape[1] <= 40 && slices.Min(shape[2:]) >= 3:
		// A convolution of x as [N, C, spatial...] with O new filters of 2 or 3 along each
		// spatial axis, strides 1 or 2, padded 0 or 1, in 1 or C groups, scaled by 1/(taps).
		c, o := shape[1], 1+r.IntN(8)
		groups := 1
		if r.IntN(3) == 0 {
			groups, o = c, c*(1+r.IntN(2))
		}
		spatial := rank - 2
		kern, strides, pads := make([]int, spatial), make([]int, spatial), make([]int, 2*spatial)
		out := []int{shape[0], o}
		taps := c / groups
		for i := range spatial {
			kern[i], strides[i], pads[i], pads[spatial+i] = 2+r.IntN(2), 1+r.IntN(2), r.IntN(2), r.IntN(2)
			out = append(out, (shape[2+i]+pads[i]+pads[spatial+i]-kern[i])/strides[i]+1)
			taps *= kern[i]
		}
		w := g.leaf(append([]int{o, c / groups}, kern...))
		opts := tensor.ConvOptions{Strides: strides, Pads: pads, Groups: groups}
		g.add(fmt.Sprintf("Conv(leaf [%d %d %v], %+v) / %d", o, c/groups, kern, opts, taps), out, func(dev backend.Device, x *tensor.Tensor) *tensor.Tensor {
			y := x.Conv(w(dev), opts)
			return y.Div(tensor.Full(float64(taps), y.DType()).To(dev))
		})
	case k == 19 && g.float() && (rank == 3 || rank == 4) && slices.Min(shape[2:]) >= 3:
		// A pooling of x as [N, C, spatial...]: windows of 2 or 3, strides 1 or 2, padded 0 or 1.
		spatial := rank - 2
		po := tensor.PoolOptions{Kernel: make([]int, spatial), Strides: make([]int, spatial), Pads: make([]int, 2*spatial)}
		out := slices.Clone(shape[:2])
		for i := range spatial {
			po.Kernel[i], po.Strides[i] = 2+r.IntN(2), 1+r.IntN(2)
			po.Pads[i], po.Pads[spatial+i] = r.IntN(2), r.IntN(2)
			out = append(out, (shape[2+i]+po.Pads[i]+po.Pads[spatial+i]-po.Kernel[i])/po.Strides[i]+1)
		}
		maxPool := r.IntN(2) == 0
		g.add(fmt.Sprintf("Pool(max %v, %+v)", maxPool, po), out, func(_ backend.Device, x *tensor.Tensor) *tensor.Tensor {
			if maxPool {
				return x.MaxPool(po)
			}
			return x.AvgPool(po)
		})
	case k == 9 && rank >= 1 && rank <= 3 && graph.NumElements(shape) <= 10000:
		// A new axis of size 2 or 3, where the following steps broadcast along it.
		axis := r.IntN(rank + 1)
		n := 2 + r.IntN(2)
		out := slices.Insert(slices.Clone(shape), axis, n)
		g.add(fmt.Sprintf("Unsqueeze(%d).Expand(%v)", axis, out), out, func(_ backend.Device, x *tensor.Tensor) *tensor.Tensor {
			return x.Unsqueeze(axis).Expand(out...)
		})
	}
}

// Tolerance is the largest difference from the CPU device's result that a device's may
// show, relative to its magnitude: what rounding in another order gives, float16 and
// bfloat16 intermediates rounded where the other device fuses them, over a few steps.
// Integers agree exactly.
func (p Program) Tolerance() float64 { return tolerance(p.loose) }

// tolerance is Program.Tolerance for a program whose least precise values are of dt.
func tolerance(dt tensor.DType) float64 {
	switch dt {
	case tensor.Float64:
		return 1e-9
	case tensor.Float32:
		return 2e-5
	case tensor.Float16:
		return 2e-2
	case tensor.BFloat16:
		return 1e-1
	}
	return 0
}

// Check runs each program of progs as a subtest of t (named by its index) on dev and on
// the CPU device, and compares the results: they must agree within the program's
// Tolerance (equal infinities, and NaN with NaN, agree). A failure shows the program's
// steps.
func Check(t *testing.T, dev backend.Device, progs []Program) {
	ref := cpu.New()
	for i, p := range progs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			want, err := tensor.Data[float64](p.Build(ref).Cast(tensor.Float64))
			if err != nil {
				t.Fatalf("the CPU device: %v\n%s", err, p)
			}
			got, err := tensor.Data[float64](p.Build(dev).Cast(tensor.Float64))
			if err != nil {
				t.Fatalf("%v\n%s", err, p)
			}
			tol, bad := p.Tolerance(), 0
			for j := range want {
				// Equal values agree, infinities (whose difference is NaN) and zeros
				// included, and so do two NaNs.
				if got[j] == want[j] || got[j] != got[j] && want[j] != want[j] {
					continue
				}
				if d := math.Abs(got[j] - want[j]); !(d <= tol*math.Abs(want[j])) {
					if bad++; bad <= 3 {
						t.Errorf("element %d: %v, the CPU's %v", j, got[j], want[j])
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d elements differ; the program:\n%s", bad, len(want), p)
			}
		})
	}
}

// smallestFactor is the smallest factor of n above 1 (n itself for a prime, 1 for 1).
func smallestFactor(n int) int {
	for p := 2; p*p <= n; p++ {
		if n%p == 0 {
			return p
		}
	}
	return n
}

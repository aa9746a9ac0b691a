package backendtest

import (
	"fmt"
	"math"
	"testing"

	"github.com/crossbar-compute/crossbar/tensor"
)

type reduceOp struct {
	name      string
	f         func(t *tensor.Tensor, axes ...int) *tensor.Tensor
	g         gen
	floatOnly bool
}

func reduceOps() []reduceOp {
	return []reduceOp{
		{"Sum", (*tensor.Tensor).Sum, genGeneral, false},
		{"Prod", (*tensor.Tensor).Prod, genNearOne, false},
		{"Max", (*tensor.Tensor).Max, genGeneral, false},
		{"Min", (*tensor.Tensor).Min, genGeneral, false},
		{"Mean", (*tensor.Tensor).Mean, genGeneral, false},
		{"LogSumExp", (*tensor.Tensor).LogSumExp, genGeneral, true},
	}
}

// reduceTol is the tolerance of op over groups of n elements of a.
func reduceTol(op string, a *refArray, n int) tol {
	switch op {
	case "Max", "Min":
		return exact
	case "Sum", "Mean":
		return tolAccum(a.dt, n, maxAbs(a))
	}
	return tolAccum(a.dt, n, 1)
}

// groupLen is the number of input elements that reduce into one output element.
func groupLen(in, out []int) int {
	if refNumel(out) == 0 {
		return 0
	}
	return refNumel(in) / refNumel(out)
}

// axesSubset returns the axes of the set bits of mask over rank 4, written negative for
// odd masks and in descending order when mask has bit 2 set (the order must not matter).
func axesSubset(mask int) []int {
	var axes []int
	for i := 0; i < 4; i++ {
		if mask&(1<<i) != 0 {
			ax := i
			if mask%2 == 1 {
				ax = i - 4
			}
			axes = append(axes, ax)
		}
	}
	if mask&4 != 0 {
		for i, j := 0, len(axes)-1; i < j; i, j = i+1, j-1 {
			axes[i], axes[j] = axes[j], axes[i]
		}
	}
	return axes
}

func (s *suite) reductions(t *testing.T) {
	s.reduce(t)
	s.argReduce(t)
	s.softmax(t)
	s.cumsum(t)
}

func (s *suite) reduce(t *testing.T) {
	type extra struct {
		sc   shapeCase
		axes []int
	}
	c := func(dims ...int) shapeCase { return shapeCase{sh(dims...), contiguous} }
	extras := []extra{
		{c(), nil}, {c(0), nil}, {c(3, 0, 2), []int{1}}, {c(3, 0, 2), []int{0}}, {c(3, 0, 2), []int{0, 2}},
		{c(1000), nil}, {c(1000), []int{0}}, {c(129, 65), []int{0}}, {c(129, 65), []int{-1}}, {c(7, 1, 33), []int{1}},
		{c(2, 3), []int{2}}, {c(2, 3), []int{0, -2}}, {c(), []int{0}},
		{shapeCase{sh(17, 33), viewT}, []int{0}}, {shapeCase{sh(17, 33), viewT}, []int{1}},
		{shapeCase{sh(5, 17), viewSlice}, []int{-1}}, {shapeCase{sh(4, 5, 6), viewFlip}, []int{0, 2}},
		{shapeCase{sh(5, 33), viewExpand}, []int{0}}, {shapeCase{sh(3, 4, 5), viewPermute}, []int{1}},
	}
	for _, op := range reduceOps() {
		dts := s.dtypes
		for _, dt := range dts {
			if op.floatOnly && !dt.isFloat() {
				s.run(t, fmt.Sprintf("%s/%v/error", op.name, dt), func(c *tc) {
					a := c.input(dt, sh(3, 4), genGeneral, contiguous)
					c.checkErr(op.name, fmt.Sprintf("%s(%s)", op.name, a.desc), op.f(a.t, 1))
				})
				continue
			}
			masks := []int{0, 1, 8, 6, 15}
			if dt == refFloat32 || dt == refFloat64 || dt == refInt32 {
				masks = nil
				for m := 0; m < 16; m++ {
					masks = append(masks, m)
				}
			}
			for _, mask := range masks {
				axes := axesSubset(mask)
				s.run(t, fmt.Sprintf("%s/%v/[3 4 5 2]/axes%v", op.name, dt, axes), func(c *tc) {
					a := c.input(dt, sh(3, 4, 5, 2), op.g, contiguous)
					want, err := refReduce(op.name, a.ref, axes)
					c.checkRef(op.name, fmt.Sprintf("%s(axes %v)", op.name, axes), []operand{a}, op.f(a.t, axes...), want, err,
						reduceTol(op.name, a.ref, groupLen(a.ref.shape, shapeOrNil(want))))
				})
			}
			if dt != refFloat32 && dt != refInt32 && dt != refFloat16 {
				continue
			}
			for _, e := range extras {
				s.run(t, fmt.Sprintf("%s/%v/%v/axes%v", op.name, dt, e.sc, e.axes), func(c *tc) {
					a := c.input(dt, e.sc.shape, op.g, e.sc.v)
					want, err := refReduce(op.name, a.ref, e.axes)
					c.checkRef(op.name, fmt.Sprintf("%s(axes %v)", op.name, e.axes), []operand{a}, op.f(a.t, e.axes...), want, err,
						reduceTol(op.name, a.ref, groupLen(a.ref.shape, shapeOrNil(want))))
				})
			}
		}
		for _, dt := range s.floats() {
			s.run(t, fmt.Sprintf("%s/%v/specials", op.name, dt), func(c *tc) {
				nan, inf := math.NaN(), math.Inf(1)
				a := c.opnd(refFrom(dt, []float64{
					nan, 1, 2,
					inf, 1, 2,
					-inf, -inf, -inf,
					1, -inf, 2,
					0, math.Copysign(0, -1), 0,
					inf, -1, inf,
				}, sh(6, 3)))
				for _, axes := range [][]int{{1}, {0}, nil} {
					want, err := refReduce(op.name, a.ref, axes)
					c.checkRef(op.name, fmt.Sprintf("%s(axes %v)", op.name, axes), []operand{a}, op.f(a.t, axes...), want, err,
						reduceTol(op.name, a.ref, groupLen(a.ref.shape, shapeOrNil(want))))
				}
			})
		}
	}
}

// shapeOrNil is a's shape, or nil when a is nil (the reference rejected the case).
func shapeOrNil(a *refArray) []int {
	if a == nil {
		return nil
	}
	return a.shape
}

func (s *suite) argReduce(t *testing.T) {
	type argCase struct {
		sc   shapeCase
		axis int
		gen  gen
	}
	c := func(dims ...int) shapeCase { return shapeCase{sh(dims...), contiguous} }
	cases := []argCase{
		{c(3, 4, 5), 0, genSmall}, {c(3, 4, 5), 1, genSmall}, {c(3, 4, 5), 2, genSmall}, {c(3, 4, 5), -1, genSmall},
		{c(3, 4, 5), -3, genSmall}, {c(1), 0, genSmall}, {c(129), 0, genSmall}, {c(33, 65), 1, genSmall},
		{c(0, 3), 1, genSmall}, {c(3, 0), 0, genSmall}, {c(3, 0), 1, genSmall}, {c(), 0, genSmall}, {c(3, 4), 2, genSmall},
		{shapeCase{sh(17, 33), viewT}, 0, genSmall}, {shapeCase{sh(5, 9), viewNegSlice}, -1, genSmall},
		{shapeCase{sh(4, 6), viewExpand}, 0, genSmall},
		// Long lines of values from a wide set, whose extreme may lie anywhere along them
		// (of genSmall's, one of the first few): a device that shares a line among many
		// threads must pass the first extreme on from any of them.
		{c(37, 300), 1, genNonzero}, {c(3, 3000), -1, genNonzero}, {c(300, 37), 0, genNonzero},
	}
	for _, name := range []string{"ArgMax", "ArgMin"} {
		f := map[string]func(*tensor.Tensor, int) *tensor.Tensor{"ArgMax": (*tensor.Tensor).ArgMax, "ArgMin": (*tensor.Tensor).ArgMin}[name]
		rf := map[string]func(*refArray, int) (*refArray, error){"ArgMax": refArgMax, "ArgMin": refArgMin}[name]
		for _, dt := range s.dtypes {
			for i, ac := range cases {
				if dt != refFloat32 && dt != refInt32 && i >= 6 && i != 8 && i != 13 {
					continue
				}
				s.run(t, fmt.Sprintf("%s/%v/%v/axis%d", name, dt, ac.sc, ac.axis), func(c *tc) {
					a := c.input(dt, ac.sc.shape, ac.gen, ac.sc.v)
					want, err := rf(a.ref, ac.axis)
					c.checkRef(name, fmt.Sprintf("%s(%d)", name, ac.axis), []operand{a}, f(a.t, ac.axis), want, err, exact)
				})
			}
		}
		for _, dt := range s.floats() {
			s.run(t, fmt.Sprintf("%s/%v/specials", name, dt), func(c *tc) {
				nan, inf := math.NaN(), math.Inf(1)
				a := c.opnd(refFrom(dt, []float64{
					1, nan, 3, nan,
					2, 2, -inf, inf,
					-inf, -inf, -inf, -inf,
					0, math.Copysign(0, -1), -1, 1,
				}, sh(4, 4)))
				for _, axis := range []int{0, 1} {
					want, err := rf(a.ref, axis)
					c.checkRef(name, fmt.Sprintf("%s(%d)", name, axis), []operand{a}, f(a.t, axis), want, err, exact)
				}
			})
			// A NaN and ties far along long lines: the first of them wins, whichever of the
			// threads that share a line met it.
			s.run(t, fmt.Sprintf("%s/%v/specials-long", name, dt), func(c *tc) {
				n := 2000
				data := make([]float64, 3*n)
				for i := range data {
					data[i] = float64(i%97)/8 - 6 // the maximum of row 0 first at 96, again every 97
				}
				data[n+1234], data[n+1500] = math.NaN(), math.NaN()
				data[2*n+700], data[2*n+1900], data[2*n+1300], data[2*n+1950] = 50, 50, -50, -50
				a := c.opnd(refFrom(dt, data, sh(3, n)))
				for _, axis := range []int{0, 1} {
					want, err := rf(a.ref, axis)
					c.checkRef(name, fmt.Sprintf("%s(%d)", name, axis), []operand{a}, f(a.t, axis), want, err, exact)
				}
			})
		}
	}
}

func (s *suite) softmax(t *testing.T) {
	type smCase struct {
		sc   shapeCase
		axis int
	}
	c := func(dims ...int) shapeCase { return shapeCase{sh(dims...), contiguous} }
	cases := []smCase{
		{c(3, 4, 5), -1}, {c(3, 4, 5), 0}, {c(3, 4, 5), 1}, {c(3, 4, 5), -2},
		{c(1), 0}, {c(0, 3), 0}, {c(7, 129), -1}, {c(129, 7), 0}, {c(5), 1}, {c(), 0},
		{shapeCase{sh(17, 33), viewT}, 0}, {shapeCase{sh(17, 33), viewT}, 1},
		{shapeCase{sh(4, 9), viewSlice}, -1}, {shapeCase{sh(6, 5), viewExpand}, 0},
		// Rows long enough that a device may share each among many threads, one of them
		// longer than a workgroup.
		{c(5, 300), -1}, {c(2, 3, 1100), 2},
	}
	for _, name := range []string{"Softmax", "LogSoftmax"} {
		f := map[string]func(*tensor.Tensor, int) *tensor.Tensor{"Softmax": (*tensor.Tensor).Softmax, "LogSoftmax": (*tensor.Tensor).LogSoftmax}[name]
		rf := map[string]func(*refArray, int) (*refArray, error){"Softmax": refSoftmax, "LogSoftmax": refLogSoftmax}[name]
		for _, dt := range s.dtypes {
			if !dt.isFloat() {
				s.run(t, fmt.Sprintf("%s/%v/error", name, dt), func(c *tc) {
					a := c.input(dt, sh(3, 4), genGeneral, contiguous)
					c.checkErr(name, fmt.Sprintf("%s(%s)", name, a.desc), f(a.t, -1))
				})
				continue
			}
			for i, sm := range cases {
				if dt != refFloat32 && i > 2 && i != 10 {
					continue
				}
				s.run(t, fmt.Sprintf("%s/%v/%v/axis%d", name, dt, sm.sc, sm.axis), func(c *tc) {
					a := c.input(dt, sm.sc.shape, genRange(-8, 8), sm.sc.v)
					want, err := rf(a.ref, sm.axis)
					n := 1
					if err == nil && len(a.ref.shape) > 0 {
						ax, _ := refNormAxis(name, sm.axis, a.ref.rank(), a.ref.shape)
						n = a.ref.shape[ax]
					}
					c.checkRef(name, fmt.Sprintf("%s(%d)", name, sm.axis), []operand{a}, f(a.t, sm.axis), want, err, tolAccum(dt, n, 1))
				})
			}
			s.run(t, fmt.Sprintf("%s/%v/specials", name, dt), func(c *tc) {
				// -Inf entries are masked out; a row of -Inf and a row with NaN give NaN.
				nan, inf := math.NaN(), math.Inf(1)
				a := c.opnd(refFrom(dt, []float64{
					1, -inf, 2, 0,
					-inf, -inf, -inf, -inf,
					1, nan, 2, 3,
					-inf, 3, -inf, -inf,
					100, 0, -100, 99,
				}, sh(5, 4)))
				want, err := rf(a.ref, 1)
				c.checkRef(name, name+"(1)", []operand{a}, f(a.t, 1), want, err, tolAccum(dt, 4, 1))
			})
		}
	}
}

func (s *suite) cumsum(t *testing.T) {
	type csCase struct {
		sc   shapeCase
		axis int
	}
	c := func(dims ...int) shapeCase { return shapeCase{sh(dims...), contiguous} }
	full := []csCase{
		{c(3, 4, 5), 0}, {c(3, 4, 5), 1}, {c(3, 4, 5), -1}, {c(129), 0}, {c(0, 3), 0}, {c(3, 0), 1}, {c(1), 0},
		{c(), 0}, {c(2, 3), 2}, {shapeCase{sh(17, 33), viewT}, 0}, {shapeCase{sh(4, 9), viewNegSlice}, 1},
		{shapeCase{sh(5, 6), viewExpand}, 0},
	}
	few := []csCase{{c(2, 7), -1}, {c(9, 2), 0}, {shapeCase{sh(7, 3), viewFlip}, 0}}
	for _, dt := range s.dtypes {
		cases := few
		if dt == refFloat32 || dt == refInt32 {
			cases = full
		}
		for _, cs := range cases {
			for _, mode := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				ex, rev := mode[0], mode[1]
				s.run(t, fmt.Sprintf("CumSum/%v/%v/axis%d/exclusive=%v/reverse=%v", dt, cs.sc, cs.axis, ex, rev), func(c *tc) {
					a := c.input(dt, cs.sc.shape, genGeneral, cs.sc.v)
					want, err := refCumSum(a.ref, cs.axis, ex, rev)
					n := 1
					if err == nil && len(a.ref.shape) > 0 {
						ax, _ := refNormAxis("CumSum", cs.axis, a.ref.rank(), a.ref.shape)
						n = a.ref.shape[ax]
					}
					c.checkRef("CumSum", fmt.Sprintf("CumSum(%d, %v, %v)", cs.axis, ex, rev), []operand{a},
						a.t.CumSum(cs.axis, ex, rev), want, err, tolAccum(dt, n, maxAbs(a.ref)))
				})
			}
		}
	}
}

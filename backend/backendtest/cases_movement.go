package backendtest

import (
	"fmt"
	"math"
	"testing"

	"github.com/crossbar-compute/crossbar/tensor"
)

// mvCase is a one-input movement case.
type mvCase struct {
	op    string // the bare op name
	label string // the call, for names and messages
	sc    shapeCase
	f     func(x *tensor.Tensor) *tensor.Tensor
	ref   func(x *refArray) (*refArray, error)
	all   bool // run for every dtype, not only Float32
}

func mv(op string, sc shapeCase, all bool, f func(x *tensor.Tensor) *tensor.Tensor, ref func(x *refArray) (*refArray, error), args ...any) mvCase {
	label := op + "("
	for i, a := range args {
		if i > 0 {
			label += ","
		}
		label += fmt.Sprint(a)
	}
	return mvCase{op: op, label: label + ")", sc: sc, f: f, ref: ref, all: all}
}

func reshapeCase(sc shapeCase, all bool, shape ...int) mvCase {
	return mv("Reshape", sc, all, func(x *tensor.Tensor) *tensor.Tensor { return x.Reshape(shape...) },
		func(x *refArray) (*refArray, error) { return refReshape(x, shape...) }, ints2any(shape)...)
}

func permuteCase(sc shapeCase, all bool, axes ...int) mvCase {
	return mv("Permute", sc, all, func(x *tensor.Tensor) *tensor.Tensor { return x.Permute(axes...) },
		func(x *refArray) (*refArray, error) { return refPermute(x, axes...) }, ints2any(axes)...)
}

func transposeCase(sc shapeCase, all bool) mvCase {
	return mv("Transpose", sc, all, (*tensor.Tensor).Transpose,
		func(x *refArray) (*refArray, error) { return refTranspose(x), nil })
}

func expandCase(sc shapeCase, all bool, shape ...int) mvCase {
	return mv("Expand", sc, all, func(x *tensor.Tensor) *tensor.Tensor { return x.Expand(shape...) },
		func(x *refArray) (*refArray, error) { return refExpand(x, shape...) }, ints2any(shape)...)
}

func squeezeCase(sc shapeCase, all bool, axes ...int) mvCase {
	return mv("Squeeze", sc, all, func(x *tensor.Tensor) *tensor.Tensor { return x.Squeeze(axes...) },
		func(x *refArray) (*refArray, error) { return refSqueeze(x, axes...) }, ints2any(axes)...)
}

func unsqueezeCase(sc shapeCase, all bool, axes ...int) mvCase {
	return mv("Unsqueeze", sc, all, func(x *tensor.Tensor) *tensor.Tensor { return x.Unsqueeze(axes...) },
		func(x *refArray) (*refArray, error) { return refUnsqueeze(x, axes...) }, ints2any(axes)...)
}

func flattenCase(sc shapeCase, all bool, axis int) mvCase {
	return mv("Flatten", sc, all, func(x *tensor.Tensor) *tensor.Tensor { return x.Flatten(axis) },
		func(x *refArray) (*refArray, error) { return refFlatten(x, axis) }, axis)
}

func sliceCase(sc shapeCase, all bool, axis, start, stop, step int) mvCase {
	return mv("Slice", sc, all, func(x *tensor.Tensor) *tensor.Tensor { return x.Slice(axis, start, stop, step) },
		func(x *refArray) (*refArray, error) { return refSlice(x, axis, start, stop, step) },
		axis, boundName(start), boundName(stop), step)
}

// boundName prints math.MaxInt and math.MinInt (Python's None) readably.
func boundName(b int) string {
	switch b {
	case math.MaxInt:
		return "MaxInt"
	case math.MinInt:
		return "MinInt"
	}
	return fmt.Sprint(b)
}

func flipCase(sc shapeCase, all bool, axes ...int) mvCase {
	return mv("Flip", sc, all, func(x *tensor.Tensor) *tensor.Tensor { return x.Flip(axes...) },
		func(x *refArray) (*refArray, error) { return refFlip(x, axes...) }, ints2any(axes)...)
}

func tileCase(sc shapeCase, all bool, reps ...int) mvCase {
	return mv("Tile", sc, all, func(x *tensor.Tensor) *tensor.Tensor { return x.Tile(reps...) },
		func(x *refArray) (*refArray, error) { return refTile(x, reps...) }, ints2any(reps)...)
}

func padCase(sc shapeCase, all bool, pads [][2]int, mode tensor.PadMode, value float64) mvCase {
	modeName := map[tensor.PadMode]string{tensor.PadConstant: "constant", tensor.PadReflect: "reflect", tensor.PadEdge: "edge"}[mode]
	return mv("Pad", sc, all, func(x *tensor.Tensor) *tensor.Tensor { return x.Pad(pads, mode, value) },
		func(x *refArray) (*refArray, error) { return refPad(x, pads, int(mode), value) }, pads, modeName, value)
}

func triCase(op string, sc shapeCase, all bool, k int) mvCase {
	f := map[string]func(*tensor.Tensor, int) *tensor.Tensor{"Triu": (*tensor.Tensor).Triu, "Tril": (*tensor.Tensor).Tril}[op]
	rf := map[string]func(*refArray, int) (*refArray, error){"Triu": refTriu, "Tril": refTril}[op]
	return mv(op, sc, all, func(x *tensor.Tensor) *tensor.Tensor { return f(x, k) },
		func(x *refArray) (*refArray, error) { return rf(x, k) }, k)
}

func ints2any(xs []int) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func movementCases() []mvCase {
	c := func(dims ...int) shapeCase { return shapeCase{sh(dims...), contiguous} }
	v := func(vw view, dims ...int) shapeCase { return shapeCase{sh(dims...), vw} }
	var cs []mvCase
	// Reshape, with -1, of contiguous tensors and of views (which need a copy).
	for _, s := range [][]int{{6, -1}, {-1}, {4, -1, 2}, {24}, {2, 12}, {1, 24, 1}, {5, -1}, {-1, -1}, {2, -2}} {
		cs = append(cs, reshapeCase(c(2, 3, 4), len(s) == 2 && s[0] == 6, s...))
	}
	cs = append(cs,
		reshapeCase(c(1), false), reshapeCase(c(), false, 1), reshapeCase(c(), false, -1), reshapeCase(c(), false, 1, 1),
		reshapeCase(c(0, 3), false, -1, 3), reshapeCase(c(0, 3), false, 3, -1), reshapeCase(c(0, 3), false, -1, 0),
		reshapeCase(v(viewT, 4, 6), true, 24), reshapeCase(v(viewT, 4, 6), false, 3, 8), reshapeCase(v(viewT, 4, 6), false, -1, 2),
		reshapeCase(v(viewSlice, 3, 5), true, 15), reshapeCase(v(viewPermute, 3, 4, 5), false, 12, 5),
		reshapeCase(v(viewPermute, 3, 4, 5), false, 60), reshapeCase(v(viewExpand, 4, 3, 7), false, 12, 7),
		reshapeCase(v(viewExpand, 4, 3, 7), false, 84), reshapeCase(v(viewFlip, 6, 5), false, 5, 6),
		reshapeCase(v(viewExpand, 1, 33), false, 3, 11),
	)
	// Permute and Transpose.
	for _, p := range [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}, {-1, 0, 1}, {0, 0, 1}, {0, 1}, {0, 1, 3}} {
		cs = append(cs, permuteCase(c(3, 4, 5), len(p) == 3 && p[0] == 2 && p[1] == 0, p...))
	}
	cs = append(cs,
		permuteCase(c(2, 3, 4, 5), true, 3, 1, 0, 2), permuteCase(c(17, 33), false, 1, 0), permuteCase(c(5), false, 0),
		permuteCase(c(), false), permuteCase(v(viewT, 3, 4, 5), false, 1, 2, 0), permuteCase(c(1, 0, 3), false, 2, 0, 1),
		transposeCase(c(), false), transposeCase(c(5), false), transposeCase(c(3, 17), true), transposeCase(c(2, 3, 4), false),
		transposeCase(c(2, 3, 4, 5), false), transposeCase(c(0, 3), false), transposeCase(c(65, 129), false),
		transposeCase(v(viewSlice, 5, 7), true), transposeCase(v(viewT, 7, 5), false),
	)
	// Expand.
	cs = append(cs,
		expandCase(c(3, 1), true, 2, 3, 4), expandCase(c(), false, 2, 2), expandCase(c(1), false, 0), expandCase(c(1), false, 5),
		expandCase(c(3), false, 2, 3), expandCase(c(2, 1, 3), false, 2, 4, 3), expandCase(c(1, 1), false, 1, 1),
		expandCase(c(3), false, 4), expandCase(c(2, 3), false, 3), expandCase(c(3), false, -1, 3),
		expandCase(v(viewSlice, 1, 4), false, 3, 5, 4), expandCase(v(viewT, 3, 1), false, 2, 3, 6),
	)
	// Squeeze and Unsqueeze.
	cs = append(cs,
		squeezeCase(c(1, 3, 1, 4, 1), true), squeezeCase(c(1, 3, 1, 4, 1), false, 0), squeezeCase(c(1, 3, 1, 4, 1), false, -1),
		squeezeCase(c(1, 3, 1, 4, 1), false, 0, 2), squeezeCase(c(1, 3, 1, 4, 1), false, 2, -1), squeezeCase(c(1), false),
		squeezeCase(c(), false), squeezeCase(c(1, 3), false, 1), squeezeCase(c(1, 3), false, 5), squeezeCase(c(1, 3), false, 0, -2),
		squeezeCase(v(viewT, 3, 1), false, 1),
		unsqueezeCase(c(3, 4), true, 0), unsqueezeCase(c(3, 4), false, -1), unsqueezeCase(c(3, 4), false, 1),
		unsqueezeCase(c(3, 4), false, 0, 3), unsqueezeCase(c(3, 4), false, 1, -1), unsqueezeCase(c(), false, 0),
		unsqueezeCase(c(), false, 0, 1), unsqueezeCase(c(3, 4), false, 3), unsqueezeCase(c(3, 4), false, 0, 0),
		unsqueezeCase(v(viewFlip, 3, 4), false, 1),
	)
	// Flatten.
	for _, ax := range []int{0, 1, 2, 3, -1, -3, 4, -4} {
		cs = append(cs, flattenCase(c(2, 3, 4), ax == 1, ax))
	}
	cs = append(cs, flattenCase(c(), false, 0), flattenCase(v(viewT, 4, 6), false, 1), flattenCase(c(2, 0, 3), false, 2))
	// Slice: negative, clamped, stepped and empty ranges.
	for _, sl := range [][4]int{
		{0, 2, 8, 1}, {0, -3, 100, 1}, {0, -100, 3, 1}, {0, 1, 9, 3}, {0, 8, 1, -2}, {0, -1, -100, -1},
		{0, 5, 5, 1}, {0, 7, 2, 1}, {1, 0, 7, 2}, {-1, 6, -100, -3}, {1, 100, -100, -1}, {1, -100, 100, 100},
		{0, 0, math.MaxInt, 1}, {0, math.MaxInt, math.MinInt, -1}, {0, 3, 3, -1}, {0, 1, 5, 0}, {2, 0, 1, 1}, {-3, 0, 1, 1},
	} {
		all := sl == [4]int{0, 1, 9, 3} || sl == [4]int{1, 100, -100, -1}
		cs = append(cs, sliceCase(c(10, 7), all, sl[0], sl[1], sl[2], sl[3]))
	}
	cs = append(cs,
		sliceCase(c(0, 3), false, 0, 0, 5, 1), sliceCase(c(1, 3), false, 0, -1, 5, 1), sliceCase(c(129), false, 0, 1, 128, 2),
		sliceCase(c(), false, 0, 0, 1, 1),
		sliceCase(v(viewT, 6, 9), false, 1, 1, -1, 2), sliceCase(v(viewSlice, 4, 9), true, 1, -2, 0, -3),
		sliceCase(v(viewExpand, 5, 6), false, 0, 1, 4, 2), sliceCase(v(viewFlip, 8, 3), false, 0, 7, 0, -2),
	)
	// Flip.
	for _, axes := range [][]int{{}, {0}, {-1}, {0, 2}, {1, -1}, {0, -3}, {3}} {
		cs = append(cs, flipCase(c(3, 4, 5), len(axes) == 2 && axes[0] == 0, axes...))
	}
	cs = append(cs, flipCase(c(), false), flipCase(c(0, 3), false, 0), flipCase(c(129), false, 0),
		flipCase(v(viewT, 5, 6), false, 0), flipCase(v(viewSlice, 4, 7), false, 1))
	// Tile.
	for _, reps := range [][]int{{2, 1}, {1, 3}, {2, 2}, {3}, {2, 1, 1}, {0, 2}, {-1, 2}} {
		cs = append(cs, tileCase(c(2, 3), len(reps) == 2 && reps[0] == 2 && reps[1] == 2, reps...))
	}
	cs = append(cs, tileCase(c(), false, 3), tileCase(c(1), false, 5), tileCase(v(viewT, 3, 4), false, 2, 3),
		tileCase(v(viewNegSlice, 2, 5), false, 3, 1))
	// Pad in the three modes.
	p := func(pp ...[2]int) [][2]int { return pp }
	cs = append(cs,
		padCase(c(3, 4), true, p([2]int{1, 2}, [2]int{0, 3}), tensor.PadConstant, 1.5),
		padCase(c(3, 4), true, p([2]int{2, 2}, [2]int{3, 1}), tensor.PadReflect, 0),
		padCase(c(3, 4), true, p([2]int{2, 1}, [2]int{1, 2}), tensor.PadEdge, 0),
		padCase(c(3, 4), false, p([2]int{0, 0}, [2]int{0, 0}), tensor.PadConstant, 0),
		padCase(c(3, 4), false, p([2]int{5, 4}, [2]int{0, 7}), tensor.PadReflect, 0),
		padCase(c(3, 4), false, p([2]int{5, 4}, [2]int{0, 7}), tensor.PadEdge, 0),
		padCase(c(3, 4), false, p([2]int{1, 1}, [2]int{1, 1}), tensor.PadConstant, math.Inf(-1)),
		padCase(c(), false, p(), tensor.PadConstant, 2),
		padCase(c(1), false, p([2]int{2, 2}), tensor.PadReflect, 0),
		padCase(c(0, 3), false, p([2]int{1, 1}, [2]int{0, 0}), tensor.PadConstant, 7),
		padCase(c(0, 3), false, p([2]int{1, 1}, [2]int{0, 0}), tensor.PadEdge, 0),
		padCase(c(2, 3, 4), false, p([2]int{1, 0}, [2]int{0, 2}, [2]int{3, 3}), tensor.PadReflect, 0),
		padCase(c(33), false, p([2]int{17, 65}), tensor.PadConstant, -1),
		padCase(c(3, 4), false, p([2]int{-1, 0}, [2]int{0, 0}), tensor.PadConstant, 0),
		padCase(c(3, 4), false, p([2]int{1, 0}), tensor.PadConstant, 0),
		padCase(v(viewT, 4, 5), false, p([2]int{1, 2}, [2]int{2, 1}), tensor.PadReflect, 0),
		padCase(v(viewSlice, 3, 6), false, p([2]int{1, 0}, [2]int{2, 2}), tensor.PadEdge, 0),
		padCase(v(viewExpand, 4, 5), false, p([2]int{1, 1}, [2]int{1, 1}), tensor.PadConstant, -2),
	)
	// Triu and Tril.
	for _, op := range []string{"Triu", "Tril"} {
		for _, k := range []int{-2, -1, 0, 1, 3, 10} {
			cs = append(cs, triCase(op, c(4, 5), k == 1, k))
		}
		cs = append(cs, triCase(op, c(2, 3, 4), true, 0), triCase(op, c(5, 3), false, 1), triCase(op, c(0, 3), false, 0),
			triCase(op, c(17, 33), false, -3), triCase(op, v(viewT, 6, 7), false, 0), triCase(op, v(viewExpand, 3, 4, 4), false, 1),
			triCase(op, c(5), false, 0))
	}
	return cs
}

func (s *suite) movement(t *testing.T) {
	for _, mc := range movementCases() {
		for _, dt := range s.dtypes {
			if dt != refFloat32 && !mc.all {
				continue
			}
			s.run(t, fmt.Sprintf("%s/%v/%v/%s", mc.op, dt, mc.sc, mc.label), func(c *tc) {
				a := c.input(dt, mc.sc.shape, genGeneral, mc.sc.v)
				want, err := mc.ref(a.ref)
				c.checkRef(mc.op, mc.label, []operand{a}, mc.f(a.t), want, err, exact)
			})
		}
	}
	s.concat(t)
	s.split(t)
	s.gather(t)
}

func (s *suite) concat(t *testing.T) {
	c := func(dims ...int) shapeCase { return shapeCase{sh(dims...), contiguous} }
	v := func(vw view, dims ...int) shapeCase { return shapeCase{sh(dims...), vw} }
	type ccCase struct {
		axis int
		ins  []shapeCase
		all  bool
	}
	cases := []ccCase{
		{0, []shapeCase{c(2, 3), c(4, 3), c(1, 3)}, true},
		{1, []shapeCase{c(2, 3), c(2, 5)}, true},
		{-1, []shapeCase{c(2, 3), c(2, 1), c(2, 7)}, false},
		{0, []shapeCase{c(5)}, false},
		{0, []shapeCase{c(0, 3), c(2, 3), c(0, 3)}, false},
		{1, []shapeCase{c(2, 3, 4), c(2, 1, 4), c(2, 5, 4)}, false},
		{0, []shapeCase{c(65), c(64), c(1)}, false},
		{1, []shapeCase{v(viewT, 3, 4), v(viewSlice, 3, 5), v(viewFlip, 3, 2), v(viewExpand, 3, 6)}, true},
		{0, []shapeCase{c(2, 3), c(2, 4)}, false}, // error: other dimensions differ
		{0, []shapeCase{c(2, 3), c(3)}, false},    // error: ranks differ
		{2, []shapeCase{c(2, 3), c(2, 3)}, false}, // error: axis out of range
		{0, []shapeCase{c(), c()}, false},         // error: rank 0
	}
	for _, cc := range cases {
		for _, dt := range s.dtypes {
			if dt != refFloat32 && !cc.all {
				continue
			}
			name := fmt.Sprintf("Concat/%v/axis%d", dt, cc.axis)
			for _, in := range cc.ins {
				name += fmt.Sprintf("/%v", in)
			}
			s.run(t, name, func(c *tc) {
				ops := make([]operand, len(cc.ins))
				ts := make([]*tensor.Tensor, len(cc.ins))
				rs := make([]*refArray, len(cc.ins))
				for i, in := range cc.ins {
					ops[i] = c.input(dt, in.shape, genGeneral, in.v)
					ts[i], rs[i] = ops[i].t, ops[i].ref
				}
				want, err := refConcat(cc.axis, rs...)
				c.checkRef("Concat", fmt.Sprintf("Concat(%d)", cc.axis), ops, tensor.Concat(cc.axis, ts...), want, err, exact)
			})
		}
	}
	if s.has(refFloat32) && s.has(refFloat64) {
		s.run(t, "Concat/error/dtypes", func(c *tc) {
			a := c.input(refFloat32, sh(2, 3), genGeneral, contiguous)
			b := c.input(refFloat64, sh(2, 3), genGeneral, contiguous)
			c.checkErr("Concat", "Concat(0, "+describe([]operand{a, b})+")", tensor.Concat(0, a.t, b.t))
		})
	}
	s.run(t, "Concat/error/none", func(c *tc) {
		c.checkErr("Concat", "Concat(0) of no tensors", tensor.Concat(0))
	})
}

func (s *suite) split(t *testing.T) {
	c := func(dims ...int) shapeCase { return shapeCase{sh(dims...), contiguous} }
	type spCase struct {
		sc    shapeCase
		axis  int
		sizes []int
		all   bool
	}
	cases := []spCase{
		{c(7, 3), 0, []int{2, 5}, true},
		{c(7, 3), 0, []int{7}, false},
		{c(7, 3), 0, []int{0, 3, 4}, false},
		{c(4, 6), -1, []int{1, 2, 3}, true},
		{c(2, 65, 3), 1, []int{33, 32}, false},
		{shapeCase{sh(6, 5), viewT}, 0, []int{4, 2}, false},
		{c(7, 3), 0, []int{2, 4}, false},  // error: sizes do not sum
		{c(7, 3), 0, []int{-1, 8}, false}, // error: negative size
		{c(7, 3), 2, []int{1, 2}, false},  // error: axis
		{c(7, 3), 0, nil, false},          // no sizes: pieces of size 1 (documented by package tensor)
	}
	for _, sp := range cases {
		for _, dt := range s.dtypes {
			if dt != refFloat32 && !sp.all {
				continue
			}
			s.run(t, fmt.Sprintf("Split/%v/%v/axis%d/sizes%v", dt, sp.sc, sp.axis, sp.sizes), func(c *tc) {
				a := c.input(dt, sp.sc.shape, genGeneral, sp.sc.v)
				sizes := sp.sizes
				if ax, err := refNormAxis("Split", sp.axis, a.ref.rank(), a.ref.shape); err == nil && len(sizes) == 0 {
					// The tensor package documents Split with no sizes as pieces of size 1.
					sizes = make([]int, a.ref.shape[ax])
					for i := range sizes {
						sizes[i] = 1
					}
				}
				want, err := refSplit(a.ref, sp.axis, sizes...)
				got := a.t.Split(sp.axis, sp.sizes...)
				label := fmt.Sprintf("Split(%d, %v)", sp.axis, sp.sizes)
				if err != nil {
					if len(got) == 0 {
						c.Errorf("%s(%s): no tensors returned, want tensors carrying an error (the reference says: %v)", label, a.desc, err)
					}
					for i, g := range got {
						c.checkErr("Split", fmt.Sprintf("%s(%s) piece %d (the reference says: %v)", label, a.desc, i, err), g)
					}
					return
				}
				if len(got) != len(want) {
					c.Errorf("%s(%s): %d pieces, want %d", label, a.desc, len(got), len(want))
					return
				}
				for i := range want {
					c.check(fmt.Sprintf("%s piece %d", label, i), []operand{a}, got[i], want[i], exact)
				}
			})
		}
	}
}

func (s *suite) gather(t *testing.T) {
	c := func(dims ...int) shapeCase { return shapeCase{sh(dims...), contiguous} }
	type gCase struct {
		sc    shapeCase
		axis  int
		idt   refDType
		ishp  []int
		all   bool
		float bool // float indices: an error
	}
	cases := []gCase{
		{c(5, 4, 3), 0, refInt64, sh(2, 3), true, false},
		{c(5, 4, 3), 1, refInt32, sh(), true, false},
		{c(5, 4, 3), -1, refInt64, sh(0), false, false},
		{c(5, 4, 3), 2, refInt32, sh(7), false, false},
		{c(129), 0, refInt64, sh(65), false, false},
		{c(7), 0, refInt32, sh(2, 2, 2), false, false},
		{shapeCase{sh(6, 9), viewT}, 1, refInt64, sh(4), false, false},
		{shapeCase{sh(4, 5), viewExpand}, 0, refInt32, sh(3), false, false},
		{c(5, 4), 2, refInt64, sh(2), false, false},  // error: axis
		{c(5, 4), 0, refFloat32, sh(2), false, true}, // error: float indices
	}
	for _, gc := range cases {
		for _, dt := range s.dtypes {
			if dt != refFloat32 && !gc.all {
				continue
			}
			if !s.has(gc.idt) {
				continue
			}
			s.run(t, fmt.Sprintf("Gather/%v/%v/axis%d/%v%v", dt, gc.sc, gc.axis, gc.idt, gc.ishp), func(c *tc) {
				a := c.input(dt, gc.sc.shape, genGeneral, gc.sc.v)
				n := 1
				if ax, err := refNormAxis("Gather", gc.axis, a.ref.rank(), a.ref.shape); err == nil {
					n = a.ref.shape[ax]
				}
				// Indices in [-n, n): negative ones wrap.
				idx := c.opnd(c.randRef(gc.idt, gc.ishp, func(r *randT, _ refDType) float64 { return intIn(r, -n, n-1) }))
				want, err := refGather(a.ref, gc.axis, idx.ref)
				c.checkRef("Gather", fmt.Sprintf("Gather(%d)", gc.axis), []operand{a, idx}, a.t.Gather(gc.axis, idx.t), want, err, exact)
			})
		}
	}
}

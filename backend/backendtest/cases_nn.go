package backendtest

import (
	"fmt"
	"math"
	"testing"

	"github.com/crossbar-compute/crossbar/tensor"
)

func (s *suite) nn(t *testing.T) {
	s.layerNorm(t)
	s.conv(t)
	s.pool(t)
}

func (s *suite) layerNorm(t *testing.T) {
	c := func(dims ...int) shapeCase { return shapeCase{sh(dims...), contiguous} }
	type lnCase struct {
		x          shapeCase
		axis       int
		scale      []int
		bias       []int // nil: no bias
		eps        float64
		scaleError bool
	}
	cases := []lnCase{
		{c(2, 3, 4), -1, sh(4), sh(4), 1e-5, false},
		{c(2, 3, 4), 1, sh(3, 4), nil, 1e-5, false},
		{c(2, 3, 4), 0, sh(2, 3, 4), sh(3, 4), 1e-3, false},
		{c(2, 3, 4), -2, sh(1, 4), sh(3, 1), 0, false},
		{c(5, 129), -1, sh(129), sh(129), 1e-5, false},
		{c(7, 1), 1, sh(1), sh(1), 1e-5, false},
		{c(4, 65), 1, sh(), nil, 1e-6, false},
		{shapeCase{sh(6, 17), viewT}, -1, sh(17), sh(17), 1e-5, false},
		{shapeCase{sh(3, 4, 9), viewSlice}, 2, sh(9), nil, 1e-5, false},
		{c(5, 300), -1, sh(300), sh(300), 1e-5, false},
		{c(2, 4, 300), 1, sh(4, 300), nil, 1e-5, false},
		{c(2, 3, 1100), -1, sh(1100), sh(1100), 1e-5, false},
		{c(2, 3, 4), 3, sh(4), nil, 1e-5, false},     // error: axis
		{c(2, 3, 4), -1, sh(5), sh(4), 1e-5, false},  // error: scale shape
		{c(2, 3, 4), -1, sh(2, 4), nil, 1e-5, false}, // error: scale does not broadcast to [4]
	}
	for _, dt := range s.floats() {
		for i, lc := range cases {
			if dt != refFloat32 && dt != refFloat64 && i > 1 && i != 7 {
				continue
			}
			biasName := "nobias"
			if lc.bias != nil {
				biasName = fmt.Sprintf("bias%v", lc.bias)
			}
			s.run(t, fmt.Sprintf("LayerNorm/%v/%v/axis%d/scale%v/%s", dt, lc.x, lc.axis, lc.scale, biasName), func(c *tc) {
				x := c.input(dt, lc.x.shape, genGeneral, lc.x.v)
				sc := c.input(dt, lc.scale, genRange(0.5, 2), contiguous)
				ins := []operand{x, sc}
				var bt *tensor.Tensor
				var br *refArray
				if lc.bias != nil {
					b := c.input(dt, lc.bias, genGeneral, contiguous)
					ins = append(ins, b)
					bt, br = b.t, b.ref
				}
				want, err := refLayerNorm(x.ref, lc.axis, sc.ref, br, lc.eps)
				n := 1
				if err == nil {
					ax, _ := refNormAxis("LayerNorm", lc.axis, x.ref.rank(), x.ref.shape)
					n = refNumel(x.ref.shape[ax:])
				}
				tl := tolAccum(dt, n, 4)
				if dt == refFloat16 || dt == refBFloat16 {
					tl.atol *= 4 // (x - mean) / std loses the narrow type's digits
				}
				c.checkRef("LayerNorm", fmt.Sprintf("LayerNorm(%d, eps %g)", lc.axis, lc.eps), ins,
					x.t.LayerNorm(lc.axis, sc.t, bt, lc.eps), want, err, tl)
			})
		}
	}
	for _, dt := range s.ints() {
		s.run(t, fmt.Sprintf("LayerNorm/%v/error", dt), func(c *tc) {
			x := c.input(dt, sh(2, 3), genGeneral, contiguous)
			sc := c.input(dt, sh(3), genGeneral, contiguous)
			c.checkErr("LayerNorm", "LayerNorm("+describe([]operand{x, sc})+")", x.t.LayerNorm(-1, sc.t, nil, 1e-5))
		})
	}
}

// convCase is a convolution: input and weight shapes with the ONNX attributes.
type convCase struct {
	x, w               shapeCase
	strides, dil, pads []int
	groups             int
	full               bool
}

func (s *suite) conv(t *testing.T) {
	c := func(dims ...int) shapeCase { return shapeCase{sh(dims...), contiguous} }
	cases := []convCase{
		// 1-D
		{x: c(2, 3, 9), w: c(4, 3, 3), full: true},
		{x: c(2, 4, 9), w: c(6, 2, 3), strides: []int{2}, dil: []int{2}, pads: []int{1, 2}, groups: 2, full: true},
		{x: c(1, 1, 17), w: c(1, 1, 17)},
		{x: c(1, 2, 5), w: c(3, 2, 1), pads: []int{0, 3}},
		// 2-D
		{x: c(1, 3, 7, 8), w: c(4, 3, 3, 2), strides: []int{2, 1}, dil: []int{1, 2}, pads: []int{1, 0, 1, 1}, full: true},
		{x: c(2, 4, 6, 6), w: c(4, 1, 3, 3), pads: []int{1, 1, 1, 1}, groups: 4}, // depthwise
		{x: c(1, 6, 5, 5), w: c(9, 2, 2, 2), strides: []int{2, 2}, groups: 3},
		{x: c(2, 3, 5, 4), w: c(5, 3, 1, 1)}, // 1x1
		{x: c(1, 8, 17, 9), w: c(16, 8, 3, 3), pads: []int{1, 1, 1, 1}},
		{x: c(1, 1, 4, 4), w: c(1, 1, 5, 5), pads: []int{1, 1, 0, 0}}, // kernel as large as the padded input
		{x: c(1, 1, 4, 4), w: c(1, 1, 5, 5)},                          // error: kernel larger than the input
		// 3-D
		{x: c(1, 2, 5, 4, 3), w: c(2, 2, 2, 2, 2), full: true},
		{x: c(1, 2, 6, 5, 4), w: c(4, 1, 3, 2, 2), strides: []int{2, 1, 2}, dil: []int{1, 2, 1}, pads: []int{1, 0, 1, 0, 1, 1}, groups: 2},
		// views
		{x: shapeCase{sh(1, 3, 6, 7), viewFlip}, w: shapeCase{sh(2, 3, 3, 3), viewPermute}, pads: []int{1, 1, 1, 1}},
		{x: shapeCase{sh(2, 3, 9), viewSlice}, w: c(4, 3, 2), strides: []int{3}},
		// errors
		{x: c(1, 3, 7), w: c(4, 2, 3)},                       // channels
		{x: c(1, 4, 7), w: c(3, 2, 3), groups: 2},            // groups do not divide the output channels
		{x: c(1, 3, 7), w: c(4, 3, 3), strides: []int{1, 1}}, // strides length
		{x: c(3, 7), w: c(4, 3)},                             // rank
	}
	for _, dt := range s.floats() {
		for _, cc := range cases {
			if dt != refFloat32 && dt != refFloat64 && !cc.full {
				continue
			}
			name := fmt.Sprintf("Conv/%v/%vx%v", dt, cc.x, cc.w)
			if cc.strides != nil {
				name += fmt.Sprintf("/strides%v", cc.strides)
			}
			if cc.dil != nil {
				name += fmt.Sprintf("/dilations%v", cc.dil)
			}
			if cc.pads != nil {
				name += fmt.Sprintf("/pads%v", cc.pads)
			}
			if cc.groups > 1 {
				name += fmt.Sprintf("/groups%d", cc.groups)
			}
			s.run(t, name, func(c *tc) {
				x := c.input(dt, cc.x.shape, genMatmul, cc.x.v)
				w := c.input(dt, cc.w.shape, genMatmul, cc.w.v)
				want, err := refConv(x.ref, w.ref, cc.strides, cc.dil, cc.pads, cc.groups)
				n := 1
				if w.ref.rank() > 1 {
					n = refNumel(w.ref.shape[1:])
				}
				got := x.t.Conv(w.t, tensor.ConvOptions{Strides: cc.strides, Dilations: cc.dil, Pads: cc.pads, Groups: cc.groups})
				c.checkRef("Conv", fmt.Sprintf("Conv(strides %v, dilations %v, pads %v, groups %d)", cc.strides, cc.dil, cc.pads, cc.groups),
					[]operand{x, w}, got, want, err, tolAccum(dt, n, 1))
			})
		}
	}
	if s.has(refInt32) {
		s.run(t, "Conv/int32/error", func(c *tc) {
			x := c.input(refInt32, sh(1, 1, 5), genMatmul, contiguous)
			w := c.input(refInt32, sh(1, 1, 2), genMatmul, contiguous)
			c.checkErr("Conv", "Conv("+describe([]operand{x, w})+")", x.t.Conv(w.t, tensor.ConvOptions{}))
		})
	}
}

type poolCase struct {
	x                          shapeCase
	kernel, strides, dil, pads []int
	ceil, countPad             bool
	full                       bool
}

func (p poolCase) name() string {
	n := fmt.Sprintf("%v/kernel%v", p.x, p.kernel)
	if p.strides != nil {
		n += fmt.Sprintf("/strides%v", p.strides)
	}
	if p.dil != nil {
		n += fmt.Sprintf("/dilations%v", p.dil)
	}
	if p.pads != nil {
		n += fmt.Sprintf("/pads%v", p.pads)
	}
	if p.ceil {
		n += "/ceil"
	}
	if p.countPad {
		n += "/countpad"
	}
	return n
}

func (s *suite) pool(t *testing.T) {
	c := func(dims ...int) shapeCase { return shapeCase{sh(dims...), contiguous} }
	cases := []poolCase{
		{x: c(1, 2, 7, 8), kernel: []int{3, 3}, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, full: true},
		{x: c(1, 2, 7, 8), kernel: []int{3, 3}, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, countPad: true, full: true},
		{x: c(1, 2, 7, 8), kernel: []int{3, 2}, strides: []int{2, 3}, ceil: true, full: true},
		{x: c(1, 2, 7, 8), kernel: []int{3, 2}, strides: []int{2, 3}, pads: []int{1, 0, 1, 1}, ceil: true, countPad: true},
		{x: c(1, 2, 7, 8), kernel: []int{2, 2}},
		{x: c(2, 3, 9), kernel: []int{3}, strides: []int{2}, pads: []int{1, 1}},
		{x: c(2, 3, 9), kernel: []int{4}, strides: []int{3}, ceil: true},
		{x: c(1, 1, 5, 4, 6), kernel: []int{2, 2, 3}, strides: []int{2, 1, 2}, pads: []int{0, 1, 1, 1, 0, 1}},
		{x: c(1, 2, 9, 9), kernel: []int{3, 3}, strides: []int{1, 1}, dil: []int{2, 1}, pads: []int{2, 1, 2, 1}, full: true},
		{x: c(1, 1, 17, 33), kernel: []int{5, 5}, strides: []int{4, 4}, pads: []int{2, 2, 2, 2}, ceil: true},
		{x: c(1, 1, 1, 1), kernel: []int{1, 1}},
		{x: shapeCase{sh(1, 2, 8, 7), viewT}, kernel: []int{2, 3}, strides: []int{2, 2}},
		{x: shapeCase{sh(2, 2, 6, 5), viewFlip}, kernel: []int{3, 3}, pads: []int{1, 1, 1, 1}, countPad: true},
		{x: c(1, 2, 3, 3), kernel: []int{5, 5}},                       // error: window larger than the input
		{x: c(1, 2, 7, 8), kernel: []int{3}},                          // error: kernel rank
		{x: c(1, 2, 7, 8), kernel: []int{2, 2}, strides: []int{0, 1}}, // error: stride 0
	}
	for _, name := range []string{"MaxPool", "AvgPool"} {
		for _, dt := range s.floats() {
			for _, pc := range cases {
				if dt != refFloat32 && dt != refFloat64 && !pc.full {
					continue
				}
				if name == "MaxPool" && pc.countPad {
					continue // count_include_pad means nothing to MaxPool
				}
				s.run(t, fmt.Sprintf("%s/%v/%s", name, dt, pc.name()), func(c *tc) {
					x := c.input(dt, pc.x.shape, genGeneral, pc.x.v)
					o := tensor.PoolOptions{Kernel: pc.kernel, Strides: pc.strides, Dilations: pc.dil, Pads: pc.pads, CeilMode: pc.ceil, CountIncludePad: pc.countPad}
					var want *refArray
					var err error
					var got *tensor.Tensor
					if name == "MaxPool" {
						want, err = refMaxPool(x.ref, pc.kernel, pc.strides, pc.dil, pc.pads, pc.ceil)
						got = x.t.MaxPool(o)
					} else {
						want, err = refAvgPoolDilated(x.ref, pc.kernel, pc.strides, pc.dil, pc.pads, pc.ceil, pc.countPad)
						got = x.t.AvgPool(o)
					}
					tl := exact
					if name == "AvgPool" {
						tl = tolAccum(dt, refNumel(pc.kernel), 4)
					}
					c.checkRef(name, fmt.Sprintf("%s(%+v)", name, o), []operand{x}, got, want, err, tl)
				})
			}
			s.run(t, fmt.Sprintf("%s/%v/specials", name, dt), func(c *tc) {
				nan, inf := math.NaN(), math.Inf(1)
				x := c.opnd(refFrom(dt, []float64{
					1, nan, 2, 3,
					4, 5, 6, 7,
					-inf, -inf, 1, inf,
					-inf, -inf, 0, -1,
				}, sh(1, 1, 4, 4)))
				o := tensor.PoolOptions{Kernel: []int{2, 2}, Strides: []int{2, 2}}
				var want *refArray
				var got *tensor.Tensor
				if name == "MaxPool" {
					want, _ = refMaxPool(x.ref, o.Kernel, o.Strides, nil, nil, false)
					got = x.t.MaxPool(o)
				} else {
					want, _ = refAvgPool(x.ref, o.Kernel, o.Strides, nil, false, false)
					got = x.t.AvgPool(o)
				}
				c.check(name, []operand{x}, got, want, tolAccum(dt, 4, 4))
			})
		}
	}
}

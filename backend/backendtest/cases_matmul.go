package backendtest

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// genMatmul: floats in [-1, 1], integers in [-10, 10] (Uint8 [0, 10]) so that integer sums
// stay small and exact.
func genMatmul(r *rand.Rand, dt refDType) float64 {
	switch dt {
	case refBool:
		return float64(r.IntN(2))
	case refUint8:
		return intIn(r, 0, 10)
	case refInt32, refInt64:
		return intIn(r, -10, 10)
	}
	return uniform(r, -1, 1)
}

func (s *suite) matmul(t *testing.T) {
	c := func(dims ...int) shapeCase { return shapeCase{sh(dims...), contiguous} }
	type mmCase struct{ a, b shapeCase }
	cases := []mmCase{
		{c(3), c(3)},                             // dot: rank 0
		{c(5), c(5, 4)},                          // row promotion
		{c(2, 5), c(5)},                          // column promotion
		{c(1, 1), c(1, 1)},                       // 1x1x1
		{c(1), c(1)},                             // 1-D 1x1x1
		{c(3, 7), c(7, 4)},                       //
		{c(17, 33), c(33, 65)},                   // odd sizes around tiles
		{c(65, 1), c(1, 129)},                    // K = 1
		{c(1, 129), c(129, 1)},                   // M = N = 1
		{c(7, 17), c(17, 1)},                     //
		{c(128, 96), c(96, 160)},                 // several tiles
		{c(2, 1, 3, 4), c(5, 4, 2)},              // batch broadcasting
		{c(4), c(2, 4, 3)},                       // 1-D with batch
		{c(2, 3, 4), c(4)},                       // batch with 1-D
		{c(3, 4, 5), c(3, 5, 2)},                 // plain batch
		{c(1, 3, 4), c(6, 4, 2)},                 // size-1 batch
		{c(0, 3), c(3, 4)},                       // M = 0
		{c(3, 0), c(0, 4)},                       // K = 0: zeros
		{c(2, 0, 3), c(3, 5)},                    // empty batch result
		{c(3, 4), c(5, 6)},                       // error: inner dimensions
		{c(2, 3, 4), c(3, 4, 2)},                 // error: batch
		{c(), c(3)},                              // error: scalar
		{shapeCase{sh(17, 33), viewT}, c(33, 9)}, // transposed A
		{c(9, 33), shapeCase{sh(33, 17), viewT}}, // transposed B
		{shapeCase{sh(8, 9), viewSlice}, shapeCase{sh(9, 5), viewFlip}},           // strided A, flipped B
		{shapeCase{sh(3, 6, 7), viewExpand}, shapeCase{sh(3, 7, 5), viewPermute}}, // expanded batch
		{shapeCase{sh(65, 33), viewT}, shapeCase{sh(33, 65), viewT}},
		// Aligned rows of 8 elements: tensor-core tiles for Float16 and BFloat16, each
		// operand in either orientation, with partial tiles at every edge.
		{c(2, 72, 48), c(2, 48, 40)},
		{shapeCase{sh(64, 48), viewT}, shapeCase{sh(48, 136), viewT}},
		// Rows that are not aligned, strided and transposed operands: tensor-core tiles read
		// element by element.
		{c(2, 33, 21), c(2, 21, 19)},
		{shapeCase{sh(33, 21), viewSlice}, shapeCase{sh(21, 19), viewT}},
		{shapeCase{sh(33, 24), viewSlice}, c(24, 40)}, // one operand each way
		// Few outputs over a long K: a reduction along K per block of outputs.
		{c(5, 4100), c(4100, 3)},
		{c(2, 3, 8192), shapeCase{sh(2, 8192, 9), viewSlice}},
		{shapeCase{sh(40, 4200), viewT}, c(4200, 10)}, // A contiguous along M
		// Long enough along K for a pipeline of tiles to go round its stages more than
		// once: both operands K-major; both M- and N-major, with partial tiles at every edge.
		{c(72, 320), shapeCase{sh(320, 264), viewT}},
		{shapeCase{sh(72, 264), viewT}, c(264, 200)},
	}
	narrow := map[int]bool{10: true, 11: true, 22: true, 27: true, 28: true, 29: true, 30: true, 31: true, 32: true, 33: true,
		34: true, 35: true, 36: true} // Float16, BFloat16, Uint8 beyond the first 8
	for _, dt := range s.only(refFloat32, refFloat64, refInt32, refInt64, refFloat16, refBFloat16, refUint8) {
		for i, mc := range cases {
			full := dt == refFloat32 || dt == refFloat64 || dt == refInt32 || dt == refInt64
			if !full && i > 7 && !narrow[i] {
				continue
			}
			if !full && i == 6 {
				continue // keeps the long sums of the narrow types out
			}
			s.run(t, fmt.Sprintf("%v/%vx%v", dt, mc.a, mc.b), func(c *tc) {
				a := c.input(dt, mc.a.shape, genMatmul, mc.a.v)
				b := c.input(dt, mc.b.shape, genMatmul, mc.b.v)
				want, err := refMatMul(a.ref, b.ref)
				k := 1
				if len(a.ref.shape) > 0 {
					k = a.ref.shape[len(a.ref.shape)-1]
				}
				c.checkRef("MatMul", "MatMul", []operand{a, b}, a.t.MatMul(b.t), want, err, tolAccum(dt, k, 1))
			})
		}
	}
	// Mixed dtypes are an error.
	if s.has(refFloat32) && s.has(refFloat64) {
		s.run(t, "error/dtypes", func(c *tc) {
			a := c.input(refFloat32, sh(2, 3), genMatmul, contiguous)
			b := c.input(refFloat64, sh(3, 2), genMatmul, contiguous)
			c.checkErr("MatMul", "MatMul("+describe([]operand{a, b})+")", a.t.MatMul(b.t))
		})
	}
}

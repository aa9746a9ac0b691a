package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/crossbar-compute/crossbar/internal/half"
)

// bf16Bits are the bits of x rounded to bfloat16.
var bf16Bits = half.BFloat16From

// pairOf is the packed pair (lo, hi): lo's bits in the low half.
func pairOf(lo, hi uint16) float32 { return math.Float32frombits(uint32(lo) | uint32(hi)<<16) }

// TestPairDot pins the reference to what VDPBF16PS does (Intel's description, and measured
// on Zen 5): the high products first, each sum rounded, subnormal inputs and sums zero.
func TestPairDot(t *testing.T) {
	one := bf16Bits(1)
	tiny := bf16Bits(0x1p-12)
	for _, c := range []struct {
		name       string
		acc        float32
		x, y, want float32
	}{
		// 1 + 2^-24 rounds to 1, twice; one rounding of both would give 1 + 2^-23.
		{"two roundings", 1, pairOf(tiny, tiny), pairOf(tiny, tiny), 1},
		// The high product (2^-24) first: 1 + 2^-24 = 1, then 1 - 1 = 0 (the other way
		// round, 2^-24).
		{"high first", 1, pairOf(one, bf16Bits(0x1p-24)), pairOf(bf16Bits(-1), one), 0},
		{"subnormal input", 0, pairOf(uint16(math.Float32bits(0x1p-130)>>16), 0), pairOf(bf16Bits(0x1p100), 0), 0},
		{"subnormal sum", 0, pairOf(bf16Bits(0x1p-70), 0), pairOf(bf16Bits(0x1p-70), 0), 0},
		{"negative subnormal sum", 0, pairOf(bf16Bits(-0x1p-70), 0), pairOf(bf16Bits(0x1p-70), 0), float32(math.Copysign(0, -1))},
		// The high product's subnormal sum is flushed before the low product is added.
		{"subnormal first sum", 0, pairOf(bf16Bits(0x1p-63), bf16Bits(0x1p-70)), pairOf(bf16Bits(0x1p-63), bf16Bits(0x1p-70)), 0x1p-126},
		// A subnormal product is not flushed itself: added to a normal sum, it counts.
		{"subnormal product", 0x1p-126 * 1.5, pairOf(0, bf16Bits(-0x1p-64)), pairOf(0, bf16Bits(0x1p-63)), 0x1p-126},
		{"plain", 0.5, pairOf(bf16Bits(3), bf16Bits(-2)), pairOf(bf16Bits(0.25), bf16Bits(4)), 0.5 + 0.75 - 8},
		{"infinity", 0, pairOf(bf16Bits(float32(math.Inf(1))), one), pairOf(one, one), float32(math.Inf(1))},
	} {
		got := pairDot(c.acc, c.x, c.y)
		if math.Float32bits(got) != math.Float32bits(c.want) {
			t.Errorf("%s: pairDot(%v, %#x, %#x) = %v, want %v", c.name, c.acc, math.Float32bits(c.x), math.Float32bits(c.y), got, c.want)
		}
	}
	if got := pairDot(0, pairOf(0, one), pairOf(one, 0)); got != 0 || math.IsNaN(float64(got)) {
		t.Errorf("cross products: %v, want 0", got)
	}
	inf := bf16Bits(float32(math.Inf(1)))
	if got := pairDot(0, pairOf(inf, 0), pairOf(0, 0)); !math.IsNaN(float64(got)) {
		t.Errorf("∞·0 = %v, want NaN", got)
	}
}

// randPairs returns n packed pairs of bfloat16 values in [-1, 1), every 16th of them with a
// subnormal, zero or large value in one half.
func randPairs(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	specials := []float32{0x1p-130, -0x1p-128, 0, float32(math.Copysign(0, -1)), 0x1p40, -3e38}
	for i := range s {
		lo, hi := bf16Bits(float32(r.Float64()*2-1)), bf16Bits(float32(r.Float64()*2-1))
		if i%16 == 5 {
			v := specials[r.IntN(len(specials))]
			lo = uint16(math.Float32bits(v) >> 16) // truncated: a subnormal stays one
		}
		s[i] = pairOf(lo, hi)
	}
	return s
}

func pairLevels() []*level {
	var ls []*level
	for _, lv := range available {
		if lv.b.fn != nil {
			ls = append(ls, lv)
		}
	}
	return ls
}

// TestMicroKernelsPairs checks each bfloat16 micro-kernel (and its variant reading A's rows
// where they lie) against gemmMicroPairsGo, bit for bit, with misaligned panels and NaN
// guards around every row of the tile.
func TestMicroKernelsPairs(t *testing.T) {
	ls := pairLevels()
	if len(ls) == 0 {
		t.Skip("no kernel level of this CPU multiplies bfloat16 pairs (AVX512_BF16)")
	}
	for _, lv := range ls {
		for _, mk := range pairKernelsOf(lv) {
			t.Run(fmt.Sprintf("%s/%dx%d", lv.name, mk.mr, mk.nr), func(t *testing.T) {
				r := rand.New(rand.NewPCG(3, uint64(mk.mr)))
				nan := float32(math.NaN())
				for _, k := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 17, 64, 129} {
					for _, beta := range []float32{0, 1, -0.5} {
						for off := range 3 {
							ldc := mk.nr + off*5
							a := randPairs(r, off+mk.mr*k)[off:]
							b := randPairs(r, off+mk.nr*k)[off:]
							c := make([]float32, off+(mk.mr-1)*ldc+mk.nr+8)
							for o := range c {
								c[o] = nan
								if x := o - off; x >= 0 && x < mk.mr*ldc && x%ldc < mk.nr && beta != 0 {
									c[o] = float32(r.Float64()*2 - 1)
								}
							}
							want := slices.Clone(c)
							gemmMicroPairsGo(mk.mr, mk.nr, k, a, b, want[off:], ldc, beta)
							c0 := slices.Clone(c)
							mk.fn(k, a, b, c[off:], ldc, beta)
							if o, ok := sameBits(c, want); !ok {
								t.Fatalf("k=%d beta=%v off=%d: element %d is %v, want %v", k, beta, off, o, c[o], want[o])
							}
							if mk.rowA != nil {
								// The panel of A as rows lda apart, NaN between them.
								lda := k + off + 1
								ra := make([]float32, off+(mk.mr-1)*lda+k+3)
								for o := range ra {
									ra[o] = nan
								}
								for i := range mk.mr {
									for p := range k {
										ra[off+i*lda+p] = a[p*mk.mr+i]
									}
								}
								mk.rowA(k, ra[off:], lda, b, c0[off:], ldc, beta)
								if o, ok := sameBits(c0, want); !ok {
									t.Fatalf("rowA k=%d beta=%v off=%d: element %d is %v, want %v", k, beta, off, o, c0[o], want[o])
								}
							}
						}
					}
				}
			})
		}
	}
}

// halfMatrix lays out rows×cols bfloat16 values (random, in [-1, 1)) like guardedMatrix, the
// guards NaN.
func halfMatrix(r *rand.Rand, rows, cols int, l layout, off int) *HalfMatrix {
	return halfOf(guardedMatrix[float32](r, rows, cols, l, off, true), true)
}

// evenRows is the 16-bit tests' own layout (evenHalf): rows stored an even number of elements
// apart from an even offset, whose pairs can be read as 32-bit words (pairWords); for B, its
// columns stored so.
const evenRows layout = -1

// evenHalf lays out rows×cols bfloat16 values (random, in [-1, 1)) by rows, an even number
// of elements apart from an even offset, guards NaN.
func evenHalf(r *rand.Rand, rows, cols int) *HalfMatrix {
	rs := cols + cols%2 + 2
	h := &HalfMatrix{Data: make([]uint16, 2+rows*rs+4), Offset: 2, RowStride: rs, ColStride: 1, BF16: true}
	for o := range h.Data {
		h.Data[o] = 0x7fc1 // NaN
	}
	for i := range rows {
		for j := range cols {
			h.Data[h.index(i, j)] = bf16Bits(float32(r.Float64()*2 - 1))
		}
	}
	return h
}

// TestPackPairs checks packPairs against its definition, for every layout, blocks at odd
// places, odd depths and partial micro-panels, into a destination full of garbage.
func TestPackPairs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, l := range []layout{rowMajor, colMajor, strided, flipped, evenRows} {
		for _, c := range []struct{ rows, cols, i0, mc, t0, kp, w int }{
			{1, 1, 0, 1, 0, 1, 4},
			{20, 9, 0, 20, 0, 5, 14},
			{20, 9, 3, 15, 1, 4, 14},
			{20, 10, 3, 17, 2, 3, 16},
			{40, 33, 1, 39, 3, 14, 28},
			{7, 64, 0, 7, 0, 32, 32},
			{20, 9, 3, 15, 2, 6, 14}, // pairs past the last column
		} {
			var x *HalfMatrix
			if l == evenRows {
				x = evenHalf(r, c.rows, c.cols)
			} else {
				x = halfMatrix(r, c.rows, c.cols, l, 3)
			}
			panels := (c.mc + c.w - 1) / c.w
			dst := make([]float32, panels*c.w*c.kp)
			for i := range dst {
				dst[i] = math.Float32frombits(0x7fc0dead)
			}
			packPairs(dst, *x, c.i0, c.mc, c.t0, c.kp, c.cols, c.w)
			at := func(i, p int) uint32 {
				if i >= c.mc || p >= c.cols {
					return 0
				}
				return uint32(x.Data[x.index(c.i0+i, p)])
			}
			for q := range panels {
				for tt := range c.kp {
					for i := range c.w {
						p := 2 * (c.t0 + tt)
						want := at(q*c.w+i, p) | at(q*c.w+i, p+1)<<16
						if got := math.Float32bits(dst[q*c.w*c.kp+tt*c.w+i]); got != want {
							t.Fatalf("%v %+v: panel %d pair %d row %d is %#x, want %#x", l, c, q, tt, i, got, want)
						}
					}
				}
			}
		}
	}
}

// pairsProduct is what GemmMixed computes for two bfloat16 operands multiplied in pairs with
// the blocking prm: each element the pairs' sums over each block of k (kBlocking) in order,
// the first block's added to beta·C, each later one to the running C; then epi.
func pairsProduct(m, n, k int, a, b *HalfMatrix, beta float32, c Matrix[float32], prm GemmParams, epi Epilogue[float32]) {
	kp := (k + 1) / 2
	kc, nkb := kBlocking(kp, prm.KC)
	elem := func(x *HalfMatrix, i, j int) uint16 {
		if j >= k {
			return 0
		}
		return x.Data[x.index(i, j)]
	}
	for i := range m {
		for j := range n {
			o := c.index(i, j)
			var v float32
			for blk := range nkb {
				var s float32
				for t := blk * kc; t < min(kp, (blk+1)*kc); t++ {
					s = pairDot(s, pairOf(elem(a, i, 2*t), elem(a, i, 2*t+1)), pairOf(elem(b.t(), j, 2*t), elem(b.t(), j, 2*t+1)))
				}
				switch {
				case blk > 0:
					v = fma32(1, v, s)
				case beta != 0:
					v = fma32(beta, c.Data[o], s)
				default:
					v = s
				}
			}
			c.Data[o] = v
		}
	}
	if epi != nil {
		epi(0, 0, m, n, c.Data, c.Offset, c.RowStride, c.ColStride)
	}
}

// TestGemmPairs checks GemmMixed on two bfloat16 operands multiplied in pairs, in every
// layout, with blockings that cut k, the rows and the columns into many blocks and partial
// micro-panels, odd depths, both micro-kernels and two or three threads (each computing its
// own columns, or sharing panels of B), against pairsProduct bit for bit (nothing outside C
// written), and against the float64 product within float32's error.
func TestGemmPairs(t *testing.T) {
	ls := pairLevels()
	if len(ls) == 0 {
		t.Skip("no kernel level of this CPU multiplies bfloat16 pairs (AVX512_BF16)")
	}
	// Products this small would run on one thread: every worker gets work here.
	defer func(w int) { minGemmWorkPerThread = w }(minGemmWorkPerThread)
	minGemmWorkPerThread = 16 * 16 * 16
	epi := doubleAddRow
	// With evenRows, the kernels read A's rows where C has few columns, and Bᵀ's rows where
	// a product with few rows is turned around.
	layouts := []layout{rowMajor, colMajor, strided, flipped, evenRows}
	defer func(w int) { turnedMinWeight = w }(turnedMinWeight)
	turnedMinWeight = 1
	for _, lv := range ls {
		r := rand.New(rand.NewPCG(12, 13))
		cnt := 0
		shapes := [][3]int{{5, 6, 1}, {15, 33, 3}, {29, 17, 20}, {70, 50, 9}, {30, 110, 71}, {13, 45, 600}, {100, 64, 257}, {60, 90, 40}, {200, 40, 50}}
		if raceEnabled {
			shapes = [][3]int{{15, 33, 3}, {29, 17, 20}, {60, 90, 40}}
		}
		for _, sh := range shapes {
			m, n, k := sh[0], sh[1], sh[2]
			for _, la := range layouts {
				for _, lb := range layouts {
					cnt++
					lc := layouts[cnt/3%2]
					beta := float32(0)
					if cnt%3 == 0 {
						beta = 0.5
					}
					prm := GemmParams{Level: lv.name}
					var e Epilogue[float32]
					if cnt%4 < 2 {
						// Three workers share panels of B̃ where the columns do not split
						// evenly.
						prm = GemmParams{Level: lv.name, MC: 28, KC: 8, NC: 64, Threads: 2 + cnt%2}
						e = epi
					}
					if cnt%5 == 0 {
						prm.MR, prm.NR = 28, 16
					}
					name := fmt.Sprintf("%s %dx%dx%d A:%v B:%v C:%v beta=%v params=%+v", lv.name, m, n, k, la, lb, lc, beta, prm)
					var a, b *HalfMatrix
					if la == evenRows {
						a = evenHalf(r, m, k)
					} else {
						a = halfMatrix(r, m, k, la, cnt%4)
					}
					if lb == evenRows {
						b = evenHalf(r, n, k).t() // B by columns
					} else {
						b = halfMatrix(r, k, n, lb, (cnt+1)%4)
					}
					c := guardedMatrix[float32](r, m, n, lc, 2, beta != 0)
					want := Matrix[float32]{Data: slices.Clone(c.Data), Offset: c.Offset, RowStride: c.RowStride, ColStride: c.ColStride}
					ref := slices.Clone(c.Data)
					full := prm
					if full.KC == 0 {
						full.KC = (k + 1) / 2 // one block, whatever the default blocking
					}
					if err := GemmMixed(m, n, k, Operand{Half: a}, Operand{Half: b}, beta, c, &full, e); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					pairsProduct(m, n, k, a, b, beta, want, full, e)
					if o, ok := sameBits(c.Data, want.Data); !ok {
						t.Fatalf("%s: element %d of C's slice is %v, want %v", name, o, c.Data[o], want.Data[o])
					}
					// A sanity check of the reference itself: the product within float32's
					// error bound.
					for i := range m {
						for j := range n {
							var s, sa float64
							for p := range k {
								x := float64(bf16Value(a.Data[a.index(i, p)])) * float64(bf16Value(b.Data[b.index(p, j)]))
								s += x
								sa += math.Abs(x)
							}
							o := c.index(i, j)
							if beta != 0 {
								s += float64(beta) * float64(ref[o])
								sa += math.Abs(float64(beta) * float64(ref[o]))
							}
							if e != nil {
								s, sa = 2*s+float64(i), 2*sa+float64(i)
							}
							if d := math.Abs(float64(c.Data[o]) - s); d > float64(k+4)*0x1p-23*sa {
								t.Fatalf("%s: C[%d, %d] = %v, the exact product %v", name, i, j, c.Data[o], s)
							}
						}
					}
				}
			}
		}
	}
}

// TestInterleavePairs checks interleavePairs against interleavePairsGo for lengths around
// its sixteen elements a step, misaligned, with guards past the end of dst.
func TestInterleavePairs(t *testing.T) {
	if interleavePairs == nil {
		t.Skip("no assembly interleave on this machine or build")
	}
	r := rand.New(rand.NewPCG(6, 7))
	for n := range 70 {
		for off := range 3 {
			lo, hi := make([]uint16, off+n+5), make([]uint16, off+n+5)
			for i := range lo {
				lo[i], hi[i] = uint16(r.Uint32()), uint16(r.Uint32())
			}
			got, want := make([]uint32, off+n+4), make([]uint32, off+n+4)
			for i := range got {
				got[i], want[i] = 0xdeadbeef, 0xdeadbeef
			}
			interleavePairsGo(want[off:off+n], lo[off:], hi[off:])
			interleavePairs(got[off:off+n], lo[off:off+n], hi[off:off+n])
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d off=%d: %#x, want %#x", n, off, got, want)
			}
		}
	}
}

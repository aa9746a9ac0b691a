package asm

import (
	"math"
	"unsafe"
)

// Products of two bfloat16 matrices on CPUs with AVX512_BF16: VDPBF16PS multiplies 32
// bfloat16 values by 32 others and adds each pair of products into one of 16 float32
// lanes, twice the multiply-adds of VFMADD231PS on float32 in the same time. The GEMM then
// packs its panels with a pair of steps of k in each 32-bit element (the bits of element 2t
// of a row in the low half, of 2t+1 in the high half) and runs with k counted in pairs;
// everything else (blocking, threads, tiles, epilogue) is the float32 GEMM's. Where the rows
// of A are contiguous, start on 4-byte boundaries and k is even, they already hold A's pairs
// as 32-bit words: a product with few columns reads them there (pairWords), and one with few
// rows and a B stored by columns is turned around to read Bᵀ's rows so (turnedOK).

// pairsOK lets GemmMixed multiply two bfloat16 operands in pairs where the level can (tests
// and benchmarks turn it off to compare with the widened operands).
var pairsOK = true

// pairKernelsOf returns the level's micro-kernels for pairs of bfloat16 values, the standard
// one first, or nil where it has none.
func pairKernelsOf(l *level) []microKernel[float32] {
	if l.b.fn == nil {
		return nil
	}
	ks := []microKernel[float32]{l.b}
	if l.bn.fn != nil {
		ks = append(ks, l.bn)
	}
	return ks
}

// gemmMicroPairsGo is the reference of the bfloat16 micro-kernels: a[p*mr+i] and b[p*nr+j]
// each hold a pair of bfloat16 values (see pairDot), and
//
//	for i < mr, j < nr:
//		ab := 0
//		for p < k:
//			ab = pairDot(ab, a[p*mr+i], b[p*nr+j])
//		c[i*ldc+j] = ab, or fma(beta, c[i*ldc+j], ab) unless beta is 0
func gemmMicroPairsGo(mr, nr, k int, a, b, c []float32, ldc int, beta float32) {
	for i := range mr {
		for j := range nr {
			var ab float32
			for p := range k {
				ab = pairDot(ab, a[p*mr+i], b[p*nr+j])
			}
			if beta == 0 {
				c[i*ldc+j] = ab
			} else {
				c[i*ldc+j] = fma32(beta, c[i*ldc+j], ab)
			}
		}
	}
}

// pairDot is one lane of VDPBF16PS: acc plus the product of the high bfloat16 halves of x
// and y, rounded to float32, plus the product of the low halves, rounded again. Subnormal
// inputs count as zeros and subnormal sums are flushed to zero, as the instruction does.
func pairDot(acc, x, y float32) float32 {
	bx, by := math.Float32bits(x), math.Float32bits(y)
	acc = flushSubnormal(fma32(bf16Value(uint16(bx>>16)), bf16Value(uint16(by>>16)), acc))
	return flushSubnormal(fma32(bf16Value(uint16(bx)), bf16Value(uint16(by)), acc))
}

// bf16Value is the float32 value of bfloat16 bits h, a subnormal one taken as a zero of its
// sign.
func bf16Value(h uint16) float32 {
	if h&0x7f80 == 0 {
		h &= 0x8000
	}
	return math.Float32frombits(uint32(h) << 16)
}

// flushSubnormal returns a zero of v's sign for a subnormal v, else v.
func flushSubnormal(v float32) float32 {
	if b := math.Float32bits(v); b&0x7f800000 == 0 {
		return math.Float32frombits(b & 0x80000000)
	}
	return v
}

// interleavePairs is interleavePairsGo in assembly, where the CPU has it (else nil).
var interleavePairs func(dst []uint32, lo, hi []uint16)

// interleave sets dst[i] to lo[i] | hi[i]<<16, with interleavePairs where there is one.
func interleave(dst []uint32, lo, hi []uint16) {
	if interleavePairs != nil {
		interleavePairs(dst, lo[:len(dst)], hi[:len(dst)])
		return
	}
	interleavePairsGo(dst, lo, hi)
}

// interleavePairsGo sets dst[i] to the pair (lo[i], hi[i]): lo[i]'s bits in the low half.
func interleavePairsGo(dst []uint32, lo, hi []uint16) {
	lo, hi = lo[:len(dst)], hi[:len(dst)]
	for i := range dst {
		dst[i] = uint32(lo[i]) | uint32(hi[i])<<16
	}
}

// pairWords returns the bfloat16 matrix h (rows × k) as a float32 matrix of its pairs, rows
// × k/2 32-bit words, each holding elements 2t and 2t+1 of a row as packPairs packs them:
// where h's rows are contiguous and start on 4-byte boundaries and k is even.
func pairWords(h *HalfMatrix, k int) (Matrix[float32], bool) {
	if h == nil || len(h.Data) == 0 || h.ColStride != 1 || h.RowStride <= 0 || h.RowStride%2 != 0 || h.Offset%2 != 0 || k%2 != 0 ||
		uintptr(unsafe.Pointer(unsafe.SliceData(h.Data)))%4 != 0 {
		return Matrix[float32]{}, false
	}
	words := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(h.Data))), len(h.Data)/2)
	return Matrix[float32]{Data: words, Offset: h.Offset / 2, RowStride: h.RowStride / 2, ColStride: 1}, true
}

// packPairs packs rows [i0, i0+mc) of the bfloat16 matrix x, and its columns 2·t0 to
// 2·(t0+kp) (those below k), into w-row micro-panels kp pairs deep: micro-panel q holds at
// dst[q*w*kp + t*w + i] the bits of x[i0+q*w+i, 2(t0+t)] in its low half and of
// x[i0+q*w+i, 2(t0+t)+1] in its high half, zeros past column k and past row mc. The float32
// elements of dst only carry the bits: the micro-kernels read them as bfloat16.
func packPairs(dst []float32, x HalfMatrix, i0, mc, t0, kp, k, w int) {
	d := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst))
	cols := min(2*kp, k-2*t0) // columns of x in the block
	// clearPast zeroes the rows of the last micro-panel past mc, for the loops below that
	// write rows < mc only.
	clearPast := func() {
		if rows := mc % w; rows != 0 {
			last := d[(mc-rows)*kp:]
			for t := range kp {
				clear(last[t*w+rows : (t+1)*w])
			}
		}
	}
	switch {
	case x.RowStride == 1 && x.ColStride != 1:
		// Columns contiguous (B stored by rows): interleave pieces of two columns into an
		// L1 buffer, whole micro-panels of them at a time, and pack them on from there as
		// packCols packs float32.
		buf := halfChunks.Get().(*[halfChunk]float32)
		defer halfChunks.Put(buf)
		step := halfChunk / w * w
		for t := range kp {
			p := 2 * (t0 + t)
			for q := 0; q < mc; q += step {
				nq := min(step, mc-q)
				tmp := buf[:nq]
				words := unsafe.Slice((*uint32)(unsafe.Pointer(&tmp[0])), nq)
				switch {
				case 2*t+1 < cols:
					o0, o1 := x.index(i0+q, p), x.index(i0+q, p+1)
					interleave(words, x.Data[o0:o0+nq], x.Data[o1:o1+nq])
				case 2*t < cols:
					o0 := x.index(i0+q, p)
					for i, v := range x.Data[o0 : o0+nq] {
						words[i] = uint32(v)
					}
				default:
					clear(words)
				}
				packColumn(dst[q*kp+t*w:], tmp, nq, w, kp)
			}
		}
	case x.ColStride == 1:
		// Rows contiguous (A, or B stored by columns): each row's pairs are adjacent, 32-bit
		// words of it where pairWords can view them so and the block has no half pair,
		// which the float32 packing moves as they are.
		if words, ok := pairWords(&x, cols); ok && cols == 2*kp {
			packPanels(dst, words, i0, mc, t0, kp, w)
			return
		}
		clearPast()
		for i := range mc {
			q, r := i/w, i%w
			dd := d[q*w*kp+r:]
			row := x.Data[x.index(i0+i, 2*t0):][:cols]
			t := 0
			for ; 2*t+1 < len(row); t++ {
				dd[t*w] = uint32(row[2*t]) | uint32(row[2*t+1])<<16
			}
			if 2*t < len(row) {
				dd[t*w] = uint32(row[2*t])
				t++
			}
			for ; t < kp; t++ {
				dd[t*w] = 0
			}
		}
	default:
		clearPast()
		for i := range mc {
			q, r := i/w, i%w
			dd := d[q*w*kp+r:]
			o := x.index(i0+i, 2*t0)
			for t := range kp {
				var v uint32
				if 2*t < cols {
					v = uint32(x.Data[o+2*t*x.ColStride])
				}
				if 2*t+1 < cols {
					v |= uint32(x.Data[o+(2*t+1)*x.ColStride]) << 16
				}
				dd[t*w] = v
			}
		}
	}
}

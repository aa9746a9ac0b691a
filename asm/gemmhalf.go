package asm

import "sync"

// A HalfMatrix is a strided view of a matrix of float16 values, or bfloat16 ones where BF16
// is set, held as their bits: element (i, j) is Data[Offset + i*RowStride + j*ColStride],
// with strides as a Matrix's.
type HalfMatrix struct {
	Data      []uint16
	Offset    int
	RowStride int
	ColStride int
	BF16      bool
}

func (x HalfMatrix) index(i, j int) int { return x.Offset + i*x.RowStride + j*x.ColStride }

// t returns the transpose of *x, or nil for nil.
func (x *HalfMatrix) t() *HalfMatrix {
	if x == nil {
		return nil
	}
	y := *x
	y.RowStride, y.ColStride = x.ColStride, x.RowStride
	return &y
}

// An Operand is an operand of GemmMixed: the 16-bit matrix Half where it is not nil, else
// the float32 matrix Float.
type Operand struct {
	Float Matrix[float32]
	Half  *HalfMatrix
}

// checkOperand is check for an operand that is 16-bit where h is not nil.
func checkOperand[T Float](name string, x Matrix[T], h *HalfMatrix, rows, cols int) error {
	if h != nil {
		return checkView(name, len(h.Data), h.Offset, h.RowStride, h.ColStride, rows, cols)
	}
	return x.check(name, rows, cols)
}

// GemmMixed is GemmEpilogue in float32 for operands that may be float16 or bfloat16
// matrices: a 16-bit operand is widened to float32 as the GEMM packs it, a block at a time
// into the packed panels it fills anyway, so that no float32 copy of it is written to
// memory and read back, and it is read at two bytes an element; a C of few rows or columns
// runs on the 16-bit matrix-vector kernels, which widen the matrix as they read it. The
// products accumulate in float32. The result is bit for bit GemmEpilogue's of the widened
// operands, except where A and B are both bfloat16 and the CPU has AVX512_BF16: GEMMs of
// more than four rows and columns then multiply them in pairs, about twice as fast, each pair of
// products added to the float32 sum in turn (the second element's first), subnormal inputs
// and sums taken as zeros, as VDPBF16PS does.
func GemmMixed(m, n, k int, a, b Operand, beta float32, c Matrix[float32], p *GemmParams, epi Epilogue[float32]) error {
	return gemmFrom(m, n, k, a.Float, b.Float, a.Half, b.Half, beta, c, p, epi, -1)
}

// halfChunk is the most values packPanelsHalf widens at a time: a buffer that stays in L1
// while the packing copies it on.
const halfChunk = 1024

var halfChunks = sync.Pool{New: func() any { return new([halfChunk]float32) }}

// packPanelsHalf is packPanels from a 16-bit x: each stretch of x that lies contiguous
// (pieces of columns, or of four rows) is widened into an L1 buffer by the vector
// instructions of isa, and packed from there as packPanels packs float32.
func packPanelsHalf(isa vecISA, dst []float32, x HalfMatrix, i0, mc, p0, kc, w int) {
	buf := halfChunks.Get().(*[halfChunk]float32)
	defer halfChunks.Put(buf)
	tmp := buf[:]
	if x.RowStride == 1 && x.ColStride != 1 {
		// Columns contiguous (B stored by rows): widen a piece of a column, whole
		// micro-panels of it, at a time.
		step := halfChunk / w * w
		for p := range kc {
			base := x.index(i0, p0+p)
			for q := 0; q < mc; q += step {
				nq := min(step, mc-q)
				widenHalf(isa, x.BF16, tmp[:nq], x.Data[base+q:base+q+nq])
				packColumn(dst[q*kc+p*w:], tmp[:nq], nq, w, kc)
			}
		}
		return
	}
	for q := 0; q*w < mc; q++ {
		rows := min(w, mc-q*w)
		d := dst[q*w*kc : (q+1)*w*kc]
		base := x.index(i0+q*w, p0)
		if rows < w {
			clear(d)
		}
		if x.ColStride != 1 {
			packStridedHalf(isa, d, x, base, rows, w, kc, tmp)
			continue
		}
		// Rows contiguous (A, or B stored by columns): widen pieces of four rows at a time
		// and transpose them as packRows does.
		span := halfChunk / 4
		for p := 0; p < kc; p += span {
			np := min(span, kc-p)
			for i := 0; i < rows; i += 4 {
				r := min(4, rows-i)
				for t := range r {
					o := base + (i+t)*x.RowStride + p
					widenHalf(isa, x.BF16, tmp[t*np:(t+1)*np], x.Data[o:o+np])
				}
				if r == 4 {
					packRows4(d[p*w+i:], tmp, 0, np, np, w)
					continue
				}
				for t := range r {
					for pp, v := range tmp[t*np : (t+1)*np] {
						d[(p+pp)*w+i+t] = v
					}
				}
			}
		}
	}
}

// packStridedHalf is packStrided from a 16-bit x whose rows are not contiguous: the rows'
// elements at each p are gathered, then widened together (tmp holds w of them).
func packStridedHalf(isa vecISA, d []float32, x HalfMatrix, base, rows, w, kc int, tmp []float32) {
	var bits [32]uint16
	for p := range kc {
		o := base + p*x.ColStride
		for i0 := 0; i0 < rows; i0 += len(bits) {
			n := min(len(bits), rows-i0)
			for i := range n {
				bits[i] = x.Data[o+(i0+i)*x.RowStride]
			}
			widenHalf(isa, x.BF16, tmp[:n], bits[:n])
			copy(d[p*w+i0:p*w+i0+n], tmp[:n])
		}
	}
}

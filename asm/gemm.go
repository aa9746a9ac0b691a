package asm

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"unsafe"
)

// GEMM in the BLIS structure (Van Zee and van de Geijn, "BLIS: A Framework for Rapidly
// Instantiating BLAS Functionality"): five loops around a register-blocked micro-kernel.
//
//	for jc over n in steps of NC                          (B̃ panel: L3)
//		for pc over k in steps of KC: pack B[pc:, jc:] into B̃, KC×NC in NR-wide micro-panels
//			for ic over m in steps of MC: pack A[ic:, pc:] into Ã, MC×KC in MR-tall micro-panels (L2)
//				for jr over NC in steps of NR                 (B̃ micro-panel: L1)
//					for ir over MC in steps of MR
//						micro-kernel: C[ic+ir:, jc+jr:] (MR×NR) = Ã micro-panel · B̃ micro-panel + β·C
//
// Packing pads partial micro-panels with zeros, so the micro-kernel always computes a whole
// MR×NR tile; a tile that sticks out of C (or a C that is not stored by rows) is computed into
// a small buffer and its valid part copied, which costs about what a whole tile costs.

// Float is the element type of the GEMM kernels.
type Float interface{ float32 | float64 }

// ErrView is returned (wrapped) when a matrix view reaches outside its slice, or a size or
// parameter is invalid.
var ErrView = errors.New("asm: invalid matrix view")

// A Matrix is a strided view of a matrix held in a slice: element (i, j) is
// Data[Offset + i*RowStride + j*ColStride]. Strides are in elements and may be negative or
// (for an operand) zero, so any transposition, slice, flip or broadcast of a buffer is a
// Matrix without a copy.
type Matrix[T Float] struct {
	Data      []T
	Offset    int
	RowStride int
	ColStride int
}

func (x Matrix[T]) index(i, j int) int { return x.Offset + i*x.RowStride + j*x.ColStride }

// T returns the transpose of x (the same elements, axes swapped).
func (x Matrix[T]) T() Matrix[T] {
	x.RowStride, x.ColStride = x.ColStride, x.RowStride
	return x
}

// check reports an error unless every element of the rows×cols view lies inside x.Data.
func (x Matrix[T]) check(name string, rows, cols int) error {
	return checkView(name, len(x.Data), x.Offset, x.RowStride, x.ColStride, rows, cols)
}

// checkView reports an error unless every element of a rows×cols view of a slice of n
// elements, at the offset and strides given, lies inside the slice.
func checkView(name string, n, offset, rs, cs, rows, cols int) error {
	if rows == 0 || cols == 0 {
		return nil
	}
	lo, hi := offset, offset
	for _, ext := range [2]int{(rows - 1) * rs, (cols - 1) * cs} {
		if ext < 0 {
			lo += ext
		} else {
			hi += ext
		}
	}
	if lo < 0 || hi >= n {
		return fmt.Errorf("%w: %s is %d×%d with offset %d and strides (%d, %d): elements %d..%d of %d",
			ErrView, name, rows, cols, offset, rs, cs, lo, hi, n)
	}
	return nil
}

// GemmParams are the blocking and threading of a GEMM call. DefaultGemmParams derives them
// from the cache sizes; an autotuner may refine MC, KC, NC and Threads.
type GemmParams struct {
	MC, KC, NC int // cache blocking: rows of Ã (L2), depth of a panel (L1), columns of B̃ (L3)
	MR, NR     int // the micro-kernel's tile: 0 lets Gemm choose by the shape, else one of MicroKernels
	Threads    int // workers; 0 means GOMAXPROCS
	Level      string
}

// A microKernel computes one MR×NR tile of C from packed micro-panels:
//
//	for i < mr, j < nr:
//		ab := 0
//		for p < k:
//			ab = fma(a[p*mr+i], b[p*nr+j], ab)
//		if beta == 0 {
//			c[i*ldc+j] = ab
//		} else {
//			c[i*ldc+j] = fma(beta, c[i*ldc+j], ab)
//		}
//
// (gemmMicroGo is that loop). c must hold (mr-1)*ldc+nr elements, ldc ≥ nr.
type microKernel[T Float] struct {
	mr, nr int
	fn     func(k int, a, b, c []T, ldc int, beta T)
	// rowA, where not nil, is fn reading A's micro-panel from a row-major A instead, element
	// (i, p) at a[i*lda+p] (gemmMicroRowAGo): for products with so few columns that a packed
	// A would be read once or twice, packing it would cost more than it saves.
	rowA func(k int, a []T, lda int, b, c []T, ldc int, beta T)
	// rowB, where not nil, is fn reading B's micro-panel from a row-major B, element (p, j)
	// at b[p*ldb+j] (gemmMicroRowBGo): for products with so few rows that a packed B would be
	// read once or twice.
	rowB func(k int, a, b []T, ldb int, c []T, ldc int, beta T)
	// colA, where not nil, is fn reading A's micro-panel from a column-major A, element
	// (i, p) at a[p*lda+i] (gemmMicroColAGo): a transposed A, in products with few columns;
	// only kernels whose MR elements fill a cache line have one (see _asm/gen.go).
	colA func(k int, a []T, lda int, b, c []T, ldc int, beta T)
}

func kernelOf[T Float](l *level) microKernel[T] {
	var z T
	switch any(z).(type) {
	case float32:
		return any(l.s).(microKernel[T])
	default:
		return any(l.d).(microKernel[T])
	}
}

// gemmMicroGo is the reference of every micro-kernel, with fused multiply-adds as the vector
// kernels do them, so that the assembly must agree with it bit for bit.
func gemmMicroGo[T Float](mr, nr, k int, a, b, c []T, ldc int, beta T) {
	gemmMicroRef(mr, nr, k, func(i, p int) T { return a[p*mr+i] }, func(p, j int) T { return b[p*nr+j] }, c, ldc, beta)
}

// gemmMicroRowAGo is the reference of the rowA micro-kernels: A's element (i, p) is at
// a[i*lda+p].
func gemmMicroRowAGo[T Float](mr, nr, k int, a []T, lda int, b, c []T, ldc int, beta T) {
	gemmMicroRef(mr, nr, k, func(i, p int) T { return a[i*lda+p] }, func(p, j int) T { return b[p*nr+j] }, c, ldc, beta)
}

// gemmMicroColAGo is the reference of the colA micro-kernels: A's element (i, p) is at
// a[p*lda+i].
func gemmMicroColAGo[T Float](mr, nr, k int, a []T, lda int, b, c []T, ldc int, beta T) {
	gemmMicroRef(mr, nr, k, func(i, p int) T { return a[p*lda+i] }, func(p, j int) T { return b[p*nr+j] }, c, ldc, beta)
}

// gemmMicroRowBGo is the reference of the rowB micro-kernels: B's element (p, j) is at
// b[p*ldb+j].
func gemmMicroRowBGo[T Float](mr, nr, k int, a, b []T, ldb int, c []T, ldc int, beta T) {
	gemmMicroRef(mr, nr, k, func(i, p int) T { return a[p*mr+i] }, func(p, j int) T { return b[p*ldb+j] }, c, ldc, beta)
}

// gemmMicroRef is the order of operations of the micro-kernels, with A's element (i, p) and
// B's element (p, j) wherever they are stored:
//
//	for i < mr, j < nr:
//		ab := 0
//		for p < k:
//			ab = fma(a(i, p), b(p, j), ab)
//		c[i*ldc+j] = ab, or fma(beta, c[i*ldc+j], ab) unless beta is 0
func gemmMicroRef[T Float](mr, nr, k int, a func(i, p int) T, b func(p, j int) T, c []T, ldc int, beta T) {
	for i := range mr {
		for j := range nr {
			var ab T
			for p := range k {
				ab = fma(a(i, p), b(p, j), ab)
			}
			if beta == 0 {
				c[i*ldc+j] = ab
			} else {
				c[i*ldc+j] = fma(beta, c[i*ldc+j], ab)
			}
		}
	}
}

// fma returns x*y+z rounded once.
func fma[T Float](x, y, z T) T {
	if _, ok := any(x).(float32); ok {
		return T(fma32(float32(x), float32(y), float32(z)))
	}
	return T(math.FMA(float64(x), float64(y), float64(z)))
}

// fma32 is a correctly rounded float32 fused multiply-add. The product of two float32 is exact
// in float64; the sum is rounded to odd (Boldo and Melquiond), which makes the final rounding
// to float32 correct.
func fma32(x, y, z float32) float32 {
	s := float64(x) * float64(y)
	zz := float64(z)
	t := s + zz
	if math.IsInf(t, 0) || t != t {
		return float32(t)
	}
	bb := t - s
	e := (s - (t - bb)) + (zz - bb) // the rounding error of t (TwoSum)
	if bits := math.Float64bits(t); e != 0 && bits&1 == 0 {
		if (e > 0) == (t > 0) {
			bits++
		} else {
			bits--
		}
		t = math.Float64frombits(bits)
	}
	return float32(t)
}

// genericLevel's micro-kernels: 4×4 tiles in plain Go.
var genericLevel = &level{
	name: "generic",
	s:    microKernel[float32]{4, 4, gemmMicro4x4Go[float32], nil, nil, nil},
	d:    microKernel[float64]{4, 4, gemmMicro4x4Go[float64], nil, nil, nil},
}

// gemmMicro4x4Go is gemmMicroGo for a 4×4 tile with the accumulators in registers; it leaves
// the fusing of multiply and add to the compiler (arm64 fuses, amd64 does not).
func gemmMicro4x4Go[T Float](k int, a, b, c []T, ldc int, beta T) {
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 T
	a, b = a[:4*k], b[:4*k]
	for p := 0; p < len(a) && p < len(b); p += 4 {
		aa := (*[4]T)(a[p : p+4])
		bb := (*[4]T)(b[p : p+4])
		a0, a1, a2, a3 := aa[0], aa[1], aa[2], aa[3]
		b0, b1, b2, b3 := bb[0], bb[1], bb[2], bb[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	rows := [4][4]T{{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}}
	for i := range rows {
		cr := (*[4]T)(c[i*ldc : i*ldc+4])
		if beta == 0 {
			*cr = rows[i]
			continue
		}
		for j := range cr {
			cr[j] = beta*cr[j] + rows[i][j]
		}
	}
}

// Sgemm computes C = A·B + beta·C for an m×k matrix A, a k×n matrix B and an m×n matrix C,
// in float32 throughout (as BLAS does), with the kernel level in use and the default
// blocking. beta = 0 overwrites C without reading it; beta = 1 accumulates into it.
func Sgemm(m, n, k int, a, b Matrix[float32], beta float32, c Matrix[float32]) error {
	return Gemm(m, n, k, a, b, beta, c, nil)
}

// Dgemm is Sgemm for float64.
func Dgemm(m, n, k int, a, b Matrix[float64], beta float64, c Matrix[float64]) error {
	return Gemm(m, n, k, a, b, beta, c, nil)
}

// Gemm computes C = A·B + beta·C (see Sgemm) with the given parameters on the level p.Level
// (or the level in use); nil, or zero fields, mean the BLIS model's blocking for the
// micro-kernel that Gemm chooses for the shape (DefaultGemmParams is the level's standard
// kernel's). A single row or column of C runs on the matrix-vector kernels. Each element of
// C is accumulated in the same order whatever the number of threads, so results are
// reproducible. C must not overlap A or B, nor itself.
func Gemm[T Float](m, n, k int, a, b Matrix[T], beta T, c Matrix[T], p *GemmParams) error {
	return GemmEpilogue(m, n, k, a, b, beta, c, p, nil)
}

// An Epilogue finishes a rows×cols tile of C in place: element (i+r, j+t) of C is
// c[off+r*rs+t*cs]. GemmEpilogue calls it once for every element of C, as soon as the element's
// value is final, while its tile is still in the cache, so that a bias, an activation or a
// residual costs no pass over C of its own. Workers call it concurrently, on disjoint tiles.
type Epilogue[T Float] func(i, j, rows, cols int, c []T, off, rs, cs int)

// GemmEpilogue is Gemm followed by epi (when it is not nil) on every tile of C.
func GemmEpilogue[T Float](m, n, k int, a, b Matrix[T], beta T, c Matrix[T], p *GemmParams, epi Epilogue[T]) error {
	return gemm(m, n, k, a, b, beta, c, p, epi, -1)
}

// gemm is GemmEpilogue with the micro-kernel chosen by the shape (kernel < 0) or the
// level's kernel of that index (see kernelsOf).
func gemm[T Float](m, n, k int, a, b Matrix[T], beta T, c Matrix[T], p *GemmParams, epi Epilogue[T], kernel int) error {
	return gemmFrom(m, n, k, a, b, nil, nil, beta, c, p, epi, kernel)
}

// gemmFrom is gemm whose A or B, where ha or hb is not nil, is that 16-bit matrix instead
// (T is then float32), widened as it is packed (see GemmMixed).
func gemmFrom[T Float](m, n, k int, a, b Matrix[T], ha, hb *HalfMatrix, beta T, c Matrix[T], p *GemmParams, epi Epilogue[T], kernel int) error {
	if m < 0 || n < 0 || k < 0 {
		return fmt.Errorf("%w: gemm of size %d×%d×%d", ErrView, m, n, k)
	}
	var prm GemmParams
	if p != nil {
		prm = *p
	}
	lv, err := levelFor(prm.Level)
	if err != nil {
		return err
	}
	if err := checkOperand("A", a, ha, m, k); err != nil {
		return err
	}
	if err := checkOperand("B", b, hb, k, n); err != nil {
		return err
	}
	if err := c.check("C", m, n); err != nil {
		return err
	}
	if (m > 1 && c.RowStride == 0) || (n > 1 && c.ColStride == 0) {
		return fmt.Errorf("%w: C has a zero stride (%d, %d)", ErrView, c.RowStride, c.ColStride)
	}
	if m == 0 || n == 0 {
		return nil
	}
	if k == 0 {
		scaleC(m, n, beta, c)
		if epi != nil {
			epi(0, 0, m, n, c.Data, c.Offset, c.RowStride, c.ColStride)
		}
		return nil
	}
	c = c.canonical(m, n)
	if prm.Threads <= 0 {
		prm.Threads = runtime.GOMAXPROCS(0)
	}
	ks := kernelsOf[T](lv)
	// Two bfloat16 operands are multiplied in pairs where the level has kernels for them.
	pairs := ha != nil && hb != nil && ha.BF16 && hb.BF16 && pairsOK && lv.b.fn != nil
	if pairs {
		ks = any(pairKernelsOf(lv)).([]microKernel[T])
	}
	if kernel < 0 && prm.MR > 0 && prm.NR > 0 {
		kernel = slices.IndexFunc(ks, func(mk microKernel[T]) bool { return mk.mr == prm.MR && mk.nr == prm.NR })
		// (The pair kernels have the float32 ones' tiles; params tuned for a tile they lack
		// leave the choice to the shape.)
		if kernel < 0 && !pairs {
			return fmt.Errorf("%w: level %s has no %d×%d micro-kernel for %T (see MicroKernels)", ErrView, lv.name, prm.MR, prm.NR, T(0))
		}
	}
	if kernel < 0 && (m <= gemvMaxLines || n <= gemvMaxLines) && gemv(isaOf(lv.name), m, n, k, a, b, ha, hb, beta, c, prm.Threads, epi) {
		return nil
	}
	mk, swapped := chooseKernel(ks, m, n, c, kernel)
	if !swapped && kernel < 0 && turnedOK(mk, m, n, k, b, hb, beta, c, pairs) {
		if mt, sw := chooseKernel(ks, n, m, Matrix[T]{RowStride: m, ColStride: 1}, -1); !sw && mt.rowA != nil && m <= 2*mt.nr {
			// Compute Cᵀ = Bᵀ·Aᵀ into a scratch matrix stored by rows, A's rows read
			// where they lie, then transpose it into C.
			buf := getBufs[T](0, 0, n*m)
			defer putBufs(buf)
			ct := Matrix[T]{Data: buf.tile[:n*m], RowStride: m, ColStride: 1}
			newJob(lv, prm, mt, false, pairs, n, m, k, b.T(), a.T(), hb.t(), ha.t(), 0, ct, nil).run(n, m)
			// (turnedOK takes float32 products only.)
			TransposeF32(any(c.Data).([]float32)[c.Offset:], c.RowStride, any(ct.Data).([]float32), m, n, m)
			if epi != nil {
				epi(0, 0, m, n, c.Data, c.Offset, c.RowStride, c.ColStride)
			}
			return nil
		}
	}
	if swapped {
		// Compute Cᵀ = Bᵀ·Aᵀ, whose rows are C's columns.
		m, n, a, b, c = n, m, b.T(), a.T(), c.T().canonical(n, m)
		ha, hb = hb.t(), ha.t()
	}
	newJob(lv, prm, mk, swapped, pairs, m, n, k, a, b, ha, hb, beta, c, epi).run(m, n)
	return nil
}

// newJob sets up the m×n product on the micro-kernel mk (see gemmJob).
func newJob[T Float](lv *level, prm GemmParams, mk microKernel[T], swapped, pairs bool, m, n, k int, a, b Matrix[T], ha, hb *HalfMatrix, beta T, c Matrix[T], epi Epilogue[T]) *gemmJob[T] {
	var z T
	def := blisBlocking(caches, int(unsafe.Sizeof(z)), mk.mr, mk.nr)
	def.Level = lv.name
	prm = prm.complete(def)
	g := &gemmJob[T]{mk: mk, prm: prm, k: k, a: a, b: b, c: c, beta: beta, epi: epi, swapped: swapped,
		ha: ha, hb: hb, isa: isaOf(lv.name), pairs: pairs, kElems: k}
	if pairs {
		// The blocking counts k in pairs, whose panels take float32 ones' room.
		g.k = (k + 1) / 2
	}
	g.direct = c.ColStride == 1 && c.RowStride >= n
	// A packed micro-panel of A serves every micro-panel of B̃ in turn: with one or two of
	// them, packing costs more than it saves when A's rows can be read as they are. (A 16-bit
	// operand is always packed: the micro-kernels read float32.)
	g.rowA = ha == nil && mk.rowA != nil && a.ColStride == 1 && a.RowStride > 0 && n <= 2*mk.nr && unpackedOK
	// Likewise for an A stored by columns, where the kernel has a colA.
	g.colA = ha == nil && !g.rowA && mk.colA != nil && a.RowStride == 1 && a.ColStride > 0 && n <= 2*mk.nr && unpackedOK
	// Likewise for B when C has few rows.
	g.rowB = hb == nil && !g.rowA && !g.colA && mk.rowB != nil && b.ColStride == 1 && b.RowStride > 0 && m <= 3*mk.mr && unpackedOK
	if pairs && mk.rowA != nil && n <= 2*mk.nr && unpackedOK {
		// A bfloat16 A's rows hold its pairs as 32-bit words, which the kernel reads there.
		if w, ok := pairWords(ha, k); ok {
			g.a, g.rowA = any(w).(Matrix[T]), true
		}
	}
	return g
}

// turnedOK says whether the m×n product into C (stored by rows, overwritten), whose B is a
// large float32 matrix stored by columns (a transposed weight, as x·Wᵀ has it), should be
// computed turned around, as Cᵀ = Bᵀ·Aᵀ into a scratch matrix: with few rows of C, a packed
// B̃ serves few micro-panels of A, and packing it (reading B, writing B̃, reading B̃ back)
// costs more than the kernels reading Bᵀ's rows where they lie, once B is too large for the
// caches to hold B̃. Measured on two cores of Zen 5, x·Wᵀ for W of 4096 × 4096: 16 rows
// 6.6-7.8 ms as it is, 6.2-6.8 turned; 32 rows 6.0-7.0 and 4.6-4.8; 64 rows 8.2-8.7 and
// 6.6-6.9 (11008 × 4096: 23.8-27.8 and 17.3-20.2); W of 2048 × 4096, 2048 × 2048 or 4096 ×
// 1024 the same either way within 10%, 1024 × 4096 (64 rows) 5% slower turned; 8 rows faster
// as they are (4.2-4.8 ms, on a narrow kernel with C scattered), 96 slower turned (kernels
// reading Bᵀ only take few columns of Cᵀ).
//
// Two bfloat16 operands (pairs) turn around where Bᵀ's rows can be read as words of pairs
// (pairWords).
func turnedOK[T Float](mk microKernel[T], m, n, k int, b Matrix[T], hb *HalfMatrix, beta T, c Matrix[T], pairs bool) bool {
	_, f32 := any(beta).(float32)
	byColumns := hb == nil && b.RowStride == 1 && b.ColStride >= k
	if pairs {
		_, byColumns = pairWords(hb.t(), k)
	}
	return f32 && byColumns && beta == 0 && c.ColStride == 1 && c.RowStride >= n &&
		m >= 16 && m <= 2*mk.nr && n*k >= turnedMinWeight && unpackedOK
}

// turnedMinWeight is the fewest elements of B for which turnedOK turns a product around (a
// variable for the tests).
var turnedMinWeight = 1 << 24

// unpackedOK lets Gemm read A or B unpacked where it pays (tests turn it off to compare).
var unpackedOK = true

// scatterCost is the cost of a tile that is not one of C's rows, relative to one that is: it
// is computed into scratch and stored element by element, a cache line per element when C
// is turned around (measured: a 128×1500×1280 float32 product on two cores took 4.5 ms
// turned around, 2.2 ms the right way round).
const scatterCost = 1.5

// narrowSpeed is the speed of a level's narrow micro-kernel relative to its standard one, on
// whole tiles (its broadcasts of A, one per row, outnumber its loads of B: it is bound by
// loads sooner).
const narrowSpeed = 0.9

// chooseKernel returns the micro-kernel of ks (index kernel, or the best for the shape when
// kernel < 0) and whether to compute Cᵀ = Bᵀ·Aᵀ instead of C (for either). The best
// computes the fewest padded elements per unit of speed: a product with 16 columns wastes
// half of every 32-wide tile, none of a 16-wide one, and a product with 8 rows and many
// columns fits the tile better turned around. Tiles whose rows are not C's rows cost a
// scatter each.
func chooseKernel[T Float](ks []microKernel[T], m, n int, c Matrix[T], kernel int) (microKernel[T], bool) {
	pad := func(x, t int) float64 { return float64((x + t - 1) / t * t) }
	best, bestCost, swap := ks[0], math.Inf(1), false
	for i, mk := range ks {
		if kernel >= 0 && i != kernel {
			continue
		}
		for _, sw := range []bool{false, true} {
			cost := pad(m, mk.mr) * pad(n, mk.nr)
			if sw {
				cost = pad(n, mk.mr) * pad(m, mk.nr)
			}
			if i > 0 {
				cost /= narrowSpeed
			}
			if direct := c.ColStride == 1 && !sw || c.RowStride == 1 && sw; !direct {
				cost *= scatterCost
			}
			if cost < bestCost {
				best, bestCost, swap = mk, cost, sw
			}
		}
	}
	return best, swap
}

// MicroKernels returns the MR×NR tiles of the micro-kernels of the named level ("": the level
// in use) for elements of type T, the standard one first: the values GemmParams.MR and NR
// may name.
func MicroKernels[T Float](level string) [][2]int {
	lv, err := levelFor(level)
	if err != nil {
		lv = active.Load()
	}
	var out [][2]int
	for _, mk := range kernelsOf[T](lv) {
		out = append(out, [2]int{mk.mr, mk.nr})
	}
	return out
}

// DefaultGemmParamsFor returns the micro-kernel that Gemm chooses for an m×n product into a
// C stored by rows on the named level ("": the level in use), and the BLIS model's blocking
// for it: what Gemm does with zero parameters, as explicit ones.
func DefaultGemmParamsFor[T Float](level string, m, n int) GemmParams {
	lv, err := levelFor(level)
	if err != nil {
		lv = active.Load()
	}
	c := Matrix[T]{RowStride: max(1, n), ColStride: 1}
	mk, _ := chooseKernel(kernelsOf[T](lv), max(1, m), max(1, n), c, -1)
	var z T
	p := blisBlocking(caches, int(unsafe.Sizeof(z)), mk.mr, mk.nr)
	p.Level = lv.name
	return p
}

// kernelsOf returns the level's micro-kernels for T: the standard one, then the narrow one
// where there is one.
func kernelsOf[T Float](l *level) []microKernel[T] {
	ks := []microKernel[T]{kernelOf[T](l)}
	var z T
	var nk microKernel[T]
	switch any(z).(type) {
	case float32:
		nk = any(l.sn).(microKernel[T])
	default:
		nk = any(l.dn).(microKernel[T])
	}
	if nk.fn != nil {
		ks = append(ks, nk)
	}
	return ks
}

// gemvMaxLines is the most rows (or columns) of C that gemv computes on the matrix-vector
// kernels, a line of C after another over each band of the matrix: fewer than a
// micro-kernel's rows leave most of its tile idle (a 2 × 4096 by 4096 × 4096 float32 product
// took 4.5 ms on the micro-kernels, twice a matrix-vector product's time).
const gemvMaxLines = 4

// gemvBand is the most bytes of the matrix in a band that gemv multiplies by every line
// before it moves on, so that the lines after the first find the band in the L2 cache.
const gemvBand = 256 << 10

// gemv computes C = A·B + beta·C for a C of up to gemvMaxLines rows or columns on the
// matrix-vector kernels, which read the matrix straight from its storage, with no packing; it
// reports false, having done nothing, when the matrix is stored neither by rows nor by
// columns. Workers split the matrix into bands; each element of C is computed the same way
// whatever the split. A or B is the 16-bit ha or hb where that is not nil (T is then
// float32): a 16-bit matrix runs on the 16-bit kernels, which widen it as they read it, bit
// for bit the float32 kernels on the widened matrix; 16-bit vectors are widened first.
func gemv[T Float](isa vecISA, m, n, k int, a, b Matrix[T], ha, hb *HalfMatrix, beta T, c Matrix[T], threads int, epi Epilogue[T]) bool {
	// y = M·x with M rows×k for each line: M = A and x = a column of B, or, for few rows of
	// C, M = Bᵀ and x = a row of A. ys steps from one line's y to the next's.
	rows, lines, mat, x, hm, hx, ys, cstep := m, n, a, b, ha, hb, c.RowStride, c.ColStride
	byRowsOfC := n != 1 && (m == 1 || m <= n && m <= gemvMaxLines || n > gemvMaxLines)
	if byRowsOfC {
		rows, lines, mat, x, hm, hx, ys, cstep = n, m, b.T(), a.T(), hb.t(), ha.t(), c.ColStride, c.RowStride
	}
	mrs, mcs, moff := mat.RowStride, mat.ColStride, mat.Offset
	if hm != nil {
		mrs, mcs, moff = hm.RowStride, hm.ColStride, hm.Offset
	}
	byRows := mcs == 1 && (rows == 1 || mrs >= k)
	byCols := !byRows && mrs == 1 && (k == 1 || mcs >= rows)
	if !byRows && !byCols || mrs < 0 || mcs < 0 {
		return false
	}
	lda := max(mrs, k)
	if byCols {
		lda = max(mcs, rows)
	}
	var md []T
	var hd []uint16
	if hm != nil {
		hd = hm.Data[moff:]
	} else {
		md = mat.Data[moff:]
	}
	xs := make([][]T, lines)
	for l := range xs {
		switch {
		case hx != nil:
			bits := make([]uint16, k)
			for p := range bits {
				bits[p] = hx.Data[hx.index(p, l)]
			}
			xs[l] = make([]T, k)
			widenHalf(isa, hx.BF16, any(xs[l]).([]float32), bits)
		case x.RowStride == 1:
			o := x.index(0, l)
			xs[l] = x.Data[o : o+k]
		default:
			xs[l] = make([]T, k)
			for p := range xs[l] {
				xs[l][p] = x.Data[x.index(p, l)]
			}
		}
	}
	// Each band of the matrix is about gemvBand bytes: rows of it by rows, and by columns a
	// piece of each column (those kernels add A·x to y, so y takes the pieces in order, as
	// it would take the columns whole).
	var z T
	size := int(unsafe.Sizeof(z))
	if hm != nil {
		size = 2
	}
	band := rows
	if lines > 1 && byRows {
		band = max(64, gemvBand/max(1, k*size))
	}
	workers := min(threads, max(1, lines*rows*k*size/gemvBytesPerThread), max(1, rows/64))
	part := func(i0, i1 int) {
		yl := make([][]T, lines)
		for b0 := i0; b0 < i1; b0 += band {
			b1 := min(i1, b0+band)
			for l := range lines {
				if o := c.Offset + l*cstep + b0*ys; ys == 1 && beta == 0 {
					yl[l] = c.Data[o : o+b1-b0]
				} else {
					yl[l] = make([]T, b1-b0)
				}
			}
			if byRows {
				for l := range lines {
					if hm != nil {
						gemvRowsHalf(isa, hm.BF16, b1-b0, k, hd[b0*lda:][:(b1-b0-1)*lda+k], lda, any(xs[l]).([]float32), any(yl[l]).([]float32))
					} else {
						gemvRowsT(isa, b1-b0, k, md[b0*lda:], lda, xs[l], yl[l])
					}
				}
			} else {
				depth := k
				if lines > 1 {
					depth = max(16, gemvBand/max(1, (b1-b0)*size))
				}
				for l := range lines {
					clear(yl[l])
				}
				for p0 := 0; p0 < k; p0 += depth {
					p1 := min(k, p0+depth)
					for l := range lines {
						if hm != nil {
							gemvColsAddHalf(isa, hm.BF16, b1-b0, p1-p0, hd[p0*lda+b0:][:(p1-p0-1)*lda+b1-b0], lda, any(xs[l][p0:p1]).([]float32), any(yl[l]).([]float32))
						} else {
							gemvColsAddT(isa, b1-b0, p1-p0, md[p0*lda+b0:], lda, xs[l][p0:p1], yl[l])
						}
					}
				}
			}
			for l, y := range yl {
				o := c.Offset + l*cstep + b0*ys
				if ys != 1 || beta != 0 {
					for i, v := range y {
						if beta != 0 {
							v = fma(beta, c.Data[o+i*ys], v)
						}
						c.Data[o+i*ys] = v
					}
				}
				switch {
				case epi == nil:
				case byRowsOfC:
					epi(l, b0, 1, b1-b0, c.Data, o, c.RowStride, c.ColStride)
				default:
					epi(b0, l, b1-b0, 1, c.Data, o, c.RowStride, c.ColStride)
				}
			}
		}
	}
	if workers <= 1 {
		part(0, rows)
		return true
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { part(rows*w/workers, rows*(w+1)/workers) })
	}
	wg.Wait()
	return true
}

// gemvRowsT and gemvColsT are the GEMV kernels of isa for either element type; the matrix
// slices may run past the matrix.
func gemvRowsT[T Float](isa vecISA, m, k int, a []T, lda int, x, y []T) {
	a = a[:(m-1)*lda+k]
	switch a := any(a).(type) {
	case []float32:
		gemvRowsF32(isa, m, k, a, lda, any(x).([]float32), any(y).([]float32))
	case []float64:
		gemvRowsF64(isa, m, k, a, lda, any(x).([]float64), any(y).([]float64))
	}
}

// gemvColsAddT adds A·x to y.
func gemvColsAddT[T Float](isa vecISA, m, k int, a []T, lda int, x, y []T) {
	a = a[:(k-1)*lda+m]
	switch a := any(a).(type) {
	case []float32:
		gemvColsAddF32(isa, m, k, a, lda, any(x).([]float32), any(y).([]float32))
	case []float64:
		gemvColsAddF64(isa, m, k, a, lda, any(x).([]float64), any(y).([]float64))
	}
}

// canonical sets the strides that no element of a rows×cols view uses to the simplest
// values: a unit column stride for a single column, a row stride past the row for a single
// row.
func (x Matrix[T]) canonical(rows, cols int) Matrix[T] {
	if cols == 1 {
		x.ColStride = 1
	}
	if rows == 1 {
		x.RowStride = max(x.RowStride, cols)
	}
	return x
}

// complete fills the zero fields of p from def and rounds the blocking to the micro-tile.
func (p GemmParams) complete(def GemmParams) GemmParams {
	if p.MC <= 0 {
		p.MC = def.MC
	}
	if p.KC <= 0 {
		p.KC = def.KC
	}
	if p.NC <= 0 {
		p.NC = def.NC
	}
	if p.Threads <= 0 {
		p.Threads = runtime.GOMAXPROCS(0)
	}
	p.MR, p.NR, p.Level = def.MR, def.NR, def.Level
	p.MC = (p.MC + p.MR - 1) / p.MR * p.MR
	p.NC = (p.NC + p.NR - 1) / p.NR * p.NR
	return p
}

// scaleC computes C = beta·C (beta = 0 clears C, NaN included).
func scaleC[T Float](m, n int, beta T, c Matrix[T]) {
	if beta == 1 {
		return
	}
	for i := range m {
		for j := range n {
			o := c.index(i, j)
			if beta == 0 {
				c.Data[o] = 0
			} else {
				c.Data[o] *= beta
			}
		}
	}
}

// gemmJob is one call's work, shared out among workers.
type gemmJob[T Float] struct {
	mk      microKernel[T]
	prm     GemmParams
	k       int
	a, b, c Matrix[T]
	beta    T
	direct  bool        // C is stored by rows (unit column stride): whole tiles are written in place
	rowA    bool        // whole micro-panels of A are read from A, not packed (see microKernel.rowA)
	rowB    bool        // whole micro-panels of B are read from B, not packed (see microKernel.rowB)
	colA    bool        // whole micro-panels of A are read from a column-major A (see microKernel.colA)
	epi     Epilogue[T] // nil, or run on each tile after the last block of k
	swapped bool        // c is the transpose of the caller's C (the epilogue speaks of the caller's)
	ha, hb  *HalfMatrix // where not nil, A or B is this 16-bit matrix, widened as it is packed
	isa     vecISA      // the level's vector instructions, which widen ha and hb
	pairs   bool        // ha and hb are bfloat16, packed in pairs for mk (k counts pairs)
	kElems  int         // the depth of the product in elements (k, unless pairs)
}

// gemvBytesPerThread is the size of a matrix-vector product's matrix, which it streams from
// memory, below which another thread does not pay: x [1, n] times a transposed n × n weight
// took, on one thread and on two (µs), Float32 512: 13-16 and 17-18, 768: 28-30 and 30-36,
// 1024: 47-51 and 41-43; BFloat16 768: 18-19 and 22-24, 1024: 29-32 and 36-37; 2048 the
// same either way.
var gemvBytesPerThread = 2 << 20 // (a variable for the tests of threading)

// minGemmWorkPerThread is the same for a GEMM, whose threads each pack the blocks of A and
// wait for one another: on two cores of Zen 5 a single thread was faster up to 160³ (a
// 64³ float32 product through the tensor API took 6.5 µs on one, 10-11 µs on two; 128³
// 26-28 µs against 31-33; 160³ 45-47 against 57-64), and the same from 192³ up.
var minGemmWorkPerThread = 128 * 128 * 128 // (a variable for the tests of threading)

// run computes the m×n product on up to prm.Threads workers. Where the columns of C split
// evenly, each worker computes its own columns from its own panels of B̃ (and packs the
// blocks of A itself: measured on two cores, sharing B̃ instead was no faster on square
// products and 30% slower on 128×1500×1280, whose B̃ each core then half reads from the
// other's cache). Where they do not (few columns, many rows), the workers share each packed
// panel B̃, packing it together, and split the rows of C.
func (g *gemmJob[T]) run(m, n int) {
	mr, nr := g.mk.mr, g.mk.nr
	rp, cp := (m+mr-1)/mr, (n+nr-1)/nr // micro-panels of rows and columns
	workers := min(g.prm.Threads, max(1, m*n*g.k/minGemmWorkPerThread), rp*cp)
	if workers <= 1 {
		g.block(0, m, 0, n)
		return
	}
	if ic := imbalance(cp, workers); ic > 1.1 && rp >= workers && imbalance(rp, workers) < ic {
		g.shared(m, n, workers)
		return
	}
	workers = min(workers, cp)
	var wg sync.WaitGroup
	for w := range workers {
		j0, j1 := min(n, cp*w/workers*nr), min(n, cp*(w+1)/workers*nr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.block(0, m, j0, j1)
		}()
	}
	wg.Wait()
}

// imbalance is the work of the busiest of w workers sharing p equal pieces, relative to an
// even share.
func imbalance(p, w int) float64 {
	if p < w {
		return float64(w) / float64(p)
	}
	return float64((p+w-1)/w) * float64(w) / float64(p)
}

// shared computes the m×n product with workers that share B̃ and split the rows of C. B̃ is
// double-buffered: a worker packing its share of the next panel knows that everyone is done
// with the one before the current one, having passed the barrier after it, so one barrier
// per panel suffices.
func (g *gemmJob[T]) shared(m, n, workers int) {
	mr, nr := g.mk.mr, g.mk.nr
	rp := (m + mr - 1) / mr
	ncMax := min(g.prm.NC, (n+nr-1)/nr*nr)
	kcMax, nkb := kBlocking(g.k, g.prm.KC)
	bb := getBufs[T](0, 2*ncMax*kcMax, 0)
	defer putBufs(bb)
	bar := newBarrier(workers)
	var wg sync.WaitGroup
	for w := range workers {
		i0, i1 := min(m, rp*w/workers*mr), min(m, rp*(w+1)/workers*mr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			mcMax := min(g.prm.MC, (i1-i0+mr-1)/mr*mr)
			bf := getBufs[T](mcMax*kcMax, 0, mr*nr)
			defer putBufs(bf)
			it := 0
			for jc := 0; jc < n; jc += ncMax {
				nc := min(ncMax, n-jc)
				np := (nc + nr - 1) / nr
				q0, q1 := np*w/workers, np*(w+1)/workers
				for kb := range nkb {
					pc := kb * kcMax
					kc := min(kcMax, g.k-pc)
					bt := bb.b[it%2*ncMax*kcMax:][:ncMax*kcMax]
					it++
					g.packB(bt, jc, nc, pc, kc, q0, q1)
					bar.wait()
					beta := g.beta
					if kb > 0 {
						beta = 1
					}
					for ic := i0; ic < i1; ic += mcMax {
						mc := min(mcMax, i1-ic)
						g.packA(bf.a, ic, mc, pc, kc)
						g.macro(bf.a, bt, bf.tile, ic, mc, jc, pc, nc, kc, beta, kb == nkb-1)
					}
				}
			}
		}()
	}
	wg.Wait()
}

// A barrier holds each of n goroutines in wait until all n have called it.
type barrier struct {
	mu      sync.Mutex
	cond    sync.Cond
	n, left int
	gen     uint64
}

func newBarrier(n int) *barrier {
	b := &barrier{n: n, left: n}
	b.cond.L = &b.mu
	return b
}

func (b *barrier) wait() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.left--
	if b.left == 0 {
		b.left = b.n
		b.gen++
		b.cond.Broadcast()
		return
	}
	for gen := b.gen; gen == b.gen; {
		b.cond.Wait()
	}
}

// packBufs are one worker's packing buffers.
type packBufs[T Float] struct {
	a, b, tile []T
}

var packPools [2]sync.Pool

func getBufs[T Float](na, nb, nt int) *packBufs[T] {
	pool := &packPools[0]
	var z T
	if unsafe.Sizeof(z) == 8 {
		pool = &packPools[1]
	}
	bf, _ := pool.Get().(*packBufs[T])
	if bf == nil {
		bf = &packBufs[T]{}
	}
	if len(bf.a) < na {
		bf.a = alignedSlice[T](na)
	}
	if len(bf.b) < nb {
		bf.b = alignedSlice[T](nb)
	}
	if len(bf.tile) < nt {
		bf.tile = alignedSlice[T](nt)
	}
	return bf
}

func putBufs[T Float](bf *packBufs[T]) {
	var z T
	if unsafe.Sizeof(z) == 8 {
		packPools[1].Put(bf)
	} else {
		packPools[0].Put(bf)
	}
}

// alignedSlice returns n elements starting on a 64-byte (cache line) boundary.
func alignedSlice[T Float](n int) []T {
	var z T
	sz := int(unsafe.Sizeof(z))
	s := make([]T, n+64/sz)
	off := 0
	if r := int(uintptr(unsafe.Pointer(unsafe.SliceData(s))) & 63); r != 0 {
		off = (64 - r) / sz
	}
	return s[off : off+n : off+n]
}

// block computes rows [i0, i1) and columns [j0, j1) of C.
func (g *gemmJob[T]) block(i0, i1, j0, j1 int) {
	mr, nr := g.mk.mr, g.mk.nr
	mcMax := min(g.prm.MC, (i1-i0+mr-1)/mr*mr)
	ncMax := min(g.prm.NC, (j1-j0+nr-1)/nr*nr)
	kcMax, nkb := kBlocking(g.k, g.prm.KC)
	bf := getBufs[T](mcMax*kcMax, ncMax*kcMax, mr*nr)
	defer putBufs(bf)
	for jc := j0; jc < j1; jc += ncMax {
		nc := min(ncMax, j1-jc)
		for kb := range nkb {
			pc := kb * kcMax
			kc := min(kcMax, g.k-pc)
			beta := g.beta
			if kb > 0 {
				beta = 1
			}
			g.packB(bf.b, jc, nc, pc, kc, 0, (nc+nr-1)/nr)
			for ic := i0; ic < i1; ic += mcMax {
				mc := min(mcMax, i1-ic)
				g.packA(bf.a, ic, mc, pc, kc)
				g.macro(bf.a, bf.b, bf.tile, ic, mc, jc, pc, nc, kc, beta, kb == nkb-1)
			}
		}
	}
}

// kBlocking splits k into nkb blocks of kc (the last one shorter), as even as multiples of
// eight allow, so that no block is a sliver.
func kBlocking(k, kcMax int) (kc, nkb int) {
	nkb = (k + kcMax - 1) / kcMax
	kc = (k + nkb - 1) / nkb
	kc = min(kcMax, (kc+7)&^7)
	return kc, (k + kc - 1) / kc
}

// macro runs the micro-kernel over the mc×nc block of C at (ic, jc) from the packed Ã and
// B̃ (tile is a scratch micro-tile). last says that this is the last block of k, after which
// the epilogue finishes C.
func (g *gemmJob[T]) macro(pa, pb, tile []T, ic, mc, jc, pc, nc, kc int, beta T, last bool) {
	if last && g.epi != nil {
		g.macroBands(pa, pb, tile, ic, mc, jc, pc, nc, kc, beta)
		return
	}
	mr, nr := g.mk.mr, g.mk.nr
	var z T
	panelLines := (kc*nr*int(unsafe.Sizeof(z)) + 63) / 64
	nir := (mc + mr - 1) / mr
	pfLines := (panelLines + nir - 1) / nir
	for jr := 0; jr < nc; jr += nr {
		bp := pb[jr*kc : (jr+nr)*kc]
		// While this micro-panel of B̃ is used, bring the next one from L3 into L2, a slice
		// per micro-tile.
		var bnext unsafe.Pointer
		if jr+nr < nc {
			bnext = unsafe.Pointer(unsafe.SliceData(pb[(jr+nr)*kc:]))
		}
		if g.rowB && jr+2*nr <= nc {
			// The next micro-panel of an unpacked B is kc short rows far apart, which the
			// hardware does not see coming.
			o := g.b.index(pc, jc+jr+nr)
			prefetchRows(unsafe.Pointer(&g.b.Data[o]), kc, g.b.RowStride*int(unsafe.Sizeof(z)))
		}
		for ir := 0; ir < mc; ir += mr {
			if g.rowA && ir+2*mr <= mc {
				// Likewise the start of the rows of the next micro-panel of an unpacked A.
				o := g.a.index(ic+ir+mr, pc)
				prefetchRows(unsafe.Pointer(&g.a.Data[o]), mr, g.a.RowStride*int(unsafe.Sizeof(z)))
			}
			if g.colA && ir+2*mr <= mc {
				// And the pieces of the columns of the next micro-panel of a column-major A.
				o := g.a.index(ic+ir+mr, pc)
				prefetchRows(unsafe.Pointer(&g.a.Data[o]), kc, g.a.ColStride*int(unsafe.Sizeof(z)))
			}
			if first := ir / mr * pfLines; bnext != nil && first < panelLines && !g.rowB {
				prefetchL2(unsafe.Add(bnext, first*64), min(pfLines, panelLines-first))
			}
			g.tile(pa[ir*kc:(ir+mr)*kc], bp, tile, ic+ir, min(mr, mc-ir), jc+jr, pc, min(nr, nc-jr), kc, beta)
		}
	}
}

// macroBands is macro with the loops turned around, for the last block of k when there is
// an epilogue: each band of MR rows is computed across the whole block, then finished by the
// epilogue while it is still in L1 or L2, as long runs of each row rather than a row of a
// micro-tile at a time.
func (g *gemmJob[T]) macroBands(pa, pb, tile []T, ic, mc, jc, pc, nc, kc int, beta T) {
	mr, nr := g.mk.mr, g.mk.nr
	c := g.c
	for ir := 0; ir < mc; ir += mr {
		ap := pa[ir*kc : (ir+mr)*kc]
		mt := min(mr, mc-ir)
		for jr := 0; jr < nc; jr += nr {
			g.tile(ap, pb[jr*kc:(jr+nr)*kc], tile, ic+ir, mt, jc+jr, pc, min(nr, nc-jr), kc, beta)
		}
		off := c.index(ic+ir, jc)
		if g.swapped {
			g.epi(jc, ic+ir, nc, mt, c.Data, off, c.ColStride, c.RowStride)
		} else {
			g.epi(ic+ir, jc, mt, nc, c.Data, off, c.RowStride, c.ColStride)
		}
	}
}

// tile computes the mt×nt tile of C at (i, j) from micro-panels ap (or, with rowA, rows
// i.. of A from column pc on, when the tile has all its rows) and bp (or, with rowB, rows
// pc.. of B from column j on, when the tile has all its columns): in place when C is stored
// by rows and the tile is whole, else through the scratch tile.
func (g *gemmJob[T]) tile(ap, bp, tile []T, i, mt, j, pc, nt, kc int, beta T) {
	c := g.c
	off := c.index(i, j)
	mr, nr := g.mk.mr, g.mk.nr
	dst, ldc, b := c.Data[off:], c.RowStride, beta
	whole := g.direct && mt == mr && nt == nr
	if !whole {
		dst, ldc, b = tile, nr, 0
	}
	switch {
	case g.rowA && mt == mr:
		o, lda := g.a.index(i, pc), g.a.RowStride
		g.mk.rowA(kc, g.a.Data[o:o+(mr-1)*lda+kc], lda, bp, dst, ldc, b)
	case g.colA && mt == mr:
		o, lda := g.a.index(i, pc), g.a.ColStride
		g.mk.colA(kc, g.a.Data[o:o+(kc-1)*lda+mr], lda, bp, dst, ldc, b)
	case g.rowB && nt == nr:
		o, ldb := g.b.index(pc, j), g.b.RowStride
		g.mk.rowB(kc, ap, g.b.Data[o:o+(kc-1)*ldb+nr], ldb, dst, ldc, b)
	default:
		g.mk.fn(kc, ap, bp, dst, ldc, b)
	}
	if !whole {
		storeTile(c, off, tile, nr, mt, nt, beta)
	}
}

// packB packs micro-panels [q0, q1) of columns [jc, jc+nc) and rows [pc, pc+kc) of B into
// B̃; with rowB, only the last micro-panel when it is partial.
func (g *gemmJob[T]) packB(dst []T, jc, nc, pc, kc, q0, q1 int) {
	nr := g.mk.nr
	if q1 <= q0 {
		return
	}
	if g.pairs {
		packPairs(any(dst[q0*nr*kc:]).([]float32), *g.hb.t(), jc+q0*nr, min(nc, q1*nr)-q0*nr, pc, kc, g.kElems, nr)
		return
	}
	if g.hb != nil {
		packPanelsHalf(g.isa, any(dst[q0*nr*kc:]).([]float32), *g.hb.t(), jc+q0*nr, min(nc, q1*nr)-q0*nr, pc, kc, nr)
		return
	}
	if g.rowB {
		if q1*nr <= nc {
			return // whole micro-panels only
		}
		q0 = q1 - 1
	}
	packPanels(dst[q0*nr*kc:], g.b.T(), jc+q0*nr, min(nc, q1*nr)-q0*nr, pc, kc, nr)
}

// packA packs rows [ic, ic+mc) and columns [pc, pc+kc) of A into Ã; with rowA or colA,
// only the last micro-panel when it is partial (the whole ones are read from A).
func (g *gemmJob[T]) packA(dst []T, ic, mc, pc, kc int) {
	if g.pairs {
		if !g.rowA {
			packPairs(any(dst).([]float32), *g.ha, ic, mc, pc, kc, g.kElems, g.mk.mr)
		} else if full := mc / g.mk.mr * g.mk.mr; full < mc {
			packPairs(any(dst[full*kc:]).([]float32), *g.ha, ic+full, mc-full, pc, kc, g.kElems, g.mk.mr)
		}
		return
	}
	if g.ha != nil {
		packPanelsHalf(g.isa, any(dst).([]float32), *g.ha, ic, mc, pc, kc, g.mk.mr)
		return
	}
	if !g.rowA && !g.colA {
		packPanels(dst, g.a, ic, mc, pc, kc, g.mk.mr)
		return
	}
	if full := mc / g.mk.mr * g.mk.mr; full < mc {
		packPanels(dst[full*kc:], g.a, ic+full, mc-full, pc, kc, g.mk.mr)
	}
}

// storeTile computes C = tile + beta·C on the mt×nt corner of the tile, as a micro-kernel
// would.
func storeTile[T Float](c Matrix[T], off int, tile []T, ldt, mt, nt int, beta T) {
	for i := range mt {
		t := tile[i*ldt : i*ldt+nt]
		o := off + i*c.RowStride
		if c.ColStride == 1 {
			row := c.Data[o : o+nt]
			switch beta {
			case 0:
				copy(row, t)
			case 1:
				for j, v := range t {
					row[j] += v
				}
			default:
				for j, v := range t {
					row[j] = fma(beta, row[j], v)
				}
			}
			continue
		}
		for _, v := range t {
			switch beta {
			case 0:
				c.Data[o] = v
			case 1:
				c.Data[o] += v
			default:
				c.Data[o] = fma(beta, c.Data[o], v)
			}
			o += c.ColStride
		}
	}
}

// packPanels packs rows [i0, i0+mc) and columns [p0, p0+kc) of x into w-row micro-panels:
// micro-panel q holds x[i0+q*w+i, p0+p] at dst[q*w*kc + p*w + i], and zeros for the rows past
// mc. A is packed as it is; B is packed through its transpose, so that its micro-panels hold
// w columns of B.
func packPanels[T Float](dst []T, x Matrix[T], i0, mc, p0, kc, w int) {
	if x.RowStride == 1 && x.ColStride != 1 {
		// Each column of x is contiguous: copy w-long pieces, walking x by columns (the
		// rows of B in memory) so that it is read in order.
		packCols(dst, x.Data, x.index(i0, p0), mc, w, kc, x.ColStride)
		return
	}
	for q := 0; q*w < mc; q++ {
		rows := min(w, mc-q*w)
		d := dst[q*w*kc : (q+1)*w*kc]
		base := x.index(i0+q*w, p0)
		if x.ColStride == 1 {
			packRows(d, x.Data, base, rows, w, kc, x.RowStride)
		} else {
			packStrided(d, x.Data, base, rows, w, kc, x.RowStride, x.ColStride)
		}
	}
}

// packRows packs a micro-panel whose rows are contiguous in src (d[p*w+i] = src[base+i*rs+p]),
// four rows at a time.
func packRows[T Float](d, src []T, base, rows, w, kc, rs int) {
	if rows < w {
		clear(d)
	}
	i := 0
	if _, ok := any(src).([]float32); ok && packRows8F32 != nil && rs > 0 && kc > 0 {
		// Eight rows at a time write a panel's rows in 32-byte pieces rather than 16.
		for ; i+8 <= rows; i += 8 {
			o := base + i*rs
			packRows8F32(any(d[i:i+(kc-1)*w+8]).([]float32), any(src[o:o+7*rs+kc]).([]float32), rs, kc, w)
		}
	}
	for ; i+4 <= rows; i += 4 {
		packRows4(d[i:], src, base+i*rs, rs, kc, w)
	}
	for ; i < rows; i++ {
		row := src[base+i*rs : base+i*rs+kc]
		dd := d[i:]
		for p, v := range row {
			dd[p*w] = v
		}
	}
}

// packRows4F32 and packRows4F64 are packRows4Go in assembly, where the CPU has it (else nil).
var (
	packRows4F32 func(d, src []float32, rs, kc, w int)
	packRows4F64 func(d, src []float64, rs, kc, w int)
)

// packRows8F32 packs eight float32 rows as packRows4Go packs four (d[p*w+i] =
// src[i*rs+p], i < 8), in assembly where the CPU has it (else nil).
var packRows8F32 func(d, src []float32, rs, kc, w int)

// packRows4 packs four rows with packRows4F32 or packRows4F64 where there is one.
func packRows4[T Float](d, src []T, base, rs, kc, w int) {
	if rs > 0 && kc > 0 {
		// The slicing bounds what the assembly touches.
		dd, ss := d[:(kc-1)*w+4], src[base:base+3*rs+kc]
		switch dd := any(dd).(type) {
		case []float32:
			if packRows4F32 != nil {
				packRows4F32(dd, any(ss).([]float32), rs, kc, w)
				return
			}
		case []float64:
			if packRows4F64 != nil {
				packRows4F64(dd, any(ss).([]float64), rs, kc, w)
				return
			}
		}
	}
	packRows4Go(d, src, base, rs, kc, w)
}

// packRows4Go packs four rows of a micro-panel, transposing 4×4 blocks:
//
//	for i < 4, p < kc:
//		d[p*w+i] = src[base+i*rs+p]
func packRows4Go[T Float](d, src []T, base, rs, kc, w int) {
	r0 := src[base : base+kc]
	r1 := src[base+rs : base+rs+kc]
	r2 := src[base+2*rs : base+2*rs+kc]
	r3 := src[base+3*rs : base+3*rs+kc]
	p := 0
	for ; p+4 <= kc; p += 4 {
		x0, x1, x2, x3 := (*[4]T)(r0[p:p+4]), (*[4]T)(r1[p:p+4]), (*[4]T)(r2[p:p+4]), (*[4]T)(r3[p:p+4])
		do := p * w
		d0 := (*[4]T)(d[do : do+4])
		d1 := (*[4]T)(d[do+w : do+w+4])
		d2 := (*[4]T)(d[do+2*w : do+2*w+4])
		d3 := (*[4]T)(d[do+3*w : do+3*w+4])
		*d0 = [4]T{x0[0], x1[0], x2[0], x3[0]}
		*d1 = [4]T{x0[1], x1[1], x2[1], x3[1]}
		*d2 = [4]T{x0[2], x1[2], x2[2], x3[2]}
		*d3 = [4]T{x0[3], x1[3], x2[3], x3[3]}
	}
	for ; p < kc; p++ {
		*(*[4]T)(d[p*w : p*w+4]) = [4]T{r0[p], r1[p], r2[p], r3[p]}
	}
}

// packCols packs the micro-panels of rows [0, mc) of a matrix whose columns are contiguous in
// src (dst[q*w*kc + p*w + i] = src[base+q*w+i+p*cs]), one column at a time.
func packCols[T Float](dst, src []T, base, mc, w, kc, cs int) {
	for p := range kc {
		packColumn(dst[p*w:], src[base+p*cs:base+p*cs+mc], mc, w, kc)
	}
}

// packColumn packs s, a column of mc rows, into place p of micro-panels kc deep of w rows:
// given d = dst[p*w:], the piece of rows [q, q+w) goes to d[q*kc : q*kc+w], zeros padding
// rows past mc.
func packColumn[T Float](d, s []T, mc, w, kc int) {
	full := mc / w * w
	q := 0
	switch w {
	case 4:
		for ; q < full; q += 4 {
			*(*[4]T)(d[q*kc : q*kc+4]) = *(*[4]T)(s[q : q+4])
		}
	case 6:
		for ; q < full; q += 6 {
			*(*[6]T)(d[q*kc : q*kc+6]) = *(*[6]T)(s[q : q+6])
		}
	case 12:
		for ; q < full; q += 12 {
			*(*[12]T)(d[q*kc : q*kc+12]) = *(*[12]T)(s[q : q+12])
		}
	case 14:
		for ; q < full; q += 14 {
			*(*[14]T)(d[q*kc : q*kc+14]) = *(*[14]T)(s[q : q+14])
		}
	case 28:
		for ; q < full; q += 28 {
			*(*[28]T)(d[q*kc : q*kc+28]) = *(*[28]T)(s[q : q+28])
		}
	case 8:
		for ; q < full; q += 8 {
			*(*[8]T)(d[q*kc : q*kc+8]) = *(*[8]T)(s[q : q+8])
		}
	case 16:
		for ; q < full; q += 16 {
			*(*[16]T)(d[q*kc : q*kc+16]) = *(*[16]T)(s[q : q+16])
		}
	case 32:
		for ; q < full; q += 32 {
			*(*[32]T)(d[q*kc : q*kc+32]) = *(*[32]T)(s[q : q+32])
		}
	}
	for ; q < full; q += w {
		copy(d[q*kc:q*kc+w], s[q:q+w])
	}
	if q < mc {
		t := d[q*kc : q*kc+w]
		copy(t, s[q:])
		clear(t[mc-q:])
	}
}

// packStrided packs a micro-panel from any strides (d[p*w+i] = src[base+i*rs+p*cs]).
func packStrided[T Float](d, src []T, base, rows, w, kc, rs, cs int) {
	if rows < w {
		clear(d)
	}
	for p := range kc {
		o := base + p*cs
		dd := d[p*w : p*w+rows]
		for i := range dd {
			dd[i] = src[o+i*rs]
		}
	}
}

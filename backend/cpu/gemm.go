package cpu

import (
	"runtime"
	"sync"
	"unsafe"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/graph"
)

// A float32 or float64 contraction whose operands are plain loads (no mask) runs on the asm
// GEMM straight from the input buffers, whatever their strides: transposes, slices, flips and
// broadcasts are all strided matrices. Float32 accumulates in float32, as BLAS does.

// gemmOK reports whether the kernel's contraction can run on the asm GEMM.
func (p *program) gemmOK(ins []*Buffer) bool {
	c := p.k.Core
	if c == nil || c.Op != graph.OpContract || (c.DType != graph.Float32 && c.DType != graph.Float64) {
		return false
	}
	for _, e := range c.Src {
		if e.Op != graph.OpLoad || e.View.Mask != nil || e.DType != c.DType || ins[e.Input].dt != c.DType ||
			len(e.View.Shape) != len(c.Shape) {
			return false
		}
	}
	return true
}

// gemmDirect computes the kernel into out when its output is the contraction, possibly
// finished by a tile epilogue, of the same dtype: the GEMM then writes the output buffer in
// place. It reports whether it did.
func (p *program) gemmDirect(out *Buffer, ins []*Buffer) bool {
	c := p.k.Core
	if out.dt != c.DType || out.n != graph.NumElements(c.Shape) || !p.gemmOK(ins) {
		return false
	}
	t := p.tile
	if p.k.Expr.Op != graph.OpCoreValue && (t == nil || !t.inputsOK(ins)) {
		return false
	}
	switch out.dt {
	case graph.Float32:
		return gemmBatched(c, ins, view[float32](out), t) == nil
	default:
		return gemmBatched(c, ins, view[float64](out), t) == nil
	}
}

// contractGemm computes the contraction on the asm GEMM into the float64 array that the
// epilogue reads, or returns nil when it cannot.
func (p *program) contractGemm(ins []*Buffer) []float64 {
	if !p.gemmOK(ins) {
		if inF32(p.k.Core.DType) {
			return p.contractF32(ins)
		}
		return nil
	}
	c := p.k.Core
	out := make([]float64, graph.NumElements(c.Shape))
	switch c.DType {
	case graph.Float32:
		tmp := make([]float32, len(out))
		if gemmBatched(c, ins, tmp, nil) != nil {
			return nil
		}
		for i, v := range tmp {
			out[i] = float64(v)
		}
	default:
		if gemmBatched(c, ins, out, nil) != nil {
			return nil
		}
	}
	return out
}

// gemmBatched computes the batched product of the core's operands into dst, row-major
// [..., M, N], finished by the tile epilogue t unless it is nil. Many small products share
// out the cores one product each; otherwise each product uses all of them. The blocking is
// the tuned one of the shape where CROSSBAR_TUNE and the cache have one (see tune.go).
func gemmBatched[T asm.Float](c *graph.Core, ins []*Buffer, dst []T, t *tileEpilogue) error {
	va, vb := c.Src[0].View, c.Src[1].View
	da, db := view[T](ins[c.Src[0].Input]), view[T](ins[c.Src[1].Input])
	r := len(c.Shape)
	m, n, k := c.Shape[r-2], c.Shape[r-1], va.Shape[r-1]
	batch := graph.NumElements(c.Shape[:r-2])
	one := func(bi int, prm *asm.GemmParams) error {
		oa, ob := va.Offset, vb.Offset
		rem := bi
		for d := r - 3; d >= 0; d-- {
			i := rem % c.Shape[d]
			rem /= c.Shape[d]
			oa += i * va.Strides[d]
			ob += i * vb.Strides[d]
		}
		a := asm.Matrix[T]{Data: da, Offset: oa, RowStride: va.Strides[r-2], ColStride: va.Strides[r-1]}
		b := asm.Matrix[T]{Data: db, Offset: ob, RowStride: vb.Strides[r-2], ColStride: vb.Strides[r-1]}
		cm := asm.Matrix[T]{Data: dst, Offset: bi * m * n, RowStride: n, ColStride: 1}
		var epi asm.Epilogue[T]
		if t != nil {
			epi = epilogueOf[T](t, ins, c.Shape, bi)
		}
		return asm.GemmEpilogue(m, n, k, a, b, 0, cm, prm, epi)
	}
	var z T
	dt := graph.Float32
	if unsafe.Sizeof(z) == 8 {
		dt = graph.Float64
	}
	return runBatched(dt, batch, m, n, k, one)
}

// runBatched runs one(bi, params) for the batch's products of m × k by k × n in dt: many
// small products share out the cores one product each; otherwise each product uses all of
// them.
func runBatched(dt graph.DType, batch, m, n, k int, one func(bi int, prm *asm.GemmParams) error) error {
	prm := gemmTuner.params(dt, asm.Level(), m, n, k)
	if h := gemmParamsHook.Load(); h != nil {
		(*h)(m, n, k, prm)
	}
	workers := runtime.GOMAXPROCS(0)
	if batch < 2 || batch < workers && m*n*k >= 64*64*64 {
		for bi := range batch {
			if err := one(bi, prm); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		mu  sync.Mutex
		err error
	)
	single := &asm.GemmParams{Threads: 1}
	if prm != nil {
		single = &asm.GemmParams{MC: prm.MC, KC: prm.KC, NC: prm.NC, Level: prm.Level, Threads: 1}
	}
	parallelFor(batch, max(1, 32*32*32/max(1, m*n*k)), func(_, lo, hi int) {
		for bi := lo; bi < hi; bi++ {
			if e := one(bi, single); e != nil {
				mu.Lock()
				err = e
				mu.Unlock()
				return
			}
		}
	})
	return err
}

// contractF32 computes a contraction of Float32 operands that are not plain loads (a masked
// view, a fused prologue), or of Float16 or BFloat16 ones, on the float32 asm GEMM: each
// operand is evaluated whole into a float32 matrix (16-bit values widen exactly), and the
// products accumulate in float32, as a GPU's tensor cores do for the 16-bit dtypes; the
// result is rounded to the dtype once, when it is stored.
func (p *program) contractF32(ins []*Buffer) []float64 {
	c := p.k.Core
	r := len(c.Shape)
	m, n := c.Shape[r-2], c.Shape[r-1]
	batch := graph.NumElements(c.Shape[:r-2])
	if m == 0 || n == 0 || batch == 0 {
		return make([]float64, batch*m*n)
	}
	k := graph.NumElements(c.Src[0].View.Shape) / (batch * m)
	a := p.evalAllF32(p.core[0], ins, batch*m*k)
	dst := make([]float32, batch*m*n)
	if m <= thinRows {
		if p.contractThinF32(ins, a, dst, batch, m, n, k) != nil {
			return nil
		}
		return widen(dst)
	}
	b := p.evalAllF32(p.core[1], ins, batch*k*n)
	err := runBatched(graph.Float32, batch, m, n, k, func(bi int, prm *asm.GemmParams) error {
		return asm.GemmEpilogue(m, n, k,
			asm.Matrix[float32]{Data: a, Offset: bi * m * k, RowStride: k, ColStride: 1},
			asm.Matrix[float32]{Data: b, Offset: bi * k * n, RowStride: n, ColStride: 1},
			0, asm.Matrix[float32]{Data: dst, Offset: bi * m * n, RowStride: n, ColStride: 1}, prm, nil)
	})
	if err != nil {
		return nil
	}
	return widen(dst)
}

func widen(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// thinRows is the most rows of A for which contractF32 evaluates B a piece at a time: a
// matrix-vector product reads each element of B once, so converting all of B first (written
// out and read back) would take longer than the product.
const thinRows = 4

// Pieces of B that contractThinF32 evaluates at a time: thinStripe columns of thinDepth rows
// (64 KiB of float32, which the product reads while it is in L2).
const (
	thinStripe = 512
	thinDepth  = 32
)

// contractThinF32 computes dst = A·B for A of m <= thinRows rows (a, evaluated) and B the
// core's second operand, each worker taking stripes of B's columns and evaluating a piece
// of a stripe before multiplying it in; C accumulates the pieces in float32.
func (p *program) contractThinF32(ins []*Buffer, a, dst []float32, batch, m, n, k int) error {
	stripes := (n + thinStripe - 1) / thinStripe
	single := &asm.GemmParams{Threads: 1}
	var (
		mu  sync.Mutex
		err error
	)
	parallelFor(batch*stripes, 1, func(_, lo, hi int) {
		c := newCtx(p.slots, ins)
		defer putCtx(c)
		buf := make([]float32, thinDepth*thinStripe)
		for q := lo; q < hi; q++ {
			bi, n0 := q/stripes, q%stripes*thinStripe
			w := min(thinStripe, n-n0)
			for k0 := 0; k0 < k; k0 += thinDepth {
				d := min(thinDepth, k-k0)
				for l := range d {
					row := buf[l*w : (l+1)*w]
					if v := p.core[1].evalF32(c, (bi*k+k0+l)*n+n0, w, row); &v[0] != &row[0] {
						copy(row, v)
					}
				}
				beta := float32(1)
				if k0 == 0 {
					beta = 0
				}
				e := asm.GemmEpilogue(m, w, d,
					asm.Matrix[float32]{Data: a, Offset: bi*m*k + k0, RowStride: k, ColStride: 1},
					asm.Matrix[float32]{Data: buf, RowStride: w, ColStride: 1},
					beta, asm.Matrix[float32]{Data: dst, Offset: bi*m*n + n0, RowStride: n, ColStride: 1}, single, nil)
				if e != nil {
					mu.Lock()
					err = e
					mu.Unlock()
					return
				}
			}
		}
	})
	return err
}

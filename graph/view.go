package graph

import (
	"fmt"
	"strings"
)

// A View says how a logical tensor of Shape is read from a linear buffer: the element at
// multi-index i lives at Offset + Σ i[k]*Strides[k], and reads as zero wherever i lies outside
// Mask (Mask[k] is the valid range [lo, hi) of axis k; a nil Mask means every index is valid).
// Strides are in elements, may be zero (broadcast) or negative (flip).
type View struct {
	Shape   []int
	Strides []int
	Offset  int
	Mask    [][2]int
}

// ContiguousStrides are the row-major strides of shape.
func ContiguousStrides(shape []int) []int {
	st := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = acc
		acc *= shape[i]
	}
	return st
}

// NumElements is the product of shape (1 for a scalar).
func NumElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Contiguous is the row-major view of a buffer of the given shape.
func Contiguous(shape []int) View {
	return View{Shape: clone(shape), Strides: ContiguousStrides(shape)}
}

// IsContiguous reports whether v reads a buffer exactly in row-major order from its offset.
func (v View) IsContiguous() bool {
	if v.Mask != nil {
		return false
	}
	if NumElements(v.Shape) == 0 {
		return true
	}
	want := ContiguousStrides(v.Shape)
	for i, d := range v.Shape {
		if d != 1 && v.Strides[i] != want[i] {
			return false
		}
	}
	return true
}

// Valid reports whether the multi-index idx is inside the mask.
func (v View) Valid(idx []int) bool {
	for k, m := range v.Mask {
		if idx[k] < m[0] || idx[k] >= m[1] {
			return false
		}
	}
	return true
}

// Index is the buffer position of multi-index idx (meaningful only where Valid).
func (v View) Index(idx []int) int {
	off := v.Offset
	for k, i := range idx {
		off += i * v.Strides[k]
	}
	return off
}

func (v View) clone() View {
	w := View{Shape: clone(v.Shape), Strides: clone(v.Strides), Offset: v.Offset}
	if v.Mask != nil {
		w.Mask = append([][2]int(nil), v.Mask...)
	}
	return w
}

// mask returns the valid range of axis k.
func (v View) mask(k int) [2]int {
	if v.Mask == nil {
		return [2]int{0, v.Shape[k]}
	}
	return v.Mask[k]
}

// simplify drops a mask that hides nothing, and turns an empty mask into an all-zero view.
func (v View) simplify() View {
	if v.Mask == nil {
		return v
	}
	full := true
	for k, m := range v.Mask {
		if m[0] >= m[1] && v.Shape[k] > 0 {
			// Nothing is valid: every read is zero, whatever the strides say.
			w := View{Shape: v.Shape, Strides: make([]int, len(v.Shape)), Mask: make([][2]int, len(v.Shape))}
			return w
		}
		if m[0] > 0 || m[1] < v.Shape[k] {
			full = false
		}
	}
	if full {
		v.Mask = nil
	}
	return v
}

// Permute reorders the axes: axis k of the result is axis axes[k] of v.
func (v View) Permute(axes []int) View {
	w := View{Shape: make([]int, len(axes)), Strides: make([]int, len(axes)), Offset: v.Offset}
	if v.Mask != nil {
		w.Mask = make([][2]int, len(axes))
	}
	for k, a := range axes {
		w.Shape[k] = v.Shape[a]
		w.Strides[k] = v.Strides[a]
		if v.Mask != nil {
			w.Mask[k] = v.Mask[a]
		}
	}
	return w
}

// Expand broadcasts axes of size 1 to the sizes in shape (same rank).
func (v View) Expand(shape []int) View {
	w := v.clone()
	for k, d := range shape {
		if v.Shape[k] == d {
			continue
		}
		w.Shape[k] = d
		w.Strides[k] = 0
		if w.Mask != nil {
			if m := w.Mask[k]; m[0] < m[1] {
				w.Mask[k] = [2]int{0, d}
			} else {
				w.Mask[k] = [2]int{0, 0}
			}
		}
	}
	return w.simplify()
}

// Slice keeps, on every axis k, count[k] elements starting at start[k] with step step[k] > 0.
func (v View) Slice(start, count, step []int) View {
	w := v.clone()
	for k := range w.Shape {
		w.Offset += start[k] * v.Strides[k]
		w.Strides[k] = v.Strides[k] * step[k]
		w.Shape[k] = count[k]
		if w.Mask != nil {
			m := v.Mask[k]
			lo := clampInt(ceilDiv(m[0]-start[k], step[k]), 0, count[k])
			hi := clampInt(ceilDiv(m[1]-start[k], step[k]), 0, count[k])
			if hi < lo {
				hi = lo
			}
			w.Mask[k] = [2]int{lo, hi}
		}
	}
	if NumElements(w.Shape) == 0 {
		return Contiguous(w.Shape)
	}
	return w.simplify()
}

// Flip reverses the axes with flip[k] set.
func (v View) Flip(flip []bool) View {
	w := v.clone()
	for k, f := range flip {
		if !f || w.Shape[k] == 0 {
			continue
		}
		n := w.Shape[k]
		w.Offset += (n - 1) * w.Strides[k]
		w.Strides[k] = -w.Strides[k]
		if w.Mask != nil {
			m := w.Mask[k]
			w.Mask[k] = [2]int{n - m[1], n - m[0]}
		}
	}
	return w
}

// Pad adds pads[k][0] zeros before and pads[k][1] zeros after axis k (pads are >= 0).
func (v View) Pad(pads [][2]int) View {
	w := v.clone()
	any := false
	for _, p := range pads {
		if p[0] != 0 || p[1] != 0 {
			any = true
		}
	}
	if !any {
		return w
	}
	mask := make([][2]int, len(w.Shape))
	for k, p := range pads {
		m := v.mask(k)
		mask[k] = [2]int{m[0] + p[0], m[1] + p[0]}
		w.Offset -= p[0] * v.Strides[k]
		w.Shape[k] += p[0] + p[1]
	}
	w.Mask = mask
	if NumElements(w.Shape) == 0 {
		return Contiguous(w.Shape)
	}
	return w.simplify()
}

// Reshape returns v read with a new shape of the same number of elements, if that is possible
// without a copy (NumPy's no-copy reshape rule, extended to views whose masked axes are kept).
func (v View) Reshape(shape []int) (View, bool) {
	if NumElements(shape) == 0 {
		return Contiguous(shape), true
	}
	if v.Mask != nil {
		return v.reshapeMasked(shape)
	}
	// Work on the axes of size > 1 only; size-1 axes can take any stride.
	var od, os []int
	for k, d := range v.Shape {
		if d != 1 {
			od = append(od, d)
			os = append(os, v.Strides[k])
		}
	}
	var nd []int
	var nmap []int
	for k, d := range shape {
		if d != 1 {
			nd = append(nd, d)
			nmap = append(nmap, k)
		}
	}
	ns := make([]int, len(nd))
	oi, oj, ni, nj := 0, 1, 0, 1
	for ni < len(nd) && oi < len(od) {
		np, op := nd[ni], od[oi]
		for np != op {
			if np < op {
				np *= nd[nj]
				nj++
			} else {
				op *= od[oj]
				oj++
			}
		}
		for ok := oi; ok < oj-1; ok++ {
			if os[ok] != od[ok+1]*os[ok+1] {
				return View{}, false
			}
		}
		ns[nj-1] = os[oj-1]
		for nk := nj - 1; nk > ni; nk-- {
			ns[nk-1] = ns[nk] * nd[nk]
		}
		ni, nj = nj, nj+1
		oi, oj = oj, oj+1
	}
	strides := make([]int, len(shape))
	for i, k := range nmap {
		strides[k] = ns[i]
	}
	return View{Shape: clone(shape), Strides: strides, Offset: v.Offset}, true
}

// reshapeMasked handles reshapes of a masked view that only insert or remove axes of size 1.
func (v View) reshapeMasked(shape []int) (View, bool) {
	w := View{Shape: clone(shape), Strides: make([]int, len(shape)), Offset: v.Offset, Mask: make([][2]int, len(shape))}
	k := 0
	for j, d := range shape {
		if d == 1 {
			// A new unit axis is valid unless it replaces a fully masked unit axis below.
			for k < len(v.Shape) && v.Shape[k] == 1 {
				if m := v.mask(k); m[0] >= m[1] {
					return View{}, false
				}
				k++
			}
			w.Mask[j] = [2]int{0, 1}
			continue
		}
		for k < len(v.Shape) && v.Shape[k] == 1 {
			if m := v.mask(k); m[0] >= m[1] {
				return View{}, false
			}
			k++
		}
		if k >= len(v.Shape) || v.Shape[k] != d {
			return View{}, false
		}
		w.Strides[j] = v.Strides[k]
		w.Mask[j] = v.mask(k)
		k++
	}
	for ; k < len(v.Shape); k++ {
		if v.Shape[k] != 1 {
			return View{}, false
		}
		if m := v.mask(k); m[0] >= m[1] {
			return View{}, false
		}
	}
	return w.simplify(), true
}

// String is a compact description used in dumps and cache keys.
func (v View) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v/%v+%d", v.Shape, v.Strides, v.Offset)
	if v.Mask != nil {
		fmt.Fprintf(&b, " mask%v", v.Mask)
	}
	return b.String()
}

func clone(s []int) []int { return append([]int{}, s...) }

func ceilDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) == (b < 0)) {
		q++
	}
	return q
}

func clampInt(x, lo, hi int) int {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}

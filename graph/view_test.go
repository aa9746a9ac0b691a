package graph

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// naive is a tensor of buffer positions (-1 for padding), moved by copying: the
// specification that views must agree with.
type naive struct {
	shape []int
	ids   []int
}

func (a naive) at(idx []int) int {
	return a.ids[Contiguous(a.shape).Index(idx)]
}

// build fills a new naive tensor of shape with f(multi-index).
func build(shape []int, f func(idx []int) int) naive {
	out := naive{shape: clone(shape), ids: make([]int, NumElements(shape))}
	idx := make([]int, len(shape))
	for i := range out.ids {
		rem := i
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d] = rem % shape[d]
			rem /= shape[d]
		}
		out.ids[i] = f(idx)
	}
	return out
}

func (a naive) permute(axes []int) naive {
	shape := make([]int, len(axes))
	for k, x := range axes {
		shape[k] = a.shape[x]
	}
	src := make([]int, len(axes))
	return build(shape, func(idx []int) int {
		for k, x := range axes {
			src[x] = idx[k]
		}
		return a.at(src)
	})
}

func (a naive) expand(shape []int) naive {
	src := make([]int, len(shape))
	return build(shape, func(idx []int) int {
		for k := range shape {
			if a.shape[k] == 1 {
				src[k] = 0
			} else {
				src[k] = idx[k]
			}
		}
		return a.at(src)
	})
}

func (a naive) slice(start, count, step []int) naive {
	src := make([]int, len(count))
	return build(count, func(idx []int) int {
		for k := range count {
			src[k] = start[k] + idx[k]*step[k]
		}
		return a.at(src)
	})
}

func (a naive) pad(pads [][2]int) naive {
	shape := clone(a.shape)
	for k, p := range pads {
		shape[k] += p[0] + p[1]
	}
	src := make([]int, len(shape))
	return build(shape, func(idx []int) int {
		for k, p := range pads {
			src[k] = idx[k] - p[0]
			if src[k] < 0 || src[k] >= a.shape[k] {
				return -1
			}
		}
		return a.at(src)
	})
}

func (a naive) flip(flips []bool) naive {
	src := make([]int, len(flips))
	return build(a.shape, func(idx []int) int {
		for k, f := range flips {
			src[k] = idx[k]
			if f {
				src[k] = a.shape[k] - 1 - idx[k]
			}
		}
		return a.at(src)
	})
}

// agree checks that reading the buffer through v gives the naive tensor.
func agree(t *testing.T, v View, a naive, history []string) {
	t.Helper()
	if !slices.Equal(v.Shape, a.shape) {
		t.Fatalf("after %v: view shape %v, want %v", history, v.Shape, a.shape)
	}
	build(a.shape, func(idx []int) int {
		want := a.at(idx)
		got := -1
		if v.Valid(idx) {
			got = v.Index(idx)
		}
		if got != want {
			t.Fatalf("after %v: view %v at %v reads %d, want %d", history, v, idx, got, want)
		}
		return 0
	})
}

func randomShape(r *rand.Rand, rank int) []int {
	s := make([]int, rank)
	for i := range s {
		s[i] = 1 + r.IntN(4)
	}
	return s
}

// TestViewMovements applies random chains of movements to views and to copied arrays, and
// checks that every element agrees.
func TestViewMovements(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	reshapes, failed := 0, 0
	for trial := range 3000 {
		shape := randomShape(r, 1+r.IntN(3))
		v := Contiguous(shape)
		a := build(shape, func(idx []int) int { return Contiguous(shape).Index(idx) })
		var hist []string
		for range 1 + r.IntN(5) {
			rank := len(a.shape)
			switch r.IntN(6) {
			case 0:
				axes := r.Perm(rank)
				v, a = v.Permute(axes), a.permute(axes)
				hist = append(hist, "permute")
			case 1:
				shape := clone(a.shape)
				for k := range shape {
					if shape[k] == 1 {
						shape[k] = 1 + r.IntN(3)
					}
				}
				v, a = v.Expand(shape), a.expand(shape)
				hist = append(hist, "expand")
			case 2:
				start, count, step := make([]int, rank), make([]int, rank), make([]int, rank)
				for k, d := range a.shape {
					step[k] = 1 + r.IntN(2)
					start[k] = r.IntN(d)
					count[k] = 1 + (d-1-start[k])/step[k]
					count[k] = 1 + r.IntN(count[k])
				}
				v, a = v.Slice(start, count, step), a.slice(start, count, step)
				hist = append(hist, "slice")
			case 3:
				pads := make([][2]int, rank)
				for k := range pads {
					pads[k] = [2]int{r.IntN(2), r.IntN(2)}
				}
				v, a = v.Pad(pads), a.pad(pads)
				hist = append(hist, "pad")
			case 4:
				flips := make([]bool, rank)
				for k := range flips {
					flips[k] = r.IntN(2) == 0
				}
				v, a = v.Flip(flips), a.flip(flips)
				hist = append(hist, "flip")
			case 5:
				// Merge two adjacent axes, split one, or add a unit axis.
				shape := clone(a.shape)
				switch {
				case rank >= 2 && r.IntN(2) == 0:
					k := r.IntN(rank - 1)
					shape = slices.Concat(shape[:k], []int{shape[k] * shape[k+1]}, shape[k+2:])
				case r.IntN(2) == 0:
					k := r.IntN(rank + 1)
					shape = slices.Insert(shape, k, 1)
				default:
					k := r.IntN(rank)
					if shape[k]%2 == 0 {
						shape = slices.Concat(shape[:k], []int{2, shape[k] / 2}, shape[k+1:])
					}
				}
				reshapes++
				w, ok := v.Reshape(shape)
				if !ok {
					failed++
					continue
				}
				v, a = w, naive{shape: shape, ids: a.ids}
				hist = append(hist, "reshape")
			}
			agree(t, v, a, hist)
		}
		_ = trial
	}
	if failed == reshapes {
		t.Fatalf("no reshape of %d was expressible as a view", reshapes)
	}
	t.Logf("%d of %d reshapes needed a copy", failed, reshapes)
}

func TestReshapeRules(t *testing.T) {
	for _, c := range []struct {
		name  string
		v     View
		shape []int
		ok    bool
	}{
		{"contiguous split", Contiguous([]int{6}), []int{2, 3}, true},
		{"contiguous merge", Contiguous([]int{2, 3}), []int{6}, true},
		{"transposed merge", Contiguous([]int{2, 3}).Permute([]int{1, 0}), []int{6}, false},
		{"transposed unit axis", Contiguous([]int{2, 3}).Permute([]int{1, 0}), []int{3, 1, 2}, true},
		{"broadcast merge", Contiguous([]int{1, 1}).Expand([]int{4, 5}), []int{20}, true},
		{"broadcast row merge", Contiguous([]int{1, 3}).Expand([]int{4, 3}), []int{12}, false},
		{"padded unsqueeze", Contiguous([]int{3}).Pad([][2]int{{1, 1}}), []int{1, 5, 1}, true},
		{"padded merge", Contiguous([]int{2, 3}).Pad([][2]int{{0, 0}, {1, 0}}), []int{8}, false},
		{"empty", Contiguous([]int{0, 3}).Permute([]int{1, 0}), []int{0}, true},
	} {
		_, ok := c.v.Reshape(c.shape)
		if ok != c.ok {
			t.Errorf("%s: reshape %v to %v: ok=%v, want %v", c.name, c.v, c.shape, ok, c.ok)
		}
	}
}

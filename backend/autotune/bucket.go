package autotune

import (
	"fmt"
	"math/bits"
)

// Bucket maps a shape to the shape whose tuned configuration it shares, so that the cache
// holds one entry per bucket rather than one per exact shape.
//
// A dimension of at most 8 is kept as it is: small dimensions (a batch of 1, a vector) change
// which configuration wins. A larger dimension d is rounded up to the next step of a
// quarter-octave ladder, 2^e·{1, 1.25, 1.5, 1.75}: 9→10, 100→112, 1000→1024, 1760→1792,
// 3072→3072. Neighbouring steps differ by at most 25%, so a configuration tuned for the
// bucket's upper edge is a fair choice for every shape in it; and the steps are multiples of
// 2^(e-2), so they divide evenly by the tile sizes that matter at that scale.
//
// Bucket returns an error for a negative dimension.
func Bucket(dims []int) ([]int, error) {
	out := make([]int, len(dims))
	for i, d := range dims {
		if d < 0 {
			return nil, fmt.Errorf("autotune: bucket of shape %v: dimension %d is negative", dims, i)
		}
		out[i] = bucketDim(d)
	}
	return out, nil
}

func bucketDim(d int) int {
	if d <= 8 {
		return d
	}
	e := bits.Len(uint(d)) - 1 // 2^e ≤ d < 2^(e+1), e ≥ 3
	base := 1 << e
	quarter := base >> 2
	for q := 0; q < 4; q++ {
		if step := base + q*quarter; step >= d {
			return step
		}
	}
	if base > (1<<(bits.UintSize-2))-1 {
		return d // the next octave would overflow; such a dimension is its own bucket
	}
	return base << 1
}

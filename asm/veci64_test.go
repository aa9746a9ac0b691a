package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestBinaryI64 compares every implementation of the int64 kernels with the Go twin's
// operators, over every length that leaves a tail, values at the ends of the range and equal
// pairs, in place and not, and checks that nothing past dst is written.
func TestBinaryI64(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	want := func(op int, x, y int64) int64 {
		switch op {
		case i64Add:
			return x + y
		case i64Sub:
			return x - y
		case i64Max:
			return max(x, y)
		case i64Min:
			return min(x, y)
		case i64And:
			return x & y
		case i64Or:
			return x | y
		case i64Xor:
			return x ^ y
		case i64Less:
			return int64(b2i(x < y))
		case i64LessEqual:
			return int64(b2i(x <= y))
		case i64Equal:
			return int64(b2i(x == y))
		}
		return int64(b2i(x != y))
	}
	forEachISA(t, func(t *testing.T, isa vecISA) {
		for _, n := range vecLengths {
			a, b := make([]int64, n), make([]int64, n)
			ends := []int64{math.MinInt64, math.MaxInt64, -1, 0, 1}
			for i := range n {
				switch i % 4 {
				case 0:
					a[i], b[i] = ends[r.IntN(len(ends))], ends[r.IntN(len(ends))]
				case 1:
					a[i] = r.Int64() - r.Int64()
					b[i] = a[i]
				default:
					a[i], b[i] = r.Int64()-r.Int64(), r.Int64N(100)-50
				}
			}
			for op := range i64Ops {
				const pad = 3
				got := make([]int64, n+pad)
				for i := range got {
					got[i] = 7
				}
				binaryI64(isa, op, got[:n], a, b)
				inPlace := append([]int64(nil), a...)
				binaryI64(isa, op, inPlace, inPlace, b)
				for i := range n {
					w := want(op, a[i], b[i])
					if got[i] != w || inPlace[i] != w {
						t.Fatalf("op %d, n %d, [%d]: (%d, %d) gave %d (in place %d), want %d", op, n, i, a[i], b[i], got[i], inPlace[i], w)
					}
				}
				for i := n; i < n+pad; i++ {
					if got[i] != 7 {
						t.Fatalf("op %d, n %d: written past the end at %d", op, n, i)
					}
				}
			}
		}
	})
}

func BenchmarkBinaryI64(b *testing.B) {
	const n = 2048
	x, y, d := make([]int64, n), make([]int64, n), make([]int64, n)
	for _, isa := range testISAs() {
		for _, op := range []int{i64Add, i64Max, i64Less} {
			b.Run(fmt.Sprintf("%d/%v", op, isa), func(b *testing.B) {
				b.SetBytes(24 * n)
				for b.Loop() {
					binaryI64(isa, op, d, x, y)
				}
			})
		}
	}
}

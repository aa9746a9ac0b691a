package asm

import "testing"

// philoxRef is Philox4x32-10 as its paper states it, one block at a time, the key bumped
// after each round: the reference for philoxGo's round keys as much as for the kernels.
func philoxRef(ctr [4]uint32, key [2]uint32) [4]uint32 {
	x, k := ctr, key
	for range 10 {
		p0 := uint64(philoxM0) * uint64(x[0])
		p1 := uint64(philoxM1) * uint64(x[2])
		x = [4]uint32{uint32(p1>>32) ^ x[1] ^ k[0], uint32(p1), uint32(p0>>32) ^ x[3] ^ k[1], uint32(p0)}
		k[0] += philoxW0
		k[1] += philoxW1
	}
	return x
}

func TestPhiloxKnownAnswer(t *testing.T) {
	// The Random123 known-answer vector for the zero counter and key.
	want := [4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}
	if got := philoxRef([4]uint32{}, [2]uint32{}); got != want {
		t.Fatalf("philoxRef(0, 0) = %x, want %x", got, want)
	}
	forEachISA(t, func(t *testing.T, isa vecISA) {
		var o [4][64]uint32
		philox4x32(isa, o[0][:], o[1][:], o[2][:], o[3][:], 0, 0, 0)
		if got := [4]uint32{o[0][0], o[1][0], o[2][0], o[3][0]}; got != want {
			t.Errorf("block 0 = %x, want %x", got, want)
		}
	})
}

// TestPhilox compares every implementation with philoxRef, block by block, over lengths
// that leave every tail of every kernel, and counters whose low word wraps inside the call.
func TestPhilox(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) {
		for _, c := range []struct {
			ctr uint64
			c2  uint32
			key uint64
		}{
			{0, 0, 0},
			{12345, 1, 0xdeadbeefcafef00d},
			{1<<32 - 37, 1, 7},
			{5<<32 - 3, 0, 0xffffffffffffffff},
			{1<<64 - 20, 0xffffffff, 1 << 40},
		} {
			for _, n := range append(vecLengths, 2048+31) {
				const pad = 3
				var o [4][]uint32
				for i := range o {
					o[i] = make([]uint32, n+pad)
					for j := range o[i] {
						o[i][j] = 0x5a5a5a5a
					}
				}
				philox4x32(isa, o[0][:n], o[1], o[2], o[3], c.ctr, c.c2, c.key)
				for j := range n {
					e := c.ctr + uint64(j)
					want := philoxRef([4]uint32{uint32(e), uint32(e >> 32), c.c2, 0}, [2]uint32{uint32(c.key), uint32(c.key >> 32)})
					if got := [4]uint32{o[0][j], o[1][j], o[2][j], o[3][j]}; got != want {
						t.Fatalf("ctr %#x c2 %#x key %#x n %d: block %d = %x, want %x", c.ctr, c.c2, c.key, n, j, got, want)
					}
				}
				for i := range o {
					for j := n; j < n+pad; j++ {
						if o[i][j] != 0x5a5a5a5a {
							t.Fatalf("ctr %#x n %d: output %d written at %d, past the blocks", c.ctr, n, i, j)
						}
					}
				}
			}
		}
	})
}

func BenchmarkPhilox(b *testing.B) {
	const n = 1024
	var o [4][n]uint32
	for _, isa := range testISAs() {
		b.Run(isa.String(), func(b *testing.B) {
			b.SetBytes(16 * n)
			for i := 0; b.Loop(); i++ {
				philox4x32(isa, o[0][:], o[1][:], o[2][:], o[3][:], uint64(i)*n, 1, 99)
			}
		})
	}
}

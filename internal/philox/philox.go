// Package philox is the counter-based random number generator behind crossbar's random
// tensors: Philox4x32-10 (Salmon et al., SC'11). Element i of a tensor is a pure function of
// the seed and i, so every device produces the same values, in any order or split.
package philox

import (
	"math"

	"github.com/crossbar-compute/crossbar/asm"
)

const (
	m0 = 0xD2511F53
	m1 = 0xCD9E8D57
	w0 = 0x9E3779B9
	w1 = 0xBB67AE85
)

// Block returns the four 32-bit outputs of Philox4x32-10 for a 128-bit counter and 64-bit key.
func Block(ctr [4]uint32, key [2]uint32) [4]uint32 {
	c0, c1, c2, c3 := block(ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1])
	return [4]uint32{c0, c1, c2, c3}
}

// block is Block on words passed and returned in registers: the arrays, passed on the stack,
// cost more than the ten rounds (36 against 15 ns a uniform value).
func block(c0, c1, c2, c3, k0, k1 uint32) (uint32, uint32, uint32, uint32) {
	for range 10 {
		p0 := uint64(m0) * uint64(c0)
		p1 := uint64(m1) * uint64(c2)
		c0, c1, c2, c3 = uint32(p1>>32)^c1^k0, uint32(p1), uint32(p0>>32)^c3^k1, uint32(p0)
		k0 += w0
		k1 += w1
	}
	return c0, c1, c2, c3
}

// Uint32s fills dst with the 32-bit stream of seed, starting at element offset (element i is
// output i%4 of the block with counter i/4).
func Uint32s(seed uint64, offset uint64, dst []uint32) {
	key := [2]uint32{uint32(seed), uint32(seed >> 32)}
	for i := range dst {
		e := offset + uint64(i)
		blk := e / 4
		out := Block([4]uint32{uint32(blk), uint32(blk >> 32), 0, 0}, key)
		dst[i] = out[e%4]
	}
}

// Uniform returns element i of the uniform [0, 1) stream of seed, with 53 random bits from
// the two 32-bit outputs of block i.
func Uniform(seed uint64, i uint64) float64 {
	o0, o1, _, _ := block(uint32(i), uint32(i>>32), 0, 0, uint32(seed), uint32(seed>>32))
	bits := (uint64(o0)<<32 | uint64(o1)) >> 11
	return float64(bits) * (1.0 / (1 << 53))
}

// Uniform32 returns element i of a uniform [0, 1) stream with 24 random bits, exact in float32.
func Uniform32(seed uint64, i uint64) float32 {
	o0, _, _, _ := block(uint32(i), uint32(i>>32), 0, 0, uint32(seed), uint32(seed>>32))
	return float32(o0>>8) * (1.0 / (1 << 24))
}

// Normal returns element i of the standard normal stream of seed: Normals for one element.
func Normal(seed uint64, i uint64) float64 {
	var z [1]float64
	Normals(z[:], seed, i)
	return z[0]
}

// batch is the number of values Normals and Uniforms make at a time, in scratch on the stack:
// a multiple of the blocks a step of each Philox kernel makes (8 or 12), which leaves the
// kernels no blocks for Go to finish.
const batch = 240

// Normals sets dst[j] to element first+j of the standard normal stream of seed: Box-Muller on
// the four outputs of block first+j of the key seed (counter words first+j and 1), so that
// consecutive elements are independent. The generator, the logarithm and the cosine are the
// vector kernels of package asm, which give the same bits on every machine.
func Normals(dst []float64, seed, first uint64) {
	var o [4][batch]uint32
	var r, a [batch]float64
	for s := 0; s < len(dst); s += batch {
		d := dst[s:min(s+batch, len(dst))]
		n := len(d)
		o0, o1, o2, o3 := o[0][:n], o[1][:n], o[2][:n], o[3][:n]
		asm.Philox4x32(o0, o1, o2, o3, first+uint64(s), 1, seed)
		r, a := r[:n], a[:n]
		for j := range r {
			// 53 bits each, converted as int64s: one instruction, where a uint64 takes a
			// test for the top bit.
			r[j] = (float64(int64((uint64(o0[j])<<32|uint64(o1[j]))>>11)) + 1) * (1.0 / (1 << 53)) // (0, 1]
			a[j] = 2 * math.Pi * (float64(int64((uint64(o2[j])<<32|uint64(o3[j]))>>11)) * (1.0 / (1 << 53)))
		}
		asm.LogF64(r, r)
		for j, v := range r {
			r[j] = -2 * v
		}
		asm.SqrtF64(r, r)
		asm.CosF64(a, a)
		asm.MulF64(d, r, a)
	}
}

// Uniforms sets dst[j] to Uniform(seed, first+j) cut to its first bits bits (1 to 53):
// floor(u·2^bits)/2^bits, a multiple of 2^-bits in [0, 1).
func Uniforms(dst []float64, seed, first uint64, bits uint) {
	var o [4][batch]uint32
	scale := math.Ldexp(1, -int(bits))
	for s := 0; s < len(dst); s += batch {
		d := dst[s:min(s+batch, len(dst))]
		n := len(d)
		o0, o1 := o[0][:n], o[1][:n]
		asm.Philox4x32(o0, o1, o[2][:n], o[3][:n], first+uint64(s), 0, seed)
		for j := range d {
			d[j] = float64(int64((uint64(o0[j])<<32|uint64(o1[j]))>>(64-bits))) * scale
		}
	}
}

package asm

// Philox4x32-10 (Salmon et al., SC'11), the counter-based generator behind the random
// tensors, many blocks at a time: the vector kernels run one block a lane, four a register
// and two or three registers at once, since each of the ten rounds waits on a multiply.

// The multipliers and the key's increments (Weyl constants) of Philox4x32.
const (
	philoxM0 = 0xD2511F53
	philoxM1 = 0xCD9E8D57
	philoxW0 = 0x9E3779B9
	philoxW1 = 0xBB67AE85
)

// Philox4x32 sets o0[j], o1[j], o2[j] and o3[j], for each j < len(o0), to the four outputs
// of Philox4x32-10 for key and the counter whose words are, from the lowest, the low and high
// 32 bits of ctr+j, c2 and 0. o1, o2 and o3 must be at least as long as o0.
//
//	for j := range o0 {
//		o0[j], o1[j], o2[j], o3[j] = philox(ctr+j, c2, key)
//	}
func Philox4x32(o0, o1, o2, o3 []uint32, ctr uint64, c2 uint32, key uint64) {
	philox4x32(activeISA(), o0, o1, o2, o3, ctr, c2, key)
}

func philox4x32(isa vecISA, o0, o1, o2, o3 []uint32, ctr uint64, c2 uint32, key uint64) {
	n := len(o0)
	o1, o2, o3 = o1[:n], o2[:n], o3[:n]
	var keys [20]uint32 // the key of each round: the kernels read them rather than add
	k0, k1 := uint32(key), uint32(key>>32)
	for r := range 10 {
		keys[2*r], keys[2*r+1] = k0, k1
		k0 += philoxW0
		k1 += philoxW1
	}
	for j := 0; j < n; {
		// A run over which the counter's high word stays: the kernels add j to the low word
		// alone.
		c := ctr + uint64(j)
		run := n - j
		if left := 1<<32 - c&(1<<32-1); uint64(run) > left {
			run = int(left)
		}
		m := philoxArch(isa, o0[j:j+run], o1[j:j+run], o2[j:j+run], o3[j:j+run], uint32(c), uint32(c>>32), c2, &keys)
		c += uint64(m)
		philoxGo(o0[j+m:j+run], o1[j+m:j+run], o2[j+m:j+run], o3[j+m:j+run], uint32(c), uint32(c>>32), c2, &keys)
		j += run
	}
}

// philoxGo is the reference of the kernels: blocks with the counters (c0+j, c1, c2, 0) for
// j < len(o0), c0+j not past 2^32-1, and the round keys keys[2r], keys[2r+1].
func philoxGo(o0, o1, o2, o3 []uint32, c0, c1, c2 uint32, keys *[20]uint32) {
	o1, o2, o3 = o1[:len(o0)], o2[:len(o0)], o3[:len(o0)]
	for j := range o0 {
		x0, x1, x2, x3 := c0+uint32(j), c1, c2, uint32(0)
		for r := range 10 {
			p0 := uint64(philoxM0) * uint64(x0)
			p1 := uint64(philoxM1) * uint64(x2)
			x0, x1, x2, x3 = uint32(p1>>32)^x1^keys[2*r], uint32(p1), uint32(p0>>32)^x3^keys[2*r+1], uint32(p0)
		}
		o0[j], o1[j], o2[j], o3[j] = x0, x1, x2, x3
	}
}

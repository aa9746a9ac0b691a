//go:build !noasm

package asm

// philoxArch makes the whole steps of 12 blocks of o0 at the avx2 and avx512 levels (the
// AVX2 kernel serves both) and reports how many it made.
func philoxArch(isa vecISA, o0, o1, o2, o3 []uint32, c0, c1, c2 uint32, keys *[20]uint32) int {
	n := len(o0) / 12 * 12
	if n == 0 || isa != isaAVX2 && isa != isaAVX512 {
		return 0
	}
	philoxAVX2(&o0[0], &o1[0], &o2[0], &o3[0], n, c0, c1, c2, keys)
	return n
}

// philoxAVX2 is philoxGo for n blocks, a multiple of 12, with o0, o1, o2 and o3 n long.
//
//go:noescape
func philoxAVX2(o0, o1, o2, o3 *uint32, n int, c0, c1, c2 uint32, keys *[20]uint32)

//go:build !noasm

package asm

// philoxArch makes the whole steps of 8 blocks of o0 at the neon level and reports how many
// it made.
func philoxArch(isa vecISA, o0, o1, o2, o3 []uint32, c0, c1, c2 uint32, keys *[20]uint32) int {
	n := len(o0) &^ 7
	if n == 0 || isa != isaNEON {
		return 0
	}
	philoxNEON(&o0[0], &o1[0], &o2[0], &o3[0], n, c0, c1, c2, keys)
	return n
}

// philoxNEON is philoxGo for n blocks, a multiple of 8, with o0, o1, o2 and o3 n long.
//
//go:noescape
func philoxNEON(o0, o1, o2, o3 *uint32, n int, c0, c1, c2 uint32, keys *[20]uint32)

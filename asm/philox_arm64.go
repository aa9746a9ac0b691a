//go:build !noasm

package asm

func philoxArchOK(isa vecISA) bool { return isa == isaNEON }

func philoxArch(_ vecISA, o0, o1, o2, o3 []uint32, c0, c1, c2 uint32, keys *[20]uint32) {
	philoxNEON(&o0[0], &o1[0], &o2[0], &o3[0], len(o0), c0, c1, c2, keys)
}

// philoxNEON is philoxGo for n blocks, a multiple of 8, with o0, o1, o2 and o3 n long.
//
//go:noescape
func philoxNEON(o0, o1, o2, o3 *uint32, n int, c0, c1, c2 uint32, keys *[20]uint32)

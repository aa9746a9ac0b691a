//go:build !noasm

package asm

// The AVX2 kernel serves the AVX-512 level too: the random tensors' time is in their
// logarithms and cosines, not in the generator.
func philoxArchOK(isa vecISA) bool { return isa == isaAVX2 || isa == isaAVX512 }

func philoxArch(_ vecISA, o0, o1, o2, o3 []uint32, c0, c1, c2 uint32, keys *[20]uint32) {
	philoxAVX2(&o0[0], &o1[0], &o2[0], &o3[0], len(o0), c0, c1, c2, keys)
}

// philoxAVX2 is philoxGo for n blocks, a multiple of 12, with o0, o1, o2 and o3 n long.
//
//go:noescape
func philoxAVX2(o0, o1, o2, o3 *uint32, n int, c0, c1, c2 uint32, keys *[20]uint32)

//go:build (!amd64 && !arm64) || noasm

package asm

// Without assembly Philox4x32 is its Go twin.

func philoxArchOK(vecISA) bool { return false }

func philoxArch(_ vecISA, o0, o1, o2, o3 []uint32, c0, c1, c2 uint32, keys *[20]uint32) {
	philoxGo(o0, o1, o2, o3, c0, c1, c2, keys)
}

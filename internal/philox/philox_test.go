package philox

import (
	"math"
	"testing"
)

// The known-answer vectors of the Random123 distribution for Philox4x32-10.
func TestKnownAnswers(t *testing.T) {
	for _, c := range []struct {
		ctr  [4]uint32
		key  [2]uint32
		want [4]uint32
	}{
		{[4]uint32{0, 0, 0, 0}, [2]uint32{0, 0}, [4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
		{[4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, [2]uint32{0xffffffff, 0xffffffff},
			[4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
		{[4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0},
			[4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
	} {
		if got := Block(c.ctr, c.key); got != c.want {
			t.Errorf("Block(%x, %x) = %x, want %x", c.ctr, c.key, got, c.want)
		}
	}
}

func TestMoments(t *testing.T) {
	const n = 200000
	var su, sn, sn2 float64
	for i := range uint64(n) {
		u := Uniform(7, i)
		if u < 0 || u >= 1 {
			t.Fatalf("Uniform = %v out of [0,1)", u)
		}
		su += u
		z := Normal(7, i)
		sn += z
		sn2 += z * z
	}
	if m := su / n; math.Abs(m-0.5) > 0.005 {
		t.Errorf("uniform mean %v", m)
	}
	if m, v := sn/n, sn2/n-(sn/n)*(sn/n); math.Abs(m) > 0.01 || math.Abs(v-1) > 0.02 {
		t.Errorf("normal mean %v variance %v", m, v)
	}
}

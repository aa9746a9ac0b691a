package philox

import (
	"math"
	"runtime"
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

// TestStreams pins values of the streams: a tensor made from a seed must keep its values from
// one version to the next.
func TestStreams(t *testing.T) {
	for _, c := range []struct {
		seed, i   uint64
		uniform   uint64 // float64 bits
		uniform32 uint32 // float32 bits
		normal    uint64 // float64 bits
	}{
		{0x7, 0x0, 0x3fee8c0f45b8013f, 0x3f74607a, 0xbfdc7aba983983db},
		{0x7, 0x200000005, 0x3fd3271708f87d38, 0x3e9938b8, 0xbff692604aec2c2f},
		{0xdeadbeefcafe, 0x75bcd15, 0x3fe4e09b22578b1c, 0x3f2704d9, 0x3faec1bd6bc1ea48},
	} {
		if got := math.Float64bits(Uniform(c.seed, c.i)); got != c.uniform {
			t.Errorf("Uniform(%#x, %#x) = %v, want %v", c.seed, c.i, math.Float64frombits(got), math.Float64frombits(c.uniform))
		}
		if got := math.Float32bits(Uniform32(c.seed, c.i)); got != c.uniform32 {
			t.Errorf("Uniform32(%#x, %#x) = %v, want %v", c.seed, c.i, math.Float32frombits(got), math.Float32frombits(c.uniform32))
		}
		// Normal values take math.Log and math.Cos, whose last bit depends on the machine
		// (arm64 computes them with fused multiply-adds): exact on amd64, within 2 units in
		// the last place elsewhere.
		got, want := Normal(c.seed, c.i), math.Float64frombits(c.normal)
		ulps := 0
		if runtime.GOARCH != "amd64" {
			ulps = 2
		}
		if d := math.Abs(got - want); d > float64(ulps)*math.Abs(math.Nextafter(want, 0)-want) || math.IsNaN(d) {
			t.Errorf("Normal(%#x, %#x) = %v, want %v (within %d units in the last place)", c.seed, c.i, got, want, ulps)
		}
	}
}

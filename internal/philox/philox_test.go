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
		// Normal values are the same bits on every machine (the asm package's kernels).
		if got := math.Float64bits(Normal(c.seed, c.i)); got != c.normal {
			t.Errorf("Normal(%#x, %#x) = %v, want %v", c.seed, c.i, math.Float64frombits(got), math.Float64frombits(c.normal))
		}
	}
}

// TestBatches checks Normals and Uniforms, over batches and a counter whose low word wraps
// inside one, against the scalar generator: the uniforms exactly, the normals against
// Box-Muller in math's functions (within 3 units in the last place, and exactly for all but a
// few in float32).
func TestBatches(t *testing.T) {
	for _, c := range []struct{ seed, first uint64 }{{7, 0}, {0xdeadbeefcafe, 1<<32 - 300}, {1, 1<<64 - 700}} {
		const n = 3*batch + 77
		z, u := make([]float64, n), make([]float64, n)
		Normals(z, c.seed, c.first)
		Uniforms(u, c.seed, c.first, 53)
		off32 := 0
		for j := range n {
			i := c.first + uint64(j)
			if want := Uniform(c.seed, i); u[j] != want {
				t.Fatalf("seed %#x: Uniforms[%d] = %v, want Uniform(%#x) = %v", c.seed, j, u[j], i, want)
			}
			for _, bits := range []uint{1, 8, 24} {
				var v [1]float64
				Uniforms(v[:], c.seed, i, bits)
				if want := math.Floor(Uniform(c.seed, i)*float64(uint64(1)<<bits)) / float64(uint64(1)<<bits); v[0] != want {
					t.Fatalf("seed %#x: Uniforms(%#x) cut to %d bits = %v, want %v", c.seed, i, bits, v[0], want)
				}
			}
			o0, o1, o2, o3 := block(uint32(i), uint32(i>>32), 1, 0, uint32(c.seed), uint32(c.seed>>32))
			u1 := (float64((uint64(o0)<<32|uint64(o1))>>11) + 1) * (1.0 / (1 << 53))
			u2 := float64((uint64(o2)<<32|uint64(o3))>>11) * (1.0 / (1 << 53))
			want := math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
			if d := math.Abs(z[j] - want); d > 3*math.Abs(math.Nextafter(want, 0)-want) || math.IsNaN(d) {
				t.Fatalf("seed %#x: Normals[%d] = %v, want about %v", c.seed, j, z[j], want)
			}
			if float32(z[j]) != float32(want) {
				off32++
			}
			if s := Normal(c.seed, i); s != z[j] {
				t.Fatalf("seed %#x: Normal(%#x) = %v, Normals[%d] = %v", c.seed, i, s, j, z[j])
			}
		}
		if off32 > 1 {
			t.Errorf("seed %#x: %d of %d normals differ from math's in float32", c.seed, off32, n)
		}
	}
}

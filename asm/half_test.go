package asm

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// The float16/bfloat16 → float32 tests compare exact bits for every input, NaNs included: F16C,
// FCVTL and the shift keep the payload (quieted) exactly as internal/half does. float32 → half
// compares every bit except for NaN inputs, where both must give a NaN (the kernels happen to
// match the payloads too, but that is not promised).

func halfIsNaN16(h uint16, bf bool) bool {
	if bf {
		return h&0x7f80 == 0x7f80 && h&0x7f != 0
	}
	return h&0x7c00 == 0x7c00 && h&0x3ff != 0
}

func testToF32(t *testing.T, isa vecISA, bf bool, kernel, twin func(vecISA, []float32, []uint16)) {
	src := make([]uint16, 1<<16)
	for i := range src {
		src[i] = uint16(i)
	}
	got, want := make([]float32, len(src)), make([]float32, len(src))
	kernel(isa, got, src)
	twin(isaGo, want, src)
	for i := range src {
		g, w := math.Float32bits(got[i]), math.Float32bits(want[i])
		if halfIsNaN16(src[i], bf) && (got[i] == got[i] || want[i] == want[i]) {
			t.Fatalf("%#04x: got %#08x, want NaN (twin %#08x)", src[i], g, w)
		}
		if g != w {
			t.Fatalf("%#04x: got %#08x, want %#08x", src[i], g, w)
		}
	}
	// Lengths and misalignments inside NaN guard bands.
	for n := range 101 {
		for off := range 9 {
			full, d := guardedVec[float32](n, off, func(int) float32 { return 0 })
			s := src[1000+off : 1000+off+n]
			kernel(isa, d, s)
			checkGuardBands(t, "toF32", full, n, off)
			w := make([]float32, n)
			twin(isaGo, w, s)
			for i := range w {
				if math.Float32bits(d[i]) != math.Float32bits(w[i]) {
					t.Fatalf("n=%d off=%d: element %d = %v, want %v", n, off, i, d[i], w[i])
				}
			}
		}
	}
}

func f32Specials() []float32 {
	bits := []uint32{0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001,
		0xff800001, 0x7fbfffff, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00400000,
		0x477fe000, 0x477fefff, 0x477ff000, 0x477ff001, 0x47800000, 0xc77ff000, 0x7f7fffff, 0xff7fffff,
		0x33000000, 0x33000001, 0x32ffffff, 0x33800000, 0x33c00000, 0x387fc000, 0x387fe000, 0x38800000,
		0x3f800000, 0x3f801000, 0x3f802000, 0x3f803000, 0x3f808000, 0x3f818000, 0x3f807fff,
		0x3f808001, 0x3f7fffff, 0x7f7f8000, 0x7f7f7fff, 0x7fff8000, 0xffffffff, 0x00008000, 0x00018000}
	var s []float32
	for _, b := range bits {
		s = append(s, math.Float32frombits(b))
	}
	return s
}

func testFromF32(t *testing.T, isa vecISA, bf bool, kernel, twin func(vecISA, []uint16, []float32)) {
	src := f32Specials()
	for b := uint64(0); b < 1<<32; b += 65537 {
		src = append(src, math.Float32frombits(uint32(b)))
	}
	got, want := make([]uint16, len(src)), make([]uint16, len(src))
	kernel(isa, got, src)
	twin(isaGo, want, src)
	for i, f := range src {
		if f != f {
			if !halfIsNaN16(got[i], bf) || !halfIsNaN16(want[i], bf) {
				t.Fatalf("%#08x: got %#04x, want NaN (twin %#04x)", math.Float32bits(f), got[i], want[i])
			}
			continue
		}
		if got[i] != want[i] {
			t.Fatalf("%#08x: got %#04x, want %#04x", math.Float32bits(f), got[i], want[i])
		}
	}
	for n := range 101 {
		for off := range 9 {
			full := make([]uint16, off+n+8)
			for i := range full {
				full[i] = 0xdead
			}
			d := full[off : off+n]
			s := src[100+off : 100+off+n]
			kernel(isa, d, s)
			w := make([]uint16, n)
			twin(isaGo, w, s)
			for i := range full {
				if i < off || i >= off+n {
					if full[i] != 0xdead {
						t.Fatalf("n=%d off=%d: guard element %d overwritten", n, off, i)
					}
				} else if d[i-off] != w[i-off] && !(s[i-off] != s[i-off]) {
					t.Fatalf("n=%d off=%d: element %d = %#04x, want %#04x", n, off, i-off, d[i-off], w[i-off])
				}
			}
		}
	}
}

func TestFloat16ToF32(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) { testToF32(t, isa, false, float16ToF32, float16ToF32) })
}

func TestBFloat16ToF32(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) { testToF32(t, isa, true, bfloat16ToF32, bfloat16ToF32) })
}

func TestF32ToFloat16(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) { testFromF32(t, isa, false, f32ToFloat16, f32ToFloat16) })
}

func TestF32ToBFloat16(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) { testFromF32(t, isa, true, f32ToBFloat16, f32ToBFloat16) })
}

// TestHalfPublic checks that the exported functions follow the active level.
func TestHalfPublic(t *testing.T) {
	src := []float32{1, -2.5, 65504, 1e9, float32(math.Inf(-1)), 3.14159, 1e-7, 0, 1, 2, 3}
	h, b := make([]uint16, len(src)), make([]uint16, len(src))
	F32ToFloat16(h, src)
	F32ToBFloat16(b, src)
	hf, bf := make([]float32, len(src)), make([]float32, len(src))
	Float16ToF32(hf, h)
	BFloat16ToF32(bf, b)
	w := make([]uint16, len(src))
	f32ToFloat16Go(w, src)
	for i := range src {
		if h[i] != w[i] {
			t.Fatalf("F32ToFloat16(%v) = %#04x, want %#04x", src[i], h[i], w[i])
		}
	}
	if hf[0] != 1 || bf[1] != -2.5 || hf[2] != 65504 {
		t.Fatalf("round trip: %v %v", hf, bf)
	}
}

func BenchmarkHalf(b *testing.B) {
	for _, isa := range testISAs() {
		for _, n := range benchSizes {
			f := benchInput(n, 100)
			h := make([]uint16, n)
			f32ToFloat16Go(h, f)
			o := make([]float32, n)
			run := func(name string, fn func()) {
				b.Run(fmt.Sprintf("%s/%s/%d", name, isa, n), func(b *testing.B) {
					for b.Loop() {
						fn()
					}
					b.ReportMetric(float64(n)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "elem/ns")
				})
			}
			run("Float16ToF32", func() { float16ToF32(isa, o, h) })
			run("F32ToFloat16", func() { f32ToFloat16(isa, h, f) })
			run("BFloat16ToF32", func() { bfloat16ToF32(isa, o, h) })
			run("F32ToBFloat16", func() { f32ToBFloat16(isa, h, f) })
		}
	}
}

// TestRoundHalf checks RoundToFloat16 and RoundToBFloat16 at every level against their Go
// twin, on the specials and a sweep of bit patterns (bit for bit; NaN for NaN), and at every
// length up to 100 and offset up to 8 inside guards that rounding would change.
func TestRoundHalf(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) {
		for _, bf := range []bool{false, true} {
			src := f32Specials()
			for b := uint64(0); b < 1<<32; b += 65537 {
				src = append(src, math.Float32frombits(uint32(b)))
			}
			got, want := slices.Clone(src), slices.Clone(src)
			roundHalf(isa, bf, got)
			roundHalfGo(bf, want)
			for i, f := range src {
				if g, w := got[i], want[i]; math.Float32bits(g) != math.Float32bits(w) && (f == f || g == g || w == w) {
					t.Fatalf("bf16=%v %#08x: got %#08x, want %#08x", bf, math.Float32bits(f), math.Float32bits(g), math.Float32bits(w))
				}
			}
			const guard = 0x1.000002p0 // 1 + 2⁻²³: 1 in either format
			for n := range 101 {
				for off := range 9 {
					full := make([]float32, off+n+20)
					for i := range full {
						full[i] = guard
					}
					v := full[off : off+n]
					copy(v, src[300+off:])
					w := slices.Clone(v)
					roundHalf(isa, bf, v)
					roundHalfGo(bf, w)
					for i, x := range full {
						if i >= off && i < off+n {
							if math.Float32bits(x) != math.Float32bits(w[i-off]) && (x == x || w[i-off] == w[i-off]) {
								t.Fatalf("bf16=%v n=%d off=%d: element %d = %v, want %v", bf, n, off, i-off, x, w[i-off])
							}
						} else if x != guard {
							t.Fatalf("bf16=%v n=%d off=%d: guard element %d changed to %v", bf, n, off, i, x)
						}
					}
				}
			}
		}
	})
}

package half

import (
	"math"
	"testing"
)

func TestBFloat16RoundTrip(t *testing.T) {
	for _, c := range []struct {
		in   float32
		want float32
	}{
		{1, 1}, {-2.5, -2.5}, {0, 0}, {float32(math.Inf(1)), float32(math.Inf(1))},
		// 1 + 2^-8 is a tie between 1 and 1+2^-7: even mantissa (1) wins.
		{1 + 1.0/256, 1},
		// 1 + 3*2^-8 ties between 1+2^-7 and 1+2^-6: even is 1+2^-6.
		{1 + 3.0/256, 1 + 1.0/64},
		{1 + 1.0/256 + 1.0/65536, 1 + 1.0/128},
		{3.4e38, float32(math.Inf(1))},
	} {
		if got := BFloat16To(BFloat16From(c.in)); got != c.want {
			t.Errorf("bfloat16(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	nan := BFloat16To(BFloat16From(float32(math.NaN())))
	if nan == nan {
		t.Errorf("bfloat16(NaN) = %v, want NaN", nan)
	}
}

func TestFloat16RoundTrip(t *testing.T) {
	for _, c := range []struct{ in, want float32 }{
		{1, 1}, {65504, 65504}, {65520, float32(math.Inf(1))}, {1 + 1.0/2048, 1}, {1 + 3.0/2048, 1 + 1.0/512},
		{5.960464477539063e-08, 5.960464477539063e-08}, {-0.5, -0.5},
	} {
		if got := Float16To(Float16From(c.in)); got != c.want {
			t.Errorf("float16(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// Package half converts between float32 and the 16-bit float formats that crossbar stores:
// IEEE 754 binary16 (Float16) and bfloat16 (BFloat16), both rounding to nearest even.
package half

import (
	"math"

	"github.com/x448/float16"
)

// Float16From rounds f to the nearest binary16 value (ties to even) and returns its bits.
func Float16From(f float32) uint16 { return uint16(float16.Fromfloat32(f)) }

// Float16To returns the float32 value of binary16 bits h (exact).
func Float16To(h uint16) float32 { return float16.Frombits(h).Float32() }

// BFloat16From rounds f to the nearest bfloat16 value (ties to even) and returns its bits.
// NaN stays NaN (quiet), whatever its payload.
func BFloat16From(f float32) uint16 {
	b := math.Float32bits(f)
	if f != f {
		return uint16(b>>16) | 0x40
	}
	// Adding 0x7fff plus the lowest kept bit rounds to nearest, ties to even.
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// BFloat16To returns the float32 value of bfloat16 bits h (exact).
func BFloat16To(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

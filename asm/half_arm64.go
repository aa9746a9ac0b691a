//go:build !noasm

package asm

// At the neon level the binary16 conversions run FCVTL/FCVTL2 and FCVTN/FCVTN2 (FPCR as Go
// leaves it: round to nearest even, no flush to zero, no default NaN); bfloat16 is widened
// by interleaving with zeros and narrowed by integer rounding, as half.BFloat16From.

func float16ToF32Arch(isa vecISA, dst []float32, src []uint16) int {
	n := len(dst) &^ 7
	if isa != isaNEON || n == 0 {
		return 0
	}
	float16ToF32NEON(dst[:n], src[:n])
	return n
}

func f32ToFloat16Arch(isa vecISA, dst []uint16, src []float32) int {
	n := len(dst) &^ 7
	if isa != isaNEON || n == 0 {
		return 0
	}
	f32ToFloat16NEON(dst[:n], src[:n])
	return n
}

func bfloat16ToF32Arch(isa vecISA, dst []float32, src []uint16) int {
	n := len(dst) &^ 7
	if isa != isaNEON || n == 0 {
		return 0
	}
	bfloat16ToF32NEON(dst[:n], src[:n])
	return n
}

func f32ToBFloat16Arch(isa vecISA, dst []uint16, src []float32) int {
	n := len(dst) &^ 7
	if isa != isaNEON || n == 0 {
		return 0
	}
	f32ToBFloat16NEON(dst[:n], src[:n])
	return n
}

// The kernels of half_arm64.s take whole vectors: len(dst) a multiple of 8, src as long.

//go:noescape
func float16ToF32NEON(dst []float32, src []uint16)

//go:noescape
func f32ToFloat16NEON(dst []uint16, src []float32)

//go:noescape
func bfloat16ToF32NEON(dst []float32, src []uint16)

//go:noescape
func f32ToBFloat16NEON(dst []uint16, src []float32)

// Rounding in place: no kernel of its own; roundHalf narrows and widens with the kernels above.
func roundToFloat16Arch(vecISA, []float32) int  { return 0 }
func roundToBFloat16Arch(vecISA, []float32) int { return 0 }

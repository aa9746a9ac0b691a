//go:build !noasm

#include "textflag.h"

// func float16ToF32NEON(dst []float32, src []uint16)
TEXT ·float16ToF32NEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R1
	MOVD src_base+24(FP), R2
	CBZ  R1, f16tof32_done
f16tof32_loop:
	VLD1.P 16(R2), [V0.H8]
	WORD   $0x0e217801 // FCVTL V1.4S, V0.4H
	WORD   $0x4e217802 // FCVTL2 V2.4S, V0.8H
	VST1.P [V1.S4, V2.S4], 32(R0)
	SUBS   $8, R1, R1
	BNE    f16tof32_loop
f16tof32_done:
	RET

// func f32ToFloat16NEON(dst []uint16, src []float32)
TEXT ·f32ToFloat16NEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R1
	MOVD src_base+24(FP), R2
	CBZ  R1, f32tof16_done
f32tof16_loop:
	VLD1.P 32(R2), [V0.S4, V1.S4]
	WORD   $0x0e216802 // FCVTN V2.4H, V0.4S
	WORD   $0x4e216822 // FCVTN2 V2.8H, V1.4S
	VST1.P [V2.H8], 16(R0)
	SUBS   $8, R1, R1
	BNE    f32tof16_loop
f32tof16_done:
	RET

// func bfloat16ToF32NEON(dst []float32, src []uint16)
// Each bfloat16 interleaved after a zero halfword: its bits in the high half of a float32.
TEXT ·bfloat16ToF32NEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R1
	MOVD src_base+24(FP), R2
	CBZ  R1, bf16tof32_done
	VEOR V19.B16, V19.B16, V19.B16
bf16tof32_loop:
	VLD1.P 16(R2), [V0.H8]
	VZIP1  V0.H8, V19.H8, V1.H8
	VZIP2  V0.H8, V19.H8, V2.H8
	VST1.P [V1.S4, V2.S4], 32(R0)
	SUBS   $8, R1, R1
	BNE    bf16tof32_loop
bf16tof32_done:
	RET

// func f32ToBFloat16NEON(dst []uint16, src []float32)
TEXT ·f32ToBFloat16NEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R1
	MOVD src_base+24(FP), R2
	CBZ  R1, f32tobf16_done
	MOVD $0x7fff, R5
	VDUP R5, V8.S4
	MOVD $1, R5
	VDUP R5, V9.S4
	MOVD $0x400000, R5
	VDUP R5, V10.S4
f32tobf16_loop:
	VLD1.P 32(R2), [V0.S4, V1.S4]
	// Per lane, as half.BFloat16From: x + 0x7fff + (x>>16)&1, or x | 0x400000 for a NaN,
	// whose high half is the result; V0 into V4, V1 into V7.
	VUSHR $16, V0.S4, V2.S4
	VUSHR $16, V1.S4, V5.S4
	VAND  V9.B16, V2.B16, V2.B16
	VAND  V9.B16, V5.B16, V5.B16
	VADD  V8.S4, V0.S4, V4.S4
	VADD  V8.S4, V1.S4, V7.S4
	VADD  V2.S4, V4.S4, V4.S4
	VADD  V5.S4, V7.S4, V7.S4
	VORR  V10.B16, V0.B16, V2.B16
	VORR  V10.B16, V1.B16, V5.B16
	WORD  $0x4e20e403 // FCMEQ V3.4S, V0.4S, V0.4S: all ones where V0 is not NaN
	WORD  $0x4e21e426 // FCMEQ V6.4S, V1.4S, V1.4S
	VBIF  V3.B16, V2.B16, V4.B16
	VBIF  V6.B16, V5.B16, V7.B16
	VUZP2  V7.H8, V4.H8, V11.H8
	VST1.P [V11.H8], 16(R0)
	SUBS   $8, R1, R1
	BNE    f32tobf16_loop
f32tobf16_done:
	RET

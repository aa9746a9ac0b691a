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

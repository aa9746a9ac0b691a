//go:build !noasm

#include "textflag.h"

// SSHLL and SSHLL2 Vd.2D, Vn.2S (4S), #0: the low (high) two words of Vn sign-extended. Go's
// assembler has no such instruction.
#define SXTL(d, n) WORD $(0x0f20a400 | (n)<<5 | (d))
#define SXTL2(d, n) WORD $(0x4f20a400 | (n)<<5 | (d))

// func widenI32NEON(dst *int64, src *int32, n int)
//
// Eight int32s a step.
TEXT ·widenI32NEON(SB), NOSPLIT, $0-24
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R2
	CBZ  R2, widen_done

widen_loop:
	VLD1.P 32(R1), [V0.S4, V1.S4]
	SXTL(2, 0)
	SXTL2(3, 0)
	SXTL(4, 1)
	SXTL2(5, 1)
	VST1.P [V2.D2, V3.D2, V4.D2, V5.D2], 64(R0)
	SUBS $8, R2
	BNE  widen_loop

widen_done:
	RET

// func narrowI32NEON(dst *int32, src *int64, n int)
//
// Eight int64s a step: UZP1 keeps the low word of each.
TEXT ·narrowI32NEON(SB), NOSPLIT, $0-24
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R2
	CBZ  R2, narrow_done

narrow_loop:
	VLD1.P 64(R1), [V0.D2, V1.D2, V2.D2, V3.D2]
	VUZP1  V1.S4, V0.S4, V4.S4
	VUZP1  V3.S4, V2.S4, V5.S4
	VST1.P [V4.S4, V5.S4], 32(R0)
	SUBS   $8, R2
	BNE    narrow_loop

narrow_done:
	RET

//go:build !noasm

#include "textflag.h"

// SSHLL and SSHLL2 Vd.2D, Vn.2S (4S), #0: the low (high) two words of Vn sign-extended. Go's
// assembler has no such instruction.
#define SXTL(d, n) WORD $(0x0f20a400 | (n)<<5 | (d))
#define SXTL2(d, n) WORD $(0x4f20a400 | (n)<<5 | (d))

// USHLL and USHLL2 Vd.8H (4S, 2D), Vn.8B (4H, 2S) (16B, 8H, 4S), #0: the low (high) half of
// Vn's lanes zero-extended to twice their width.
#define UXTL8(d, n) WORD $(0x2f08a400 | (n)<<5 | (d))
#define UXTL28(d, n) WORD $(0x6f08a400 | (n)<<5 | (d))
#define UXTL16(d, n) WORD $(0x2f10a400 | (n)<<5 | (d))
#define UXTL216(d, n) WORD $(0x6f10a400 | (n)<<5 | (d))
#define UXTL32(d, n) WORD $(0x2f20a400 | (n)<<5 | (d))
#define UXTL232(d, n) WORD $(0x6f20a400 | (n)<<5 | (d))

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

// func widenU8NEON(dst *int64, src *uint8, n int)
//
// Sixteen bytes a step, zero-extended to halfwords, words and doublewords.
TEXT ·widenU8NEON(SB), NOSPLIT, $0-24
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R2
	CBZ  R2, widenu8_done

widenu8_loop:
	VLD1.P 16(R1), [V0.B16]
	UXTL8(1, 0)
	UXTL28(2, 0)
	UXTL16(3, 1)
	UXTL216(4, 1)
	UXTL16(5, 2)
	UXTL216(6, 2)
	UXTL32(16, 3)
	UXTL232(17, 3)
	UXTL32(18, 4)
	UXTL232(19, 4)
	UXTL32(20, 5)
	UXTL232(21, 5)
	UXTL32(22, 6)
	UXTL232(23, 6)
	VST1.P [V16.D2, V17.D2, V18.D2, V19.D2], 64(R0)
	VST1.P [V20.D2, V21.D2, V22.D2, V23.D2], 64(R0)
	SUBS $16, R2
	BNE  widenu8_loop

widenu8_done:
	RET

// func narrowU8NEON(dst *uint8, src *int64, n int)
//
// Sixteen int64s a step: UZP1 keeps the low words, then their low halfwords, then their low
// bytes.
TEXT ·narrowU8NEON(SB), NOSPLIT, $0-24
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R2
	CBZ  R2, narrowu8_done

narrowu8_loop:
	VLD1.P 64(R1), [V0.D2, V1.D2, V2.D2, V3.D2]
	VLD1.P 64(R1), [V4.D2, V5.D2, V6.D2, V7.D2]
	VUZP1  V1.S4, V0.S4, V8.S4
	VUZP1  V3.S4, V2.S4, V9.S4
	VUZP1  V5.S4, V4.S4, V10.S4
	VUZP1  V7.S4, V6.S4, V11.S4
	VUZP1  V9.H8, V8.H8, V12.H8
	VUZP1  V11.H8, V10.H8, V13.H8
	VUZP1  V13.B16, V12.B16, V14.B16
	VST1.P [V14.B16], 16(R0)
	SUBS   $16, R2
	BNE    narrowu8_loop

narrowu8_done:
	RET

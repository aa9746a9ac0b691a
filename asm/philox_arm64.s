//go:build !noasm

#include "textflag.h"

// The counters' offsets in the lanes of two registers: 0, 1, ..., 7.
DATA philoxIota<>+0(SB)/4, $0
DATA philoxIota<>+4(SB)/4, $1
DATA philoxIota<>+8(SB)/4, $2
DATA philoxIota<>+12(SB)/4, $3
DATA philoxIota<>+16(SB)/4, $4
DATA philoxIota<>+20(SB)/4, $5
DATA philoxIota<>+24(SB)/4, $6
DATA philoxIota<>+28(SB)/4, $7
GLOBL philoxIota<>(SB), RODATA|NOPTR, $32

// UMULL and UMULL2 Vd.2D, Vn.2S (4S), Vm.2S (4S): the 64-bit products of the low (high) two
// words of Vn and Vm. Go's assembler has no such instruction.
#define UMULL(d, n, m) WORD $(0x2ea0c000 | (m)<<16 | (n)<<5 | (d))
#define UMULL2(d, n, m) WORD $(0x6ea0c000 | (m)<<16 | (n)<<5 | (d))

// A round of four blocks, a block a 32-bit lane, takes (x0, x1, x2, x3) to
// (hi(M1·x2) ^ x1 ^ k0, lo(M1·x2), hi(M0·x0) ^ x3 ^ k1, lo(M0·x0)): UMULL and UMULL2 make the
// products of the low and the high two lanes, UZP2 and UZP1 gather their high and low words.
// M0, M1 are in V16, V17 and the round's keys in V18, V19. Chain A's words are in V0, V2, V4,
// V6 and chain B's in V1, V3, V5, V7, so that a word of both chains is stored by one VST1.
#define ROUNDA \
	UMULL(8, 0, 16); \
	UMULL2(9, 0, 16); \
	UMULL(10, 4, 17); \
	UMULL2(11, 4, 17); \
	VUZP2 V11.S4, V10.S4, V0.S4; \
	VEOR  V2.B16, V0.B16, V0.B16; \
	VEOR  V18.B16, V0.B16, V0.B16; \
	VUZP1 V11.S4, V10.S4, V2.S4; \
	VUZP2 V9.S4, V8.S4, V4.S4; \
	VEOR  V6.B16, V4.B16, V4.B16; \
	VEOR  V19.B16, V4.B16, V4.B16; \
	VUZP1 V9.S4, V8.S4, V6.S4

#define ROUNDB \
	UMULL(12, 1, 16); \
	UMULL2(13, 1, 16); \
	UMULL(14, 5, 17); \
	UMULL2(15, 5, 17); \
	VUZP2 V15.S4, V14.S4, V1.S4; \
	VEOR  V3.B16, V1.B16, V1.B16; \
	VEOR  V18.B16, V1.B16, V1.B16; \
	VUZP1 V15.S4, V14.S4, V3.S4; \
	VUZP2 V13.S4, V12.S4, V5.S4; \
	VEOR  V7.B16, V5.B16, V5.B16; \
	VEOR  V19.B16, V5.B16, V5.B16; \
	VUZP1 V13.S4, V12.S4, V7.S4

// func philoxNEON(o0, o1, o2, o3 *uint32, n int, c0, c1, c2 uint32, keys *[20]uint32)
//
// n blocks, a multiple of 8: two registers of four counters at a time. The round keys are
// kept in V22-V26 and spread into V18 and V19 for each round.
TEXT ·philoxNEON(SB), NOSPLIT, $0-64
	MOVD  o0+0(FP), R0
	MOVD  o1+8(FP), R1
	MOVD  o2+16(FP), R2
	MOVD  o3+24(FP), R3
	MOVD  n+32(FP), R4
	MOVWU c0+40(FP), R5
	MOVWU c1+44(FP), R6
	MOVWU c2+48(FP), R7
	MOVD  keys+56(FP), R8
	VLD1  (R8), [V22.S4, V23.S4, V24.S4, V25.S4]
	ADD   $64, R8
	VLD1  (R8), [V26.S4]
	MOVD  $philoxIota<>(SB), R9
	VLD1  (R9), [V20.S4, V21.S4]
	MOVW  $0xD2511F53, R10
	VDUP  R10, V16.S4
	MOVW  $0xCD9E8D57, R10
	VDUP  R10, V17.S4
	CBZ   R4, philoxNEON_done

philoxNEON_loop:
	VDUP  R5, V0.S4
	VADD  V21.S4, V0.S4, V1.S4
	VADD  V20.S4, V0.S4, V0.S4
	VDUP  R6, V2.S4
	VDUP  R6, V3.S4
	VDUP  R7, V4.S4
	VDUP  R7, V5.S4
	VEOR  V6.B16, V6.B16, V6.B16
	VEOR  V7.B16, V7.B16, V7.B16
	VDUP  V22.S[0], V18.S4 // round 0
	VDUP  V22.S[1], V19.S4
	ROUNDA
	ROUNDB
	VDUP  V22.S[2], V18.S4 // round 1
	VDUP  V22.S[3], V19.S4
	ROUNDA
	ROUNDB
	VDUP  V23.S[0], V18.S4 // round 2
	VDUP  V23.S[1], V19.S4
	ROUNDA
	ROUNDB
	VDUP  V23.S[2], V18.S4 // round 3
	VDUP  V23.S[3], V19.S4
	ROUNDA
	ROUNDB
	VDUP  V24.S[0], V18.S4 // round 4
	VDUP  V24.S[1], V19.S4
	ROUNDA
	ROUNDB
	VDUP  V24.S[2], V18.S4 // round 5
	VDUP  V24.S[3], V19.S4
	ROUNDA
	ROUNDB
	VDUP  V25.S[0], V18.S4 // round 6
	VDUP  V25.S[1], V19.S4
	ROUNDA
	ROUNDB
	VDUP  V25.S[2], V18.S4 // round 7
	VDUP  V25.S[3], V19.S4
	ROUNDA
	ROUNDB
	VDUP  V26.S[0], V18.S4 // round 8
	VDUP  V26.S[1], V19.S4
	ROUNDA
	ROUNDB
	VDUP  V26.S[2], V18.S4 // round 9
	VDUP  V26.S[3], V19.S4
	ROUNDA
	ROUNDB
	VST1.P [V0.S4, V1.S4], 32(R0)
	VST1.P [V2.S4, V3.S4], 32(R1)
	VST1.P [V4.S4, V5.S4], 32(R2)
	VST1.P [V6.S4, V7.S4], 32(R3)
	ADDW  $8, R5
	SUBS  $8, R4
	BNE   philoxNEON_loop

philoxNEON_done:
	RET

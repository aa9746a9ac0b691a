//go:build !noasm

#include "textflag.h"

// func widenI32AVX2(dst *int64, src *int32, n int)
//
// Sixteen int32s a step, sign-extended four at a time by VPMOVSXDQ.
TEXT ·widenI32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	TESTQ CX, CX
	JEQ widen_done

widen_loop:
	VPMOVSXDQ (SI), Y0
	VPMOVSXDQ 16(SI), Y1
	VPMOVSXDQ 32(SI), Y2
	VPMOVSXDQ 48(SI), Y3
	VMOVDQU Y0, (DI)
	VMOVDQU Y1, 32(DI)
	VMOVDQU Y2, 64(DI)
	VMOVDQU Y3, 96(DI)
	ADDQ $64, SI
	ADDQ $128, DI
	SUBQ $16, CX
	JNE widen_loop

widen_done:
	VZEROUPPER
	RET

// The low words of the four 64-bit lanes of y (x the same register's low half), stored at m:
// VPSHUFD gathers each 128-bit half's two into its low 64 bits, VPERMQ joins the halves.
#define LOWWORDS(y, x, m) \
	VPSHUFD $0x08, y, y; \
	VPERMQ  $0x08, y, y; \
	VMOVDQU x, m

// func narrowI32AVX2(dst *int32, src *int64, n int)
//
// Sixteen int64s a step, four a register, their low words kept.
TEXT ·narrowI32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	TESTQ CX, CX
	JEQ narrow_done

narrow_loop:
	VMOVDQU (SI), Y0
	VMOVDQU 32(SI), Y1
	VMOVDQU 64(SI), Y2
	VMOVDQU 96(SI), Y3
	LOWWORDS(Y0, X0, (DI))
	LOWWORDS(Y1, X1, 16(DI))
	LOWWORDS(Y2, X2, 32(DI))
	LOWWORDS(Y3, X3, 48(DI))
	ADDQ $128, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNE narrow_loop

narrow_done:
	VZEROUPPER
	RET

// func widenU8AVX2(dst *int64, src *uint8, n int)
//
// Sixteen bytes a step, zero-extended four at a time by VPMOVZXBQ.
TEXT ·widenU8AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	TESTQ CX, CX
	JEQ widenu8_done

widenu8_loop:
	VPMOVZXBQ (SI), Y0
	VPMOVZXBQ 4(SI), Y1
	VPMOVZXBQ 8(SI), Y2
	VPMOVZXBQ 12(SI), Y3
	VMOVDQU Y0, (DI)
	VMOVDQU Y1, 32(DI)
	VMOVDQU Y2, 64(DI)
	VMOVDQU Y3, 96(DI)
	ADDQ $16, SI
	ADDQ $128, DI
	SUBQ $16, CX
	JNE widenu8_loop

widenu8_done:
	VZEROUPPER
	RET

// func narrowU8AVX2(dst *uint8, src *int64, n int)
//
// Sixteen int64s a step: their low bytes masked (the packs below saturate, and the low byte
// is to be kept as it is), two unsigned packs of dwords to words take each 128-bit lane's
// values down to words (the first leaves each value's word followed by a zero word), one of
// words to bytes; the lanes' low halves, joined by VPERMQ, hold v0 v1 v4 v5 v8 v9 v12 v13 v2
// v3 v6 v7 v10 v11 v14 v15, which VPSHUFB puts in order.
TEXT ·narrowU8AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	TESTQ CX, CX
	JEQ narrowu8_done
	MOVQ $0xff, AX
	MOVQ AX, X15
	VPBROADCASTQ X15, Y15
	MOVQ $0x0b0a030209080100, AX
	MOVQ AX, X14
	MOVQ $0x0f0e07060d0c0504, AX
	VPINSRQ $1, AX, X14, X14

narrowu8_loop:
	VPAND     (SI), Y15, Y0
	VPAND     32(SI), Y15, Y1
	VPAND     64(SI), Y15, Y2
	VPAND     96(SI), Y15, Y3
	VPACKUSDW Y1, Y0, Y0
	VPACKUSDW Y3, Y2, Y2
	VPACKUSDW Y2, Y0, Y0
	VPACKUSWB Y0, Y0, Y0
	VPERMQ    $0x08, Y0, Y0
	VPSHUFB   X14, X0, X0
	VMOVDQU   X0, (DI)
	ADDQ $128, SI
	ADDQ $16, DI
	SUBQ $16, CX
	JNE narrowu8_loop

narrowu8_done:
	VZEROUPPER
	RET

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

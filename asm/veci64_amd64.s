//go:build !noasm

#include "textflag.h"

// The operations, on a (b the other operand, m scratch): the result in a. A comparison's
// all-ones lanes are shifted down to 1; Y15 holds 1 in every lane, to turn 1 into 0 and 0
// into 1. VPBLENDVB takes the maximum or the minimum by the lanes of a > b.
#define ADDI64(b, a, m) VPADDQ b, a, a
#define SUBI64(b, a, m) VPSUBQ b, a, a
#define ANDI64(b, a, m) VPAND b, a, a
#define ORI64(b, a, m) VPOR b, a, a
#define XORI64(b, a, m) VPXOR b, a, a
#define MAXI64(b, a, m) VPCMPGTQ b, a, m; VPBLENDVB m, a, b, a
#define MINI64(b, a, m) VPCMPGTQ b, a, m; VPBLENDVB m, b, a, a
#define LTI64(b, a, m) VPCMPGTQ a, b, a; VPSRLQ $63, a, a
#define LEI64(b, a, m) VPCMPGTQ b, a, a; VPSRLQ $63, a, a; VPXOR Y15, a, a
#define EQI64(b, a, m) VPCMPEQQ b, a, a; VPSRLQ $63, a, a
#define NEI64(b, a, m) VPCMPEQQ b, a, a; VPSRLQ $63, a, a; VPXOR Y15, a, a

// I64KERNEL computes n (a multiple of 16) elements by op, sixteen a step.
#define I64KERNEL(op) \
	MOVQ         dst+0(FP), DI; \
	MOVQ         a+8(FP), SI; \
	MOVQ         b+16(FP), DX; \
	MOVQ         n+24(FP), CX; \
	MOVQ         $1, AX; \
	MOVQ         AX, X15; \
	VPBROADCASTQ X15, Y15; \
	XORQ         BX, BX; \
loop: \
	VMOVDQU      (SI)(BX*8), Y0; \
	VMOVDQU      32(SI)(BX*8), Y1; \
	VMOVDQU      64(SI)(BX*8), Y2; \
	VMOVDQU      96(SI)(BX*8), Y3; \
	VMOVDQU      (DX)(BX*8), Y4; \
	VMOVDQU      32(DX)(BX*8), Y5; \
	VMOVDQU      64(DX)(BX*8), Y6; \
	VMOVDQU      96(DX)(BX*8), Y7; \
	op(Y4, Y0, Y8); \
	op(Y5, Y1, Y9); \
	op(Y6, Y2, Y10); \
	op(Y7, Y3, Y11); \
	VMOVDQU      Y0, (DI)(BX*8); \
	VMOVDQU      Y1, 32(DI)(BX*8); \
	VMOVDQU      Y2, 64(DI)(BX*8); \
	VMOVDQU      Y3, 96(DI)(BX*8); \
	ADDQ         $16, BX; \
	CMPQ         BX, CX; \
	JB           loop; \
	VZEROUPPER; \
	RET

// func addI64AVX2(dst, a, b *int64, n int)
TEXT ·addI64AVX2(SB), NOSPLIT, $0-32
	I64KERNEL(ADDI64)

// func subI64AVX2(dst, a, b *int64, n int)
TEXT ·subI64AVX2(SB), NOSPLIT, $0-32
	I64KERNEL(SUBI64)

// func maxI64AVX2(dst, a, b *int64, n int)
TEXT ·maxI64AVX2(SB), NOSPLIT, $0-32
	I64KERNEL(MAXI64)

// func minI64AVX2(dst, a, b *int64, n int)
TEXT ·minI64AVX2(SB), NOSPLIT, $0-32
	I64KERNEL(MINI64)

// func andI64AVX2(dst, a, b *int64, n int)
TEXT ·andI64AVX2(SB), NOSPLIT, $0-32
	I64KERNEL(ANDI64)

// func orI64AVX2(dst, a, b *int64, n int)
TEXT ·orI64AVX2(SB), NOSPLIT, $0-32
	I64KERNEL(ORI64)

// func xorI64AVX2(dst, a, b *int64, n int)
TEXT ·xorI64AVX2(SB), NOSPLIT, $0-32
	I64KERNEL(XORI64)

// func lessI64AVX2(dst, a, b *int64, n int)
TEXT ·lessI64AVX2(SB), NOSPLIT, $0-32
	I64KERNEL(LTI64)

// func lessEqualI64AVX2(dst, a, b *int64, n int)
TEXT ·lessEqualI64AVX2(SB), NOSPLIT, $0-32
	I64KERNEL(LEI64)

// func equalI64AVX2(dst, a, b *int64, n int)
TEXT ·equalI64AVX2(SB), NOSPLIT, $0-32
	I64KERNEL(EQI64)

// func notEqualI64AVX2(dst, a, b *int64, n int)
TEXT ·notEqualI64AVX2(SB), NOSPLIT, $0-32
	I64KERNEL(NEI64)

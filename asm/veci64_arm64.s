//go:build !noasm

#include "textflag.h"

// NEON instructions on registers given by number (d the destination, n and m the operands as
// in the Arm manual), .2D lanes, .16B for the bitwise ones.
#define ADD2D(d, n, m) WORD $(0x4ee08400 | (m)<<16 | (n)<<5 | (d))
#define SUB2D(d, n, m) WORD $(0x6ee08400 | (m)<<16 | (n)<<5 | (d))
#define CMGT2D(d, n, m) WORD $(0x4ee03400 | (m)<<16 | (n)<<5 | (d)) // Vn > Vm, signed
#define CMGE2D(d, n, m) WORD $(0x4ee03c00 | (m)<<16 | (n)<<5 | (d)) // Vn >= Vm, signed
#define CMEQ2D(d, n, m) WORD $(0x6ee08c00 | (m)<<16 | (n)<<5 | (d))
#define USHR63(d, n) WORD $(0x6f410400 | (n)<<5 | (d))
#define AND16B(d, n, m) WORD $(0x4e201c00 | (m)<<16 | (n)<<5 | (d))
#define ORR16B(d, n, m) WORD $(0x4ea01c00 | (m)<<16 | (n)<<5 | (d))
#define EOR16B(d, n, m) WORD $(0x6e201c00 | (m)<<16 | (n)<<5 | (d))
#define BSL16B(d, n, m) WORD $(0x6e601c00 | (m)<<16 | (n)<<5 | (d)) // Vd = Vd ? Vn : Vm, bit by bit

// The operations, on Va (Vb the other operand, Vm scratch): the result in Va. A comparison's
// all-ones lanes are shifted down to 1; V31 holds 1 in every lane, to turn 1 into 0 and 0
// into 1. BSL takes the maximum or the minimum by the lanes of a > b.
#define ADDI64(a, b, m) ADD2D(a, a, b)
#define SUBI64(a, b, m) SUB2D(a, a, b)
#define ANDI64(a, b, m) AND16B(a, a, b)
#define ORI64(a, b, m) ORR16B(a, a, b)
#define XORI64(a, b, m) EOR16B(a, a, b)
#define MAXI64(a, b, m) CMGT2D(m, a, b); BSL16B(m, a, b); ORR16B(a, m, m)
#define MINI64(a, b, m) CMGT2D(m, a, b); BSL16B(m, b, a); ORR16B(a, m, m)
#define LTI64(a, b, m) CMGT2D(a, b, a); USHR63(a, a)
#define LEI64(a, b, m) CMGE2D(a, b, a); USHR63(a, a)
#define EQI64(a, b, m) CMEQ2D(a, a, b); USHR63(a, a)
#define NEI64(a, b, m) CMEQ2D(a, a, b); USHR63(a, a); EOR16B(a, a, 31)

// I64KERNEL computes n (a multiple of 8) elements by op, eight a step.
#define I64KERNEL(op) \
	MOVD   dst+0(FP), R0; \
	MOVD   a+8(FP), R1; \
	MOVD   b+16(FP), R2; \
	MOVD   n+24(FP), R3; \
	MOVD   $1, R5; \
	VDUP   R5, V31.D2; \
loop: \
	VLD1.P 64(R1), [V0.D2, V1.D2, V2.D2, V3.D2]; \
	VLD1.P 64(R2), [V4.D2, V5.D2, V6.D2, V7.D2]; \
	op(0, 4, 8); \
	op(1, 5, 9); \
	op(2, 6, 10); \
	op(3, 7, 11); \
	VST1.P [V0.D2, V1.D2, V2.D2, V3.D2], 64(R0); \
	SUBS   $8, R3; \
	BNE    loop; \
	RET

// func addI64NEON(dst, a, b *int64, n int)
TEXT ·addI64NEON(SB), NOSPLIT, $0-32
	I64KERNEL(ADDI64)

// func subI64NEON(dst, a, b *int64, n int)
TEXT ·subI64NEON(SB), NOSPLIT, $0-32
	I64KERNEL(SUBI64)

// func maxI64NEON(dst, a, b *int64, n int)
TEXT ·maxI64NEON(SB), NOSPLIT, $0-32
	I64KERNEL(MAXI64)

// func minI64NEON(dst, a, b *int64, n int)
TEXT ·minI64NEON(SB), NOSPLIT, $0-32
	I64KERNEL(MINI64)

// func andI64NEON(dst, a, b *int64, n int)
TEXT ·andI64NEON(SB), NOSPLIT, $0-32
	I64KERNEL(ANDI64)

// func orI64NEON(dst, a, b *int64, n int)
TEXT ·orI64NEON(SB), NOSPLIT, $0-32
	I64KERNEL(ORI64)

// func xorI64NEON(dst, a, b *int64, n int)
TEXT ·xorI64NEON(SB), NOSPLIT, $0-32
	I64KERNEL(XORI64)

// func lessI64NEON(dst, a, b *int64, n int)
TEXT ·lessI64NEON(SB), NOSPLIT, $0-32
	I64KERNEL(LTI64)

// func lessEqualI64NEON(dst, a, b *int64, n int)
TEXT ·lessEqualI64NEON(SB), NOSPLIT, $0-32
	I64KERNEL(LEI64)

// func equalI64NEON(dst, a, b *int64, n int)
TEXT ·equalI64NEON(SB), NOSPLIT, $0-32
	I64KERNEL(EQI64)

// func notEqualI64NEON(dst, a, b *int64, n int)
TEXT ·notEqualI64NEON(SB), NOSPLIT, $0-32
	I64KERNEL(NEI64)

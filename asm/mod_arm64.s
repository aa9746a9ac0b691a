//go:build !noasm

#include "textflag.h"

// NEON instructions the Go assembler lacks, on registers given by number (d the destination,
// n and m the operands as in the Arm manual); .2D lanes of float64, .16B for the bitwise ones.
#define FCVTL(d, n) WORD $(0x0e617800 | (n)<<5 | (d))        // FCVTL Vd.2D, Vn.2S
#define FCVTL2(d, n) WORD $(0x4e617800 | (n)<<5 | (d))       // FCVTL2 Vd.2D, Vn.4S
#define FCVTN(d, n) WORD $(0x0e616800 | (n)<<5 | (d))        // FCVTN Vd.2S, Vn.2D
#define FCVTN2(d, n) WORD $(0x4e616800 | (n)<<5 | (d))       // FCVTN2 Vd.4S, Vn.2D
#define FDIV(d, n, m) WORD $(0x6e60fc00 | (m)<<16 | (n)<<5 | (d))
#define FMUL(d, n, m) WORD $(0x6e60dc00 | (m)<<16 | (n)<<5 | (d))
#define FADD(d, n, m) WORD $(0x4e60d400 | (m)<<16 | (n)<<5 | (d))
#define FSUB(d, n, m) WORD $(0x4ee0d400 | (m)<<16 | (n)<<5 | (d))
#define FMLS(d, n, m) WORD $(0x4ee0cc00 | (m)<<16 | (n)<<5 | (d)) // Vd -= Vn·Vm, fused
#define FACGT(d, n, m) WORD $(0x6ee0ec00 | (m)<<16 | (n)<<5 | (d)) // |Vn| > |Vm|
#define FRINTZ(d, n) WORD $(0x4ee19800 | (n)<<5 | (d))
#define FCMEQZ(d, n) WORD $(0x4ee0d800 | (n)<<5 | (d))       // Vn == 0
#define CMLTZ(d, n) WORD $(0x4ee0a800 | (n)<<5 | (d))        // the sign bit spread over the lane
#define ANDV(d, n, m) WORD $(0x4e201c00 | (m)<<16 | (n)<<5 | (d))
#define ORRV(d, n, m) WORD $(0x4ea01c00 | (m)<<16 | (n)<<5 | (d))
#define EORV(d, n, m) WORD $(0x6e201c00 | (m)<<16 | (n)<<5 | (d))
#define BICV(d, n, m) WORD $(0x4e601c00 | (m)<<16 | (n)<<5 | (d)) // Vn &^ Vm
#define BITV(d, n, m) WORD $(0x6ea01c00 | (m)<<16 | (n)<<5 | (d)) // Vd = Vm ? Vn : Vd, bit by bit

// The constants of the remainder kernels, a float64 in every lane: V21 all ones for a
// floored remainder (else zero), V22 the sign bit, V23 +Inf, V24 the quotient bound, V25 1.
#define MODCONSTS(bound) \
	MOVBU floored+32(FP), R5; \
	NEG   R5, R5; \
	VDUP  R5, V21.D2; \
	MOVD  $0x8000000000000000, R5; \
	VDUP  R5, V22.D2; \
	MOVD  $0x7ff0000000000000, R5; \
	VDUP  R5, V23.D2; \
	MOVD  $bound, R5; \
	VDUP  R5, V24.D2; \
	MOVD  $0x3ff0000000000000, R5; \
	VDUP  R5, V25.D2

// INRANGE sets Vm's lanes to all ones where the quotients Vd and Vd2 are below the bound in
// magnitude and the divisors Vy and Vy2 are finite (NaNs fail both); Vt is scratch. The
// kernel goes on only if every lane is set.
#define INRANGE(d, d2, y, y2, m, t) \
	FACGT(m, 24, d); \
	FACGT(t, 24, d2); \
	ANDV(m, m, t); \
	FACGT(t, 23, y); \
	ANDV(m, m, t); \
	FACGT(t, 23, y2); \
	ANDV(m, m, t)

// FINISH takes the truncated remainder Vr of Vx / Vy on to the result: a zero takes x's
// sign, and for a floored remainder y is added to a remainder that is not zero and whose
// sign differs from y's; Vt and Vu are scratch.
#define FINISH(x, y, r, t, u) \
	FCMEQZ(t, r); \
	ANDV(u, 22, x); \
	BITV(r, u, t); \
	EORV(t, r, y); \
	CMLTZ(t, t); \
	FCMEQZ(u, r); \
	BICV(t, t, u); \
	ANDV(t, t, 21); \
	FADD(u, r, y); \
	BITV(r, u, t)

// func modF32NEON(dst, x, y *float32, n int, floored bool) int
//
// Four elements a step, widened to float64 two a register; it stops before a step with an
// operand out of range and returns the number of elements done.
TEXT ·modF32NEON(SB), NOSPLIT, $0-48
	MOVD dst+0(FP), R0
	MOVD x+8(FP), R1
	MOVD y+16(FP), R2
	MOVD n+24(FP), R3
	MODCONSTS(0x41b0000000000000) // 2²⁸
	MOVD $0, R7

mod32_loop:
	CMP    R3, R7
	BHS    mod32_done
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R2), [V1.S4]
	FCVTL(2, 0)
	FCVTL2(3, 0)
	FCVTL(4, 1)
	FCVTL2(5, 1)
	FDIV(6, 2, 4)
	FDIV(7, 3, 5)
	INRANGE(6, 7, 4, 5, 8, 9)
	VMOV   V8.D[0], R5
	VMOV   V8.D[1], R6
	AND    R5, R6, R6
	CMN    $1, R6
	BNE    mod32_done
	// x - trunc(d)·y: the product is exact (see modMaxQuotient32), so unfused.
	FRINTZ(6, 6)
	FRINTZ(7, 7)
	FMUL(6, 6, 4)
	FMUL(7, 7, 5)
	FSUB(6, 2, 6)
	FSUB(7, 3, 7)
	FINISH(2, 4, 6, 8, 9)
	FINISH(3, 5, 7, 10, 11)
	FCVTN(12, 6)
	FCVTN2(12, 7)
	VST1.P [V12.S4], 16(R0)
	ADD    $4, R7, R7
	B      mod32_loop

mod32_done:
	MOVD R7, ret+40(FP)
	RET

// REM64 turns the quotient Vq of Vx / Vy into the truncated remainder Vr: q = trunc(q), and
// x - q·y fused; where that is not zero and its sign differs from x's, q was one too far
// from zero (see modMaxQuotient64), and the remainder is x - (q ∓ 1)·y. Vq, Vs and Vt are
// scratch.
#define REM64(x, y, q, r, s, t) \
	FRINTZ(q, q); \
	ORRV(r, x, x); \
	FMLS(r, q, y); \
	ANDV(s, 22, q); \
	ORRV(s, s, 25); \
	FSUB(q, q, s); \
	ORRV(s, x, x); \
	FMLS(s, q, y); \
	EORV(t, r, x); \
	CMLTZ(t, t); \
	FCMEQZ(q, r); \
	BICV(t, t, q); \
	BITV(r, s, t)

// func modF64NEON(dst, x, y *float64, n int, floored bool) int
//
// Four elements a step, two a register; it stops before a step with an operand out of
// range and returns the number of elements done.
TEXT ·modF64NEON(SB), NOSPLIT, $0-48
	MOVD dst+0(FP), R0
	MOVD x+8(FP), R1
	MOVD y+16(FP), R2
	MOVD n+24(FP), R3
	MODCONSTS(0x4330000000000000) // 2⁵²
	MOVD $0, R7

mod64_loop:
	CMP    R3, R7
	BHS    mod64_done
	VLD1.P 32(R1), [V0.D2, V1.D2]
	VLD1.P 32(R2), [V2.D2, V3.D2]
	FDIV(4, 0, 2)
	FDIV(5, 1, 3)
	INRANGE(4, 5, 2, 3, 8, 9)
	VMOV   V8.D[0], R5
	VMOV   V8.D[1], R6
	AND    R5, R6, R6
	CMN    $1, R6
	BNE    mod64_done
	REM64(0, 2, 4, 6, 8, 9)
	REM64(1, 3, 5, 7, 10, 11)
	FINISH(0, 2, 6, 8, 9)
	FINISH(1, 3, 7, 10, 11)
	VST1.P [V6.D2, V7.D2], 32(R0)
	ADD    $4, R7, R7
	B      mod64_loop

mod64_done:
	MOVD R7, ret+40(FP)
	RET

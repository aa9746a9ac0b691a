//go:build !noasm

#include "textflag.h"

// The constants of the remainder kernels, a float64 in every lane: Y10 zero, Y11 all ones
// for a floored remainder (else zero), Y12 the sign bit, Y13 +Inf, Y14 the quotient bound,
// Y15 all but the sign bit.
#define MODCONSTS(bound) \
	VXORPD       Y10, Y10, Y10; \
	MOVBQZX      floored+32(FP), AX; \
	NEGQ         AX; \
	MOVQ         AX, X11; \
	VPBROADCASTQ X11, Y11; \
	MOVQ         $-0x8000000000000000, AX; \
	MOVQ         AX, X12; \
	VPBROADCASTQ X12, Y12; \
	MOVQ         $0x7ff0000000000000, AX; \
	MOVQ         AX, X13; \
	VPBROADCASTQ X13, Y13; \
	MOVQ         $bound, AX; \
	MOVQ         AX, X14; \
	VPBROADCASTQ X14, Y14; \
	VPCMPEQQ     Y15, Y15, Y15; \
	VPSRLQ       $1, Y15, Y15

// INRANGE sets m's lanes to all ones where the quotient d is below the bound in magnitude
// and the divisor y is finite (NaNs fail both), t a scratch register.
#define INRANGE(y, d, m, t) \
	VANDPD  Y15, d, m; \
	VCMPPD  $0x11, Y14, m, m; \
	VANDPD  Y15, y, t; \
	VCMPPD  $0x11, Y13, t, t; \
	VANDPD  t, m, m

// FINISH takes the truncated remainder r of x / y on to the result: a zero takes x's sign,
// and for a floored remainder y is added to a remainder that is not zero and whose sign
// differs from y's; t and u are scratch registers.
#define FINISH(x, y, r, t, u) \
	VCMPPD    $0, Y10, r, t; \
	VANDPD    Y12, x, u; \
	VBLENDVPD t, u, r, r; \
	VXORPD    y, r, t; \
	VCMPPD    $4, Y10, r, u; \
	VANDPD    u, t, t; \
	VANDPD    Y11, t, t; \
	VADDPD    y, r, u; \
	VBLENDVPD t, u, r, r

// REM32 turns the quotient d of float32 operands x and y widened to float64 into their
// remainder: x - trunc(d)·y, exact below modMaxQuotient32.
#define REM32(x, y, d, t, u) \
	VROUNDPD     $3, d, d; \
	VFNMADD213PD x, y, d; \
	FINISH(x, y, d, t, u)

// func modF32AVX2(dst, x, y *float32, n int, floored bool) int
//
// Eight elements a step, four a register widened to float64; it stops before a step with
// an operand out of range and returns the number of elements done.
TEXT ·modF32AVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	MODCONSTS(0x41b0000000000000) // 2²⁸
	XORQ BX, BX

mod32_loop:
	CMPQ      BX, CX
	JAE       mod32_done
	VCVTPS2PD (SI)(BX*4), Y0
	VCVTPS2PD (DX)(BX*4), Y1
	VCVTPS2PD 16(SI)(BX*4), Y5
	VCVTPS2PD 16(DX)(BX*4), Y6
	VDIVPD    Y1, Y0, Y2
	VDIVPD    Y6, Y5, Y7
	INRANGE(Y1, Y2, Y3, Y4)
	INRANGE(Y6, Y7, Y8, Y9)
	VANDPD    Y8, Y3, Y3
	VMOVMSKPD Y3, AX
	CMPL      AX, $15
	JNE       mod32_done
	REM32(Y0, Y1, Y2, Y3, Y4)
	REM32(Y5, Y6, Y7, Y8, Y9)
	VCVTPD2PSY Y2, X2
	VCVTPD2PSY Y7, X7
	VMOVUPS   X2, (DI)(BX*4)
	VMOVUPS   X7, 16(DI)(BX*4)
	ADDQ      $8, BX
	JMP       mod32_loop

mod32_done:
	MOVQ BX, ret+40(FP)
	VZEROUPPER
	RET

// func modF64AVX2(dst, x, y *float64, n int, floored bool) int
//
// Four elements a step; it stops before a step with an operand out of range and returns
// the number of elements done. q = trunc(x/y) may be one too far from zero (see
// modMaxQuotient64): where x - q·y is not zero and its sign differs from x's, the remainder
// is computed again with q one nearer zero.
TEXT ·modF64AVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	MODCONSTS(0x4330000000000000) // 2⁵²
	MOVQ         $0x3ff0000000000000, AX // 1
	MOVQ         AX, X9
	VPBROADCASTQ X9, Y9
	XORQ BX, BX

mod64_loop:
	CMPQ      BX, CX
	JAE       mod64_done
	VMOVUPD   (SI)(BX*8), Y0
	VMOVUPD   (DX)(BX*8), Y1
	VDIVPD    Y1, Y0, Y2
	INRANGE(Y1, Y2, Y3, Y4)
	VMOVMSKPD Y3, AX
	CMPL      AX, $15
	JNE       mod64_done
	VROUNDPD     $3, Y2, Y2 // q
	VMOVAPD      Y2, Y3
	VFNMADD213PD Y0, Y1, Y3 // r = x - q·y
	VANDPD       Y12, Y2, Y4
	VORPD        Y9, Y4, Y4 // copysign(1, q)
	VSUBPD       Y4, Y2, Y2
	VFNMADD213PD Y0, Y1, Y2 // x - (q ∓ 1)·y
	VXORPD       Y0, Y3, Y4
	VCMPPD       $4, Y10, Y3, Y5
	VANDPD       Y5, Y4, Y4 // r not zero, its sign not x's
	VBLENDVPD    Y4, Y2, Y3, Y3
	FINISH(Y0, Y1, Y3, Y4, Y5)
	VMOVUPD   Y3, (DI)(BX*8)
	ADDQ      $4, BX
	JMP       mod64_loop

mod64_done:
	MOVQ BX, ret+40(FP)
	VZEROUPPER
	RET

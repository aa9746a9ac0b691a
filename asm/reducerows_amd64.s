//go:build !noasm

#include "textflag.h"

// MAXINTO sets Y0 to the lane by lane maximum of Y0 and s as the built-in max does: VMAXPS
// returns its second operand where either is NaN or both are zero, so the maximum is taken
// both ways round, the two results ANDed where both are ordered (+0 over -0) and ORed where
// one is NaN (a NaN either way).
#define MAXINTO(s) \
	VMAXPS    s, Y0, Y8; \
	VMAXPS    Y0, s, Y9; \
	VCMPPS    $3, s, Y0, Y10; \
	VANDPS    Y9, Y8, Y0; \
	VORPS     Y9, Y8, Y8; \
	VBLENDVPS Y10, Y8, Y0, Y0

// MININTO is MAXINTO for the minimum: ORed both ways round, which gives -0 under +0 and
// keeps a NaN.
#define MININTO(s) \
	VMINPS s, Y0, Y8; \
	VMINPS Y0, s, Y9; \
	VORPS  Y9, Y8, Y0

// ROWS reduces each row into Y0 by into: its first vector, each whole vector after it, and
// the row's last vector once more where the row is not a whole number of vectors (an element
// counted twice changes no maximum or minimum); then the eight lanes are folded into one,
// stored at DI.
#define ROWS(into) \
row_loop: \
	VMOVUPS    (SI), Y0; \
	MOVQ       $32, BX; \
	CMPQ       DX, $64; \
	JB         tail; \
vectors: \
	VMOVUPS    (SI)(BX*1), Y4; \
	into(Y4); \
	ADDQ       $32, BX; \
	LEAQ       32(BX), R8; \
	CMPQ       R8, DX; \
	JBE        vectors; \
tail: \
	CMPQ       BX, DX; \
	JAE        fold; \
	VMOVUPS    -32(SI)(DX*1), Y4; \
	into(Y4); \
fold: \
	VPERM2F128 $0x01, Y0, Y0, Y4; \
	into(Y4); \
	VPERMILPS  $0x4e, Y0, Y4; \
	into(Y4); \
	VPERMILPS  $0xb1, Y0, Y4; \
	into(Y4); \
	VMOVSS     X0, (DI); \
	ADDQ       $4, DI; \
	ADDQ       DX, SI; \
	DECQ       CX; \
	JNE        row_loop; \
	VZEROUPPER; \
	RET

#define ROWSARGS \
	MOVQ dst+0(FP), DI; \
	MOVQ x+8(FP), SI; \
	MOVQ rows+16(FP), CX; \
	MOVQ w+24(FP), DX; \
	SHLQ $2, DX

// func reduceMaxRowsF32AVX2(dst, x *float32, rows, w int)
TEXT ·reduceMaxRowsF32AVX2(SB), NOSPLIT, $0-32
	ROWSARGS
	ROWS(MAXINTO)

// func reduceMinRowsF32AVX2(dst, x *float32, rows, w int)
TEXT ·reduceMinRowsF32AVX2(SB), NOSPLIT, $0-32
	ROWSARGS
	ROWS(MININTO)

// func sumRowsF32AVX2(dst *float64, x *float32, rows, w int)
//
// SumF32 a row at a time: value i of a row into float64 lane i%32 (Y0-Y7, four lanes each),
// then lane j+h added into lane j for h = 16, 8, 4, 2, 1.
TEXT ·sumRowsF32AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ w+24(FP), DX
	SHLQ $2, DX

sum_row:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	MOVQ   DX, BX

sum_block:
	VCVTPS2PD (SI), Y8
	VADDPD    Y8, Y0, Y0
	VCVTPS2PD 16(SI), Y8
	VADDPD    Y8, Y1, Y1
	VCVTPS2PD 32(SI), Y8
	VADDPD    Y8, Y2, Y2
	VCVTPS2PD 48(SI), Y8
	VADDPD    Y8, Y3, Y3
	VCVTPS2PD 64(SI), Y8
	VADDPD    Y8, Y4, Y4
	VCVTPS2PD 80(SI), Y8
	VADDPD    Y8, Y5, Y5
	VCVTPS2PD 96(SI), Y8
	VADDPD    Y8, Y6, Y6
	VCVTPS2PD 112(SI), Y8
	VADDPD    Y8, Y7, Y7
	ADDQ      $128, SI
	SUBQ      $128, BX
	JNE       sum_block
	VADDPD     Y4, Y0, Y0
	VADDPD     Y5, Y1, Y1
	VADDPD     Y6, Y2, Y2
	VADDPD     Y7, Y3, Y3
	VADDPD     Y2, Y0, Y0
	VADDPD     Y3, Y1, Y1
	VADDPD     Y1, Y0, Y0
	VPERM2F128 $0x01, Y0, Y0, Y8
	VADDPD     Y8, Y0, Y0
	VPERMILPD  $0x5, Y0, Y8
	VADDPD     Y8, Y0, Y0
	VMOVSD     X0, (DI)
	ADDQ       $8, DI
	DECQ       CX
	JNE        sum_row
	VZEROUPPER
	RET

// HALVE4STORE adds the float64 lanes 2 and 3 of Y0 into lanes 0 and 1, then lane 1 into
// lane 0, adds +0 (X15) to that and stores it at (DI).
#define HALVE4STORE \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPD       X1, X0, X0; \
	VPERMILPD    $0x1, X0, X1; \
	VADDSD       X1, X0, X0; \
	VADDSD       X15, X0, X0; \
	VMOVSD       X0, (DI)

// func sumNarrowRowsF32AVX2(dst *float64, x *float32, rows, w int)
//
// SumF32 of rows of w = 4, 8 or 16 values: lane i holds value i, the lanes from w on are +0
// (the halvings past w add nothing), then lane j+h is added into lane j for h = w/2, ...,
// 1. A lane of SumF32 starts at +0, so none holds -0; here a lane may, which changes only a
// sum of nothing but -0: adding +0 to the result makes that +0 as well.
TEXT ·sumNarrowRowsF32AVX2(SB), NOSPLIT, $0-32
	MOVQ   dst+0(FP), DI
	MOVQ   x+8(FP), SI
	MOVQ   rows+16(FP), CX
	MOVQ   w+24(FP), DX
	VXORPD Y15, Y15, Y15
	CMPQ   DX, $16
	JEQ    narrow16
	CMPQ   DX, $8
	JEQ    narrow8

narrow4:
	VCVTPS2PD  (SI), Y0
	HALVE4STORE
	ADDQ       $16, SI
	ADDQ       $8, DI
	DECQ       CX
	JNE        narrow4
	VZEROUPPER
	RET

narrow8:
	VCVTPS2PD  (SI), Y0
	VCVTPS2PD  16(SI), Y1
	VADDPD     Y1, Y0, Y0
	HALVE4STORE
	ADDQ       $32, SI
	ADDQ       $8, DI
	DECQ       CX
	JNE        narrow8
	VZEROUPPER
	RET

narrow16:
	VCVTPS2PD  (SI), Y0
	VCVTPS2PD  16(SI), Y1
	VCVTPS2PD  32(SI), Y2
	VCVTPS2PD  48(SI), Y3
	VADDPD     Y2, Y0, Y0
	VADDPD     Y3, Y1, Y1
	VADDPD     Y1, Y0, Y0
	HALVE4STORE
	ADDQ       $64, SI
	ADDQ       $8, DI
	DECQ       CX
	JNE        narrow16
	VZEROUPPER
	RET

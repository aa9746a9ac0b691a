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

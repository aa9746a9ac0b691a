//go:build !noasm

#include "textflag.h"

// FILLROWS fills rows rows (CX) of DX bytes from DI with the value that bcast broadcasts into
// Y0 from (SI), SI stepping R8 bytes a row: 128 bytes a step, then 32, then the row's last
// 32 bytes once more where the row is not a whole number of vectors (the row holds at least
// one vector, and those bytes hold its value already).
#define FILLROWS(bcast) \
row_loop: \
	bcast   (SI), Y0; \
	MOVQ    DI, R10; \
	MOVQ    DX, R11; \
wide: \
	CMPQ    R11, $128; \
	JB      narrow; \
	VMOVUPS Y0, (R10); \
	VMOVUPS Y0, 32(R10); \
	VMOVUPS Y0, 64(R10); \
	VMOVUPS Y0, 96(R10); \
	ADDQ    $128, R10; \
	SUBQ    $128, R11; \
	JMP     wide; \
narrow: \
	CMPQ    R11, $32; \
	JB      tail; \
	VMOVUPS Y0, (R10); \
	ADDQ    $32, R10; \
	SUBQ    $32, R11; \
	JMP     narrow; \
tail: \
	TESTQ   R11, R11; \
	JEQ     next; \
	VMOVUPS Y0, -32(DI)(DX*1); \
next: \
	ADDQ    DX, DI; \
	ADDQ    R8, SI; \
	DECQ    CX; \
	JNE     row_loop; \
	VZEROUPPER; \
	RET

// func fillRowsF32AVX2(dst *float32, rows, w int, src *float32, stride int)
TEXT ·fillRowsF32AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ rows+8(FP), CX
	MOVQ w+16(FP), DX
	MOVQ src+24(FP), SI
	MOVQ stride+32(FP), R8
	SHLQ $2, DX
	SHLQ $2, R8
	FILLROWS(VBROADCASTSS)

// func fillRowsF64AVX2(dst *float64, rows, w int, src *float64, stride int)
TEXT ·fillRowsF64AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ rows+8(FP), CX
	MOVQ w+16(FP), DX
	MOVQ src+24(FP), SI
	MOVQ stride+32(FP), R8
	SHLQ $3, DX
	SHLQ $3, R8
	FILLROWS(VBROADCASTSD)

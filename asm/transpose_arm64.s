//go:build !noasm

#include "textflag.h"

// func transposeF32NEON(dst []float32, ldd int, src []float32, lds, rows, cols int)
//
// For each 4 × 4 block: its rows a..d in V0-V3; TRN1/TRN2 on words pair the rows (a0 b0 a2
// b2, a1 b1 a3 b3, ...), TRN1/TRN2 on doublewords join the pairs into the block's columns.
TEXT ·transposeF32NEON(SB), NOSPLIT, $0-80
	MOVD dst_base+0(FP), R0
	MOVD ldd+24(FP), R1
	MOVD src_base+32(FP), R2
	MOVD lds+56(FP), R3
	MOVD rows+64(FP), R4
	MOVD cols+72(FP), R5
	LSL  $2, R1               // the strides in bytes
	LSL  $2, R3

transpose_rows:
	MOVD R2, R6               // the block's first source row
	MOVD R0, R7               // its first destination row
	MOVD R5, R8

transpose_block:
	ADD  R3, R6, R9
	ADD  R3, R9, R10
	ADD  R3, R10, R11
	VLD1 (R6), [V0.S4]
	VLD1 (R9), [V1.S4]
	VLD1 (R10), [V2.S4]
	VLD1 (R11), [V3.S4]

	VTRN1 V1.S4, V0.S4, V4.S4
	VTRN2 V1.S4, V0.S4, V5.S4
	VTRN1 V3.S4, V2.S4, V6.S4
	VTRN2 V3.S4, V2.S4, V7.S4
	VTRN1 V6.D2, V4.D2, V0.D2
	VTRN1 V7.D2, V5.D2, V1.D2
	VTRN2 V6.D2, V4.D2, V2.D2
	VTRN2 V7.D2, V5.D2, V3.D2

	ADD  R1, R7, R9
	ADD  R1, R9, R10
	ADD  R1, R10, R11
	VST1 [V0.S4], (R7)
	VST1 [V1.S4], (R9)
	VST1 [V2.S4], (R10)
	VST1 [V3.S4], (R11)

	ADD  $16, R6              // the next 4 source columns
	ADD  R1<<2, R7, R7        // the next 4 destination rows
	SUBS $4, R8, R8
	BNE  transpose_block

	ADD  R3<<2, R2, R2        // the next 4 source rows
	ADD  $16, R0              // the next 4 destination columns
	SUBS $4, R4, R4
	BNE  transpose_rows
	RET

//go:build !noasm

#include "textflag.h"

// NEON instructions the Go assembler lacks, on registers given by number. FMAX and FMIN
// give NaN if either operand is NaN and order -0 below +0, as the built-in max and min do;
// so do FMAXV and FMINV across the four lanes of Vn into Sd.
#define FMAX4S(d, n, m) WORD $(0x4e20f400 | (m)<<16 | (n)<<5 | (d))
#define FMIN4S(d, n, m) WORD $(0x4ea0f400 | (m)<<16 | (n)<<5 | (d))
#define FMAXV4S(d, n) WORD $(0x6e30f800 | (n)<<5 | (d))
#define FMINV4S(d, n) WORD $(0x6eb0f800 | (n)<<5 | (d))

// ROWS reduces each row into V0 by into: its first vector, each whole vector after it, and
// the row's last vector once more where the row is not a whole number of vectors (an element
// counted twice changes no maximum or minimum); then across folds the four lanes into one,
// stored at R0.
#define ROWS(into, across) \
row_loop: \
	VLD1  (R1), [V0.S4]; \
	MOVD  $16, R5; \
	CMP   $32, R3; \
	BLT   tail; \
vectors: \
	ADD   R5, R1, R6; \
	VLD1  (R6), [V4.S4]; \
	into(0, 0, 4); \
	ADD   $16, R5; \
	ADD   $16, R5, R7; \
	CMP   R3, R7; \
	BLE   vectors; \
tail: \
	CMP   R3, R5; \
	BGE   fold; \
	ADD   R3, R1, R6; \
	SUB   $16, R6; \
	VLD1  (R6), [V4.S4]; \
	into(0, 0, 4); \
fold: \
	across(0, 0); \
	FMOVS F0, (R0); \
	ADD   $4, R0; \
	ADD   R3, R1; \
	SUBS  $1, R2; \
	BNE   row_loop; \
	RET

#define ROWSARGS \
	MOVD dst+0(FP), R0; \
	MOVD x+8(FP), R1; \
	MOVD rows+16(FP), R2; \
	MOVD w+24(FP), R3; \
	LSL  $2, R3

// func reduceMaxRowsF32NEON(dst, x *float32, rows, w int)
TEXT ·reduceMaxRowsF32NEON(SB), NOSPLIT, $0-32
	ROWSARGS
	ROWS(FMAX4S, FMAXV4S)

// func reduceMinRowsF32NEON(dst, x *float32, rows, w int)
TEXT ·reduceMinRowsF32NEON(SB), NOSPLIT, $0-32
	ROWSARGS
	ROWS(FMIN4S, FMINV4S)

#define FCVTL2D(d, n) WORD $(0x0e617800 | (n)<<5 | (d))  // FCVTL Vd.2D, Vn.2S
#define FCVTL22D(d, n) WORD $(0x4e617800 | (n)<<5 | (d)) // FCVTL2 Vd.2D, Vn.4S
#define FADD2D(d, n, m) WORD $(0x4e60d400 | (m)<<16 | (n)<<5 | (d))
#define FADDP2D(d, n) WORD $(0x7e70d800 | (n)<<5 | (d))  // FADDP Dd, Vn.2D: lane 0 + lane 1

// func sumRowsF32NEON(dst *float64, x *float32, rows, w int)
//
// SumF32 a row at a time: value i of a row into float64 lane i%32 (V0-V15, two lanes each),
// then lane j+h added into lane j for h = 16, 8, 4, 2, 1.
TEXT ·sumRowsF32NEON(SB), NOSPLIT, $0-32
	MOVD dst+0(FP), R0
	MOVD x+8(FP), R1
	MOVD rows+16(FP), R2
	MOVD w+24(FP), R3
	LSL  $2, R3

sum_row:
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	MOVD R3, R5

sum_block:
	VLD1.P 64(R1), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R1), [V20.S4, V21.S4, V22.S4, V23.S4]
	FCVTL2D(24, 16)
	FCVTL22D(25, 16)
	FADD2D(0, 0, 24)
	FADD2D(1, 1, 25)
	FCVTL2D(24, 17)
	FCVTL22D(25, 17)
	FADD2D(2, 2, 24)
	FADD2D(3, 3, 25)
	FCVTL2D(24, 18)
	FCVTL22D(25, 18)
	FADD2D(4, 4, 24)
	FADD2D(5, 5, 25)
	FCVTL2D(24, 19)
	FCVTL22D(25, 19)
	FADD2D(6, 6, 24)
	FADD2D(7, 7, 25)
	FCVTL2D(24, 20)
	FCVTL22D(25, 20)
	FADD2D(8, 8, 24)
	FADD2D(9, 9, 25)
	FCVTL2D(24, 21)
	FCVTL22D(25, 21)
	FADD2D(10, 10, 24)
	FADD2D(11, 11, 25)
	FCVTL2D(24, 22)
	FCVTL22D(25, 22)
	FADD2D(12, 12, 24)
	FADD2D(13, 13, 25)
	FCVTL2D(24, 23)
	FCVTL22D(25, 23)
	FADD2D(14, 14, 24)
	FADD2D(15, 15, 25)
	SUBS $128, R5
	BNE  sum_block
	FADD2D(0, 0, 8)
	FADD2D(1, 1, 9)
	FADD2D(2, 2, 10)
	FADD2D(3, 3, 11)
	FADD2D(4, 4, 12)
	FADD2D(5, 5, 13)
	FADD2D(6, 6, 14)
	FADD2D(7, 7, 15)
	FADD2D(0, 0, 4)
	FADD2D(1, 1, 5)
	FADD2D(2, 2, 6)
	FADD2D(3, 3, 7)
	FADD2D(0, 0, 2)
	FADD2D(1, 1, 3)
	FADD2D(0, 0, 1)
	FADDP2D(0, 0)
	FMOVD F0, (R0)
	ADD   $8, R0
	SUBS  $1, R2
	BNE   sum_row
	RET

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

//go:build !noasm

#include "textflag.h"

// func fillRowsNEON(dst unsafe.Pointer, rows, rowBytes int, src unsafe.Pointer, strideBytes int, wide bool)
//
// Each row's value loaded into every lane of V0-V3 (four-byte lanes, or eight-byte when
// wide), then stored 64 bytes a step, then 16, then the row's last 16 bytes once more where
// the row is not a whole number of vectors (the row holds at least one vector, and those
// bytes hold its value already).
TEXT ·fillRowsNEON(SB), NOSPLIT, $0-41
	MOVD  dst+0(FP), R0
	MOVD  rows+8(FP), R1
	MOVD  rowBytes+16(FP), R2
	MOVD  src+24(FP), R3
	MOVD  strideBytes+32(FP), R4
	MOVBU wide+40(FP), R5

row_loop:
	CBNZ  R5, load64
	VLD1R (R3), [V0.S4]
	B     loaded

load64:
	VLD1R (R3), [V0.D2]

loaded:
	VORR V0.B16, V0.B16, V1.B16
	VORR V0.B16, V0.B16, V2.B16
	VORR V0.B16, V0.B16, V3.B16
	MOVD R0, R10
	MOVD R2, R11

wide:
	CMP    $64, R11
	BLT    narrow
	VST1.P [V0.B16, V1.B16, V2.B16, V3.B16], 64(R10)
	SUB    $64, R11
	B      wide

narrow:
	CMP    $16, R11
	BLT    tail
	VST1.P [V0.B16], 16(R10)
	SUB    $16, R11
	B      narrow

tail:
	CBZ  R11, next
	ADD  R2, R0, R12
	SUB  $16, R12
	VST1 [V0.B16], (R12)

next:
	ADD  R2, R0
	ADD  R4, R3
	SUBS $1, R1
	BNE  row_loop
	RET

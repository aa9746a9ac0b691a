//go:build !noasm

#include "textflag.h"

// func transposeF32AVX2(dst []float32, ldd int, src []float32, lds, rows, cols int)
//
// For each 8 × 8 block: its rows a..h in Y0-Y7; VUNPCKLPS/VUNPCKHPS interleave pairs of rows
// (a0 b0 a1 b1 | a4 b4 a5 b5 ...), VSHUFPS gathers four rows' elements (a0 b0 c0 d0 | a4 b4
// c4 d4 ...), VPERM2F128 joins the halves of rows a-d and e-h into the block's columns.
TEXT ·transposeF32AVX2(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ ldd+24(FP), R8
	MOVQ src_base+32(FP), SI
	MOVQ lds+56(FP), R9
	MOVQ rows+64(FP), R10
	MOVQ cols+72(FP), R11
	SHLQ $2, R8               // the strides in bytes
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R12      // 3 source rows
	LEAQ (R8)(R8*2), R13      // 3 destination rows

transpose_rows:
	MOVQ SI, AX               // the block's first source row
	MOVQ DI, BX               // its first destination row
	MOVQ R11, CX

transpose_block:
	LEAQ    (AX)(R9*4), DX
	VMOVUPS (AX), Y0
	VMOVUPS (AX)(R9*1), Y1
	VMOVUPS (AX)(R9*2), Y2
	VMOVUPS (AX)(R12*1), Y3
	VMOVUPS (DX), Y4
	VMOVUPS (DX)(R9*1), Y5
	VMOVUPS (DX)(R9*2), Y6
	VMOVUPS (DX)(R12*1), Y7

	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xee, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xee, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xee, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xee, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	LEAQ    (BX)(R8*4), DX
	VMOVUPS Y8, (BX)
	VMOVUPS Y9, (BX)(R8*1)
	VMOVUPS Y10, (BX)(R8*2)
	VMOVUPS Y11, (BX)(R13*1)
	VMOVUPS Y12, (DX)
	VMOVUPS Y13, (DX)(R8*1)
	VMOVUPS Y14, (DX)(R8*2)
	VMOVUPS Y15, (DX)(R13*1)

	ADDQ $32, AX              // the next 8 source columns
	LEAQ (BX)(R8*8), BX       // the next 8 destination rows
	SUBQ $8, CX
	JNZ  transpose_block

	LEAQ (SI)(R9*8), SI       // the next 8 source rows
	ADDQ $32, DI              // the next 8 destination columns
	SUBQ $8, R10
	JNZ  transpose_rows
	VZEROUPPER
	RET

// func transposeF64AVX2(dst []float64, ldd int, src []float64, lds, rows, cols int)
//
// For each 4 × 4 block: its rows a..d in Y0-Y3; VUNPCKLPD/VUNPCKHPD interleave pairs of rows
// (a0 b0 | a2 b2, a1 b1 | a3 b3), VPERM2F128 joins the halves of rows a-b and c-d into the
// block's columns.
TEXT ·transposeF64AVX2(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ ldd+24(FP), R8
	MOVQ src_base+32(FP), SI
	MOVQ lds+56(FP), R9
	MOVQ rows+64(FP), R10
	MOVQ cols+72(FP), R11
	SHLQ $3, R8               // the strides in bytes
	SHLQ $3, R9
	LEAQ (R9)(R9*2), R12      // 3 source rows
	LEAQ (R8)(R8*2), R13      // 3 destination rows

transpose64_rows:
	MOVQ SI, AX               // the block's first source row
	MOVQ DI, BX               // its first destination row
	MOVQ R11, CX

transpose64_block:
	VMOVUPD (AX), Y0
	VMOVUPD (AX)(R9*1), Y1
	VMOVUPD (AX)(R9*2), Y2
	VMOVUPD (AX)(R12*1), Y3

	VUNPCKLPD Y1, Y0, Y4
	VUNPCKHPD Y1, Y0, Y5
	VUNPCKLPD Y3, Y2, Y6
	VUNPCKHPD Y3, Y2, Y7

	VPERM2F128 $0x20, Y6, Y4, Y0
	VPERM2F128 $0x20, Y7, Y5, Y1
	VPERM2F128 $0x31, Y6, Y4, Y2
	VPERM2F128 $0x31, Y7, Y5, Y3

	VMOVUPD Y0, (BX)
	VMOVUPD Y1, (BX)(R8*1)
	VMOVUPD Y2, (BX)(R8*2)
	VMOVUPD Y3, (BX)(R13*1)

	ADDQ $32, AX              // the next 4 source columns
	LEAQ (BX)(R8*4), BX       // the next 4 destination rows
	SUBQ $4, CX
	JNZ  transpose64_block

	LEAQ (SI)(R9*4), SI       // the next 4 source rows
	ADDQ $32, DI              // the next 4 destination columns
	SUBQ $4, R10
	JNZ  transpose64_rows
	VZEROUPPER
	RET

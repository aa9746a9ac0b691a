//go:build !noasm

#include "textflag.h"

// func float16ToF32AVX2(dst []float32, src []uint16)
TEXT ·float16ToF32AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	CMPQ CX, $32
	JB   f16tof32_1
f16tof32_4:
	VCVTPH2PS 0(SI), Y0
	VCVTPH2PS 16(SI), Y1
	VCVTPH2PS 32(SI), Y2
	VCVTPH2PS 48(SI), Y3
	VMOVUPS   Y0, 0(DI)
	VMOVUPS   Y1, 32(DI)
	VMOVUPS   Y2, 64(DI)
	VMOVUPS   Y3, 96(DI)
	ADDQ      $64, SI
	ADDQ      $128, DI
	SUBQ      $32, CX
	CMPQ      CX, $32
	JAE       f16tof32_4
f16tof32_1:
	TESTQ CX, CX
	JZ    f16tof32_done
f16tof32_loop:
	VCVTPH2PS 0(SI), Y0
	VMOVUPS   Y0, 0(DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JNZ       f16tof32_loop
f16tof32_done:
	VZEROUPPER
	RET

// func f32ToFloat16AVX2(dst []uint16, src []float32)
TEXT ·f32ToFloat16AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	CMPQ CX, $32
	JB   f32tof16_1
f32tof16_4:
	VMOVUPS   0(SI), Y0
	VMOVUPS   32(SI), Y1
	VMOVUPS   64(SI), Y2
	VMOVUPS   96(SI), Y3
	VCVTPS2PH $0, Y0, 0(DI)
	VCVTPS2PH $0, Y1, 16(DI)
	VCVTPS2PH $0, Y2, 32(DI)
	VCVTPS2PH $0, Y3, 48(DI)
	ADDQ      $128, SI
	ADDQ      $64, DI
	SUBQ      $32, CX
	CMPQ      CX, $32
	JAE       f32tof16_4
f32tof16_1:
	TESTQ CX, CX
	JZ    f32tof16_done
f32tof16_loop:
	VMOVUPS   0(SI), Y0
	VCVTPS2PH $0, Y0, 0(DI)
	ADDQ      $32, SI
	ADDQ      $16, DI
	SUBQ      $8, CX
	JNZ       f32tof16_loop
f32tof16_done:
	VZEROUPPER
	RET

// func bfloat16ToF32AVX2(dst []float32, src []uint16)
TEXT ·bfloat16ToF32AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	TESTQ CX, CX
	JZ    bf16tof32_done
bf16tof32_loop:
	VPMOVZXWD 0(SI), Y0
	VPSLLD    $16, Y0, Y0
	VMOVDQU   Y0, 0(DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JNZ       bf16tof32_loop
bf16tof32_done:
	VZEROUPPER
	RET

// func f32ToBFloat16AVX2(dst []uint16, src []float32)
// Per lane, as half.BFloat16From: NaN gives b>>16 | 0x40, the rest (b + 0x7fff + (b>>16)&1) >> 16.
TEXT ·f32ToBFloat16AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	TESTQ CX, CX
	JZ    f32tobf16_done
	MOVL         $0x7fff, AX
	VMOVD        AX, X8
	VPBROADCASTD X8, Y8
	MOVL         $1, AX
	VMOVD        AX, X9
	VPBROADCASTD X9, Y9
	MOVL         $0x40, AX
	VMOVD        AX, X10
	VPBROADCASTD X10, Y10
f32tobf16_loop:
	VMOVDQU   0(SI), Y0
	VCMPPS    $3, Y0, Y0, Y3
	VPSRLD    $16, Y0, Y1
	VPOR      Y10, Y1, Y4
	VPAND     Y9, Y1, Y1
	VPADDD    Y8, Y0, Y2
	VPADDD    Y1, Y2, Y2
	VPSRLD    $16, Y2, Y2
	VPBLENDVB Y3, Y4, Y2, Y2
	VPACKUSDW Y2, Y2, Y2
	VPERMQ    $0x08, Y2, Y2
	VMOVDQU   X2, 0(DI)
	ADDQ      $32, SI
	ADDQ      $16, DI
	SUBQ      $8, CX
	JNZ       f32tobf16_loop
f32tobf16_done:
	VZEROUPPER
	RET

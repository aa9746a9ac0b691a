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

// The AVX-512 kernels take any length: four vectors of 16 a step, then one, then the last
// 1 to 15 elements under a mask (K2), whose loads and stores leave the other lanes alone.
// TAILMASK sets K2 to the low CX bits.
#define TAILMASK \
	MOVL  $1, AX \
	SHLL  CX, AX \
	DECL  AX \
	KMOVW AX, K2

// func float16ToF32AVX512(dst []float32, src []uint16)
TEXT ·float16ToF32AVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	CMPQ CX, $64
	JB   f16tof32z_1
f16tof32z_4:
	VCVTPH2PS 0(SI), Z0
	VCVTPH2PS 32(SI), Z1
	VCVTPH2PS 64(SI), Z2
	VCVTPH2PS 96(SI), Z3
	VMOVUPS   Z0, 0(DI)
	VMOVUPS   Z1, 64(DI)
	VMOVUPS   Z2, 128(DI)
	VMOVUPS   Z3, 192(DI)
	ADDQ      $128, SI
	ADDQ      $256, DI
	SUBQ      $64, CX
	CMPQ      CX, $64
	JAE       f16tof32z_4
f16tof32z_1:
	CMPQ CX, $16
	JB   f16tof32z_tail
	VCVTPH2PS 0(SI), Z0
	VMOVUPS   Z0, 0(DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       f16tof32z_1
f16tof32z_tail:
	TESTQ CX, CX
	JZ    f16tof32z_done
	TAILMASK
	VCVTPH2PS.Z 0(SI), K2, Z0
	VMOVUPS     Z0, K2, 0(DI)
f16tof32z_done:
	VZEROUPPER
	RET

// func f32ToFloat16AVX512(dst []uint16, src []float32)
TEXT ·f32ToFloat16AVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	CMPQ CX, $64
	JB   f32tof16z_1
f32tof16z_4:
	VMOVUPS   0(SI), Z0
	VMOVUPS   64(SI), Z1
	VMOVUPS   128(SI), Z2
	VMOVUPS   192(SI), Z3
	VCVTPS2PH $0, Z0, 0(DI)
	VCVTPS2PH $0, Z1, 32(DI)
	VCVTPS2PH $0, Z2, 64(DI)
	VCVTPS2PH $0, Z3, 96(DI)
	ADDQ      $256, SI
	ADDQ      $128, DI
	SUBQ      $64, CX
	CMPQ      CX, $64
	JAE       f32tof16z_4
f32tof16z_1:
	CMPQ CX, $16
	JB   f32tof16z_tail
	VMOVUPS   0(SI), Z0
	VCVTPS2PH $0, Z0, 0(DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	SUBQ      $16, CX
	JMP       f32tof16z_1
f32tof16z_tail:
	TESTQ CX, CX
	JZ    f32tof16z_done
	TAILMASK
	VMOVUPS.Z 0(SI), K2, Z0
	VCVTPS2PH $0, Z0, K2, 0(DI)
f32tof16z_done:
	VZEROUPPER
	RET

// func bfloat16ToF32AVX512(dst []float32, src []uint16)
TEXT ·bfloat16ToF32AVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	CMPQ CX, $64
	JB   bf16tof32z_1
bf16tof32z_4:
	VPMOVZXWD 0(SI), Z0
	VPMOVZXWD 32(SI), Z1
	VPMOVZXWD 64(SI), Z2
	VPMOVZXWD 96(SI), Z3
	VPSLLD    $16, Z0, Z0
	VPSLLD    $16, Z1, Z1
	VPSLLD    $16, Z2, Z2
	VPSLLD    $16, Z3, Z3
	VMOVDQU32 Z0, 0(DI)
	VMOVDQU32 Z1, 64(DI)
	VMOVDQU32 Z2, 128(DI)
	VMOVDQU32 Z3, 192(DI)
	ADDQ      $128, SI
	ADDQ      $256, DI
	SUBQ      $64, CX
	CMPQ      CX, $64
	JAE       bf16tof32z_4
bf16tof32z_1:
	CMPQ CX, $16
	JB   bf16tof32z_tail
	VPMOVZXWD 0(SI), Z0
	VPSLLD    $16, Z0, Z0
	VMOVDQU32 Z0, 0(DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       bf16tof32z_1
bf16tof32z_tail:
	TESTQ CX, CX
	JZ    bf16tof32z_done
	TAILMASK
	VPMOVZXWD.Z 0(SI), K2, Z0
	VPSLLD      $16, Z0, Z0
	VMOVDQU32   Z0, K2, 0(DI)
bf16tof32z_done:
	VZEROUPPER
	RET

// BF16Z rounds the 16 float32 of Z0 to bfloat16 into the low halves of Z2's lanes, as
// f32ToBFloat16AVX2 does (Z8: 0x7fff, Z9: 1, Z10: 0x40 in every lane; K1, Z1, Z4 scratch).
#define BF16Z \
	VCMPPS    $3, Z0, Z0, K1 \
	VPSRLD    $16, Z0, Z1 \
	VPORD     Z10, Z1, Z4 \
	VPANDD    Z9, Z1, Z1 \
	VPADDD    Z8, Z0, Z2 \
	VPADDD    Z1, Z2, Z2 \
	VPSRLD    $16, Z2, Z2 \
	VMOVDQA32 Z4, K1, Z2

// func f32ToBFloat16AVX512(dst []uint16, src []float32)
TEXT ·f32ToBFloat16AVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	TESTQ CX, CX
	JZ    f32tobf16z_done
	MOVL         $0x7fff, AX
	VPBROADCASTD AX, Z8
	MOVL         $1, AX
	VPBROADCASTD AX, Z9
	MOVL         $0x40, AX
	VPBROADCASTD AX, Z10
f32tobf16z_1:
	CMPQ CX, $16
	JB   f32tobf16z_tail
	VMOVDQU32 0(SI), Z0
	BF16Z
	VPMOVDW   Z2, 0(DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	SUBQ      $16, CX
	JMP       f32tobf16z_1
f32tobf16z_tail:
	TESTQ CX, CX
	JZ    f32tobf16z_done
	TAILMASK
	VMOVDQU32.Z 0(SI), K2, Z0
	BF16Z
	VPMOVDW     Z2, K2, 0(DI)
f32tobf16z_done:
	VZEROUPPER
	RET

// func roundToFloat16AVX512(v []float32)
TEXT ·roundToFloat16AVX512(SB), NOSPLIT, $0-24
	MOVQ v_base+0(FP), SI
	MOVQ v_len+8(FP), CX
rtf16z_1:
	CMPQ CX, $16
	JB   rtf16z_tail
	VMOVUPS   0(SI), Z0
	VCVTPS2PH $0, Z0, Y1
	VCVTPH2PS Y1, Z0
	VMOVUPS   Z0, 0(SI)
	ADDQ      $64, SI
	SUBQ      $16, CX
	JMP       rtf16z_1
rtf16z_tail:
	TESTQ CX, CX
	JZ    rtf16z_done
	TAILMASK
	VMOVUPS.Z 0(SI), K2, Z0
	VCVTPS2PH $0, Z0, Y1
	VCVTPH2PS Y1, Z0
	VMOVUPS   Z0, K2, 0(SI)
rtf16z_done:
	VZEROUPPER
	RET

// func roundToBFloat16AVX512(v []float32)
TEXT ·roundToBFloat16AVX512(SB), NOSPLIT, $0-24
	MOVQ v_base+0(FP), SI
	MOVQ v_len+8(FP), CX
	TESTQ CX, CX
	JZ    rtbf16z_done
	MOVL         $0x7fff, AX
	VPBROADCASTD AX, Z8
	MOVL         $1, AX
	VPBROADCASTD AX, Z9
	MOVL         $0x40, AX
	VPBROADCASTD AX, Z10
rtbf16z_1:
	CMPQ CX, $16
	JB   rtbf16z_tail
	VMOVDQU32 0(SI), Z0
	BF16Z
	VPSLLD    $16, Z2, Z2
	VMOVDQU32 Z2, 0(SI)
	ADDQ      $64, SI
	SUBQ      $16, CX
	JMP       rtbf16z_1
rtbf16z_tail:
	TESTQ CX, CX
	JZ    rtbf16z_done
	TAILMASK
	VMOVDQU32.Z 0(SI), K2, Z0
	BF16Z
	VPSLLD      $16, Z2, Z2
	VMOVDQU32   Z2, K2, 0(SI)
rtbf16z_done:
	VZEROUPPER
	RET

// func roundToFloat16AVX2(v []float32)
TEXT ·roundToFloat16AVX2(SB), NOSPLIT, $0-24
	MOVQ v_base+0(FP), SI
	MOVQ v_len+8(FP), CX
	TESTQ CX, CX
	JZ    rtf16_done
rtf16_loop:
	VMOVUPS   0(SI), Y0
	VCVTPS2PH $0, Y0, X1
	VCVTPH2PS X1, Y0
	VMOVUPS   Y0, 0(SI)
	ADDQ      $32, SI
	SUBQ      $8, CX
	JNZ       rtf16_loop
rtf16_done:
	VZEROUPPER
	RET

// func roundToBFloat16AVX2(v []float32)
// As f32ToBFloat16AVX2, the 16 bits put back in the high half of each lane.
TEXT ·roundToBFloat16AVX2(SB), NOSPLIT, $0-24
	MOVQ v_base+0(FP), SI
	MOVQ v_len+8(FP), CX
	TESTQ CX, CX
	JZ    rtbf16_done
	MOVL         $0x7fff, AX
	VMOVD        AX, X8
	VPBROADCASTD X8, Y8
	MOVL         $1, AX
	VMOVD        AX, X9
	VPBROADCASTD X9, Y9
	MOVL         $0x40, AX
	VMOVD        AX, X10
	VPBROADCASTD X10, Y10
rtbf16_loop:
	VMOVDQU   0(SI), Y0
	VCMPPS    $3, Y0, Y0, Y3
	VPSRLD    $16, Y0, Y1
	VPOR      Y10, Y1, Y4
	VPAND     Y9, Y1, Y1
	VPADDD    Y8, Y0, Y2
	VPADDD    Y1, Y2, Y2
	VPSRLD    $16, Y2, Y2
	VPBLENDVB Y3, Y4, Y2, Y2
	VPSLLD    $16, Y2, Y2
	VMOVDQU   Y2, 0(SI)
	ADDQ      $32, SI
	SUBQ      $8, CX
	JNZ       rtbf16_loop
rtbf16_done:
	VZEROUPPER
	RET

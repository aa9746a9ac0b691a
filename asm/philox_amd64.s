//go:build !noasm

#include "textflag.h"

// The counters' offsets in the lanes of three registers: 0, 1, ..., 11 in 64-bit lanes.
DATA philoxIota<>+0(SB)/8, $0
DATA philoxIota<>+8(SB)/8, $1
DATA philoxIota<>+16(SB)/8, $2
DATA philoxIota<>+24(SB)/8, $3
DATA philoxIota<>+32(SB)/8, $4
DATA philoxIota<>+40(SB)/8, $5
DATA philoxIota<>+48(SB)/8, $6
DATA philoxIota<>+56(SB)/8, $7
DATA philoxIota<>+64(SB)/8, $8
DATA philoxIota<>+72(SB)/8, $9
DATA philoxIota<>+80(SB)/8, $10
DATA philoxIota<>+88(SB)/8, $11
GLOBL philoxIota<>(SB), RODATA|NOPTR, $96

// The multipliers M0 and M1, each in eight 32-bit lanes.
DATA philoxM<>+0(SB)/4, $0xD2511F53
DATA philoxM<>+4(SB)/4, $0xD2511F53
DATA philoxM<>+8(SB)/4, $0xD2511F53
DATA philoxM<>+12(SB)/4, $0xD2511F53
DATA philoxM<>+16(SB)/4, $0xD2511F53
DATA philoxM<>+20(SB)/4, $0xD2511F53
DATA philoxM<>+24(SB)/4, $0xD2511F53
DATA philoxM<>+28(SB)/4, $0xD2511F53
DATA philoxM<>+32(SB)/4, $0xCD9E8D57
DATA philoxM<>+36(SB)/4, $0xCD9E8D57
DATA philoxM<>+40(SB)/4, $0xCD9E8D57
DATA philoxM<>+44(SB)/4, $0xCD9E8D57
DATA philoxM<>+48(SB)/4, $0xCD9E8D57
DATA philoxM<>+52(SB)/4, $0xCD9E8D57
DATA philoxM<>+56(SB)/4, $0xCD9E8D57
DATA philoxM<>+60(SB)/4, $0xCD9E8D57
GLOBL philoxM<>(SB), RODATA|NOPTR, $64

// Each block's four words are in the low halves of 64-bit lanes, one block a lane: VPMULUDQ
// multiplies those halves into whole 64-bit products, whose high words VPSRLQ brings down.
// The high halves of the lanes hold what the round left there (a product's high word, a
// broadcast word) and are never read: VPMULUDQ ignores them, XOR keeps them apart, and the
// stores keep the low halves only.
//
// A round takes (x0, x1, x2, x3) to (hi(M1·x2) ^ x1 ^ k0, lo(M1·x2), hi(M0·x0) ^ x3 ^ k1,
// lo(M0·x0)), k the round's key at offset k of the frame. It leaves them in the registers of
// (x1, t, x3, x0), and x2's is the next round's t: five registers a chain, rotating with a
// period of five rounds, so that after ten each word is back where it started. Y15 holds
// each high word for the moment it takes to fold it in.
#define ROUND(x0, x1, x2, x3, t, k) \
	VPMULUDQ philoxM<>+32(SB), x2, t; \
	VPMULUDQ philoxM<>+0(SB), x0, x0; \
	VPXOR    k(SP), x1, x1; \
	VPSRLQ   $32, t, Y15; \
	VPXOR    Y15, x1, x1; \
	VPXOR    k+32(SP), x3, x3; \
	VPSRLQ   $32, x0, Y15; \
	VPXOR    Y15, x3, x3

// The low words of the four 64-bit lanes of y (x the same register's low half), stored at m.
#define STORE(y, x, m) \
	VPSHUFD $0x08, y, y; \
	VPERMQ  $0x08, y, y; \
	VMOVDQU x, m

// func philoxAVX2(o0, o1, o2, o3 *uint32, n int, c0, c1, c2 uint32, keys *[20]uint32)
//
// n blocks, a multiple of 12: three registers of four counters at a time, whose rounds
// overlap (each waits on a multiply). The frame holds the round keys, each spread over a
// register: round r's k0 at 64r, its k1 at 64r+32.
TEXT ·philoxAVX2(SB), NOSPLIT, $640-64
	MOVQ o0+0(FP), DI
	MOVQ o1+8(FP), SI
	MOVQ o2+16(FP), DX
	MOVQ o3+24(FP), CX
	MOVQ n+32(FP), R9
	MOVL c0+40(FP), AX
	MOVL c1+44(FP), R10
	MOVL c2+48(FP), R11
	MOVQ keys+56(FP), R8
	VPBROADCASTD 0(R8), Y15
	VMOVDQU Y15, 0(SP)
	VPBROADCASTD 4(R8), Y15
	VMOVDQU Y15, 32(SP)
	VPBROADCASTD 8(R8), Y15
	VMOVDQU Y15, 64(SP)
	VPBROADCASTD 12(R8), Y15
	VMOVDQU Y15, 96(SP)
	VPBROADCASTD 16(R8), Y15
	VMOVDQU Y15, 128(SP)
	VPBROADCASTD 20(R8), Y15
	VMOVDQU Y15, 160(SP)
	VPBROADCASTD 24(R8), Y15
	VMOVDQU Y15, 192(SP)
	VPBROADCASTD 28(R8), Y15
	VMOVDQU Y15, 224(SP)
	VPBROADCASTD 32(R8), Y15
	VMOVDQU Y15, 256(SP)
	VPBROADCASTD 36(R8), Y15
	VMOVDQU Y15, 288(SP)
	VPBROADCASTD 40(R8), Y15
	VMOVDQU Y15, 320(SP)
	VPBROADCASTD 44(R8), Y15
	VMOVDQU Y15, 352(SP)
	VPBROADCASTD 48(R8), Y15
	VMOVDQU Y15, 384(SP)
	VPBROADCASTD 52(R8), Y15
	VMOVDQU Y15, 416(SP)
	VPBROADCASTD 56(R8), Y15
	VMOVDQU Y15, 448(SP)
	VPBROADCASTD 60(R8), Y15
	VMOVDQU Y15, 480(SP)
	VPBROADCASTD 64(R8), Y15
	VMOVDQU Y15, 512(SP)
	VPBROADCASTD 68(R8), Y15
	VMOVDQU Y15, 544(SP)
	VPBROADCASTD 72(R8), Y15
	VMOVDQU Y15, 576(SP)
	VPBROADCASTD 76(R8), Y15
	VMOVDQU Y15, 608(SP)
	VMOVD R10, X13
	VPBROADCASTD X13, Y13
	VMOVD R11, X14
	VPBROADCASTD X14, Y14
	TESTQ R9, R9
	JEQ philoxAVX2_done

philoxAVX2_loop:
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	VPADDQ philoxIota<>+0(SB), Y15, Y0
	VMOVDQA Y13, Y1
	VMOVDQA Y14, Y2
	VPXOR Y3, Y3, Y3
	VPADDQ philoxIota<>+32(SB), Y15, Y5
	VMOVDQA Y13, Y6
	VMOVDQA Y14, Y7
	VPXOR Y8, Y8, Y8
	VPADDQ philoxIota<>+64(SB), Y15, Y10
	VMOVDQA Y13, Y11
	VMOVDQA Y14, Y12
	VPXOR Y13, Y13, Y13
	// round 0
	ROUND(Y0, Y1, Y2, Y3, Y4, 0)
	ROUND(Y5, Y6, Y7, Y8, Y9, 0)
	ROUND(Y10, Y11, Y12, Y13, Y14, 0)
	// round 1
	ROUND(Y1, Y4, Y3, Y0, Y2, 64)
	ROUND(Y6, Y9, Y8, Y5, Y7, 64)
	ROUND(Y11, Y14, Y13, Y10, Y12, 64)
	// round 2
	ROUND(Y4, Y2, Y0, Y1, Y3, 128)
	ROUND(Y9, Y7, Y5, Y6, Y8, 128)
	ROUND(Y14, Y12, Y10, Y11, Y13, 128)
	// round 3
	ROUND(Y2, Y3, Y1, Y4, Y0, 192)
	ROUND(Y7, Y8, Y6, Y9, Y5, 192)
	ROUND(Y12, Y13, Y11, Y14, Y10, 192)
	// round 4
	ROUND(Y3, Y0, Y4, Y2, Y1, 256)
	ROUND(Y8, Y5, Y9, Y7, Y6, 256)
	ROUND(Y13, Y10, Y14, Y12, Y11, 256)
	// round 5
	ROUND(Y0, Y1, Y2, Y3, Y4, 320)
	ROUND(Y5, Y6, Y7, Y8, Y9, 320)
	ROUND(Y10, Y11, Y12, Y13, Y14, 320)
	// round 6
	ROUND(Y1, Y4, Y3, Y0, Y2, 384)
	ROUND(Y6, Y9, Y8, Y5, Y7, 384)
	ROUND(Y11, Y14, Y13, Y10, Y12, 384)
	// round 7
	ROUND(Y4, Y2, Y0, Y1, Y3, 448)
	ROUND(Y9, Y7, Y5, Y6, Y8, 448)
	ROUND(Y14, Y12, Y10, Y11, Y13, 448)
	// round 8
	ROUND(Y2, Y3, Y1, Y4, Y0, 512)
	ROUND(Y7, Y8, Y6, Y9, Y5, 512)
	ROUND(Y12, Y13, Y11, Y14, Y10, 512)
	// round 9
	ROUND(Y3, Y0, Y4, Y2, Y1, 576)
	ROUND(Y8, Y5, Y9, Y7, Y6, 576)
	ROUND(Y13, Y10, Y14, Y12, Y11, 576)
	STORE(Y0, X0, 0(DI))
	STORE(Y1, X1, 0(SI))
	STORE(Y2, X2, 0(DX))
	STORE(Y3, X3, 0(CX))
	STORE(Y5, X5, 16(DI))
	STORE(Y6, X6, 16(SI))
	STORE(Y7, X7, 16(DX))
	STORE(Y8, X8, 16(CX))
	STORE(Y10, X10, 32(DI))
	STORE(Y11, X11, 32(SI))
	STORE(Y12, X12, 32(DX))
	STORE(Y13, X13, 32(CX))
	// c1 and c2 again, where chain 2 had them
	VMOVD R10, X13
	VPBROADCASTD X13, Y13
	VMOVD R11, X14
	VPBROADCASTD X14, Y14
	ADDL $12, AX
	ADDQ $48, DI
	ADDQ $48, SI
	ADDQ $48, DX
	ADDQ $48, CX
	SUBQ $12, R9
	JNE philoxAVX2_loop

philoxAVX2_done:
	VZEROUPPER
	RET

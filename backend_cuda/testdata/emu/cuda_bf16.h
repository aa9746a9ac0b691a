// cuda_bf16.h for the CUDA emulator (xb_emu.h): the __nv_bfloat16 storage type and its two
// conversions, as the CUDA dialect uses them: round to nearest even, NaN stays a quiet NaN.
#ifndef XB_EMU_CUDA_BF16_H
#define XB_EMU_CUDA_BF16_H

#include <string.h>

#ifndef __align__
#define __align__(n) __attribute__((aligned(n)))
#endif

struct __align__(2) __nv_bfloat16 {
    unsigned short x;
};

inline float __bfloat162float(__nv_bfloat16 b) {
    unsigned bits = (unsigned)b.x << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

inline __nv_bfloat16 __float2bfloat16_rn(float f) {
    unsigned u;
    memcpy(&u, &f, 4);
    __nv_bfloat16 b;
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        b.x = (unsigned short)((u >> 16) | 0x40u);
    } else {
        b.x = (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    }
    return b;
}

#endif

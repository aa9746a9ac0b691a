// cuda_fp16.h for the CUDA emulator (xb_emu.h): the __half storage type and the two
// conversions the CUDA dialect uses, computed exactly as the hardware's cvt.f32.f16 and
// cvt.rn.f16.f32 do (IEEE binary16, round to nearest even, subnormals, Inf and NaN kept).
#ifndef XB_EMU_CUDA_FP16_H
#define XB_EMU_CUDA_FP16_H

#include <string.h>

#ifndef __align__
#define __align__(n) __attribute__((aligned(n)))
#endif

struct __align__(2) __half {
    unsigned short x;
};

inline float __half2float(__half h) {
    unsigned sign = (unsigned)(h.x & 0x8000u) << 16;
    unsigned exp = (h.x >> 10) & 0x1fu;
    unsigned man = h.x & 0x3ffu;
    unsigned bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13); // Inf, or NaN with its payload
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man == 0) {
        bits = sign;
    } else {
        // A subnormal half is a normal float: shift the leading one into the hidden bit.
        int e = 113;
        while ((man & 0x400u) == 0) {
            man <<= 1;
            e--;
        }
        bits = sign | ((unsigned)e << 23) | ((man & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

inline __half __float2half_rn(float f) {
    unsigned u;
    memcpy(&u, &f, 4);
    unsigned short sign = (unsigned short)((u >> 16) & 0x8000u);
    unsigned abs = u & 0x7fffffffu;
    __half h;
    if (abs > 0x7f800000u) { // NaN: keep it quiet, with the top of its payload
        h.x = (unsigned short)(sign | 0x7e00u | ((abs >> 13) & 0x3ffu));
        return h;
    }
    if (abs >= 0x477ff000u) { // rounds to 65536 or above (65520 is the tie): Inf
        h.x = (unsigned short)(sign | 0x7c00u);
        return h;
    }
    int exp = (int)(abs >> 23);
    if (exp >= 113) { // normal half
        unsigned m = abs - (112u << 23);           // rebias the exponent
        unsigned r = m + 0xfffu + ((m >> 13) & 1u); // round to nearest even at bit 13
        h.x = (unsigned short)(sign | (r >> 13));
        return h;
    }
    if (exp < 102) { // below half the smallest subnormal (2^-25): zero
        h.x = sign;
        return h;
    }
    // Subnormal half: the value in units of 2^-24, rounded to nearest even.
    unsigned man = (abs & 0x7fffffu) | 0x800000u;
    int shift = 126 - exp; // 14..24
    unsigned q = man >> shift;
    unsigned rem = man & ((1u << shift) - 1);
    unsigned half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) q++;
    h.x = (unsigned short)(sign | q);
    return h;
}

#endif

#version 430
// elementwise: 16 threads in workgroups of 256
layout(local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) writeonly buffer Dst { float dst[]; };
layout(std430, binding = 1) readonly buffer Src0 { float src0[]; };

// xb_round_f16 rounds to the nearest float16 value, ties to even (overflow gives Inf).
float xb_round_f16(float x) {
    uint u = floatBitsToUint(x);
    uint a = u & 0x7fffffffu;
    if (a >= 0x7f800000u) return x;
    if (a >= 0x477ff000u) return uintBitsToFloat((u & 0x80000000u) | 0x7f800000u);
    if (a < 0x38800000u) return roundEven(x * 16777216.0) * 5.9604644775390625e-8; // subnormal: multiples of 2^-24
    a += 0xfffu + ((a >> 13) & 1u);
    return uintBitsToFloat((u & 0x80000000u) | (a & 0xffffe000u));
}

void main() {
    int gid = int(gl_WorkGroupID.x) * 256 + int(gl_LocalInvocationID.x);
    if (16 <= gid) return;
    int i1 = gid % 4;
    int i0 = gid / 4;
    precise float v0 = src0[gid];
    precise float v1 = src0[i0 + i1 * 4];
    precise float v2 = xb_round_f16(v0 * v1);
    precise float v3 = xb_round_f16(exp(v2));
    dst[gid] = v3;
}

#include <cuda_fp16.h>
#include <cuda_bf16.h>
// reduce sum serial: 64 outputs of 8 elements, workgroups of 256

extern "C" __global__ void __launch_bounds__(256) kernel(float* __restrict__ dst, const float* __restrict__ src0) {
    const int gid = (int)(blockIdx.x) * 256 + (int)(threadIdx.x);
    if (64 <= gid) return;
    const int c2 = gid % 16;
    const int c0 = gid / 16;
    float acc = 0.0f;
    for (int r1 = 0; r1 < 8; r1++) {
        const float v0 = src0[c0 * 128 + r1 + c2 * 8];
        acc = acc + v0;
    }
    const float v1 = acc * 0.125f;
    dst[gid] = v1;
}

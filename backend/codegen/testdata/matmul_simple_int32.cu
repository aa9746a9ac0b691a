#include <cuda_fp16.h>
#include <cuda_bf16.h>
// contract simple: 30 outputs, K = 7, workgroups of 256

extern "C" __global__ void __launch_bounds__(256) kernel(int* __restrict__ dst, const int* __restrict__ src0, const int* __restrict__ src1) {
    const int gid = (int)(blockIdx.x) * 256 + (int)(threadIdx.x);
    if (30 <= gid) return;
    const int c2 = gid % 5;
    const int c1 = gid / 5 % 3;
    const int c0 = gid / 15;
    int acc = 0;
    for (int k = 0; k < 7; k++) {
        const int v0 = src0[c0 * 21 + c1 * 7 + k];
        const int v1 = src1[c0 * 35 + k * 5 + c2];
        acc = acc + v0 * v1;
    }
    dst[gid] = acc;
}

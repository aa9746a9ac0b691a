#include <cuda_fp16.h>
#include <cuda_bf16.h>
// elementwise: 7 threads in workgroups of 256

extern "C" __global__ void __launch_bounds__(256) kernel(int* __restrict__ dst, const int* __restrict__ src0, const int* __restrict__ src1) {
    const int gid = (int)(blockIdx.x) * 256 + (int)(threadIdx.x);
    if (7 <= gid) return;
    const int v0 = src0[gid];
    const int v1 = src1[gid];
    const int d2 = (v1 == 0 || v1 == -1) ? 1 : v1;
    const int v3 = (v1 == 0) ? 0 : ((v1 == -1) ? -v0 : v0 / d2);
    const int d4 = (v1 == 0 || v1 == -1) ? 1 : v1;
    const int v5 = (d4 == v1) ? v0 - v0 / d4 * d4 : 0;
    const int v6 = (v5 != 0 && (v5 < 0) != (v1 < 0)) ? v5 + v1 : v5;
    const int v7 = v3 + v6;
    dst[gid] = v7;
}

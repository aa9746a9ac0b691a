#include <cuda_fp16.h>
#include <cuda_bf16.h>
// elementwise: 30 threads in workgroups of 256

extern "C" __global__ void __launch_bounds__(256) kernel(float* __restrict__ dst, const float* __restrict__ src0, const float* __restrict__ src1) {
    const int gid = (int)(blockIdx.x) * 256 + (int)(threadIdx.x);
    if (30 <= gid) return;
    const int i1 = gid % 6;
    const int i0 = gid / 6;
    const float v0 = (1 <= i0 && i0 < 4 && i1 < 4) ? src0[i0 * 4 + i1 - 4] : 0.0f;
    const float v1 = src1[i1];
    const float v2 = v0 + v1;
    const float v3 = isnan(v2) ? v2 : fmaxf(v2, 0.0f);
    dst[gid] = v3;
}

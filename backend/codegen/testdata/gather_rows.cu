#include <cuda_fp16.h>
#include <cuda_bf16.h>
// gather along axis 0: 40 outputs, workgroups of 256

extern "C" __global__ void __launch_bounds__(256) kernel(float* __restrict__ dst, const float* __restrict__ src0, const long long* __restrict__ src1, int* __restrict__ flag) {
    const int gid = (int)(blockIdx.x) * 256 + (int)(threadIdx.x);
    if (40 <= gid) return;
    const int c1 = gid % 8;
    const int c0 = gid / 8;
    const long long v0 = src1[c0];
    const long long j1 = v0 < 0ll ? v0 + 10ll : v0;
    const bool bad2 = j1 < 0ll || 10ll <= j1;
    if (bad2) {
        const long long v3 = j1 < 0ll ? j1 - 10ll : j1;
        flag[0] = 1;
        flag[1] = (int)(v3);
    }
    const int jc4 = (int)(bad2 ? 0ll : j1);
    const float v5 = src0[jc4 * 8 + c1];
    dst[gid] = v5;
}

#include <cuda_fp16.h>
#include <cuda_bf16.h>
// reduce sum group: 3 outputs of 4096 elements, one workgroup of 128 each, shuffles in warps, then across 4 warps

extern "C" __global__ void __launch_bounds__(128) kernel(float* __restrict__ dst, const float* __restrict__ src0) {
    __shared__ __align__(16) float partial[4];
    const int group = (int)(blockIdx.x);
    const int tid = (int)(threadIdx.x);
    float acc = 0.0f;
    // Each thread folds every 128th element of the group.
    for (int r = tid; r < 4096; r += 128) {
        const float v0 = src0[group * 4096 + r];
        const float v1 = v0 * v0;
        acc = acc + v1;
    }
    // Combine the partial results of each warp, then of the warps.
    const float o2 = __shfl_xor_sync(0xffffffffu, acc, 16);
    acc = acc + o2;
    const float o3 = __shfl_xor_sync(0xffffffffu, acc, 8);
    acc = acc + o3;
    const float o4 = __shfl_xor_sync(0xffffffffu, acc, 4);
    acc = acc + o4;
    const float o5 = __shfl_xor_sync(0xffffffffu, acc, 2);
    acc = acc + o5;
    const float o6 = __shfl_xor_sync(0xffffffffu, acc, 1);
    acc = acc + o6;
    const int lane = tid % 32;
    if (lane == 0) {
        partial[tid / 32] = acc;
    }
    __syncthreads();
    if (tid < 32) {
        float w = lane < 4 ? partial[lane] : 0.0f;
        const float o7 = __shfl_xor_sync(0xffffffffu, w, 16);
        w = w + o7;
        const float o8 = __shfl_xor_sync(0xffffffffu, w, 8);
        w = w + o8;
        const float o9 = __shfl_xor_sync(0xffffffffu, w, 4);
        w = w + o9;
        const float o10 = __shfl_xor_sync(0xffffffffu, w, 2);
        w = w + o10;
        const float o11 = __shfl_xor_sync(0xffffffffu, w, 1);
        w = w + o11;
        if (tid == 0) {
            dst[group] = w;
        }
    }
}

#include <cuda_fp16.h>
#include <cuda_bf16.h>
// reduce reduce_max group: 3 outputs of 4096 elements, one workgroup of 128 each, tree in shared memory

extern "C" __global__ void __launch_bounds__(128) kernel(float* __restrict__ dst, const float* __restrict__ src0) {
    __shared__ __align__(16) float partial[128];
    const int group = (int)(blockIdx.x);
    const int tid = (int)(threadIdx.x);
    float acc = __int_as_float(0xff800000);
    // Each thread folds every 128th element of the group.
    for (int r = tid; r < 4096; r += 128) {
        const float v0 = src0[group * 4096 + r];
        acc = (acc < v0 || isnan(v0)) ? v0 : acc;
    }
    // Combine the threads' partial results in a tree.
    partial[tid] = acc;
    __syncthreads();
    if (tid < 64) {
        const float mine = partial[tid];
        const float other = partial[tid + 64];
        partial[tid] = (mine < other || isnan(other)) ? other : mine;
    }
    __syncthreads();
    if (tid < 32) {
        const float mine = partial[tid];
        const float other = partial[tid + 32];
        partial[tid] = (mine < other || isnan(other)) ? other : mine;
    }
    __syncthreads();
    if (tid < 16) {
        const float mine = partial[tid];
        const float other = partial[tid + 16];
        partial[tid] = (mine < other || isnan(other)) ? other : mine;
    }
    __syncthreads();
    if (tid < 8) {
        const float mine = partial[tid];
        const float other = partial[tid + 8];
        partial[tid] = (mine < other || isnan(other)) ? other : mine;
    }
    __syncthreads();
    if (tid < 4) {
        const float mine = partial[tid];
        const float other = partial[tid + 4];
        partial[tid] = (mine < other || isnan(other)) ? other : mine;
    }
    __syncthreads();
    if (tid < 2) {
        const float mine = partial[tid];
        const float other = partial[tid + 2];
        partial[tid] = (mine < other || isnan(other)) ? other : mine;
    }
    __syncthreads();
    if (tid < 1) {
        const float mine = partial[tid];
        const float other = partial[tid + 1];
        partial[tid] = (mine < other || isnan(other)) ? other : mine;
    }
    __syncthreads();
    if (tid == 0) {
        const float v1 = partial[0];
        dst[group] = v1;
    }
}

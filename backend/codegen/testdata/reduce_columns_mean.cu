#include <cuda_fp16.h>
#include <cuda_bf16.h>
// reduce sum columns: 80 outputs of 300 elements, tiles of 32 outputs, one workgroup of 32 lanes × 4 rows each, tree in shared memory

extern "C" __global__ void __launch_bounds__(128) kernel(float* __restrict__ dst, const float* __restrict__ src0) {
    __shared__ __align__(16) float partial[128];
    const int group = (int)(blockIdx.x);
    const int tid = (int)(threadIdx.x);
    const int lane = tid % 32;
    const int row = tid / 32;
    const int opos = group * 32 + lane;
    float acc = 0.0f;
    if (opos < 80) {
        // Each row folds every 4th element of its lane's group.
        for (int r = row; r < 300; r += 4) {
            const float v0 = src0[r * 80 + opos];
            acc = acc + v0;
        }
    }
    // Combine the threads' partial results in a tree.
    partial[tid] = acc;
    __syncthreads();
    if (tid < 64) {
        const float mine = partial[tid];
        const float other = partial[tid + 64];
        partial[tid] = mine + other;
    }
    __syncthreads();
    if (tid < 32) {
        const float mine = partial[tid];
        const float other = partial[tid + 32];
        partial[tid] = mine + other;
    }
    __syncthreads();
    if (tid < 32) {
        if (opos < 80) {
            const float v1 = partial[tid];
            const float v2 = v1 * 0.0033333334f;
            dst[opos] = v2;
        }
    }
}

#include <cuda_fp16.h>
#include <cuda_bf16.h>
// reduce sum columns: 64 outputs of 4096 elements, tiles of 32 outputs, 4 workgroups of 32 lanes × 4 rows each, 1024 elements a workgroup, tree in shared memory

extern "C" __global__ void __launch_bounds__(128) kernel(__half* __restrict__ dst, const __half* __restrict__ src0, int* __restrict__ counters, float* __restrict__ partials) {
    __shared__ __align__(16) int splitLast[1];
    __shared__ __align__(16) float partial[128];
    const int group = (int)(blockIdx.x);
    const int tid = (int)(threadIdx.x);
    const int lane = tid % 32;
    const int row = tid / 32;
    const int share = group % 4;
    const int tile = group / 4;
    const int opos = tile * 32 + lane;
    float acc = 0.0f;
    const int rfirst = share * 1024;
    const int rend = (share == 3) ? 4096 : rfirst + 1024;
    // Each row folds every 4th element of this workgroup's share of its lane's group.
    for (int r = rfirst + row; r < rend; r += 4) {
        const float v0 = __half2float(src0[r * 64 + opos]);
        acc = acc + v0;
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
        partials[opos * 4 + share] = partial[tid];
    }
    __syncthreads();
    if (tid == 0) {
        __threadfence();
        const int arrived = atomicAdd(&counters[tile], 1);
        const bool last = arrived == 3;
        splitLast[0] = last ? 1 : 0;
        if (last) {
            __threadfence();
            counters[tile] = 0;
        }
    }
    __syncthreads();
    // Split: the workgroup that counted last combines the shares' results.
    if (splitLast[0] != 0) {
        float total = 0.0f;
        for (int z = row; z < 4; z += 4) {
            total = total + partials[opos * 4 + z];
        }
        // Combine the threads' partial results in a tree.
        partial[tid] = total;
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
            const float v1 = __half2float(__float2half_rn(partial[tid]));
            dst[opos] = __float2half_rn(v1);
        }
    }
}

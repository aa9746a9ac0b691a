#include <cuda_fp16.h>
#include <cuda_bf16.h>
// contract skinny: 3x2 outputs a workgroup of 512 threads along K = 8192, shuffles in warps, then across 16 warps

extern "C" __global__ void __launch_bounds__(512) kernel(float* __restrict__ dst, const float* __restrict__ src0, const float* __restrict__ src1) {
    __shared__ __align__(16) float partial[96];
    const int tid = (int)(threadIdx.x);
    const int row0 = (int)(blockIdx.y) * 3;
    const int col0 = (int)(blockIdx.x) * 2;
    const int batch = (int)(blockIdx.z);
    float acc[6];
    #pragma unroll
    for (int i = 0; i < 6; i++) {
        acc[i] = 0.0f;
    }
    // Each thread takes every 512th step along K.
    for (int k = tid; k < 8192; k += 512) {
        const float v0 = src0[row0 * 8192 + k];
        const float v1 = src0[(row0 + 1) * 8192 + k];
        const float v2 = src0[(row0 + 2) * 8192 + k];
        const float v3 = src1[k * 2 + col0];
        acc[0] = acc[0] + v0 * v3;
        acc[2] = acc[2] + v1 * v3;
        acc[4] = acc[4] + v2 * v3;
        const float v4 = src1[k * 2 + (col0 + 1)];
        acc[1] = acc[1] + v0 * v4;
        acc[3] = acc[3] + v1 * v4;
        acc[5] = acc[5] + v2 * v4;
    }
    // Sum each output over the warp, then over the warps.
    const float o5 = __shfl_xor_sync(0xffffffffu, acc[0], 16);
    acc[0] = acc[0] + o5;
    const float o6 = __shfl_xor_sync(0xffffffffu, acc[0], 8);
    acc[0] = acc[0] + o6;
    const float o7 = __shfl_xor_sync(0xffffffffu, acc[0], 4);
    acc[0] = acc[0] + o7;
    const float o8 = __shfl_xor_sync(0xffffffffu, acc[0], 2);
    acc[0] = acc[0] + o8;
    const float o9 = __shfl_xor_sync(0xffffffffu, acc[0], 1);
    acc[0] = acc[0] + o9;
    const float o10 = __shfl_xor_sync(0xffffffffu, acc[1], 16);
    acc[1] = acc[1] + o10;
    const float o11 = __shfl_xor_sync(0xffffffffu, acc[1], 8);
    acc[1] = acc[1] + o11;
    const float o12 = __shfl_xor_sync(0xffffffffu, acc[1], 4);
    acc[1] = acc[1] + o12;
    const float o13 = __shfl_xor_sync(0xffffffffu, acc[1], 2);
    acc[1] = acc[1] + o13;
    const float o14 = __shfl_xor_sync(0xffffffffu, acc[1], 1);
    acc[1] = acc[1] + o14;
    const float o15 = __shfl_xor_sync(0xffffffffu, acc[2], 16);
    acc[2] = acc[2] + o15;
    const float o16 = __shfl_xor_sync(0xffffffffu, acc[2], 8);
    acc[2] = acc[2] + o16;
    const float o17 = __shfl_xor_sync(0xffffffffu, acc[2], 4);
    acc[2] = acc[2] + o17;
    const float o18 = __shfl_xor_sync(0xffffffffu, acc[2], 2);
    acc[2] = acc[2] + o18;
    const float o19 = __shfl_xor_sync(0xffffffffu, acc[2], 1);
    acc[2] = acc[2] + o19;
    const float o20 = __shfl_xor_sync(0xffffffffu, acc[3], 16);
    acc[3] = acc[3] + o20;
    const float o21 = __shfl_xor_sync(0xffffffffu, acc[3], 8);
    acc[3] = acc[3] + o21;
    const float o22 = __shfl_xor_sync(0xffffffffu, acc[3], 4);
    acc[3] = acc[3] + o22;
    const float o23 = __shfl_xor_sync(0xffffffffu, acc[3], 2);
    acc[3] = acc[3] + o23;
    const float o24 = __shfl_xor_sync(0xffffffffu, acc[3], 1);
    acc[3] = acc[3] + o24;
    const float o25 = __shfl_xor_sync(0xffffffffu, acc[4], 16);
    acc[4] = acc[4] + o25;
    const float o26 = __shfl_xor_sync(0xffffffffu, acc[4], 8);
    acc[4] = acc[4] + o26;
    const float o27 = __shfl_xor_sync(0xffffffffu, acc[4], 4);
    acc[4] = acc[4] + o27;
    const float o28 = __shfl_xor_sync(0xffffffffu, acc[4], 2);
    acc[4] = acc[4] + o28;
    const float o29 = __shfl_xor_sync(0xffffffffu, acc[4], 1);
    acc[4] = acc[4] + o29;
    const float o30 = __shfl_xor_sync(0xffffffffu, acc[5], 16);
    acc[5] = acc[5] + o30;
    const float o31 = __shfl_xor_sync(0xffffffffu, acc[5], 8);
    acc[5] = acc[5] + o31;
    const float o32 = __shfl_xor_sync(0xffffffffu, acc[5], 4);
    acc[5] = acc[5] + o32;
    const float o33 = __shfl_xor_sync(0xffffffffu, acc[5], 2);
    acc[5] = acc[5] + o33;
    const float o34 = __shfl_xor_sync(0xffffffffu, acc[5], 1);
    acc[5] = acc[5] + o34;
    const int lane = tid % 32;
    if (lane == 0) {
        partial[tid / 32] = acc[0];
        partial[16 + tid / 32] = acc[1];
        partial[32 + tid / 32] = acc[2];
        partial[48 + tid / 32] = acc[3];
        partial[64 + tid / 32] = acc[4];
        partial[80 + tid / 32] = acc[5];
    }
    __syncthreads();
    if (tid < 6) {
        float sum = partial[tid * 16];
        sum = sum + partial[tid * 16 + 1];
        sum = sum + partial[tid * 16 + 2];
        sum = sum + partial[tid * 16 + 3];
        sum = sum + partial[tid * 16 + 4];
        sum = sum + partial[tid * 16 + 5];
        sum = sum + partial[tid * 16 + 6];
        sum = sum + partial[tid * 16 + 7];
        sum = sum + partial[tid * 16 + 8];
        sum = sum + partial[tid * 16 + 9];
        sum = sum + partial[tid * 16 + 10];
        sum = sum + partial[tid * 16 + 11];
        sum = sum + partial[tid * 16 + 12];
        sum = sum + partial[tid * 16 + 13];
        sum = sum + partial[tid * 16 + 14];
        sum = sum + partial[tid * 16 + 15];
        const int row = row0 + tid / 2;
        const int col = col0 + tid % 2;
        if (row < 3 && col < 2) {
            const int pos = (batch * 3 + row) * 2 + col;
            dst[pos] = sum;
        }
    }
}

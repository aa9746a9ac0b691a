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
    // Each thread takes every 512th step along K, 4 steps a round.
    for (int k0 = tid; k0 < 6656; k0 += 2048) {
        const int ku0 = k0;
        const float v0 = src0[row0 * 8192 + ku0];
        const float v1 = src0[(row0 + 1) * 8192 + ku0];
        const float v2 = src0[(row0 + 2) * 8192 + ku0];
        const float v3 = src1[ku0 * 2 + col0];
        const float v4 = src1[ku0 * 2 + (col0 + 1)];
        const int ku1 = k0 + 512;
        const float v5 = src0[row0 * 8192 + ku1];
        const float v6 = src0[(row0 + 1) * 8192 + ku1];
        const float v7 = src0[(row0 + 2) * 8192 + ku1];
        const float v8 = src1[ku1 * 2 + col0];
        const float v9 = src1[ku1 * 2 + (col0 + 1)];
        const int ku2 = k0 + 1024;
        const float v10 = src0[row0 * 8192 + ku2];
        const float v11 = src0[(row0 + 1) * 8192 + ku2];
        const float v12 = src0[(row0 + 2) * 8192 + ku2];
        const float v13 = src1[ku2 * 2 + col0];
        const float v14 = src1[ku2 * 2 + (col0 + 1)];
        const int ku3 = k0 + 1536;
        const float v15 = src0[row0 * 8192 + ku3];
        const float v16 = src0[(row0 + 1) * 8192 + ku3];
        const float v17 = src0[(row0 + 2) * 8192 + ku3];
        const float v18 = src1[ku3 * 2 + col0];
        const float v19 = src1[ku3 * 2 + (col0 + 1)];
        acc[0] = acc[0] + v0 * v3;
        acc[2] = acc[2] + v1 * v3;
        acc[4] = acc[4] + v2 * v3;
        acc[1] = acc[1] + v0 * v4;
        acc[3] = acc[3] + v1 * v4;
        acc[5] = acc[5] + v2 * v4;
        acc[0] = acc[0] + v5 * v8;
        acc[2] = acc[2] + v6 * v8;
        acc[4] = acc[4] + v7 * v8;
        acc[1] = acc[1] + v5 * v9;
        acc[3] = acc[3] + v6 * v9;
        acc[5] = acc[5] + v7 * v9;
        acc[0] = acc[0] + v10 * v13;
        acc[2] = acc[2] + v11 * v13;
        acc[4] = acc[4] + v12 * v13;
        acc[1] = acc[1] + v10 * v14;
        acc[3] = acc[3] + v11 * v14;
        acc[5] = acc[5] + v12 * v14;
        acc[0] = acc[0] + v15 * v18;
        acc[2] = acc[2] + v16 * v18;
        acc[4] = acc[4] + v17 * v18;
        acc[1] = acc[1] + v15 * v19;
        acc[3] = acc[3] + v16 * v19;
        acc[5] = acc[5] + v17 * v19;
    }
    const int krest = tid + (8703 - tid) / 2048 * 2048;
    for (int k = krest; k < 8192; k += 512) {
        const float v20 = src0[row0 * 8192 + k];
        const float v21 = src0[(row0 + 1) * 8192 + k];
        const float v22 = src0[(row0 + 2) * 8192 + k];
        const float v23 = src1[k * 2 + col0];
        const float v24 = src1[k * 2 + (col0 + 1)];
        acc[0] = acc[0] + v20 * v23;
        acc[2] = acc[2] + v21 * v23;
        acc[4] = acc[4] + v22 * v23;
        acc[1] = acc[1] + v20 * v24;
        acc[3] = acc[3] + v21 * v24;
        acc[5] = acc[5] + v22 * v24;
    }
    // Sum each output over the warp, then over the warps (of its group).
    const float o25 = __shfl_xor_sync(0xffffffffu, acc[0], 16);
    acc[0] = acc[0] + o25;
    const float o26 = __shfl_xor_sync(0xffffffffu, acc[0], 8);
    acc[0] = acc[0] + o26;
    const float o27 = __shfl_xor_sync(0xffffffffu, acc[0], 4);
    acc[0] = acc[0] + o27;
    const float o28 = __shfl_xor_sync(0xffffffffu, acc[0], 2);
    acc[0] = acc[0] + o28;
    const float o29 = __shfl_xor_sync(0xffffffffu, acc[0], 1);
    acc[0] = acc[0] + o29;
    const float o30 = __shfl_xor_sync(0xffffffffu, acc[1], 16);
    acc[1] = acc[1] + o30;
    const float o31 = __shfl_xor_sync(0xffffffffu, acc[1], 8);
    acc[1] = acc[1] + o31;
    const float o32 = __shfl_xor_sync(0xffffffffu, acc[1], 4);
    acc[1] = acc[1] + o32;
    const float o33 = __shfl_xor_sync(0xffffffffu, acc[1], 2);
    acc[1] = acc[1] + o33;
    const float o34 = __shfl_xor_sync(0xffffffffu, acc[1], 1);
    acc[1] = acc[1] + o34;
    const float o35 = __shfl_xor_sync(0xffffffffu, acc[2], 16);
    acc[2] = acc[2] + o35;
    const float o36 = __shfl_xor_sync(0xffffffffu, acc[2], 8);
    acc[2] = acc[2] + o36;
    const float o37 = __shfl_xor_sync(0xffffffffu, acc[2], 4);
    acc[2] = acc[2] + o37;
    const float o38 = __shfl_xor_sync(0xffffffffu, acc[2], 2);
    acc[2] = acc[2] + o38;
    const float o39 = __shfl_xor_sync(0xffffffffu, acc[2], 1);
    acc[2] = acc[2] + o39;
    const float o40 = __shfl_xor_sync(0xffffffffu, acc[3], 16);
    acc[3] = acc[3] + o40;
    const float o41 = __shfl_xor_sync(0xffffffffu, acc[3], 8);
    acc[3] = acc[3] + o41;
    const float o42 = __shfl_xor_sync(0xffffffffu, acc[3], 4);
    acc[3] = acc[3] + o42;
    const float o43 = __shfl_xor_sync(0xffffffffu, acc[3], 2);
    acc[3] = acc[3] + o43;
    const float o44 = __shfl_xor_sync(0xffffffffu, acc[3], 1);
    acc[3] = acc[3] + o44;
    const float o45 = __shfl_xor_sync(0xffffffffu, acc[4], 16);
    acc[4] = acc[4] + o45;
    const float o46 = __shfl_xor_sync(0xffffffffu, acc[4], 8);
    acc[4] = acc[4] + o46;
    const float o47 = __shfl_xor_sync(0xffffffffu, acc[4], 4);
    acc[4] = acc[4] + o47;
    const float o48 = __shfl_xor_sync(0xffffffffu, acc[4], 2);
    acc[4] = acc[4] + o48;
    const float o49 = __shfl_xor_sync(0xffffffffu, acc[4], 1);
    acc[4] = acc[4] + o49;
    const float o50 = __shfl_xor_sync(0xffffffffu, acc[5], 16);
    acc[5] = acc[5] + o50;
    const float o51 = __shfl_xor_sync(0xffffffffu, acc[5], 8);
    acc[5] = acc[5] + o51;
    const float o52 = __shfl_xor_sync(0xffffffffu, acc[5], 4);
    acc[5] = acc[5] + o52;
    const float o53 = __shfl_xor_sync(0xffffffffu, acc[5], 2);
    acc[5] = acc[5] + o53;
    const float o54 = __shfl_xor_sync(0xffffffffu, acc[5], 1);
    acc[5] = acc[5] + o54;
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
        const int at = tid * 16;
        float sum = partial[at];
        sum = sum + partial[at + 1];
        sum = sum + partial[at + 2];
        sum = sum + partial[at + 3];
        sum = sum + partial[at + 4];
        sum = sum + partial[at + 5];
        sum = sum + partial[at + 6];
        sum = sum + partial[at + 7];
        sum = sum + partial[at + 8];
        sum = sum + partial[at + 9];
        sum = sum + partial[at + 10];
        sum = sum + partial[at + 11];
        sum = sum + partial[at + 12];
        sum = sum + partial[at + 13];
        sum = sum + partial[at + 14];
        sum = sum + partial[at + 15];
        const int row = row0 + tid / 2;
        const int col = col0 + tid % 2;
        if (row < 3 && col < 2) {
            const int pos = (batch * 3 + row) * 2 + col;
            dst[pos] = sum;
        }
    }
}

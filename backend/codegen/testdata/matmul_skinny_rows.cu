#include <cuda_fp16.h>
#include <cuda_bf16.h>
// contract skinny: 32x8 outputs a workgroup of 512 threads, lanes along M, 16 warps along K = 8192

extern "C" __global__ void __launch_bounds__(512) kernel(float* __restrict__ dst, const float* __restrict__ src0, const float* __restrict__ src1) {
    __shared__ __align__(16) float partial[4096];
    const int tid = (int)(threadIdx.x);
    const int lane = tid % 32;
    const int warp = tid / 32;
    const int row0 = (int)(blockIdx.y) * 32;
    const int row = row0 + lane;
    const int col0 = (int)(blockIdx.x) * 8;
    const int batch = (int)(blockIdx.z);
    float acc[8];
    #pragma unroll
    for (int i = 0; i < 8; i++) {
        acc[i] = 0.0f;
    }
    // Each warp takes every 16th step along K, 4 steps a round.
    for (int k0 = warp; k0 < 8144; k0 += 64) {
        const int ku0 = k0;
        const float v0 = row < 40 ? src0[row + ku0 * 40] : 0.0f;
        const float v1 = col0 < 10 ? src1[ku0 * 10 + col0] : 0.0f;
        const float v2 = col0 + 1 < 10 ? src1[ku0 * 10 + (col0 + 1)] : 0.0f;
        const float v3 = col0 + 2 < 10 ? src1[ku0 * 10 + (col0 + 2)] : 0.0f;
        const float v4 = col0 + 3 < 10 ? src1[ku0 * 10 + (col0 + 3)] : 0.0f;
        const float v5 = col0 + 4 < 10 ? src1[ku0 * 10 + (col0 + 4)] : 0.0f;
        const float v6 = col0 + 5 < 10 ? src1[ku0 * 10 + (col0 + 5)] : 0.0f;
        const float v7 = col0 + 6 < 10 ? src1[ku0 * 10 + (col0 + 6)] : 0.0f;
        const float v8 = col0 + 7 < 10 ? src1[ku0 * 10 + (col0 + 7)] : 0.0f;
        const int ku1 = k0 + 16;
        const float v9 = row < 40 ? src0[row + ku1 * 40] : 0.0f;
        const float v10 = col0 < 10 ? src1[ku1 * 10 + col0] : 0.0f;
        const float v11 = col0 + 1 < 10 ? src1[ku1 * 10 + (col0 + 1)] : 0.0f;
        const float v12 = col0 + 2 < 10 ? src1[ku1 * 10 + (col0 + 2)] : 0.0f;
        const float v13 = col0 + 3 < 10 ? src1[ku1 * 10 + (col0 + 3)] : 0.0f;
        const float v14 = col0 + 4 < 10 ? src1[ku1 * 10 + (col0 + 4)] : 0.0f;
        const float v15 = col0 + 5 < 10 ? src1[ku1 * 10 + (col0 + 5)] : 0.0f;
        const float v16 = col0 + 6 < 10 ? src1[ku1 * 10 + (col0 + 6)] : 0.0f;
        const float v17 = col0 + 7 < 10 ? src1[ku1 * 10 + (col0 + 7)] : 0.0f;
        const int ku2 = k0 + 32;
        const float v18 = row < 40 ? src0[row + ku2 * 40] : 0.0f;
        const float v19 = col0 < 10 ? src1[ku2 * 10 + col0] : 0.0f;
        const float v20 = col0 + 1 < 10 ? src1[ku2 * 10 + (col0 + 1)] : 0.0f;
        const float v21 = col0 + 2 < 10 ? src1[ku2 * 10 + (col0 + 2)] : 0.0f;
        const float v22 = col0 + 3 < 10 ? src1[ku2 * 10 + (col0 + 3)] : 0.0f;
        const float v23 = col0 + 4 < 10 ? src1[ku2 * 10 + (col0 + 4)] : 0.0f;
        const float v24 = col0 + 5 < 10 ? src1[ku2 * 10 + (col0 + 5)] : 0.0f;
        const float v25 = col0 + 6 < 10 ? src1[ku2 * 10 + (col0 + 6)] : 0.0f;
        const float v26 = col0 + 7 < 10 ? src1[ku2 * 10 + (col0 + 7)] : 0.0f;
        const int ku3 = k0 + 48;
        const float v27 = row < 40 ? src0[row + ku3 * 40] : 0.0f;
        const float v28 = col0 < 10 ? src1[ku3 * 10 + col0] : 0.0f;
        const float v29 = col0 + 1 < 10 ? src1[ku3 * 10 + (col0 + 1)] : 0.0f;
        const float v30 = col0 + 2 < 10 ? src1[ku3 * 10 + (col0 + 2)] : 0.0f;
        const float v31 = col0 + 3 < 10 ? src1[ku3 * 10 + (col0 + 3)] : 0.0f;
        const float v32 = col0 + 4 < 10 ? src1[ku3 * 10 + (col0 + 4)] : 0.0f;
        const float v33 = col0 + 5 < 10 ? src1[ku3 * 10 + (col0 + 5)] : 0.0f;
        const float v34 = col0 + 6 < 10 ? src1[ku3 * 10 + (col0 + 6)] : 0.0f;
        const float v35 = col0 + 7 < 10 ? src1[ku3 * 10 + (col0 + 7)] : 0.0f;
        acc[0] = acc[0] + v0 * v1;
        acc[1] = acc[1] + v0 * v2;
        acc[2] = acc[2] + v0 * v3;
        acc[3] = acc[3] + v0 * v4;
        acc[4] = acc[4] + v0 * v5;
        acc[5] = acc[5] + v0 * v6;
        acc[6] = acc[6] + v0 * v7;
        acc[7] = acc[7] + v0 * v8;
        acc[0] = acc[0] + v9 * v10;
        acc[1] = acc[1] + v9 * v11;
        acc[2] = acc[2] + v9 * v12;
        acc[3] = acc[3] + v9 * v13;
        acc[4] = acc[4] + v9 * v14;
        acc[5] = acc[5] + v9 * v15;
        acc[6] = acc[6] + v9 * v16;
        acc[7] = acc[7] + v9 * v17;
        acc[0] = acc[0] + v18 * v19;
        acc[1] = acc[1] + v18 * v20;
        acc[2] = acc[2] + v18 * v21;
        acc[3] = acc[3] + v18 * v22;
        acc[4] = acc[4] + v18 * v23;
        acc[5] = acc[5] + v18 * v24;
        acc[6] = acc[6] + v18 * v25;
        acc[7] = acc[7] + v18 * v26;
        acc[0] = acc[0] + v27 * v28;
        acc[1] = acc[1] + v27 * v29;
        acc[2] = acc[2] + v27 * v30;
        acc[3] = acc[3] + v27 * v31;
        acc[4] = acc[4] + v27 * v32;
        acc[5] = acc[5] + v27 * v33;
        acc[6] = acc[6] + v27 * v34;
        acc[7] = acc[7] + v27 * v35;
    }
    const int krest = warp + (8207 - warp) / 64 * 64;
    for (int k = krest; k < 8192; k += 16) {
        const float v36 = row < 40 ? src0[row + k * 40] : 0.0f;
        const float v37 = col0 < 10 ? src1[k * 10 + col0] : 0.0f;
        const float v38 = col0 + 1 < 10 ? src1[k * 10 + (col0 + 1)] : 0.0f;
        const float v39 = col0 + 2 < 10 ? src1[k * 10 + (col0 + 2)] : 0.0f;
        const float v40 = col0 + 3 < 10 ? src1[k * 10 + (col0 + 3)] : 0.0f;
        const float v41 = col0 + 4 < 10 ? src1[k * 10 + (col0 + 4)] : 0.0f;
        const float v42 = col0 + 5 < 10 ? src1[k * 10 + (col0 + 5)] : 0.0f;
        const float v43 = col0 + 6 < 10 ? src1[k * 10 + (col0 + 6)] : 0.0f;
        const float v44 = col0 + 7 < 10 ? src1[k * 10 + (col0 + 7)] : 0.0f;
        acc[0] = acc[0] + v36 * v37;
        acc[1] = acc[1] + v36 * v38;
        acc[2] = acc[2] + v36 * v39;
        acc[3] = acc[3] + v36 * v40;
        acc[4] = acc[4] + v36 * v41;
        acc[5] = acc[5] + v36 * v42;
        acc[6] = acc[6] + v36 * v43;
        acc[7] = acc[7] + v36 * v44;
    }
    // Sum each output over the warps.
    partial[warp * 8 * 32 + lane] = acc[0];
    partial[(warp * 8 + 1) * 32 + lane] = acc[1];
    partial[(warp * 8 + 2) * 32 + lane] = acc[2];
    partial[(warp * 8 + 3) * 32 + lane] = acc[3];
    partial[(warp * 8 + 4) * 32 + lane] = acc[4];
    partial[(warp * 8 + 5) * 32 + lane] = acc[5];
    partial[(warp * 8 + 6) * 32 + lane] = acc[6];
    partial[(warp * 8 + 7) * 32 + lane] = acc[7];
    __syncthreads();
    for (int out = tid; out < 256; out += 512) {
        const int r = out % 32;
        const int j = out / 32;
        float sum = partial[j * 32 + r];
        sum = sum + partial[(8 + j) * 32 + r];
        sum = sum + partial[(16 + j) * 32 + r];
        sum = sum + partial[(24 + j) * 32 + r];
        sum = sum + partial[(32 + j) * 32 + r];
        sum = sum + partial[(40 + j) * 32 + r];
        sum = sum + partial[(48 + j) * 32 + r];
        sum = sum + partial[(56 + j) * 32 + r];
        sum = sum + partial[(64 + j) * 32 + r];
        sum = sum + partial[(72 + j) * 32 + r];
        sum = sum + partial[(80 + j) * 32 + r];
        sum = sum + partial[(88 + j) * 32 + r];
        sum = sum + partial[(96 + j) * 32 + r];
        sum = sum + partial[(104 + j) * 32 + r];
        sum = sum + partial[(112 + j) * 32 + r];
        sum = sum + partial[(120 + j) * 32 + r];
        const int orow = row0 + r;
        const int col = col0 + j;
        if (orow < 40 && col < 10) {
            const int pos = (batch * 40 + orow) * 10 + col;
            dst[pos] = sum;
        }
    }
}

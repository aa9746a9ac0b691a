#include <cuda_fp16.h>
#include <cuda_bf16.h>
// contract skinny: 32x10 outputs a workgroup of 512 threads, lanes along M, 16 warps along K = 8192

extern "C" __global__ void __launch_bounds__(512) kernel(float* __restrict__ dst, const float* __restrict__ src0, const float* __restrict__ src1) {
    __shared__ __align__(16) float partial[5120];
    const int tid = (int)(threadIdx.x);
    const int lane = tid % 32;
    const int warp = tid / 32;
    const int row0 = (int)(blockIdx.y) * 32;
    const int row = row0 + lane;
    const int col0 = (int)(blockIdx.x) * 10;
    const int batch = (int)(blockIdx.z);
    float acc[10];
    #pragma unroll
    for (int i = 0; i < 10; i++) {
        acc[i] = 0.0f;
    }
    // Each warp takes every 16th step along K, 4 steps a round.
    for (int k0 = warp; k0 < 8144; k0 += 64) {
        const int ku0 = k0;
        const float v0 = row < 40 ? src0[row + ku0 * 40] : 0.0f;
        const float v1 = src1[ku0 * 10 + col0];
        const float v2 = src1[ku0 * 10 + (col0 + 1)];
        const float v3 = src1[ku0 * 10 + (col0 + 2)];
        const float v4 = src1[ku0 * 10 + (col0 + 3)];
        const float v5 = src1[ku0 * 10 + (col0 + 4)];
        const float v6 = src1[ku0 * 10 + (col0 + 5)];
        const float v7 = src1[ku0 * 10 + (col0 + 6)];
        const float v8 = src1[ku0 * 10 + (col0 + 7)];
        const float v9 = src1[ku0 * 10 + (col0 + 8)];
        const float v10 = src1[ku0 * 10 + (col0 + 9)];
        const int ku1 = k0 + 16;
        const float v11 = row < 40 ? src0[row + ku1 * 40] : 0.0f;
        const float v12 = src1[ku1 * 10 + col0];
        const float v13 = src1[ku1 * 10 + (col0 + 1)];
        const float v14 = src1[ku1 * 10 + (col0 + 2)];
        const float v15 = src1[ku1 * 10 + (col0 + 3)];
        const float v16 = src1[ku1 * 10 + (col0 + 4)];
        const float v17 = src1[ku1 * 10 + (col0 + 5)];
        const float v18 = src1[ku1 * 10 + (col0 + 6)];
        const float v19 = src1[ku1 * 10 + (col0 + 7)];
        const float v20 = src1[ku1 * 10 + (col0 + 8)];
        const float v21 = src1[ku1 * 10 + (col0 + 9)];
        const int ku2 = k0 + 32;
        const float v22 = row < 40 ? src0[row + ku2 * 40] : 0.0f;
        const float v23 = src1[ku2 * 10 + col0];
        const float v24 = src1[ku2 * 10 + (col0 + 1)];
        const float v25 = src1[ku2 * 10 + (col0 + 2)];
        const float v26 = src1[ku2 * 10 + (col0 + 3)];
        const float v27 = src1[ku2 * 10 + (col0 + 4)];
        const float v28 = src1[ku2 * 10 + (col0 + 5)];
        const float v29 = src1[ku2 * 10 + (col0 + 6)];
        const float v30 = src1[ku2 * 10 + (col0 + 7)];
        const float v31 = src1[ku2 * 10 + (col0 + 8)];
        const float v32 = src1[ku2 * 10 + (col0 + 9)];
        const int ku3 = k0 + 48;
        const float v33 = row < 40 ? src0[row + ku3 * 40] : 0.0f;
        const float v34 = src1[ku3 * 10 + col0];
        const float v35 = src1[ku3 * 10 + (col0 + 1)];
        const float v36 = src1[ku3 * 10 + (col0 + 2)];
        const float v37 = src1[ku3 * 10 + (col0 + 3)];
        const float v38 = src1[ku3 * 10 + (col0 + 4)];
        const float v39 = src1[ku3 * 10 + (col0 + 5)];
        const float v40 = src1[ku3 * 10 + (col0 + 6)];
        const float v41 = src1[ku3 * 10 + (col0 + 7)];
        const float v42 = src1[ku3 * 10 + (col0 + 8)];
        const float v43 = src1[ku3 * 10 + (col0 + 9)];
        acc[0] = acc[0] + v0 * v1;
        acc[1] = acc[1] + v0 * v2;
        acc[2] = acc[2] + v0 * v3;
        acc[3] = acc[3] + v0 * v4;
        acc[4] = acc[4] + v0 * v5;
        acc[5] = acc[5] + v0 * v6;
        acc[6] = acc[6] + v0 * v7;
        acc[7] = acc[7] + v0 * v8;
        acc[8] = acc[8] + v0 * v9;
        acc[9] = acc[9] + v0 * v10;
        acc[0] = acc[0] + v11 * v12;
        acc[1] = acc[1] + v11 * v13;
        acc[2] = acc[2] + v11 * v14;
        acc[3] = acc[3] + v11 * v15;
        acc[4] = acc[4] + v11 * v16;
        acc[5] = acc[5] + v11 * v17;
        acc[6] = acc[6] + v11 * v18;
        acc[7] = acc[7] + v11 * v19;
        acc[8] = acc[8] + v11 * v20;
        acc[9] = acc[9] + v11 * v21;
        acc[0] = acc[0] + v22 * v23;
        acc[1] = acc[1] + v22 * v24;
        acc[2] = acc[2] + v22 * v25;
        acc[3] = acc[3] + v22 * v26;
        acc[4] = acc[4] + v22 * v27;
        acc[5] = acc[5] + v22 * v28;
        acc[6] = acc[6] + v22 * v29;
        acc[7] = acc[7] + v22 * v30;
        acc[8] = acc[8] + v22 * v31;
        acc[9] = acc[9] + v22 * v32;
        acc[0] = acc[0] + v33 * v34;
        acc[1] = acc[1] + v33 * v35;
        acc[2] = acc[2] + v33 * v36;
        acc[3] = acc[3] + v33 * v37;
        acc[4] = acc[4] + v33 * v38;
        acc[5] = acc[5] + v33 * v39;
        acc[6] = acc[6] + v33 * v40;
        acc[7] = acc[7] + v33 * v41;
        acc[8] = acc[8] + v33 * v42;
        acc[9] = acc[9] + v33 * v43;
    }
    const int krest = warp + (8207 - warp) / 64 * 64;
    for (int k = krest; k < 8192; k += 16) {
        const float v44 = row < 40 ? src0[row + k * 40] : 0.0f;
        const float v45 = src1[k * 10 + col0];
        const float v46 = src1[k * 10 + (col0 + 1)];
        const float v47 = src1[k * 10 + (col0 + 2)];
        const float v48 = src1[k * 10 + (col0 + 3)];
        const float v49 = src1[k * 10 + (col0 + 4)];
        const float v50 = src1[k * 10 + (col0 + 5)];
        const float v51 = src1[k * 10 + (col0 + 6)];
        const float v52 = src1[k * 10 + (col0 + 7)];
        const float v53 = src1[k * 10 + (col0 + 8)];
        const float v54 = src1[k * 10 + (col0 + 9)];
        acc[0] = acc[0] + v44 * v45;
        acc[1] = acc[1] + v44 * v46;
        acc[2] = acc[2] + v44 * v47;
        acc[3] = acc[3] + v44 * v48;
        acc[4] = acc[4] + v44 * v49;
        acc[5] = acc[5] + v44 * v50;
        acc[6] = acc[6] + v44 * v51;
        acc[7] = acc[7] + v44 * v52;
        acc[8] = acc[8] + v44 * v53;
        acc[9] = acc[9] + v44 * v54;
    }
    // Sum each output over the warps (of its group).
    partial[warp * 10 * 32 + lane] = acc[0];
    partial[(warp * 10 + 1) * 32 + lane] = acc[1];
    partial[(warp * 10 + 2) * 32 + lane] = acc[2];
    partial[(warp * 10 + 3) * 32 + lane] = acc[3];
    partial[(warp * 10 + 4) * 32 + lane] = acc[4];
    partial[(warp * 10 + 5) * 32 + lane] = acc[5];
    partial[(warp * 10 + 6) * 32 + lane] = acc[6];
    partial[(warp * 10 + 7) * 32 + lane] = acc[7];
    partial[(warp * 10 + 8) * 32 + lane] = acc[8];
    partial[(warp * 10 + 9) * 32 + lane] = acc[9];
    __syncthreads();
    if (tid < 320) {
        const int r = tid % 32;
        const int j = tid / 32 % 10;
        float sum = partial[j * 32 + r];
        sum = sum + partial[(10 + j) * 32 + r];
        sum = sum + partial[(20 + j) * 32 + r];
        sum = sum + partial[(30 + j) * 32 + r];
        sum = sum + partial[(40 + j) * 32 + r];
        sum = sum + partial[(50 + j) * 32 + r];
        sum = sum + partial[(60 + j) * 32 + r];
        sum = sum + partial[(70 + j) * 32 + r];
        sum = sum + partial[(80 + j) * 32 + r];
        sum = sum + partial[(90 + j) * 32 + r];
        sum = sum + partial[(100 + j) * 32 + r];
        sum = sum + partial[(110 + j) * 32 + r];
        sum = sum + partial[(120 + j) * 32 + r];
        sum = sum + partial[(130 + j) * 32 + r];
        sum = sum + partial[(140 + j) * 32 + r];
        sum = sum + partial[(150 + j) * 32 + r];
        const int orow = row0 + tid % 32;
        const int col = col0 + tid / 32 % 10;
        if (orow < 40 && col < 10) {
            const int pos = (batch * 40 + orow) * 10 + col;
            dst[pos] = sum;
        }
    }
}

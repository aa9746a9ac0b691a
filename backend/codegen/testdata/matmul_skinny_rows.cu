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
    // Each warp takes every 16th step along K.
    for (int k = warp; k < 8192; k += 16) {
        const float v0 = row < 40 ? src0[row + k * 40] : 0.0f;
        const float v1 = col0 < 10 ? src1[k * 10 + col0] : 0.0f;
        acc[0] = acc[0] + v0 * v1;
        const float v2 = col0 + 1 < 10 ? src1[k * 10 + (col0 + 1)] : 0.0f;
        acc[1] = acc[1] + v0 * v2;
        const float v3 = col0 + 2 < 10 ? src1[k * 10 + (col0 + 2)] : 0.0f;
        acc[2] = acc[2] + v0 * v3;
        const float v4 = col0 + 3 < 10 ? src1[k * 10 + (col0 + 3)] : 0.0f;
        acc[3] = acc[3] + v0 * v4;
        const float v5 = col0 + 4 < 10 ? src1[k * 10 + (col0 + 4)] : 0.0f;
        acc[4] = acc[4] + v0 * v5;
        const float v6 = col0 + 5 < 10 ? src1[k * 10 + (col0 + 5)] : 0.0f;
        acc[5] = acc[5] + v0 * v6;
        const float v7 = col0 + 6 < 10 ? src1[k * 10 + (col0 + 6)] : 0.0f;
        acc[6] = acc[6] + v0 * v7;
        const float v8 = col0 + 7 < 10 ? src1[k * 10 + (col0 + 7)] : 0.0f;
        acc[7] = acc[7] + v0 * v8;
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

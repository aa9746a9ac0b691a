#include <cuda_fp16.h>
#include <cuda_bf16.h>
// contract tiled: block 64x64x8, thread tile 8x8 in pieces of 4x4, 64 threads, vector loads A:true B:true (width 4)

extern "C" __global__ void __launch_bounds__(64) kernel(float* __restrict__ dst, const float* __restrict__ src0, const float* __restrict__ src1) {
    const float4* src0v = reinterpret_cast<const float4*>(src0);
    const float4* src1v = reinterpret_cast<const float4*>(src1);
    __shared__ __align__(16) float tileA[1024];
    __shared__ __align__(16) float tileB[1024];
    const int tid = (int)(threadIdx.x);
    const int row0 = (int)(blockIdx.y) * 64;
    const int col0 = (int)(blockIdx.x) * 64;
    const int batch = (int)(blockIdx.z);
    const int trow = tid / 8 * 4;
    const int tcol = tid % 8 * 4;
    float acc[64];
    #pragma unroll
    for (int i = 0; i < 64; i++) {
        acc[i] = 0.0f;
    }
    float stageA[8];
    float stageB[8];
    // The tiles of the first step.
    #pragma unroll
    for (int l = 0; l < 128; l += 64) {
        const int ai = l + tid;
        const int ar = ai / 2;
        const int ac = ai % 2 * 4;
        const int arow = row0 + ar;
        const int acol = ac;
        const float4 q0 = (arow < 96 && acol < 40) ? src0v[(arow * 40 + acol) / 4] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        tileA[ac * 64 + ar] = q0.x;
        tileA[(ac + 1) * 64 + ar] = q0.y;
        tileA[(ac + 2) * 64 + ar] = q0.z;
        tileA[(ac + 3) * 64 + ar] = q0.w;
    }
    #pragma unroll
    for (int l = 0; l < 128; l += 64) {
        const int bi = l + tid;
        const int br = bi / 16;
        const int bc = bi % 16 * 4;
        const int brow = br;
        const int bcol = col0 + bc;
        const float4 q1 = (brow < 40 && bcol < 80) ? src1v[(brow * 80 + bcol) / 4] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        tileB[br * 64 + bc] = q1.x;
        tileB[br * 64 + (bc + 1)] = q1.y;
        tileB[br * 64 + (bc + 2)] = q1.z;
        tileB[br * 64 + (bc + 3)] = q1.w;
    }
    __syncthreads();
    for (int step = 0; step < 5; step++) {
        const int cur = step % 2;
        const int knext = (step + 1) * 8;
        #pragma unroll
        for (int l = 0; l < 128; l += 64) {
            const int ai = l + tid;
            const int ar = ai / 2;
            const int ac = ai % 2 * 4;
            const int arow = row0 + ar;
            const int acol = knext + ac;
            const float4 q2 = (arow < 96 && acol < 40) ? src0v[(arow * 40 + acol) / 4] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
            stageA[l / 64 * 4] = q2.x;
            stageA[l / 64 * 4 + 1] = q2.y;
            stageA[l / 64 * 4 + 2] = q2.z;
            stageA[l / 64 * 4 + 3] = q2.w;
        }
        #pragma unroll
        for (int l = 0; l < 128; l += 64) {
            const int bi = l + tid;
            const int br = bi / 16;
            const int bc = bi % 16 * 4;
            const int brow = knext + br;
            const int bcol = col0 + bc;
            const float4 q3 = (brow < 40 && bcol < 80) ? src1v[(brow * 80 + bcol) / 4] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
            stageB[l / 64 * 4] = q3.x;
            stageB[l / 64 * 4 + 1] = q3.y;
            stageB[l / 64 * 4 + 2] = q3.z;
            stageB[l / 64 * 4 + 3] = q3.w;
        }
        #pragma unroll
        for (int kk = 0; kk < 8; kk++) {
            const float a0 = tileA[cur * 512 + (kk * 64 + trow)];
            const float a1 = tileA[cur * 512 + (kk * 64 + (trow + 1))];
            const float a2 = tileA[cur * 512 + (kk * 64 + (trow + 2))];
            const float a3 = tileA[cur * 512 + (kk * 64 + (trow + 3))];
            const float a4 = tileA[cur * 512 + (kk * 64 + (trow + 32))];
            const float a5 = tileA[cur * 512 + (kk * 64 + (trow + 33))];
            const float a6 = tileA[cur * 512 + (kk * 64 + (trow + 34))];
            const float a7 = tileA[cur * 512 + (kk * 64 + (trow + 35))];
            const float b0 = tileB[cur * 512 + (kk * 64 + tcol)];
            const float b1 = tileB[cur * 512 + (kk * 64 + (tcol + 1))];
            const float b2 = tileB[cur * 512 + (kk * 64 + (tcol + 2))];
            const float b3 = tileB[cur * 512 + (kk * 64 + (tcol + 3))];
            const float b4 = tileB[cur * 512 + (kk * 64 + (tcol + 32))];
            const float b5 = tileB[cur * 512 + (kk * 64 + (tcol + 33))];
            const float b6 = tileB[cur * 512 + (kk * 64 + (tcol + 34))];
            const float b7 = tileB[cur * 512 + (kk * 64 + (tcol + 35))];
            acc[0] = acc[0] + a0 * b0;
            acc[1] = acc[1] + a0 * b1;
            acc[2] = acc[2] + a0 * b2;
            acc[3] = acc[3] + a0 * b3;
            acc[4] = acc[4] + a0 * b4;
            acc[5] = acc[5] + a0 * b5;
            acc[6] = acc[6] + a0 * b6;
            acc[7] = acc[7] + a0 * b7;
            acc[8] = acc[8] + a1 * b0;
            acc[9] = acc[9] + a1 * b1;
            acc[10] = acc[10] + a1 * b2;
            acc[11] = acc[11] + a1 * b3;
            acc[12] = acc[12] + a1 * b4;
            acc[13] = acc[13] + a1 * b5;
            acc[14] = acc[14] + a1 * b6;
            acc[15] = acc[15] + a1 * b7;
            acc[16] = acc[16] + a2 * b0;
            acc[17] = acc[17] + a2 * b1;
            acc[18] = acc[18] + a2 * b2;
            acc[19] = acc[19] + a2 * b3;
            acc[20] = acc[20] + a2 * b4;
            acc[21] = acc[21] + a2 * b5;
            acc[22] = acc[22] + a2 * b6;
            acc[23] = acc[23] + a2 * b7;
            acc[24] = acc[24] + a3 * b0;
            acc[25] = acc[25] + a3 * b1;
            acc[26] = acc[26] + a3 * b2;
            acc[27] = acc[27] + a3 * b3;
            acc[28] = acc[28] + a3 * b4;
            acc[29] = acc[29] + a3 * b5;
            acc[30] = acc[30] + a3 * b6;
            acc[31] = acc[31] + a3 * b7;
            acc[32] = acc[32] + a4 * b0;
            acc[33] = acc[33] + a4 * b1;
            acc[34] = acc[34] + a4 * b2;
            acc[35] = acc[35] + a4 * b3;
            acc[36] = acc[36] + a4 * b4;
            acc[37] = acc[37] + a4 * b5;
            acc[38] = acc[38] + a4 * b6;
            acc[39] = acc[39] + a4 * b7;
            acc[40] = acc[40] + a5 * b0;
            acc[41] = acc[41] + a5 * b1;
            acc[42] = acc[42] + a5 * b2;
            acc[43] = acc[43] + a5 * b3;
            acc[44] = acc[44] + a5 * b4;
            acc[45] = acc[45] + a5 * b5;
            acc[46] = acc[46] + a5 * b6;
            acc[47] = acc[47] + a5 * b7;
            acc[48] = acc[48] + a6 * b0;
            acc[49] = acc[49] + a6 * b1;
            acc[50] = acc[50] + a6 * b2;
            acc[51] = acc[51] + a6 * b3;
            acc[52] = acc[52] + a6 * b4;
            acc[53] = acc[53] + a6 * b5;
            acc[54] = acc[54] + a6 * b6;
            acc[55] = acc[55] + a6 * b7;
            acc[56] = acc[56] + a7 * b0;
            acc[57] = acc[57] + a7 * b1;
            acc[58] = acc[58] + a7 * b2;
            acc[59] = acc[59] + a7 * b3;
            acc[60] = acc[60] + a7 * b4;
            acc[61] = acc[61] + a7 * b5;
            acc[62] = acc[62] + a7 * b6;
            acc[63] = acc[63] + a7 * b7;
        }
        const int other = 1 - cur;
        if (knext < 40) {
            #pragma unroll
            for (int l = 0; l < 128; l += 64) {
                const int ai = l + tid;
                const int ar = ai / 2;
                const int ac = ai % 2 * 4;
                tileA[other * 512 + (ac * 64 + ar)] = stageA[l / 64 * 4];
                tileA[other * 512 + ((ac + 1) * 64 + ar)] = stageA[l / 64 * 4 + 1];
                tileA[other * 512 + ((ac + 2) * 64 + ar)] = stageA[l / 64 * 4 + 2];
                tileA[other * 512 + ((ac + 3) * 64 + ar)] = stageA[l / 64 * 4 + 3];
            }
            #pragma unroll
            for (int l = 0; l < 128; l += 64) {
                const int bi = l + tid;
                const int br = bi / 16;
                const int bc = bi % 16 * 4;
                tileB[other * 512 + (br * 64 + bc)] = stageB[l / 64 * 4];
                tileB[other * 512 + (br * 64 + (bc + 1))] = stageB[l / 64 * 4 + 1];
                tileB[other * 512 + (br * 64 + (bc + 2))] = stageB[l / 64 * 4 + 2];
                tileB[other * 512 + (br * 64 + (bc + 3))] = stageB[l / 64 * 4 + 3];
            }
        }
        __syncthreads();
    }
    // Finish and store this thread's block.
    #pragma unroll
    for (int i = 0; i < 8; i++) {
        #pragma unroll
        for (int j = 0; j < 8; j++) {
            const int row = row0 + (trow + (i / 4 * 32 + i % 4));
            const int col = col0 + (tcol + (j / 4 * 32 + j % 4));
            if (row < 96 && col < 80) {
                const int pos = (batch * 96 + row) * 80 + col;
                const float v4 = acc[i * 8 + j];
                dst[pos] = v4;
            }
        }
    }
}

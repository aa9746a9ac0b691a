#include <cuda_fp16.h>
#include <cuda_bf16.h>
// contract tiled: block 32x32x16, thread tile 4x4, 64 threads, vector loads A:true B:true (width 4)

extern "C" __global__ void __launch_bounds__(64) kernel(float* __restrict__ dst, const float* __restrict__ src0, const float* __restrict__ src1) {
    const float4* src0v = reinterpret_cast<const float4*>(src0);
    const float4* src1v = reinterpret_cast<const float4*>(src1);
    __shared__ __align__(16) float tileA[1024];
    __shared__ __align__(16) float tileB[1024];
    const int tid = (int)(threadIdx.x);
    const int row0 = (int)(blockIdx.y) * 32;
    const int col0 = (int)(blockIdx.x) * 32;
    const int batch = (int)(blockIdx.z);
    const int trow = tid / 8 * 4;
    const int tcol = tid % 8 * 4;
    float acc[16];
    #pragma unroll
    for (int i = 0; i < 16; i++) {
        acc[i] = 0.0f;
    }
    float stageA[8];
    float stageB[8];
    // The tiles of the first step.
    #pragma unroll
    for (int l = 0; l < 128; l += 64) {
        const int ai = l + tid;
        const int ar = ai / 4;
        const int ac = ai % 4 * 4;
        const int arow = row0 + ar;
        const int acol = ac;
        const float4 q0 = (arow < 96 && acol < 40) ? src0v[(arow * 40 + acol) / 4] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        tileA[ac * 32 + ar] = q0.x;
        tileA[(ac + 1) * 32 + ar] = q0.y;
        tileA[(ac + 2) * 32 + ar] = q0.z;
        tileA[(ac + 3) * 32 + ar] = q0.w;
    }
    #pragma unroll
    for (int l = 0; l < 128; l += 64) {
        const int bi = l + tid;
        const int br = bi / 8;
        const int bc = bi % 8 * 4;
        const int brow = br;
        const int bcol = col0 + bc;
        const float4 q1 = (brow < 40 && bcol < 80) ? src1v[(brow * 80 + bcol) / 4] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        tileB[br * 32 + bc] = q1.x;
        tileB[br * 32 + (bc + 1)] = q1.y;
        tileB[br * 32 + (bc + 2)] = q1.z;
        tileB[br * 32 + (bc + 3)] = q1.w;
    }
    __syncthreads();
    for (int step = 0; step < 3; step++) {
        const int cur = step % 2;
        const int knext = (step + 1) * 16;
        #pragma unroll
        for (int l = 0; l < 128; l += 64) {
            const int ai = l + tid;
            const int ar = ai / 4;
            const int ac = ai % 4 * 4;
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
            const int br = bi / 8;
            const int bc = bi % 8 * 4;
            const int brow = knext + br;
            const int bcol = col0 + bc;
            const float4 q3 = (brow < 40 && bcol < 80) ? src1v[(brow * 80 + bcol) / 4] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
            stageB[l / 64 * 4] = q3.x;
            stageB[l / 64 * 4 + 1] = q3.y;
            stageB[l / 64 * 4 + 2] = q3.z;
            stageB[l / 64 * 4 + 3] = q3.w;
        }
        #pragma unroll
        for (int kk = 0; kk < 16; kk++) {
            const float a0 = tileA[cur * 512 + (kk * 32 + trow)];
            const float a1 = tileA[cur * 512 + (kk * 32 + (trow + 1))];
            const float a2 = tileA[cur * 512 + (kk * 32 + (trow + 2))];
            const float a3 = tileA[cur * 512 + (kk * 32 + (trow + 3))];
            const float b0 = tileB[cur * 512 + (kk * 32 + tcol)];
            const float b1 = tileB[cur * 512 + (kk * 32 + (tcol + 1))];
            const float b2 = tileB[cur * 512 + (kk * 32 + (tcol + 2))];
            const float b3 = tileB[cur * 512 + (kk * 32 + (tcol + 3))];
            acc[0] = acc[0] + a0 * b0;
            acc[1] = acc[1] + a0 * b1;
            acc[2] = acc[2] + a0 * b2;
            acc[3] = acc[3] + a0 * b3;
            acc[4] = acc[4] + a1 * b0;
            acc[5] = acc[5] + a1 * b1;
            acc[6] = acc[6] + a1 * b2;
            acc[7] = acc[7] + a1 * b3;
            acc[8] = acc[8] + a2 * b0;
            acc[9] = acc[9] + a2 * b1;
            acc[10] = acc[10] + a2 * b2;
            acc[11] = acc[11] + a2 * b3;
            acc[12] = acc[12] + a3 * b0;
            acc[13] = acc[13] + a3 * b1;
            acc[14] = acc[14] + a3 * b2;
            acc[15] = acc[15] + a3 * b3;
        }
        const int other = 1 - cur;
        if (knext < 40) {
            #pragma unroll
            for (int l = 0; l < 128; l += 64) {
                const int ai = l + tid;
                const int ar = ai / 4;
                const int ac = ai % 4 * 4;
                tileA[other * 512 + (ac * 32 + ar)] = stageA[l / 64 * 4];
                tileA[other * 512 + ((ac + 1) * 32 + ar)] = stageA[l / 64 * 4 + 1];
                tileA[other * 512 + ((ac + 2) * 32 + ar)] = stageA[l / 64 * 4 + 2];
                tileA[other * 512 + ((ac + 3) * 32 + ar)] = stageA[l / 64 * 4 + 3];
            }
            #pragma unroll
            for (int l = 0; l < 128; l += 64) {
                const int bi = l + tid;
                const int br = bi / 8;
                const int bc = bi % 8 * 4;
                tileB[other * 512 + (br * 32 + bc)] = stageB[l / 64 * 4];
                tileB[other * 512 + (br * 32 + (bc + 1))] = stageB[l / 64 * 4 + 1];
                tileB[other * 512 + (br * 32 + (bc + 2))] = stageB[l / 64 * 4 + 2];
                tileB[other * 512 + (br * 32 + (bc + 3))] = stageB[l / 64 * 4 + 3];
            }
        }
        __syncthreads();
    }
    // Finish and store this thread's block.
    #pragma unroll
    for (int i = 0; i < 4; i++) {
        #pragma unroll
        for (int j = 0; j < 4; j++) {
            const int row = row0 + (trow + i);
            const int col = col0 + (tcol + j);
            if (row < 96 && col < 80) {
                const int pos = (batch * 96 + row) * 80 + col;
                const float v4 = acc[i * 4 + j];
                dst[pos] = v4;
            }
        }
    }
}

#version 430
// contract tiled: block 64x64x8, thread tile 8x8 in pieces of 4x4, 64 threads, vector loads A:true B:true (width 4)
layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) writeonly buffer Dst { float dst[]; };
layout(std430, binding = 1) readonly buffer Src0 { float src0[]; };
layout(std430, binding = 1) readonly buffer Src0V { vec4 src0v[]; };
layout(std430, binding = 2) readonly buffer Src1 { float src1[]; };
layout(std430, binding = 2) readonly buffer Src1V { vec4 src1v[]; };
shared float tileA[1024];
shared float tileB[1024];

void main() {
    int tid = int(gl_LocalInvocationID.x);
    int row0 = int(gl_WorkGroupID.y) * 64;
    int col0 = int(gl_WorkGroupID.x) * 64;
    int batch = int(gl_WorkGroupID.z);
    int trow = tid / 8 * 4;
    int tcol = tid % 8 * 4;
    float acc[64];
    for (int i = 0; i < 64; i++) {
        acc[i] = 0.0;
    }
    float stageA[8];
    float stageB[8];
    // The tiles of the first step.
    for (int l = 0; l < 128; l += 64) {
        int ai = l + tid;
        int ar = ai / 2;
        int ac = ai % 2 * 4;
        int arow = row0 + ar;
        int acol = ac;
        precise vec4 q0 = (arow < 96 && acol < 40) ? src0v[(arow * 40 + acol) / 4] : vec4(0.0);
        tileA[ac * 64 + ar] = q0.x;
        tileA[(ac + 1) * 64 + ar] = q0.y;
        tileA[(ac + 2) * 64 + ar] = q0.z;
        tileA[(ac + 3) * 64 + ar] = q0.w;
    }
    for (int l = 0; l < 128; l += 64) {
        int bi = l + tid;
        int br = bi / 16;
        int bc = bi % 16 * 4;
        int brow = br;
        int bcol = col0 + bc;
        precise vec4 q1 = (brow < 40 && bcol < 80) ? src1v[(brow * 80 + bcol) / 4] : vec4(0.0);
        tileB[br * 64 + bc] = q1.x;
        tileB[br * 64 + (bc + 1)] = q1.y;
        tileB[br * 64 + (bc + 2)] = q1.z;
        tileB[br * 64 + (bc + 3)] = q1.w;
    }
    memoryBarrierShared(); barrier();
    for (int step = 0; step < 5; step++) {
        int cur = step % 2;
        int knext = (step + 1) * 8;
        for (int l = 0; l < 128; l += 64) {
            int ai = l + tid;
            int ar = ai / 2;
            int ac = ai % 2 * 4;
            int arow = row0 + ar;
            int acol = knext + ac;
            precise vec4 q2 = (arow < 96 && acol < 40) ? src0v[(arow * 40 + acol) / 4] : vec4(0.0);
            stageA[l / 64 * 4] = q2.x;
            stageA[l / 64 * 4 + 1] = q2.y;
            stageA[l / 64 * 4 + 2] = q2.z;
            stageA[l / 64 * 4 + 3] = q2.w;
        }
        for (int l = 0; l < 128; l += 64) {
            int bi = l + tid;
            int br = bi / 16;
            int bc = bi % 16 * 4;
            int brow = knext + br;
            int bcol = col0 + bc;
            precise vec4 q3 = (brow < 40 && bcol < 80) ? src1v[(brow * 80 + bcol) / 4] : vec4(0.0);
            stageB[l / 64 * 4] = q3.x;
            stageB[l / 64 * 4 + 1] = q3.y;
            stageB[l / 64 * 4 + 2] = q3.z;
            stageB[l / 64 * 4 + 3] = q3.w;
        }
        for (int kk = 0; kk < 8; kk++) {
            float a0 = tileA[cur * 512 + (kk * 64 + trow)];
            float a1 = tileA[cur * 512 + (kk * 64 + (trow + 1))];
            float a2 = tileA[cur * 512 + (kk * 64 + (trow + 2))];
            float a3 = tileA[cur * 512 + (kk * 64 + (trow + 3))];
            float a4 = tileA[cur * 512 + (kk * 64 + (trow + 32))];
            float a5 = tileA[cur * 512 + (kk * 64 + (trow + 33))];
            float a6 = tileA[cur * 512 + (kk * 64 + (trow + 34))];
            float a7 = tileA[cur * 512 + (kk * 64 + (trow + 35))];
            float b0 = tileB[cur * 512 + (kk * 64 + tcol)];
            float b1 = tileB[cur * 512 + (kk * 64 + (tcol + 1))];
            float b2 = tileB[cur * 512 + (kk * 64 + (tcol + 2))];
            float b3 = tileB[cur * 512 + (kk * 64 + (tcol + 3))];
            float b4 = tileB[cur * 512 + (kk * 64 + (tcol + 32))];
            float b5 = tileB[cur * 512 + (kk * 64 + (tcol + 33))];
            float b6 = tileB[cur * 512 + (kk * 64 + (tcol + 34))];
            float b7 = tileB[cur * 512 + (kk * 64 + (tcol + 35))];
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
        int other = 1 - cur;
        if (knext < 40) {
            for (int l = 0; l < 128; l += 64) {
                int ai = l + tid;
                int ar = ai / 2;
                int ac = ai % 2 * 4;
                tileA[other * 512 + (ac * 64 + ar)] = stageA[l / 64 * 4];
                tileA[other * 512 + ((ac + 1) * 64 + ar)] = stageA[l / 64 * 4 + 1];
                tileA[other * 512 + ((ac + 2) * 64 + ar)] = stageA[l / 64 * 4 + 2];
                tileA[other * 512 + ((ac + 3) * 64 + ar)] = stageA[l / 64 * 4 + 3];
            }
            for (int l = 0; l < 128; l += 64) {
                int bi = l + tid;
                int br = bi / 16;
                int bc = bi % 16 * 4;
                tileB[other * 512 + (br * 64 + bc)] = stageB[l / 64 * 4];
                tileB[other * 512 + (br * 64 + (bc + 1))] = stageB[l / 64 * 4 + 1];
                tileB[other * 512 + (br * 64 + (bc + 2))] = stageB[l / 64 * 4 + 2];
                tileB[other * 512 + (br * 64 + (bc + 3))] = stageB[l / 64 * 4 + 3];
            }
        }
        memoryBarrierShared(); barrier();
    }
    // Finish and store this thread's block.
    for (int i = 0; i < 8; i++) {
        for (int j = 0; j < 8; j++) {
            int row = row0 + (trow + (i / 4 * 32 + i % 4));
            int col = col0 + (tcol + (j / 4 * 32 + j % 4));
            if (row < 96 && col < 80) {
                int pos = (batch * 96 + row) * 80 + col;
                precise float v4 = acc[i * 8 + j];
                dst[pos] = v4;
            }
        }
    }
}

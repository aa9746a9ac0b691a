#version 430
// contract tiled: block 32x32x16, thread tile 4x4, 64 threads, vector loads A:false B:false (width 4)
layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) writeonly buffer Dst { float dst[]; };
layout(std430, binding = 1) readonly buffer Src0 { float src0[]; };
layout(std430, binding = 2) readonly buffer Src1 { float src1[]; };
shared float tileA[1024];
shared float tileB[1024];

void main() {
    int tid = int(gl_LocalInvocationID.x);
    int row0 = int(gl_WorkGroupID.y) * 32;
    int col0 = int(gl_WorkGroupID.x) * 32;
    int batch = int(gl_WorkGroupID.z);
    int trow = tid / 8 * 4;
    int tcol = tid % 8 * 4;
    float acc[16];
    for (int i = 0; i < 16; i++) {
        acc[i] = 0.0;
    }
    float stageA[8];
    float stageB[8];
    // The tiles of the first step.
    for (int l = 0; l < 512; l += 64) {
        int ai = l + tid;
        int ar = ai % 32;
        int ac = ai / 32;
        int arow = row0 + ar;
        int acol = ac;
        precise float v0 = (arow < 96 && acol < 40) ? src0[arow + acol * 96] : 0.0;
        tileA[ac * 32 + ar] = v0;
    }
    for (int l = 0; l < 512; l += 64) {
        int bi = l + tid;
        int br = bi % 16;
        int bc = bi / 16;
        int brow = br;
        int bcol = col0 + bc;
        precise float v1 = (brow < 40 && bcol < 80) ? src1[brow + bcol * 40] : 0.0;
        tileB[br * 32 + bc] = v1;
    }
    memoryBarrierShared(); barrier();
    for (int step = 0; step < 3; step++) {
        int cur = step % 2;
        int knext = (step + 1) * 16;
        for (int l = 0; l < 512; l += 64) {
            int ai = l + tid;
            int ar = ai % 32;
            int ac = ai / 32;
            int arow = row0 + ar;
            int acol = knext + ac;
            precise float v2 = (arow < 96 && acol < 40) ? src0[arow + acol * 96] : 0.0;
            stageA[l / 64] = v2;
        }
        for (int l = 0; l < 512; l += 64) {
            int bi = l + tid;
            int br = bi % 16;
            int bc = bi / 16;
            int brow = knext + br;
            int bcol = col0 + bc;
            precise float v3 = (brow < 40 && bcol < 80) ? src1[brow + bcol * 40] : 0.0;
            stageB[l / 64] = v3;
        }
        for (int kk = 0; kk < 16; kk++) {
            float a0 = tileA[cur * 512 + (kk * 32 + trow)];
            float a1 = tileA[cur * 512 + (kk * 32 + (trow + 1))];
            float a2 = tileA[cur * 512 + (kk * 32 + (trow + 2))];
            float a3 = tileA[cur * 512 + (kk * 32 + (trow + 3))];
            float b0 = tileB[cur * 512 + (kk * 32 + tcol)];
            float b1 = tileB[cur * 512 + (kk * 32 + (tcol + 1))];
            float b2 = tileB[cur * 512 + (kk * 32 + (tcol + 2))];
            float b3 = tileB[cur * 512 + (kk * 32 + (tcol + 3))];
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
        int other = 1 - cur;
        if (knext < 40) {
            for (int l = 0; l < 512; l += 64) {
                int ai = l + tid;
                int ar = ai % 32;
                int ac = ai / 32;
                tileA[other * 512 + (ac * 32 + ar)] = stageA[l / 64];
            }
            for (int l = 0; l < 512; l += 64) {
                int bi = l + tid;
                int br = bi % 16;
                int bc = bi / 16;
                tileB[other * 512 + (br * 32 + bc)] = stageB[l / 64];
            }
        }
        memoryBarrierShared(); barrier();
    }
    // Finish and store this thread's block.
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            int row = row0 + (trow + i);
            int col = col0 + (tcol + j);
            if (row < 96 && col < 80) {
                int pos = (batch * 96 + row) * 80 + col;
                precise float v4 = acc[i * 4 + j];
                dst[pos] = v4;
            }
        }
    }
}

#version 430
// contract tiled: block 64x64x16, thread tile 4x4, 256 threads, vector loads A:true B:true (width 4)
layout(local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) writeonly buffer Dst { float dst[]; };
layout(std430, binding = 1) readonly buffer Src0 { float src0[]; };
layout(std430, binding = 1) readonly buffer Src0V { vec4 src0v[]; };
layout(std430, binding = 2) readonly buffer Src1 { float src1[]; };
layout(std430, binding = 2) readonly buffer Src1V { vec4 src1v[]; };
layout(std430, binding = 3) readonly buffer Src2 { float src2[]; };
shared float tileA[1024];
shared float tileB[1024];

void main() {
    int tid = int(gl_LocalInvocationID.x);
    int row0 = int(gl_WorkGroupID.y) * 64;
    int col0 = int(gl_WorkGroupID.x) * 64;
    int batch = int(gl_WorkGroupID.z);
    int trow = tid / 16 * 4;
    int tcol = tid % 16 * 4;
    float acc[16];
    for (int i = 0; i < 16; i++) {
        acc[i] = 0.0;
    }
    for (int k0 = 0; k0 < 96; k0 += 16) {
        // Copy the tiles of A and B at k0 into shared memory.
        int ai = tid;
        int ar = ai / 4;
        int ac = ai % 4 * 4;
        int arow = row0 + ar;
        int acol = k0 + ac;
        precise vec4 q0 = (arow < 128 && acol < 96) ? src0v[(arow * 96 + acol) / 4] : vec4(0.0);
        tileA[ac * 64 + ar] = q0.x;
        tileA[(ac + 1) * 64 + ar] = q0.y;
        tileA[(ac + 2) * 64 + ar] = q0.z;
        tileA[(ac + 3) * 64 + ar] = q0.w;
        int bi = tid;
        int br = bi / 16;
        int bc = bi % 16 * 4;
        int brow = k0 + br;
        int bcol = col0 + bc;
        precise vec4 q1 = (brow < 96 && bcol < 160) ? src1v[(brow * 160 + bcol) / 4] : vec4(0.0);
        tileB[br * 64 + bc] = q1.x;
        tileB[br * 64 + (bc + 1)] = q1.y;
        tileB[br * 64 + (bc + 2)] = q1.z;
        tileB[br * 64 + (bc + 3)] = q1.w;
        memoryBarrierShared(); barrier();
        for (int kk = 0; kk < 16; kk++) {
            float a0 = tileA[kk * 64 + trow];
            float a1 = tileA[kk * 64 + (trow + 1)];
            float a2 = tileA[kk * 64 + (trow + 2)];
            float a3 = tileA[kk * 64 + (trow + 3)];
            float b0 = tileB[kk * 64 + tcol];
            float b1 = tileB[kk * 64 + (tcol + 1)];
            float b2 = tileB[kk * 64 + (tcol + 2)];
            float b3 = tileB[kk * 64 + (tcol + 3)];
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
        memoryBarrierShared(); barrier();
    }
    // Finish and store this thread's block.
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            int row = row0 + (trow + i);
            int col = col0 + (tcol + j);
            if (row < 128 && col < 160) {
                int pos = (batch * 128 + row) * 160 + col;
                precise float v2 = acc[i * 4 + j];
                int o1 = pos % 160;
                precise float v3 = src2[o1];
                precise float v4 = v2 + v3;
                precise float v5 = isnan(v4) ? v4 : max(v4, 0.0);
                dst[pos] = v5;
            }
        }
    }
}

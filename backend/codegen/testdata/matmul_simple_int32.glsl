#version 430
// contract simple: 30 outputs, K = 7, workgroups of 256
layout(local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) writeonly buffer Dst { int dst[]; };
layout(std430, binding = 1) readonly buffer Src0 { int src0[]; };
layout(std430, binding = 2) readonly buffer Src1 { int src1[]; };

void main() {
    int gid = int(gl_WorkGroupID.x) * 256 + int(gl_LocalInvocationID.x);
    if (30 <= gid) return;
    int c2 = gid % 5;
    int c1 = gid / 5 % 3;
    int c0 = gid / 15;
    int acc = 0;
    for (int k = 0; k < 7; k++) {
        int v0 = src0[c0 * 21 + c1 * 7 + k];
        int v1 = src1[c0 * 35 + k * 5 + c2];
        acc = acc + v0 * v1;
    }
    dst[gid] = acc;
}

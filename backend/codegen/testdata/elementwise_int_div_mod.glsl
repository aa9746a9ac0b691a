#version 430
// elementwise: 7 threads in workgroups of 256
layout(local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) writeonly buffer Dst { int dst[]; };
layout(std430, binding = 1) readonly buffer Src0 { int src0[]; };
layout(std430, binding = 2) readonly buffer Src1 { int src1[]; };

void main() {
    int gid = int(gl_WorkGroupID.x) * 256 + int(gl_LocalInvocationID.x);
    if (7 <= gid) return;
    int v0 = src0[gid];
    int v1 = src1[gid];
    int d2 = (v1 == 0 || v1 == -1) ? 1 : v1;
    int v3 = (v1 == 0) ? 0 : ((v1 == -1) ? -v0 : v0 / d2);
    int d4 = (v1 == 0 || v1 == -1) ? 1 : v1;
    int v5 = (d4 == v1) ? v0 - v0 / d4 * d4 : 0;
    int v6 = (v5 != 0 && (v5 < 0) != (v1 < 0)) ? v5 + v1 : v5;
    int v7 = v3 + v6;
    dst[gid] = v7;
}

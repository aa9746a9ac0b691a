#version 430
// elementwise: 30 threads in workgroups of 256
layout(local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) writeonly buffer Dst { float dst[]; };
layout(std430, binding = 1) readonly buffer Src0 { float src0[]; };
layout(std430, binding = 2) readonly buffer Src1 { float src1[]; };

void main() {
    int gid = int(gl_WorkGroupID.x) * 256 + int(gl_LocalInvocationID.x);
    if (30 <= gid) return;
    int i1 = gid % 6;
    int i0 = gid / 6;
    precise float v0 = (1 <= i0 && i0 < 4 && i1 < 4) ? src0[i0 * 4 + i1 - 4] : 0.0;
    precise float v1 = src1[i1];
    precise float v2 = v0 + v1;
    precise float v3 = isnan(v2) ? v2 : max(v2, 0.0);
    dst[gid] = v3;
}

#version 430
// reduce sum serial: 64 outputs of 8 elements, workgroups of 256
layout(local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) writeonly buffer Dst { float dst[]; };
layout(std430, binding = 1) readonly buffer Src0 { float src0[]; };

void main() {
    int gid = int(gl_WorkGroupID.x) * 256 + int(gl_LocalInvocationID.x);
    if (64 <= gid) return;
    int c2 = gid % 16;
    int c0 = gid / 16;
    float acc = 0.0;
    for (int r1 = 0; r1 < 8; r1++) {
        precise float v0 = src0[c0 * 128 + r1 + c2 * 8];
        acc = acc + v0;
    }
    precise float v1 = acc * 0.125;
    dst[gid] = v1;
}

#version 430
#extension GL_ARB_gpu_shader_int64 : require
// gather along axis 0: 40 outputs, workgroups of 256
layout(local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) writeonly buffer Dst { float dst[]; };
layout(std430, binding = 1) readonly buffer Src0 { float src0[]; };
layout(std430, binding = 2) readonly buffer Src1 { int64_t src1[]; };
layout(std430, binding = 3) writeonly buffer Flag { int flag[]; };

void main() {
    int gid = int(gl_WorkGroupID.x) * 256 + int(gl_LocalInvocationID.x);
    if (40 <= gid) return;
    int c1 = gid % 8;
    int c0 = gid / 8;
    int64_t v0 = src1[c0];
    int64_t j1 = v0 < 0l ? v0 + 10l : v0;
    bool bad2 = j1 < 0l || 10l <= j1;
    if (bad2) {
        int64_t v3 = j1 < 0l ? j1 - 10l : j1;
        flag[0] = 1;
        flag[1] = int(v3);
    }
    int jc4 = int(bad2 ? 0l : j1);
    precise float v5 = src0[jc4 * 8 + c1];
    dst[gid] = v5;
}

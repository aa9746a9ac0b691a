#version 430
// reduce reduce_max group: 3 outputs of 4096 elements, one workgroup of 128 each, tree in shared memory
layout(local_size_x = 128, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) writeonly buffer Dst { float dst[]; };
layout(std430, binding = 1) readonly buffer Src0 { float src0[]; };
shared float partial[128];

void main() {
    int group = int(gl_WorkGroupID.x);
    int tid = int(gl_LocalInvocationID.x);
    float acc = uintBitsToFloat(0xff800000u);
    // Each thread folds every 128th element of the group.
    for (int r = tid; r < 4096; r += 128) {
        precise float v0 = src0[group * 4096 + r];
        acc = (acc < v0 || isnan(v0)) ? v0 : acc;
    }
    // Combine the threads' partial results in a tree.
    partial[tid] = acc;
    memoryBarrierShared(); barrier();
    if (tid < 64) {
        float mine = partial[tid];
        float other = partial[tid + 64];
        partial[tid] = (mine < other || isnan(other)) ? other : mine;
    }
    memoryBarrierShared(); barrier();
    if (tid < 32) {
        float mine = partial[tid];
        float other = partial[tid + 32];
        partial[tid] = (mine < other || isnan(other)) ? other : mine;
    }
    memoryBarrierShared(); barrier();
    if (tid < 16) {
        float mine = partial[tid];
        float other = partial[tid + 16];
        partial[tid] = (mine < other || isnan(other)) ? other : mine;
    }
    memoryBarrierShared(); barrier();
    if (tid < 8) {
        float mine = partial[tid];
        float other = partial[tid + 8];
        partial[tid] = (mine < other || isnan(other)) ? other : mine;
    }
    memoryBarrierShared(); barrier();
    if (tid < 4) {
        float mine = partial[tid];
        float other = partial[tid + 4];
        partial[tid] = (mine < other || isnan(other)) ? other : mine;
    }
    memoryBarrierShared(); barrier();
    if (tid < 2) {
        float mine = partial[tid];
        float other = partial[tid + 2];
        partial[tid] = (mine < other || isnan(other)) ? other : mine;
    }
    memoryBarrierShared(); barrier();
    if (tid < 1) {
        float mine = partial[tid];
        float other = partial[tid + 1];
        partial[tid] = (mine < other || isnan(other)) ? other : mine;
    }
    memoryBarrierShared(); barrier();
    if (tid == 0) {
        precise float v1 = partial[0];
        dst[group] = v1;
    }
}

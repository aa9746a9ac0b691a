#version 430
// reduce sum columns: 80 outputs of 300 elements, tiles of 32 outputs, one workgroup of 32 lanes × 4 rows each, tree in shared memory
layout(local_size_x = 128, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) writeonly buffer Dst { float dst[]; };
layout(std430, binding = 1) readonly buffer Src0 { float src0[]; };
shared float partial[128];

void main() {
    int group = int(gl_WorkGroupID.x);
    int tid = int(gl_LocalInvocationID.x);
    int lane = tid % 32;
    int row = tid / 32;
    int opos = group * 32 + lane;
    float acc = 0.0;
    if (opos < 80) {
        // Each row folds every 4th element of its lane's group.
        for (int r = row; r < 300; r += 4) {
            precise float v0 = src0[r * 80 + opos];
            acc = acc + v0;
        }
    }
    // Combine the threads' partial results in a tree.
    partial[tid] = acc;
    memoryBarrierShared(); barrier();
    if (tid < 64) {
        float mine = partial[tid];
        float other = partial[tid + 64];
        partial[tid] = mine + other;
    }
    memoryBarrierShared(); barrier();
    if (tid < 32) {
        float mine = partial[tid];
        float other = partial[tid + 32];
        partial[tid] = mine + other;
    }
    memoryBarrierShared(); barrier();
    if (tid < 32) {
        if (opos < 80) {
            precise float v1 = partial[tid];
            precise float v2 = v1 * 0.0033333334;
            dst[opos] = v2;
        }
    }
}

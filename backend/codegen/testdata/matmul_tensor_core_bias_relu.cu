#include <cuda_fp16.h>
#include <cuda_bf16.h>
// contract tensor core: block 64x64x32, 2x2 warps of 32x32, 3 stages, A K-major, B K-major
// tiles stored in 16-byte chunks through shared memory

// xb_pack_f16x2 packs two values of the storage type (exact: they are of the type already).
__device__ inline unsigned xb_pack_f16x2(float lo, float hi) {
    return (unsigned)__float2half_rn(lo).x | ((unsigned)__float2half_rn(hi).x << 16);
}

#ifndef XB_EMULATED_INTRINSICS
__device__ __forceinline__ void xb_cp_async16(void* smem, const void* gmem, unsigned bytes) {
    unsigned s = (unsigned)__cvta_generic_to_shared(smem);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" :: "r"(s), "l"(gmem), "r"(bytes));
}
__device__ __forceinline__ void xb_cp_async_commit() {
    asm volatile("cp.async.commit_group;\n" ::);
}
template <int N> __device__ __forceinline__ void xb_cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" :: "n"(N));
}
__device__ __forceinline__ void xb_ldmatrix_x4(unsigned* r, const void* smem) {
    unsigned s = (unsigned)__cvta_generic_to_shared(smem);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(s));
}
__device__ __forceinline__ void xb_mma_f16(float* c, const unsigned* a, const unsigned* b) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
template <typename T> __device__ __forceinline__ void xb_store_chunk(void* dst, const void* src) {
    *reinterpret_cast<T*>(dst) = *reinterpret_cast<const T*>(src);
}
#endif

extern "C" __global__ void __launch_bounds__(128) kernel(__half* __restrict__ dst, const __half* __restrict__ src0, const __half* __restrict__ src1, const __half* __restrict__ src2) {
    __shared__ __align__(16) unsigned tiles[6144];
    const int tid = (int)(threadIdx.x);
    const int warp = tid / 32;
    const int lane = tid % 32;
    const int wrow = warp / 2 * 32;
    const int wcol = warp % 2 * 32;
    const int row0 = (int)(blockIdx.y) * 64;
    const int col0 = (int)(blockIdx.x) * 64;
    const int batch = (int)(blockIdx.z);
    float acc[32];
    unsigned fa[8];
    unsigned fb[8];
    #pragma unroll
    for (int i = 0; i < 32; i++) {
        acc[i] = 0.0f;
    }
    // Start the copies of the first stages; a group per stage, empty or not, keeps the count of groups to wait for fixed.
    #pragma unroll
    for (int s = 0; s < 2; s++) {
        if (s < 2) {
            const int k0 = s * 32;
            #pragma unroll
            for (int al0 = 0; al0 < 256; al0 += 128) {
                const int al = tid + al0;
                const int arow = al / 4;
                const int achunk = al % 4;
                const int amn = row0 + arow;
                const int ak = k0 + achunk * 8;
                const bool ain = amn < 96 && ak < 64;
                const int asrc = ain ? batch * 6144 + amn * 64 + ak : 0;
                xb_cp_async16(&tiles[(s * 4096 + (arow * 32 + (achunk ^ arow / 2 % 4) * 8)) / 2], &src0[asrc], ain ? 16u : 0u);
            }
            #pragma unroll
            for (int bl0 = 0; bl0 < 256; bl0 += 128) {
                const int bl = tid + bl0;
                const int brow = bl / 4;
                const int bchunk = bl % 4;
                const int bmn = col0 + brow;
                const int bk = k0 + bchunk * 8;
                const bool bin = bmn < 80 && bk < 64;
                const int bsrc = bin ? batch * 5120 + bk + bmn * 64 : 0;
                xb_cp_async16(&tiles[(s * 4096 + 2048 + (brow * 32 + (bchunk ^ brow / 2 % 4) * 8)) / 2], &src1[bsrc], bin ? 16u : 0u);
            }
        }
        xb_cp_async_commit();
    }
    for (int kt = 0; kt < 2; kt++) {
        // Wait for this step's tiles; every warp is done with the stage that the next copies overwrite.
        xb_cp_async_wait<1>();
        __syncthreads();
        const int next = kt + 2;
        if (next < 2) {
            const int k0 = next * 32;
            #pragma unroll
            for (int al0 = 0; al0 < 256; al0 += 128) {
                const int al = tid + al0;
                const int arow = al / 4;
                const int achunk = al % 4;
                const int amn = row0 + arow;
                const int ak = k0 + achunk * 8;
                const bool ain = amn < 96 && ak < 64;
                const int asrc = ain ? batch * 6144 + amn * 64 + ak : 0;
                xb_cp_async16(&tiles[(next % 3 * 4096 + (arow * 32 + (achunk ^ arow / 2 % 4) * 8)) / 2], &src0[asrc], ain ? 16u : 0u);
            }
            #pragma unroll
            for (int bl0 = 0; bl0 < 256; bl0 += 128) {
                const int bl = tid + bl0;
                const int brow = bl / 4;
                const int bchunk = bl % 4;
                const int bmn = col0 + brow;
                const int bk = k0 + bchunk * 8;
                const bool bin = bmn < 80 && bk < 64;
                const int bsrc = bin ? batch * 5120 + bk + bmn * 64 : 0;
                xb_cp_async16(&tiles[(next % 3 * 4096 + 2048 + (brow * 32 + (bchunk ^ brow / 2 % 4) * 8)) / 2], &src1[bsrc], bin ? 16u : 0u);
            }
        }
        xb_cp_async_commit();
        const int cur = kt % 3 * 4096;
        #pragma unroll
        for (int kk = 0; kk < 32; kk += 16) {
            // Fragments of A and B for 16 steps along K, then their products.
            #pragma unroll
            for (int mi = 0; mi < 2; mi++) {
                xb_ldmatrix_x4(&fa[mi * 4], &tiles[(cur + ((wrow + mi * 16 + lane / 8 % 2 * 8 + lane % 8) * 32 + (kk / 8 + lane / 8 / 2 ^ (wrow + mi * 16 + lane / 8 % 2 * 8 + lane % 8) / 2 % 4) * 8)) / 2]);
            }
            #pragma unroll
            for (int nj = 0; nj < 2; nj++) {
                xb_ldmatrix_x4(&fb[nj * 4], &tiles[(cur + 2048 + ((wcol + nj * 16 + lane / 8 / 2 * 8 + lane % 8) * 32 + (kk / 8 + lane / 8 % 2 ^ (wcol + nj * 16 + lane / 8 / 2 * 8 + lane % 8) / 2 % 4) * 8)) / 2]);
            }
            #pragma unroll
            for (int mi = 0; mi < 2; mi++) {
                #pragma unroll
                for (int nj = 0; nj < 4; nj++) {
                    xb_mma_f16(&acc[(mi * 4 + nj) * 4], &fa[mi * 4], &fb[nj * 2]);
                }
            }
        }
    }
    const int g = lane / 4;
    const int t4 = lane % 4;
    // Stage the tile in shared memory once every warp is done with the stages, then store it in 16-byte chunks of its rows.
    xb_cp_async_wait<0>();
    __syncthreads();
    #pragma unroll
    for (int i = 0; i < 32; i += 2) {
        const int sr = wrow + i / 16 * 16 + (g + i % 4 / 2 * 8);
        const int sc = wcol + i / 4 % 4 * 8 + (t4 * 2 + i % 4 % 2);
        const int row = row0 + sr;
        const int col = col0 + sc;
        if (row < 96 && col < 80) {
            const int pos = (batch * 96 + row) * 80 + col;
            const float v0 = __half2float(__float2half_rn(acc[i]));
            const int o2 = pos % 80;
            const float v1 = __half2float(src2[o2]);
            const float v2 = __half2float(__float2half_rn(v0 + v1));
            const float v3 = __half2float(__float2half_rn(isnan(v2) ? v2 : fmaxf(v2, 0.0f)));
            const float v4 = __half2float(__float2half_rn(acc[i + 1]));
            const int on2 = (pos + 1) % 80;
            const float v5 = __half2float(src2[on2]);
            const float v6 = __half2float(__float2half_rn(v4 + v5));
            const float v7 = __half2float(__float2half_rn(isnan(v6) ? v6 : fmaxf(v6, 0.0f)));
            tiles[sr * 36 + sc / 2] = xb_pack_f16x2(v3, v7);
        }
    }
    __syncthreads();
    #pragma unroll
    for (int ol0 = 0; ol0 < 512; ol0 += 128) {
        const int ol = tid + ol0;
        const int orow = ol / 8;
        const int ochunk = ol % 8;
        const int grow = row0 + orow;
        const int gcol = col0 + ochunk * 8;
        if (grow < 96 && gcol < 80) {
            xb_store_chunk<uint4>(&dst[(batch * 96 + grow) * 80 + gcol], &tiles[orow * 36 + ochunk * 4]);
        }
    }
}

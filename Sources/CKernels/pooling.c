#include "ckernels.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* Max pooling's forward loop on AVX-512, chosen at run time from the CPU's features (the Swift
 * caller keeps the portable path): Swift's SIMD types compile to baseline x86-64 vectors. Its
 * results equal the Swift code's: the first maximum of a window wins (a > b, never >=), and
 * NaN windows are left to the caller. (A gather/scatter backward was slower than the scalar
 * loop on the Intel Xeon: 8.7% of the step against 7.8%.) */

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static int row_avx512(const float *r0, const float *r1, float *d, int *am, int ow, int base, int w) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512i lanes = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    int ox = 0;
    for (; ox + 16 <= ow; ox += 16) {
        const float *p0 = r0 + 2 * ox, *p1 = r1 + 2 * ox;
        __m512 a0 = _mm512_loadu_ps(p0), a1 = _mm512_loadu_ps(p0 + 16);
        __m512 b0 = _mm512_loadu_ps(p1), b1 = _mm512_loadu_ps(p1 + 16);
        __m512 v0 = _mm512_permutex2var_ps(a0, even, a1), v1 = _mm512_permutex2var_ps(a0, odd, a1);
        __m512 v2 = _mm512_permutex2var_ps(b0, even, b1), v3 = _mm512_permutex2var_ps(b0, odd, b1);
        __m512 sum = _mm512_add_ps(_mm512_add_ps(v0, v1), _mm512_add_ps(v2, v3));
        if (_mm512_cmp_ps_mask(sum, sum, _CMP_UNORD_Q)) break;   /* a NaN (or +Inf with -Inf) */
        __m512i i0 = _mm512_add_epi32(lanes, _mm512_set1_epi32(base + 2 * ox));
        __m512 best = v0;
        __m512i index = i0;
        __mmask16 take = _mm512_cmp_ps_mask(v1, best, _CMP_GT_OQ);
        best = _mm512_mask_mov_ps(best, take, v1);
        index = _mm512_mask_mov_epi32(index, take, _mm512_add_epi32(i0, _mm512_set1_epi32(1)));
        take = _mm512_cmp_ps_mask(v2, best, _CMP_GT_OQ);
        best = _mm512_mask_mov_ps(best, take, v2);
        index = _mm512_mask_mov_epi32(index, take, _mm512_add_epi32(i0, _mm512_set1_epi32(w)));
        take = _mm512_cmp_ps_mask(v3, best, _CMP_GT_OQ);
        best = _mm512_mask_mov_ps(best, take, v3);
        index = _mm512_mask_mov_epi32(index, take, _mm512_add_epi32(i0, _mm512_set1_epi32(w + 1)));
        _mm512_storeu_ps(d + ox, best);
        _mm512_storeu_si512((void *)(am + ox), index);
    }
    return ox;
}

#endif

int descent_maxpool2x2_row(const float *r0, const float *r1, float *d, int *am, int ow, int base, int w) {
#if defined(__x86_64__)
    if (descent_vector_level() == 2) return row_avx512(r0, r1, d, am, ow, base, w);
#endif
    (void)r0; (void)r1; (void)d; (void)am; (void)ow; (void)base; (void)w;
    return 0;
}

#if defined(__x86_64__)
#include <immintrin.h>
#include "pooling_rule.h"
#include "multiversion.h"

/* Hand-written: the window's max-and-code selection and the 16x16 transposes do not come out
 * of a compiled loop (activations kept blocked saved ~3.5 ms of a one-thread reference CNN
 * step, commit c585110). */

/* The 2x2 max pool's AVX-512 bodies: 16 windows (NCHW) or one 16-channel pixel (aBcd16b) at a
 * time. */

/* Per lane, the maximum of four candidates (the first wins) and its code; returns 0, leaving
 * them unset, when a lane holds a NaN (or +Inf with -Inf): the caller takes the portable path. */
TARGET_AVX512 static inline int max4_16(__m512 v0, __m512 v1, __m512 v2, __m512 v3, __m512 *best_out, __m512i *code_out) {
    __m512 sum = _mm512_add_ps(_mm512_add_ps(v0, v1), _mm512_add_ps(v2, v3));
    if (_mm512_cmp_ps_mask(sum, sum, _CMP_UNORD_Q)) return 0;
    __m512 best = v0;
    __m512i pos = _mm512_setzero_si512();
    __mmask16 take = _mm512_cmp_ps_mask(v1, best, _CMP_GT_OQ);
    best = _mm512_mask_mov_ps(best, take, v1);
    pos = _mm512_mask_mov_epi32(pos, take, _mm512_set1_epi32(1));
    take = _mm512_cmp_ps_mask(v2, best, _CMP_GT_OQ);
    best = _mm512_mask_mov_ps(best, take, v2);
    pos = _mm512_mask_mov_epi32(pos, take, _mm512_set1_epi32(2));
    take = _mm512_cmp_ps_mask(v3, best, _CMP_GT_OQ);
    best = _mm512_mask_mov_ps(best, take, v3);
    pos = _mm512_mask_mov_epi32(pos, take, _mm512_set1_epi32(3));
    *code_out = _mm512_mask_or_epi32(pos, _mm512_cmp_ps_mask(best, _mm512_setzero_ps(), _CMP_GT_OQ), pos, _mm512_set1_epi32(4));
    *best_out = best;
    return 1;
}

/* The 16 windows whose rows start at p0 and p1 (NCHW): their candidates are the even and odd
 * lanes of 32 floats from each row. */
TARGET_AVX512 static inline int windows16(const float *p0, const float *p1, __m512 *best_out, __m512i *code_out) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    __m512 a0 = _mm512_loadu_ps(p0), a1 = _mm512_loadu_ps(p0 + 16);
    __m512 b0 = _mm512_loadu_ps(p1), b1 = _mm512_loadu_ps(p1 + 16);
    return max4_16(_mm512_permutex2var_ps(a0, even, a1), _mm512_permutex2var_ps(a0, odd, a1),
                   _mm512_permutex2var_ps(b0, even, b1), _mm512_permutex2var_ps(b0, odd, b1), best_out, code_out);
}

TARGET_AVX512 int pool_forward_row_avx512(const float *r0, const float *r1, float *d, unsigned char *code, int ow) {
    int ox = 0;
    for (; ox + 16 <= ow; ox += 16) {
        __m512 best;
        __m512i c;
        if (!windows16(r0 + 2 * ox, r1 + 2 * ox, &best, &c)) {
            pool_rows_portable(r0, r1, d, code, ox, ox + 16);
            continue;
        }
        _mm512_storeu_ps(d + ox, best);
        _mm_storeu_si128((__m128i *)(code + ox), _mm512_cvtepi32_epi8(c));
    }
    return ox;
}

/* The gradients of 16 windows with codes c, as backward_window_portable gives them: s[p] holds
 * +0 + g * m where the window's maximum is at position p, +0 elsewhere; returns +0 + g * m. */
TARGET_AVX512 static inline __m512 window_gradients16(__m512 g, __m512i c, int through_relu, __m512 s[4]) {
    if (through_relu) g = _mm512_mul_ps(g, _mm512_maskz_mov_ps(_mm512_test_epi32_mask(c, _mm512_set1_epi32(4)), _mm512_set1_ps(1.0f)));
    g = _mm512_add_ps(_mm512_setzero_ps(), g);
    __m512i p = _mm512_and_si512(c, _mm512_set1_epi32(3));
    for (int k = 0; k < 4; k++) s[k] = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(p, _mm512_set1_epi32(k)), g);
    return g;
}

TARGET_AVX512 int pool_backward_row_avx512(const float *g, const unsigned char *code, int through_relu, float *o0, float *o1, int ow) {
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    int ox = 0;
    for (; ox + 16 <= ow; ox += 16) {
        __m512 s[4];
        window_gradients16(_mm512_loadu_ps(g + ox), _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(code + ox))), through_relu, s);
        _mm512_storeu_ps(o0 + 2 * ox, _mm512_permutex2var_ps(s[0], lo, s[1]));
        _mm512_storeu_ps(o0 + 2 * ox + 16, _mm512_permutex2var_ps(s[0], hi, s[1]));
        _mm512_storeu_ps(o1 + 2 * ox, _mm512_permutex2var_ps(s[2], lo, s[3]));
        _mm512_storeu_ps(o1 + 2 * ox + 16, _mm512_permutex2var_ps(s[2], hi, s[3]));
    }
    return ox;
}

TARGET_AVX512 void pool_forward_blocked_avx512(const float *x, float *y, unsigned char *code, int h, int w) {
    int oh = h / 2, ow = w / 2;
    for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
            const float *p = x + ((size_t)2 * oy * w + 2 * ox) * 16;
            POOL_PREFETCH(p, (size_t)w * 16, 16)
            float *d = y + ((size_t)oy * ow + ox) * 16;
            unsigned char *c = code + ((size_t)oy * ow + ox) * 16;
            __m512 best;
            __m512i pos;
            if (!max4_16(_mm512_loadu_ps(p), _mm512_loadu_ps(p + 16), _mm512_loadu_ps(p + (size_t)w * 16),
                         _mm512_loadu_ps(p + (size_t)w * 16 + 16), &best, &pos)) {
                pool_pixel_blocked_portable(p, d, c, w, 16, 16);
                continue;
            }
            _mm512_storeu_ps(d, best);
            _mm_storeu_si128((__m128i *)c, _mm512_cvtepi32_epi8(pos));
        }
    }
}

/* Every window's four pixels; the odd last column and row are the caller's. With sums, each
 * lane's gradient summed in window order (window_sums.c): a window adds its one nonzero.
 * Plain stores: the gradient goes to a convolution chunk's buffer that the convolution's
 * backward reads next, from cache (streaming stores, which won 3% when it went to a
 * whole-batch tensor, sent it to memory). */
TARGET_AVX512 void pool_backward_blocked_avx512(const float *gy, const unsigned char *code, int through_relu, float *gx, int h, int w, double *sums) {
    int oh = h / 2, ow = w / 2;
    __m512d low = _mm512_setzero_pd(), high = _mm512_setzero_pd();
    for (int oy = 0; oy < oh; oy++) {
        float *r0 = gx + (size_t)2 * oy * w * 16, *r1 = r0 + (size_t)w * 16;
        for (int ox = 0; ox < ow; ox++) {
            size_t o = ((size_t)oy * ow + ox) * 16;
            __m512 s[4];
            __m512 v = window_gradients16(_mm512_loadu_ps(gy + o), _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(code + o))), through_relu, s);
            _mm512_storeu_ps(r0 + (size_t)2 * ox * 16, s[0]);
            _mm512_storeu_ps(r0 + (size_t)2 * ox * 16 + 16, s[1]);
            _mm512_storeu_ps(r1 + (size_t)2 * ox * 16, s[2]);
            _mm512_storeu_ps(r1 + (size_t)2 * ox * 16 + 16, s[3]);
            if (sums) {
                low = _mm512_add_pd(low, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
                high = _mm512_add_pd(high, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))));
            }
        }
    }
    if (sums) {
        _mm512_storeu_pd(sums, low);
        _mm512_storeu_pd(sums + 8, high);
    }
}
#endif

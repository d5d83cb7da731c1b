#if defined(__x86_64__)
#include <immintrin.h>
#include "pooling_rule.h"
#include "multiversion.h"

/* Hand-written: the window's max-and-code selection and the 8x8 register transposes of the
 * blocked layout do not come out of a compiled loop (reference CNN with oneDNN held to AVX2,
 * one thread: 18 -> 22.5 steps/s over the portable bodies, commit f14d70c). */

/* The 2x2 max pool's AVX2 bodies: 8 windows (NCHW) or 8 channels of a blocked pixel at a time,
 * for CPUs without AVX-512 (where oneDNN picks 8-channel blocks) and for 16-channel blocks
 * below DESCENT_VECTOR_LEVEL=2. */

/* Per lane, the maximum of four candidates (the first wins) and its code; returns 0, leaving
 * them unset, when a lane holds a NaN (or +Inf with -Inf): the caller takes the portable path. */
TARGET_AVX2 static inline int max4_8(__m256 v0, __m256 v1, __m256 v2, __m256 v3, __m256 *best_out, __m256i *code_out) {
    __m256 sum = _mm256_add_ps(_mm256_add_ps(v0, v1), _mm256_add_ps(v2, v3));
    if (_mm256_movemask_ps(_mm256_cmp_ps(sum, sum, _CMP_UNORD_Q))) return 0;
    __m256 best = v0, pos = _mm256_setzero_ps();
    __m256 take = _mm256_cmp_ps(v1, best, _CMP_GT_OQ);
    best = _mm256_blendv_ps(best, v1, take);
    pos = _mm256_blendv_ps(pos, _mm256_castsi256_ps(_mm256_set1_epi32(1)), take);
    take = _mm256_cmp_ps(v2, best, _CMP_GT_OQ);
    best = _mm256_blendv_ps(best, v2, take);
    pos = _mm256_blendv_ps(pos, _mm256_castsi256_ps(_mm256_set1_epi32(2)), take);
    take = _mm256_cmp_ps(v3, best, _CMP_GT_OQ);
    best = _mm256_blendv_ps(best, v3, take);
    pos = _mm256_blendv_ps(pos, _mm256_castsi256_ps(_mm256_set1_epi32(3)), take);
    __m256 positive = _mm256_and_ps(_mm256_cmp_ps(best, _mm256_setzero_ps(), _CMP_GT_OQ), _mm256_castsi256_ps(_mm256_set1_epi32(4)));
    *code_out = _mm256_castps_si256(_mm256_or_ps(pos, positive));
    *best_out = best;
    return 1;
}

/* The 8 codes (0-7, one per 32-bit lane) as 8 bytes at p. */
TARGET_AVX2 static inline void store_codes8(unsigned char *p, __m256i c) {
    __m128i words = _mm_packus_epi32(_mm256_castsi256_si128(c), _mm256_extracti128_si256(c, 1));
    _mm_storel_epi64((__m128i *)p, _mm_packus_epi16(words, words));
}

TARGET_AVX2 static inline __m256i load_codes8(const unsigned char *p) {
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
}

/* The 8 windows whose rows start at p0 and p1 (NCHW): their candidates are the even and odd
 * lanes of 16 floats from each row. */
TARGET_AVX2 static inline int windows8(const float *p0, const float *p1, __m256 *best_out, __m256i *code_out) {
    __m256 a0 = _mm256_loadu_ps(p0), a1 = _mm256_loadu_ps(p0 + 8), b0 = _mm256_loadu_ps(p1), b1 = _mm256_loadu_ps(p1 + 8);
    /* shuffle_ps works within 128-bit halves; permute4x64 puts the 64-bit pairs back in order. */
#define EVEN(a, b) _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0))), 0xd8))
#define ODD(a, b) _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1))), 0xd8))
    int ok = max4_8(EVEN(a0, a1), ODD(a0, a1), EVEN(b0, b1), ODD(b0, b1), best_out, code_out);
#undef EVEN
#undef ODD
    return ok;
}

TARGET_AVX2 int pool_forward_row_avx2(const float *r0, const float *r1, float *d, unsigned char *code, int ow) {
    int ox = 0;
    for (; ox + 8 <= ow; ox += 8) {
        __m256 best;
        __m256i c;
        if (!windows8(r0 + 2 * ox, r1 + 2 * ox, &best, &c)) {
            pool_rows_portable(r0, r1, d, code, ox, ox + 8);
            continue;
        }
        _mm256_storeu_ps(d + ox, best);
        store_codes8(code + ox, c);
    }
    return ox;
}

/* The gradients of 8 windows with codes c, as backward_window_portable gives them: s[p] holds
 * +0 + g * m where the window's maximum is at position p, +0 elsewhere; returns +0 + g * m. */
TARGET_AVX2 static inline __m256 window_gradients8(__m256 g, __m256i c, int through_relu, __m256 s[4]) {
    if (through_relu) {
        __m256i positive = _mm256_cmpeq_epi32(_mm256_and_si256(c, _mm256_set1_epi32(4)), _mm256_set1_epi32(4));
        g = _mm256_mul_ps(g, _mm256_and_ps(_mm256_castsi256_ps(positive), _mm256_set1_ps(1.0f)));
    }
    g = _mm256_add_ps(_mm256_setzero_ps(), g);
    __m256i p = _mm256_and_si256(c, _mm256_set1_epi32(3));
    for (int k = 0; k < 4; k++) s[k] = _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(p, _mm256_set1_epi32(k))), g);
    return g;
}

TARGET_AVX2 int pool_backward_row_avx2(const float *g, const unsigned char *code, int through_relu, float *o0, float *o1, int ow) {
    int ox = 0;
    for (; ox + 8 <= ow; ox += 8) {
        __m256 s[4];
        window_gradients8(_mm256_loadu_ps(g + ox), load_codes8(code + ox), through_relu, s);
        /* Interleave positions 0 and 1 (top row), 2 and 3 (bottom row). */
        __m256 top_lo = _mm256_unpacklo_ps(s[0], s[1]), top_hi = _mm256_unpackhi_ps(s[0], s[1]);
        __m256 bottom_lo = _mm256_unpacklo_ps(s[2], s[3]), bottom_hi = _mm256_unpackhi_ps(s[2], s[3]);
        _mm256_storeu_ps(o0 + 2 * ox, _mm256_permute2f128_ps(top_lo, top_hi, 0x20));
        _mm256_storeu_ps(o0 + 2 * ox + 8, _mm256_permute2f128_ps(top_lo, top_hi, 0x31));
        _mm256_storeu_ps(o1 + 2 * ox, _mm256_permute2f128_ps(bottom_lo, bottom_hi, 0x20));
        _mm256_storeu_ps(o1 + 2 * ox + 8, _mm256_permute2f128_ps(bottom_lo, bottom_hi, 0x31));
    }
    return ox;
}

TARGET_AVX2 void pool_forward_blocked_avx2(const float *x, float *y, unsigned char *code, int h, int w, int block) {
    int oh = h / 2, ow = w / 2;
    size_t below = (size_t)w * block;
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++) {
            const float *p = x + ((size_t)2 * oy * w + 2 * ox) * block;
            size_t o = ((size_t)oy * ow + ox) * block;
            POOL_PREFETCH(p, below, block)
            for (int k = 0; k < block; k += 8) {
                __m256 best;
                __m256i pos;
                if (!max4_8(_mm256_loadu_ps(p + k), _mm256_loadu_ps(p + block + k), _mm256_loadu_ps(p + below + k),
                            _mm256_loadu_ps(p + below + block + k), &best, &pos)) {
                    pool_pixel_blocked_portable(p + k, y + o + k, code + o + k, w, block, 8);
                    continue;
                }
                _mm256_storeu_ps(y + o + k, best);
                store_codes8(code + o + k, pos);
            }
        }
}

/* Every window's four pixels; the odd last column and row are the caller's. With sums, each
 * lane's gradient summed in window order (window_sums.c): a window adds its one nonzero.
 * Plain stores, as on AVX-512: the convolution's backward reads the gradient next. */
TARGET_AVX2 void pool_backward_blocked_avx2(const float *gy, const unsigned char *code, int through_relu, float *gx, int h, int w, int block,
                                     double *sums) {
    int oh = h / 2, ow = w / 2;
    __m256d acc[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
    for (int oy = 0; oy < oh; oy++) {
        float *r0 = gx + (size_t)2 * oy * w * block, *r1 = r0 + (size_t)w * block;
        for (int ox = 0; ox < ow; ox++) {
            size_t o = ((size_t)oy * ow + ox) * block, left = (size_t)2 * ox * block;
            for (int k = 0; k < block; k += 8) {
                __m256 s[4];
                __m256 v = window_gradients8(_mm256_loadu_ps(gy + o + k), load_codes8(code + o + k), through_relu, s);
                _mm256_storeu_ps(r0 + left + k, s[0]);
                _mm256_storeu_ps(r0 + left + block + k, s[1]);
                _mm256_storeu_ps(r1 + left + k, s[2]);
                _mm256_storeu_ps(r1 + left + block + k, s[3]);
                if (sums) {
                    acc[k / 4] = _mm256_add_pd(acc[k / 4], _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
                    acc[k / 4 + 1] = _mm256_add_pd(acc[k / 4 + 1], _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
                }
            }
        }
    }
    if (sums) for (int k = 0; k < block; k += 4) _mm256_storeu_pd(sums + k, acc[k / 4]);
}
#endif

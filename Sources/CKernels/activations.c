#include "multiversion.h"
#if defined(__x86_64__)

/* SiLU on AVX-512 and AVX2, the same operations in the same order as Float8.expNonPositive and
 * Float8.sigmoid (VectorMath.swift): separate multiplies and adds, never fused, so the bits
 * equal the portable Swift path's. Sixteen or eight lanes instead of Swift's baseline four:
 * SiLU's forward and backward were a tenth of the detector's training (detector step at
 * DESCENT_VECTOR_LEVEL=1, one thread: 86 -> 112 steps/s). Hand-written: the exp's bit tricks
 * and masked tails do not come out of a compiled loop. The baseline bodies return 0: Swift's
 * Float8 path does the work. */
#pragma clang fp contract(off)

/* exp(t) for t clamped to >= -87.3, on W-bit vectors (512 or 256: the intrinsics differ only
 * in that number): 2^n by the magic-number trick, the rest by a degree-7 polynomial. */
#define MM(W, op) _mm##W##_##op
#define EXP_CLAMPED(W, t) \
    const __m##W magic = MM(W, set1_ps)(12582912.0f); \
    __m##W k = MM(W, add_ps)(MM(W, mul_ps)(t, MM(W, set1_ps)(1.44269504f)), magic); \
    __m##W n = MM(W, sub_ps)(k, magic); \
    __m##W r = MM(W, sub_ps)(MM(W, sub_ps)(t, MM(W, mul_ps)(n, MM(W, set1_ps)(0.69314575f))), MM(W, mul_ps)(n, MM(W, set1_ps)(1.4286068e-6f))); \
    __m##W p = MM(W, add_ps)(MM(W, mul_ps)(r, MM(W, set1_ps)(1.0f / 5040.0f)), MM(W, set1_ps)(1.0f / 720.0f)); \
    const float terms[] = {1.0f / 120.0f, 1.0f / 24.0f, 1.0f / 6.0f, 0.5f, 1.0f, 1.0f}; \
    for (int j = 0; j < 6; j++) p = MM(W, add_ps)(MM(W, mul_ps)(p, r), MM(W, set1_ps)(terms[j])); \
    __m##W##i bits = MM(W, slli_epi32)(MM(W, add_epi32)(MM(W, sub_epi32)(MM(W, castps_si##W)(k), MM(W, castps_si##W)(magic)), MM(W, set1_epi32)(127)), 23); \
    return MM(W, mul_ps)(p, MM(W, castsi##W##_ps)(bits));

TARGET_AVX512 static inline __m512 exp_nonpositive16(__m512 x) {
    __m512 t = _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.3f), _CMP_LT_OQ), _mm512_set1_ps(-87.3f));
    EXP_CLAMPED(512, t)
}

TARGET_AVX512 static inline __m512 sigmoid16(__m512 x) {
    __mmask16 nonNegative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
    __m512 e = exp_nonpositive16(_mm512_mask_sub_ps(x, nonNegative, _mm512_setzero_ps(), x));
    __m512 d = _mm512_add_ps(_mm512_set1_ps(1.0f), e);
    return _mm512_mask_mov_ps(_mm512_div_ps(e, d), nonNegative, _mm512_div_ps(_mm512_set1_ps(1.0f), d));
}

TARGET_AVX512 static int silu_forward_avx512(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(v, sigmoid16(v)));
    }
    return 1;
}

TARGET_AVX512 static int silu_backward_avx512(const float *x, const float *g, float *out, size_t n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i), s = sigmoid16(v);
        __m512 d = _mm512_mul_ps(s, _mm512_add_ps(one, _mm512_mul_ps(v, _mm512_sub_ps(one, s))));
        _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, g + i), d));
    }
    return 1;
}

TARGET_AVX2 static inline __m256 exp_nonpositive8(__m256 x) {
    __m256 t = _mm256_blendv_ps(x, _mm256_set1_ps(-87.3f), _mm256_cmp_ps(x, _mm256_set1_ps(-87.3f), _CMP_LT_OQ));
    EXP_CLAMPED(256, t)
}

TARGET_AVX2 static inline __m256 sigmoid8(__m256 x) {
    __m256 nonNegative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
    __m256 e = exp_nonpositive8(_mm256_blendv_ps(x, _mm256_sub_ps(_mm256_setzero_ps(), x), nonNegative));
    __m256 d = _mm256_add_ps(_mm256_set1_ps(1.0f), e);
    return _mm256_blendv_ps(_mm256_div_ps(e, d), _mm256_div_ps(_mm256_set1_ps(1.0f), d), nonNegative);
}

/* The lanes of the last, partial group of 8 (all of them for a whole one). */
TARGET_AVX2 static inline __m256i lanes_below(size_t left) {
    int k = left >= 8 ? 8 : (int)left;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

TARGET_AVX2 static int silu_forward_avx2(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i += 8) {
        __m256i m = lanes_below(n - i);
        __m256 v = _mm256_maskload_ps(x + i, m);
        _mm256_maskstore_ps(y + i, m, _mm256_mul_ps(v, sigmoid8(v)));
    }
    return 1;
}

TARGET_AVX2 static int silu_backward_avx2(const float *x, const float *g, float *out, size_t n) {
    const __m256 one = _mm256_set1_ps(1.0f);
    for (size_t i = 0; i < n; i += 8) {
        __m256i m = lanes_below(n - i);
        __m256 v = _mm256_maskload_ps(x + i, m), s = sigmoid8(v);
        __m256 d = _mm256_mul_ps(s, _mm256_add_ps(one, _mm256_mul_ps(v, _mm256_sub_ps(one, s))));
        _mm256_maskstore_ps(out + i, m, _mm256_mul_ps(_mm256_maskload_ps(g + i, m), d));
    }
    return 1;
}
#endif

static int silu_forward_baseline(const float *x, float *y, size_t n) { (void)x; (void)y; (void)n; return 0; }
static int silu_backward_baseline(const float *x, const float *g, float *out, size_t n) { (void)x; (void)g; (void)out; (void)n; return 0; }

int descent_silu_forward(const float *x, float *y, size_t n) { return DISPATCH(silu_forward, (x, y, n)); }

int descent_silu_backward(const float *x, const float *g, float *out, size_t n) { return DISPATCH(silu_backward, (x, g, out, n)); }

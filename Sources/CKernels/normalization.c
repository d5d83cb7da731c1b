#include "multiversion.h"

/* Batch norm's loops (BatchNorm2d.swift). The elementwise ones use the same operations in the
 * same order as the Swift expressions they replace, never fused into FMAs, so the AVX-512 and AVX2
 * bodies give the portable bits. */
#pragma clang fp contract(off)

/* Batch norm's per-channel sums in Double over eight lanes (hand-written: the compiler does not
 * widen Float to Double lanes in one pass; the Double sums made the main job's one-thread run 15%
 * faster) (lane j takes the elements whose
 * index is j mod 8), accumulated into lanes[0..<16] across calls. The order is fixed, and every
 * product is exact in Double (of two floats), so the AVX-512, AVX2 and portable bodies give the
 * same bits; a single running Double sum was one dependent add per element (14% of the
 * detector's training). */
#define SUMS_BODY(TERM_A, TERM_B) \
    for (size_t i = 0; i < n; i++) { \
        double a = TERM_A, b = TERM_B; \
        lanes[i & 7] += a; \
        lanes[8 + (i & 7)] += b; \
    }

static void sums_baseline(const float *x, size_t n, double *lanes) { SUMS_BODY((double)x[i], (double)x[i] * (double)x[i]) }
static void gradient_sums_baseline(const float *g, const float *x, float mu, float inv, size_t n, double *lanes) {
    SUMS_BODY((double)g[i], (double)g[i] * (double)((x[i] - mu) * inv))
}

#if defined(__x86_64__)
TARGET_AVX512 static void sums_avx512(const float *x, size_t n, double *lanes) {
    __m512d s = _mm512_loadu_pd(lanes), ss = _mm512_loadu_pd(lanes + 8);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512d v = _mm512_cvtps_pd(_mm256_loadu_ps(x + i));
        s = _mm512_add_pd(s, v);
        ss = _mm512_add_pd(ss, _mm512_mul_pd(v, v));
    }
    _mm512_storeu_pd(lanes, s);
    _mm512_storeu_pd(lanes + 8, ss);
    sums_baseline(x + i, n - i, lanes);   /* i is a multiple of 8: lanes line up */
}

TARGET_AVX512 static void gradient_sums_avx512(const float *g, const float *x, float mu, float inv, size_t n, double *lanes) {
    __m512d s = _mm512_loadu_pd(lanes), sx = _mm512_loadu_pd(lanes + 8);
    __m256 m = _mm256_set1_ps(mu), k = _mm256_set1_ps(inv);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512d gv = _mm512_cvtps_pd(_mm256_loadu_ps(g + i));
        __m512d xhat = _mm512_cvtps_pd(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), m), k));
        s = _mm512_add_pd(s, gv);
        sx = _mm512_add_pd(sx, _mm512_mul_pd(gv, xhat));
    }
    _mm512_storeu_pd(lanes, s);
    _mm512_storeu_pd(lanes + 8, sx);
    gradient_sums_baseline(g + i, x + i, mu, inv, n - i, lanes);
}

/* The same eight Double lanes in two AVX2 registers (lanes 0-3 and 4-7). */
TARGET_AVX2 static inline __m256d low4(__m256 v) { return _mm256_cvtps_pd(_mm256_castps256_ps128(v)); }
TARGET_AVX2 static inline __m256d high4(__m256 v) { return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)); }

TARGET_AVX2 static void sums_avx2(const float *x, size_t n, double *lanes) {
    __m256d s0 = _mm256_loadu_pd(lanes), s1 = _mm256_loadu_pd(lanes + 4);
    __m256d ss0 = _mm256_loadu_pd(lanes + 8), ss1 = _mm256_loadu_pd(lanes + 12);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256d a = low4(v), b = high4(v);
        s0 = _mm256_add_pd(s0, a);
        s1 = _mm256_add_pd(s1, b);
        ss0 = _mm256_add_pd(ss0, _mm256_mul_pd(a, a));
        ss1 = _mm256_add_pd(ss1, _mm256_mul_pd(b, b));
    }
    _mm256_storeu_pd(lanes, s0);
    _mm256_storeu_pd(lanes + 4, s1);
    _mm256_storeu_pd(lanes + 8, ss0);
    _mm256_storeu_pd(lanes + 12, ss1);
    sums_baseline(x + i, n - i, lanes);
}

TARGET_AVX2 static void gradient_sums_avx2(const float *g, const float *x, float mu, float inv, size_t n, double *lanes) {
    __m256d s0 = _mm256_loadu_pd(lanes), s1 = _mm256_loadu_pd(lanes + 4);
    __m256d sx0 = _mm256_loadu_pd(lanes + 8), sx1 = _mm256_loadu_pd(lanes + 12);
    __m256 m = _mm256_set1_ps(mu), k = _mm256_set1_ps(inv);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gv = _mm256_loadu_ps(g + i), xhat = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), m), k);
        __m256d g0 = low4(gv), g1 = high4(gv);
        s0 = _mm256_add_pd(s0, g0);
        s1 = _mm256_add_pd(s1, g1);
        sx0 = _mm256_add_pd(sx0, _mm256_mul_pd(g0, low4(xhat)));
        sx1 = _mm256_add_pd(sx1, _mm256_mul_pd(g1, high4(xhat)));
    }
    _mm256_storeu_pd(lanes, s0);
    _mm256_storeu_pd(lanes + 4, s1);
    _mm256_storeu_pd(lanes + 8, sx0);
    _mm256_storeu_pd(lanes + 12, sx1);
    gradient_sums_baseline(g + i, x + i, mu, inv, n - i, lanes);
}
#endif

void descent_sums(const float *x, size_t n, double *lanes) { DISPATCH(sums, (x, n, lanes)); }

void descent_gradient_sums(const float *g, const float *x, float mu, float inv, size_t n, double *lanes) {
    DISPATCH(gradient_sums, (g, x, mu, inv, n, lanes));
}

/* y = x * scale + shift; gx = k * ((m * gy - sg) - ((x - mu) * inv) * sgx). Compiled for the
 * baseline, AVX2 and AVX-512 (the compiler vectorizes them; fp contract is off, so no FMA). */
MULTIVERSION(void, apply, (const float *x, float *y, size_t n, float scale, float shift), {
    for (size_t i = 0; i < n; i++) y[i] = x[i] * scale + shift;
})
MULTIVERSION(void, gradient, (const float *gy, const float *x, float *gx, size_t n, float mu, float inv, float m, float sg, float sgx, float k), {
    for (size_t i = 0; i < n; i++) gx[i] = k * ((m * gy[i] - sg) - ((x[i] - mu) * inv) * sgx);
})

void descent_bn_apply(const float *x, float *y, size_t n, float scale, float shift) { DISPATCH(apply, (x, y, n, scale, shift)); }

void descent_bn_gradient(const float *gy, const float *x, float *gx, size_t n, float mu, float inv, float m, float sg, float sgx, float k) {
    DISPATCH(gradient, (gy, x, gx, n, mu, inv, m, sg, sgx, k));
}

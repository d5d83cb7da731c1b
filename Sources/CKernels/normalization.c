#include "ckernels.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* Batch norm's loops (BatchNorm2d.swift). The elementwise ones use the same operations in the
 * same order as the Swift expressions they replace, never fused into FMAs, so the AVX-512 and AVX2
 * bodies give the portable bits. */
#pragma clang fp contract(off)

/* Batch norm's per-channel sums in Double over eight lanes (lane j takes the elements whose
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

static void sums_portable(const float *x, size_t n, double *lanes) { SUMS_BODY((double)x[i], (double)x[i] * (double)x[i]) }
static void gradient_sums_portable(const float *g, const float *x, float mu, float inv, size_t n, double *lanes) {
    SUMS_BODY((double)g[i], (double)g[i] * (double)((x[i] - mu) * inv))
}

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static void sums_avx512(const float *x, size_t n, double *lanes) {
    __m512d s = _mm512_loadu_pd(lanes), ss = _mm512_loadu_pd(lanes + 8);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512d v = _mm512_cvtps_pd(_mm256_loadu_ps(x + i));
        s = _mm512_add_pd(s, v);
        ss = _mm512_add_pd(ss, _mm512_mul_pd(v, v));
    }
    _mm512_storeu_pd(lanes, s);
    _mm512_storeu_pd(lanes + 8, ss);
    sums_portable(x + i, n - i, lanes);   /* i is a multiple of 8: lanes line up */
}

__attribute__((target("avx512f")))
static void gradient_sums_avx512(const float *g, const float *x, float mu, float inv, size_t n, double *lanes) {
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
    gradient_sums_portable(g + i, x + i, mu, inv, n - i, lanes);
}

/* The same eight Double lanes in two AVX2 registers (lanes 0-3 and 4-7). */
#define AVX2 __attribute__((target("avx2")))
AVX2 static inline __m256d low4(__m256 v) { return _mm256_cvtps_pd(_mm256_castps256_ps128(v)); }
AVX2 static inline __m256d high4(__m256 v) { return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)); }

AVX2 static void sums_avx2(const float *x, size_t n, double *lanes) {
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
    sums_portable(x + i, n - i, lanes);
}

AVX2 static void gradient_sums_avx2(const float *g, const float *x, float mu, float inv, size_t n, double *lanes) {
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
    gradient_sums_portable(g + i, x + i, mu, inv, n - i, lanes);
}
#endif

void descent_sums(const float *x, size_t n, double *lanes) {
#if defined(__x86_64__)
    switch (descent_vector_level()) {
    case 2: sums_avx512(x, n, lanes); return;
    case 1: sums_avx2(x, n, lanes); return;
    }
#endif
    sums_portable(x, n, lanes);
}

void descent_gradient_sums(const float *g, const float *x, float mu, float inv, size_t n, double *lanes) {
#if defined(__x86_64__)
    switch (descent_vector_level()) {
    case 2: gradient_sums_avx512(g, x, mu, inv, n, lanes); return;
    case 1: gradient_sums_avx2(g, x, mu, inv, n, lanes); return;
    }
#endif
    gradient_sums_portable(g, x, mu, inv, n, lanes);
}

/* y = x * scale + shift; gx = k * ((m * gy - sg) - ((x - mu) * inv) * sgx). Compiled for the
 * baseline, AVX2 and AVX-512 (the compiler vectorizes them; fp contract is off, so no FMA). */
#define APPLY(name) \
    static void name(const float *x, float *y, size_t n, float scale, float shift) { \
        for (size_t i = 0; i < n; i++) y[i] = x[i] * scale + shift; \
    }
#define GRADIENT(name) \
    static void name(const float *gy, const float *x, float *gx, size_t n, float mu, float inv, float m, float sg, float sgx, float k) { \
        for (size_t i = 0; i < n; i++) gx[i] = k * ((m * gy[i] - sg) - ((x[i] - mu) * inv) * sgx); \
    }
APPLY(apply_portable)
GRADIENT(gradient_portable)
#if defined(__x86_64__)
AVX2 APPLY(apply_avx2)
AVX2 GRADIENT(gradient_avx2)
__attribute__((target("avx512f"))) APPLY(apply_avx512)
__attribute__((target("avx512f"))) GRADIENT(gradient_avx512)
#endif

void descent_bn_apply(const float *x, float *y, size_t n, float scale, float shift) {
#if defined(__x86_64__)
    switch (descent_vector_level()) {
    case 2: apply_avx512(x, y, n, scale, shift); return;
    case 1: apply_avx2(x, y, n, scale, shift); return;
    }
#endif
    apply_portable(x, y, n, scale, shift);
}

void descent_bn_gradient(const float *gy, const float *x, float *gx, size_t n, float mu, float inv, float m, float sg, float sgx, float k) {
#if defined(__x86_64__)
    switch (descent_vector_level()) {
    case 2: gradient_avx512(gy, x, gx, n, mu, inv, m, sg, sgx, k); return;
    case 1: gradient_avx2(gy, x, gx, n, mu, inv, m, sg, sgx, k); return;
    }
#endif
    gradient_portable(gy, x, gx, n, mu, inv, m, sg, sgx, k);
}

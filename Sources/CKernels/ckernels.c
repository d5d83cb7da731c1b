#include "ckernels.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

void descent_sqrt_f32(const float *a, float *d, size_t n) {
#if defined(__SSE__)
    for (size_t i = 0; i < n; i += 4)
        _mm_storeu_ps(d + i, _mm_sqrt_ps(_mm_loadu_ps(a + i)));
#else
    for (size_t i = 0; i < n; i++)
        d[i] = __builtin_sqrtf(a[i]);
#endif
}

int descent_vector_level(void) {
#if defined(__x86_64__)
    static int level = -1;   /* -1: not yet known; racing first calls store the same value */
    int v = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (v < 0) {
        v = __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
        __atomic_store_n(&level, v, __ATOMIC_RELAXED);
    }
    return v;
#else
    return 0;
#endif
}

static size_t allocated_bytes, live_bytes;

void descent_note_allocation(size_t bytes) {
    __atomic_fetch_add(&allocated_bytes, bytes, __ATOMIC_RELAXED);
    __atomic_fetch_add(&live_bytes, bytes, __ATOMIC_RELAXED);
}

void descent_note_release(size_t bytes) {
    __atomic_fetch_sub(&live_bytes, bytes, __ATOMIC_RELAXED);
}

size_t descent_allocated_bytes(void) {
    return __atomic_load_n(&allocated_bytes, __ATOMIC_RELAXED);
}

size_t descent_live_bytes(void) {
    return __atomic_load_n(&live_bytes, __ATOMIC_RELAXED);
}

/* NaN and Inf have every exponent bit set; an integer OR-reduction vectorises (a float sum
 * would not: its order is fixed). The body is compiled for the baseline, AVX2 and AVX-512 (it
 * runs on every chunk a fused kernel writes: the baseline one was 15% of a lua_adam step). */
#define ALL_FINITE_BODY \
    const unsigned *bits = (const unsigned *)p; \
    unsigned bad = 0; \
    for (size_t i = 0; i < n; i++) bad |= (bits[i] & 0x7f800000u) == 0x7f800000u; \
    return !bad;

static int all_finite_baseline(const float *p, size_t n) { ALL_FINITE_BODY }
#if defined(__x86_64__)
__attribute__((target("avx2"))) static int all_finite_avx2(const float *p, size_t n) { ALL_FINITE_BODY }
__attribute__((target("avx512f"))) static int all_finite_avx512(const float *p, size_t n) { ALL_FINITE_BODY }
#endif

int descent_all_finite(const float *p, size_t n) {
#if defined(__x86_64__)
    switch (descent_vector_level()) {
    case 2: return all_finite_avx512(p, n);
    case 1: return all_finite_avx2(p, n);
    }
#endif
    return all_finite_baseline(p, n);
}

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void descent_keep_heap_mapped(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

/* Batch norm's per-channel sums in Double over eight lanes (lane j takes the elements whose
 * index is j mod 8), accumulated into lanes[0..<16] across calls. The order is fixed, and every
 * product is exact in Double (of two floats), so the AVX-512 body and the portable one give the
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
#endif

void descent_sums(const float *x, size_t n, double *lanes) {
#if defined(__x86_64__)
    if (descent_vector_level() == 2) { sums_avx512(x, n, lanes); return; }
#endif
    sums_portable(x, n, lanes);
}

void descent_gradient_sums(const float *g, const float *x, float mu, float inv, size_t n, double *lanes) {
#if defined(__x86_64__)
    if (descent_vector_level() == 2) { gradient_sums_avx512(g, x, mu, inv, n, lanes); return; }
#endif
    gradient_sums_portable(g, x, mu, inv, n, lanes);
}

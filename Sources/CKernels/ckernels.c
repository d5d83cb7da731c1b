#include "ckernels.h"
#include <stdlib.h>
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

static int cpu_vector_level(void) {
#if defined(__x86_64__)
    return __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

static int level = -1;   /* -1: not yet known; racing first calls store the same value */

int descent_vector_level(void) {
    int v = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (v < 0) {
        v = cpu_vector_level();
        /* DESCENT_VECTOR_LEVEL lowers it (never raises it): the tests run the portable bodies
         * on an AVX-512 machine and compare their bits. */
        const char *cap = getenv("DESCENT_VECTOR_LEVEL");
        if (cap && cap[0] >= '0' && cap[0] <= '2' && cap[1] == 0 && cap[0] - '0' < v) v = cap[0] - '0';
        __atomic_store_n(&level, v, __ATOMIC_RELAXED);
    }
    return v;
}

int descent_set_vector_level(int requested) {
    int cpu = cpu_vector_level(), v = requested < 0 ? 0 : requested < cpu ? requested : cpu;
    __atomic_store_n(&level, v, __ATOMIC_RELAXED);
    return v;
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


/* Sum of squares of n floats in Double (Tensor.sumOfSquares, a global norm's pass): per chunk of
 * 64, eight lanes of Float squares added as ((v0²+v1²)+(v2²+v3²))+((v4²+v5²)+(v6²+v7²)) (error
 * ~8 ulp at most), then into eight Double lanes, added at the end as
 * ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)); the tail element by element in Double. The baseline's
 * SSE pass ran at a third of cache bandwidth; both bodies give the same bits. */
#pragma clang fp contract(off)
#define SQUARES_TAIL_AND_TOTAL(acc) \
    double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])); \
    for (; i < n; i++) s += (double)p[i] * (double)p[i]; \
    return s;

static double sum_of_squares_baseline(const float *p, size_t n) {
    double acc[8] = {0};
    size_t i = 0;
    for (; i + 64 <= n; i += 64)
        for (int k = 0; k < 8; k++) {
            const float *q = p + i + k;
            float f = ((q[0] * q[0] + q[8] * q[8]) + (q[16] * q[16] + q[24] * q[24])) + ((q[32] * q[32] + q[40] * q[40]) + (q[48] * q[48] + q[56] * q[56]));
            acc[k] += (double)f;
        }
    SQUARES_TAIL_AND_TOTAL(acc)
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static double sum_of_squares_avx2(const float *p, size_t n) {
    __m256d low = _mm256_setzero_pd(), high = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m256 v[8];
        for (int j = 0; j < 8; j++) { v[j] = _mm256_loadu_ps(p + i + 8 * j); v[j] = _mm256_mul_ps(v[j], v[j]); }
        __m256 f = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(v[0], v[1]), _mm256_add_ps(v[2], v[3])),
                                 _mm256_add_ps(_mm256_add_ps(v[4], v[5]), _mm256_add_ps(v[6], v[7])));
        low = _mm256_add_pd(low, _mm256_cvtps_pd(_mm256_castps256_ps128(f)));
        high = _mm256_add_pd(high, _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1)));
    }
    double acc[8];
    _mm256_storeu_pd(acc, low);
    _mm256_storeu_pd(acc + 4, high);
    SQUARES_TAIL_AND_TOTAL(acc)
}
#endif

double descent_sum_of_squares(const float *p, size_t n) {
#if defined(__x86_64__)
    if (descent_vector_level() >= 1) return sum_of_squares_avx2(p, n);
#endif
    return sum_of_squares_baseline(p, n);
}

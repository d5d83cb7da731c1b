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


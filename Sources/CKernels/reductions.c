#include "multiversion.h"

/* Sum of squares of n floats in Double (Tensor.sumOfSquares, a global norm's pass): per chunk of
 * 64, eight lanes of Float squares added as ((v0²+v1²)+(v2²+v3²))+((v4²+v5²)+(v6²+v7²)) (error
 * ~8 ulp at most), then into eight Double lanes, added at the end as
 * ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)); the tail element by element in Double. The baseline's
 * SSE pass ran at a third of cache bandwidth; both bodies give the same bits.
 * One read stream keeps too few misses in flight for memory's bandwidth (the four streams of
 * an Adam pass keep more): each 64 floats ask for the lines 16 KiB ahead. 10M floats, one
 * thread, AMD EPYC family 26, in turn: 1.0-1.5 ms without, 0.68-0.80 with 16 KiB, 0.76-0.95 with
 * 8 KiB, 0.74-0.82 with 32 KiB, 0.87-0.90 with 64 KiB. Adam's pass gained nothing from the same. */
#pragma clang fp contract(off)
#define SQUARES_PREFETCH(p, i) \
    for (int j = 0; j < 64; j += 16) __builtin_prefetch((p) + (i) + 4096 + j, 0, 3);
#define SQUARES_TAIL_AND_TOTAL(acc) \
    double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])); \
    for (; i < n; i++) s += (double)p[i] * (double)p[i]; \
    return s;

static double sum_of_squares_baseline(const float *p, size_t n) {
    double acc[8] = {0};
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        SQUARES_PREFETCH(p, i)
        for (int k = 0; k < 8; k++) {
            const float *q = p + i + k;
            float f = ((q[0] * q[0] + q[8] * q[8]) + (q[16] * q[16] + q[24] * q[24])) + ((q[32] * q[32] + q[40] * q[40]) + (q[48] * q[48] + q[56] * q[56]));
            acc[k] += (double)f;
        }
    }
    SQUARES_TAIL_AND_TOTAL(acc)
}

#if defined(__x86_64__)
/* Hand-written: the compiler would not keep this order of adds in vectors (the SSE pass ran at a
 * third of cache bandwidth: chain{clip_by_global_norm(1), adam} / adamw 1.33-1.35 -> 1.21-1.30). */
TARGET_AVX2 static double sum_of_squares_avx2(const float *p, size_t n) {
    __m256d low = _mm256_setzero_pd(), high = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        SQUARES_PREFETCH(p, i)
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

double descent_sum_of_squares(const float *p, size_t n) { return DISPATCH_AVX2(sum_of_squares, (p, n)); }

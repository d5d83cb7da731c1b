#include "multiversion.h"
#include <math.h>

/* Each operation rounds on its own, as the unfused expression does: never contract into FMA. */
#pragma STDC FP_CONTRACT OFF

/*
 * One instruction of an elementwise program over n floats (see ElementwiseProgram.swift).
 * The body is compiled three times: for baseline x86-64 (SSE), for AVX2 and for AVX-512,
 * chosen once at run time from the CPU's features; wider vectors cut the loads and stores of
 * this register-to-register interpreter (AVX-512: lua_adam/adam 1.22-1.36 against 1.42-1.51 on
 * the Intel Xeon). Chunks are multiples of 16 floats, so the AVX-512 body runs on all of them. No FMA: a*b + c
 * keeps its two roundings, so results equal the unfused expression and the native kernels.
 * d may be a, b or c (same index only), hence assume_safety instead of restrict.
 */
#define DESCENT_LOOP(expr) \
    _Pragma("clang loop vectorize(assume_safety)") \
    for (size_t i = 0; i < n; i++) d[i] = (expr);

#define DESCENT_PROGRAM_BODY(SQRT)                                                  \
    switch (code) {                                                                 \
    case DESCENT_OP_COPY: DESCENT_LOOP(a[i]) break;                                 \
    case DESCENT_OP_MADD: DESCENT_LOOP(a[i] * b[i] + c[i]) break;                   \
    case DESCENT_OP_MSUB: DESCENT_LOOP(c[i] - a[i] * b[i]) break;                   \
    case DESCENT_OP_SCALE: DESCENT_LOOP(s * a[i]) break;                            \
    case DESCENT_OP_SCALE_ADD: DESCENT_LOOP(s * a[i] + b[i]) break;                 \
    case DESCENT_OP_AXPBY: DESCENT_LOOP(s * a[i] + t * b[i]) break;                 \
    case DESCENT_OP_AXPBYZ: DESCENT_LOOP(s * a[i] + (t * b[i]) * c[i]) break;       \
    case DESCENT_OP_SCALE_DIV_SUB: DESCENT_LOOP(c[i] - (s * a[i]) / b[i]) break;    \
    case DESCENT_OP_AFFINE: DESCENT_LOOP(a[i] * s + t) break;                       \
    case DESCENT_OP_DIV_SUB: DESCENT_LOOP(c[i] - a[i] / b[i]) break;                \
    case DESCENT_OP_SQRT_AFFINE: SQRT DESCENT_LOOP(d[i] * s + t) break;             \
    case DESCENT_OP_ADD: DESCENT_LOOP(a[i] + b[i]) break;                           \
    case DESCENT_OP_SUB: DESCENT_LOOP(a[i] - b[i]) break;                           \
    case DESCENT_OP_MUL: DESCENT_LOOP(a[i] * b[i]) break;                           \
    case DESCENT_OP_DIV: DESCENT_LOOP(a[i] / b[i]) break;                           \
    case DESCENT_OP_MAXIMUM: DESCENT_LOOP(b[i] > a[i] ? b[i] : a[i]) break;         \
    case DESCENT_OP_MINIMUM: DESCENT_LOOP(b[i] < a[i] ? b[i] : a[i]) break;         \
    case DESCENT_OP_NEG: DESCENT_LOOP(-a[i]) break;                                 \
    case DESCENT_OP_ABS: DESCENT_LOOP(a[i] < 0 ? -a[i] : a[i]) break;               \
    case DESCENT_OP_SQUARE: DESCENT_LOOP(a[i] * a[i]) break;                        \
    case DESCENT_OP_SIGN: DESCENT_LOOP(a[i] > 0 ? 1.0f : (a[i] < 0 ? -1.0f : 0.0f)) break; \
    case DESCENT_OP_SQRT: SQRT break;                                               \
    case DESCENT_OP_POW: for (size_t i = 0; i < n; i++) d[i] = powf(a[i], b[i]); break; \
    case DESCENT_OP_EXP: for (size_t i = 0; i < n; i++) d[i] = expf(a[i]); break;   \
    case DESCENT_OP_LOG: for (size_t i = 0; i < n; i++) d[i] = logf(a[i]); break;   \
    }

static void program_sse(int code, const float *a, const float *b, const float *c, float *d, size_t n, float s, float t) {
    DESCENT_PROGRAM_BODY(descent_sqrt_f32(a, d, n);)
}

#if defined(__x86_64__)
TARGET_AVX2 static void program_avx2(int code, const float *a, const float *b, const float *c, float *d, size_t n, float s, float t) {
    DESCENT_PROGRAM_BODY(for (size_t i = 0; i < n; i += 8) _mm256_storeu_ps(d + i, _mm256_sqrt_ps(_mm256_loadu_ps(a + i)));)
}
#endif

#if defined(__x86_64__)
TARGET_AVX512 static void program_avx512(int code, const float *a, const float *b, const float *c, float *d, size_t n, float s, float t) {
    DESCENT_PROGRAM_BODY(for (size_t i = 0; i < n; i += 16) _mm512_storeu_ps(d + i, _mm512_sqrt_ps(_mm512_loadu_ps(a + i)));)
}
#endif

/* Not DISPATCH: the AVX-512 body also needs n to be a multiple of 16. */
void descent_program_op(int code, const float *a, const float *b, const float *c, float *d, size_t n, float s, float t) {
#if defined(__x86_64__)
    int has = descent_vector_level();
    if (has == 2 && n % 16 == 0) { program_avx512(code, a, b, c, d, n, s, t); return; }
    if (has) { program_avx2(code, a, b, c, d, n, s, t); return; }
#endif
    program_sse(code, a, b, c, d, n, s, t);
}

void descent_sqrt_f32(const float *a, float *d, size_t n) {
#if defined(__SSE__)
    for (size_t i = 0; i < n; i += 4)
        _mm_storeu_ps(d + i, _mm_sqrt_ps(_mm_loadu_ps(a + i)));
#else
    for (size_t i = 0; i < n; i++)
        d[i] = __builtin_sqrtf(a[i]);
#endif
}

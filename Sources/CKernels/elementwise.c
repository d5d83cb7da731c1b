#include "multiversion.h"
#include <math.h>

/* Each operation rounds on its own, as the unfused expression does: never contract into FMA. */
#pragma STDC FP_CONTRACT OFF

/*
 * An elementwise program's pass over one worker's range (ElementwiseProgram.swift): chunk by
 * chunk, every instruction over the whole chunk, then the stores. Each value written to an
 * output tensor is checked for NaN/Inf in the loop that writes it.
 *
 * Why it looks like this (lua_adam against native adam, 1M and 10M parameters, one thread, AMD
 * EPYC family 26, perf): the interpreter is compute-bound even on 10M parameters, since
 * native Adam's pass is bound by its divide and square root, which each of the interpreter's
 * loops cannot overlap with the others' loads and stores. So every cycle a loop spends beside
 * its arithmetic shows: the chunk loop in Swift with one C call per instruction, a separate
 * finite check per output and a separate square-root pass were 40% of lua_adam's time.
 *
 * The loops are written once over 16-float vectors (GCC/Clang vector extensions) and compiled
 * three times, for baseline SSE, AVX2 and AVX-512: clang lowers a vector to four, two or one
 * registers, with no run-time trip-count checks or scalar epilogues. Chunks are rounded up to
 * 16 floats; the last one may run into the storage's padding, a whole number of 16-float lines.
 * No FMA: a*b + c keeps its two roundings, so results equal the unfused expression and the
 * native kernels. d may be a, b or c (same index only): each vector is loaded before it is
 * stored.
 */
typedef float vf __attribute__((vector_size(64), aligned(4)));
typedef int vi __attribute__((vector_size(64), aligned(4)));
typedef unsigned vu __attribute__((vector_size(64), aligned(4)));

/* Macros, not functions: a 64-byte vector argument has a different ABI per target. */
#define load16(p) (*(const vf *)(p))
#define store16(p, v) (*(vf *)(p) = (v))
/* m ? x : y lane by lane, m from a comparison (all ones or zero). */
#define pick(m, x, y) ((vf)(((m) & (vi)(x)) | (~(m) & (vi)(y))))
#define splat16(s) ((vf){0} + (s))

/* The largest magnitude's bits per lane: NaN and Inf have every exponent bit set, so values are
 * finite while every lane stays below 0x7f800000 (one unsigned max per vector). Lanes past
 * `valid` (the storage's padding) are left out. */
#define NOTE_FINITE(r, valid) {                                                     \
    vu bits = (vu)(r) & 0x7fffffffu;                                                \
    if ((valid) < 16) {                                                             \
        const vi lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};     \
        bits &= (vu)(lane < (int)(valid));                                          \
    }                                                                               \
    largest = __builtin_elementwise_max(largest, bits);                             \
}

/* One vector loop: r = expr for each 16 floats of the chunk, stored at d (and checked). */
#define LOOP(expr)                                                                  \
    for (size_t i = 0; i < n; i += 16) {                                            \
        if (fa) __builtin_prefetch(fa + i, 1, 3);                                   \
        if (fb) __builtin_prefetch(fb + i, 1, 3);                                   \
        if (fc) __builtin_prefetch(fc + i, 1, 3);                                   \
        vf r = (expr);                                                              \
        store16(d + i, r);                                                          \
        if (check) NOTE_FINITE(r, count - i)                                        \
    }
#define A load16(a + i)
#define B load16(b + i)
#define C load16(c + i)
/* The libm functions, lane by lane. */
#define LANES(x)                                                                    \
    for (size_t i = 0; i < n; i++) d[i] = (x);                                      \
    if (check) for (size_t i = 0; i < n; i += 16) NOTE_FINITE(load16(d + i), count - i)

#define OPERAND(k) ((k) >= 0 ? tensors[k] + start : registers + (size_t)(-1 - (k)) * chunk)

#define RUN_BODY {                                                                  \
    vu largest = {0};                                                               \
    size_t chunk = p->chunk;                                                        \
    for (size_t start = begin; start < end; start += chunk) {                       \
        size_t count = end - start < chunk ? end - start : chunk;                   \
        size_t n = (count + 15) & ~(size_t)15;                                      \
        /* The instructions touch one stream at a time, so the hardware prefetchers see \
         * short runs: the loop that first touches a tensor in a chunk asks for its \
         * lines some chunks ahead, spread over its vectors. */                     \
        size_t ahead = start + p->ahead_chunks * chunk < end ? p->ahead_chunks * chunk : 0; \
        for (int j = 0; j < p->instruction_count; j++) {                            \
            const descent_instruction *in = &p->instructions[j];                    \
            const float *a = OPERAND(in->a), *b = OPERAND(in->b), *c = OPERAND(in->c); \
            float *d = OPERAND(in->d);                                              \
            vf s = splat16(in->s), t = splat16(in->t);                              \
            int check = in->d >= 0;                                                 \
            const float *fa = ahead && (in->prefetch & 1) ? a + ahead : 0;          \
            const float *fb = ahead && (in->prefetch & 2) ? b + ahead : 0;          \
            const float *fc = ahead && (in->prefetch & 4) ? c + ahead : (ahead && (in->prefetch & 8) ? d + ahead : 0); \
            switch (in->code) {                                                     \
            case DESCENT_OP_COPY: LOOP(A) break;                                    \
            case DESCENT_OP_MADD: LOOP(A * B + C) break;                            \
            case DESCENT_OP_MSUB: LOOP(C - A * B) break;                            \
            case DESCENT_OP_SCALE: LOOP(s * A) break;                               \
            case DESCENT_OP_SCALE_ADD: LOOP(s * A + B) break;                       \
            case DESCENT_OP_AXPBY: LOOP(s * A + t * B) break;                       \
            case DESCENT_OP_AXPBYZ: LOOP(s * A + (t * B) * C) break;                \
            case DESCENT_OP_SCALE_DIV_SUB: LOOP(C - (s * A) / B) break;             \
            case DESCENT_OP_AFFINE: LOOP(A * s + t) break;                          \
            case DESCENT_OP_DIV_SUB: LOOP(C - A / B) break;                         \
            case DESCENT_OP_SQRT_AFFINE: LOOP(__builtin_elementwise_sqrt(A) * s + t) break; \
            case DESCENT_OP_ADD: LOOP(A + B) break;                                 \
            case DESCENT_OP_SUB: LOOP(A - B) break;                                 \
            case DESCENT_OP_MUL: LOOP(A * B) break;                                 \
            case DESCENT_OP_DIV: LOOP(A / B) break;                                 \
            case DESCENT_OP_MAXIMUM: LOOP(pick(B > A, B, A)) break;                 \
            case DESCENT_OP_MINIMUM: LOOP(pick(B < A, B, A)) break;                 \
            case DESCENT_OP_NEG: LOOP(-A) break;                                    \
            case DESCENT_OP_ABS: LOOP(pick(A < 0, -A, A)) break;                    \
            case DESCENT_OP_SQUARE: LOOP(A * A) break;                              \
            case DESCENT_OP_SIGN: LOOP(pick(A > 0, splat16(1), pick(A < 0, splat16(-1), splat16(0)))) break; \
            case DESCENT_OP_SQRT: LOOP(__builtin_elementwise_sqrt(A)) break;        \
            case DESCENT_OP_POW: LANES(powf(a[i], b[i])) break;                     \
            case DESCENT_OP_EXP: LANES(expf(a[i])) break;                           \
            case DESCENT_OP_LOG: LANES(logf(a[i])) break;                           \
            }                                                                       \
        }                                                                           \
        for (int j = 0; j < p->store_count; j++) {                                  \
            const float *a = OPERAND(p->stores[j].from);                            \
            float *d = tensors[p->stores[j].tensor] + start;                        \
            int check = 1;                                                          \
            const float *fa = ahead && p->stores[j].prefetch ? d + ahead : 0, *fb = 0, *fc = 0; \
            LOOP(A)                                                                 \
        }                                                                           \
    }                                                                               \
    return __builtin_reduce_max(largest) < 0x7f800000u;                             \
}

MULTIVERSION(int, run, (const descent_program *p, float *const *tensors, float *registers, size_t begin, size_t end), RUN_BODY)

int descent_program_run(const descent_program *p, float *const *tensors, float *registers, size_t begin, size_t end) {
    return DISPATCH(run, (p, tensors, registers, begin, end));
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

#ifndef DESCENT_POOLING_RULE_H
#define DESCENT_POOLING_RULE_H
/* What every 2x2 max-pool body (pooling.c portable, pooling_avx2.c, pooling_avx512.c) computes,
 * and the portable ranges the vector bodies hand a group to when it holds a NaN.
 *
 * Each window's result is a byte: bits 0-1 the position of its maximum (0 top left, 1 top
 * right, 2 bottom left, 3 bottom right), bit 2 set when that maximum is > 0 (what a ReLU before
 * the pool lets through). A byte instead of an index, and a backward that writes every input
 * element once instead of zeroing and scattering, keep both passes near memory speed.
 *
 * The rule is PyTorch's: the first maximum wins (a > b, never >=) and a NaN wins over
 * everything (the last NaN of the window). A vector body hands a group of windows holding a
 * NaN (or +Inf with -Inf) to the portable functions below, which also do the tails. */
#include <stddef.h>

/* A blocked pool's window at p reads 2 * block floats from its row and from the row `below`:
 * ask for the lines 2048 floats (8 KiB) further on both rows. The convolution chunk it reads has
 * partly left L2 (a 4-image chunk of the 3 -> 16 layer's output is 1 MiB), and the loads
 * stalled: pool forward 3.9-4.3% -> 2.9-3.3% of the one-thread reference step (AMD EPYC family
 * 26, perf, in turn; 1 KiB ahead 3.3-3.8%, 16 and 32 KiB 3.0-3.3%); on AVX2 with oneDNN held
 * there, 2.1-2.3% -> 2.05-2.1%, within the noise. */
#define POOL_PREFETCH(p, below, block)                                              \
    for (int k_ = 0; k_ < 2 * (block); k_ += 16) {                                  \
        __builtin_prefetch((p) + 2048 + k_, 0, 3);                                  \
        __builtin_prefetch((p) + (below) + 2048 + k_, 0, 3);                        \
    }

/* The maximum of a window's four candidates (top left to bottom right) and its code. */
static inline unsigned char max4_code(float v0, float v1, float v2, float v3, float *best_out) {
    float v[4] = {v0, v1, v2, v3};
    int pos = 0;
    float best = v[0];
    for (int k = 1; k < 4; k++) if (v[k] > best) { best = v[k]; pos = k; }
    for (int k = 0; k < 4; k++) if (v[k] != v[k]) { best = v[k]; pos = k; }
    *best_out = best;
    return (unsigned char)(pos | (best > 0 ? 4 : 0));
}

/* One window's gradient at position p of the four (all others +0), as the zero-then-add it
 * replaces gives: +0 + g * m, where m is 1, or the ReLU's 0/1 when through_relu. */
static inline void backward_window_portable(float g, unsigned char c, int through_relu, float *o0, float *o1) {
    float v = 0.0f + g * (through_relu ? ((c & 4) ? 1.0f : 0.0f) : 1.0f);
    int p = c & 3;
    o0[0] = p == 0 ? v : 0.0f;
    o0[1] = p == 1 ? v : 0.0f;
    o1[0] = p == 2 ? v : 0.0f;
    o1[1] = p == 3 ? v : 0.0f;
}

/* NCHW: windows from..<ow of the rows starting at r0 and r1 into d and code. */
void pool_rows_portable(const float *r0, const float *r1, float *d, unsigned char *code, int from, int ow);
/* Blocked: the window whose top-left pixel is at x, for `count` lanes of pixels `stride` floats
 * apart (rows w pixels apart). */
void pool_pixel_blocked_portable(const float *x, float *y, unsigned char *code, int w, int stride, int count);

/* The vector bodies. A *_row function does whole groups of windows from the start of a row and
 * returns how many it did; the rest take the portable path. The blocked ones do whole planes. */
#if defined(__x86_64__)
int pool_forward_row_avx512(const float *r0, const float *r1, float *d, unsigned char *code, int ow);
int pool_backward_row_avx512(const float *g, const unsigned char *code, int through_relu, float *o0, float *o1, int ow);
void pool_forward_blocked_avx512(const float *x, float *y, unsigned char *code, int h, int w);
void pool_backward_blocked_avx512(const float *gy, const unsigned char *code, int through_relu, float *gx, int h, int w, double *sums);

/* The AVX2 ones take blocks of 8 or 16 (8 lanes at a time). */
int pool_forward_row_avx2(const float *r0, const float *r1, float *d, unsigned char *code, int ow);
int pool_backward_row_avx2(const float *g, const unsigned char *code, int through_relu, float *o0, float *o1, int ow);
void pool_forward_blocked_avx2(const float *x, float *y, unsigned char *code, int h, int w, int block);
void pool_backward_blocked_avx2(const float *gy, const unsigned char *code, int through_relu, float *gx, int h, int w, int block,
                                double *sums);
#endif
#endif

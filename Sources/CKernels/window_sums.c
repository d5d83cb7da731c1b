#include "multiversion.h"

/* A convolution's bias gradient: per channel, the sum of its output gradient over the image,
 * in Double and in one fixed order, "window order": the 2x2 tiles row by row (each tile's
 * four elements top left, top right, bottom left, bottom right), then the odd last column top
 * to bottom, then the odd last row left to right.
 *
 * That is the order in which the 2x2 max pool's backward writes a gradient (one value per
 * window, +0 at the other three, 0 in the odd column and row), and adding +0 leaves a Double
 * sum unchanged: so the pool's backward can add up its conv's bias gradient as it writes it
 * (`sums` of descent_maxpool2x2_backward_blocked) and get these bits, without a second pass
 * over the gradient. Each lane is its own sequential sum, so the bodies below (compiled for the
 * baseline, AVX2 and AVX-512: the blocked lanes vectorize) give the same bits. */
#pragma clang fp contract(off)

#define WINDOW_ORDER(AT, ADD) \
    for (int oy = 0; oy < h / 2; oy++) \
        for (int ox = 0; ox < w / 2; ox++) { \
            ADD(AT(2 * oy, 2 * ox)); ADD(AT(2 * oy, 2 * ox + 1)); ADD(AT(2 * oy + 1, 2 * ox)); ADD(AT(2 * oy + 1, 2 * ox + 1)); \
        } \
    if (w & 1) for (int y = 0; y < h - (h & 1); y++) ADD(AT(y, w - 1)); \
    if (h & 1) for (int x = 0; x < w; x++) ADD(AT(h - 1, x));

/* Blocked planes: all `block` lanes of a pixel at once. NCHW planes: four channels at once
 * (four independent chains instead of one add's latency per element), then the rest. */
#define BODY \
    size_t plane = (size_t)h * w; \
    if (block > 0) { \
        for (int cb = 0; cb < channels / block; cb++) { \
            const float *p = g + cb * plane * block; \
            double s[16] = {0}; \
            WINDOW_ORDER(BLOCKED_AT, BLOCKED_ADD) \
            for (int k = 0; k < block; k++) sums[cb * block + k] = s[k]; \
        } \
    } else { \
        int c = 0; \
        for (; c + 4 <= channels; c += 4) { \
            const float *p = g + c * plane; \
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0; \
            WINDOW_ORDER(PLANE_AT, FOUR_ADD) \
            sums[c] = s0, sums[c + 1] = s1, sums[c + 2] = s2, sums[c + 3] = s3; \
        } \
        for (; c < channels; c++) { \
            const float *p = g + c * plane; \
            double s0 = 0; \
            WINDOW_ORDER(PLANE_AT, ONE_ADD) \
            sums[c] = s0; \
        } \
    }
#define BLOCKED_AT(y, x) (p + ((size_t)(y) * w + (x)) * block)
#define BLOCKED_ADD(q) { const float *r = (q); for (int k = 0; k < block; k++) s[k] += r[k]; }
#define PLANE_AT(y, x) ((size_t)(y) * w + (x))
#define FOUR_ADD(i) { size_t j = (i); s0 += p[j]; s1 += p[plane + j]; s2 += p[2 * plane + j]; s3 += p[3 * plane + j]; }
#define ONE_ADD(i) { s0 += p[i]; }

MULTIVERSION(void, sums, (const float *g, int channels, int h, int w, int block, double *sums), { BODY })

void descent_window_sums(const float *g, int channels, int h, int w, int block, double *sums) {
    DISPATCH(sums, (g, channels, h, w, block, sums));
}

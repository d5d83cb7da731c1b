#include "ckernels.h"
#include "pooling_rule.h"
#pragma clang fp contract(off)

/* 2x2, stride-2 max pooling of whole planes, NCHW or oneDNN's channel-blocked layout: the
 * portable bodies and the choice of body by the CPU's vectors (pooling_rule.h says what all
 * of them compute; they give the same bits). Both passes are memory-bound (~20 GB/s per core). */

static inline unsigned char window_code(const float *r0, const float *r1, float *best_out) {
    return max4_code(r0[0], r0[1], r1[0], r1[1], best_out);
}

void pool_rows_portable(const float *r0, const float *r1, float *d, unsigned char *code, int from, int ow) {
    for (int ox = from; ox < ow; ox++) code[ox] = window_code(r0 + 2 * ox, r1 + 2 * ox, d + ox);
}

void pool_pixel_blocked_portable(const float *x, float *y, unsigned char *code, int w, int stride, int count) {
    const float *x1 = x + (size_t)w * stride;
    for (int k = 0; k < count; k++) code[k] = max4_code(x[k], x[stride + k], x1[k], x1[stride + k], y + k);
}

/* 2: the AVX-512 bodies, 1: AVX2, 0: portable; `block` 0 for NCHW, else 8 or 16 (what oneDNN
 * picks). AVX-512 takes 16-lane blocks (and NCHW), AVX2 both. */
static int level_for(int block) {
#if defined(__x86_64__)
    int level = descent_vector_level();
    if (level == 2 && (block == 0 || block == 16)) return 2;
    if (level >= 1 && (block == 0 || block == 8 || block == 16)) return 1;
#else
    (void)block;
#endif
    return 0;
}

void descent_maxpool2x2_forward(const float *x, float *y, unsigned char *code, int h, int w) {
    int oh = h / 2, ow = w / 2, level = level_for(0);
    for (int oy = 0; oy < oh; oy++) {
        const float *r0 = x + (size_t)2 * oy * w, *r1 = r0 + w;
        float *d = y + (size_t)oy * ow;
        unsigned char *c = code + (size_t)oy * ow;
        int ox = 0;
#if defined(__x86_64__)
        if (level == 2) ox = pool_forward_row_avx512(r0, r1, d, c, ow);
        else if (level == 1) ox = pool_forward_row_avx2(r0, r1, d, c, ow);
#endif
        pool_rows_portable(r0, r1, d, c, ox, ow);
    }
}

void descent_maxpool2x2_backward(const float *gy, const unsigned char *code, int through_relu, float *gx, int h, int w) {
    int oh = h / 2, ow = w / 2, level = level_for(0);
    for (int oy = 0; oy < oh; oy++) {
        float *o0 = gx + (size_t)2 * oy * w, *o1 = o0 + w;
        const float *g = gy + (size_t)oy * ow;
        const unsigned char *c = code + (size_t)oy * ow;
        int ox = 0;
#if defined(__x86_64__)
        if (level == 2) ox = pool_backward_row_avx512(g, c, through_relu, o0, o1, ow);
        else if (level == 1) ox = pool_backward_row_avx2(g, c, through_relu, o0, o1, ow);
#endif
        for (; ox < ow; ox++) backward_window_portable(g[ox], c[ox], through_relu, o0 + 2 * ox, o1 + 2 * ox);
        if (w & 1) o0[w - 1] = o1[w - 1] = 0.0f;   /* the odd last column is in no window */
    }
    if (h & 1) for (int i = 0; i < w; i++) gx[(size_t)(h - 1) * w + i] = 0.0f;   /* nor the odd last row */
}

/* The blocked layout (aBcd8b, aBcd16b): a plane is [h][w][block], the `block` channels of a
 * pixel side by side, so the four candidates of a window are whole vectors and need no
 * shuffling. y and code are [oh][ow][block]. */

void descent_maxpool2x2_forward_blocked(const float *x, float *y, unsigned char *code, int h, int w, int block) {
#if defined(__x86_64__)
    switch (level_for(block)) {
    case 2: pool_forward_blocked_avx512(x, y, code, h, w); return;
    case 1: pool_forward_blocked_avx2(x, y, code, h, w, block); return;
    }
#endif
    int oh = h / 2, ow = w / 2;
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++) {
            size_t o = ((size_t)oy * ow + ox) * block;
            pool_pixel_blocked_portable(x + ((size_t)2 * oy * w + 2 * ox) * block, y + o, code + o, w, block, block);
        }
}

void descent_maxpool2x2_backward_blocked(const float *gy, const unsigned char *code, int through_relu, float *gx, int h, int w, int block,
                                         double *sums) {
    int oh = h / 2, ow = w / 2, level = level_for(block);
#if defined(__x86_64__)
    if (level == 2) pool_backward_blocked_avx512(gy, code, through_relu, gx, h, w, sums);
    else if (level == 1) pool_backward_blocked_avx2(gy, code, through_relu, gx, h, w, block, sums);
#endif
    if (level == 0) {
        double s[16] = {0};
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                size_t o = ((size_t)oy * ow + ox) * block;
                float *p0 = gx + ((size_t)2 * oy * w + 2 * ox) * block, *p1 = p0 + (size_t)w * block;
                for (int k = 0; k < block; k++) {
                    float o0[2], o1[2];
                    backward_window_portable(gy[o + k], code[o + k], through_relu, o0, o1);
                    p0[k] = o0[0], p0[block + k] = o0[1], p1[k] = o1[0], p1[block + k] = o1[1];
                    s[k] += o0[0], s[k] += o0[1], s[k] += o1[0], s[k] += o1[1];   /* window order */
                }
            }
        if (sums) for (int k = 0; k < block; k++) sums[k] = s[k];
    }
    /* The odd last column and row are in no window (their zeros add nothing to sums). */
    if (w & 1)
        for (int y = 0; y < 2 * oh; y++)
            for (int k = 0; k < block; k++) gx[((size_t)y * w + w - 1) * block + k] = 0.0f;
    if (h & 1) for (size_t i = 0; i < (size_t)w * block; i++) gx[(size_t)(h - 1) * w * block + i] = 0.0f;
}

void descent_unblock(const float *src, float *dst, int channels, int pixels, int block) {
    for (int cb = 0; cb < channels / block; cb++)
        for (int p = 0; p < pixels; p++)
            for (int k = 0; k < block; k++)
                dst[(size_t)(cb * block + k) * pixels + p] = src[((size_t)cb * pixels + p) * block + k];
}

void descent_block(const float *src, float *dst, int channels, int pixels, int block) {
    for (int cb = 0; cb < channels / block; cb++)
        for (int p = 0; p < pixels; p++)
            for (int k = 0; k < block; k++)
                dst[((size_t)cb * pixels + p) * block + k] = src[(size_t)(cb * block + k) * pixels + p];
}

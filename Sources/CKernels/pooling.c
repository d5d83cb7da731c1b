#include "ckernels.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* 2x2, stride-2 max pooling of whole planes. Each window's result is a byte: bits 0-1 the
 * position of its maximum (0 top left, 1 top right, 2 bottom left, 3 bottom right), bit 2 set
 * when that maximum is > 0 (what a ReLU before the pool lets through). A byte instead of an
 * index, and a backward that writes every input element once instead of zeroing and
 * scattering, keep both passes near memory speed: they are memory-bound (~20 GB/s per core).
 *
 * The rule is PyTorch's: the first maximum wins (a > b, never >=) and a NaN wins over
 * everything (the last NaN of the window). The AVX-512 body hands a group of 16 windows holding
 * a NaN (or +Inf with -Inf) to the portable window below, which also does the tails. */

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

/* The window whose rows start at r0 and r1 in an NCHW plane. */
static inline unsigned char window_code(const float *r0, const float *r1, float *best_out) {
    return max4_code(r0[0], r0[1], r1[0], r1[1], best_out);
}

static void forward_rows_portable(const float *r0, const float *r1, float *d, unsigned char *code, int from, int ow) {
    for (int ox = from; ox < ow; ox++) code[ox] = window_code(r0 + 2 * ox, r1 + 2 * ox, d + ox);
}

/* Windows from..<to of output row oy of `block` NCHW channel planes of h x w, each written into
 * its channel's lane of the blocked y and code ([oh][ow][block]). */
static void to_blocked_portable(const float *x, float *y, unsigned char *code, int h, int w, int block, int oy, int from, int to) {
    int ow = w / 2;
    for (int k = 0; k < block; k++) {
        const float *r0 = x + (size_t)k * h * w + (size_t)2 * oy * w;
        for (int j = from; j < to; j++) {
            size_t o = ((size_t)oy * ow + j) * block + k;
            code[o] = window_code(r0 + 2 * j, r0 + w + 2 * j, y + o);
        }
    }
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

#if defined(__x86_64__)
/* Per lane, the maximum of four candidates (the first wins) and its code; returns 0, leaving
 * them unset, when a lane holds a NaN (or +Inf with -Inf): the caller takes the portable path. */
__attribute__((target("avx512f")))
static inline int max4_16(__m512 v0, __m512 v1, __m512 v2, __m512 v3, __m512 *best_out, __m512i *code_out) {
    __m512 sum = _mm512_add_ps(_mm512_add_ps(v0, v1), _mm512_add_ps(v2, v3));
    if (_mm512_cmp_ps_mask(sum, sum, _CMP_UNORD_Q)) return 0;
    __m512 best = v0;
    __m512i pos = _mm512_setzero_si512();
    __mmask16 take = _mm512_cmp_ps_mask(v1, best, _CMP_GT_OQ);
    best = _mm512_mask_mov_ps(best, take, v1);
    pos = _mm512_mask_mov_epi32(pos, take, _mm512_set1_epi32(1));
    take = _mm512_cmp_ps_mask(v2, best, _CMP_GT_OQ);
    best = _mm512_mask_mov_ps(best, take, v2);
    pos = _mm512_mask_mov_epi32(pos, take, _mm512_set1_epi32(2));
    take = _mm512_cmp_ps_mask(v3, best, _CMP_GT_OQ);
    best = _mm512_mask_mov_ps(best, take, v3);
    pos = _mm512_mask_mov_epi32(pos, take, _mm512_set1_epi32(3));
    *code_out = _mm512_mask_or_epi32(pos, _mm512_cmp_ps_mask(best, _mm512_setzero_ps(), _CMP_GT_OQ), pos, _mm512_set1_epi32(4));
    *best_out = best;
    return 1;
}

/* The 16 windows whose rows start at p0 and p1 (NCHW): their candidates are the even and odd
 * lanes of 32 floats from each row. */
__attribute__((target("avx512f")))
static inline int windows16(const float *p0, const float *p1, __m512 *best_out, __m512i *code_out) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    __m512 a0 = _mm512_loadu_ps(p0), a1 = _mm512_loadu_ps(p0 + 16);
    __m512 b0 = _mm512_loadu_ps(p1), b1 = _mm512_loadu_ps(p1 + 16);
    return max4_16(_mm512_permutex2var_ps(a0, even, a1), _mm512_permutex2var_ps(a0, odd, a1),
                   _mm512_permutex2var_ps(b0, even, b1), _mm512_permutex2var_ps(b0, odd, b1), best_out, code_out);
}

__attribute__((target("avx512f")))
static int forward_row_avx512(const float *r0, const float *r1, float *d, unsigned char *code, int ow) {
    int ox = 0;
    for (; ox + 16 <= ow; ox += 16) {
        __m512 best;
        __m512i c;
        if (!windows16(r0 + 2 * ox, r1 + 2 * ox, &best, &c)) {
            forward_rows_portable(r0, r1, d, code, ox, ox + 16);
            continue;
        }
        _mm512_storeu_ps(d + ox, best);
        _mm_storeu_si128((__m128i *)(code + ox), _mm512_cvtepi32_epi8(c));
    }
    return ox;
}

/* r[i] lane j <- r[j] lane i. */
__attribute__((target("avx512f")))
static inline void transpose16(__m512 *r) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) { t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]); t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]); }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
        t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
        r[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
        r[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xdd);
    }
}

/* descent_maxpool2x2_forward_to_blocked for 16-channel blocks: 16 windows of each of the 16
 * channels, transposed in registers so each pixel's 16 channels are stored together. */
__attribute__((target("avx512f")))
static void forward_to_blocked16(const float *x, float *y, unsigned char *code, int h, int w) {
    int oh = h / 2, ow = w / 2;
    size_t plane = (size_t)h * w;
    for (int oy = 0; oy < oh; oy++) {
        int ox = 0;
        for (; ox + 16 <= ow; ox += 16) {
            __m512 best[16], codes[16];
            int ok = 1;
            for (int k = 0; k < 16 && ok; k++) {
                const float *r0 = x + k * plane + (size_t)2 * oy * w + 2 * ox;
                __m512i c;
                ok = windows16(r0, r0 + w, &best[k], &c);
                codes[k] = _mm512_castsi512_ps(c);
            }
            if (!ok) {
                to_blocked_portable(x, y, code, h, w, 16, oy, ox, ox + 16);
                continue;
            }
            size_t o = ((size_t)oy * ow + ox) * 16;
            transpose16(best);
            transpose16(codes);
            for (int j = 0; j < 16; j++) {
                _mm512_storeu_ps(y + o + (size_t)j * 16, best[j]);
                _mm_storeu_si128((__m128i *)(code + o + (size_t)j * 16), _mm512_cvtepi32_epi8(_mm512_castps_si512(codes[j])));
            }
        }
        to_blocked_portable(x, y, code, h, w, 16, oy, ox, ow);
    }
}

/* The gradients of 16 windows with codes c, as backward_window_portable gives them: s[p] holds
 * +0 + g * m where the window's maximum is at position p, +0 elsewhere. */
__attribute__((target("avx512f")))
static inline void window_gradients16(__m512 g, __m512i c, int through_relu, __m512 s[4]) {
    if (through_relu) g = _mm512_mul_ps(g, _mm512_maskz_mov_ps(_mm512_test_epi32_mask(c, _mm512_set1_epi32(4)), _mm512_set1_ps(1.0f)));
    g = _mm512_add_ps(_mm512_setzero_ps(), g);
    __m512i p = _mm512_and_si512(c, _mm512_set1_epi32(3));
    for (int k = 0; k < 4; k++) s[k] = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(p, _mm512_set1_epi32(k)), g);
}

__attribute__((target("avx512f")))
static int backward_row_avx512(const float *g, const unsigned char *code, int through_relu, float *o0, float *o1, int ow) {
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    int ox = 0;
    for (; ox + 16 <= ow; ox += 16) {
        __m512 s[4];
        window_gradients16(_mm512_loadu_ps(g + ox), _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(code + ox))), through_relu, s);
        _mm512_storeu_ps(o0 + 2 * ox, _mm512_permutex2var_ps(s[0], lo, s[1]));
        _mm512_storeu_ps(o0 + 2 * ox + 16, _mm512_permutex2var_ps(s[0], hi, s[1]));
        _mm512_storeu_ps(o1 + 2 * ox, _mm512_permutex2var_ps(s[2], lo, s[3]));
        _mm512_storeu_ps(o1 + 2 * ox + 16, _mm512_permutex2var_ps(s[2], hi, s[3]));
    }
    return ox;
}
#endif

void descent_maxpool2x2_forward(const float *x, float *y, unsigned char *code, int h, int w) {
    int oh = h / 2, ow = w / 2;
#if defined(__x86_64__)
    int wide = descent_vector_level() == 2;
#endif
    for (int oy = 0; oy < oh; oy++) {
        const float *r0 = x + (size_t)2 * oy * w, *r1 = r0 + w;
        float *d = y + (size_t)oy * ow;
        unsigned char *c = code + (size_t)oy * ow;
        int ox = 0;
#if defined(__x86_64__)
        if (wide) ox = forward_row_avx512(r0, r1, d, c, ow);
#endif
        forward_rows_portable(r0, r1, d, c, ox, ow);
    }
}

void descent_maxpool2x2_backward(const float *gy, const unsigned char *code, int through_relu, float *gx, int h, int w) {
    int oh = h / 2, ow = w / 2;
#if defined(__x86_64__)
    int wide = descent_vector_level() == 2;
#endif
    for (int oy = 0; oy < oh; oy++) {
        float *o0 = gx + (size_t)2 * oy * w, *o1 = o0 + w;
        const float *g = gy + (size_t)oy * ow;
        const unsigned char *c = code + (size_t)oy * ow;
        int ox = 0;
#if defined(__x86_64__)
        if (wide) ox = backward_row_avx512(g, c, through_relu, o0, o1, ow);
#endif
        for (; ox < ow; ox++) backward_window_portable(g[ox], c[ox], through_relu, o0 + 2 * ox, o1 + 2 * ox);
        if (w & 1) o0[w - 1] = o1[w - 1] = 0.0f;   /* the odd last column is in no window */
    }
    if (h & 1) for (int i = 0; i < w; i++) gx[(size_t)(h - 1) * w + i] = 0.0f;   /* nor the odd last row */
}

/* The same over oneDNN's channel-blocked layout (aBcd8b, aBcd16b): a plane is [h][w][block],
 * the `block` channels of a pixel side by side, so the four candidates of a window are four
 * whole vectors and need no shuffling. y and code are [oh][ow][block]. */

static void forward_pixel_blocked_portable(const float *x, float *y, unsigned char *code, int w, int block) {
    for (int k = 0; k < block; k++)
        code[k] = max4_code(x[k], x[block + k], x[(size_t)w * block + k], x[(size_t)w * block + block + k], y + k);
}

static void backward_pixel_blocked_portable(const float *gy, const unsigned char *code, int through_relu, float *gx, int w, int block) {
    for (int k = 0; k < block; k++) {
        float o0[2], o1[2];
        backward_window_portable(gy[k], code[k], through_relu, o0, o1);
        gx[k] = o0[0];
        gx[block + k] = o0[1];
        gx[(size_t)w * block + k] = o1[0];
        gx[(size_t)w * block + block + k] = o1[1];
    }
}

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static void forward_plane_blocked16(const float *x, float *y, unsigned char *code, int h, int w) {
    int oh = h / 2, ow = w / 2;
    for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
            const float *p = x + ((size_t)2 * oy * w + 2 * ox) * 16;
            float *d = y + ((size_t)oy * ow + ox) * 16;
            unsigned char *c = code + ((size_t)oy * ow + ox) * 16;
            __m512 best;
            __m512i pos;
            if (!max4_16(_mm512_loadu_ps(p), _mm512_loadu_ps(p + 16), _mm512_loadu_ps(p + (size_t)w * 16),
                         _mm512_loadu_ps(p + (size_t)w * 16 + 16), &best, &pos)) {
                forward_pixel_blocked_portable(p, d, c, w, 16);
                continue;
            }
            _mm512_storeu_ps(d, best);
            _mm_storeu_si128((__m128i *)c, _mm512_cvtepi32_epi8(pos));
        }
    }
}

__attribute__((target("avx512f")))
static void backward_plane_blocked16(const float *gy, const unsigned char *code, int through_relu, float *gx, int h, int w) {
    int oh = h / 2, ow = w / 2;
    for (int oy = 0; oy < oh; oy++) {
        float *r0 = gx + (size_t)2 * oy * w * 16, *r1 = r0 + (size_t)w * 16;
        for (int ox = 0; ox < ow; ox++) {
            size_t o = ((size_t)oy * ow + ox) * 16;
            __m512 s[4];
            window_gradients16(_mm512_loadu_ps(gy + o), _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(code + o))), through_relu, s);
            _mm512_storeu_ps(r0 + (size_t)2 * ox * 16, s[0]);
            _mm512_storeu_ps(r0 + (size_t)2 * ox * 16 + 16, s[1]);
            _mm512_storeu_ps(r1 + (size_t)2 * ox * 16, s[2]);
            _mm512_storeu_ps(r1 + (size_t)2 * ox * 16 + 16, s[3]);
        }
        if (w & 1) {
            _mm512_storeu_ps(r0 + (size_t)(w - 1) * 16, _mm512_setzero_ps());
            _mm512_storeu_ps(r1 + (size_t)(w - 1) * 16, _mm512_setzero_ps());
        }
    }
}
#endif

void descent_maxpool2x2_forward_blocked(const float *x, float *y, unsigned char *code, int h, int w, int block) {
#if defined(__x86_64__)
    if (block == 16 && descent_vector_level() == 2) { forward_plane_blocked16(x, y, code, h, w); return; }
#endif
    int oh = h / 2, ow = w / 2;
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++) {
            size_t o = ((size_t)oy * ow + ox) * block;
            forward_pixel_blocked_portable(x + ((size_t)2 * oy * w + 2 * ox) * block, y + o, code + o, w, block);
        }
}

void descent_maxpool2x2_backward_blocked(const float *gy, const unsigned char *code, int through_relu, float *gx, int h, int w, int block) {
    int oh = h / 2, ow = w / 2;
#if defined(__x86_64__)
    if (block == 16 && descent_vector_level() == 2) backward_plane_blocked16(gy, code, through_relu, gx, h, w);
    else
#endif
    for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
            size_t o = ((size_t)oy * ow + ox) * block;
            backward_pixel_blocked_portable(gy + o, code + o, through_relu, gx + ((size_t)2 * oy * w + 2 * ox) * block, w, block);
        }
        if (w & 1)
            for (int k = 0; k < block; k++) gx[((size_t)2 * oy * w + w - 1) * block + k] = gx[((size_t)(2 * oy + 1) * w + w - 1) * block + k] = 0.0f;
    }
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

/* NCHW input, blocked output: `block` channel planes of h x w in, y and code [oh][ow][block]
 * out, each window written into its channel's lane (the first layer's output is NCHW, the next
 * convolution wants the blocked layout, and this costs less than a reorder of the whole input). */
void descent_maxpool2x2_forward_to_blocked(const float *x, float *y, unsigned char *code, int h, int w, int block) {
#if defined(__x86_64__)
    if (block == 16 && descent_vector_level() == 2) { forward_to_blocked16(x, y, code, h, w); return; }
#endif
    for (int oy = 0; oy < h / 2; oy++) to_blocked_portable(x, y, code, h, w, block, oy, 0, w / 2);
}

#include "multiversion.h"

/* RMSProp's pass (RMSProp.swift has the equations and the conventions), compiled per ISA: with
 * Swift's SSE vectors its square root and divide made it the slowest native optimizer (10M
 * parameters at one thread: 71% of a triad's bandwidth where Adam, which does more, ran at
 * 138%). The same operations in the same order and no contraction: the same bits as the
 * element-by-element expression, on every body. Each convention is its own loop (the flags
 * are constants where the body is inlined), so no branch stays inside a vector loop. */
#pragma clang fp contract(off)
static inline __attribute__((always_inline)) void rmsprop_body(float *p, const float *g, float *s, float *mg, float *b, size_t n,
                                                               descent_rmsprop_numbers k, const int centered, const int inside, const int mode) {
    for (size_t i = 0; i < n; i++) {
        float pi = p[i];
        float gi = g[i] * k.grad_scale + k.weight_decay * pi;
        float si = k.rho * s[i] + k.one_minus_rho * gi * gi;
        s[i] = si;
        float ms = si;
        if (centered) {
            float m = k.rho * mg[i] + k.one_minus_rho * gi;
            mg[i] = m;
            ms -= m * m;
        }
        float d = inside ? __builtin_elementwise_sqrt(ms + k.epsilon) : __builtin_elementwise_sqrt(ms) + k.epsilon;
        if (mode == DESCENT_RMSPROP_LR_IN_MOMENTUM) {
            float bi = k.momentum * b[i] + k.lr * gi / d;
            b[i] = bi;
            p[i] = pi - bi;
        } else if (mode == DESCENT_RMSPROP_MOMENTUM) {
            float bi = k.momentum * b[i] + gi / d;
            b[i] = bi;
            p[i] = pi - k.lr * bi;
        } else {
            p[i] = pi - k.lr * gi / d;
        }
    }
}

#define RMSPROP_MODES(c, in)                                                                        \
    switch (mode) {                                                                                 \
    case DESCENT_RMSPROP_LR_IN_MOMENTUM: rmsprop_body(p, g, s, mg, b, n, k, c, in, DESCENT_RMSPROP_LR_IN_MOMENTUM); break; \
    case DESCENT_RMSPROP_MOMENTUM: rmsprop_body(p, g, s, mg, b, n, k, c, in, DESCENT_RMSPROP_MOMENTUM); break; \
    default: rmsprop_body(p, g, s, mg, b, n, k, c, in, DESCENT_RMSPROP_PLAIN); break;                \
    }

MULTIVERSION(void, rmsprop_pass, (float *p, const float *g, float *s, float *mg, float *b, size_t n, descent_rmsprop_numbers k, int mode), {
    if (mg) { if (k.eps_inside_sqrt) { RMSPROP_MODES(1, 1) } else { RMSPROP_MODES(1, 0) } }
    else { if (k.eps_inside_sqrt) { RMSPROP_MODES(0, 1) } else { RMSPROP_MODES(0, 0) } }
})

void descent_rmsprop(float *p, const float *g, float *s, float *mg, float *b, size_t n, descent_rmsprop_numbers k) {
    int mode = b == 0 ? DESCENT_RMSPROP_PLAIN : k.lr_in_momentum ? DESCENT_RMSPROP_LR_IN_MOMENTUM : DESCENT_RMSPROP_MOMENTUM;
    DISPATCH(rmsprop_pass, (p, g, s, mg, b, n, k, mode));
}

#include "multiversion.h"

/* Adam's and AdamW's fused pass (Adam.swift has the equations and where each number comes
 * from), compiled per ISA: Swift's SIMD types compile to baseline SSE vectors, and the
 * reference CNN's 0.56M parameters sit in cache, where the pass is compute-bound. The same
 * operations in the same order and no contraction: the same bits as the element-by-element
 * expression, on every body. */
#pragma clang fp contract(off)
MULTIVERSION(void, adam_pass, (float *p, const float *g, float *m, float *v, size_t n, descent_adam_numbers k), {
    for (size_t i = 0; i < n; i++) {
        float pi = p[i] * k.shrink;
        float gi = g[i] * k.grad_scale + k.coupled * pi;
        float mi = k.beta1 * m[i] + k.one_minus_beta1 * gi;
        float vi = k.beta2 * v[i] + k.one_minus_beta2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi - k.step_size * mi / (__builtin_elementwise_sqrt(vi) * k.v_scale + k.epsilon);
    }
})

void descent_adam(float *p, const float *g, float *m, float *v, size_t n, descent_adam_numbers k) {
    DISPATCH(adam_pass, (p, g, m, v, n, k));
}

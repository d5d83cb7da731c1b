#ifndef DESCENT_CKERNELS_H
#define DESCENT_CKERNELS_H
/*
 * The few elementwise loops Swift cannot vectorize on baseline x86-64. Swift's
 * Float.squareRoot() on Linux keeps C's errno semantics (a sqrtss with a call to sqrtf for
 * negative inputs), so a SIMD8<Float> square root runs lane by lane; these loops use the packed
 * instruction (SSE sqrtps; NaN for negative inputs, as IEEE sqrt gives).
 */
#include <stddef.h>

/* d[i] = sqrt(a[i]) for i < n; n a multiple of 4; d may equal a. */
void descent_sqrt_f32(const float *a, float *d, size_t n);

#endif

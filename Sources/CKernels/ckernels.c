#include "ckernels.h"

void descent_sqrt_f32(const float *a, float *d, size_t n) {
#if defined(__SSE__)
    for (size_t i = 0; i < n; i += 4)
        _mm_storeu_ps(d + i, _mm_sqrt_ps(_mm_loadu_ps(a + i)));
#else
    for (size_t i = 0; i < n; i++)
        d[i] = __builtin_sqrtf(a[i]);
#endif
}

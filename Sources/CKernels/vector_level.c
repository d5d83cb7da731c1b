#include "ckernels.h"
#include <stdlib.h>

/* The CPU's vector level for the C loops: 2 AVX-512, 1 AVX2, 0 the baseline. */
static int cpu_vector_level(void) {
#if defined(__x86_64__)
    return __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

static int level = -1;   /* -1: not yet known; racing first calls store the same value */

int descent_vector_level(void) {
    int v = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (v < 0) {
        v = cpu_vector_level();
        /* DESCENT_VECTOR_LEVEL lowers it (never raises it): the tests run the portable bodies
         * on an AVX-512 machine and compare their bits. */
        const char *cap = getenv("DESCENT_VECTOR_LEVEL");
        if (cap && cap[0] >= '0' && cap[0] <= '2' && cap[1] == 0 && cap[0] - '0' < v) v = cap[0] - '0';
        __atomic_store_n(&level, v, __ATOMIC_RELAXED);
    }
    return v;
}

int descent_set_vector_level(int requested) {
    int cpu = cpu_vector_level(), v = requested < 0 ? 0 : requested < cpu ? requested : cpu;
    __atomic_store_n(&level, v, __ATOMIC_RELAXED);
    return v;
}

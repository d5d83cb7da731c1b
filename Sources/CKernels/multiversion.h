#ifndef DESCENT_MULTIVERSION_H
#define DESCENT_MULTIVERSION_H
/*
 * The one multiversioning idiom of CKernels. A loop is written once and compiled for the
 * baseline, AVX2 and AVX-512 (MULTIVERSION defines name_baseline, name_avx2 and name_avx512),
 * and DISPATCH calls the body for descent_vector_level() (the CPU's, lowered by
 * DESCENT_VECTOR_LEVEL). Each file sets fp contraction itself, so the bodies give the same bits
 * wherever the file promises it. Hand-written intrinsics follow the same names and the same
 * DISPATCH (DISPATCH_AVX2 when there is no AVX-512 body), with the figure that justified them in
 * a comment beside them.
 */
#include "ckernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define TARGET_AVX2 __attribute__((target("avx2")))
#define TARGET_AVX512 __attribute__((target("avx512f")))
#define MULTIVERSION(ret, name, params, body) \
    static ret name##_baseline params body \
    TARGET_AVX2 static ret name##_avx2 params body \
    TARGET_AVX512 static ret name##_avx512 params body
#define DISPATCH(name, args) \
    (descent_vector_level() == 2 ? name##_avx512 args : descent_vector_level() == 1 ? name##_avx2 args : name##_baseline args)
#define DISPATCH_AVX2(name, args) (descent_vector_level() >= 1 ? name##_avx2 args : name##_baseline args)
#else
#define MULTIVERSION(ret, name, params, body) static ret name##_baseline params body
#define DISPATCH(name, args) (name##_baseline args)
#define DISPATCH_AVX2(name, args) (name##_baseline args)
#endif

#endif

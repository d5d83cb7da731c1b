#ifndef DESCENT_DNNL_SHIM_H
#define DESCENT_DNNL_SHIM_H
/* oneDNN (Debian's libdnnl-dev, 2.x C API) for the convolution primitives. */
#include <dnnl.h>
#include <dlfcn.h>

/* OpenMP's omp_set_num_threads, which caps oneDNN's threads for later calls from the calling
 * thread; NULL without OpenMP. Looked up at run time: libgomp comes with libdnnl, but omp.h and
 * libgomp's development symlink are not on the default search paths. */
typedef void (*descent_omp_set_num_threads_fn)(int);
static inline descent_omp_set_num_threads_fn descent_omp_set_num_threads(void) {
    return (descent_omp_set_num_threads_fn)dlsym(RTLD_DEFAULT, "omp_set_num_threads");
}

/* libgomp's entry for a parallel region (what `#pragma omp parallel num_threads(n)` compiles
 * to) and a team member's index and team size; NULL without libgomp. Descent's own parallel
 * loops run on this team, so oneDNN and Descent share one pool of threads. */
typedef void (*descent_gomp_parallel_fn)(void (*)(void *), void *, unsigned, unsigned);
typedef int (*descent_omp_int_fn)(void);
static inline descent_gomp_parallel_fn descent_gomp_parallel(void) {
    return (descent_gomp_parallel_fn)dlsym(RTLD_DEFAULT, "GOMP_parallel");
}
static inline descent_omp_int_fn descent_omp_get_thread_num(void) {
    return (descent_omp_int_fn)dlsym(RTLD_DEFAULT, "omp_get_thread_num");
}
static inline descent_omp_int_fn descent_omp_get_num_threads(void) {
    return (descent_omp_int_fn)dlsym(RTLD_DEFAULT, "omp_get_num_threads");
}
#endif

#ifndef DESCENT_DNNL_SHIM_H
#define DESCENT_DNNL_SHIM_H
/* oneDNN (Debian's libdnnl-dev, 2.x C API) for the convolution primitives. */
#include <dnnl.h>
#include <dlfcn.h>

/* OpenMP's omp_set_num_threads, which caps oneDNN's threads for later calls from the calling
 * thread (Descent keeps it at one); NULL without OpenMP. Looked up at run time: libgomp comes with libdnnl, but omp.h and
 * libgomp's development symlink are not on the default search paths. */
typedef void (*descent_omp_set_num_threads_fn)(int);
static inline descent_omp_set_num_threads_fn descent_omp_set_num_threads(void) {
    return (descent_omp_set_num_threads_fn)dlsym(RTLD_DEFAULT, "omp_set_num_threads");
}

#endif

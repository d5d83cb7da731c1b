#ifndef DESCENT_DNNL_SHIM_H
#define DESCENT_DNNL_SHIM_H
/* oneDNN (Debian's libdnnl-dev, 2.x C API) for the convolution primitives. */
#include <dnnl.h>
#include <dlfcn.h>

/* Caps the OpenMP threads of oneDNN's next calls from this thread. Looked up at run time:
 * libgomp comes with libdnnl, but omp.h and libgomp's development symlink are not on the
 * default search paths. */
static inline void descent_omp_set_num_threads(int n) {
    void (*set)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    if (set) set(n);
}
#endif

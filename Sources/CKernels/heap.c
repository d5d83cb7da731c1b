#include "ckernels.h"

/* Freed heap memory stays mapped (set once at start): oneDNN's GEMM mallocs its packing
 * buffers per call, and without this the process faulted them in again at 20-150 page faults
 * per two-thread training step. */
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void descent_keep_heap_mapped(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

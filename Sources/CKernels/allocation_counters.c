#include "ckernels.h"

/* Bytes of large tensor buffers allocated and alive (TensorStorage): the Lua host runs its
 * collector in step with them. */
static size_t allocated_bytes, live_bytes;

void descent_note_allocation(size_t bytes) {
    __atomic_fetch_add(&allocated_bytes, bytes, __ATOMIC_RELAXED);
    __atomic_fetch_add(&live_bytes, bytes, __ATOMIC_RELAXED);
}

void descent_note_release(size_t bytes) {
    __atomic_fetch_sub(&live_bytes, bytes, __ATOMIC_RELAXED);
}

size_t descent_allocated_bytes(void) {
    return __atomic_load_n(&allocated_bytes, __ATOMIC_RELAXED);
}

size_t descent_live_bytes(void) {
    return __atomic_load_n(&live_bytes, __ATOMIC_RELAXED);
}

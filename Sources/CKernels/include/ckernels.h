#ifndef DESCENT_CKERNELS_H
#define DESCENT_CKERNELS_H
/*
 * The few elementwise loops Swift cannot vectorize well on baseline x86-64. Swift's
 * Float.squareRoot() on Linux keeps C's errno semantics (a sqrtss with a call to sqrtf for
 * negative inputs), so a SIMD8<Float> square root runs lane by lane; these loops use the packed
 * instruction (SSE sqrtps; NaN for negative inputs, as IEEE sqrt gives).
 */
#include <stddef.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

/* Flush denormal results and operands to zero on the calling thread (MXCSR FTZ and DAZ), as
 * TensorFlow and oneDNN-based frameworks run: a model whose gradients decay into the denormal
 * range otherwise slows down 20-30x (measured: a 36 ms training step took 1.4 s). */
static inline void descent_flush_denormals(void) {
#if defined(__SSE__)
    _mm_setcsr(_mm_getcsr() | 0x8040);
#endif
}

/* Tells the core the thread is spinning on a flag (the pause instruction): the spin takes
 * less power and leaves the core's resources to a sibling hyperthread. */
static inline void descent_cpu_relax(void) {
#if defined(__SSE2__)
    _mm_pause();
#endif
}

/* The widest vectors the CPU has, for the loops compiled several times: 2 AVX-512 (avx512f),
 * 1 AVX2, 0 baseline. */
int descent_vector_level(void);
/* Runs the bodies of `level` from now on, at most what the CPU has; returns the level now in
 * force (the tests run every body in one process and compare their bits). */
int descent_set_vector_level(int level);

/* d[i] = sqrt(a[i]) for i < n; n a multiple of 4; d may equal a. */
void descent_sqrt_f32(const float *a, float *d, size_t n);

/* Instructions of an elementwise program (ElementwiseProgram.swift). */
enum {
    DESCENT_OP_COPY, DESCENT_OP_MADD, DESCENT_OP_MSUB, DESCENT_OP_ADD, DESCENT_OP_SUB, DESCENT_OP_MUL,
    DESCENT_OP_DIV, DESCENT_OP_MAXIMUM, DESCENT_OP_MINIMUM, DESCENT_OP_NEG, DESCENT_OP_ABS,
    DESCENT_OP_SQUARE, DESCENT_OP_SIGN, DESCENT_OP_SQRT, DESCENT_OP_POW, DESCENT_OP_EXP, DESCENT_OP_LOG,
    DESCENT_OP_SCALE, DESCENT_OP_SCALE_ADD, DESCENT_OP_AFFINE, DESCENT_OP_DIV_SUB, DESCENT_OP_SQRT_AFFINE,
    DESCENT_OP_AXPBY, DESCENT_OP_AXPBYZ, DESCENT_OP_SCALE_DIV_SUB
};

/* One instruction: d = op(a, b, c; s, t) elementwise, d may be a, b or c. Operands k >= 0 are
 * tensor k (at the chunk's offset), k < 0 register -1-k (`chunk` floats each).
 * s and t are the numbers of SCALE (s*a), SCALE_ADD (s*a + b), AFFINE (a*s + t), SQRT_AFFINE
 * (sqrt(a)*s + t), AXPBY (s*a + t*b), AXPBYZ (s*a + (t*b)*c) and SCALE_DIV_SUB (c - (s*a)/b);
 * DIV_SUB is c - a/b. `prefetch` says which operands' tensors the instruction is the first in
 * a chunk to touch, to prefetch ahead (bits 1 a, 2 b, 4 c, 8 d; d only when not c). A store's
 * `prefetch` is 1 when no instruction touches its tensor. */
typedef struct { int code, a, b, c, d; float s, t; int prefetch; } descent_instruction;
/* After the instructions: tensor `tensor` = register operand `from`. */
typedef struct { int tensor, from, prefetch; } descent_store;
typedef struct {
    const descent_instruction *instructions;
    const descent_store *stores;
    int instruction_count, store_count;
    size_t chunk, ahead_chunks;
} descent_program;
/* Runs the program over elements [begin, end) of the tensors (each padded to a whole number of
 * 16-float lines), with `registers` (register count * chunk floats; broadcasts filled by the
 * caller). Returns 1 when every value it wrote to a tensor is finite. */
int descent_program_run(const descent_program *p, float *const *tensors, float *registers, size_t begin, size_t end);

/* Adam's numbers for one step (Adam.swift). */
typedef struct {
    float shrink, grad_scale, coupled, beta1, one_minus_beta1, beta2, one_minus_beta2, step_size, v_scale, epsilon;
} descent_adam_numbers;
/* One Adam/AdamW update of n parameters: m, v and p in place (adam.c). */
void descent_adam(float *p, const float *g, float *m, float *v, size_t n, descent_adam_numbers k);

/* RMSProp's numbers for one step (RMSProp.swift) and its momentum conventions. */
typedef struct {
    float lr, grad_scale, weight_decay, rho, one_minus_rho, momentum, epsilon;
    int eps_inside_sqrt, lr_in_momentum;
} descent_rmsprop_numbers;
enum { DESCENT_RMSPROP_PLAIN, DESCENT_RMSPROP_MOMENTUM, DESCENT_RMSPROP_LR_IN_MOMENTUM };
/* One RMSProp update of n parameters: s, mg (centered; else NULL), b (momentum; else NULL) and
 * p in place (rmsprop.c). */
void descent_rmsprop(float *p, const float *g, float *s, float *mg, float *b, size_t n, descent_rmsprop_numbers k);

/* The sum of squares of n floats in Double, in one fixed order (reductions.c). */
double descent_sum_of_squares(const float *p, size_t n);

/* Batch norm's sums (normalization.c): lanes[0..<8] += x, lanes[8..<16] += x*x, element i into
 * lane i mod 8 (so a plane must start at a multiple of 8 elements to continue the pattern, or
 * the caller accepts a different but fixed order); and lanes[0..<8] += g,
 * lanes[8..<16] += g * ((x - mu) * inv). */
void descent_sums(const float *x, size_t n, double *lanes);
void descent_gradient_sums(const float *g, const float *x, float mu, float inv, size_t n, double *lanes);
/* y = x * scale + shift; and gx = k * ((m * gy - sg) - ((x - mu) * inv) * sgx), the training
 * input gradient with k = gamma * inv / m (normalization.c, AVX-512, AVX2 or portable, same
 * bits). */
void descent_bn_apply(const float *x, float *y, size_t n, float scale, float shift);
void descent_bn_gradient(const float *gy, const float *x, float *gx, size_t n, float mu, float inv, float m, float sg, float sgx, float k);

/* SiLU forward (y = x * sigmoid(x)) and backward (out = g * sigmoid'-term) over n floats on
 * AVX-512 or AVX2 (activations.c), bit for bit what VectorMath.swift computes; 0 (nothing done)
 * on other CPUs, where the caller runs its own loop. */
int descent_silu_forward(const float *x, float *y, size_t n);
int descent_silu_backward(const float *x, const float *g, float *out, size_t n);

/* Keeps freed heap memory mapped (glibc: fixed 32 MiB mmap threshold, 256 MiB trim threshold).
 * oneDNN's GEMM mallocs and frees its packing buffers on every call; with glibc's defaults the
 * freed memory went back to the kernel now and then (worker threads' arenas especially), and
 * the next call faulted it in again: 20-150 page faults per two-thread reference step in some
 * runs, none in others. Called once, before any thread starts. */
void descent_keep_heap_mapped(void);

/* Process-wide counts of the bytes of large tensor buffers handed out so far and held now
 * (atomic, relaxed): the Lua host reads them to tell Lua's collector about memory it cannot see. */
void descent_note_allocation(size_t bytes);
void descent_note_release(size_t bytes);
size_t descent_allocated_bytes(void);
size_t descent_live_bytes(void);

/* 2x2, stride-2 max pooling of one h x w plane (pooling.c): y gets the maxima, code a byte per
 * window (bits 0-1 the maximum's position, top left to bottom right; bit 2: maximum > 0).
 * Backward writes every element of gx: the window's gradient at its maximum (masked by bit 2
 * when through_relu), zeros elsewhere. */
void descent_maxpool2x2_forward(const float *x, float *y, unsigned char *code, int h, int w);
void descent_maxpool2x2_backward(const float *gy, const unsigned char *code, int through_relu, float *gx, int h, int w);

/* The same over one plane of oneDNN's channel-blocked layout, [h][w][block] (block 8 or 16;
 * y and code [h/2][w/2][block]), and conversions of one image of `channels` x `pixels` between
 * NCHW and that layout (channels a multiple of block). */
void descent_maxpool2x2_forward_blocked(const float *x, float *y, unsigned char *code, int h, int w, int block);
/* With sums (else NULL), sums[k] = the sum of lane k of gx in window order, what
 * descent_window_sums gives for it. */
void descent_maxpool2x2_backward_blocked(const float *gy, const unsigned char *code, int through_relu, float *gx, int h, int w, int block,
                                         double *sums);
void descent_unblock(const float *src, float *dst, int channels, int pixels, int block);
void descent_block(const float *src, float *dst, int channels, int pixels, int block);

/* sums[c] = the sum in Double of channel c of one image's gradient g (`channels` planes of
 * h x w, NCHW when block is 0, else blocked with block 8 or 16), in window order
 * (window_sums.c): a convolution's bias gradient, in the bits the pool's backward gives. */
void descent_window_sums(const float *g, int channels, int h, int w, int block, double *sums);

#endif

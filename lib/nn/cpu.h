/* The CPU backend's pieces, shared between its files (not part of the interface). */
#ifndef PGC_NN_CPU_H
#define PGC_NN_CPU_H

#include "backend.h"
#include "pool.h"

#include <string.h>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
/* The kernels' 16-lane paths (cpu_direct.c, cpu_pointwise.c, cpu_gemm16.c): compiled for AVX-512F
 * whatever the build targets (x86-64-v3), run only where pgc_cpu_has_avx512 says so,
 * which the context records (avx512 below). Without this macro there are none. */
#define PGC_AVX512 __attribute__((target("avx512f")))
#endif

/* 8 floats at a time through GCC/clang vector extensions: the element-wise loops that
 * -O2 leaves scalar (masked sums, the ReLU mask) vectorise on any target. */
typedef float pgc_v8 __attribute__((vector_size(32)));
typedef int pgc_v8i __attribute__((vector_size(32)));

static inline pgc_v8 v8_load(const float *p)
{
    pgc_v8 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void v8_store(float *p, pgc_v8 v) { memcpy(p, &v, sizeof v); }

static inline float v8_sum(pgc_v8 v)
{
    return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
}

/* v where keep > 0, else 0 */
static inline pgc_v8 v8_where_pos(pgc_v8 keep, pgc_v8 v)
{
    pgc_v8 zero = {0};
    return (pgc_v8)((pgc_v8i)v & (keep > zero));
}

typedef struct {
    float *ws;        /* scratch, ws_n floats */
    size_t ws_n;
    int threads;
    pgc_pool *pool;   /* for the loops outside OpenBLAS */
    int avx512;       /* 1: the 16-lane paths (the CPU has AVX-512F); a test sets 0 to
                       * compare them with the 8-lane paths and OpenBLAS */
    float *pack;      /* the 16-lane GEMM's packed B (cpu_gemm16.c), pack_n floats, grown
                       * to the largest GEMM on first use */
    size_t pack_n;
} pgc_cpu_ctx;

/* C = alpha op(A) op(B) + beta C, row-major (ta, tb: 1 transposed), on the context's
 * threads (cpu_gemm.c): OpenBLAS itself runs on one. */
void pgc_cpu_sgemm(void *ctx, int ta, int tb, int M, int N, int K, float alpha,
                   const float *A, int lda, const float *B, int ldb, float beta, float *C,
                   int ldc);

/* C = op(A) B, row-major (ta: A transposed), C overwritten, in 16-lane registers
 * (cpu_gemm16.c); -1 where it cannot (no AVX-512, no memory for its packing): the caller
 * then runs OpenBLAS. pgc_cpu_sgemm calls it for the GEMMs of that form. */
int pgc_cpu_gemm16(void *ctx, int ta, int M, int N, int K, const float *A, int lda,
                   const float *B, int ldb, float *C, int ldc);

/* Below about this many multiply-adds a GEMM runs on the calling thread: waking the
 * pool costs more than the split brings (both GEMM paths). */
#define PGC_CPU_SPLIT_MACS 1e6

/* Runs fn(arg, lo, hi) over [0, n) on the context's threads. */
void pgc_cpu_for(void *ctx, size_t n, void (*fn)(void *arg, size_t lo, size_t hi), void *arg);

size_t pgc_cpu_conv_workspace(const pgc_conv_desc *d);
void pgc_cpu_conv_forward(void *ctx, const pgc_conv_desc *d, const float *x, const float *w,
                          float *y);
void pgc_cpu_conv_backward_data(void *ctx, const pgc_conv_desc *d, const float *dy,
                                const float *w, float *dx);
void pgc_cpu_conv_backward_filter(void *ctx, const pgc_conv_desc *d, const float *x,
                                  const float *dy, float *dw);
/* The two implementations behind the entries above, with the same interface: im2col +
 * sgemm (any shape, the reference) and direct 3x3 stride-1 pad-1 (cpu_direct.c; only
 * where pgc_cpu_direct_ok). Workspaces in floats, in the context's ws. */
size_t pgc_cpu_im2col_workspace(const pgc_conv_desc *d);
void pgc_cpu_im2col_forward(void *ctx, const pgc_conv_desc *d, const float *x,
                            const float *w, float *y);
void pgc_cpu_im2col_backward_data(void *ctx, const pgc_conv_desc *d, const float *dy,
                                  const float *w, float *dx);
void pgc_cpu_im2col_backward_filter(void *ctx, const pgc_conv_desc *d, const float *x,
                                    const float *dy, float *dw);
int pgc_cpu_direct_ok(const pgc_conv_desc *d);
/* 1 where the CPU (and the OS) run AVX-512F: the direct kernels' 16-lane paths. */
int pgc_cpu_has_avx512(void);
size_t pgc_cpu_direct_workspace(const pgc_conv_desc *d);
void pgc_cpu_direct_forward(void *ctx, const pgc_conv_desc *d, const float *x,
                            const float *w, float *y);
void pgc_cpu_direct_backward_data(void *ctx, const pgc_conv_desc *d, const float *dy,
                                  const float *w, float *dx);
void pgc_cpu_direct_backward_filter(void *ctx, const pgc_conv_desc *d, const float *x,
                                    const float *dy, float *dw);
/* 1x1 stride-1 convolutions in 16 lanes (cpu_pointwise.c): only where pgc_cpu_has_avx512
 * and pgc_cpu_pointwise_ok. */
int pgc_cpu_pointwise_ok(const pgc_conv_desc *d);
size_t pgc_cpu_pointwise_workspace(const pgc_conv_desc *d);
void pgc_cpu_pointwise_forward(void *ctx, const pgc_conv_desc *d, const float *x,
                               const float *w, float *y);
void pgc_cpu_pointwise_backward_data(void *ctx, const pgc_conv_desc *d, const float *dy,
                                     const float *w, float *dx);
size_t pgc_cpu_upconv_workspace(const pgc_upconv_desc *d);
void pgc_cpu_upconv_forward(void *ctx, const pgc_upconv_desc *d, const float *x,
                            const float *w, float *y);
void pgc_cpu_upconv_backward(void *ctx, const pgc_upconv_desc *d, const float *x,
                             const float *w, const float *dy, float *dx, float *dw);
void pgc_cpu_fc_forward(void *ctx, int n, int k, int m, const float *x, const float *w,
                        const float *b, float *y);
void pgc_cpu_fc_backward(void *ctx, int n, int k, int m, const float *x, const float *w,
                         const float *dy, float *dx, float *dw, float *db);

#endif

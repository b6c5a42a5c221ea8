/* The CUDA backend's context, error checks and launch helpers, shared by its .cu files
 * (C++ only; not part of the interface). */
#ifndef PGC_NN_CUDA_CTX_H
#define PGC_NN_CUDA_CTX_H

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <stddef.h>

#include "cuda_backend.h"

/* A convolution algorithm chosen for one shape (PGC_GPU_FAST only: the default
 * algorithms are fixed and need no cache). */
typedef struct {
    pgc_conv_desc d;
    int kind;             /* PGC_CONV_FWD, PGC_CONV_BWD_DATA, PGC_CONV_BWD_FILTER */
    int algo;
    cudnnMathType_t math;
} pgc_cuda_algo;

enum { PGC_CONV_FWD, PGC_CONV_BWD_DATA, PGC_CONV_BWD_FILTER };
enum { PGC_SCRATCH_WS, PGC_SCRATCH_RED, PGC_NSCRATCH };
#define PGC_CUDA_ALGOS 128

/* One per network: one stream, one cuDNN and one cuBLAS handle, everything on the
 * device that was current when it was created. */
typedef struct {
    int device;
    cudaStream_t stream;
    cudnnHandle_t dnn;
    cublasHandle_t blas;
    cudnnTensorDescriptor_t xd, yd;   /* reset for each convolution */
    cudnnFilterDescriptor_t wd;
    cudnnConvolutionDescriptor_t cd;
    /* Scratch that grows on first use (so that steady state allocates nothing):
     * PGC_SCRATCH_WS for cuDNN and the transposed convolutions' GEMMs, PGC_SCRATCH_RED
     * for reduction partial sums and per-channel factors. */
    void *scratch[PGC_NSCRATCH];
    size_t scratch_bytes[PGC_NSCRATCH];
    int fast;                         /* PGC_GPU_FAST=1: heuristic algorithms, TF32 */
    pgc_cuda_algo algos[PGC_CUDA_ALGOS];
    int nalgos, algo_next;
    int failed;                       /* first failure, kept in msg */
    char msg[320];
} pgc_cuda_ctx;

/* Records the first failure; returns false so that checks chain with &&. */
bool pgc_cuda_fail(pgc_cuda_ctx *c, const char *what, const char *why);
bool pgc_cuda_check(pgc_cuda_ctx *c, cudaError_t e, const char *what);
bool pgc_cuda_check(pgc_cuda_ctx *c, cudnnStatus_t e, const char *what);
bool pgc_cuda_check(pgc_cuda_ctx *c, cublasStatus_t e, const char *what);
#define CK(c, call) pgc_cuda_check((c), (call), #call)
/* After a kernel launch: a bad launch configuration shows here, a fault later. */
#define CK_LAUNCH(c, name) pgc_cuda_check((c), cudaGetLastError(), name)

/* Device scratch of at least bytes (NULL on failure or when bytes is 0 and none is
 * there); its contents do not survive to the next backend call. */
void *pgc_cuda_scratch(pgc_cuda_ctx *c, int which, size_t bytes);

/* Blocks for a grid-stride loop over n items. */
static inline unsigned pgc_cuda_blocks(size_t n, unsigned threads)
{
    size_t b = (n + threads - 1) / threads;
    if (b < 1) b = 1;
    if (b > (1u << 20)) b = 1u << 20;
    return (unsigned)b;
}

/* Threads for one block per plane of hw values: a warp multiple, at most 256. */
static inline unsigned pgc_cuda_plane_threads(size_t hw)
{
    size_t t = (hw + 31) / 32 * 32;
    return t > 256 ? 256 : t < 32 ? 32 : (unsigned)t;
}

/* Row-major GEMM as cblas_sgemm(CblasRowMajor, ...) spells it, through cuBLAS
 * (column-major: C^T = op(B)^T op(A)^T). */
bool pgc_cuda_gemm(pgc_cuda_ctx *c, bool ta, bool tb, int m, int n, int k, float alpha,
                   const float *a, int lda, const float *b, int ldb, float beta, float *cm,
                   int ldc);

/* The table's entries, by file. */
size_t pgc_cuda_conv_workspace(const pgc_conv_desc *d);
void pgc_cuda_conv_forward(void *ctx, const pgc_conv_desc *d, const float *x,
                           const float *w, float *y);
void pgc_cuda_conv_backward_data(void *ctx, const pgc_conv_desc *d, const float *dy,
                                 const float *w, float *dx);
void pgc_cuda_conv_backward_filter(void *ctx, const pgc_conv_desc *d, const float *x,
                                   const float *dy, float *dw);

size_t pgc_cuda_upconv_workspace(const pgc_upconv_desc *d);
void pgc_cuda_upconv_forward(void *ctx, const pgc_upconv_desc *d, const float *x,
                             const float *w, float *y);
void pgc_cuda_upconv_backward(void *ctx, const pgc_upconv_desc *d, const float *x,
                              const float *w, const float *dy, float *dx, float *dw);
void pgc_cuda_fc_forward(void *ctx, int n, int k, int m, const float *x, const float *w,
                         const float *b, float *y);
void pgc_cuda_fc_backward(void *ctx, int n, int k, int m, const float *x, const float *w,
                          const float *dy, float *dx, float *dw, float *db);

void pgc_cuda_bn_forward(void *ctx, const pgc_bn_desc *d, const float *x,
                         const float *gamma, const float *beta, float *run_mean,
                         float *run_var, float *save, float *y);
void pgc_cuda_bn_backward(void *ctx, const pgc_bn_desc *d, const float *x, const float *y,
                          const float *dy, const float *gamma, const float *run_mean,
                          const float *run_var, const float *save, float *dx,
                          float *dgamma, float *dbeta);
void pgc_cuda_bias_forward(void *ctx, int n, int c, int hw, const float *b, float *y);
void pgc_cuda_bias_backward(void *ctx, int n, int c, int hw, const float *dy, float *db);
void pgc_cuda_gap_forward(void *ctx, int n, int c, int hw, const float *x, float *y);
void pgc_cuda_gap_backward(void *ctx, int n, int c, int hw, const float *dy, float *dx);

void pgc_cuda_maxpool_forward(void *ctx, const pgc_pool_desc *d, const float *x, float *y,
                              int *idx);
void pgc_cuda_maxpool_backward(void *ctx, const pgc_pool_desc *d, const float *dy,
                               const int *idx, float *dx);
void pgc_cuda_slice_forward(void *ctx, int n, int cx, int cy, int c0, int hw,
                            const float *x, float *y);
void pgc_cuda_slice_backward(void *ctx, int n, int cx, int cy, int c0, int hw,
                             const float *dy, float *dx);
void pgc_cuda_upsample_forward(void *ctx, int n, int c, int h, int w, int s,
                               const float *x, float *y);
void pgc_cuda_upsample_backward(void *ctx, int n, int c, int h, int w, int s,
                                const float *dy, float *dx);
void pgc_cuda_add_forward(void *ctx, size_t n, int relu, const float *a, const float *b,
                          float *y);
void pgc_cuda_add_backward(void *ctx, size_t n, int relu, const float *y, const float *dy,
                           float *da, float *db);
void pgc_cuda_adam_step(void *ctx, size_t n, float *p, const float *g, float *m, float *v,
                        float lr, float beta1, float beta2, float eps, long t);

#endif

/* Convolutions through cuDNN's legacy API (still in cuDNN 9). By default the algorithms
 * are fixed and deterministic (implicit precomputed GEMM forward, ALGO_1 for both
 * backward passes) with FMA math, never TF32: results repeat run to run and stay close
 * to the CPU's. PGC_GPU_FAST=1 takes cuDNN's heuristic choice, Tensor Cores (TF32)
 * allowed, and gives up both. */
#include "cuda_ctx.h"

#include <cstring>

/* cuDNN's workspace depends on the handle and the algorithm, so it is asked for at each
 * call and the scratch grows then (once per shape, none in steady state). */
size_t pgc_cuda_conv_workspace(const pgc_conv_desc *d) { return 0; }

/* The default choices, tried in order until cuDNN supports one for the shape: all
 * deterministic (ALGO_0 and ALGO_3 of the backward passes are not). */
static const int fwd_algos[] = {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
                                CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM};
static const int bwd_data_algos[] = {CUDNN_CONVOLUTION_BWD_DATA_ALGO_1};
static const int bwd_filter_algos[] = {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1};

/* Heuristic choices whose workspace exceeds this are passed over. */
#define FAST_WS_MAX ((size_t)1 << 30)

static bool conv_describe(pgc_cuda_ctx *c, const pgc_conv_desc *d, cudnnMathType_t math)
{
    return CK(c, cudnnSetTensor4dDescriptor(c->xd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d->n,
                                            d->cin, d->h, d->w)) &&
           CK(c, cudnnSetTensor4dDescriptor(c->yd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d->n,
                                            d->cout, d->ho, d->wo)) &&
           CK(c, cudnnSetFilter4dDescriptor(c->wd, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                            d->cout, d->cin, d->k, d->k)) &&
           CK(c, cudnnSetConvolution2dDescriptor(c->cd, d->pad, d->pad, d->stride, d->stride,
                                                 1, 1, CUDNN_CROSS_CORRELATION,
                                                 CUDNN_DATA_FLOAT)) &&
           CK(c, cudnnSetConvolutionMathType(c->cd, math));
}

static cudnnStatus_t conv_ws_size(pgc_cuda_ctx *c, int kind, int algo, size_t *bytes)
{
    *bytes = 0;
    switch (kind) {
    case PGC_CONV_FWD:
        return cudnnGetConvolutionForwardWorkspaceSize(c->dnn, c->xd, c->wd, c->cd, c->yd,
                                                       (cudnnConvolutionFwdAlgo_t)algo, bytes);
    case PGC_CONV_BWD_DATA:
        return cudnnGetConvolutionBackwardDataWorkspaceSize(
            c->dnn, c->wd, c->yd, c->cd, c->xd, (cudnnConvolutionBwdDataAlgo_t)algo, bytes);
    default:
        return cudnnGetConvolutionBackwardFilterWorkspaceSize(
            c->dnn, c->xd, c->yd, c->cd, c->wd, (cudnnConvolutionBwdFilterAlgo_t)algo, bytes);
    }
}

/* Whether a heuristic result may be used: any that works in FP32 or TF32 when fast (never
 * one that down-converts to FP16); else only deterministic ones without Tensor Core math. */
template <class Perf> static bool perf_ok(const Perf &p, bool strict)
{
    return p.status == CUDNN_STATUS_SUCCESS && p.memory <= FAST_WS_MAX &&
           p.mathType != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION &&
           (!strict || (p.determinism == CUDNN_DETERMINISTIC && p.mathType == CUDNN_FMA_MATH));
}

/* cuDNN's heuristic pick (descriptors already set): the first acceptable one. */
static bool conv_heuristic(pgc_cuda_ctx *c, int kind, bool strict, pgc_cuda_algo *a)
{
    int got = 0;
    if (kind == PGC_CONV_FWD) {
        cudnnConvolutionFwdAlgoPerf_t p[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
        if (!CK(c, cudnnGetConvolutionForwardAlgorithm_v7(c->dnn, c->xd, c->wd, c->cd, c->yd,
                                                          CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                                                          &got, p)))
            return false;
        for (int i = 0; i < got; i++)
            if (perf_ok(p[i], strict)) {
                a->algo = p[i].algo, a->math = p[i].mathType;
                return true;
            }
    } else if (kind == PGC_CONV_BWD_DATA) {
        cudnnConvolutionBwdDataAlgoPerf_t p[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
        if (!CK(c, cudnnGetConvolutionBackwardDataAlgorithm_v7(
                       c->dnn, c->wd, c->yd, c->cd, c->xd,
                       CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &got, p)))
            return false;
        for (int i = 0; i < got; i++)
            if (perf_ok(p[i], strict)) {
                a->algo = p[i].algo, a->math = p[i].mathType;
                return true;
            }
    } else {
        cudnnConvolutionBwdFilterAlgoPerf_t p[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
        if (!CK(c, cudnnGetConvolutionBackwardFilterAlgorithm_v7(
                       c->dnn, c->xd, c->yd, c->cd, c->wd,
                       CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &got, p)))
            return false;
        for (int i = 0; i < got; i++)
            if (perf_ok(p[i], strict)) {
                a->algo = p[i].algo, a->math = p[i].mathType;
                return true;
            }
    }
    return false;
}

/* The first default algorithm cuDNN supports for this shape (FMA math), else the first
 * deterministic FMA one its heuristics offer. */
static bool conv_default(pgc_cuda_ctx *c, int kind, const pgc_conv_desc *d, pgc_cuda_algo *a)
{
    const int *list = kind == PGC_CONV_FWD ? fwd_algos
                      : kind == PGC_CONV_BWD_DATA ? bwd_data_algos
                                                  : bwd_filter_algos;
    int n = kind == PGC_CONV_FWD ? (int)(sizeof fwd_algos / sizeof *fwd_algos)
            : kind == PGC_CONV_BWD_DATA ? (int)(sizeof bwd_data_algos / sizeof *bwd_data_algos)
                                        : (int)(sizeof bwd_filter_algos / sizeof *bwd_filter_algos);
    if (!conv_describe(c, d, CUDNN_FMA_MATH)) return false;
    for (int i = 0; i < n; i++) {
        size_t bytes;
        cudnnStatus_t s = conv_ws_size(c, kind, list[i], &bytes);
        if (s == CUDNN_STATUS_SUCCESS) {
            a->algo = list[i], a->math = CUDNN_FMA_MATH;
            return true;
        }
        /* cuDNN 9's codes are hierarchical (NOT_SUPPORTED_SHAPE, _LAYOUT, ... are 30xx):
         * the whole category means "not this algorithm", not only 3000 itself */
        if (CUDNN_STATUS_CATEGORY(s) != CUDNN_STATUS_NOT_SUPPORTED) return CK(c, s);
    }
    /* none of those: any other deterministic FMA algorithm cuDNN offers */
    if (conv_heuristic(c, kind, true, a)) return true;
    return c->failed ? false
                     : pgc_cuda_fail(c, "cudnn convolution",
                                     "no deterministic FP32 algorithm supports this shape");
}

/* The algorithm for (d, kind), chosen once per shape and kept. */
static const pgc_cuda_algo *conv_choose(pgc_cuda_ctx *c, int kind, const pgc_conv_desc *d)
{
    for (int i = 0; i < c->nalgos; i++)
        if (c->algos[i].kind == kind && !memcmp(&c->algos[i].d, d, sizeof *d))
            return &c->algos[i];
    pgc_cuda_algo a;
    memset(&a, 0, sizeof a);
    a.d = *d, a.kind = kind;
    bool ok = false;
    if (c->fast) {
        /* TENSOR_OP_MATH: TF32 for FP32 data; _ALLOW_CONVERSION would also let cuDNN
         * down-convert the FP32 inputs to FP16 */
        if (!conv_describe(c, d, CUDNN_TENSOR_OP_MATH)) return NULL;
        ok = conv_heuristic(c, kind, false, &a);
        if (!ok && c->failed) return NULL;
    }
    if (!ok && !conv_default(c, kind, d, &a)) return NULL;
    int slot = c->nalgos < PGC_CUDA_ALGOS ? c->nalgos++ : c->algo_next++ % PGC_CUDA_ALGOS;
    c->algos[slot] = a;
    return &c->algos[slot];
}

/* out = conv_kind(a, b) + beta out, with the kind's operands:
 * forward (x, w) -> y; backward data (dy, w) -> dx; backward filter (x, dy) -> dw. */
static void conv_run(void *ctx, int kind, const pgc_conv_desc *d, const float *a,
                     const float *b, float beta, float *out)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (c->failed || !out) return;
    const pgc_cuda_algo *al = conv_choose(c, kind, d);
    if (!al || !conv_describe(c, d, al->math)) return;
    size_t bytes;
    if (!CK(c, conv_ws_size(c, kind, al->algo, &bytes))) return;
    void *ws = pgc_cuda_scratch(c, PGC_SCRATCH_WS, bytes);
    if (bytes && !ws) return;
    const float one = 1.0f;
    switch (kind) {
    case PGC_CONV_FWD:
        CK(c, cudnnConvolutionForward(c->dnn, &one, c->xd, a, c->wd, b, c->cd,
                                      (cudnnConvolutionFwdAlgo_t)al->algo, ws, bytes, &beta,
                                      c->yd, out));
        break;
    case PGC_CONV_BWD_DATA:
        CK(c, cudnnConvolutionBackwardData(c->dnn, &one, c->wd, b, c->yd, a, c->cd,
                                           (cudnnConvolutionBwdDataAlgo_t)al->algo, ws, bytes,
                                           &beta, c->xd, out));
        break;
    default:
        CK(c, cudnnConvolutionBackwardFilter(c->dnn, &one, c->xd, a, c->yd, b, c->cd,
                                             (cudnnConvolutionBwdFilterAlgo_t)al->algo, ws,
                                             bytes, &beta, c->wd, out));
    }
}

void pgc_cuda_conv_forward(void *ctx, const pgc_conv_desc *d, const float *x, const float *w,
                           float *y)
{
    conv_run(ctx, PGC_CONV_FWD, d, x, w, 0.0f, y); /* overwrites y */
}

void pgc_cuda_conv_backward_data(void *ctx, const pgc_conv_desc *d, const float *dy,
                                 const float *w, float *dx)
{
    conv_run(ctx, PGC_CONV_BWD_DATA, d, dy, w, 1.0f, dx); /* dx += */
}

void pgc_cuda_conv_backward_filter(void *ctx, const pgc_conv_desc *d, const float *x,
                                   const float *dy, float *dw)
{
    conv_run(ctx, PGC_CONV_BWD_FILTER, d, x, dy, 1.0f, dw); /* dw += */
}

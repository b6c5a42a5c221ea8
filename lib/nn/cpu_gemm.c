/* Every GEMM of the CPU backend on the backend's own pool: OpenBLAS runs on one thread
 * and each pool thread multiplies its share of C's rows or columns. With OpenBLAS's own
 * threads, its idle workers spun on the cores the pool's direct and 1x1 kernels wanted
 * (resnet50 batch 1 at 2 threads: 13.9 images/s, 16.5 with OpenBLAS's spinning cut
 * short). Each element of C is one call's sum over all of K, so the split does not
 * change its bits. C = op(A) B without scaling (the convolutions' forward, W col, and
 * backward-data, W^T dy; the transposed convolution's W^T x) goes to the 16-lane GEMM
 * (cpu_gemm16.c) where the context allows it. */
#include "cpu.h"

#include <cblas.h>

typedef struct {
    int ta, tb, M, N, K, lda, ldb, ldc, byn, parts;
    float alpha, beta;
    const float *A, *B;
    float *C;
} gemm_job;

/* [lo, hi) of n split into parts pieces, multiples of al but the last */
static void share(int n, int parts, int p, int al, int *lo, int *hi)
{
    int per = (n / parts + al - 1) / al * al;
    *lo = p * per < n ? p * per : n;
    *hi = (p + 1) * per < n && p + 1 < parts ? (p + 1) * per : n;
}

static void gemm_part(void *arg, size_t p0, size_t p1)
{
    const gemm_job *j = arg;
    for (size_t p = p0; p < p1; p++) {
        int lo, hi;
        share(j->byn ? j->N : j->M, j->parts, (int)p, j->byn ? 16 : 8, &lo, &hi);
        if (hi <= lo) continue;
        const float *A = j->A, *B = j->B;
        float *C = j->C;
        int M = j->M, N = j->N;
        if (j->byn) {
            B += j->tb ? (size_t)lo * j->ldb : (size_t)lo;
            C += lo, N = hi - lo;
        } else {
            A += j->ta ? (size_t)lo : (size_t)lo * j->lda;
            C += (size_t)lo * j->ldc, M = hi - lo;
        }
        cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans,
                    j->tb ? CblasTrans : CblasNoTrans, M, N, j->K, j->alpha, A, j->lda, B,
                    j->ldb, j->beta, C, j->ldc);
    }
}

void pgc_cpu_sgemm(void *ctx, int ta, int tb, int M, int N, int K, float alpha,
                   const float *A, int lda, const float *B, int ldb, float beta, float *C,
                   int ldc)
{
    pgc_cpu_ctx *c = ctx;
    /* the convolutions' forward and backward-data GEMMs: 16 lanes where the CPU has them */
    if (!tb && alpha == 1.0f && beta == 0.0f &&
        pgc_cpu_gemm16(ctx, ta, M, N, K, A, lda, B, ldb, C, ldc) == 0)
        return;
    int threads = c ? c->threads : 1;
    int parts = (double)M * N * K < PGC_CPU_SPLIT_MACS ? 1 : threads;
    gemm_job j = {ta, tb, M, N, K, lda, ldb, ldc, N >= M, parts, alpha, beta, A, B, C};
    if (parts <= 1) {
        gemm_part(&j, 0, 1);
        return;
    }
    pgc_cpu_for(ctx, (size_t)parts, gemm_part, &j);
}

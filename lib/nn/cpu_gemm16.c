/* C = op(A) B (row-major, A transposed or not, C overwritten) in 16-lane registers where
 * the CPU has AVX-512: the GEMMs of the im2col path's forward (resnet50's stem, its
 * stride-2 and 7 x 7 convolutions, the 1x1s below 28 x 28) and backward-data, and the
 * transposed convolution's forward. This environment pins OpenBLAS to its 8-lane kernels
 * (OPENBLAS_CORETYPE), so these ran at a third of the FMA peak.
 *
 * The lanes hold 16 columns of C. B is packed once per call into column blocks of NB =
 * 16 nv columns (Bp[block][k][NB], zero past N), so that each register block reads one
 * contiguous stream; A is not packed: each of a block's MR rows is read in place and its
 * values broadcast. Packing B costs K N copies against M K N multiply-adds; packing A (the
 * weights) would cost M K per call, as much as the GEMM itself at 7 x 7.
 *
 * Each element of C is one FMA chain over k = 0 .. K-1 in order, so its bits depend on
 * neither the thread count nor the blocking; they differ from OpenBLAS's (another order),
 * which stays the reference: tests/unit/nn_fast holds the two within rounding. */
#include "cpu.h"

#include <stdlib.h>

#ifdef PGC_AVX512
enum { MR8 = 8,   /* rows per register block with up to 3 vectors of columns */
       MR6 = 6,   /* with 4 vectors (24 sums either way) */
       KC = 256,  /* rows of B per pass: a pass's share of B stays in L2 */
       NC = 256,  /* columns per panel (about: whole column blocks) */
       MG = 48,   /* rows of C per job: a multiple of both register blocks */
       KCH = 64 };  /* rows of B per packing job */

/* C rows [0, mr) x columns [0, n) (+)= A rows x the packed block bp (nv vectors wide),
 * over k in [0, K); A(r, k) at A[r lda + k], or A[k lda + r] when ta (transposed: a
 * block's rows are then side by side); more: C holds the sums of the earlier k, which
 * the chains go on from */
PGC_AVX512 static inline __attribute__((always_inline)) void
gemm_block(int mr, int nv, int ta, int K, const float *A, size_t lda, const float *bp,
           float *C, size_t ldc, int n, int more)
{
    /* every loop but k's unrolled: the sums must live in registers */
    __mmask16 m[4];
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++) {
        int left = n - 16 * v;
        m[v] = left >= 16 ? 0xffff : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
    }
    __m512 acc[MR8][4];
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            acc[r][v] = more ? _mm512_maskz_loadu_ps(m[v], C + r * ldc + 16 * v)
                             : _mm512_setzero_ps();
    for (int k = 0; k < K; k++) {
        const float *b = bp + (size_t)k * 16 * nv;
        __m512 bv[4];
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 8
        for (int r = 0; r < mr; r++) {
            __m512 a = _mm512_set1_ps(ta ? A[k * lda + r] : A[r * lda + k]);
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++) acc[r][v] = _mm512_fmadd_ps(a, bv[v], acc[r][v]);
        }
    }
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++)
#pragma GCC unroll 8
        for (int r = 0; r < mr; r++) _mm512_mask_storeu_ps(C + r * ldc + 16 * v, m[v], acc[r][v]);
}

typedef void (*block_fn)(int K, const float *A, size_t lda, const float *bp, float *C,
                         size_t ldc, int n, int more);

/* one function per (A transposed or not, rows, vectors), so that the sums live in
 * registers */
#define BLOCK(ta, mr, nv)                                                                \
    PGC_AVX512 static void block_##ta##_##mr##_##nv(int K, const float *A, size_t lda,    \
                                                    const float *bp, float *C, size_t ldc, \
                                                    int n, int more)                     \
    {                                                                                    \
        gemm_block(mr, nv, ta, K, A, lda, bp, C, ldc, n, more);                          \
    }
#define BLOCKS(ta, nv) BLOCK(ta, 1, nv) BLOCK(ta, 2, nv) BLOCK(ta, 3, nv) BLOCK(ta, 4, nv) \
    BLOCK(ta, 5, nv) BLOCK(ta, 6, nv)
#define BLOCKS_TA(ta) BLOCKS(ta, 1) BLOCKS(ta, 2) BLOCKS(ta, 3) BLOCKS(ta, 4)              \
    BLOCK(ta, 7, 1) BLOCK(ta, 8, 1) BLOCK(ta, 7, 2) BLOCK(ta, 8, 2) BLOCK(ta, 7, 3)      \
    BLOCK(ta, 8, 3)
BLOCKS_TA(0)
BLOCKS_TA(1)
#define ROW(ta, nv, b7, b8)                                                               \
    {block_##ta##_1_##nv, block_##ta##_2_##nv, block_##ta##_3_##nv, block_##ta##_4_##nv,  \
     block_##ta##_5_##nv, block_##ta##_6_##nv, b7, b8}
#define TABLE(ta)                                                                          \
    {ROW(ta, 1, block_##ta##_7_1, block_##ta##_8_1), ROW(ta, 2, block_##ta##_7_2, block_##ta##_8_2), \
     ROW(ta, 3, block_##ta##_7_3, block_##ta##_8_3), ROW(ta, 4, NULL, NULL)}
static const block_fn blocks[2][4][MR8] = {TABLE(0), TABLE(1)};

typedef struct {
    int ta, M, N, K, nv, mr;
    size_t lda, ldb, ldc, kch, nb, pb, ngroups;
    const float *A, *B;
    float *C, *bp;
} g16_job;

/* Bp[block][k][NB] for the jobs (block, chunk of KCH rows of B) in [j0, j1) */
static void pack_b_part(void *arg, size_t j0, size_t j1)
{
    const g16_job *g = arg;
    size_t nbk = 16 * (size_t)g->nv;
    for (size_t j = j0; j < j1; j++) {
        size_t blk = j / g->kch, k0 = j % g->kch * KCH, k1 = k0 + KCH;
        if (k1 > (size_t)g->K) k1 = (size_t)g->K;
        size_t c0 = blk * nbk, n = (size_t)g->N - c0 < nbk ? (size_t)g->N - c0 : nbk;
        for (size_t k = k0; k < k1; k++) {
            float *dst = g->bp + (blk * g->K + k) * nbk;
            memcpy(dst, g->B + k * g->ldb + c0, sizeof(float) * n);
            memset(dst + n, 0, sizeof(float) * (nbk - n));
        }
    }
}

/* the jobs (panel of pb column blocks, group of MG rows) in [j0, j1), panel major; each
 * goes over K in passes of KC, and in a pass over its register blocks row by row, so
 * that a block of A's rows stays in L1 across the panel and the pass's share of the
 * panel in L2 across the rows */
PGC_AVX512 static void gemm16_part(void *arg, size_t j0, size_t j1)
{
    const g16_job *g = arg;
    size_t nbk = 16 * (size_t)g->nv;
    for (size_t j = j0; j < j1; j++) {
        size_t b0 = j / g->ngroups * g->pb, b1 = b0 + g->pb < g->nb ? b0 + g->pb : g->nb;
        int r0 = (int)(j % g->ngroups) * MG, r1 = r0 + MG < g->M ? r0 + MG : g->M;
        for (int k0 = 0; k0 < g->K; k0 += KC) {
            int kc = g->K - k0 < KC ? g->K - k0 : KC;
            for (int r = r0; r < r1; r += g->mr) {
                int mr = r1 - r < g->mr ? r1 - r : g->mr;
                const float *a = g->ta ? g->A + (size_t)k0 * g->lda + r
                                       : g->A + (size_t)r * g->lda + k0;
                for (size_t blk = b0; blk < b1; blk++) {
                    size_t c0 = blk * nbk;
                    int n = g->N - (int)c0 < (int)nbk ? g->N - (int)c0 : (int)nbk;
                    blocks[g->ta][g->nv - 1][mr - 1](kc, a, g->lda, g->bp + (blk * g->K + k0) * nbk,
                                              g->C + (size_t)r * g->ldc + c0, g->ldc, n,
                                              k0 > 0);
                }
            }
        }
    }
}

/* vectors per column block: the least padded work, one vector counted at twice the
 * cost (8 broadcasts feed only 8 FMAs: the loads bound it), two at 1.1 (N = 49: 4, one
 * block of 64; 196: 3, 5 blocks of 48; 784: 3; multiples of 64: 4) */
static int vectors(int N)
{
    static const double cost[4] = {2.0, 1.1, 1.0, 1.0};
    int best = 4;
    double least = -1;
    for (int nv = 4; nv >= 1; nv--) {
        size_t nb = 16 * (size_t)nv;
        double c = (double)(((size_t)N + nb - 1) / nb * nb) * cost[nv - 1];
        if (least < 0 || c < least) least = c, best = nv;
    }
    return best;
}
#endif

int pgc_cpu_gemm16(void *ctx, int ta, int M, int N, int K, const float *A, int lda,
                   const float *B, int ldb, float *C, int ldc)
{
#ifdef PGC_AVX512
    pgc_cpu_ctx *c = ctx;
    if (!c || !c->avx512 || M < 1 || N < 1 || K < 1) return -1;
    int nv = vectors(N);
    size_t nbk = 16 * (size_t)nv, nb = ((size_t)N + nbk - 1) / nbk, need = nb * nbk * K;
    if (need > c->pack_n) { /* grows to the largest GEMM once, then stays */
        float *p = aligned_alloc(64, (need * sizeof(float) + 63) / 64 * 64);
        if (!p) return -1;
        free(c->pack);
        c->pack = p, c->pack_n = need;
    }
    size_t kch = ((size_t)K + KCH - 1) / KCH, pb = NC / nbk;
    size_t npanels = (nb + pb - 1) / pb, ngroups = ((size_t)M + MG - 1) / MG;
    g16_job g = {ta != 0, M, N, K, nv, nv == 4 ? MR6 : MR8, (size_t)lda, (size_t)ldb, (size_t)ldc,
                 kch, nb, pb, ngroups, A, B, C, c->pack};
    if ((double)M * N * K < PGC_CPU_SPLIT_MACS) {
        pack_b_part(&g, 0, nb * kch);
        gemm16_part(&g, 0, npanels * ngroups);
    } else {
        pgc_cpu_for(ctx, nb * kch, pack_b_part, &g);
        pgc_cpu_for(ctx, npanels * ngroups, gemm16_part, &g);
    }
    return 0;
#else
    (void)ctx, (void)ta, (void)M, (void)N, (void)K, (void)A, (void)lda, (void)B, (void)ldb, (void)C,
        (void)ldc;
    return -1;
#endif
}

/* 1x1 stride-1 convolutions (resnet50's bottlenecks) in 16-lane registers where the CPU
 * has AVX-512: y[o][q] = sum_c w[o][c] x[c][q], and the backward-data pass, the same sum
 * with the weights transposed, added into dx. The image is read in place (no copy), in
 * register blocks of 8 output channels x 48 positions (24 sums), position tiles first so
 * that a tile of every input plane stays in L2 while all output channels pass over it.
 *
 * OpenBLAS's sgemm does the same GEMM; where it runs its AVX2 kernels (this environment
 * pins them with OPENBLAS_CORETYPE) this kernel has twice its vector width. The im2col +
 * sgemm path (cpu_conv.c) stays the reference: tests/unit/nn_fast checks the two. */
#include "cpu.h"

#include <string.h>


enum { PO = 8,       /* output channels per register block */
       PQ = 48,      /* positions per register block (3 vectors of 16) */
       PTILE = 5 };  /* blocks per job */

int pgc_cpu_pointwise_ok(const pgc_conv_desc *d)
{
    return d->k == 1 && d->stride == 1 && d->pad == 0 && d->ho == d->h && d->wo == d->w;
}

static size_t up8(int c) { return ((size_t)c + PO - 1) / PO * PO; }

size_t pgc_cpu_pointwise_workspace(const pgc_conv_desc *d)
{
    /* the weights reordered, for either direction; one image's input packed by tiles */
    size_t cm = (size_t)(d->cin > d->cout ? d->cin : d->cout);
    return up8((int)cm) * cm + ((size_t)d->h * d->w + PQ - 1) / PQ * PQ * cm;
}

#ifdef PGC_AVX512
/* out rows (PO, n <= PQ positions) = sum_c wr[c][PO] x[c][0..n) (x packed: the block's
 * PQ positions of each channel in turn, zero past the plane), stored or added */
PGC_AVX512 static void pw_block(const float *x, int cin, const float *wr, float *y,
                               size_t ldy, int n, int nj, int add)
{
    __m512 a[PO][3];
    for (int j = 0; j < PO; j++) a[j][0] = a[j][1] = a[j][2] = _mm512_setzero_ps();
    __mmask16 m[3];
    for (int v = 0; v < 3; v++) {
        int k = n - 16 * v;
        m[v] = k >= 16 ? 0xffff : k <= 0 ? 0 : (__mmask16)((1u << k) - 1);
    }
    for (int c = 0; c < cin; c++) {
        const float *xc = x + (size_t)c * PQ, *wc = wr + (size_t)c * PO;
        __m512 x0 = _mm512_loadu_ps(xc), x1 = _mm512_loadu_ps(xc + 16),
               x2 = _mm512_loadu_ps(xc + 32);
#pragma GCC unroll 8
        for (int j = 0; j < PO; j++) {
            __m512 b = _mm512_set1_ps(wc[j]);
            a[j][0] = _mm512_fmadd_ps(x0, b, a[j][0]);
            a[j][1] = _mm512_fmadd_ps(x1, b, a[j][1]);
            a[j][2] = _mm512_fmadd_ps(x2, b, a[j][2]);
        }
    }
    for (int j = 0; j < nj; j++)
        for (int v = 0; v < 3; v++) {
            float *p = y + j * ldy + 16 * v;
            __m512 r = a[j][v];
            if (add) r = _mm512_add_ps(_mm512_maskz_loadu_ps(m[v], p), r);
            _mm512_mask_storeu_ps(p, m[v], r);
        }
}

typedef struct {
    const float *x, *wr; /* x: the packed tiles, or the image while packing */
    float *y;            /* y: the output, or the packed tiles while packing */
    int cin, cout, add;
    size_t hw, nob;
} pw_job;

/* xp[block][c][PQ] = x[c][block PQ + ...], 0 past the plane: each register block reads
 * one contiguous stream; the blocks of tiles [t0, t1) */
static void pack_part(void *arg, size_t t0, size_t t1)
{
    const pw_job *j = arg;
    size_t nb = (j->hw + PQ - 1) / PQ;
    for (size_t b = t0 * PTILE; b < t1 * PTILE && b < nb; b++) {
        size_t q0 = b * PQ, n = j->hw - q0 < PQ ? j->hw - q0 : PQ;
        for (int c = 0; c < j->cin; c++) {
            float *dst = j->y + (b * j->cin + c) * PQ;
            memcpy(dst, j->x + (size_t)c * j->hw + q0, sizeof(float) * n);
            memset(dst + n, 0, sizeof(float) * (PQ - n));
        }
    }
}

static void pw_part(void *arg, size_t j0, size_t j1)
{
    const pw_job *j = arg;
    for (size_t job = j0; job < j1; job++) {
        size_t tile = job / j->nob, ob = job % j->nob;
        size_t q0 = tile * PTILE * PQ, q1 = q0 + PTILE * PQ < j->hw ? q0 + PTILE * PQ : j->hw;
        int nj = j->cout - (int)ob * PO < PO ? j->cout - (int)ob * PO : PO;
        const float *wr = j->wr + ob * j->cin * PO;
        for (size_t q = q0; q < q1; q += PQ)
            pw_block(j->x + q / PQ * j->cin * PQ, j->cin, wr, j->y + ob * PO * j->hw + q, j->hw,
                     (int)(q1 - q < PQ ? q1 - q : PQ), nj, j->add);
    }
}

/* wr[ob][c][jj] = the weight of output ob PO + jj, input c (0 past the last output);
 * flip: the backward-data weights (outputs and inputs swapped) */
static void pw_weights(const pgc_conv_desc *d, const float *w, int flip, float *wr)
{
    int co = flip ? d->cin : d->cout, ci = flip ? d->cout : d->cin;
    size_t nob = up8(co) / PO;
    for (size_t ob = 0; ob < nob; ob++)
        for (int c = 0; c < ci; c++)
            for (int jj = 0; jj < PO; jj++) {
                int o = (int)ob * PO + jj;
                wr[(ob * ci + c) * PO + jj] =
                    o >= co ? 0 : flip ? w[(size_t)c * d->cin + o] : w[(size_t)o * d->cin + c];
            }
}

static void pw_apply(void *ctx, const pgc_conv_desc *d, const float *x, const float *w,
                     float *y, int flip)
{
    pgc_cpu_ctx *c = ctx;
    int ci = flip ? d->cout : d->cin, co = flip ? d->cin : d->cout;
    size_t hw = (size_t)d->h * d->w, nob = up8(co) / PO;
    size_t ntiles = (hw + PTILE * PQ - 1) / (PTILE * PQ);
    size_t cm = (size_t)(d->cin > d->cout ? d->cin : d->cout);
    float *wr = c->ws, *xp = c->ws + up8((int)cm) * cm;
    pw_weights(d, w, flip, wr);
    for (int i = 0; i < d->n; i++) {
        pw_job p = {x + (size_t)i * ci * hw, NULL, xp, ci, co, flip, hw, nob};
        pgc_cpu_for(ctx, ntiles, pack_part, &p);
        pw_job j = {xp, wr, y + (size_t)i * co * hw, ci, co, flip, hw, nob};
        pgc_cpu_for(ctx, ntiles * nob, pw_part, &j);
    }
}
#endif

void pgc_cpu_pointwise_forward(void *ctx, const pgc_conv_desc *d, const float *x,
                               const float *w, float *y)
{
#ifdef PGC_AVX512
    pw_apply(ctx, d, x, w, y, 0);
#endif
}

void pgc_cpu_pointwise_backward_data(void *ctx, const pgc_conv_desc *d, const float *dy,
                                     const float *w, float *dx)
{
#ifdef PGC_AVX512
    pw_apply(ctx, d, dy, w, dx, 1);
#endif
}

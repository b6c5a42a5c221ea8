/* Direct 3x3 stride-1 pad-1 convolutions, forward and both backward passes, without
 * im2col: the 9 taps are read in place from a zero-padded copy of each input plane.
 *
 * Layout: a plane (h, w) is padded into rows of wp = w + 1 floats, row 0 and row h + 1
 * zero, column 0 zero: xp[(iy + 1) wp + ix + 1] = x[iy][ix]. Column 0 of row r + 1 is
 * then both the left pad of that row and the right pad of row r, so output pixel
 * q = oy wp + ox (ox < w) reads tap (ky, kx) at xp[q + ky wp + kx]: every output pixel
 * of a plane is one contiguous run of positions q in [0, h wp), the positions ox = w
 * being junk that is computed and dropped. A 3x3 convolution becomes a small GEMM whose
 * columns are shifted views of one padded plane (an implicit im2col), computed in
 * register blocks of 4 output channels x 24 positions.
 *
 * The im2col + sgemm path (cpu_conv.c) stays the reference; tests/unit/nn_direct.c
 * checks the two against each other. */
#include "cpu.h"

#include <string.h>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define DIRECT_AVX2 1
#endif

enum { OB = 4,   /* output channels per register block */
       PB = 24,  /* positions per register block (3 vectors of 8) */
       TILE = 10 /* blocks per forward job */ };

typedef struct {
    int wp;
    size_t q, qr, cs; /* positions h wp; rounded up to PB; padded plane stride */
} dlayout;

static dlayout layout_of(int h, int w)
{
    dlayout l;
    l.wp = w + 1;
    l.q = (size_t)h * l.wp;
    l.qr = (l.q + PB - 1) / PB * PB;
    /* reads reach q + 2 wp + 2 for q < qr */
    l.cs = (l.qr + 2 * (size_t)l.wp + 2 + 7) / 8 * 8;
    return l;
}

int pgc_cpu_direct_ok(const pgc_conv_desc *d)
{
    return d->k == 3 && d->stride == 1 && d->pad == 1 && d->ho == d->h && d->wo == d->w;
}

static size_t up4(int c) { return ((size_t)c + OB - 1) / OB * OB; }

size_t pgc_cpu_direct_workspace(const pgc_conv_desc *d)
{
    dlayout l = layout_of(d->h, d->w);
    size_t cmax = (size_t)(d->cin > d->cout ? d->cin : d->cout);
    /* padded planes of the input (or of dy), dy in the flat layout, weights reordered */
    return cmax * l.cs + (size_t)d->cout * l.qr + up4(d->cin > d->cout ? d->cin : d->cout) * cmax * 9;
}

/* ---- padding ---- */

typedef struct {
    const float *src;
    float *dst;
    int h, w;
    dlayout l;
    int flat; /* 1: the flat output layout (dst[oy wp + ox], junk and tail 0, stride qr) */
} pad_job;

static void pad_part(void *arg, size_t p0, size_t p1)
{
    const pad_job *j = arg;
    int h = j->h, w = j->w, wp = j->l.wp;
    for (size_t p = p0; p < p1; p++) {
        const float *s = j->src + p * h * w;
        if (j->flat) {
            float *o = j->dst + p * j->l.qr;
            for (int r = 0; r < h; r++) {
                memcpy(o + (size_t)r * wp, s + (size_t)r * w, sizeof(float) * w);
                o[(size_t)r * wp + w] = 0;
            }
            memset(o + j->l.q, 0, sizeof(float) * (j->l.qr - j->l.q));
            continue;
        }
        float *o = j->dst + p * j->l.cs;
        memset(o, 0, sizeof(float) * (wp + 1));
        for (int r = 0; r < h; r++) {
            float *row = o + (size_t)(r + 1) * wp;
            memcpy(row + 1, s + (size_t)r * w, sizeof(float) * w);
            row[wp] = 0; /* the next row's column 0 */
        }
        size_t used = (size_t)(h + 1) * wp + 1;
        memset(o + used, 0, sizeof(float) * (j->l.cs - used));
    }
}

static void pad_planes(void *ctx, const float *src, size_t planes, int h, int w, dlayout l,
                       int flat, float *dst)
{
    pad_job j = {src, dst, h, w, l, flat};
    pgc_cpu_for(ctx, planes, pad_part, &j);
}

/* ---- forward kernel: out (OB, PB) = sum_c,t wr[c][t][OB] xp[c][q + off[t]] ---- */

static void block_fwd(const float *xp, size_t cs, int cin, const float *wr, int wp,
                      float *out, size_t ld)
{
#ifdef DIRECT_AVX2
    __m256 a[OB][3];
    for (int j = 0; j < OB; j++) a[j][0] = a[j][1] = a[j][2] = _mm256_setzero_ps();
    for (int c = 0; c < cin; c++) {
        const float *xc = xp + (size_t)c * cs, *wc = wr + (size_t)c * 9 * OB;
        for (int ky = 0; ky < 3; ky++)
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++) {
                const float *s = xc + ky * wp + kx, *wt = wc + (ky * 3 + kx) * OB;
                __m256 x0 = _mm256_loadu_ps(s), x1 = _mm256_loadu_ps(s + 8),
                       x2 = _mm256_loadu_ps(s + 16);
#pragma GCC unroll 4
                for (int j = 0; j < OB; j++) {
                    __m256 b = _mm256_broadcast_ss(wt + j);
                    a[j][0] = _mm256_fmadd_ps(x0, b, a[j][0]);
                    a[j][1] = _mm256_fmadd_ps(x1, b, a[j][1]);
                    a[j][2] = _mm256_fmadd_ps(x2, b, a[j][2]);
                }
            }
    }
    for (int j = 0; j < OB; j++) {
        _mm256_storeu_ps(out + j * ld, a[j][0]);
        _mm256_storeu_ps(out + j * ld + 8, a[j][1]);
        _mm256_storeu_ps(out + j * ld + 16, a[j][2]);
    }
#else
    pgc_v8 a[OB][3] = {{{0}}};
    for (int c = 0; c < cin; c++) {
        const float *xc = xp + (size_t)c * cs, *wc = wr + (size_t)c * 9 * OB;
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++) {
                const float *s = xc + ky * wp + kx, *wt = wc + (ky * 3 + kx) * OB;
                pgc_v8 x0 = v8_load(s), x1 = v8_load(s + 8), x2 = v8_load(s + 16);
                for (int j = 0; j < OB; j++) {
                    float b = wt[j];
                    a[j][0] += x0 * b, a[j][1] += x1 * b, a[j][2] += x2 * b;
                }
            }
    }
    for (int j = 0; j < OB; j++)
        for (int v = 0; v < 3; v++) v8_store(out + j * ld + 8 * v, a[j][v]);
#endif
}

typedef struct {
    const float *xp; /* padded input planes, stride cs */
    const float *wr; /* [ob][cin][9][OB] */
    float *y;        /* (cout, h, w) of this image */
    int cin, cout, h, w, accumulate;
    dlayout l;
    size_t nob; /* output-channel blocks */
} fwd_job;

static void fwd_part(void *arg, size_t j0, size_t j1)
{
    const fwd_job *j = arg;
    const dlayout *l = &j->l;
    float out[OB][TILE * PB];
    size_t hw = (size_t)j->h * j->w;
    for (size_t job = j0; job < j1; job++) {
        /* tile-major: the output-channel blocks of a tile follow each other while its
         * input rows are in L2, and a thread streams its part of the planes once (blocks
         * first re-read every plane from L3 or memory once per 4 output channels: 32 -> 16
         * channels at 224x224 ran at 40% of the speed of 16 -> 32) */
        size_t tile = job / j->nob, ob = job % j->nob;
        size_t q0 = tile * TILE * PB, q1 = q0 + TILE * PB;
        if (q1 > l->qr) q1 = l->qr;
        const float *wr = j->wr + ob * j->cin * 9 * OB;
        for (size_t q = q0; q < q1; q += PB)
            block_fwd(j->xp + q, l->cs, j->cin, wr, l->wp, &out[0][q - q0], TILE * PB);
        if (q1 > l->q) q1 = l->q;
        /* write the valid positions: ox < w */
        int nj = j->cout - (int)ob * OB < OB ? j->cout - (int)ob * OB : OB;
        for (int jj = 0; jj < nj; jj++) {
            float *yo = j->y + (ob * OB + jj) * hw;
            const float *src = out[jj];
            size_t q = q0;
            while (q < q1) {
                size_t oy = q / l->wp, ox = q % l->wp;
                size_t run = (size_t)l->wp - ox; /* to the row's end, junk column included */
                if (q + run > q1) run = q1 - q;
                size_t valid = ox + run > (size_t)j->w ? (ox < (size_t)j->w ? j->w - ox : 0) : run;
                float *dst = yo + oy * j->w + ox;
                const float *s = src + (q - q0);
                if (j->accumulate)
                    for (size_t k = 0; k < valid; k++) dst[k] += s[k];
                else
                    memcpy(dst, s, sizeof(float) * valid);
                q += run;
            }
        }
    }
}

/* wr[ob][c][t][jj] = w of output ob OB + jj, input c, tap t; flip: the backward-data
 * weights (output channel = the conv's input channel, taps mirrored). */
static void reorder_weights(const pgc_conv_desc *d, const float *w, int flip, float *wr)
{
    int co = flip ? d->cin : d->cout, ci = flip ? d->cout : d->cin;
    size_t nob = up4(co) / OB;
    for (size_t ob = 0; ob < nob; ob++)
        for (int c = 0; c < ci; c++)
            for (int t = 0; t < 9; t++)
                for (int jj = 0; jj < OB; jj++) {
                    int o = (int)ob * OB + jj;
                    float v = 0;
                    if (o < co)
                        v = flip ? w[((size_t)c * d->cin + o) * 9 + (8 - t)]
                                 : w[((size_t)o * d->cin + c) * 9 + t];
                    wr[((ob * ci + c) * 9 + t) * OB + jj] = v;
                }
}

/* y = conv(x) (accumulate 0) or dx += conv^T(dy) (flip 1, accumulate 1) */
static void direct_apply(void *ctx, const pgc_conv_desc *d, const float *x, const float *w,
                         float *y, int flip)
{
    pgc_cpu_ctx *c = ctx;
    dlayout l = layout_of(d->h, d->w);
    int ci = flip ? d->cout : d->cin, co = flip ? d->cin : d->cout;
    size_t cmax = (size_t)(d->cin > d->cout ? d->cin : d->cout);
    float *xp = c->ws, *wr = c->ws + cmax * l.cs + (size_t)d->cout * l.qr;
    reorder_weights(d, w, flip, wr);
    size_t hw = (size_t)d->h * d->w;
    size_t ntiles = (l.qr / PB + TILE - 1) / TILE, nob = up4(co) / OB;
    for (int i = 0; i < d->n; i++) {
        pad_planes(ctx, x + (size_t)i * ci * hw, ci, d->h, d->w, l, 0, xp);
        fwd_job j = {xp, wr, y + (size_t)i * co * hw, ci, co, d->h, d->w, flip, l, nob};
        pgc_cpu_for(ctx, nob * ntiles, fwd_part, &j);
    }
}

void pgc_cpu_direct_forward(void *ctx, const pgc_conv_desc *d, const float *x,
                            const float *w, float *y)
{
    direct_apply(ctx, d, x, w, y, 0);
}

void pgc_cpu_direct_backward_data(void *ctx, const pgc_conv_desc *d, const float *dy,
                                  const float *w, float *dx)
{
    direct_apply(ctx, d, dy, w, dx, 1);
}

/* ---- backward filter: dw[o][c][t] += sum_q dyq[o][q] xp[c][q + off[t]] ---- */

typedef struct {
    const float *xp, *dyq;
    float *dw;
    int cin, cout;
    dlayout l;
    size_t ncb; /* input-channel blocks per output-channel block */
} bwf_job;

enum { CHUNK = 1024 }; /* positions per pass, a multiple of PB: dy's 4 rows stay in L1 */

/* Jobs (ob, input-channel block) write disjoint parts of dw, and each dw element sums
 * its chunks in the same order whatever the split: the bits do not depend on it. */
static void bwf_part(void *arg, size_t job0, size_t job1)
{
    const bwf_job *j = arg;
    const dlayout *l = &j->l;
    int wp = l->wp;
    for (size_t q0 = 0; q0 < l->qr; q0 += CHUNK) {
        size_t q1 = q0 + CHUNK < l->qr ? q0 + CHUNK : l->qr;
        for (size_t job = job0; job < job1; job++) {
            size_t ob = job / j->ncb, cb = job % j->ncb;
            int c0 = (int)(j->cin * cb / j->ncb), c1 = (int)(j->cin * (cb + 1) / j->ncb);
            int nj = j->cout - (int)ob * OB < OB ? j->cout - (int)ob * OB : OB;
            const float *dq[OB];
            for (int jj = 0; jj < OB; jj++)
                dq[jj] = j->dyq + (ob * OB + (jj < nj ? jj : 0)) * l->qr;
            for (int c = c0; c < c1; c++)
                for (int ky = 0; ky < 3; ky++) {
                    const float *xr = j->xp + (size_t)c * l->cs + (size_t)ky * wp;
                    float s[OB][3];
#ifdef DIRECT_AVX2
                    __m256 a[OB][3];
                    for (int jj = 0; jj < OB; jj++)
                        a[jj][0] = a[jj][1] = a[jj][2] = _mm256_setzero_ps();
                    for (size_t q = q0; q < q1; q += 8) {
                        __m256 x0 = _mm256_loadu_ps(xr + q), x1 = _mm256_loadu_ps(xr + q + 1),
                               x2 = _mm256_loadu_ps(xr + q + 2);
#pragma GCC unroll 4
                        for (int jj = 0; jj < OB; jj++) {
                            __m256 g = _mm256_loadu_ps(dq[jj] + q);
                            a[jj][0] = _mm256_fmadd_ps(g, x0, a[jj][0]);
                            a[jj][1] = _mm256_fmadd_ps(g, x1, a[jj][1]);
                            a[jj][2] = _mm256_fmadd_ps(g, x2, a[jj][2]);
                        }
                    }
                    for (int jj = 0; jj < OB; jj++)
                        for (int kx = 0; kx < 3; kx++) {
                            float v[8];
                            _mm256_storeu_ps(v, a[jj][kx]);
                            s[jj][kx] = ((v[0] + v[1]) + (v[2] + v[3])) +
                                        ((v[4] + v[5]) + (v[6] + v[7]));
                        }
#else
                    pgc_v8 a[OB][3] = {{{0}}};
                    for (size_t q = q0; q < q1; q += 8) {
                        pgc_v8 x0 = v8_load(xr + q), x1 = v8_load(xr + q + 1),
                               x2 = v8_load(xr + q + 2);
                        for (int jj = 0; jj < OB; jj++) {
                            pgc_v8 g = v8_load(dq[jj] + q);
                            a[jj][0] += g * x0, a[jj][1] += g * x1, a[jj][2] += g * x2;
                        }
                    }
                    for (int jj = 0; jj < OB; jj++)
                        for (int kx = 0; kx < 3; kx++) s[jj][kx] = v8_sum(a[jj][kx]);
#endif
                    for (int jj = 0; jj < nj; jj++)
                        for (int kx = 0; kx < 3; kx++)
                            j->dw[(((ob * OB + jj) * j->cin + c) * 3 + ky) * 3 + kx] +=
                                s[jj][kx];
                }
        }
    }
}

void pgc_cpu_direct_backward_filter(void *ctx, const pgc_conv_desc *d, const float *x,
                                    const float *dy, float *dw)
{
    pgc_cpu_ctx *c = ctx;
    dlayout l = layout_of(d->h, d->w);
    size_t cmax = (size_t)(d->cin > d->cout ? d->cin : d->cout);
    float *xp = c->ws, *dyq = c->ws + cmax * l.cs;
    size_t hw = (size_t)d->h * d->w, nob = up4(d->cout) / OB;
    /* Split the input channels too when there are few output-channel blocks per thread
     * (one image, few channels): about 4 jobs a thread keeps the split even. */
    size_t want = c->threads > 1 ? 4 * (size_t)c->threads : 1;
    size_t ncb = nob >= want ? 1 : (want + nob - 1) / nob;
    if (ncb > (size_t)d->cin) ncb = (size_t)d->cin;
    for (int i = 0; i < d->n; i++) {
        pad_planes(ctx, x + (size_t)i * d->cin * hw, d->cin, d->h, d->w, l, 0, xp);
        pad_planes(ctx, dy + (size_t)i * d->cout * hw, d->cout, d->h, d->w, l, 1, dyq);
        bwf_job j = {xp, dyq, dw, d->cin, d->cout, l, ncb};
        pgc_cpu_for(ctx, nob * ncb, bwf_part, &j);
    }
}

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
#define DIRECT_AVX2 1
#endif
/* Where the CPU has AVX-512 the kernels below also run 16 lanes at a time (PGC_AVX512:
 * twice the FMA width on Zen 5, whose 512-bit units are full width). In the forward and
 * backward-data passes each lane sums its output's terms in the 8-lane kernel's order,
 * so both give the same bits; the filter gradient sums in another order
 * (tests/unit/nn_fast checks both against im2col + sgemm). */

int pgc_cpu_has_avx512(void)
{
#ifdef PGC_AVX512
    __builtin_cpu_init(); /* GCC's check includes the OS saving the zmm state */
    return __builtin_cpu_supports("avx512f") != 0;
#else
    return 0;
#endif
}

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
    /* padded planes of the input (or of dy), dy in the flat layout (16-lane filter
     * gradient: transposed, in groups of 16 channels), weights reordered */
    size_t dyn = ((size_t)d->cout + 15) / 16 * 16 * l.qr;
    return cmax * l.cs + dyn + up4(d->cin > d->cout ? d->cin : d->cout) * cmax * 9;
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

#ifdef PGC_AVX512
/* block_fwd over two blocks (OB channels x 2 PB positions) in 16-lane registers */
PGC_AVX512 static void block_fwd16(const float *xp, size_t cs, int cin, const float *wr,
                                      int wp, float *out, size_t ld)
{
    __m512 a[OB][3];
    for (int j = 0; j < OB; j++) a[j][0] = a[j][1] = a[j][2] = _mm512_setzero_ps();
    for (int c = 0; c < cin; c++) {
        const float *xc = xp + (size_t)c * cs, *wc = wr + (size_t)c * 9 * OB;
        for (int ky = 0; ky < 3; ky++)
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++) {
                const float *s = xc + ky * wp + kx, *wt = wc + (ky * 3 + kx) * OB;
                __m512 x0 = _mm512_loadu_ps(s), x1 = _mm512_loadu_ps(s + 16),
                       x2 = _mm512_loadu_ps(s + 32);
#pragma GCC unroll 4
                for (int j = 0; j < OB; j++) {
                    __m512 b = _mm512_set1_ps(wt[j]);
                    a[j][0] = _mm512_fmadd_ps(x0, b, a[j][0]);
                    a[j][1] = _mm512_fmadd_ps(x1, b, a[j][1]);
                    a[j][2] = _mm512_fmadd_ps(x2, b, a[j][2]);
                }
            }
    }
    for (int j = 0; j < OB; j++) {
        _mm512_storeu_ps(out + j * ld, a[j][0]);
        _mm512_storeu_ps(out + j * ld + 16, a[j][1]);
        _mm512_storeu_ps(out + j * ld + 32, a[j][2]);
    }
}

#endif

typedef struct {
    const float *xp; /* padded input planes, stride cs */
    const float *wr; /* [ob][cin][9][OB] */
    float *y;        /* (cout, h, w) of this image */
    int cin, cout, h, w, accumulate, avx512;
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
        for (size_t q = q0; q < q1;) {
#ifdef PGC_AVX512
            if (j->avx512 && q + 2 * PB <= q1) {
                block_fwd16(j->xp + q, l->cs, j->cin, wr, l->wp, &out[0][q - q0], TILE * PB);
                q += 2 * PB;
                continue;
            }
#endif
            block_fwd(j->xp + q, l->cs, j->cin, wr, l->wp, &out[0][q - q0], TILE * PB);
            q += PB;
        }
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
typedef struct {
    const pgc_conv_desc *d;
    const float *w;
    int flip;
    float *wr;
} reorder_job;

/* output-channel blocks [ob0, ob1) */
static void reorder_part(void *arg, size_t ob0, size_t ob1)
{
    const reorder_job *j = arg;
    const pgc_conv_desc *d = j->d;
    int co = j->flip ? d->cin : d->cout, ci = j->flip ? d->cout : d->cin;
    /* in the order w is stored (each output's taps are contiguous): a layer of 512 x 512
     * channels read across outputs cost 3% of resnet50's inference */
    for (size_t ob = ob0; ob < ob1; ob++)
        for (int jj = 0; jj < OB; jj++) {
            int o = (int)ob * OB + jj;
            for (int c = 0; c < ci; c++) {
                float *dst = j->wr + (ob * ci + c) * 9 * OB + jj;
                if (o >= co)
                    for (int t = 0; t < 9; t++) dst[t * OB] = 0;
                else if (j->flip)
                    for (int t = 0; t < 9; t++) dst[t * OB] = j->w[((size_t)c * d->cin + o) * 9 + (8 - t)];
                else
                    for (int t = 0; t < 9; t++) dst[t * OB] = j->w[((size_t)o * d->cin + c) * 9 + t];
            }
        }
}

static void reorder_weights(void *ctx, const pgc_conv_desc *d, const float *w, int flip,
                            float *wr)
{
    reorder_job j = {d, w, flip, wr};
    pgc_cpu_for(ctx, up4(flip ? d->cin : d->cout) / OB, reorder_part, &j);
}

/* y = conv(x) (accumulate 0) or dx += conv^T(dy) (flip 1, accumulate 1) */
static void direct_apply(void *ctx, const pgc_conv_desc *d, const float *x, const float *w,
                         float *y, int flip)
{
    pgc_cpu_ctx *c = ctx;
    dlayout l = layout_of(d->h, d->w);
    int ci = flip ? d->cout : d->cin, co = flip ? d->cin : d->cout;
    size_t cmax = (size_t)(d->cin > d->cout ? d->cin : d->cout);
    float *xp = c->ws, *wr = c->ws + cmax * l.cs + ((size_t)d->cout + 15) / 16 * 16 * l.qr;
    reorder_weights(ctx, d, w, flip, wr);
    size_t hw = (size_t)d->h * d->w;
    size_t ntiles = (l.qr / PB + TILE - 1) / TILE, nob = up4(co) / OB;
    for (int i = 0; i < d->n; i++) {
        pad_planes(ctx, x + (size_t)i * ci * hw, ci, d->h, d->w, l, 0, xp);
        fwd_job j = {xp, wr, y + (size_t)i * co * hw, ci, co, d->h, d->w, flip, c->avx512, l, nob};
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

/* s[jj][kx] = sum over q in [q0, q1) of dq[jj][q] xr[q + kx], 8 lanes a time, each lane
 * over q of its residue mod 8, the lanes summed pairwise */
static void bwf_row8(const float *xr, const float *const dq[OB], size_t q0, size_t q1,
                     float s[OB][3])
{
#ifdef DIRECT_AVX2
    __m256 a[OB][3];
    for (int jj = 0; jj < OB; jj++) a[jj][0] = a[jj][1] = a[jj][2] = _mm256_setzero_ps();
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
            s[jj][kx] = ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
        }
#else
    pgc_v8 a[OB][3] = {{{0}}};
    for (size_t q = q0; q < q1; q += 8) {
        pgc_v8 x0 = v8_load(xr + q), x1 = v8_load(xr + q + 1), x2 = v8_load(xr + q + 2);
        for (int jj = 0; jj < OB; jj++) {
            pgc_v8 g = v8_load(dq[jj] + q);
            a[jj][0] += g * x0, a[jj][1] += g * x1, a[jj][2] += g * x2;
        }
    }
    for (int jj = 0; jj < OB; jj++)
        for (int kx = 0; kx < 3; kx++) s[jj][kx] = v8_sum(a[jj][kx]);
#endif
}


/* Jobs (ob, input-channel block) write disjoint parts of dw, and each dw element sums
 * its chunks in the same order whatever the split: the bits do not depend on it. */
static void bwf_part(void *arg, size_t job0, size_t job1)
{
    const bwf_job *j = arg;
    const dlayout *l = &j->l;
    int wp = l->wp, gc = OB; /* output channels per job */
    for (size_t q0 = 0; q0 < l->qr; q0 += CHUNK) {
        size_t q1 = q0 + CHUNK < l->qr ? q0 + CHUNK : l->qr;
        for (size_t job = job0; job < job1; job++) {
            size_t og = job / j->ncb, cb = job % j->ncb;
            int c0 = (int)(j->cin * cb / j->ncb), c1 = (int)(j->cin * (cb + 1) / j->ncb);
            int o0 = (int)og * gc, nj = j->cout - o0 < gc ? j->cout - o0 : gc;
            const float *dq[OB];
            for (int jj = 0; jj < gc; jj++) /* past the last channel: any row, dropped */
                dq[jj] = j->dyq + (size_t)(o0 + (jj < nj ? jj : 0)) * l->qr;
            for (int c = c0; c < c1; c++)
                for (int ky = 0; ky < 3; ky++) {
                    const float *xr = j->xp + (size_t)c * l->cs + (size_t)ky * wp;
                    float s[OB][3];
                    bwf_row8(xr, dq, q0, q1, s);
                    for (int jj = 0; jj < nj; jj++)
                        for (int kx = 0; kx < 3; kx++)
                            j->dw[(((size_t)(o0 + jj) * j->cin + c) * 3 + ky) * 3 + kx] +=
                                s[jj][kx];
                }
        }
    }
}

#ifdef PGC_AVX512
/* The filter gradient in 16 lanes: lanes are 16 output channels, so that each tap's sum
 * over positions is a plain FMA chain, no lane sums: dyt holds dy transposed (position,
 * 16 channels), and each x value is broadcast from memory into the FMA. FC input channels
 * at a time: 9 FC sums, 28 loads for 27 FMAs a position. */
enum { FC = 3, FCHUNK = 512 }; /* positions per pass: dyt's chunk (32 KiB) stays in L1 */

/* acc[cc][t][o] = sum over q in [q0, q1) of dyt[q][o] xs[cc][q + off(t)]. GCC's
 * predictive commoning would carry x values from one position to the next (tap kx + 1
 * is tap kx one position on) through the stack: 27 sums leave no registers for them. */
#ifdef __clang__
#define NO_PCOM
#else
#define NO_PCOM __attribute__((optimize("no-predictive-commoning")))
#endif
PGC_AVX512 NO_PCOM static void bwf_tile16(const float *const xs[FC], const float *dyt, int wp,
                                     size_t q0, size_t q1, float *acc)
{
    __m512 a[FC][9];
    for (int cc = 0; cc < FC; cc++)
        for (int t = 0; t < 9; t++) a[cc][t] = _mm512_setzero_ps();
    for (size_t q = q0; q < q1; q++) {
        __m512 g = _mm512_loadu_ps(dyt + q * 16);
#pragma GCC unroll 3
        for (int cc = 0; cc < FC; cc++) {
            const float *x = xs[cc] + q;
#pragma GCC unroll 9
            for (int t = 0; t < 9; t++)
                a[cc][t] = _mm512_fmadd_ps(g, _mm512_set1_ps(x[(t / 3) * wp + t % 3]), a[cc][t]);
        }
    }
    for (int cc = 0; cc < FC; cc++)
        for (int t = 0; t < 9; t++) _mm512_storeu_ps(acc + (cc * 9 + t) * 16, a[cc][t]);
}

typedef struct {
    const float *xp, *dyt; /* padded x planes; dy transposed, [group][q][16] */
    float *dw;
    int cin, cout;
    dlayout l;
    size_t ncb; /* input-channel blocks per group of 16 output channels */
} bwf16_job;

/* dyt[g][q][o] = dy[16 g + o] at position q (0 at the junk column, the tail and past
 * cout); groups [g0, g1) */
static void transpose_part(void *arg, size_t r0, size_t r1)
{
    const bwf16_job *j = arg;
    const dlayout *l = &j->l;
    int h = (int)(l->q / l->wp), w = l->wp - 1;
    const float *dy = j->xp; /* the job's dy during the transpose */
    /* jobs: (group, row), row h being the tail past the plane; split by rows so that one
     * group (16 output channels) still spreads over the threads */
    for (size_t r = r0; r < r1; r++) {
        size_t g = r / (size_t)(h + 1);
        int y = (int)(r % (size_t)(h + 1));
        float *t = (float *)j->dyt + g * l->qr * 16;
        if (y == h) {
            memset(t + l->q * 16, 0, sizeof(float) * (l->qr - l->q) * 16);
            continue;
        }
        int no = j->cout - (int)g * 16 < 16 ? j->cout - (int)g * 16 : 16;
        const float *src[16];
        for (int o = 0; o < 16; o++)
            src[o] = dy + (g * 16 + (o < no ? o : 0)) * (size_t)h * w + (size_t)y * w;
        /* one pass, writing whole 64-byte rows: the 16 channels are read as 16 streams */
        float *row = t + (size_t)y * l->wp * 16;
        for (int x = 0; x < w; x++) {
            float *p = row + (size_t)x * 16;
            for (int o = 0; o < 16; o++) p[o] = o < no ? src[o][x] : 0;
        }
        memset(row + (size_t)w * 16, 0, sizeof(float) * 16); /* the junk column */
    }
}

/* Jobs (group, input-channel block) own their parts of dw; each dw element adds its
 * chunks' sums in chunk order whatever the split: the bits do not depend on the threads. */
static void bwf16_part(void *arg, size_t job0, size_t job1)
{
    const bwf16_job *j = arg;
    const dlayout *l = &j->l;
    size_t ntr = ((size_t)j->cin + FC - 1) / FC;
    float acc[FC * 9 * 16];
    for (size_t q0 = 0; q0 < l->qr; q0 += FCHUNK) {
        size_t q1 = q0 + FCHUNK < l->qr ? q0 + FCHUNK : l->qr;
        for (size_t job = job0; job < job1; job++) {
            size_t g = job / j->ncb, cb = job % j->ncb;
            int c0 = (int)(ntr * cb / j->ncb * FC), c1 = (int)(ntr * (cb + 1) / j->ncb * FC);
            if (c1 > j->cin) c1 = j->cin;
            int o0 = (int)g * 16, no = j->cout - o0 < 16 ? j->cout - o0 : 16;
            for (int c = c0; c < c1; c += FC) {
                const float *xs[FC];
                int nc = c1 - c < FC ? c1 - c : FC;
                for (int cc = 0; cc < FC; cc++) /* past the block: any plane, dropped */
                    xs[cc] = j->xp + (size_t)(c + (cc < nc ? cc : 0)) * l->cs;
                bwf_tile16(xs, j->dyt + g * l->qr * 16, l->wp, q0, q1, acc);
                for (int o = 0; o < no; o++)
                    for (int cc = 0; cc < nc; cc++) {
                        float *d = j->dw + ((size_t)(o0 + o) * j->cin + c + cc) * 9;
                        for (int t = 0; t < 9; t++) d[t] += acc[(cc * 9 + t) * 16 + o];
                    }
            }
        }
    }
}

static void direct_filter16(pgc_cpu_ctx *c, const pgc_conv_desc *d, const float *x,
                            const float *dy, float *dw)
{
    dlayout l = layout_of(d->h, d->w);
    size_t cmax = (size_t)(d->cin > d->cout ? d->cin : d->cout);
    float *xp = c->ws, *dyt = c->ws + cmax * l.cs;
    size_t hw = (size_t)d->h * d->w, ng = ((size_t)d->cout + 15) / 16;
    size_t ntr = ((size_t)d->cin + FC - 1) / FC;
    size_t want = c->threads > 1 ? 4 * (size_t)c->threads : 1;
    size_t ncb = ng >= want ? 1 : (want + ng - 1) / ng;
    if (ncb > ntr) ncb = ntr;
    for (int i = 0; i < d->n; i++) {
        pad_planes(c, x + (size_t)i * d->cin * hw, d->cin, d->h, d->w, l, 0, xp);
        bwf16_job t = {dy + (size_t)i * d->cout * hw, dyt, NULL, d->cin, d->cout, l, 0};
        pgc_cpu_for(c, ng * (size_t)(d->h + 1), transpose_part, &t);
        bwf16_job j = {xp, dyt, dw, d->cin, d->cout, l, ncb};
        pgc_cpu_for(c, ng * ncb, bwf16_part, &j);
    }
}
#endif

void pgc_cpu_direct_backward_filter(void *ctx, const pgc_conv_desc *d, const float *x,
                                    const float *dy, float *dw)
{
    pgc_cpu_ctx *c = ctx;
#ifdef PGC_AVX512
    if (c->avx512) {
        direct_filter16(c, d, x, dy, dw);
        return;
    }
#endif
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

/* CPU convolutions: im2col + sgemm (pgc_cpu_sgemm: OpenBLAS, or for the forward's W col
 * and the backward-data's W^T dy the 16-lane GEMM of cpu_gemm16.c where the CPU has
 * AVX-512). Several images share one GEMM when their columns fit the scratch budget, so
 * that the small maps of the deep levels still make GEMMs big enough to use every core. */
#include "cpu.h"

#include <string.h>

/* Scratch per conv call, in floats: enough for one image, more when images are small. */
#define CONV_BUDGET (8u << 20)

static size_t conv_per_image(const pgc_conv_desc *d)
{
    size_t kk = (size_t)d->cin * d->k * d->k, hw = (size_t)d->ho * d->wo;
    return (kk + d->cout) * hw;
}

/* Images per GEMM. */
static int conv_group(const pgc_conv_desc *d)
{
    size_t per = conv_per_image(d);
    size_t g = per ? CONV_BUDGET / per : 1;
    if (g < 1) g = 1;
    if (g > (size_t)d->n) g = (size_t)d->n;
    return (int)g;
}

size_t pgc_cpu_im2col_workspace(const pgc_conv_desc *d)
{
    return conv_per_image(d) * (size_t)conv_group(d);
}

/* [lo, hi): the output columns ox whose input column ox s - p + kx lies in [0, w). */
static void valid_range(int w, int wo, int s, int p, int kx, int *lo, int *hi)
{
    /* ox s >= p - kx  and  ox s < w + p - kx */
    int a = p - kx, b = w + p - kx;
    *lo = a <= 0 ? 0 : (a + s - 1) / s;
    *hi = b <= 0 ? 0 : (b + s - 1) / s;
    if (*hi > wo) *hi = wo;
    if (*lo > *hi) *lo = *hi;
}

/* 1x1, stride 1, no padding: the im2col of one image is the image itself */
static int is_pointwise(const pgc_conv_desc *d)
{
    return d->k == 1 && d->stride == 1 && d->pad == 0;
}

typedef struct {
    const pgc_conv_desc *d;
    int g;
    const float *x;
    float *col;
    float *dx;
    const float *ccol;
} col_job;

/* col (Cin k k, g Ho Wo) from images x[0..g) (g, Cin, H, W); channels [c0, c1). */
static void im2col_part(void *arg, size_t c0, size_t c1)
{
    const col_job *j = arg;
    const pgc_conv_desc *d = j->d;
    int k = d->k, s = d->stride, p = d->pad, ho = d->ho, wo = d->wo, g = j->g;
    size_t hw = (size_t)ho * wo, ld = hw * g;
    for (size_t c = c0; c < c1; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                float *row = j->col + ((c * k + ky) * k + kx) * ld;
                int lo, hi;
                valid_range(d->w, wo, s, p, kx, &lo, &hi);
                for (int i = 0; i < g; i++) {
                    const float *plane = j->x + ((size_t)i * d->cin + c) * d->h * d->w;
                    float *r = row + i * hw;
                    for (int oy = 0; oy < ho; oy++) {
                        int iy = oy * s - p + ky;
                        float *restrict ro = r + (size_t)oy * wo;
                        if (iy < 0 || iy >= d->h) {
                            memset(ro, 0, sizeof(float) * wo);
                            continue;
                        }
                        const float *restrict src = plane + (size_t)iy * d->w - p + kx;
                        for (int ox = 0; ox < lo; ox++) ro[ox] = 0;
                        if (s == 1)
                            memcpy(ro + lo, src + lo, sizeof(float) * (hi - lo));
                        else
                            for (int ox = lo; ox < hi; ox++) ro[ox] = src[ox * s];
                        for (int ox = hi; ox < wo; ox++) ro[ox] = 0;
                    }
                }
            }
}

static void im2col(void *ctx, const pgc_conv_desc *d, int g, const float *x, float *col)
{
    col_job j = {d, g, x, col, NULL, NULL};
    pgc_cpu_for(ctx, d->cin, im2col_part, &j);
}

/* dx[0..g) += col2im(col); channels [c0, c1): each thread owns its dx planes. */
static void col2im_part(void *arg, size_t c0, size_t c1)
{
    const col_job *j = arg;
    const pgc_conv_desc *d = j->d;
    int k = d->k, s = d->stride, p = d->pad, ho = d->ho, wo = d->wo, g = j->g;
    size_t hw = (size_t)ho * wo, ld = hw * g;
    for (size_t c = c0; c < c1; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                const float *row = j->ccol + ((c * k + ky) * k + kx) * ld;
                int lo, hi;
                valid_range(d->w, wo, s, p, kx, &lo, &hi);
                for (int i = 0; i < g; i++) {
                    float *plane = j->dx + ((size_t)i * d->cin + c) * d->h * d->w;
                    const float *r = row + i * hw;
                    for (int oy = 0; oy < ho; oy++) {
                        int iy = oy * s - p + ky;
                        if (iy < 0 || iy >= d->h) continue;
                        float *restrict dst = plane + (size_t)iy * d->w - p + kx;
                        const float *restrict ro = r + (size_t)oy * wo;
                        if (s == 1)
                            for (int ox = lo; ox < hi; ox++) dst[ox] += ro[ox];
                        else
                            for (int ox = lo; ox < hi; ox++) dst[ox * s] += ro[ox];
                    }
                }
            }
}

static void col2im(void *ctx, const pgc_conv_desc *d, int g, const float *col, float *dx)
{
    col_job j = {d, g, NULL, NULL, dx, col};
    pgc_cpu_for(ctx, d->cin, col2im_part, &j);
}

/* (g, C, HW) <-> (C, g HW), channels split across threads */
typedef struct {
    const float *src;
    float *dst;
    int g, c;
    size_t hw;
} cm_job;

static void to_cmajor_part(void *arg, size_t c0, size_t c1)
{
    const cm_job *j = arg;
    for (int i = 0; i < j->g; i++)
        for (size_t c = c0; c < c1; c++)
            memcpy(j->dst + c * j->g * j->hw + i * j->hw, j->src + ((size_t)i * j->c + c) * j->hw,
                   sizeof(float) * j->hw);
}

static void from_cmajor_part(void *arg, size_t c0, size_t c1)
{
    const cm_job *j = arg;
    for (int i = 0; i < j->g; i++)
        for (size_t c = c0; c < c1; c++)
            memcpy(j->dst + ((size_t)i * j->c + c) * j->hw, j->src + c * j->g * j->hw + i * j->hw,
                   sizeof(float) * j->hw);
}

static void to_cmajor(void *ctx, const float *src, int g, int c, size_t hw, float *dst)
{
    cm_job j = {src, dst, g, c, hw};
    pgc_cpu_for(ctx, c, to_cmajor_part, &j);
}

static void from_cmajor(void *ctx, const float *src, int g, int c, size_t hw, float *dst)
{
    cm_job j = {src, dst, g, c, hw};
    pgc_cpu_for(ctx, c, from_cmajor_part, &j);
}

void pgc_cpu_im2col_forward(void *ctx, const pgc_conv_desc *d, const float *x, const float *w,
                          float *y)
{
    pgc_cpu_ctx *c = ctx;
    int g = conv_group(d);
    size_t kk = (size_t)d->cin * d->k * d->k, hw = (size_t)d->ho * d->wo;
    float *col = c->ws, *tmp = c->ws + kk * hw * g;
    for (int i0 = 0; i0 < d->n; i0 += g) {
        int gi = d->n - i0 < g ? d->n - i0 : g;
        const float *xi = x + (size_t)i0 * d->cin * d->h * d->w;
        float *yi = y + (size_t)i0 * d->cout * hw;
        /* a 1x1 stride-1 convolution of one image is a GEMM on the image itself */
        const float *b = gi == 1 && is_pointwise(d) ? xi : col;
        if (b == col) im2col(ctx, d, gi, xi, col);
        float *out = gi == 1 ? yi : tmp;
        pgc_cpu_sgemm(ctx, 0, 0, d->cout, (int)(gi * hw),
                    (int)kk, 1.0f, w, (int)kk, b, (int)(gi * hw), 0.0f, out,
                    (int)(gi * hw));
        if (gi > 1) from_cmajor(ctx, tmp, gi, d->cout, hw, yi);
    }
}

void pgc_cpu_im2col_backward_data(void *ctx, const pgc_conv_desc *d, const float *dy,
                                const float *w, float *dx)
{
    pgc_cpu_ctx *c = ctx;
    int g = conv_group(d);
    size_t kk = (size_t)d->cin * d->k * d->k, hw = (size_t)d->ho * d->wo;
    float *col = c->ws, *tmp = c->ws + kk * hw * g;
    for (int i0 = 0; i0 < d->n; i0 += g) {
        int gi = d->n - i0 < g ? d->n - i0 : g;
        const float *dyi = dy + (size_t)i0 * d->cout * hw;
        float *dxi = dx + (size_t)i0 * d->cin * d->h * d->w;
        if (gi > 1) to_cmajor(ctx, dyi, gi, d->cout, hw, tmp);
        if (gi == 1 && is_pointwise(d)) { /* col2im would be dx += col: accumulate in place */
            pgc_cpu_sgemm(ctx, 1, 0, (int)kk, (int)hw, d->cout,
                        1.0f, w, (int)kk, dyi, (int)hw, 1.0f, dxi, (int)hw);
            continue;
        }
        pgc_cpu_sgemm(ctx, 1, 0, (int)kk, (int)(gi * hw), d->cout,
                    1.0f, w, (int)kk, gi > 1 ? tmp : dyi, (int)(gi * hw), 0.0f, col,
                    (int)(gi * hw));
        col2im(ctx, d, gi, col, dxi);
    }
}

void pgc_cpu_im2col_backward_filter(void *ctx, const pgc_conv_desc *d, const float *x,
                                  const float *dy, float *dw)
{
    pgc_cpu_ctx *c = ctx;
    int g = conv_group(d);
    size_t kk = (size_t)d->cin * d->k * d->k, hw = (size_t)d->ho * d->wo;
    float *col = c->ws, *tmp = c->ws + kk * hw * g;
    for (int i0 = 0; i0 < d->n; i0 += g) {
        int gi = d->n - i0 < g ? d->n - i0 : g;
        const float *dyi = dy + (size_t)i0 * d->cout * hw;
        const float *xi = x + (size_t)i0 * d->cin * d->h * d->w;
        const float *b = gi == 1 && is_pointwise(d) ? xi : col;
        if (b == col) im2col(ctx, d, gi, xi, col);
        if (gi > 1) to_cmajor(ctx, dyi, gi, d->cout, hw, tmp);
        pgc_cpu_sgemm(ctx, 0, 1, d->cout, (int)kk, (int)(gi * hw),
                    1.0f, gi > 1 ? tmp : dyi, (int)(gi * hw), b, (int)(gi * hw), 1.0f, dw,
                    (int)kk);
    }
}

/* ---- the backend's entries: the direct 3x3 kernel where it applies ---- */

/* Without AVX-512: the direct kernel saves the 9x im2col copy (and col2im's 9x scatter in
 * the backward), which costs about 1/cout of the GEMM's work in each of the three passes:
 * it matters where channels are few. With many channels OpenBLAS's blocked GEMM keeps
 * the lead. Batches of two or more (make bench, 2 threads, quiet:
 * batch 8 and the training recipe 45-80% faster): direct where one side has fewer than
 * DIRECT_MAX_C channels. */
#define DIRECT_MAX_C 128
/* One image: direct where cout < DIRECT_ONE_C. nn_bench --layer CIN,COUT,SIZE (1 thread,
 * CPU ms per call, fwd/data/filter, shared machine), direct against im2col + sgemm:
 *   16 -> 16 at 224: 4.5/4.9/3.9 vs 9.5/11.2/12.3   32 -> 16 at 224: 10.5/9.5/7.4 vs 20/18/19
 *   32 -> 32 at 112: 4.2/4.4/4.0 vs 5.6/6.3/5.5     64 -> 32 at 112: 7.8/7.8/6.6 vs 12/12/11
 *   64 -> 64 at 56:  3.5/3.7/3.2 vs 3.2/3.1/3.1     128 -> 64 at 56: 7.0/7.6/6.4 vs 6.9/6.9/7.2
 *   64 -> 128 at 28: 1.8/2.0/1.6 vs 1.4/1.5/1.4     128 -> 256 at 14: 3.7/4.6/3.1 vs 1.4/1.4/1.5
 * A tie at 64 output channels; the direct kernel at 64 was also the one measured slower
 * in wall time at batch 1 (resnet50 9.3 against 15.2 images/s), so 64 stays on GEMM. */
#define DIRECT_ONE_C 64

/* With AVX-512 (the direct kernel's 16-lane paths; OpenBLAS may still run its AVX2
 * kernels: this environment pins them with OPENBLAS_CORETYPE) the direct kernel leads
 * wherever a plane has room for its 48-position blocks. nn_bench --layer, 1 thread, CPU
 * ms per call (fwd/data/filter), direct against im2col + sgemm, batch 1 unless said:
 *   16 -> 16 at 224:  1.5/1.8/2.9 vs 5.1/5.7/5.5    64 -> 64 at 56:  1.2/1.2/2.3 vs 2.9/2.9/3.0
 *   128 -> 128 at 28: 1.2/1.3/2.0 vs 2.4/2.4/2.7    256 -> 256 at 14: 1.8/2.5/2.2 vs 2.5/2.5/2.6
 *   512 -> 512 at 7:  4.9/8.6/5.2 vs 3.1/3.0/2.5
 *   batch 8: 128 -> 128 at 28: 9.7/10.2/- vs 21/23/-; 256 -> 256 at 14: 12/13/20 vs 19/19/21
 * so every pass from 14 x 14 up. */
#define DIRECT16_HW 196

static int use_direct(const pgc_cpu_ctx *c, const pgc_conv_desc *d)
{
    if (!pgc_cpu_direct_ok(d)) return 0;
    if (c->avx512) return (size_t)d->h * d->w >= DIRECT16_HW;
    if (d->n == 1) return d->cout < DIRECT_ONE_C;
    return d->cin < DIRECT_MAX_C || d->cout < DIRECT_MAX_C;
}

/* the context (which path runs) is not known here: room for either */
size_t pgc_cpu_conv_workspace(const pgc_conv_desc *d)
{
    size_t a = pgc_cpu_im2col_workspace(d);
    size_t b = pgc_cpu_direct_ok(d) ? pgc_cpu_direct_workspace(d) : 0;
    size_t p = pgc_cpu_pointwise_ok(d) ? pgc_cpu_pointwise_workspace(d) : 0;
    return a > b ? (a > p ? a : p) : (b > p ? b : p);
}

/* 1x1 convolutions: the 16-lane kernel where there is AVX-512 and the plane has room for
 * its 240-position tiles. Forward, 1 thread, CPU ms per call, against the GEMM on the
 * image: 64 -> 256 at 56: 0.76-0.91 vs 1.6; 256 -> 64 at 56: 1.2-1.4 vs 1.3; 128 -> 512
 * at 28: 0.6 vs 1.05; 512 -> 128 at 28: 0.94 vs 1.05; 1024 -> 256 at 14: 1.1-1.3 vs 1.05;
 * 2048 -> 512 at 7: 2.3 vs 1.2. The filter gradient stays a GEMM on the image.
 * Since the 16-lane GEMM (cpu_gemm16.c) the forward takes the kernel only where the
 * channels grow: where they shrink the GEMM on the image wins (quiet machine, 1 thread,
 * CPU ms per call, kernel vs GEMM: 256 -> 64 at 56: 1.92 vs 1.34; 256 -> 128 at 56:
 * 3.56 vs 2.46; 512 -> 128 at 28: 1.41 vs 1.29; 512 -> 256 at 28: 3.05 vs 2.46). The
 * backward-data pass keeps the kernel: the GEMM that adds into dx is OpenBLAS's. */
#define POINTWISE_HW 784

static int use_pointwise(const pgc_cpu_ctx *c, const pgc_conv_desc *d)
{
    return c->avx512 && pgc_cpu_pointwise_ok(d) && (size_t)d->h * d->w >= POINTWISE_HW;
}

/* The forward takes the kernel only where the channels grow (above). */
static int use_pointwise_forward(const pgc_cpu_ctx *c, const pgc_conv_desc *d)
{
    return use_pointwise(c, d) && d->cout >= d->cin;
}

void pgc_cpu_conv_forward(void *ctx, const pgc_conv_desc *d, const float *x, const float *w,
                          float *y)
{
    if (use_direct(ctx, d)) pgc_cpu_direct_forward(ctx, d, x, w, y);
    else if (use_pointwise_forward(ctx, d)) pgc_cpu_pointwise_forward(ctx, d, x, w, y);
    else pgc_cpu_im2col_forward(ctx, d, x, w, y);
}

void pgc_cpu_conv_backward_data(void *ctx, const pgc_conv_desc *d, const float *dy,
                                const float *w, float *dx)
{
    if (use_direct(ctx, d)) pgc_cpu_direct_backward_data(ctx, d, dy, w, dx);
    else if (use_pointwise(ctx, d)) pgc_cpu_pointwise_backward_data(ctx, d, dy, w, dx);
    else pgc_cpu_im2col_backward_data(ctx, d, dy, w, dx);
}

void pgc_cpu_conv_backward_filter(void *ctx, const pgc_conv_desc *d, const float *x,
                                  const float *dy, float *dw)
{
    if (use_direct(ctx, d)) pgc_cpu_direct_backward_filter(ctx, d, x, dy, dw);
    else pgc_cpu_im2col_backward_filter(ctx, d, x, dy, dw);
}

/* Transposed 2x2/2 convolution of one part: G (Cout 4, hw) = W^T x per image, then each
 * output pixel takes its tap of G at its source pixel. */
size_t pgc_cpu_upconv_workspace(const pgc_upconv_desc *d)
{
    return (size_t)d->cout * 4 * d->h * d->w + 2 * (size_t)d->wo;
}

/* One output row's taps of G (the rows of taps (py, 0) and (py, 1) at source row sy),
 * spread to wo columns: e[ox] = G(py, ox & 1)[sy][ox >> s]. Output rows of the same
 * parity and source row share it (2^(s-1) of them), and add it 8 at a time. */
static void upconv_row(const float *g0, const float *g1, int w, int s, float *e)
{
    int r = 1 << (s - 1); /* each source pixel's pair of taps repeats r times */
    for (int i = 0; i < w; i++) {
        float a = g0[i], b = g1[i];
        float *p = e + (size_t)2 * r * i;
        for (int m = 0; m < r; m++) p[2 * m] = a, p[2 * m + 1] = b;
    }
}

static void add_row(float *restrict y, const float *restrict e, int n)
{
    int k = 0;
    for (; k + 8 <= n; k += 8) v8_store(y + k, v8_load(y + k) + v8_load(e + k));
    for (; k < n; k++) y[k] += e[k];
}

void pgc_cpu_upconv_forward(void *ctx, const pgc_upconv_desc *d, const float *x,
                            const float *w, float *y)
{
    pgc_cpu_ctx *c = ctx;
    float *G = c->ws; // (Cout 2 2, h w), then two spread rows
    size_t hw = (size_t)d->h * d->w, ohw = (size_t)d->ho * d->wo;
    float *e = G + (size_t)d->cout * 4 * hw;
    int s = d->shift, r = 1 << s; /* output rows per source row */
    for (int i = 0; i < d->n; i++) {
        pgc_cpu_sgemm(ctx, 1, 0, d->cout * 4, (int)hw, d->cin,
                    1.0f, w, d->cout * 4, x + (size_t)i * d->cin * hw, (int)hw, 0.0f, G,
                    (int)hw);
        for (int o = 0; o < d->cout; o++) {
            float *yo = y + ((size_t)i * d->cout + o) * ohw;
            const float *Go = G + (size_t)o * 4 * hw;
            for (int sy = 0; sy < d->h; sy++) {
                for (int py = 0; py < 2; py++)
                    upconv_row(Go + (size_t)(2 * py) * hw + (size_t)sy * d->w,
                               Go + (size_t)(2 * py + 1) * hw + (size_t)sy * d->w, d->w, s,
                               e + (size_t)py * d->wo);
                for (int oy = sy * r; oy < (sy + 1) * r; oy++)
                    add_row(yo + (size_t)oy * d->wo, e + (size_t)(oy & 1) * d->wo, d->wo);
            }
        }
    }
}

void pgc_cpu_upconv_backward(void *ctx, const pgc_upconv_desc *d, const float *x,
                             const float *w, const float *dy, float *dx, float *dw)
{
    pgc_cpu_ctx *c = ctx;
    float *dG = c->ws; // (Cout 2 2, h w), then two summed rows
    size_t hw = (size_t)d->h * d->w, ohw = (size_t)d->ho * d->wo;
    float *e = dG + (size_t)d->cout * 4 * hw;
    int s = d->shift, r = 1 << s, rc = 1 << (s - 1);
    for (int i = 0; i < d->n; i++) {
        for (int o = 0; o < d->cout; o++) {
            const float *dyo = dy + ((size_t)i * d->cout + o) * ohw;
            float *Go = dG + (size_t)o * 4 * hw;
            for (int sy = 0; sy < d->h; sy++) {
                /* e[py] = the sum of the output rows of parity py that source row sy feeds
                 * (r / 2 of each), then each tap's columns summed: the adjoint of the
                 * forward's spreading */
                for (int py = 0; py < 2; py++) {
                    float *ep = e + (size_t)py * d->wo;
                    memcpy(ep, dyo + (size_t)(sy * r + py) * d->wo, sizeof(float) * d->wo);
                    for (int oy = sy * r + py + 2; oy < (sy + 1) * r; oy += 2)
                        add_row(ep, dyo + (size_t)oy * d->wo, d->wo);
                    float *g0 = Go + (size_t)(2 * py) * hw + (size_t)sy * d->w,
                          *g1 = Go + (size_t)(2 * py + 1) * hw + (size_t)sy * d->w;
                    for (int sx = 0; sx < d->w; sx++) {
                        const float *p = ep + (size_t)2 * rc * sx;
                        float a = p[0], b = p[1];
                        for (int m = 1; m < rc; m++) a += p[2 * m], b += p[2 * m + 1];
                        g0[sx] = a, g1[sx] = b;
                    }
                }
            }
        }
        const float *xi = x + (size_t)i * d->cin * hw;
        if (dw)
            pgc_cpu_sgemm(ctx, 0, 1, d->cin, d->cout * 4, (int)hw,
                        1.0f, xi, (int)hw, dG, (int)hw, 1.0f, dw, d->cout * 4);
        if (dx)
            pgc_cpu_sgemm(ctx, 0, 0, d->cin, (int)hw,
                        d->cout * 4, 1.0f, w, d->cout * 4, dG, (int)hw, 1.0f,
                        dx + (size_t)i * d->cin * hw, (int)hw);
    }
}

void pgc_cpu_fc_forward(void *ctx, int n, int k, int m, const float *x, const float *w,
                        const float *b, float *y)
{
    for (int i = 0; i < n; i++) memcpy(y + (size_t)i * m, b, sizeof(float) * m);
    pgc_cpu_sgemm(ctx, 0, 1, n, m, k, 1.0f, x, k, w, k, 1.0f, y,
                m);
}

void pgc_cpu_fc_backward(void *ctx, int n, int k, int m, const float *x, const float *w,
                         const float *dy, float *dx, float *dw, float *db)
{
    if (dx)
        pgc_cpu_sgemm(ctx, 0, 0, n, k, m, 1.0f, dy, m, w, k,
                    1.0f, dx, k);
    if (dw)
        pgc_cpu_sgemm(ctx, 1, 0, m, k, n, 1.0f, dy, m, x, k, 1.0f,
                    dw, k);
    if (db)
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) db[j] += dy[(size_t)i * m + j];
}

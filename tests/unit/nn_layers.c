/* Each layer of the CPU backend: forward against a plain definition, backward against
 * finite differences of loss = sum(r * y) for a fixed random r. */
#include "check.h"
#include "nn_fd.h"

#include "../../lib/nn/backend.h"
#include "../../lib/nn/net.h"

#include <string.h>

static const pgc_nn_backend *be;
static void *ctx;

/* ---- convolution ---- */

typedef struct {
    pgc_conv_desc d;
    float *x, *w, *y, *r;
} conv_st;

static size_t conv_nx(const pgc_conv_desc *d) { return (size_t)d->n * d->cin * d->h * d->w; }
static size_t conv_ny(const pgc_conv_desc *d) { return (size_t)d->n * d->cout * d->ho * d->wo; }
static size_t conv_nw(const pgc_conv_desc *d) { return (size_t)d->cout * d->cin * d->k * d->k; }

static double conv_loss(void *p)
{
    conv_st *s = p;
    be->conv_forward(ctx, &s->d, s->x, s->w, s->y);
    return dot(s->y, s->r, conv_ny(&s->d));
}

/* y(n, o, i, j) = sum_c,a,b w(o, c, a, b) x(n, c, i s - p + a, j s - p + b) */
static double conv_direct(const conv_st *s, int n, int o, int i, int j)
{
    const pgc_conv_desc *d = &s->d;
    double acc = 0;
    for (int c = 0; c < d->cin; c++)
        for (int a = 0; a < d->k; a++)
            for (int b = 0; b < d->k; b++) {
                int y = i * d->stride - d->pad + a, x = j * d->stride - d->pad + b;
                if (y < 0 || y >= d->h || x < 0 || x >= d->w) continue;
                acc += (double)s->w[((o * d->cin + c) * d->k + a) * d->k + b] *
                       s->x[(((size_t)n * d->cin + c) * d->h + y) * d->w + x];
            }
    return acc;
}

static void conv_case(int n, int cin, int h, int w, int cout, int k, int stride, int pad)
{
    conv_st s;
    s.d = (pgc_conv_desc){n, cin, h, w, cout, (h + 2 * pad - k) / stride + 1,
                          (w + 2 * pad - k) / stride + 1, k, stride, pad};
    size_t nx = conv_nx(&s.d), ny = conv_ny(&s.d), nw = conv_nw(&s.d);
    s.x = malloc(nx * 4), s.w = malloc(nw * 4), s.y = malloc(ny * 4), s.r = malloc(ny * 4);
    float *dx = calloc(nx, 4), *dw = calloc(nw, 4);
    fill_normal(s.x, nx, 1, 1), fill_normal(s.w, nw, 2, 0.5), fill_normal(s.r, ny, 3, 1);
    void *c = be->create(be->conv_workspace(&s.d) * 4, 1);
    ctx = c;
    conv_loss(&s);
    int bad = 0;
    for (int i = 0; i < s.d.n; i++)
        for (int o = 0; o < cout; o++)
            for (int y = 0; y < s.d.ho; y++)
                for (int x = 0; x < s.d.wo; x++) {
                    double want = conv_direct(&s, i, o, y, x);
                    double got = s.y[(((size_t)i * cout + o) * s.d.ho + y) * s.d.wo + x];
                    bad += fabs(want - got) > 1e-4 * (1 + fabs(want));
                }
    EXPECT(bad == 0);
    be->conv_backward_data(ctx, &s.d, s.r, s.w, dx);
    be->conv_backward_filter(ctx, &s.d, s.x, s.r, dw);
    /* the loss is linear in x and in w, so a large step is exact up to rounding */
    EXPECT(fd_check("conv dx", conv_loss, &s, s.x, dx, nx, 60, 0.5, 1e-3, 1e-3) == 0);
    EXPECT(fd_check("conv dw", conv_loss, &s, s.w, dw, nw, 60, 0.5, 1e-3, 1e-3) == 0);
    be->destroy(c);
    free(s.x), free(s.w), free(s.y), free(s.r), free(dx), free(dw);
}

static void conv3x3_stride1_pad1_matches_its_definition_and_finite_differences(void)
{
    conv_case(3, 2, 6, 5, 3, 3, 1, 1);
    conv_case(1, 3, 8, 8, 2, 3, 1, 1);
}

static void conv1x1_and_strided_1x1_match(void)
{
    conv_case(2, 4, 6, 6, 5, 1, 1, 0);
    conv_case(2, 4, 7, 6, 5, 1, 2, 0);
    conv_case(1, 4, 6, 6, 5, 1, 1, 0); /* one image: the GEMM reads the image in place */
}

static void conv7x7_stride2_pad3_matches(void) { conv_case(2, 1, 12, 10, 3, 7, 2, 3); }

static void conv3x3_stride2_matches(void) { conv_case(2, 3, 9, 8, 2, 3, 2, 1); }

/* ---- batch norm ---- */

typedef struct {
    pgc_bn_desc d;
    float *x, *y, *r, *gamma, *beta, *rm, *rv, *save;
} bn_st;

static double bn_loss(void *p)
{
    bn_st *s = p;
    float rm[8], rv[8]; /* running stats must not drift while differencing */
    memcpy(rm, s->rm, sizeof rm), memcpy(rv, s->rv, sizeof rv);
    be->bn_forward(ctx, &s->d, s->x, s->gamma, s->beta, rm, rv, s->save, s->y);
    return dot(s->y, s->r, (size_t)s->d.n * s->d.c * s->d.hw);
}

static void bn_case(int train, int relu)
{
    bn_st s;
    s.d = (pgc_bn_desc){3, 4, 10, train, relu, 0.1f, 1e-5f, 0};
    size_t nx = 120;
    s.x = malloc(nx * 4), s.y = malloc(nx * 4), s.r = malloc(nx * 4);
    float g[8], b[8], rm[8], rv[8], save[16], dx[120] = {0}, dg[8] = {0}, db[8] = {0};
    s.gamma = g, s.beta = b, s.rm = rm, s.rv = rv, s.save = save;
    fill_normal(s.x, nx, 4, 2), fill_normal(s.r, nx, 5, 1);
    for (int i = 0; i < 4; i++) {
        s.x[i * 10] += i;  /* channels with different means */
        g[i] = 0.5f + i * 0.3f, b[i] = 0.1f * i - 0.1f, rm[i] = 0.2f * i, rv[i] = 1 + i;
    }
    if (relu) {
        /* keep every pre-activation 0.1 away from the ReLU's kink, so that a step of
         * 1e-2 never crosses it */
        s.d.relu = 0;
        for (int it = 0, moved = 1; moved && it < 50; it++) {
            bn_loss(&s);
            moved = 0;
            for (size_t i = 0; i < nx; i++)
                if (fabsf(s.y[i]) < 0.1f) s.x[i] += s.y[i] < 0 ? -0.3f : 0.3f, moved = 1;
        }
        s.d.relu = 1;
    }
    bn_loss(&s);
    be->bn_backward(ctx, &s.d, s.x, s.y, s.r, g, rm, rv, save, dx, dg, db);
    EXPECT(fd_check("bn dx", bn_loss, &s, s.x, dx, nx, 120, 1e-2, 2e-4, 2e-3) == 0);
    EXPECT(fd_check("bn dgamma", bn_loss, &s, g, dg, 4, 4, 1e-2, 2e-4, 2e-3) == 0);
    EXPECT(fd_check("bn dbeta", bn_loss, &s, b, db, 4, 4, 1e-2, 2e-4, 2e-3) == 0);
    free(s.x), free(s.y), free(s.r);
}

static void batch_norm_training_backward_matches_finite_differences(void)
{
    bn_case(1, 0);
    bn_case(1, 1);
}

static void batch_norm_inference_backward_matches_finite_differences(void)
{
    bn_case(0, 0);
    bn_case(0, 1);
}

static void batch_norm_training_normalises_and_updates_running_averages(void)
{
    /* one channel, values 1..4 over n=2, hw=2: mean 2.5, var 1.25, unbiased 5/3 */
    pgc_bn_desc d = {2, 1, 2, 1, 0, 0.1f, 1e-5f, 0};
    float x[4] = {1, 2, 3, 4}, y[4], g = 2, b = 1, rm = 0, rv = 1, save[2];
    be->bn_forward(ctx, &d, x, &g, &b, &rm, &rv, save, y);
    EXPECT_NEAR(y[0], 1 + 2 * (1 - 2.5) / sqrt(1.25 + 1e-5), 1e-5);
    EXPECT_NEAR(y[3], 1 + 2 * (4 - 2.5) / sqrt(1.25 + 1e-5), 1e-5);
    EXPECT_NEAR(rm, 0.25, 1e-6);
    EXPECT_NEAR(rv, 0.9 + 0.1 * 5.0 / 3.0, 1e-6);
    /* as if materialised with 16 values: the unbiased correction uses 16 */
    d.unbias_n = 16, rm = 0, rv = 1;
    be->bn_forward(ctx, &d, x, &g, &b, &rm, &rv, save, y);
    EXPECT_NEAR(rv, 0.9 + 0.1 * 1.25 * 16 / 15, 1e-6);
}

static void batch_norm_inference_uses_running_averages(void)
{
    pgc_bn_desc d = {1, 1, 2, 0, 1, 0.1f, 1e-5f, 0};
    float x[2] = {3, -5}, y[2], g = 2, b = 1, rm = 1, rv = 4, save[2];
    be->bn_forward(ctx, &d, x, &g, &b, &rm, &rv, save, y);
    EXPECT_NEAR(y[0], 1 + 2 * 2 / sqrt(4 + 1e-5), 1e-5);
    EXPECT_NEAR(y[1], 0, 0); /* the ReLU clips 1 + 2 (-6) / 2 */
    EXPECT_NEAR(rm, 1, 0);
    EXPECT_NEAR(rv, 4, 0);
}

/* y = x a + b with a = gamma / sqrt(var + eps), b = beta - mean a, then the ReLU (NaN and
 * -0 give 0): every element by that one rule, 8 at a time or in the tail, on both
 * channels of two images. */
static void batch_norm_inference_keeps_one_rule_on_long_rows(void)
{
    enum { HW = 8 * 5 + 3, N = 2 * 2 * HW };
    pgc_bn_desc d = {2, 2, HW, 0, 1, 0.1f, 1e-5f, 0};
    float x[N], y[N], g[2] = {1.5f, -0.7f}, b[2] = {0.25f, -1}, rm[2] = {0.3f, -2}, rv[2] = {2, 0.5f};
    float save[4];
    pgc_rng r;
    pgc_rng_seed(&r, 23);
    for (int i = 0; i < N; i++) {
        unsigned k = pgc_rng_below(&r, 8);
        x[i] = k == 0 ? NAN : (float)(3 * pgc_rng_normal(&r));
    }
    int bad = 0;
    for (int relu = 0; relu <= 1; relu++) {
        d.relu = relu;
        be->bn_forward(ctx, &d, x, g, b, rm, rv, save, y);
        for (int i = 0; i < N; i++) {
            int c = i / HW % 2;
            float is = (float)(1.0 / sqrt((double)rv[c] + d.eps));
            float a = g[c] * is, bb = b[c] - rm[c] * a, v = x[i] * a + bb;
            if (relu) v = v > 0 ? v : 0;
            bad += memcmp(&v, &y[i], 4) != 0;
        }
    }
    EXPECT(bad == 0);
}

/* ---- max pooling ---- */

typedef struct {
    pgc_pool_desc d;
    float *x, *y, *r;
    int *idx;
} pool_st;

static double pool_loss(void *p)
{
    pool_st *s = p;
    be->maxpool_forward(ctx, &s->d, s->x, s->y, s->idx);
    return dot(s->y, s->r, (size_t)s->d.n * s->d.c * s->d.ho * s->d.wo);
}

static void pool_case(int h, int w, int k, int stride, int pad)
{
    pool_st s;
    s.d = (pgc_pool_desc){2, 2, h, w, (h + 2 * pad - k) / stride + 1, (w + 2 * pad - k) / stride + 1,
                          k, stride, pad};
    size_t nx = 4 * h * w, ny = 4 * s.d.ho * s.d.wo;
    s.x = malloc(nx * 4), s.y = malloc(ny * 4), s.r = malloc(ny * 4), s.idx = malloc(ny * 4);
    float *dx = calloc(nx, 4);
    /* distinct values 0.01 apart, shuffled: a small step never changes an argmax */
    pgc_rng r;
    pgc_rng_seed(&r, 9);
    for (size_t i = 0; i < nx; i++) s.x[i] = 0.01f * i;
    for (size_t i = nx - 1; i > 0; i--) {
        size_t j = pgc_rng_below(&r, i + 1);
        float t = s.x[i];
        s.x[i] = s.x[j], s.x[j] = t;
    }
    fill_normal(s.r, ny, 6, 1);
    pool_loss(&s);
    int bad = 0;
    for (int pl = 0; pl < 4; pl++)
        for (int oy = 0; oy < s.d.ho; oy++)
            for (int ox = 0; ox < s.d.wo; ox++) {
                float m = -INFINITY;
                for (int a = 0; a < k; a++)
                    for (int b = 0; b < k; b++) {
                        int iy = oy * stride - pad + a, ix = ox * stride - pad + b;
                        if (iy >= 0 && iy < h && ix >= 0 && ix < w && s.x[pl * h * w + iy * w + ix] > m)
                            m = s.x[pl * h * w + iy * w + ix];
                    }
                bad += s.y[(pl * s.d.ho + oy) * s.d.wo + ox] != m;
            }
    EXPECT(bad == 0);
    be->maxpool_backward(ctx, &s.d, s.r, s.idx, dx);
    EXPECT(fd_check("pool dx", pool_loss, &s, s.x, dx, nx, 200, 1e-3, 1e-3, 1e-3) == 0);
    free(s.x), free(s.y), free(s.r), free(s.idx), free(dx);
}

static void maxpool_2x2_takes_the_maximum_and_routes_its_gradient(void)
{
    pool_case(6, 8, 2, 2, 0);
    pool_case(4, 38, 2, 2, 0); /* 19 outputs a row: eight at a time, then one by one */
}

/* A pool's choice, ties and NaN included, whichever loop a window takes (inside the plane:
 * without branches, one or eight at a time; on its edge: the bounds-checked loop): in
 * row-major order over the window's taps that lie in the plane, a later one wins when
 * larger or NaN, unless the best so far is NaN (the first NaN wins, as in PyTorch). */
static void pool_ties_case(int h, int w, int k, int stride, int pad)
{
    int ho = (h + 2 * pad - k) / stride + 1, wo = (w + 2 * pad - k) / stride + 1;
    pgc_pool_desc d = {1, 1, h, w, ho, wo, k, stride, pad};
    float *x = malloc(sizeof(float) * h * w), *y = malloc(sizeof(float) * ho * wo);
    int *idx = malloc(sizeof(int) * ho * wo);
    pgc_rng r;
    pgc_rng_seed(&r, 5);
    for (int i = 0; i < h * w; i++) { /* few distinct values: ties everywhere, some NaN */
        unsigned v = pgc_rng_below(&r, 6);
        x[i] = v == 5 ? NAN : (float)v;
    }
    be->maxpool_forward(ctx, &d, x, y, idx);
    int bad = 0;
    for (int oy = 0; oy < ho; oy++)
        for (int ox = 0; ox < wo; ox++) {
            int bi = -1;
            for (int a = 0; a < k; a++)
                for (int b = 0; b < k; b++) {
                    int iy = oy * stride - pad + a, ix = ox * stride - pad + b, i = iy * w + ix;
                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                    if (bi < 0 || (x[bi] == x[bi] && (x[i] > x[bi] || x[i] != x[i]))) bi = i;
                }
            int o = oy * wo + ox;
            bad += idx[o] != bi || (x[bi] == x[bi] ? y[o] != x[bi] : y[o] == y[o]);
        }
    EXPECT(bad == 0);
    free(x), free(y), free(idx);
}

static void maxpool_2x2_breaks_ties_and_nan_by_one_rule(void)
{
    pool_ties_case(4, 38, 2, 2, 0); /* 19 outputs a row: eight at a time, then one by one */
}

static void maxpool_3x3_stride2_pad1_takes_the_maximum_and_routes_its_gradient(void)
{
    pool_case(8, 7, 3, 2, 1);
    pool_case(12, 41, 3, 2, 1); /* windows on the edges, inside one by one and 8 at a time */
}

static void maxpool_3x3_breaks_ties_and_nan_by_the_same_rule(void)
{
    pool_ties_case(11, 40, 3, 2, 1); /* rows: 1 edge, 2 x 8 at a time, 2, 1 edge */
}

/* ---- transposed convolution, with parts read upsampled ---- */

typedef struct {
    pgc_upconv_desc d;
    float *x, *w, *y, *r;
} up_st;

static double up_loss(void *p)
{
    up_st *s = p;
    memset(s->y, 0, sizeof(float) * s->d.n * s->d.cout * s->d.ho * s->d.wo);
    be->upconv_forward(ctx, &s->d, s->x, s->w, s->y);
    return dot(s->y, s->r, (size_t)s->d.n * s->d.cout * s->d.ho * s->d.wo);
}

static void upconv_case(int shift)
{
    up_st s;
    int h = 3, w = 5; /* output rows of 10 to 40: 8 at a time and the rest */
    s.d = (pgc_upconv_desc){2, 3, h, w, 2, h << shift, w << shift, shift};
    size_t nx = 2 * 3 * h * w, nw = 3 * 2 * 4, ny = (size_t)2 * 2 * s.d.ho * s.d.wo;
    s.x = malloc(nx * 4), s.w = malloc(nw * 4), s.y = malloc(ny * 4), s.r = malloc(ny * 4);
    float *dx = calloc(nx, 4), *dw = calloc(nw, 4);
    fill_normal(s.x, nx, 7, 1), fill_normal(s.w, nw, 8, 1), fill_normal(s.r, ny, 9, 1);
    void *c = be->create(be->upconv_workspace(&s.d) * 4, 1);
    ctx = c;
    up_loss(&s);
    /* definition: upsample x by 2^(shift-1), then ConvTranspose2d(k=2, s=2):
     * y(o, Y, X) = sum_c w(c, o, Y%2, X%2) up(x)(c, Y/2, X/2) */
    int bad = 0, sh = shift - 1;
    for (int i = 0; i < 2; i++)
        for (int o = 0; o < 2; o++)
            for (int Y = 0; Y < s.d.ho; Y++)
                for (int X = 0; X < s.d.wo; X++) {
                    double want = 0;
                    for (int ci = 0; ci < 3; ci++)
                        want += s.w[((ci * 2 + o) * 2 + Y % 2) * 2 + X % 2] *
                                s.x[((i * 3 + ci) * h + ((Y / 2) >> sh)) * w + ((X / 2) >> sh)];
                    bad += fabs(want - s.y[((i * 2 + o) * s.d.ho + Y) * s.d.wo + X]) > 1e-5;
                }
    EXPECT(bad == 0);
    be->upconv_backward(ctx, &s.d, s.x, s.w, s.r, dx, dw);
    EXPECT(fd_check("upconv dx", up_loss, &s, s.x, dx, nx, 100, 0.5, 1e-3, 1e-3) == 0);
    EXPECT(fd_check("upconv dw", up_loss, &s, s.w, dw, nw, 100, 0.5, 1e-3, 1e-3) == 0);
    be->destroy(c);
    free(s.x), free(s.w), free(s.y), free(s.r), free(dx), free(dw);
}

static void transposed_conv_2x2_stride2_matches_its_definition(void) { upconv_case(1); }

static void transposed_conv_reads_an_upsampled_part_in_place(void)
{
    upconv_case(2);
    upconv_case(3);
}

/* ---- small ops ---- */

static void nearest_upsampling_repeats_and_its_backward_sums(void)
{
    float x[2] = {1, 2}, y[32], dx[2] = {0};
    be->upsample_forward(ctx, 2, 1, 1, 1, 2, x, y);
    int ok = 1;
    for (int i = 0; i < 16; i++) ok &= y[i] == 1 && y[16 + i] == 2;
    EXPECT(ok);
    float dy[32];
    for (int i = 0; i < 32; i++) dy[i] = i;
    be->upsample_backward(ctx, 2, 1, 1, 1, 2, dy, dx);
    EXPECT_NEAR(dx[0], 120, 0);  /* 0 + ... + 15 */
    EXPECT_NEAR(dx[1], 376, 0);
    float a[4] = {1, 2, 3, 4}, b[16];
    be->upsample_forward(ctx, 1, 1, 2, 2, 1, a, b);
    EXPECT(b[0] == 1 && b[1] == 1 && b[2] == 2 && b[4] == 1 && b[8] == 3 && b[15] == 4);
}

static void channel_concat_places_and_splits(void)
{
    float a[4] = {1, 2, 3, 4}, b[2] = {5, 6}, y[6];  /* a (2,1,2), b (2,... ) */
    /* n=2, hw=1: a has 2 channels, b 1 channel -> y (2, 3) */
    be->slice_forward(ctx, 2, 2, 3, 0, 1, a, y);
    be->slice_forward(ctx, 2, 1, 3, 2, 1, b, y);
    float want[6] = {1, 2, 5, 3, 4, 6};
    EXPECT(!memcmp(y, want, sizeof y));
    float da[4] = {0}, db[2] = {1, 1};
    be->slice_backward(ctx, 2, 2, 3, 0, 1, want, da);
    be->slice_backward(ctx, 2, 1, 3, 2, 1, want, db);
    EXPECT(da[0] == 1 && da[1] == 2 && da[2] == 3 && da[3] == 4 && db[0] == 6 && db[1] == 7);
}

static void global_average_pooling_and_its_gradient(void)
{
    float x[6] = {1, 2, 3, 4, 5, 6}, y[2], dx[6] = {0}, dy[2] = {3, 6};
    be->gap_forward(ctx, 1, 2, 3, x, y);
    EXPECT_NEAR(y[0], 2, 1e-6);
    EXPECT_NEAR(y[1], 5, 1e-6);
    be->gap_backward(ctx, 1, 2, 3, dy, dx);
    EXPECT_NEAR(dx[0], 1, 1e-6);
    EXPECT_NEAR(dx[5], 2, 1e-6);
}

static void residual_add_with_relu_masks_the_gradient(void)
{
    float a[3] = {1, -3, 2}, b[3] = {1, 1, -5}, y[3], dy[3] = {1, 2, 3};
    float da[3] = {0}, db[3] = {0};
    be->add_forward(ctx, 3, 1, a, b, y);
    EXPECT(y[0] == 2 && y[1] == 0 && y[2] == 0);
    be->add_backward(ctx, 3, 1, y, dy, da, db);
    EXPECT(da[0] == 1 && da[1] == 0 && da[2] == 0 && db[0] == 1);
    be->add_forward(ctx, 3, 0, a, b, y);
    EXPECT(y[1] == -2);
}

/* The same rule element by element at any length (8 at a time, the tail, pieces across
 * threads): v < 0 gives 0 while NaN and -0 pass; the gradient is dropped where y <= 0
 * and kept where y is NaN. */
static void residual_add_keeps_one_rule_on_long_runs(void)
{
    enum { N = 2 * 4096 + 13 };
    float *a = malloc(N * 4), *b = malloc(N * 4), *y = malloc(N * 4), *dy = malloc(N * 4);
    float *da = calloc(N, 4), *db = calloc(N, 4);
    pgc_rng r;
    pgc_rng_seed(&r, 17);
    for (int i = 0; i < N; i++) {
        unsigned k = pgc_rng_below(&r, 6);
        a[i] = k == 0 ? NAN : k == 1 ? -0.0f : (float)pgc_rng_normal(&r);
        b[i] = k == 1 ? -0.0f : (float)pgc_rng_normal(&r); /* -0 + -0 = -0 */
        dy[i] = (float)pgc_rng_normal(&r);
    }
    void *c2 = be->create(1 << 16, 2);
    int bad = 0;
    be->add_forward(c2, N, 1, a, b, y);
    for (int i = 0; i < N; i++) {
        float v = a[i] + b[i], want = v < 0 ? 0 : v;
        bad += memcmp(&y[i], &want, 4) != 0;
    }
    be->add_backward(c2, N, 1, y, dy, da, db);
    for (int i = 0; i < N; i++) {
        float g = y[i] <= 0 ? 0 : dy[i];
        bad += da[i] != g || db[i] != g;
    }
    EXPECT(bad == 0);
    be->destroy(c2);
    free(a), free(b), free(y), free(dy), free(da), free(db);
}

typedef struct {
    float *x, *w, *b, *y, *r;
} fc_st;

static double fc_loss(void *p)
{
    fc_st *s = p;
    be->fc_forward(ctx, 3, 5, 2, s->x, s->w, s->b, s->y);
    return dot(s->y, s->r, 6);
}

static void fully_connected_matches_finite_differences(void)
{
    float x[15], w[10], b[2] = {0.5f, -1}, y[6], r[6], dx[15] = {0}, dw[10] = {0}, db[2] = {0};
    fill_normal(x, 15, 11, 1), fill_normal(w, 10, 12, 1), fill_normal(r, 6, 13, 1);
    fc_st s = {x, w, b, y, r};
    fc_loss(&s);
    double want = b[1];
    for (int k = 0; k < 5; k++) want += w[5 + k] * x[10 + k];
    EXPECT_NEAR(y[5], want, 1e-5);
    be->fc_backward(ctx, 3, 5, 2, x, w, r, dx, dw, db);
    EXPECT(fd_check("fc dx", fc_loss, &s, x, dx, 15, 15, 0.5, 1e-4, 1e-4) == 0);
    EXPECT(fd_check("fc dw", fc_loss, &s, w, dw, 10, 10, 0.5, 1e-4, 1e-4) == 0);
    EXPECT(fd_check("fc db", fc_loss, &s, b, db, 2, 2, 0.5, 1e-4, 1e-4) == 0);
}

static void bias_fills_and_sums(void)
{
    float b[2] = {1, 2}, y[8], db[2] = {0};
    be->bias_forward(ctx, 2, 2, 2, b, y);
    EXPECT(y[0] == 1 && y[3] == 2 && y[4] == 1 && y[7] == 2);
    be->bias_backward(ctx, 2, 2, 2, y, db);
    EXPECT(db[0] == 4 && db[1] == 8);
}

typedef struct {
    float z[6], w[2];
    int y[3];
} xent_st;

static double xent_loss(void *p)
{
    xent_st *s = p;
    return pgc_softmax_xent(3, s->z, s->y, s->w, NULL, NULL);
}

static void weighted_softmax_cross_entropy_matches_its_definition_and_gradient(void)
{
    xent_st s = {{0.5f, -1, 2, 0.25f, -0.3f, 0.7f}, {1, 3}, {1, 0, 1}};
    float dz[6];
    int correct;
    double l = pgc_softmax_xent(3, s.z, s.y, s.w, dz, &correct);
    /* PyTorch: sum_i w_yi (-log p_i,yi) / sum_i w_yi */
    double want = 0;
    for (int i = 0; i < 3; i++) {
        double e0 = exp(s.z[2 * i]), e1 = exp(s.z[2 * i + 1]);
        want += s.w[s.y[i]] * -log((s.y[i] ? e1 : e0) / (e0 + e1));
    }
    want /= 3 + 1 + 3;
    EXPECT_NEAR(l, want, 1e-9);
    EXPECT(correct == 2);  /* argmax: 0, 0, 1 against labels 1, 0, 1 */
    EXPECT(fd_check("xent dz", xent_loss, &s, s.z, dz, 6, 6, 1e-3, 1e-5, 1e-4) == 0);
}

typedef struct {
    float z[12], w[4];
    int y[4];
} xentk_st;

static double xentk_loss(void *p)
{
    xentk_st *s = p;
    return pgc_softmax_xent_k(4, 3, s->z, s->y, s->w, NULL, NULL);
}

static void k_class_cross_entropy_and_some_tumour_class_match_their_definition_and_gradient(void)
{
    /* 3 classes (none, a, b); the last image is a tumour of no listed type */
    xentk_st s = {{0.5f, -1, 2, 0.25f, -0.3f, 0.7f, 1, 0, -1, 0.2f, 0.1f, 0.4f},
                  {1, 2, 0.5f, 4}, {2, 0, 1, PGC_LABEL_ANY_TUMOUR}};
    float dz[12];
    int correct;
    double l = pgc_softmax_xent_k(4, 3, s.z, s.y, s.w, dz, &correct);
    double want = 0, wsum = 0;
    for (int i = 0; i < 4; i++) {
        double e[3], sum = 0;
        for (int k = 0; k < 3; k++) sum += e[k] = exp(s.z[3 * i + k]);
        double pt = s.y[i] >= 0 ? e[s.y[i]] / sum : (e[1] + e[2]) / sum; /* 1 - P(none) */
        double wi = s.w[s.y[i] >= 0 ? s.y[i] : 3];
        want += wi * -log(pt), wsum += wi;
    }
    EXPECT_NEAR(l, want / wsum, 1e-9);
    EXPECT(correct == 2); /* argmax 2, 2, 0, 2 against 2, 0, 1, any tumour */
    EXPECT(fd_check("xent_k dz", xentk_loss, &s, s.z, dz, 12, 12, 1e-3, 1e-5, 1e-4) == 0);
    /* K = 2 is the two-class loss exactly */
    float z2[4] = {0.3f, -0.2f, 1, 2}, w2[3] = {1, 3, 1}, d2a[4], d2b[4];
    int y2[2] = {1, 0};
    EXPECT(pgc_softmax_xent_k(2, 2, z2, y2, w2, d2a, NULL) == pgc_softmax_xent(2, z2, y2, w2, d2b, NULL));
    EXPECT(!memcmp(d2a, d2b, sizeof d2a));
}

static void adam_first_step_moves_each_parameter_by_the_learning_rate(void)
{
    /* m/bc1 = g and sqrt(v/bc2) = |g| at t = 1: the step is lr g / (|g| + eps) */
    float p[3] = {1, 1, 1}, g[3] = {0.5f, -2, 1e-3f}, m[3] = {0}, v[3] = {0};
    be->adam_step(ctx, 3, p, g, m, v, 0.01f, 0.9f, 0.999f, 1e-8f, 1);
    EXPECT_NEAR(p[0], 0.99, 1e-6);
    EXPECT_NEAR(p[1], 1.01, 1e-6);
    EXPECT_NEAR(p[2], 1 - 0.01 * 1e-3 / (1e-3 + 1e-8), 1e-6);
    EXPECT_NEAR(m[1], -0.2, 1e-6);
    EXPECT_NEAR(v[1], 0.004, 1e-6);
}

int main(void)
{
    be = pgc_nn_backend_cpu();
    void *c = be->create(1 << 20, 1);
    ctx = c;
    RUN(conv3x3_stride1_pad1_matches_its_definition_and_finite_differences);
    RUN(conv1x1_and_strided_1x1_match);
    RUN(conv7x7_stride2_pad3_matches);
    RUN(conv3x3_stride2_matches);
    ctx = c;
    RUN(batch_norm_training_backward_matches_finite_differences);
    RUN(batch_norm_inference_backward_matches_finite_differences);
    RUN(batch_norm_training_normalises_and_updates_running_averages);
    RUN(batch_norm_inference_uses_running_averages);
    RUN(batch_norm_inference_keeps_one_rule_on_long_rows);
    RUN(maxpool_2x2_takes_the_maximum_and_routes_its_gradient);
    RUN(maxpool_2x2_breaks_ties_and_nan_by_one_rule);
    RUN(maxpool_3x3_breaks_ties_and_nan_by_the_same_rule);
    RUN(maxpool_3x3_stride2_pad1_takes_the_maximum_and_routes_its_gradient);
    RUN(transposed_conv_2x2_stride2_matches_its_definition);
    RUN(transposed_conv_reads_an_upsampled_part_in_place);
    ctx = c;
    RUN(nearest_upsampling_repeats_and_its_backward_sums);
    RUN(channel_concat_places_and_splits);
    RUN(global_average_pooling_and_its_gradient);
    RUN(residual_add_with_relu_masks_the_gradient);
    RUN(residual_add_keeps_one_rule_on_long_runs);
    RUN(fully_connected_matches_finite_differences);
    RUN(bias_fills_and_sums);
    RUN(weighted_softmax_cross_entropy_matches_its_definition_and_gradient);
    RUN(k_class_cross_entropy_and_some_tumour_class_match_their_definition_and_gradient);
    RUN(adam_first_step_moves_each_parameter_by_the_learning_rate);
    be->destroy(c);
    return check_done();
}

/* The GPU backend against the CPU backend (lib/nn/backend.h), in the manner of ggml's
 * test-backend-ops: every entry of the table runs on the same random inputs on both,
 * outputs are checked for NaN and Inf first, then against a tolerance stated per
 * operation, and the largest difference is printed. Outputs that an entry ACCUMULATES
 * into start from random values, not zeros, so that overwriting where it should add (or
 * the reverse) shows. Then whole tiny networks: a dcfpn's training forward, backward and
 * Adam step, its Grad-CAM pass, and a resnet50.
 *
 * Differences are measured relative to the largest magnitude in the CPU's result:
 * err = max |gpu - cpu| / max |cpu|. Element-wise entries are written to be bit for bit
 * the CPU's (tolerance 1e-6); sums in double differ in their last bits (1e-5);
 * cuDNN and cuBLAS sum products in another order than OpenBLAS (1e-4); whole networks
 * compound it through BN (1e-3).
 *
 * Without a usable GPU (no CUDA in the build, no device) every test is skipped.
 * PGC_GPU_OPS_ON_CPU=1 compares the CPU backend with itself instead, which checks this
 * test's own plumbing on a machine without a GPU. */
#include "check.h"

#include "../../lib/nn/backend.h"
#include "../../lib/nn/net.h"
#include "../../lib/nn/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOL_EXACT 1e-6 /* element-wise: the same float operations in the same order */
#define TOL_SUM 1e-5   /* sums in double in another order */
#define TOL_GEMM 1e-4  /* cuDNN / cuBLAS against im2col + OpenBLAS in FP32 */
#define TOL_NET 1e-3   /* a whole network */
#define TOL_DEEP 5e-3  /* resnet50's fifty training-mode BN layers at batch 2 */

enum { CPU, GPU };

/* The two backends and, within one test, their contexts. */
static const pgc_nn_backend *be[2];
static void *ctx[2];

static void sides_open(size_t ws_bytes)
{
    for (int s = 0; s < 2; s++) {
        ctx[s] = be[s]->create(ws_bytes, 1);
        EXPECT(ctx[s] != NULL);
    }
}

/* Checks that the GPU context recorded no failure, then closes both. */
static void sides_close(void)
{
    if (ctx[GPU] && be[GPU] != be[CPU]) {
        const char *why = be[GPU]->error(ctx[GPU]);
        if (why) printf("#   %s\n", why);
        EXPECT(why == NULL);
    }
    for (int s = 0; s < 2; s++) {
        if (ctx[s]) be[s]->destroy(ctx[s]);
        ctx[s] = NULL;
    }
}

/* A tensor on both sides, from the same host values. */
typedef struct {
    size_t n;
    float *d[2];
} buf;

static void fill(float *h, size_t n, unsigned seed, double mean, double sd)
{
    pgc_rng r;
    pgc_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) h[i] = (float)(mean + sd * pgc_rng_normal(&r));
}

static buf buf_from(const float *h, size_t n)
{
    buf b = {n, {NULL, NULL}};
    for (int s = 0; s < 2; s++) {
        b.d[s] = ctx[s] ? be[s]->alloc(ctx[s], n) : NULL;
        EXPECT(b.d[s] != NULL);
        if (b.d[s]) be[s]->upload(ctx[s], b.d[s], h, n);
    }
    return b;
}

static buf buf_rand(size_t n, unsigned seed, double mean, double sd)
{
    float *h = malloc(sizeof(float) * n);
    fill(h, n, seed, mean, sd);
    buf b = buf_from(h, n);
    free(h);
    return b;
}

/* Positive values, for variances. */
static buf buf_pos(size_t n, unsigned seed)
{
    float *h = malloc(sizeof(float) * n);
    fill(h, n, seed, 0, 1);
    for (size_t i = 0; i < n; i++) h[i] = 0.5f + fabsf(h[i]);
    buf b = buf_from(h, n);
    free(h);
    return b;
}

static void buf_free(buf *b)
{
    for (int s = 0; s < 2; s++)
        if (b->d[s] && ctx[s]) be[s]->free(ctx[s], b->d[s]);
    b->d[0] = b->d[1] = NULL;
}

static float *fetch(int s, const float *d, size_t n)
{
    float *h = malloc(sizeof(float) * (n ? n : 1));
    be[s]->download(ctx[s], h, d, n);
    return h;
}

/* NaN and Inf first, then max |gpu - cpu| / max |cpu| against tol. */
static void compare_host(const char *what, const float *c, const float *g, size_t n,
                         double tol)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(c[i]) || !isfinite(g[i])) bad++;
    if (bad) {
        printf("#   %s: %zu of %zu values are NaN or Inf\n", what, bad, n);
        EXPECT(bad == 0);
        return;
    }
    double diff = 0, mag = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)g[i] - c[i]);
        if (d > diff) diff = d, at = i;
        if (fabs(c[i]) > mag) mag = fabs(c[i]);
    }
    double rel = mag > 0 ? diff / mag : diff;
    printf("# %-40s max |gpu - cpu| %.3g, relative %.3g (tolerance %g)\n", what, diff, rel,
           tol);
    if (!(rel <= tol)) {
        printf("#   at %zu: cpu %.9g, gpu %.9g\n", at, c[at], g[at]);
        EXPECT(rel <= tol);
    }
}

static void compare(const char *what, const buf *b, double tol)
{
    if (!b->d[CPU] || !b->d[GPU]) return;
    float *c = fetch(CPU, b->d[CPU], b->n), *g = fetch(GPU, b->d[GPU], b->n);
    compare_host(what, c, g, b->n, tol);
    free(c);
    free(g);
}

/* ---- memory ---- */

static void memory_is_zeroed_on_alloc_and_round_trips(void)
{
    sides_open(0);
    size_t n = 1000;
    float *h = malloc(sizeof(float) * n), *back;
    float *d = be[GPU]->alloc(ctx[GPU], n);
    EXPECT(d != NULL);
    if (d) {
        back = fetch(GPU, d, n);
        size_t nz = 0;
        for (size_t i = 0; i < n; i++) nz += back[i] != 0;
        EXPECT(nz == 0);
        free(back);
        fill(h, n, 1, 0, 1);
        be[GPU]->upload(ctx[GPU], d, h, n);
        back = fetch(GPU, d, n);
        EXPECT(!memcmp(back, h, sizeof(float) * n));
        free(back);
        be[GPU]->zero(ctx[GPU], d + 10, 20);
        back = fetch(GPU, d, n);
        EXPECT(back[9] == h[9] && back[10] == 0 && back[29] == 0 && back[30] == h[30]);
        free(back);
        be[GPU]->free(ctx[GPU], d);
    }
    int *ip = be[GPU]->alloc_int(ctx[GPU], 7);
    EXPECT(ip != NULL);
    if (ip) be[GPU]->free(ctx[GPU], (float *)ip);
    free(h);
    sides_close();
}

/* Page-locked host buffers (what the commands upload from and download into) carry
 * values both ways like any others, and the device is named. */
static void pinned_host_buffers_round_trip_and_the_device_has_a_name(void)
{
    sides_open(0);
    size_t n = 4096;
    float *h = be[GPU]->host_alloc(n), *back = be[GPU]->host_alloc(n);
    float *d = be[GPU]->alloc(ctx[GPU], n);
    EXPECT(h && back && d);
    if (h && back && d) {
        fill(h, n, 3, 0, 1);
        be[GPU]->upload(ctx[GPU], d, h, n);
        be[GPU]->download(ctx[GPU], back, d, n);
        EXPECT(!memcmp(back, h, sizeof(float) * n));
    }
    if (d) be[GPU]->free(ctx[GPU], d);
    be[GPU]->host_free(h);
    be[GPU]->host_free(back);
    be[GPU]->host_free(NULL);
    char name[256] = "";
    be[GPU]->device_name(name, sizeof name);
    EXPECT(name[0] != 0);
    sides_close();
}

/* ---- convolutions ---- */

static pgc_conv_desc conv_shape(int n, int cin, int h, int cout, int k, int stride, int pad)
{
    int ho = (h + 2 * pad - k) / stride + 1;
    return (pgc_conv_desc){n, cin, h, h, cout, ho, ho, k, stride, pad};
}

/* 3x3 as in dcfpn, 1x1 and strided ones as in resnet50, its 7x7/2 stem, odd sizes. */
static const int conv_shapes[][7] = {
    {2, 3, 16, 8, 3, 1, 1}, {2, 8, 8, 6, 3, 1, 1}, {2, 8, 12, 5, 1, 1, 0},
    {2, 1, 16, 4, 7, 2, 3}, {2, 6, 9, 7, 3, 2, 1}, {2, 8, 10, 8, 1, 2, 0},
};
#define NCONV (int)(sizeof conv_shapes / sizeof *conv_shapes)

static size_t conv_ws(void)
{
    size_t ws = 0;
    for (int i = 0; i < NCONV; i++) {
        const int *s = conv_shapes[i];
        pgc_conv_desc d = conv_shape(s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
        size_t b = be[CPU]->conv_workspace(&d) * sizeof(float);
        if (b > ws) ws = b;
    }
    return ws;
}

/* kind 0: forward, 1: backward data, 2: backward filter. */
static void conv_check(int kind)
{
    sides_open(conv_ws());
    for (int i = 0; i < NCONV; i++) {
        const int *s = conv_shapes[i];
        pgc_conv_desc d = conv_shape(s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
        size_t nx = (size_t)d.n * d.cin * d.h * d.w, ny = (size_t)d.n * d.cout * d.ho * d.wo;
        size_t nw = (size_t)d.cout * d.cin * d.k * d.k;
        buf x = buf_rand(nx, 10 + i, 0, 1), w = buf_rand(nw, 20 + i, 0, 0.3);
        buf y = buf_rand(ny, 30 + i, 0, 1);
        char what[96];
        for (int sd = 0; sd < 2; sd++) {
            if (kind == 0) be[sd]->conv_forward(ctx[sd], &d, x.d[sd], w.d[sd], y.d[sd]);
            if (kind == 1) be[sd]->conv_backward_data(ctx[sd], &d, y.d[sd], w.d[sd], x.d[sd]);
            if (kind == 2) be[sd]->conv_backward_filter(ctx[sd], &d, x.d[sd], y.d[sd], w.d[sd]);
        }
        snprintf(what, sizeof what, "conv %s %dx%d/%d pad %d, %d->%d at %d:",
                 kind == 0 ? "forward" : kind == 1 ? "backward data" : "backward filter", d.k,
                 d.k, d.stride, d.pad, d.cin, d.cout, d.h);
        compare(what, kind == 0 ? &y : kind == 1 ? &x : &w, TOL_GEMM);
        buf_free(&x), buf_free(&w), buf_free(&y);
    }
    sides_close();
}

static void conv_forward_overwrites_y(void) { conv_check(0); }
static void conv_backward_data_adds_to_dx(void) { conv_check(1); }
static void conv_backward_filter_adds_to_dw(void) { conv_check(2); }

/* ---- batch norm ---- */

typedef struct {
    pgc_bn_desc d;
    buf x, gamma, beta, rm, rv, save, y;
} bn_case;

/* Planes of 12 x 12, or of 72 x 72 (more than one reduction block per plane). */
static bn_case bn_make(int train, int relu, double unbias_n, int big, unsigned seed)
{
    bn_case b;
    b.d = (pgc_bn_desc){2, 5, big ? 72 * 72 : 12 * 12, train, relu, 0.1f, 1e-5f, unbias_n};
    size_t n = (size_t)b.d.n * b.d.c * b.d.hw, c = b.d.c;
    b.x = buf_rand(n, seed, 0.5, 2);
    b.gamma = buf_rand(c, seed + 1, 1, 0.2);
    b.beta = buf_rand(c, seed + 2, 0, 0.5);
    b.rm = buf_rand(c, seed + 3, 0, 0.3);
    b.rv = buf_pos(c, seed + 4);
    b.save = buf_rand(2 * c, seed + 5, 0, 1);
    b.y = buf_rand(n, seed + 6, 0, 1);
    return b;
}

static void bn_free(bn_case *b)
{
    buf_free(&b->x), buf_free(&b->gamma), buf_free(&b->beta), buf_free(&b->rm);
    buf_free(&b->rv), buf_free(&b->save), buf_free(&b->y);
}

static void bn_forward_matches(int train)
{
    sides_open(0);
    for (int relu = 0; relu < 2; relu++)
        for (int fold = 0; fold < 3; fold++) { /* 2: big planes */
            bn_case b = bn_make(train, relu, fold == 1 ? 4.0 * 2 * 144 : 0, fold == 2,
                                100 + 10 * relu + fold);
            for (int s = 0; s < 2; s++)
                be[s]->bn_forward(ctx[s], &b.d, b.x.d[s], b.gamma.d[s], b.beta.d[s], b.rm.d[s],
                                  b.rv.d[s], b.save.d[s], b.y.d[s]);
            char what[96];
            snprintf(what, sizeof what, "bn forward %s%s%s: y", train ? "train" : "infer",
                     relu ? " relu" : "", fold == 1 ? " unbias_n" : fold == 2 ? " 72x72" : "");
            compare(what, &b.y, TOL_EXACT);
            if (train) {
                snprintf(what, sizeof what, "  running mean, running var, save:");
                compare(what, &b.rm, TOL_SUM);
                compare(what, &b.rv, TOL_SUM);
                compare(what, &b.save, TOL_SUM);
            }
            bn_free(&b);
        }
    sides_close();
}

static void bn_forward_in_training_matches_with_running_averages(void) { bn_forward_matches(1); }
static void bn_forward_in_inference_uses_the_running_statistics(void) { bn_forward_matches(0); }

/* Both sides get the CPU forward's y and save, so that they mask and normalise alike. */
static void bn_backward_matches(int train)
{
    sides_open(0);
    for (int relu = 0; relu < 2; relu++)
        for (int nulls = 0; nulls < 4; nulls++) { /* all; no dx; no dgamma/dbeta; 72x72 */
            bn_case b = bn_make(train, relu, 0, nulls == 3, 200 + 10 * relu + nulls);
            size_t n = b.x.n, c = b.d.c;
            be[CPU]->bn_forward(ctx[CPU], &b.d, b.x.d[CPU], b.gamma.d[CPU], b.beta.d[CPU],
                                b.rm.d[CPU], b.rv.d[CPU], b.save.d[CPU], b.y.d[CPU]);
            float *yh = fetch(CPU, b.y.d[CPU], n), *sh = fetch(CPU, b.save.d[CPU], 2 * c);
            float *rmh = fetch(CPU, b.rm.d[CPU], c), *rvh = fetch(CPU, b.rv.d[CPU], c);
            be[GPU]->upload(ctx[GPU], b.y.d[GPU], yh, n);
            be[GPU]->upload(ctx[GPU], b.save.d[GPU], sh, 2 * c);
            be[GPU]->upload(ctx[GPU], b.rm.d[GPU], rmh, c);
            be[GPU]->upload(ctx[GPU], b.rv.d[GPU], rvh, c);
            free(yh), free(sh), free(rmh), free(rvh);
            buf dy = buf_rand(n, 300 + nulls, 0, 1), dx = buf_rand(n, 310, 0, 1);
            buf dg = buf_rand(c, 320, 0, 1), db = buf_rand(c, 330, 0, 1);
            for (int s = 0; s < 2; s++)
                be[s]->bn_backward(ctx[s], &b.d, b.x.d[s], b.y.d[s], dy.d[s], b.gamma.d[s],
                                   b.rm.d[s], b.rv.d[s], b.save.d[s], nulls == 1 ? NULL : dx.d[s],
                                   nulls == 2 ? NULL : dg.d[s], nulls == 2 ? NULL : db.d[s]);
            char what[96];
            snprintf(what, sizeof what, "bn backward %s%s%s: dx, dgamma, dbeta",
                     train ? "train" : "infer", relu ? " relu" : "",
                     nulls == 1 ? " (no dx)" : nulls == 2 ? " (no dgamma)" : nulls == 3 ? " 72x72" : "");
            compare(what, &dx, TOL_SUM);
            compare(what, &dg, TOL_SUM);
            compare(what, &db, TOL_SUM);
            buf_free(&dy), buf_free(&dx), buf_free(&dg), buf_free(&db);
            bn_free(&b);
        }
    sides_close();
}

static void bn_backward_in_training_adds_to_dx_dgamma_dbeta(void) { bn_backward_matches(1); }
static void bn_backward_in_inference_adds_to_dx_dgamma_dbeta(void) { bn_backward_matches(0); }

/* ---- transposed convolution with the shift fold, bias ---- */

static pgc_upconv_desc upconv_shape(int shift)
{
    int h = 16 >> shift;
    return (pgc_upconv_desc){2, 6, h, h, 5, h << shift, h << shift, shift};
}

static size_t upconv_ws(void)
{
    size_t ws = 0;
    for (int s = 1; s <= 4; s++) {
        pgc_upconv_desc d = upconv_shape(s);
        size_t b = be[CPU]->upconv_workspace(&d) * sizeof(float);
        if (b > ws) ws = b;
    }
    return ws;
}

static void upconv_forward_adds_each_part_at_its_shift(void)
{
    sides_open(upconv_ws());
    for (int sh = 1; sh <= 4; sh++) {
        pgc_upconv_desc d = upconv_shape(sh);
        buf x = buf_rand((size_t)d.n * d.cin * d.h * d.w, 400 + sh, 0, 1);
        buf w = buf_rand((size_t)d.cin * d.cout * 4, 410 + sh, 0, 0.5);
        buf y = buf_rand((size_t)d.n * d.cout * d.ho * d.wo, 420 + sh, 0, 1);
        for (int s = 0; s < 2; s++) be[s]->upconv_forward(ctx[s], &d, x.d[s], w.d[s], y.d[s]);
        char what[64];
        snprintf(what, sizeof what, "upconv forward shift %d:", sh);
        compare(what, &y, TOL_GEMM);
        buf_free(&x), buf_free(&w), buf_free(&y);
    }
    sides_close();
}

static void upconv_backward_adds_to_dx_and_dw(void)
{
    sides_open(upconv_ws());
    for (int sh = 1; sh <= 4; sh++)
        for (int nodx = 0; nodx < 2; nodx++) {
            pgc_upconv_desc d = upconv_shape(sh);
            buf x = buf_rand((size_t)d.n * d.cin * d.h * d.w, 500 + sh, 0, 1);
            buf w = buf_rand((size_t)d.cin * d.cout * 4, 510 + sh, 0, 0.5);
            buf dy = buf_rand((size_t)d.n * d.cout * d.ho * d.wo, 520 + sh, 0, 1);
            buf dx = buf_rand(x.n, 530 + sh, 0, 1), dw = buf_rand(w.n, 540 + sh, 0, 1);
            for (int s = 0; s < 2; s++)
                be[s]->upconv_backward(ctx[s], &d, x.d[s], w.d[s], dy.d[s],
                                       nodx ? NULL : dx.d[s], dw.d[s]);
            char what[64];
            snprintf(what, sizeof what, "upconv backward shift %d%s: dx, dw", sh,
                     nodx ? " (no dx)" : "");
            compare(what, &dx, TOL_GEMM);
            compare(what, &dw, TOL_GEMM);
            buf_free(&x), buf_free(&w), buf_free(&dy), buf_free(&dx), buf_free(&dw);
        }
    sides_close();
}

static void bias_check(int hw)
{
    int n = 2, c = 7;
    buf b = buf_rand(c, 600, 0, 1), y = buf_rand((size_t)n * c * hw, 601, 0, 1);
    buf dy = buf_rand(y.n, 602, 0, 1), db = buf_rand(c, 603, 0, 1);
    for (int s = 0; s < 2; s++) {
        be[s]->bias_forward(ctx[s], n, c, hw, b.d[s], y.d[s]);
        be[s]->bias_backward(ctx[s], n, c, hw, dy.d[s], db.d[s]);
    }
    char what[64];
    snprintf(what, sizeof what, "bias forward, planes of %d:", hw);
    compare(what, &y, 0);
    snprintf(what, sizeof what, "bias backward, planes of %d:", hw);
    compare(what, &db, TOL_SUM);
    buf_free(&b), buf_free(&y), buf_free(&dy), buf_free(&db);
}

static void bias_forward_overwrites_and_backward_adds(void)
{
    sides_open(0);
    bias_check(11 * 13);
    bias_check(70 * 70); /* more than one reduction block per plane */
    sides_close();
}

/* ---- pooling ---- */

static void maxpool_check(pgc_pool_desc d, unsigned seed)
{
    size_t nx = (size_t)d.n * d.c * d.h * d.w, ny = (size_t)d.n * d.c * d.ho * d.wo;
    /* values on a coarse grid, so that windows hold ties: the first maximum must win */
    float *h = malloc(sizeof(float) * nx);
    fill(h, nx, seed, 0, 1);
    for (size_t i = 0; i < nx; i++) h[i] = roundf(h[i] * 2) / 2;
    buf x = buf_from(h, nx), y = buf_rand(ny, seed + 1, 0, 1);
    int *idx[2];
    for (int s = 0; s < 2; s++) {
        idx[s] = be[s]->alloc_int(ctx[s], ny);
        be[s]->maxpool_forward(ctx[s], &d, x.d[s], y.d[s], idx[s]);
    }
    char what[64];
    snprintf(what, sizeof what, "maxpool %dx%d/%d pad %d forward:", d.k, d.k, d.stride, d.pad);
    compare(what, &y, 0);
    /* the argmax, compared as raw bits */
    float *ic = fetch(CPU, (float *)idx[CPU], ny), *ig = fetch(GPU, (float *)idx[GPU], ny);
    EXPECT(!memcmp(ic, ig, sizeof(float) * ny));
    free(ic), free(ig);
    buf dy = buf_rand(ny, seed + 2, 0, 1), dx = buf_rand(nx, seed + 3, 0, 1);
    for (int s = 0; s < 2; s++) be[s]->maxpool_backward(ctx[s], &d, dy.d[s], idx[s], dx.d[s]);
    snprintf(what, sizeof what, "maxpool %dx%d/%d pad %d backward:", d.k, d.k, d.stride, d.pad);
    compare(what, &dx, TOL_EXACT);
    for (int s = 0; s < 2; s++) be[s]->free(ctx[s], (float *)idx[s]);
    buf_free(&x), buf_free(&y), buf_free(&dy), buf_free(&dx);
    free(h);
}

static void maxpool_keeps_the_first_maximum_and_routes_gradients_to_it(void)
{
    sides_open(0);
    maxpool_check((pgc_pool_desc){2, 3, 16, 16, 8, 8, 2, 2, 0}, 700);  /* dcfpn */
    maxpool_check((pgc_pool_desc){2, 3, 16, 16, 8, 8, 3, 2, 1}, 710);  /* resnet50 stem */
    maxpool_check((pgc_pool_desc){2, 4, 9, 9, 4, 4, 3, 2, 0}, 720);    /* odd, overlapping */
    sides_close();
}

/* ---- slices, upsampling, GAP, add ---- */

static void slice_copies_channels_and_backward_adds_them(void)
{
    sides_open(0);
    int n = 2, cx = 3, cy = 8, c0 = 4, hw = 10 * 10;
    buf x = buf_rand((size_t)n * cx * hw, 800, 0, 1), y = buf_rand((size_t)n * cy * hw, 801, 0, 1);
    buf dy = buf_rand(y.n, 802, 0, 1), dx = buf_rand(x.n, 803, 0, 1);
    for (int s = 0; s < 2; s++) {
        be[s]->slice_forward(ctx[s], n, cx, cy, c0, hw, x.d[s], y.d[s]);
        be[s]->slice_backward(ctx[s], n, cx, cy, c0, hw, dy.d[s], dx.d[s]);
    }
    compare("slice forward (other channels kept):", &y, 0);
    compare("slice backward:", &dx, TOL_EXACT);
    buf_free(&x), buf_free(&y), buf_free(&dy), buf_free(&dx);
    sides_close();
}

static void upsample_repeats_pixels_and_backward_sums_blocks(void)
{
    sides_open(0);
    for (int sh = 0; sh <= 3; sh++) {
        int n = 2, c = 3, h = 5, w = 4;
        size_t nx = (size_t)n * c * h * w, ny = nx << 2 * sh;
        buf x = buf_rand(nx, 900 + sh, 0, 1), y = buf_rand(ny, 910 + sh, 0, 1);
        buf dy = buf_rand(ny, 920 + sh, 0, 1), dx = buf_rand(nx, 930 + sh, 0, 1);
        for (int s = 0; s < 2; s++) {
            be[s]->upsample_forward(ctx[s], n, c, h, w, sh, x.d[s], y.d[s]);
            be[s]->upsample_backward(ctx[s], n, c, h, w, sh, dy.d[s], dx.d[s]);
        }
        char what[64];
        snprintf(what, sizeof what, "upsample x%d forward:", 1 << sh);
        compare(what, &y, 0);
        snprintf(what, sizeof what, "upsample x%d backward:", 1 << sh);
        compare(what, &dx, TOL_EXACT);
        buf_free(&x), buf_free(&y), buf_free(&dy), buf_free(&dx);
    }
    sides_close();
}

static void gap_check(int hw)
{
    int n = 2, c = 6;
    buf x = buf_rand((size_t)n * c * hw, 1000, 0.3, 1), y = buf_rand((size_t)n * c, 1001, 0, 1);
    buf dy = buf_rand(y.n, 1002, 0, 1), dx = buf_rand(x.n, 1003, 0, 1);
    for (int s = 0; s < 2; s++) {
        be[s]->gap_forward(ctx[s], n, c, hw, x.d[s], y.d[s]);
        be[s]->gap_backward(ctx[s], n, c, hw, dy.d[s], dx.d[s]);
    }
    char what[64];
    snprintf(what, sizeof what, "gap forward, planes of %d:", hw);
    compare(what, &y, TOL_SUM);
    snprintf(what, sizeof what, "gap backward, planes of %d:", hw);
    compare(what, &dx, TOL_EXACT);
    buf_free(&x), buf_free(&y), buf_free(&dy), buf_free(&dx);
}

static void gap_averages_planes_and_backward_spreads_evenly(void)
{
    sides_open(0);
    gap_check(14 * 14);
    gap_check(70 * 70);
    sides_close();
}

static void add_with_and_without_relu_and_its_masked_backward(void)
{
    sides_open(0);
    for (int relu = 0; relu < 2; relu++) {
        size_t n = 2 * 5 * 9 * 9;
        buf a = buf_rand(n, 1100 + relu, 0, 1), b = buf_rand(n, 1110, 0, 1);
        buf y = buf_rand(n, 1120, 0, 1), dy = buf_rand(n, 1130, 0, 1);
        buf da = buf_rand(n, 1140, 0, 1), db = buf_rand(n, 1150, 0, 1);
        for (int s = 0; s < 2; s++) {
            be[s]->add_forward(ctx[s], n, relu, a.d[s], b.d[s], y.d[s]);
            be[s]->add_backward(ctx[s], n, relu, y.d[s], dy.d[s], da.d[s], db.d[s]);
            be[s]->add_backward(ctx[s], n, relu, y.d[s], dy.d[s], da.d[s], NULL);
        }
        compare(relu ? "add relu forward:" : "add forward:", &y, 0);
        compare(relu ? "add relu backward: da, db" : "add backward: da, db", &da, TOL_EXACT);
        compare(relu ? "add relu backward: da, db" : "add backward: da, db", &db, TOL_EXACT);
        buf_free(&a), buf_free(&b), buf_free(&y), buf_free(&dy), buf_free(&da), buf_free(&db);
    }
    sides_close();
}

/* ---- fully connected, Adam ---- */

static void fc_matches_forward_and_backward(void)
{
    sides_open(0);
    for (int m = 2; m <= 3; m++) {
        int n = 2, k = 40;
        buf x = buf_rand((size_t)n * k, 1200 + m, 0, 1), w = buf_rand((size_t)m * k, 1210, 0, 0.2);
        buf b = buf_rand(m, 1220, 0, 1), y = buf_rand((size_t)n * m, 1230, 0, 1);
        buf dy = buf_rand(y.n, 1240, 0, 1), dx = buf_rand(x.n, 1250, 0, 1);
        buf dw = buf_rand(w.n, 1260, 0, 1), db = buf_rand(b.n, 1270, 0, 1);
        for (int s = 0; s < 2; s++) {
            be[s]->fc_forward(ctx[s], n, k, m, x.d[s], w.d[s], b.d[s], y.d[s]);
            be[s]->fc_backward(ctx[s], n, k, m, x.d[s], w.d[s], dy.d[s], dx.d[s], dw.d[s],
                               db.d[s]);
        }
        compare("fc forward:", &y, TOL_GEMM);
        compare("fc backward: dx, dw, db", &dx, TOL_GEMM);
        compare("fc backward: dx, dw, db", &dw, TOL_GEMM);
        compare("fc backward: dx, dw, db", &db, TOL_EXACT);
        buf_free(&x), buf_free(&w), buf_free(&b), buf_free(&y);
        buf_free(&dy), buf_free(&dx), buf_free(&dw), buf_free(&db);
    }
    sides_close();
}

static void adam_steps_match(void)
{
    sides_open(0);
    size_t n = 3000;
    buf p = buf_rand(n, 1300, 0, 1), m = buf_rand(n, 1301, 0, 0), v = buf_rand(n, 1302, 0, 0);
    for (long t = 1; t <= 5; t++) {
        buf g = buf_rand(n, 1310 + t, 0, t == 3 ? 1e-9 : 1);
        for (int s = 0; s < 2; s++)
            be[s]->adam_step(ctx[s], n, p.d[s], g.d[s], m.d[s], v.d[s], 1e-3f, 0.9f, 0.999f,
                             1e-8f, t);
        buf_free(&g);
    }
    compare("adam (5 steps): p, m, v", &p, TOL_EXACT);
    compare("adam (5 steps): p, m, v", &m, TOL_EXACT);
    compare("adam (5 steps): p, m, v", &v, TOL_EXACT);
    buf_free(&p), buf_free(&m), buf_free(&v);
    sides_close();
}

/* ---- whole networks ---- */

/* Batch 2 at size x size. */
static pgc_net *net_make(int s, const char *arch, int width, int size)
{
    pgc_net *net = NULL;
    pgc_err e = {{0}};
    if (pgc_net_create(&net, be[s], arch, width, 2, size, size, 1, 1234, &e)) {
        printf("#   %s on %s: %s\n", arch, be[s]->name, e.msg);
        EXPECT(net != NULL);
    }
    return net;
}

static void net_expect_no_failure(pgc_net *g)
{
    pgc_err e = {{0}};
    int rc = pgc_net_status(g, &e);
    if (rc) printf("#   %s\n", e.msg);
    EXPECT(rc == PGC_OK);
}

static void net_compare_array(const char *what, pgc_net *c, pgc_net *g, const float *dc,
                              const float *dg, size_t n, double tol)
{
    float *hc = malloc(sizeof(float) * (n ? n : 1)), *hg = malloc(sizeof(float) * (n ? n : 1));
    c->be->download(c->ctx, hc, dc, n);
    g->be->download(g->ctx, hg, dg, n);
    compare_host(what, hc, hg, n, tol);
    free(hc), free(hg);
}

static void net_compare_tensor(const char *what, pgc_net *c, pgc_net *g, int t, int grad)
{
    const pgc_tensor *tt = &c->t[t];
    size_t n = (size_t)tt->n * tt->c * tt->h * tt->w;
    float *hc = malloc(sizeof(float) * n), *hg = malloc(sizeof(float) * n);
    pgc_net_read(c, t, grad, hc);
    pgc_net_read(g, t, grad, hg);
    compare_host(what, hc, hg, n, TOL_NET);
    free(hc), free(hg);
}

/* Parameter gradients tensor by tensor, relative to the tensor's largest CPU value. A
 * parameter whose gradient vanishes in exact arithmetic (a bias right before a
 * training-mode BN, a gamma whose BN output feeds another training-mode BN) holds
 * rounding noise on both sides: such tensors are measured against 1e-3 of the largest
 * gradient of the whole net instead, and counted. */
static void net_compare_grads(const char *what, pgc_net *c, pgc_net *g, double tol)
{
    float *hc = malloc(sizeof(float) * c->np), *hg = malloc(sizeof(float) * c->np);
    c->be->download(c->ctx, hc, c->g, c->np);
    g->be->download(g->ctx, hg, g->g, g->np);
    double top = 0;
    for (size_t i = 0; i < c->np; i++)
        if (fabs(hc[i]) > top) top = fabs(hc[i]);
    int vanishing = 0, compared = 0, failed = 0;
    double worst = 0;
    const char *worst_name = "";
    for (int i = 0; i < c->npar; i++) {
        const pgc_param *p = &c->par[i];
        if (p->stat) continue;
        const float *a = hc + p->off, *b = hg + p->off;
        double mag = 0, diff = 0;
        int finite = 1;
        for (size_t j = 0; j < p->count; j++) {
            if (!isfinite(a[j]) || !isfinite(b[j])) finite = 0;
            if (fabs(a[j]) > mag) mag = fabs(a[j]);
            if (fabs((double)a[j] - b[j]) > diff) diff = fabs((double)a[j] - b[j]);
        }
        if (!finite) {
            printf("#   %s: %s has NaN or Inf\n", what, p->name);
            failed++;
            continue;
        }
        compared++;
        if (mag < 1e-3 * top) {
            vanishing++;
            mag = 1e-3 * top;
        }
        double rel = mag > 0 ? diff / mag : diff;
        if (rel > worst) worst = rel, worst_name = p->name;
        if (rel > tol) {
            printf("#   %s: %s off by %.3g relative\n", what, p->name, rel);
            failed++;
        }
    }
    printf("# %-40s %d parameter tensors (%d near zero), worst %.3g (%s) (tolerance %g)\n",
           what, compared, vanishing, worst, worst_name, tol);
    EXPECT(failed == 0);
    EXPECT(compared > 0);
    free(hc), free(hg);
}

static float *net_input(unsigned seed, int size)
{
    float *x = malloc(sizeof(float) * 2 * size * size);
    fill(x, (size_t)2 * size * size, seed, 0, 1);
    return x;
}

/* Training forward, backward and one Adam step on both sides. */
static void net_train_check(const char *arch, int width, int size, double tol)
{
    pgc_net *c = net_make(CPU, arch, width, size), *g = net_make(GPU, arch, width, size);
    if (!c || !g) goto done;
    float *x = net_input(77, size), zc[4], zg[4], dz[4];
    int labels[2] = {1, 0};
    char what[96];
    c->train = g->train = 1;
    pgc_net_forward(c, x, zc);
    pgc_net_forward(g, x, zg);
    snprintf(what, sizeof what, "%s w%d train forward: logits", arch, width);
    compare_host(what, zc, zg, 4, tol);
    snprintf(what, sizeof what, "%s w%d train forward: running stats", arch, width);
    net_compare_array(what, c, g, c->s, g->s, c->ns, tol);
    /* the same d loss / d logits on both sides, from the CPU's logits */
    pgc_softmax_xent(2, zc, labels, NULL, dz, NULL);
    pgc_net_zero_grads(c);
    pgc_net_zero_grads(g);
    pgc_net_backward(c, dz);
    pgc_net_backward(g, dz);
    snprintf(what, sizeof what, "%s w%d train backward:", arch, width);
    net_compare_grads(what, c, g, tol);
    /* Adam from the same gradients: a vanishing gradient's noise would otherwise move a
     * parameter by +-lr on one side and -+lr on the other */
    float *hg = malloc(sizeof(float) * c->np);
    c->be->download(c->ctx, hg, c->g, c->np);
    g->be->upload(g->ctx, g->g, hg, g->np);
    free(hg);
    pgc_net_adam(c, 1e-3f);
    pgc_net_adam(g, 1e-3f);
    snprintf(what, sizeof what, "%s w%d adam: parameters", arch, width);
    net_compare_array(what, c, g, c->p, g->p, c->np, TOL_EXACT);
    snprintf(what, sizeof what, "%s w%d adam: moments m, v", arch, width);
    net_compare_array(what, c, g, c->m, g->m, c->np, TOL_EXACT);
    net_compare_array(what, c, g, c->v, g->v, c->np, TOL_EXACT);
    net_expect_no_failure(g);
    free(x);
done:
    pgc_net_free(c);
    pgc_net_free(g);
}

static void a_tiny_dcfpn_trains_alike_forward_backward_and_adam(void)
{
    net_train_check("dcfpn", 2, 32, TOL_NET);
}

static void a_tiny_resnet50_trains_alike_forward_backward_and_adam(void)
{
    /* 64 x 64, so that its last stage still has 2 x 2 pixels for BN's statistics */
    net_train_check("resnet50", 4, 64, TOL_DEEP);
}

/* Grad-CAM's inputs: inference-mode BN (after a few training forwards have moved the
 * running statistics), no parameter gradients, backward from the tumour logit. */
static void a_tiny_dcfpn_gives_the_same_grad_cam_features_and_gradients(void)
{
    pgc_net *c = net_make(CPU, "dcfpn", 2, 32), *g = net_make(GPU, "dcfpn", 2, 32);
    if (!c || !g) goto done;
    c->train = g->train = 1;
    for (unsigned i = 0; i < 3; i++) {
        float *x = net_input(90 + i, 32);
        pgc_net_forward(c, x, NULL);
        pgc_net_forward(g, x, NULL);
        free(x);
    }
    c->train = g->train = 0;
    c->param_grads = g->param_grads = 0;
    float *x = net_input(99, 32), zc[4], zg[4], dz[4] = {0, 1, 0, 1};
    pgc_net_forward(c, x, zc);
    pgc_net_forward(g, x, zg);
    compare_host("dcfpn w2 inference: logits", zc, zg, 4, TOL_NET);
    pgc_net_backward(c, dz);
    pgc_net_backward(g, dz);
    for (int k = 0; k < c->nscales; k++) {
        char what[64];
        snprintf(what, sizeof what, "dcfpn w2 grad-cam: scale %d features", k + 1);
        net_compare_tensor(what, c, g, c->scale[k], 0);
        snprintf(what, sizeof what, "dcfpn w2 grad-cam: scale %d gradients", k + 1);
        net_compare_tensor(what, c, g, c->scale[k], 1);
    }
    net_expect_no_failure(g);
    free(x);
done:
    pgc_net_free(c);
    pgc_net_free(g);
}

/* ---- running ---- */

#ifdef __SANITIZE_ADDRESS__
/* Under AddressSanitizer CUDA starts only with ASAN_OPTIONS=protect_shadow_gap=0 (else
 * the backend finds no device and the tests skip); its libraries keep allocations until
 * exit, which LeakSanitizer must not count against this test. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcuda.so\nleak:libcudart.so\nleak:libcudnn\nleak:libcublas\n"
           "leak:libnvrtc\n";
}
#endif

typedef struct {
    const char *name;
    void (*fn)(void);
} test;
#define T(fn) {#fn, fn}

/* gpu_ops [WORD]: only the tests whose name holds WORD. */
int main(int argc, char **argv)
{
    static const test tests[] = {
        T(memory_is_zeroed_on_alloc_and_round_trips),
        T(pinned_host_buffers_round_trip_and_the_device_has_a_name),
        T(conv_forward_overwrites_y),
        T(conv_backward_data_adds_to_dx),
        T(conv_backward_filter_adds_to_dw),
        T(bn_forward_in_training_matches_with_running_averages),
        T(bn_forward_in_inference_uses_the_running_statistics),
        T(bn_backward_in_training_adds_to_dx_dgamma_dbeta),
        T(bn_backward_in_inference_adds_to_dx_dgamma_dbeta),
        T(upconv_forward_adds_each_part_at_its_shift),
        T(upconv_backward_adds_to_dx_and_dw),
        T(bias_forward_overwrites_and_backward_adds),
        T(maxpool_keeps_the_first_maximum_and_routes_gradients_to_it),
        T(slice_copies_channels_and_backward_adds_them),
        T(upsample_repeats_pixels_and_backward_sums_blocks),
        T(gap_averages_planes_and_backward_spreads_evenly),
        T(add_with_and_without_relu_and_its_masked_backward),
        T(fc_matches_forward_and_backward),
        T(adam_steps_match),
        T(a_tiny_dcfpn_trains_alike_forward_backward_and_adam),
        T(a_tiny_dcfpn_gives_the_same_grad_cam_features_and_gradients),
        T(a_tiny_resnet50_trains_alike_forward_backward_and_adam),
    };
    int nt = (int)(sizeof tests / sizeof *tests);
    char why[512];
    be[CPU] = pgc_nn_backend_cpu();
    be[GPU] = pgc_nn_backend_get("gpu", why, sizeof why);
    const char *self = getenv("PGC_GPU_OPS_ON_CPU");
    int on_cpu = self && !strcmp(self, "1");
    if (on_cpu) {
        be[GPU] = be[CPU];
        printf("# PGC_GPU_OPS_ON_CPU=1: the CPU backend against itself\n");
    } else if (be[GPU] == be[CPU]) {
        /* A machine with an NVIDIA driver must not pass by skipping where the plugin was
         * built for its GPU: a plugin that fails to load there, or finds no device, is
         * a failure. A build without the plugin, or a GPU older than sm_80, is a real
         * fallback. PGC_REQUIRE_GPU=1 (make gpu-check) fails on any fallback. */
        const char *req = getenv("PGC_REQUIRE_GPU");
        int legit = strstr(why, PGC_NN_WHY_NOT_BUILT) || strstr(why, PGC_NN_WHY_TOO_OLD);
        if ((req && !strcmp(req, "1")) || (!legit && access("/dev/nvidiactl", F_OK) == 0)) {
            printf("not ok - the GPU backend is usable # %s\n", why);
            return 1;
        }
    } else {
        char dev[256];
        be[GPU]->device_name(dev, sizeof dev);
        printf("# gpu: %s\n", dev);
    }
    int skip = !on_cpu && be[GPU] == be[CPU];
    for (int i = 0; i < nt; i++) {
        if (argc >= 2 && !strstr(tests[i].name, argv[1])) continue;
        if (!skip) {
            check_run(tests[i].name, tests[i].fn);
            continue;
        }
        char label[128];
        snprintf(label, sizeof label, "%s", tests[i].name);
        for (char *p = label; *p; p++)
            if (*p == '_') *p = ' ';
        printf("ok - %s # skipped: no GPU (%s)\n", label, why);
    }
    return skip ? 0 : check_done();
}

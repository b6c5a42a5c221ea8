/* CPU backend: memory, batch norm, pooling, element-wise ops, Adam, and its table. */
#include "adam.h"
#include "cpu.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *cpu_create(size_t ws_bytes, int threads)
{
    pgc_cpu_ctx *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->ws_n = ws_bytes / sizeof(float) + 1;
    c->ws = aligned_alloc(64, (c->ws_n * sizeof(float) + 63) / 64 * 64);
    if (!c->ws) {
        free(c);
        return NULL;
    }
    c->threads = threads > 0 ? threads : 1;
    c->avx512 = pgc_cpu_has_avx512();
    c->pool = pgc_pool_create(c->threads);
    if (!c->pool) {
        free(c->ws);
        free(c);
        return NULL;
    }
    openblas_set_num_threads(1); /* the pool splits each GEMM (cpu_gemm.c) */
    return c;
}

void pgc_cpu_for(void *ctx, size_t n, void (*fn)(void *, size_t, size_t), void *arg)
{
    pgc_cpu_ctx *c = ctx;
    pgc_pool_for(c ? c->pool : NULL, n, fn, arg);
}

static void cpu_destroy(void *ctx)
{
    pgc_cpu_ctx *c = ctx;
    if (!c) return;
    pgc_pool_free(c->pool);
    free(c->ws);
    free(c->pack);
    free(c);
}

static float *cpu_alloc(void *ctx, size_t n)
{
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (p) memset(p, 0, bytes);
    return p;
}

static int *cpu_alloc_int(void *ctx, size_t n)
{
    return calloc(n ? n : 1, sizeof(int));
}

static void cpu_free(void *ctx, float *p) { free(p); }

static void cpu_copy(void *ctx, float *dst, const float *src, size_t n)
{
    if (dst != src) memcpy(dst, src, n * sizeof(float));
}

static void cpu_zero(void *ctx, float *p, size_t n) { memset(p, 0, n * sizeof(float)); }

/* Sums in 8 float lanes, so that the compiler vectorises them, then in double. */
static double sum_f(const float *restrict p, size_t n)
{
    float acc[8] = {0};
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int l = 0; l < 8; l++) acc[l] += p[j + l];
    double s = 0;
    for (; j < n; j++) s += p[j];
    for (int l = 0; l < 8; l++) s += acc[l];
    return s;
}

static double sumsq_f(const float *restrict p, size_t n, float m)
{
    float acc[8] = {0};
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int l = 0; l < 8; l++) acc[l] += (p[j + l] - m) * (p[j + l] - m);
    double s = 0;
    for (; j < n; j++) s += (double)(p[j] - m) * (p[j] - m);
    for (int l = 0; l < 8; l++) s += acc[l];
    return s;
}

typedef struct {
    const pgc_bn_desc *d;
    const float *x, *y, *dy, *gamma, *beta, *run_mean, *run_var, *save;
    float *rm, *rv, *sv, *out, *dx, *dgamma, *dbeta;
} bn_job;

static void bn_forward_part(void *arg, size_t c0, size_t c1)
{
    const bn_job *j = arg;
    const pgc_bn_desc *d = j->d;
    size_t hw = d->hw;
    double cnt = (double)d->n * hw;
    for (size_t c = c0; c < c1; c++) {
        double mean, var;
        if (d->train) {
            double s = 0, ss = 0;
            for (int i = 0; i < d->n; i++) s += sum_f(j->x + ((size_t)i * d->c + c) * hw, hw);
            mean = s / cnt;
            /* two passes: the variance about the mean does not cancel */
            for (int i = 0; i < d->n; i++)
                ss += sumsq_f(j->x + ((size_t)i * d->c + c) * hw, hw, (float)mean);
            var = ss / cnt;
            double un = d->unbias_n > 0 ? d->unbias_n : cnt;
            double uvar = un > 1 ? var * un / (un - 1) : var;
            j->rm[c] = (float)((1 - d->momentum) * j->rm[c] + d->momentum * mean);
            j->rv[c] = (float)((1 - d->momentum) * j->rv[c] + d->momentum * uvar);
            j->sv[c] = (float)mean;
            j->sv[d->c + c] = (float)(1.0 / sqrt(var + d->eps));
        } else {
            mean = j->rm[c];
            var = j->rv[c];
        }
        float m = (float)mean, is = (float)(1.0 / sqrt(var + d->eps));
        float a = j->gamma[c] * is, b = j->beta[c] - m * a;
        const pgc_v8 zero = {0}, va = zero + a, vb = zero + b;
        for (int i = 0; i < d->n; i++) {
            const float *restrict p = j->x + ((size_t)i * d->c + c) * hw;
            float *restrict q = j->out + ((size_t)i * d->c + c) * hw;
            size_t k = 0;
            /* 8 at a time (GCC -O2 leaves the loop below scalar), the same rounding */
            for (; k + 8 <= hw; k += 8) {
                pgc_v8 v = v8_load(p + k) * va + vb;
                if (d->relu) v = (pgc_v8)((pgc_v8i)v & (v > zero)); /* NaN and -0 give 0 */
                v8_store(q + k, v);
            }
            if (d->relu)
                for (; k < hw; k++) {
                    float v = p[k] * a + b;
                    q[k] = v > 0 ? v : 0;
                }
            else
                for (; k < hw; k++) q[k] = p[k] * a + b;
        }
    }
}

static void bn_forward(void *ctx, const pgc_bn_desc *d, const float *x, const float *gamma,
                       const float *beta, float *run_mean, float *run_var, float *save,
                       float *y)
{
    bn_job j = {.d = d, .x = x, .gamma = gamma, .beta = beta, .rm = run_mean, .rv = run_var,
                .sv = save, .out = y};
    pgc_cpu_for(ctx, d->c, bn_forward_part, &j);
}

static void bn_backward_part(void *arg, size_t c0, size_t c1)
{
    const bn_job *j = arg;
    const pgc_bn_desc *d = j->d;
    size_t hw = d->hw;
    double cnt = (double)d->n * hw;
    for (size_t c = c0; c < c1; c++) {
        float m, is;
        if (d->train) {
            m = j->save[c];
            is = j->save[d->c + c];
        } else {
            m = j->run_mean[c];
            is = (float)(1.0 / sqrt((double)j->run_var[c] + d->eps));
        }
        /* sums of dy' and dy' (x - m), dy' = dy masked by the ReLU */
        double sg = 0, sgx = 0;
        pgc_v8 vm = {m, m, m, m, m, m, m, m};
        for (int i = 0; i < d->n; i++) {
            size_t o = ((size_t)i * d->c + c) * hw, k = 0;
            const float *x = j->x + o, *y = j->y + o, *dy = j->dy + o;
            pgc_v8 a1 = {0}, a2 = {0};
            for (; k + 8 <= hw; k += 8) {
                pgc_v8 g = v8_load(dy + k);
                if (d->relu) g = v8_where_pos(v8_load(y + k), g);
                a1 += g;
                a2 += g * (v8_load(x + k) - vm);
            }
            for (; k < hw; k++) {
                float g = d->relu && y[k] <= 0 ? 0 : dy[k];
                sg += g;
                sgx += (double)g * (x[k] - m);
            }
            sg += v8_sum(a1), sgx += v8_sum(a2);
        }
        sgx *= is;
        if (j->dgamma) j->dgamma[c] += (float)sgx;
        if (j->dbeta) j->dbeta[c] += (float)sg;
        if (!j->dx) continue;
        float kk = j->gamma[c] * is;
        float mg = d->train ? (float)(sg / cnt) : 0, ism = d->train ? is * (float)(sgx / cnt) : 0;
        pgc_v8 vk = vm * 0 + kk, vmg = vm * 0 + mg, vism = vm * 0 + ism;
        for (int i = 0; i < d->n; i++) {
            size_t o = ((size_t)i * d->c + c) * hw, k = 0;
            const float *x = j->x + o, *y = j->y + o, *dy = j->dy + o;
            float *dx = j->dx + o;
            for (; k + 8 <= hw; k += 8) {
                pgc_v8 g = v8_load(dy + k);
                if (d->relu) g = v8_where_pos(v8_load(y + k), g);
                v8_store(dx + k, v8_load(dx + k) + vk * (g - vmg - (v8_load(x + k) - vm) * vism));
            }
            for (; k < hw; k++) {
                float g = d->relu && y[k] <= 0 ? 0 : dy[k];
                dx[k] += kk * (g - mg - (x[k] - m) * ism);
            }
        }
    }
}

static void bn_backward(void *ctx, const pgc_bn_desc *d, const float *x, const float *y,
                        const float *dy, const float *gamma, const float *run_mean,
                        const float *run_var, const float *save, float *dx, float *dgamma,
                        float *dbeta)
{
    bn_job j = {.d = d, .x = x, .y = y, .dy = dy, .gamma = gamma, .run_mean = run_mean,
                .run_var = run_var, .save = save, .dx = dx, .dgamma = dgamma, .dbeta = dbeta};
    pgc_cpu_for(ctx, d->c, bn_backward_part, &j);
}

typedef struct {
    const pgc_pool_desc *d;
    const float *x, *dy;
    float *y, *dx;
    int *idx;
    const int *cidx;
} pool_job;

/* Eight outputs of the 2x2 stride-2 pool at once, the same choice as the scalar loop
 * below: candidates in the order a (i0), b (i0+1), c (i0+w), d (i0+w+1); a later one
 * wins when it is larger or NaN, unless the best so far is NaN already. */
static void pool2x2_v8(const float *r0, const float *r1, int i0, int w, float *y, int *idx)
{
    pgc_v8 x0 = v8_load(r0), x1 = v8_load(r0 + 8), z0 = v8_load(r1), z1 = v8_load(r1 + 8);
#if defined(__clang__)
    pgc_v8 a = __builtin_shufflevector(x0, x1, 0, 2, 4, 6, 8, 10, 12, 14);
    pgc_v8 b = __builtin_shufflevector(x0, x1, 1, 3, 5, 7, 9, 11, 13, 15);
    pgc_v8 c = __builtin_shufflevector(z0, z1, 0, 2, 4, 6, 8, 10, 12, 14);
    pgc_v8 e = __builtin_shufflevector(z0, z1, 1, 3, 5, 7, 9, 11, 13, 15);
#else
    const pgc_v8i ev = {0, 2, 4, 6, 8, 10, 12, 14}, od = {1, 3, 5, 7, 9, 11, 13, 15};
    pgc_v8 a = __builtin_shuffle(x0, x1, ev), b = __builtin_shuffle(x0, x1, od);
    pgc_v8 c = __builtin_shuffle(z0, z1, ev), e = __builtin_shuffle(z0, z1, od);
#endif
    pgc_v8i base = {0, 2, 4, 6, 8, 10, 12, 14};
    base += i0;
    pgc_v8i bi = base;
    pgc_v8 best = a;
    const pgc_v8 cand[3] = {b, c, e};
    const int off[3] = {1, w, w + 1};
    for (int t = 0; t < 3; t++) {
        pgc_v8 v = cand[t];
        pgc_v8i up = (best == best) & ((v > best) | (v != v));
        best = (pgc_v8)(((pgc_v8i)v & up) | ((pgc_v8i)best & ~up));
        bi = ((base + off[t]) & up) | (bi & ~up);
    }
    v8_store(y, best);
    memcpy(idx, &bi, sizeof bi);
}

/* The maximum of the k x k window at x (rows w apart) into *y, its offset returned: in
 * row-major order a later tap wins when larger or NaN, unless the best so far is NaN
 * (the first NaN wins, as in PyTorch), chosen without branches. */
static inline int pool_take(float v, int i, float *best, int *bi)
{
    int take = (v > *best || v != v) & (*best == *best);
    *best = take ? v : *best;
    *bi = take ? i : *bi;
    return take;
}

static int pool_window(const float *x, int w, int k, float *y)
{
    float best = x[0];
    int bi = 0;
    for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++) pool_take(x[ky * w + kx], ky * w + kx, &best, &bi);
    *y = best;
    return bi;
}

/* the same for k = 3, unrolled */
static int pool_window3(const float *x, int w, float *y)
{
    float best = x[0];
    int bi = 0;
#pragma GCC unroll 3
    for (int ky = 0; ky < 3; ky++)
#pragma GCC unroll 3
        for (int kx = 0; kx < 3; kx++) pool_take(x[ky * w + kx], ky * w + kx, &best, &bi);
    *y = best;
    return bi;
}

/* pool_window for 8 outputs of a stride-2 row at once: window origins x, x + 2, ...,
 * x + 14 (offset i0 in the plane); reads x up to k - 1 rows down and 15 + k - 1 across. */
static void pool_s2_v8(const float *x, int w, int k, int i0, float *y, int *idx)
{
#if !defined(__clang__)
    const pgc_v8i ev = {0, 2, 4, 6, 8, 10, 12, 14};
#endif
    pgc_v8i base = {0, 2, 4, 6, 8, 10, 12, 14};
    base += i0;
    pgc_v8 best = {0};
    pgc_v8i bi = base;
    for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++) {
            const float *p = x + ky * w + kx;
            pgc_v8 p0 = v8_load(p), p1 = v8_load(p + 8);
#if defined(__clang__)
            pgc_v8 v = __builtin_shufflevector(p0, p1, 0, 2, 4, 6, 8, 10, 12, 14);
#else
            pgc_v8 v = __builtin_shuffle(p0, p1, ev);
#endif
            if (ky == 0 && kx == 0) {
                best = v;
                continue;
            }
            pgc_v8i up = (best == best) & ((v > best) | (v != v));
            best = (pgc_v8)(((pgc_v8i)v & up) | ((pgc_v8i)best & ~up));
            bi = ((base + (ky * w + kx)) & up) | (bi & ~up);
        }
    v8_store(y, best);
    memcpy(idx, &bi, sizeof bi);
}

static void maxpool_forward_part(void *arg, size_t p0, size_t p1)
{
    const pool_job *j = arg;
    const pgc_pool_desc *d = j->d;
    for (size_t pl = p0; pl < p1; pl++) {
        const float *xp = j->x + pl * d->h * d->w;
        float *yp = j->y + pl * d->ho * d->wo;
        int *ip = j->idx + pl * d->ho * d->wo;
        if (d->k == 2 && d->stride == 2 && d->pad == 0) {
            /* the U-Net pool: no padding, first maximum wins */
            for (int oy = 0; oy < d->ho; oy++) {
                int ox = 0;
                const float *r0 = xp + 2 * oy * d->w, *r1 = r0 + d->w;
                for (; ox + 8 <= d->wo; ox += 8)
                    pool2x2_v8(r0 + 2 * ox, r1 + 2 * ox, 2 * oy * d->w + 2 * ox, d->w,
                               yp + oy * d->wo + ox, ip + oy * d->wo + ox);
                for (; ox < d->wo; ox++) {
                    int i0 = 2 * oy * d->w + 2 * ox, bi = i0;
                    float best = xp[i0];
                    int cand[3] = {i0 + 1, i0 + d->w, i0 + d->w + 1};
                    for (int t = 0; t < 3; t++)
                        if (xp[cand[t]] > best || xp[cand[t]] != xp[cand[t]]) {
                            if (best != best) break;
                            best = xp[cand[t]], bi = cand[t];
                        }
                    yp[oy * d->wo + ox] = best;
                    ip[oy * d->wo + ox] = bi;
                }
            }
            continue;
        }
        /* outputs whose window lies inside the plane: no bounds tests, and the choice
         * made without branches (on ReLU outputs and noise a branch mispredicts half the
         * time: the 3x3 stride-2 pool cost 6% of resnet50's batch-1 inference) */
        int oy0 = (d->pad + d->stride - 1) / d->stride, ox0 = oy0;
        int oy1 = (d->h - d->k + d->pad) / d->stride + 1, ox1 = (d->w - d->k + d->pad) / d->stride + 1;
        if (oy1 > d->ho) oy1 = d->ho;
        if (ox1 > d->wo) ox1 = d->wo;
        for (int oy = 0; oy < d->ho; oy++)
            for (int ox = 0; ox < d->wo; ox++) {
                if (oy >= oy0 && oy < oy1 && ox >= ox0 && ox < ox1) {
                    /* the whole interior run of this row at once */
                    int r0 = (oy * d->stride - d->pad) * d->w - d->pad;
                    /* eight at a time while the ninth is inside too (the loads reach it) */
                    for (; d->stride == 2 && ox + 8 < ox1; ox += 8)
                        pool_s2_v8(xp + r0 + 2 * ox, d->w, d->k, r0 + 2 * ox,
                                   &yp[oy * d->wo + ox], &ip[oy * d->wo + ox]);
                    for (; ox < ox1; ox++) {
                        int i0 = r0 + ox * d->stride;
                        int bi = d->k == 3 ? pool_window3(xp + i0, d->w, &yp[oy * d->wo + ox])
                                           : pool_window(xp + i0, d->w, d->k, &yp[oy * d->wo + ox]);
                        ip[oy * d->wo + ox] = i0 + bi;
                    }
                    ox--;
                    continue;
                }
                float best = -INFINITY;
                int bi = -1;
                for (int ky = 0; ky < d->k; ky++) {
                    int iy = oy * d->stride - d->pad + ky;
                    if (iy < 0 || iy >= d->h) continue;
                    for (int kx = 0; kx < d->k; kx++) {
                        int ix = ox * d->stride - d->pad + kx;
                        if (ix < 0 || ix >= d->w) continue;
                        float v = xp[iy * d->w + ix];
                        /* first maximum wins; NaN propagates like PyTorch */
                        if (bi < 0 || v > best || v != v) {
                            best = v;
                            bi = iy * d->w + ix;
                            if (v != v) goto done;
                        }
                    }
                }
            done:
                yp[oy * d->wo + ox] = best;
                ip[oy * d->wo + ox] = bi;
            }
    }
}

static void maxpool_forward(void *ctx, const pgc_pool_desc *d, const float *x, float *y,
                            int *idx)
{
    pool_job j = {.d = d, .x = x, .y = y, .idx = idx};
    pgc_cpu_for(ctx, (size_t)d->n * d->c, maxpool_forward_part, &j);
}

static void maxpool_backward_part(void *arg, size_t p0, size_t p1)
{
    const pool_job *j = arg;
    const pgc_pool_desc *d = j->d;
    for (size_t pl = p0; pl < p1; pl++) {
        float *dp = j->dx + pl * d->h * d->w;
        const float *gp = j->dy + pl * d->ho * d->wo;
        const int *ip = j->cidx + pl * d->ho * d->wo;
        for (int o = 0; o < d->ho * d->wo; o++)
            if (ip[o] >= 0) dp[ip[o]] += gp[o];
    }
}

static void maxpool_backward(void *ctx, const pgc_pool_desc *d, const float *dy,
                             const int *idx, float *dx)
{
    pool_job j = {.d = d, .dy = dy, .dx = dx, .cidx = idx};
    pgc_cpu_for(ctx, (size_t)d->n * d->c, maxpool_backward_part, &j);
}

static void slice_forward(void *ctx, int n, int cx, int cy, int c0, int hw, const float *x,
                          float *y)
{
    for (int i = 0; i < n; i++)
        memcpy(y + ((size_t)i * cy + c0) * hw, x + (size_t)i * cx * hw,
               sizeof(float) * cx * hw);
}

static void slice_backward(void *ctx, int n, int cx, int cy, int c0, int hw, const float *dy,
                           float *dx)
{
    for (int i = 0; i < n; i++) {
        const float *s = dy + ((size_t)i * cy + c0) * hw;
        float *d = dx + (size_t)i * cx * hw;
        for (size_t j = 0; j < (size_t)cx * hw; j++) d[j] += s[j];
    }
}

static void upsample_forward(void *ctx, int n, int c, int h, int w, int s, const float *x,
                             float *y)
{
    int W = w << s;
    for (size_t pl = 0; pl < (size_t)n * c; pl++) {
        const float *xp = x + pl * h * w;
        float *yp = y + (pl * h * w << 2 * s);
        for (int oy = 0; oy < h << s; oy++)
            for (int ox = 0; ox < W; ox++) yp[(size_t)oy * W + ox] = xp[(oy >> s) * w + (ox >> s)];
    }
}

static void upsample_backward(void *ctx, int n, int c, int h, int w, int s, const float *dy,
                              float *dx)
{
    int W = w << s;
    for (size_t pl = 0; pl < (size_t)n * c; pl++) {
        float *dp = dx + pl * h * w;
        const float *gp = dy + (pl * h * w << 2 * s);
        for (int oy = 0; oy < h << s; oy++)
            for (int ox = 0; ox < W; ox++) dp[(oy >> s) * w + (ox >> s)] += gp[(size_t)oy * W + ox];
    }
}

static void gap_forward(void *ctx, int n, int c, int hw, const float *x, float *y)
{
    for (size_t pl = 0; pl < (size_t)n * c; pl++) {
        double s = 0;
        for (int j = 0; j < hw; j++) s += x[pl * hw + j];
        y[pl] = (float)(s / hw);
    }
}

static void gap_backward(void *ctx, int n, int c, int hw, const float *dy, float *dx)
{
    for (size_t pl = 0; pl < (size_t)n * c; pl++) {
        float g = dy[pl] / hw;
        for (int j = 0; j < hw; j++) dx[pl * hw + j] += g;
    }
}

/* The residual adds, in pieces of ADD_PIECE elements across the threads (they ran on one
 * thread, 4% of resnet50's batch-1 inference), 8 at a time. */
enum { ADD_PIECE = 4096 };

typedef struct {
    size_t n;
    int relu;
    const float *a, *b, *y, *dy;
    float *out, *da, *db;
} add_job;

static void add_forward_part(void *arg, size_t p0, size_t p1)
{
    const add_job *j = arg;
    size_t i = p0 * ADD_PIECE, end = p1 * ADD_PIECE < j->n ? p1 * ADD_PIECE : j->n;
    const pgc_v8 zero = {0};
    for (; i + 8 <= end; i += 8) {
        pgc_v8 v = v8_load(j->a + i) + v8_load(j->b + i);
        /* v < 0 gives 0; NaN and -0 pass, as in the scalar rule below */
        if (j->relu) v = (pgc_v8)((pgc_v8i)v & ~(v < zero));
        v8_store(j->out + i, v);
    }
    for (; i < end; i++) {
        float v = j->a[i] + j->b[i];
        j->out[i] = j->relu && v < 0 ? 0 : v;
    }
}

static void add_forward(void *ctx, size_t n, int relu, const float *a, const float *b,
                        float *y)
{
    add_job j = {.n = n, .relu = relu, .a = a, .b = b, .out = y};
    pgc_cpu_for(ctx, (n + ADD_PIECE - 1) / ADD_PIECE, add_forward_part, &j);
}

static void add_backward_part(void *arg, size_t p0, size_t p1)
{
    const add_job *j = arg;
    size_t i = p0 * ADD_PIECE, end = p1 * ADD_PIECE < j->n ? p1 * ADD_PIECE : j->n;
    const pgc_v8 zero = {0};
    for (; i + 8 <= end; i += 8) {
        pgc_v8 g = v8_load(j->dy + i);
        if (j->relu) g = (pgc_v8)((pgc_v8i)g & ~(v8_load(j->y + i) <= zero)); /* NaN y passes */
        if (j->da) v8_store(j->da + i, v8_load(j->da + i) + g);
        if (j->db) v8_store(j->db + i, v8_load(j->db + i) + g);
    }
    for (; i < end; i++) {
        float g = j->relu && j->y[i] <= 0 ? 0 : j->dy[i];
        if (j->da) j->da[i] += g;
        if (j->db) j->db[i] += g;
    }
}

static void add_backward(void *ctx, size_t n, int relu, const float *y, const float *dy,
                         float *da, float *db)
{
    add_job j = {.n = n, .relu = relu, .y = y, .dy = dy, .da = da, .db = db};
    pgc_cpu_for(ctx, (n + ADD_PIECE - 1) / ADD_PIECE, add_backward_part, &j);
}

static void bias_forward(void *ctx, int n, int c, int hw, const float *b, float *y)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < c; j++) {
            float *p = y + ((size_t)i * c + j) * hw;
            for (int k = 0; k < hw; k++) p[k] = b[j];
        }
}

static void bias_backward(void *ctx, int n, int c, int hw, const float *dy, float *db)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < c; j++) {
            const float *p = dy + ((size_t)i * c + j) * hw;
            double s = 0;
            for (int k = 0; k < hw; k++) s += p[k];
            db[j] += (float)s;
        }
}

static void adam_step(void *ctx, size_t n, float *p, const float *g, float *m, float *v,
                      float lr, float beta1, float beta2, float eps, long t)
{
    pgc_adam_host(n, p, g, m, v, lr, beta1, beta2, eps, t);
}

static float *cpu_host_alloc(size_t n)
{
    return aligned_alloc(64, ((n ? n : 1) * sizeof(float) + 63) / 64 * 64);
}

static void cpu_host_free(float *p) { free(p); }

/* Nothing here fails after create: allocation failures are returned where they happen. */
static const char *cpu_error(void *ctx) { return NULL; }

/* The processor's name as the kernel reports it (x86 "model name"), else "CPU". */
static void cpu_device_name(char *buf, size_t n)
{
    char line[256];
    FILE *f = fopen("/proc/cpuinfo", "r");
    snprintf(buf, n, "CPU");
    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) || !colon) continue;
        colon += strspn(colon + 1, " \t") + 1;
        colon[strcspn(colon, "\n")] = 0;
        snprintf(buf, n, "%s", colon);
        break;
    }
    if (f) fclose(f);
}

static const pgc_nn_backend cpu_backend = {
    .name = "cpu",
    .create = cpu_create,
    .destroy = cpu_destroy,
    .error = cpu_error,
    .device_name = cpu_device_name,
    .alloc = cpu_alloc,
    .alloc_int = cpu_alloc_int,
    .free = cpu_free,
    .upload = cpu_copy,
    .download = cpu_copy,
    .zero = cpu_zero,
    .host_alloc = cpu_host_alloc,
    .host_free = cpu_host_free,
    .conv_workspace = pgc_cpu_conv_workspace,
    .conv_forward = pgc_cpu_conv_forward,
    .conv_backward_data = pgc_cpu_conv_backward_data,
    .conv_backward_filter = pgc_cpu_conv_backward_filter,
    .bn_forward = bn_forward,
    .bn_backward = bn_backward,
    .upconv_workspace = pgc_cpu_upconv_workspace,
    .upconv_forward = pgc_cpu_upconv_forward,
    .upconv_backward = pgc_cpu_upconv_backward,
    .bias_forward = bias_forward,
    .bias_backward = bias_backward,
    .maxpool_forward = maxpool_forward,
    .maxpool_backward = maxpool_backward,
    .slice_forward = slice_forward,
    .slice_backward = slice_backward,
    .upsample_forward = upsample_forward,
    .upsample_backward = upsample_backward,
    .gap_forward = gap_forward,
    .gap_backward = gap_backward,
    .add_forward = add_forward,
    .add_backward = add_backward,
    .fc_forward = pgc_cpu_fc_forward,
    .fc_backward = pgc_cpu_fc_backward,
    .adam_step = adam_step,
};

const pgc_nn_backend *pgc_nn_backend_cpu(void) { return &cpu_backend; }

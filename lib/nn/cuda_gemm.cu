/* The GEMM-shaped operations through cuBLAS: the fully connected layer and the 2x2/2
 * transposed convolution with its shift fold (backend.h), as cpu_conv.c does it:
 * G = W^T x at the part's own resolution, then each output pixel takes its tap of G at
 * its source pixel (y >> shift, x >> shift). */
#include "cuda_ctx.h"

/* Images per chunk of a transposed convolution: its workspace stays under this many
 * floats. */
#define UPCONV_WS_FLOATS ((size_t)32 << 20)

bool pgc_cuda_gemm(pgc_cuda_ctx *c, bool ta, bool tb, int m, int n, int k, float alpha,
                   const float *a, int lda, const float *b, int ldb, float beta, float *cm,
                   int ldc)
{
    return CK(c, cublasSgemm(c->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                             ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha, b, ldb, a, lda,
                             &beta, cm, ldc));
}

/* ---- fully connected ---- */

/* y[i, j] = b[j] over (n, m). */
__global__ static void rows_fill(size_t total, int m, const float *__restrict__ b,
                                 float *__restrict__ y)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
         i += (size_t)gridDim.x * blockDim.x)
        y[i] = b[i % m];
}

/* db[j] += sum over i of dy[i, j], one image after the other as the CPU adds them. */
__global__ static void rows_sum(int n, int m, const float *__restrict__ dy,
                                float *__restrict__ db)
{
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= m) return;
    float s = db[j];
    for (int i = 0; i < n; i++) s += dy[(size_t)i * m + j];
    db[j] = s;
}

void pgc_cuda_fc_forward(void *ctx, int n, int k, int m, const float *x, const float *w,
                         const float *b, float *y)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (c->failed) return;
    size_t total = (size_t)n * m;
    rows_fill<<<pgc_cuda_blocks(total, 256), 256, 0, c->stream>>>(total, m, b, y);
    if (!CK_LAUNCH(c, "rows_fill")) return;
    pgc_cuda_gemm(c, false, true, n, m, k, 1.0f, x, k, w, k, 1.0f, y, m); /* y += x w^T */
}

void pgc_cuda_fc_backward(void *ctx, int n, int k, int m, const float *x, const float *w,
                          const float *dy, float *dx, float *dw, float *db)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (c->failed) return;
    if (dx && !pgc_cuda_gemm(c, false, false, n, k, m, 1.0f, dy, m, w, k, 1.0f, dx, k)) return;
    if (dw && !pgc_cuda_gemm(c, true, false, m, k, n, 1.0f, dy, m, x, k, 1.0f, dw, k)) return;
    if (db) {
        rows_sum<<<(m + 127) / 128, 128, 0, c->stream>>>(n, m, dy, db);
        CK_LAUNCH(c, "rows_sum");
    }
}

/* ---- transposed convolution ---- */

/* A chunk of g images is first copied channel-major, X' (Cin, g hw), so that each step is
 * one plain GEMM over the whole chunk: G' (Cout 2 2, g hw) = W^T X', and backward
 * dW += X' dG'^T, dX' = W dG'. */
static int upconv_chunk(const pgc_upconv_desc *d)
{
    size_t per = (size_t)(d->cin + 4 * d->cout) * d->h * d->w;
    size_t g = per ? UPCONV_WS_FLOATS / per : 1;
    if (g < 1) g = 1;
    if (g > (size_t)d->n) g = (size_t)d->n;
    return (int)g;
}

size_t pgc_cuda_upconv_workspace(const pgc_upconv_desc *d)
{
    return (size_t)upconv_chunk(d) * (d->cin + 4 * d->cout) * d->h * d->w;
}

/* One block per plane (i, c): xc[c, i, :] = x[i, c, :], x (g, C, hw), xc (C, g hw). */
__global__ static void to_cmajor(int g, int C, size_t hw, const float *__restrict__ x,
                                 float *__restrict__ xc)
{
    size_t pl = blockIdx.x;
    int i = (int)(pl / C), c = (int)(pl % C);
    const float *s = x + pl * hw;
    float *t = xc + ((size_t)c * g + i) * hw;
    for (size_t j = threadIdx.x; j < hw; j += blockDim.x) t[j] = s[j];
}

/* One block per plane (i, c): x[i, c, :] += xc[c, i, :]. */
__global__ static void from_cmajor_add(int g, int C, size_t hw, const float *__restrict__ xc,
                                       float *__restrict__ x)
{
    size_t pl = blockIdx.x;
    int i = (int)(pl / C), c = (int)(pl % C);
    const float *s = xc + ((size_t)c * g + i) * hw;
    float *t = x + pl * hw;
    for (size_t j = threadIdx.x; j < hw; j += blockDim.x) t[j] += s[j];
}

/* One block per output plane (i, o): y[i, o] += its taps of G' (Cout 2 2, g hw). */
__global__ static void upconv_scatter(pgc_upconv_desc d, int g, const float *__restrict__ G,
                                      float *__restrict__ y)
{
    size_t pl = blockIdx.x;
    int i = (int)(pl / d.cout), o = (int)(pl % d.cout);
    size_t hw = (size_t)d.h * d.w, ohw = (size_t)d.ho * d.wo, ld = (size_t)g * hw;
    const float *Go = G + (size_t)o * 4 * ld + (size_t)i * hw;
    float *yo = y + pl * ohw;
    for (size_t t = threadIdx.x; t < ohw; t += blockDim.x) {
        int oy = (int)(t / d.wo), ox = (int)(t % d.wo);
        size_t tap = (size_t)((oy & 1) * 2 + (ox & 1));
        yo[t] += Go[tap * ld + (size_t)(oy >> d.shift) * d.w + (ox >> d.shift)];
    }
}

/* One block per plane (i, o): dG'[o tap, i hw + (sy, sx)] = sum of dy over the output
 * pixels that read source pixel (sy, sx) through tap, in raster order as the CPU adds
 * them. */
__global__ static void upconv_gather(pgc_upconv_desc d, int g, const float *__restrict__ dy,
                                     float *__restrict__ dG)
{
    size_t pl = blockIdx.x;
    int i = (int)(pl / d.cout), o = (int)(pl % d.cout);
    size_t hw = (size_t)d.h * d.w, ld = (size_t)g * hw;
    const float *dyo = dy + pl * d.ho * d.wo;
    float *Go = dG + (size_t)o * 4 * ld + (size_t)i * hw;
    int rep = 1 << (d.shift - 1); /* output rows (and columns) per tap and source pixel */
    for (size_t t = threadIdx.x; t < 4 * hw; t += blockDim.x) {
        int tap = (int)(t / hw), p = (int)(t % hw);
        int ty = tap >> 1, tx = tap & 1, sy = p / d.w, sx = p % d.w;
        float s = 0;
        for (int a = 0; a < rep; a++) {
            const float *row = dyo + (size_t)((sy << d.shift) + ty + 2 * a) * d.wo;
            for (int b = 0; b < rep; b++) s += row[(sx << d.shift) + tx + 2 * b];
        }
        Go[tap * ld + p] = s;
    }
}

static bool upconv_shape_ok(pgc_cuda_ctx *c, const pgc_upconv_desc *d)
{
    if (d->shift >= 1 && d->ho == d->h << d->shift && d->wo == d->w << d->shift) return true;
    return pgc_cuda_fail(c, "upconv", "output size is not the input's shifted by 'shift'");
}

/* The chunk's workspace: X' (Cin, g hw), then G' (Cout 2 2, g hw). */
static float *upconv_ws(pgc_cuda_ctx *c, const pgc_upconv_desc *d, int g)
{
    return (float *)pgc_cuda_scratch(c, PGC_SCRATCH_WS,
                                     sizeof(float) * g * (d->cin + 4 * d->cout) * d->h * d->w);
}

static bool upconv_to_cmajor(pgc_cuda_ctx *c, const pgc_upconv_desc *d, int gi, size_t hw,
                             const float *x, float *xc)
{
    to_cmajor<<<(unsigned)(gi * d->cin), pgc_cuda_plane_threads(hw), 0, c->stream>>>(
        gi, d->cin, hw, x, xc);
    return CK_LAUNCH(c, "to_cmajor");
}

void pgc_cuda_upconv_forward(void *ctx, const pgc_upconv_desc *d, const float *x,
                             const float *w, float *y)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (c->failed || !upconv_shape_ok(c, d)) return;
    int g = upconv_chunk(d), hw = d->h * d->w, m4 = d->cout * 4;
    float *X = upconv_ws(c, d, g);
    if (!X) return;
    for (int i0 = 0; i0 < d->n; i0 += g) {
        int gi = d->n - i0 < g ? d->n - i0 : g, ld = gi * hw;
        float *G = X + (size_t)d->cin * ld; // (Cout 2 2, gi hw)
        if (!upconv_to_cmajor(c, d, gi, hw, x + (size_t)i0 * d->cin * hw, X)) return;
        /* G' = W^T X', W (Cin, Cout 2 2) */
        if (!pgc_cuda_gemm(c, true, false, m4, ld, d->cin, 1.0f, w, m4, X, ld, 0.0f, G, ld))
            return;
        upconv_scatter<<<(unsigned)(gi * d->cout), pgc_cuda_plane_threads((size_t)d->ho * d->wo),
                         0, c->stream>>>(*d, gi, G, y + (size_t)i0 * d->cout * d->ho * d->wo);
        if (!CK_LAUNCH(c, "upconv_scatter")) return;
    }
}

void pgc_cuda_upconv_backward(void *ctx, const pgc_upconv_desc *d, const float *x,
                              const float *w, const float *dy, float *dx, float *dw)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (c->failed || (!dx && !dw) || !upconv_shape_ok(c, d)) return;
    int g = upconv_chunk(d), hw = d->h * d->w, m4 = d->cout * 4;
    float *X = upconv_ws(c, d, g);
    if (!X) return;
    for (int i0 = 0; i0 < d->n; i0 += g) {
        int gi = d->n - i0 < g ? d->n - i0 : g, ld = gi * hw;
        float *dG = X + (size_t)d->cin * ld; // (Cout 2 2, gi hw)
        upconv_gather<<<(unsigned)(gi * d->cout), pgc_cuda_plane_threads(4 * (size_t)hw), 0,
                        c->stream>>>(*d, gi, dy + (size_t)i0 * d->cout * d->ho * d->wo, dG);
        if (!CK_LAUNCH(c, "upconv_gather")) return;
        /* dW (Cin, Cout 2 2) += X' dG'^T */
        if (dw && !(upconv_to_cmajor(c, d, gi, hw, x + (size_t)i0 * d->cin * hw, X) &&
                    pgc_cuda_gemm(c, false, true, d->cin, m4, ld, 1.0f, X, ld, dG, ld, 1.0f, dw,
                                  m4)))
            return;
        /* dX' = W dG' (into X', which the dW GEMM before it has finished reading), then
         * dx += dX' image by image */
        if (dx) {
            if (!pgc_cuda_gemm(c, false, false, d->cin, ld, m4, 1.0f, w, m4, dG, ld, 0.0f, X, ld))
                return;
            from_cmajor_add<<<(unsigned)(gi * d->cin), pgc_cuda_plane_threads((size_t)hw), 0,
                              c->stream>>>(gi, d->cin, (size_t)hw, X,
                                           dx + (size_t)i0 * d->cin * hw);
            if (!CK_LAUNCH(c, "from_cmajor_add")) return;
        }
    }
}

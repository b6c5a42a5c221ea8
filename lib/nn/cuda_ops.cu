/* The CUDA backend's own kernels: batch norm, bias, global average pooling, max pooling,
 * slices, nearest upsampling, add(+ReLU) and Adam, each following its CPU twin in
 * cpu_ops.c expression by expression. Float arithmetic that the CPU does as separate
 * multiply and add is written with __fmul_rn/__fadd_rn so that nvcc does not fuse it
 * into an FMA (the CPU build, ISO C, does not contract either): element-wise results are
 * then bit for bit the CPU's, given the same per-channel factors. Sums are in double, in
 * a fixed order (per-block partial sums, then one thread per channel), so that results
 * repeat run to run; the CPU sums in eight float lanes, then in double, so the two agree
 * to about float precision. No atomics anywhere.
 *
 * Why these are ours and not cuDNN's (the issue asked for cuDNN here; a deliberate
 * deviation): cuDNN's batch norm keeps the running variance with the tensor's own
 * count, while the dcfpn fold (dcfpn.md: X1 is never materialised) needs it unbiased
 * over the full-size map (pgc_bn_desc.unbias_n), and the folded BN/GAP reads are not a
 * tensor cuDNN can describe; its max-pooling backward finds the argmax again from x and
 * y, so ties would go another way than the CPU's first-maximum rule. Our kernels keep
 * every element-wise result bit for bit the CPU's, which is what gpu_ops checks. */
#include "cuda_ctx.h"

#include <cmath>

#define RED_THREADS 256  /* a power of two: block_sum halves it */
#define RED_CHUNK 4096   /* values of one plane per reduction block */
#define CH_THREADS 128   /* per-channel finishing kernels */

/* ---- reductions over planes ---- */

/* Sum of v over the block, in a fixed order; every thread gets it. */
__device__ static double block_sum(double v, double *sh)
{
    unsigned t = threadIdx.x;
    sh[t] = v;
    __syncthreads();
    for (unsigned s = RED_THREADS / 2; s > 0; s >>= 1) {
        if (t < s) sh[t] += sh[t + s];
        __syncthreads();
    }
    double r = sh[0];
    __syncthreads();
    return r;
}

/* Partial sums over (N, C, HW): block (i npp + k, c) sums chunk k of plane (i, c) into
 * pa[(c N + i) npp + k] (and pb when F gives a second sum). F(idx, c, a, b) adds value
 * idx's terms. */
template <class F>
__global__ static void plane_partials(int n, int C, size_t hw, int npp, F f, double *pa,
                                      double *pb)
{
    __shared__ double sh[RED_THREADS];
    int c = blockIdx.y, bx = blockIdx.x, i = bx / npp, k = bx % npp;
    size_t base = ((size_t)i * C + c) * hw, j0 = (size_t)k * RED_CHUNK;
    size_t j1 = j0 + RED_CHUNK < hw ? j0 + RED_CHUNK : hw;
    double a = 0, b = 0;
    for (size_t j = j0 + threadIdx.x; j < j1; j += RED_THREADS) f(base + j, c, a, b);
    a = block_sum(a, sh);
    if (pb) b = block_sum(b, sh); /* pb is the same for the whole block */
    if (threadIdx.x == 0) {
        size_t o = (size_t)c * n * npp + bx;
        pa[o] = a;
        if (pb) pb[o] = b;
    }
}

struct SumX {
    const float *x;
    __device__ void operator()(size_t i, int c, double &a, double &b) const { a += x[i]; }
};

struct SumSqDev {
    const float *x;
    const double *mean; /* (C) */
    __device__ void operator()(size_t i, int c, double &a, double &b) const
    {
        double d = x[i] - mean[c];
        a += d * d;
    }
};

/* Batch norm backward: a = sum dy', b = sum dy' (x - m), dy' = dy masked by the ReLU
 * (cpu_ops.c scales b by 1/std afterwards). */
struct SumBnGrad {
    const float *x, *y, *dy;
    const float *m; /* (C) */
    int relu;
    __device__ void operator()(size_t i, int c, double &a, double &b) const
    {
        float g = relu && y[i] <= 0 ? 0.0f : dy[i];
        a += g;
        b += __fmul_rn(g, __fsub_rn(x[i], m[c]));
    }
};

static int red_npp(size_t hw) { return (int)((hw + RED_CHUNK - 1) / RED_CHUNK); }

/* Scratch for a reduction over (N, C, HW): two partial arrays, a (C) double array and
 * nf (C) float arrays, laid out in that order. */
struct RedScratch {
    double *pa, *pb, *dc;
    float *f;
    size_t nparts; /* per channel: N npp */
};

static bool red_scratch(pgc_cuda_ctx *c, int n, int C, size_t hw, int nf, RedScratch *r)
{
    if (C > 65535) return pgc_cuda_fail(c, "reduction", "more than 65535 channels");
    r->nparts = (size_t)n * red_npp(hw);
    size_t P = r->nparts * C;
    size_t bytes = (2 * P + C) * sizeof(double) + (size_t)nf * C * sizeof(float);
    double *s = (double *)pgc_cuda_scratch(c, PGC_SCRATCH_RED, bytes);
    if (!s) return false;
    r->pa = s, r->pb = s + P, r->dc = s + 2 * P;
    r->f = (float *)(s + 2 * P + C);
    return true;
}

template <class F>
static bool red_launch(pgc_cuda_ctx *c, int n, int C, size_t hw, F f, const RedScratch *r,
                       bool two)
{
    dim3 grid((unsigned)r->nparts, (unsigned)C);
    plane_partials<<<grid, RED_THREADS, 0, c->stream>>>(n, C, hw, red_npp(hw), f, r->pa,
                                                        two ? r->pb : (double *)0);
    return CK_LAUNCH(c, "plane_partials");
}

/* Sum of channel c's partials, in order. */
__device__ static double chan_sum(const double *p, size_t nparts, int c)
{
    const double *q = p + (size_t)c * nparts;
    double s = 0;
    for (size_t k = 0; k < nparts; k++) s += q[k];
    return s;
}

/* ---- batch norm ---- */

__global__ static void bn_mean(int C, size_t nparts, double cnt, const double *pa,
                               double *mean)
{
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c < C) mean[c] = chan_sum(pa, nparts, c) / cnt;
}

/* Training: batch variance, running averages, save, and y = x a + b factors. */
__global__ static void bn_train_finish(pgc_bn_desc d, size_t nparts, const double *pa,
                                       const double *mean, const float *gamma,
                                       const float *beta, float *run_mean, float *run_var,
                                       float *save, float *fa, float *fb)
{
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= d.c) return;
    double cnt = (double)d.n * d.hw;
    double mu = mean[c], var = chan_sum(pa, nparts, c) / cnt;
    double un = d.unbias_n > 0 ? d.unbias_n : cnt;
    double uvar = un > 1 ? var * un / (un - 1) : var;
    float keep = 1 - d.momentum; /* float, as in cpu_ops.c */
    run_mean[c] = (float)__dadd_rn((double)__fmul_rn(keep, run_mean[c]),
                                   __dmul_rn((double)d.momentum, mu));
    run_var[c] = (float)__dadd_rn((double)__fmul_rn(keep, run_var[c]),
                                  __dmul_rn((double)d.momentum, uvar));
    float m = (float)mu, is = (float)(1.0 / sqrt(var + d.eps));
    save[c] = m;
    save[d.c + c] = is;
    float a = __fmul_rn(gamma[c], is);
    fa[c] = a;
    fb[c] = __fsub_rn(beta[c], __fmul_rn(m, a));
}

__global__ static void bn_infer_finish(pgc_bn_desc d, const float *gamma, const float *beta,
                                       const float *run_mean, const float *run_var, float *fa,
                                       float *fb)
{
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= d.c) return;
    double mean = run_mean[c], var = run_var[c];
    float m = (float)mean, is = (float)(1.0 / sqrt(var + d.eps));
    float a = __fmul_rn(gamma[c], is);
    fa[c] = a;
    fb[c] = __fsub_rn(beta[c], __fmul_rn(m, a));
}

/* One block per plane (i, c): y = x a[c] + b[c], then the ReLU. */
__global__ static void bn_apply(int C, size_t hw, int relu, const float *__restrict__ x,
                                const float *__restrict__ fa, const float *__restrict__ fb,
                                float *__restrict__ y)
{
    size_t pl = blockIdx.x;
    int c = (int)(pl % C);
    float a = fa[c], b = fb[c];
    const float *p = x + pl * hw;
    float *q = y + pl * hw;
    for (size_t j = threadIdx.x; j < hw; j += blockDim.x) {
        float v = __fadd_rn(__fmul_rn(p[j], a), b);
        q[j] = relu ? (v > 0 ? v : 0.0f) : v; /* a NaN becomes 0 under the ReLU, as there */
    }
}

void pgc_cuda_bn_forward(void *ctx, const pgc_bn_desc *d, const float *x, const float *gamma,
                         const float *beta, float *run_mean, float *run_var, float *save,
                         float *y)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (c->failed) return;
    size_t hw = d->hw;
    RedScratch r;
    if (!red_scratch(c, d->n, d->c, hw, 2, &r)) return;
    float *fa = r.f, *fb = r.f + d->c;
    unsigned cb = (d->c + CH_THREADS - 1) / CH_THREADS;
    if (d->train) {
        /* two passes, mean first, as the CPU does, so that the variance keeps its bits */
        if (!red_launch(c, d->n, d->c, hw, SumX{x}, &r, false)) return;
        bn_mean<<<cb, CH_THREADS, 0, c->stream>>>(d->c, r.nparts, (double)d->n * hw, r.pa,
                                                  r.dc);
        if (!CK_LAUNCH(c, "bn_mean")) return;
        if (!red_launch(c, d->n, d->c, hw, SumSqDev{x, r.dc}, &r, false)) return;
        bn_train_finish<<<cb, CH_THREADS, 0, c->stream>>>(*d, r.nparts, r.pa, r.dc, gamma,
                                                          beta, run_mean, run_var, save, fa,
                                                          fb);
        if (!CK_LAUNCH(c, "bn_train_finish")) return;
    } else {
        bn_infer_finish<<<cb, CH_THREADS, 0, c->stream>>>(*d, gamma, beta, run_mean, run_var,
                                                          fa, fb);
        if (!CK_LAUNCH(c, "bn_infer_finish")) return;
    }
    bn_apply<<<(unsigned)((size_t)d->n * d->c), pgc_cuda_plane_threads(hw), 0, c->stream>>>(
        d->c, hw, d->relu, x, fa, fb, y);
    CK_LAUNCH(c, "bn_apply");
}

/* The mean and 1/std the backward pass normalises with: the saved batch statistics in
 * training, the running ones else. */
__global__ static void bn_back_stats(pgc_bn_desc d, const float *run_mean,
                                     const float *run_var, const float *save, float *fm,
                                     float *fis)
{
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= d.c) return;
    if (d.train) {
        fm[c] = save[c];
        fis[c] = save[d.c + c];
    } else {
        fm[c] = run_mean[c];
        fis[c] = (float)(1.0 / sqrt((double)run_var[c] + d.eps));
    }
}

/* dgamma += sum dy' xhat, dbeta += sum dy', and the factors of dx: k = gamma / std,
 * mg = mean dy', ism = mean(dy' xhat) / std (both 0 with running statistics). */
__global__ static void bn_back_finish(pgc_bn_desc d, size_t nparts, const double *pa,
                                      const double *pb, const float *gamma, const float *fis,
                                      float *dgamma, float *dbeta, float *fk, float *fmg,
                                      float *fism)
{
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= d.c) return;
    double cnt = (double)d.n * d.hw;
    float is = fis[c];
    double sg = chan_sum(pa, nparts, c), sgx = __dmul_rn(chan_sum(pb, nparts, c), is);
    if (dgamma) dgamma[c] += (float)sgx;
    if (dbeta) dbeta[c] += (float)sg;
    fk[c] = __fmul_rn(gamma[c], is);
    fmg[c] = d.train ? (float)(sg / cnt) : 0.0f;
    fism[c] = d.train ? __fmul_rn(is, (float)(sgx / cnt)) : 0.0f;
}

/* One block per plane (i, c): dx += k ((dy' - mg) - (x - m) ism), as cpu_ops.c writes it
 * for both modes (mg = ism = 0 with running statistics). */
__global__ static void bn_back_apply(pgc_bn_desc d, const float *__restrict__ x,
                                     const float *__restrict__ y, const float *__restrict__ dy,
                                     const float *__restrict__ fm, const float *__restrict__ fk,
                                     const float *__restrict__ fmg,
                                     const float *__restrict__ fism, float *__restrict__ dx)
{
    size_t pl = blockIdx.x, hw = d.hw, o = pl * hw;
    int c = (int)(pl % d.c);
    float m = fm[c], k = fk[c], mg = fmg[c], ism = fism[c];
    for (size_t j = threadIdx.x; j < hw; j += blockDim.x) {
        float g = d.relu && y[o + j] <= 0 ? 0.0f : dy[o + j];
        float t = __fsub_rn(__fsub_rn(g, mg), __fmul_rn(__fsub_rn(x[o + j], m), ism));
        dx[o + j] = __fadd_rn(dx[o + j], __fmul_rn(k, t));
    }
}

void pgc_cuda_bn_backward(void *ctx, const pgc_bn_desc *d, const float *x, const float *y,
                          const float *dy, const float *gamma, const float *run_mean,
                          const float *run_var, const float *save, float *dx, float *dgamma,
                          float *dbeta)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (c->failed || (!dx && !dgamma && !dbeta)) return;
    size_t hw = d->hw;
    RedScratch r;
    if (!red_scratch(c, d->n, d->c, hw, 5, &r)) return;
    float *fm = r.f, *fis = fm + d->c, *fk = fis + d->c, *fmg = fk + d->c, *fism = fmg + d->c;
    unsigned cb = (d->c + CH_THREADS - 1) / CH_THREADS;
    bn_back_stats<<<cb, CH_THREADS, 0, c->stream>>>(*d, run_mean, run_var, save, fm, fis);
    if (!CK_LAUNCH(c, "bn_back_stats")) return;
    if (!red_launch(c, d->n, d->c, hw, SumBnGrad{x, y, dy, fm, d->relu}, &r, true))
        return;
    bn_back_finish<<<cb, CH_THREADS, 0, c->stream>>>(*d, r.nparts, r.pa, r.pb, gamma, fis,
                                                     dgamma, dbeta, fk, fmg, fism);
    if (!CK_LAUNCH(c, "bn_back_finish") || !dx) return;
    bn_back_apply<<<(unsigned)((size_t)d->n * d->c), pgc_cuda_plane_threads(hw), 0,
                    c->stream>>>(*d, x, y, dy, fm, fk, fmg, fism, dx);
    CK_LAUNCH(c, "bn_back_apply");
}

/* ---- bias and global average pooling ---- */

__global__ static void bias_fill(int C, size_t hw, const float *__restrict__ b,
                                 float *__restrict__ y)
{
    size_t pl = blockIdx.x;
    float v = b[pl % C];
    for (size_t j = threadIdx.x; j < hw; j += blockDim.x) y[pl * hw + j] = v;
}

/* db[c] += each image's plane sum in turn, rounded to float as the CPU adds it. */
__global__ static void bias_finish(int n, int C, int npp, const double *pa, float *db)
{
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    const double *q = pa + (size_t)c * n * npp;
    float v = db[c];
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int k = 0; k < npp; k++) s += q[(size_t)i * npp + k];
        v += (float)s;
    }
    db[c] = v;
}

void pgc_cuda_bias_forward(void *ctx, int n, int c, int hw, const float *b, float *y)
{
    pgc_cuda_ctx *cx = (pgc_cuda_ctx *)ctx;
    if (cx->failed) return;
    bias_fill<<<(unsigned)((size_t)n * c), pgc_cuda_plane_threads(hw), 0, cx->stream>>>(
        c, (size_t)hw, b, y);
    CK_LAUNCH(cx, "bias_fill");
}

void pgc_cuda_bias_backward(void *ctx, int n, int c, int hw, const float *dy, float *db)
{
    pgc_cuda_ctx *cx = (pgc_cuda_ctx *)ctx;
    if (cx->failed || !db) return;
    RedScratch r;
    if (!red_scratch(cx, n, c, hw, 0, &r) ||
        !red_launch(cx, n, c, (size_t)hw, SumX{dy}, &r, false))
        return;
    bias_finish<<<(c + CH_THREADS - 1) / CH_THREADS, CH_THREADS, 0, cx->stream>>>(
        n, c, red_npp(hw), r.pa, db);
    CK_LAUNCH(cx, "bias_finish");
}

__global__ static void gap_finish(int n, int C, int npp, int hw, const double *pa, float *y)
{
    size_t pl = blockIdx.x * (size_t)blockDim.x + threadIdx.x; /* (i, c) */
    if (pl >= (size_t)n * C) return;
    int i = (int)(pl / C), c = (int)(pl % C);
    const double *q = pa + ((size_t)c * n + i) * npp;
    double s = 0;
    for (int k = 0; k < npp; k++) s += q[k];
    y[pl] = (float)(s / hw);
}

__global__ static void gap_spread(size_t hw, const float *__restrict__ dy,
                                  float *__restrict__ dx)
{
    size_t pl = blockIdx.x;
    float g = dy[pl] / (float)hw; /* float / int in cpu_ops.c */
    for (size_t j = threadIdx.x; j < hw; j += blockDim.x) dx[pl * hw + j] += g;
}

void pgc_cuda_gap_forward(void *ctx, int n, int c, int hw, const float *x, float *y)
{
    pgc_cuda_ctx *cx = (pgc_cuda_ctx *)ctx;
    if (cx->failed) return;
    RedScratch r;
    if (!red_scratch(cx, n, c, hw, 0, &r) ||
        !red_launch(cx, n, c, (size_t)hw, SumX{x}, &r, false))
        return;
    size_t planes = (size_t)n * c;
    gap_finish<<<pgc_cuda_blocks(planes, CH_THREADS), CH_THREADS, 0, cx->stream>>>(
        n, c, red_npp(hw), hw, r.pa, y);
    CK_LAUNCH(cx, "gap_finish");
}

void pgc_cuda_gap_backward(void *ctx, int n, int c, int hw, const float *dy, float *dx)
{
    pgc_cuda_ctx *cx = (pgc_cuda_ctx *)ctx;
    if (cx->failed || !dx) return;
    gap_spread<<<(unsigned)((size_t)n * c), pgc_cuda_plane_threads(hw), 0, cx->stream>>>(
        (size_t)hw, dy, dx);
    CK_LAUNCH(cx, "gap_spread");
}

/* ---- max pooling ---- */

/* One block per plane; the first maximum wins and a NaN wins at once, as on the CPU. */
__global__ static void maxpool_fwd(pgc_pool_desc d, const float *__restrict__ x,
                                   float *__restrict__ y, int *__restrict__ idx)
{
    size_t pl = blockIdx.x, ohw = (size_t)d.ho * d.wo;
    const float *xp = x + pl * d.h * d.w;
    for (size_t t = threadIdx.x; t < ohw; t += blockDim.x) {
        int oy = (int)(t / d.wo), ox = (int)(t % d.wo);
        float best = -INFINITY;
        int bi = -1;
        for (int ky = 0; ky < d.k && !(bi >= 0 && isnan(best)); ky++) {
            int iy = oy * d.stride - d.pad + ky;
            if (iy < 0 || iy >= d.h) continue;
            for (int kx = 0; kx < d.k; kx++) {
                int ix = ox * d.stride - d.pad + kx;
                if (ix < 0 || ix >= d.w) continue;
                float v = xp[iy * d.w + ix];
                if (bi < 0 || v > best || isnan(v)) {
                    best = v;
                    bi = iy * d.w + ix;
                    if (isnan(v)) break;
                }
            }
        }
        y[pl * ohw + t] = best;
        idx[pl * ohw + t] = bi;
    }
}

/* One block per plane, one thread per input pixel: adds the gradient of every window
 * whose argmax it is, in the order of the outputs, as the CPU's scatter does. */
__global__ static void maxpool_bwd(pgc_pool_desc d, const float *__restrict__ dy,
                                   const int *__restrict__ idx, float *__restrict__ dx)
{
    size_t pl = blockIdx.x, hw = (size_t)d.h * d.w, ohw = (size_t)d.ho * d.wo;
    const float *gp = dy + pl * ohw;
    const int *ip = idx + pl * ohw;
    for (size_t t = threadIdx.x; t < hw; t += blockDim.x) {
        int iy = (int)(t / d.w), ix = (int)(t % d.w);
        /* outputs o whose window o stride - pad + [0, k) holds the pixel */
        int ay = iy + d.pad - d.k + 1, ax = ix + d.pad - d.k + 1;
        int y0 = ay <= 0 ? 0 : (ay + d.stride - 1) / d.stride;
        int x0 = ax <= 0 ? 0 : (ax + d.stride - 1) / d.stride;
        int y1 = (iy + d.pad) / d.stride, x1 = (ix + d.pad) / d.stride;
        if (y1 > d.ho - 1) y1 = d.ho - 1;
        if (x1 > d.wo - 1) x1 = d.wo - 1;
        float v = dx[pl * hw + t];
        for (int oy = y0; oy <= y1; oy++)
            for (int ox = x0; ox <= x1; ox++) {
                int o = oy * d.wo + ox;
                if (ip[o] == (int)t) v += gp[o];
            }
        dx[pl * hw + t] = v;
    }
}

void pgc_cuda_maxpool_forward(void *ctx, const pgc_pool_desc *d, const float *x, float *y,
                              int *idx)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (c->failed) return;
    maxpool_fwd<<<(unsigned)((size_t)d->n * d->c), pgc_cuda_plane_threads((size_t)d->ho * d->wo),
                  0, c->stream>>>(*d, x, y, idx);
    CK_LAUNCH(c, "maxpool_fwd");
}

void pgc_cuda_maxpool_backward(void *ctx, const pgc_pool_desc *d, const float *dy,
                               const int *idx, float *dx)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (c->failed || !dx) return;
    if (d->stride < 1) {
        pgc_cuda_fail(c, "maxpool_backward", "stride below 1");
        return;
    }
    maxpool_bwd<<<(unsigned)((size_t)d->n * d->c), pgc_cuda_plane_threads((size_t)d->h * d->w),
                  0, c->stream>>>(*d, dy, idx, dx);
    CK_LAUNCH(c, "maxpool_bwd");
}

/* ---- slices and nearest upsampling ---- */

void pgc_cuda_slice_forward(void *ctx, int n, int cx, int cy, int c0, int hw, const float *x,
                            float *y)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (c->failed) return;
    /* n rows of cx hw floats, into rows cy hw floats apart */
    size_t row = (size_t)cx * hw * sizeof(float);
    CK(c, cudaMemcpy2DAsync(y + (size_t)c0 * hw, (size_t)cy * hw * sizeof(float), x, row, row,
                            (size_t)n, cudaMemcpyDeviceToDevice, c->stream));
}

/* Grid (blocks over a row, rows): dx[i, r] += dy[i, c0 hw + r] for rows of cx hw. */
__global__ static void slice_add(size_t rowlen, size_t ystride, const float *__restrict__ dy,
                                 float *__restrict__ dx)
{
    size_t i = blockIdx.y;
    const float *s = dy + i * ystride;
    float *d = dx + i * rowlen;
    for (size_t r = blockIdx.x * (size_t)blockDim.x + threadIdx.x; r < rowlen;
         r += (size_t)gridDim.x * blockDim.x)
        d[r] += s[r];
}

void pgc_cuda_slice_backward(void *ctx, int n, int cx, int cy, int c0, int hw,
                             const float *dy, float *dx)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (c->failed || !dx) return;
    size_t rowlen = (size_t)cx * hw, ystride = (size_t)cy * hw;
    unsigned bx = pgc_cuda_blocks(rowlen, 256);
    if (bx > 4096) bx = 4096;
    for (int i0 = 0; i0 < n; i0 += 65535) { /* grid.y is at most 65535 */
        int rows = n - i0 < 65535 ? n - i0 : 65535;
        slice_add<<<dim3(bx, (unsigned)rows), 256, 0, c->stream>>>(
            rowlen, ystride, dy + (size_t)i0 * ystride + (size_t)c0 * hw,
            dx + (size_t)i0 * rowlen);
        if (!CK_LAUNCH(c, "slice_add")) return;
    }
}

__global__ static void upsample_fwd(int h, int w, int s, const float *__restrict__ x,
                                    float *__restrict__ y)
{
    size_t pl = blockIdx.x;
    int W = w << s;
    size_t ohw = (size_t)(h << s) * W;
    const float *xp = x + pl * h * w;
    for (size_t t = threadIdx.x; t < ohw; t += blockDim.x) {
        int oy = (int)(t / W), ox = (int)(t % W);
        y[pl * ohw + t] = xp[(oy >> s) * w + (ox >> s)];
    }
}

/* One thread per input pixel: its 2^s x 2^s block of dy in raster order. */
__global__ static void upsample_bwd(int h, int w, int s, const float *__restrict__ dy,
                                    float *__restrict__ dx)
{
    size_t pl = blockIdx.x, hw = (size_t)h * w;
    int W = w << s, r = 1 << s;
    const float *gp = dy + pl * (hw << 2 * s);
    for (size_t t = threadIdx.x; t < hw; t += blockDim.x) {
        int y = (int)(t / w), x = (int)(t % w);
        float v = dx[pl * hw + t];
        for (int a = 0; a < r; a++) {
            const float *row = gp + (size_t)((y << s) + a) * W + (x << s);
            for (int b = 0; b < r; b++) v += row[b];
        }
        dx[pl * hw + t] = v;
    }
}

void pgc_cuda_upsample_forward(void *ctx, int n, int c, int h, int w, int s, const float *x,
                               float *y)
{
    pgc_cuda_ctx *cx = (pgc_cuda_ctx *)ctx;
    if (cx->failed) return;
    upsample_fwd<<<(unsigned)((size_t)n * c), pgc_cuda_plane_threads((size_t)(h << s) * (w << s)),
                   0, cx->stream>>>(h, w, s, x, y);
    CK_LAUNCH(cx, "upsample_fwd");
}

void pgc_cuda_upsample_backward(void *ctx, int n, int c, int h, int w, int s,
                                const float *dy, float *dx)
{
    pgc_cuda_ctx *cx = (pgc_cuda_ctx *)ctx;
    if (cx->failed || !dx) return;
    upsample_bwd<<<(unsigned)((size_t)n * c), pgc_cuda_plane_threads((size_t)h * w), 0,
                   cx->stream>>>(h, w, s, dy, dx);
    CK_LAUNCH(cx, "upsample_bwd");
}

/* ---- element-wise ---- */

__global__ static void add_fwd(size_t n, int relu, const float *__restrict__ a,
                               const float *__restrict__ b, float *__restrict__ y)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        float v = a[i] + b[i];
        y[i] = relu && v < 0 ? 0.0f : v;
    }
}

__global__ static void add_bwd(size_t n, int relu, const float *__restrict__ y,
                               const float *__restrict__ dy, float *__restrict__ da,
                               float *__restrict__ db)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        float g = relu && y[i] <= 0 ? 0.0f : dy[i];
        if (da) da[i] += g;
        if (db) db[i] += g;
    }
}

void pgc_cuda_add_forward(void *ctx, size_t n, int relu, const float *a, const float *b,
                          float *y)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (c->failed || !n) return;
    add_fwd<<<pgc_cuda_blocks(n, 256), 256, 0, c->stream>>>(n, relu, a, b, y);
    CK_LAUNCH(c, "add_fwd");
}

void pgc_cuda_add_backward(void *ctx, size_t n, int relu, const float *y, const float *dy,
                           float *da, float *db)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (c->failed || !n || (!da && !db)) return;
    /* da and db never alias in the graph (an add's two inputs are different tensors) */
    add_bwd<<<pgc_cuda_blocks(n, 256), 256, 0, c->stream>>>(n, relu, y, dy, da, db);
    CK_LAUNCH(c, "add_bwd");
}

/* Adam as cpu_ops.c writes it; step, bc2s and the (1 - beta) factors come from the host
 * exactly as the CPU computes them. */
__global__ static void adam(size_t n, float *__restrict__ p, const float *__restrict__ g,
                            float *__restrict__ m, float *__restrict__ v, float b1, float nb1,
                            float b2, float nb2, float step, float bc2s, float eps)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        float gi = g[i];
        float mi = __fadd_rn(__fmul_rn(b1, m[i]), __fmul_rn(nb1, gi));
        float vi = __fadd_rn(__fmul_rn(b2, v[i]), __fmul_rn(__fmul_rn(nb2, gi), gi));
        m[i] = mi;
        v[i] = vi;
        float den = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), bc2s), eps);
        p[i] = __fsub_rn(p[i], __fdiv_rn(__fmul_rn(step, mi), den));
    }
}

void pgc_cuda_adam_step(void *ctx, size_t n, float *p, const float *g, float *m, float *v,
                        float lr, float beta1, float beta2, float eps, long t)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (c->failed || !n) return;
    float bc1 = (float)(1.0 - pow(beta1, (double)t));
    float bc2s = (float)sqrt(1.0 - pow(beta2, (double)t));
    float step = lr / bc1;
    adam<<<pgc_cuda_blocks(n, 256), 256, 0, c->stream>>>(n, p, g, m, v, beta1, 1 - beta1, beta2,
                                                         1 - beta2, step, bc2s, eps);
    CK_LAUNCH(c, "adam");
}

/* The heavy operations of the network, behind a table of function pointers, so that a
 * GPU backend with the same interface can be added without touching the architectures.
 * Every pointer below is a device pointer of the backend that owns it (host memory for
 * the CPU backend). Shapes are NCHW, float32. Functions named *_backward_* ACCUMULATE
 * into their outputs (dx += ..., dw += ...); *_forward overwrite theirs. */
#ifndef PGC_NN_BACKEND_H
#define PGC_NN_BACKEND_H

#include <stddef.h>

/* A 2-D convolution without bias: zero padding, square kernel, same stride both ways. */
typedef struct {
    int n, cin, h, w;    /* input  (N, Cin, H, W) */
    int cout, ho, wo;    /* output (N, Cout, Ho, Wo) */
    int k, stride, pad;  /* weight (Cout, Cin, k, k) */
} pgc_conv_desc;

/* Batch normalisation over (N, C, HW), optionally followed by ReLU. */
typedef struct {
    int n, c, hw;
    int train;           /* 1: batch statistics, running averages updated; 0: running */
    int relu;            /* 1: y = max(bn(x), 0) */
    float momentum, eps; /* 0.1, 1e-5 */
    double unbias_n;     /* values per channel for the unbiased running variance, as if
                          * the map were materialised at full size (0: n * hw) */
} pgc_bn_desc;

/* One part of a 2x2 stride-2 transposed convolution whose input is a channel concat of
 * maps at several resolutions, each nearest-upsampled to the resolution of the first
 * (dcfpn.md: the upsampled parts of X(p+1) are read in place, never materialised).
 * Output pixel (y, x) reads the part at (y >> shift, x >> shift) with kernel tap
 * (y & 1, x & 1); shift 1 is an ordinary transposed convolution. */
typedef struct {
    int n, cin, h, w;    /* this part, at its own resolution: (N, Cin, h, w) */
    int cout, ho, wo;    /* output (N, Cout, Ho, Wo), Ho = h << shift */
    int shift;
} pgc_upconv_desc;

typedef struct {
    int n, c, h, w;      /* input (N, C, H, W) */
    int ho, wo, k, stride, pad;
} pgc_pool_desc;

/* Bumped whenever the table below or any descriptor above changes, so that a GPU
 * plugin built from another version of this header is refused instead of called
 * through the wrong slots or handed structs it reads wrongly. */
#define PGC_NN_BACKEND_ABI 3

typedef struct pgc_nn_backend pgc_nn_backend;
struct pgc_nn_backend {
    const char *name;
    /* Scratch and threads: ws_bytes is the largest workspace any call below needs. */
    void *(*create)(size_t ws_bytes, int threads);
    void (*destroy)(void *ctx);
    /* The entries below return nothing, so a context remembers its first failure (a
     * GPU call that failed) and turns every later call into a no-op; downloads then
     * fill the host buffer with NaN. This waits for queued work, then returns NULL, or
     * that failure as one line that lives as long as the context. */
    const char *(*error)(void *ctx);
    /* Names the device this backend runs on, e.g. "NVIDIA H100 80GB HBM3 (sm_90, ...)". */
    void (*device_name)(char *buf, size_t n);

    /* Memory. */
    float *(*alloc)(void *ctx, size_t n);         /* zeroed; NULL on failure */
    void (*free)(void *ctx, float *p);
    void (*upload)(void *ctx, float *dst, const float *host, size_t n);
    void (*download)(void *ctx, float *host, const float *src, size_t n);
    void (*zero)(void *ctx, float *p, size_t n);
    /* Host memory for what is uploaded and downloaded every batch: page-locked on the
     * GPU, so that copies run at full speed without a bounce through a driver buffer.
     * NULL on failure; host_free takes only host_alloc's pointers (or NULL). */
    float *(*host_alloc)(size_t n);
    void (*host_free)(float *p);

    /* Convolution (weights (Cout, Cin, k, k)). */
    size_t (*conv_workspace)(const pgc_conv_desc *d);
    void (*conv_forward)(void *ctx, const pgc_conv_desc *d, const float *x, const float *w,
                         float *y);
    void (*conv_backward_data)(void *ctx, const pgc_conv_desc *d, const float *dy,
                               const float *w, float *dx);
    void (*conv_backward_filter)(void *ctx, const pgc_conv_desc *d, const float *x,
                                 const float *dy, float *dw);

    /* Batch norm: save holds (2, C): batch mean and 1/sqrt(var + eps) of the last
     * training forward. Backward uses save in training mode, the running stats else. */
    void (*bn_forward)(void *ctx, const pgc_bn_desc *d, const float *x, const float *gamma,
                       const float *beta, float *run_mean, float *run_var, float *save,
                       float *y);
    void (*bn_backward)(void *ctx, const pgc_bn_desc *d, const float *x, const float *y,
                        const float *dy, const float *gamma, const float *run_mean,
                        const float *run_var, const float *save, float *dx,
                        float *dgamma, float *dbeta);

    /* Transposed 2x2/2 convolution, one input part (weights (Cin, Cout, 2, 2)); the
     * forward ACCUMULATES into y so that parts add up; bias is added separately. */
    size_t (*upconv_workspace)(const pgc_upconv_desc *d);
    void (*upconv_forward)(void *ctx, const pgc_upconv_desc *d, const float *x,
                           const float *w, float *y);
    void (*upconv_backward)(void *ctx, const pgc_upconv_desc *d, const float *x,
                            const float *w, const float *dy, float *dx, float *dw);
    /* y[n, c, :] = b[c] (overwrite); db[c] += sum dy[n, c, :]. */
    void (*bias_forward)(void *ctx, int n, int c, int hw, const float *b, float *y);
    void (*bias_backward)(void *ctx, int n, int c, int hw, const float *dy, float *db);

    /* Max pooling; idx (N, C, Ho, Wo) holds the argmax's flat index in its input plane. */
    void (*maxpool_forward)(void *ctx, const pgc_pool_desc *d, const float *x, float *y,
                            int *idx);
    void (*maxpool_backward)(void *ctx, const pgc_pool_desc *d, const float *dy,
                             const int *idx, float *dx);
    int *(*alloc_int)(void *ctx, size_t n);

    /* Copies x (N, cx, HW) into channels [c0, c0 + cx) of y (N, cy, HW); backward adds
     * those channels of dy into dx. */
    void (*slice_forward)(void *ctx, int n, int cx, int cy, int c0, int hw, const float *x,
                          float *y);
    void (*slice_backward)(void *ctx, int n, int cx, int cy, int c0, int hw,
                           const float *dy, float *dx);
    /* Nearest 2^s upsampling of (N, C, h, w). */
    void (*upsample_forward)(void *ctx, int n, int c, int h, int w, int s, const float *x,
                             float *y);
    void (*upsample_backward)(void *ctx, int n, int c, int h, int w, int s, const float *dy,
                              float *dx);
    /* Global average pooling (N, C, HW) -> (N, C). */
    void (*gap_forward)(void *ctx, int n, int c, int hw, const float *x, float *y);
    void (*gap_backward)(void *ctx, int n, int c, int hw, const float *dy, float *dx);
    /* y = a + b, optionally followed by ReLU; backward adds the (masked) dy to da, db. */
    void (*add_forward)(void *ctx, size_t n, int relu, const float *a, const float *b,
                        float *y);
    void (*add_backward)(void *ctx, size_t n, int relu, const float *y, const float *dy,
                         float *da, float *db);
    /* Fully connected: x (N, K), w (M, K), b (M) -> y (N, M). */
    void (*fc_forward)(void *ctx, int n, int k, int m, const float *x, const float *w,
                       const float *b, float *y);
    void (*fc_backward)(void *ctx, int n, int k, int m, const float *x, const float *w,
                        const float *dy, float *dx, float *dw, float *db);
    /* Adam step t (1, 2, ...) over n parameters, as PyTorch's:
     * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr (m/bc1) / (sqrt(v/bc2) + eps). */
    void (*adam_step)(void *ctx, size_t n, float *p, const float *g, float *m, float *v,
                      float lr, float beta1, float beta2, float eps, long t);
};

/* The CPU backend (OpenBLAS). Always there. */
const pgc_nn_backend *pgc_nn_backend_cpu(void);

/* The backend for a device name:
 *   "cpu"   the CPU;
 *   "gpu"   the GPU, or the CPU when there is none, with the reason in why;
 *   "auto"  the GPU when this build has GPU support and a GPU is usable, else the CPU;
 *           why says so only when a build with GPU support found no usable GPU.
 * why (n bytes) is left empty when nothing needs saying. NULL for an unknown name.
 * The GPU backend is a plugin, pgc-cuda.so, loaded on first use (pgc_nn_plugin_path),
 * so that a binary runs where the CUDA libraries are missing and loads them only when
 * a GPU is asked for. */
const pgc_nn_backend *pgc_nn_backend_get(const char *device, char *why, size_t n);
/* Two reasons are fallbacks by design, not faults (tests tell them apart by these): */
#define PGC_NN_WHY_NOT_BUILT "this build has no GPU support"     /* no plugin */
#define PGC_NN_WHY_TOO_OLD "this build needs sm_80 or newer"     /* an older GPU */

/* Where the GPU plugin is looked for, in order: $PGC_CUDA_PLUGIN; pgc-cuda.so beside
 * the running binary; ../lib/pgcam/pgc-cuda.so from the binary (an installed tree).
 * Writes the k-th candidate into buf; returns 0, or -1 past the last one. */
int pgc_nn_plugin_path(int k, char *buf, size_t n);

/* The plugin's one exported symbol, and what it returns: the table, or NULL with the
 * reason in why when it finds no usable device. */
#define PGC_NN_PLUGIN_SYMBOL "pgc_nn_plugin_backend"
typedef const pgc_nn_backend *(*pgc_nn_plugin_fn)(int abi, size_t table_size, char *why,
                                                  size_t n);

#endif

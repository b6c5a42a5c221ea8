/* The CUDA backend: device check, context, memory, failures and the table. The
 * operations are in cuda_conv.cu (cuDNN), cuda_gemm.cu (cuBLAS) and cuda_ops.cu. */
#include "cuda_ctx.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

/* ---- failures ---- */

bool pgc_cuda_fail(pgc_cuda_ctx *c, const char *what, const char *why)
{
    if (!c->failed) {
        c->failed = 1;
        /* what is the checked call's source text: keep the function's name */
        int len = (int)strcspn(what, "(");
        snprintf(c->msg, sizeof c->msg, "gpu: %.*s failed: %s", len > 80 ? 80 : len, what,
                 why ? why : "unknown error");
    }
    return false;
}

bool pgc_cuda_check(pgc_cuda_ctx *c, cudaError_t e, const char *what)
{
    return e == cudaSuccess || pgc_cuda_fail(c, what, cudaGetErrorString(e));
}

bool pgc_cuda_check(pgc_cuda_ctx *c, cudnnStatus_t e, const char *what)
{
    return e == CUDNN_STATUS_SUCCESS || pgc_cuda_fail(c, what, cudnnGetErrorString(e));
}

bool pgc_cuda_check(pgc_cuda_ctx *c, cublasStatus_t e, const char *what)
{
    return e == CUBLAS_STATUS_SUCCESS || pgc_cuda_fail(c, what, cublasGetStatusString(e));
}

static const char *cuda_error(void *ctx)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (!c) return "gpu: no context";
    if (!c->failed) CK(c, cudaStreamSynchronize(c->stream));
    return c->failed ? c->msg : NULL;
}

/* ---- device ---- */

/* The current device when it is usable; else false with the reason in why. */
static bool device_usable(int *dev, char *why, size_t n)
{
    int count = 0, major = 0, minor = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e == cudaSuccess && count < 1) e = cudaErrorNoDevice;
    if (e == cudaSuccess) e = cudaGetDevice(dev);
    if (e == cudaSuccess)
        e = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, *dev);
    if (e == cudaSuccess)
        e = cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, *dev);
    if (e != cudaSuccess) {
        cudaGetLastError(); /* clear it: nothing else should see this error */
        /* without a driver the runtime says "driver version is insufficient", which
         * sends people looking for the wrong thing */
        bool none = (e == cudaErrorInsufficientDriver || e == cudaErrorNoDevice) &&
                    access("/dev/nvidiactl", F_OK) != 0;
        if (why)
            snprintf(why, n, "no usable GPU (%s)",
                     none ? "no NVIDIA GPU or driver found" : cudaGetErrorString(e));
        return false;
    }
    if (major < 8) { /* the Makefile builds sm_80 and sm_90 code */
        if (why) snprintf(why, n, "the GPU is sm_%d%d; " PGC_NN_WHY_TOO_OLD,
                          major, minor);
        return false;
    }
    return true;
}

static void cuda_device_name(char *buf, size_t n)
{
    int dev = 0;
    cudaDeviceProp p;
    if (!device_usable(&dev, buf, n)) return;
    if (cudaGetDeviceProperties(&p, dev) != cudaSuccess) {
        cudaGetLastError();
        snprintf(buf, n, "GPU %d", dev);
        return;
    }
    snprintf(buf, n, "%s (sm_%d%d, %d SMs, %.1f GiB)", p.name, p.major, p.minor,
             p.multiProcessorCount, p.totalGlobalMem / 1073741824.0);
}

/* ---- context ---- */

void *pgc_cuda_scratch(pgc_cuda_ctx *c, int which, size_t bytes)
{
    if (bytes <= c->scratch_bytes[which]) return c->scratch[which];
    if (c->failed) return NULL;
    /* grow by half again at least, in whole MiB, so that a few sizes settle it */
    size_t want = c->scratch_bytes[which] / 2 * 3;
    if (want < bytes) want = bytes;
    want = (want + (1u << 20) - 1) >> 20 << 20;
    if (c->scratch[which]) {
        /* the old buffer may still be read by queued work */
        if (!CK(c, cudaStreamSynchronize(c->stream))) return NULL;
        CK(c, cudaFree(c->scratch[which]));
        c->scratch[which] = NULL;
        c->scratch_bytes[which] = 0;
    }
    if (!CK(c, cudaMalloc(&c->scratch[which], want))) {
        c->scratch[which] = NULL;
        return NULL;
    }
    c->scratch_bytes[which] = want;
    return c->scratch[which];
}

static void cuda_destroy(void *ctx)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (!c) return;
    if (c->stream) cudaStreamSynchronize(c->stream);
    for (int i = 0; i < PGC_NSCRATCH; i++)
        if (c->scratch[i]) cudaFree(c->scratch[i]);
    if (c->cd) cudnnDestroyConvolutionDescriptor(c->cd);
    if (c->wd) cudnnDestroyFilterDescriptor(c->wd);
    if (c->yd) cudnnDestroyTensorDescriptor(c->yd);
    if (c->xd) cudnnDestroyTensorDescriptor(c->xd);
    if (c->blas) cublasDestroy(c->blas);
    if (c->dnn) cudnnDestroy(c->dnn);
    if (c->stream) cudaStreamDestroy(c->stream);
    cudaGetLastError();
    free(c);
}

/* threads: CPU threads, unused here. ws_bytes: the largest workspace the sizes in the
 * table asked for; cuDNN's own needs are only known per call and grow the scratch. */
static void *cuda_create(size_t ws_bytes, int threads)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)calloc(1, sizeof *c);
    if (!c) return NULL;
    const char *fast = getenv("PGC_GPU_FAST");
    c->fast = fast && !strcmp(fast, "1");
    bool ok = device_usable(&c->device, NULL, 0) &&
              CK(c, cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking)) &&
              CK(c, cudnnCreate(&c->dnn)) && CK(c, cudnnSetStream(c->dnn, c->stream)) &&
              CK(c, cublasCreate(&c->blas)) && CK(c, cublasSetStream(c->blas, c->stream)) &&
              /* FP32 GEMMs stay FP32 (no TF32) unless asked for speed */
              CK(c, cublasSetMathMode(c->blas, c->fast ? CUBLAS_TF32_TENSOR_OP_MATH
                                                       : CUBLAS_DEFAULT_MATH)) &&
              CK(c, cublasSetPointerMode(c->blas, CUBLAS_POINTER_MODE_HOST)) &&
              CK(c, cudnnCreateTensorDescriptor(&c->xd)) &&
              CK(c, cudnnCreateTensorDescriptor(&c->yd)) &&
              CK(c, cudnnCreateFilterDescriptor(&c->wd)) &&
              CK(c, cudnnCreateConvolutionDescriptor(&c->cd));
    if (ok && ws_bytes) ok = pgc_cuda_scratch(c, PGC_SCRATCH_WS, ws_bytes) != NULL;
    if (!ok) {
        cuda_destroy(c);
        return NULL;
    }
    return c;
}

/* ---- memory ---- */

static void *dev_alloc(pgc_cuda_ctx *c, size_t bytes)
{
    if (c->failed) return NULL;
    bytes = (bytes ? bytes : 1);
    bytes = (bytes + 255) / 256 * 256;
    void *p = NULL;
    if (cudaMalloc(&p, bytes) != cudaSuccess) {
        cudaGetLastError(); /* out of memory is the caller's to report, not a failure */
        return NULL;
    }
    if (!CK(c, cudaMemsetAsync(p, 0, bytes, c->stream))) {
        cudaFree(p);
        return NULL;
    }
    return p;
}

static float *cuda_alloc(void *ctx, size_t n)
{
    return (float *)dev_alloc((pgc_cuda_ctx *)ctx, n * sizeof(float));
}

static int *cuda_alloc_int(void *ctx, size_t n)
{
    return (int *)dev_alloc((pgc_cuda_ctx *)ctx, n * sizeof(int));
}

static void cuda_free(void *ctx, float *p)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (!p) return;
    cudaStreamSynchronize(c->stream); /* queued work may still use it */
    if (cudaFree(p) != cudaSuccess && !c->failed) CK(c, cudaGetLastError());
}

static void cuda_upload(void *ctx, float *dst, const float *host, size_t n)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (c->failed || !n) return;
    if (CK(c, cudaMemcpyAsync(dst, host, n * sizeof(float), cudaMemcpyHostToDevice,
                              c->stream)))
        CK(c, cudaStreamSynchronize(c->stream)); /* the caller may reuse host at once */
}

static void cuda_download(void *ctx, float *host, const float *src, size_t n)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (!n) return;
    if (!c->failed &&
        CK(c, cudaMemcpyAsync(host, src, n * sizeof(float), cudaMemcpyDeviceToHost,
                              c->stream)) &&
        CK(c, cudaStreamSynchronize(c->stream)))
        return;
    /* a failed context must never hand out numbers that look like results */
    for (size_t i = 0; i < n; i++) host[i] = NAN;
}

static void cuda_zero(void *ctx, float *p, size_t n)
{
    pgc_cuda_ctx *c = (pgc_cuda_ctx *)ctx;
    if (c->failed || !n) return;
    CK(c, cudaMemsetAsync(p, 0, n * sizeof(float), c->stream));
}

/* Page-locked, so that cudaMemcpyAsync copies straight from it. NULL when the system
 * lets us lock no more: the caller reports it as out of memory. */
static float *cuda_host_alloc(size_t n)
{
    void *p = NULL;
    if (cudaHostAlloc(&p, (n ? n : 1) * sizeof(float), cudaHostAllocDefault) != cudaSuccess) {
        cudaGetLastError();
        return NULL;
    }
    return (float *)p;
}

static void cuda_host_free(float *p)
{
    if (p && cudaFreeHost(p) != cudaSuccess) cudaGetLastError();
}

/* ---- the table ---- */

/* Filled by name, so that the table does not depend on the order of backend.h's fields. */
static pgc_nn_backend table_make(void)
{
    pgc_nn_backend b = {};
    b.name = "cuda";
    b.create = cuda_create;
    b.destroy = cuda_destroy;
    b.error = cuda_error;
    b.device_name = cuda_device_name;
    b.alloc = cuda_alloc;
    b.free = cuda_free;
    b.upload = cuda_upload;
    b.download = cuda_download;
    b.zero = cuda_zero;
    b.host_alloc = cuda_host_alloc;
    b.host_free = cuda_host_free;
    b.conv_workspace = pgc_cuda_conv_workspace;
    b.conv_forward = pgc_cuda_conv_forward;
    b.conv_backward_data = pgc_cuda_conv_backward_data;
    b.conv_backward_filter = pgc_cuda_conv_backward_filter;
    b.bn_forward = pgc_cuda_bn_forward;
    b.bn_backward = pgc_cuda_bn_backward;
    b.upconv_workspace = pgc_cuda_upconv_workspace;
    b.upconv_forward = pgc_cuda_upconv_forward;
    b.upconv_backward = pgc_cuda_upconv_backward;
    b.bias_forward = pgc_cuda_bias_forward;
    b.bias_backward = pgc_cuda_bias_backward;
    b.maxpool_forward = pgc_cuda_maxpool_forward;
    b.maxpool_backward = pgc_cuda_maxpool_backward;
    b.alloc_int = cuda_alloc_int;
    b.slice_forward = pgc_cuda_slice_forward;
    b.slice_backward = pgc_cuda_slice_backward;
    b.upsample_forward = pgc_cuda_upsample_forward;
    b.upsample_backward = pgc_cuda_upsample_backward;
    b.gap_forward = pgc_cuda_gap_forward;
    b.gap_backward = pgc_cuda_gap_backward;
    b.add_forward = pgc_cuda_add_forward;
    b.add_backward = pgc_cuda_add_backward;
    b.fc_forward = pgc_cuda_fc_forward;
    b.fc_backward = pgc_cuda_fc_backward;
    b.adam_step = pgc_cuda_adam_step;
    return b;
}

static const pgc_nn_backend cuda_backend = table_make();

/* The plugin's entry (backend.h): refuses a caller built from another backend.h. */
extern "C" __attribute__((visibility("default"))) const pgc_nn_backend *
pgc_nn_plugin_backend(int abi, size_t table_size, char *why, size_t n)
{
    int dev;
    if (abi != PGC_NN_BACKEND_ABI || table_size != sizeof(pgc_nn_backend)) {
        snprintf(why, n, "the GPU plugin was built for another version of pgcam");
        return NULL;
    }
    if (!device_usable(&dev, why, n)) return NULL;
    /* make the context now: a GPU held by another process in exclusive mode, or one
     * whose memory is gone, shows here as a reason rather than later as a failure */
    cudaError_t e = cudaFree(0);
    if (e != cudaSuccess) {
        cudaGetLastError();
        snprintf(why, n, "the GPU cannot be used (%s)", cudaGetErrorString(e));
        return NULL;
    }
    return &cuda_backend;
}

/* The CUDA backend (lib/nn/cuda_*.cu): the same table as the CPU backend (backend.h),
 * run on the current CUDA device through cuDNN, cuBLAS and a few kernels of its own.
 * Only built when the Makefile finds nvcc and cuDNN (it then defines PGC_HAVE_CUDA). */
#ifndef PGC_NN_CUDA_BACKEND_H
#define PGC_NN_CUDA_BACKEND_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" { /* err.h and backend.h are C headers without guards of their own */
#endif

#include "../err.h"
#include "backend.h"

/* The table, or NULL when there is no usable device (no driver, no device, or one older
 * than compute capability 8.0, which this build has no code for): callers fall back to
 * the CPU. */
const pgc_nn_backend *pgc_nn_backend_cuda(void);

/* The table's entries return nothing, so a context remembers its first failure (a CUDA,
 * cuDNN or cuBLAS error) and turns every later call into a no-op; downloads then fill
 * the host buffer with NaN so that a failure can never pass for a result. This waits
 * for the device, then returns PGC_OK, or PGC_EINPUT with the failure in e. */
int pgc_cuda_error(void *ctx, pgc_err *e);

/* Names the current device, e.g. "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 79.1 GiB)".
 * Returns 0, or -1 (and an empty string) without a usable device. */
int pgc_cuda_device_name(char *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif

/* The CUDA backend (lib/nn/cuda_*.cu): the same table as the CPU backend (backend.h),
 * run on the current CUDA device through cuDNN, cuBLAS and a few kernels of its own.
 * Only built when the Makefile finds nvcc and cuDNN, and then as a plugin, pgc-cuda.so,
 * that lib/nn/backend.c loads on demand. */
#ifndef PGC_NN_CUDA_BACKEND_H
#define PGC_NN_CUDA_BACKEND_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" { /* backend.h is a C header with no extern "C" of its own */
#endif

#include "backend.h"

/* The plugin's one exported symbol (PGC_NN_PLUGIN_SYMBOL in backend.h); everything
 * else in pgc-cuda.so is hidden. */
const pgc_nn_backend *pgc_nn_plugin_backend(int abi, size_t table_size, char *why,
                                            size_t n);

#ifdef __cplusplus
}
#endif

#endif

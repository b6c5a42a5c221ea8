/* Backend choice: the one place that knows which backends are built in. */
#include "backend.h"

#include <string.h>

#ifdef PGC_HAVE_CUDA
const pgc_nn_backend *pgc_nn_backend_cuda(void); /* lib/nn/cuda*.cu, when built */
#endif

const pgc_nn_backend *pgc_nn_backend_get(const char *device, int *fell_back)
{
    if (fell_back) *fell_back = 0;
    if (!device || !strcmp(device, "cpu")) return pgc_nn_backend_cpu();
    if (!strcmp(device, "gpu")) {
#ifdef PGC_HAVE_CUDA
        const pgc_nn_backend *b = pgc_nn_backend_cuda();
        if (b) return b;
#endif
        if (fell_back) *fell_back = 1;
        return pgc_nn_backend_cpu();
    }
    return NULL;
}

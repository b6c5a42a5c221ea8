/* Backend choice: the CPU backend is linked in; the GPU backend is a plugin loaded with
 * dlopen, so that binaries start (and run on the CPU) where the CUDA libraries are
 * missing, and load cuDNN and cuBLAS (hundreds of MB) only when a GPU is asked for. */
#include "backend.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PLUGIN_NAME "pgc-cuda.so"

int pgc_nn_plugin_path(int k, char *buf, size_t n)
{
    const char *env = getenv("PGC_CUDA_PLUGIN");
    if (env && *env) {
        /* an explicit choice is the only candidate: no surprises from elsewhere; a bare
         * name means this directory, as for any path, not dlopen's library search */
        if (k != 0) return -1;
        snprintf(buf, n, "%s%s", strchr(env, '/') ? "" : "./", env);
        return 0;
    }
    static const char *const rel[] = {"/" PLUGIN_NAME, "/../lib/pgcam/" PLUGIN_NAME};
    if (k < 0 || k >= (int)(sizeof rel / sizeof *rel)) return -1;
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe);
    if (len <= 0 || len >= (ssize_t)sizeof exe) return -1;
    exe[len] = 0;
    char *slash = strrchr(exe, '/');
    if (slash) *slash = 0;
    snprintf(buf, n, "%s%s", exe, rel[k]);
    return 0;
}

/* Loads the plugin. Returns 0 with *table set (NULL: no usable device, reason in why),
 * or -1 when no plugin file exists (why empty, unless $PGC_CUDA_PLUGIN named one) or
 * one exists but cannot be used. The handle is never closed, even when no GPU is found:
 * unloading libstdc++ and the CUDA libraries again frees nothing that matters and
 * leaves their start-up allocations orphaned (LeakSanitizer reports them); dlopen
 * counts references, so loading again is cheap and holds no state of ours. */
static int plugin_load(const pgc_nn_backend **table, char *why, size_t n)
{
    char path[PATH_MAX + 32];
    *table = NULL;
    const char *env = getenv("PGC_CUDA_PLUGIN");
    for (int k = 0; pgc_nn_plugin_path(k, path, sizeof path) == 0; k++) {
        if (access(path, F_OK) != 0) {
            if (env && *env) snprintf(why, n, "PGC_CUDA_PLUGIN: no file '%.300s'", env);
            continue;
        }
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char *err = dlerror();
            snprintf(why, n, "cannot load the GPU plugin: %.300s", err ? err : path);
            return -1;
        }
        pgc_nn_plugin_fn fn;
        /* POSIX blesses this conversion for dlsym's result */
        *(void **)&fn = dlsym(h, PGC_NN_PLUGIN_SYMBOL);
        if (!fn) {
            snprintf(why, n, "%.300s is not a pgcam GPU plugin", path);
            return -1;
        }
        *table = fn(PGC_NN_BACKEND_ABI, sizeof(pgc_nn_backend), why, n);
        return 0;
    }
    return -1;
}

const pgc_nn_backend *pgc_nn_backend_get(const char *device, char *why, size_t n)
{
    if (n) why[0] = 0;
    if (!device || !strcmp(device, "cpu")) return pgc_nn_backend_cpu();
    int gpu = !strcmp(device, "gpu");
    if (!gpu && strcmp(device, "auto")) return NULL;

    const pgc_nn_backend *b = NULL;
    char reason[400] = "";
    if (plugin_load(&b, reason, sizeof reason) == 0 && b) return b;
    if (!reason[0]) {
        /* no plugin: a CPU-only build, where "auto" has nothing to say */
        if (gpu) snprintf(why, n, PGC_NN_WHY_NOT_BUILT " (no " PLUGIN_NAME ")");
    } else {
        snprintf(why, n, "%.400s", reason);
    }
    return pgc_nn_backend_cpu();
}

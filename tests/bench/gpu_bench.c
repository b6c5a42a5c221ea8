/* Images per second on the GPU backend for dcfpn w16, dcfpn w32 and resnet50 (base 64):
 * inference, inference + Grad-CAM backward (inference-mode BN, no parameter gradients,
 * from the tumour logit) and a training step (forward, backward, Adam), at batch 1 and
 * a large batch, at 224 x 224 unless told otherwise. Names the card. Without a usable
 * GPU it says so in one line and exits 0.
 *   gpu_bench [--arch A --width W] [--mode infer|cam|train] [--batch N] [--size S]
 *             [--seconds T]                        (defaults: all three nets, 32, 224, 1)
 * It takes nn_bench's options too (tests/bench/run.sh passes both the same ones);
 * --threads and --profile mean nothing on the GPU and are ignored. */
#include "../../lib/nn/backend.h"
#include "../../lib/nn/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { INFER, GRADCAM, TRAIN, NMODES };
static const char *const MODE_NAMES[NMODES] = {"infer", "infer+gradcam", "train step"};
static const char *const MODE_ARGS[NMODES] = {"infer", "cam", "train"};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Downloads a little of the last result, which waits for the device. */
static void net_sync(pgc_net *net)
{
    float z[2];
    net->be->download(net->ctx, z, net->t[net->logits].x, 2);
}

static void step(pgc_net *net, int mode, const float *x, float *z, float *dz, const int *y)
{
    pgc_net_forward(net, x, z);
    if (mode == GRADCAM) {
        pgc_net_backward(net, dz); /* dz: d logit(tumour) */
    } else if (mode == TRAIN) {
        pgc_softmax_xent(net->n, z, y, NULL, dz, NULL);
        pgc_net_backward(net, dz);
        pgc_net_adam(net, 1e-4f);
    }
    net_sync(net);
}

/* Images per second for one mode, or a negative number when the GPU failed. */
static double bench_mode(pgc_net *net, int mode, double seconds)
{
    int n = net->n;
    float *x = net->be->host_alloc((size_t)n * net->h * net->w), *z = malloc(sizeof(float) * 2 * n);
    float *dz = malloc(sizeof(float) * 2 * n);
    int *y = malloc(sizeof(int) * n);
    if (!x || !z || !dz || !y) {
        fprintf(stderr, "gpu_bench: out of memory\n");
        net->be->host_free(x);
        free(z), free(dz), free(y);
        return -1;
    }
    for (size_t i = 0; i < (size_t)n * net->h * net->w; i++)
        x[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1.0f;
    for (int i = 0; i < n; i++) {
        dz[2 * i] = 0, dz[2 * i + 1] = 1;
        y[i] = i & 1;
    }
    net->train = mode == TRAIN;
    net->param_grads = mode == TRAIN;
    /* warm-up: scratch grows and cuDNN loads its kernels on the first calls */
    for (int i = 0; i < 2; i++) step(net, mode, x, z, dz, y);
    int iters = 0;
    double t0 = now(), t;
    do {
        step(net, mode, x, z, dz, y);
        iters++;
        t = now() - t0;
    } while ((t < seconds || iters < 3) && iters < 1000);
    double rate = iters * (double)n / t;
    pgc_err e;
    if (pgc_net_status(net, &e)) {
        fprintf(stderr, "gpu_bench: %s\n", e.msg);
        rate = -1;
    }
    net->be->host_free(x);
    free(z), free(dz), free(y);
    return rate;
}

static int usage(void)
{
    fprintf(stderr, "usage: gpu_bench [--arch A --width W] [--mode infer|cam|train] "
                    "[--batch N] [--size S] [--seconds T]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *arch = NULL;
    int width = 0, batch = 32, size = 224, mode = -1;
    double seconds = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("usage: gpu_bench [--arch A --width W] [--mode infer|cam|train] "
                   "[--batch N] [--size S] [--seconds T]\n");
            return 0;
        }
        if (!strcmp(a, "--profile") || !strcmp(a, "--profile-cpu")) continue;
        if (!v) return usage();
        if (!strcmp(a, "--arch")) arch = v;
        else if (!strcmp(a, "--width")) width = atoi(v);
        else if (!strcmp(a, "--batch")) batch = atoi(v);
        else if (!strcmp(a, "--size")) size = atoi(v);
        else if (!strcmp(a, "--seconds")) seconds = atof(v);
        else if (!strcmp(a, "--threads")) (void)0;
        else if (!strcmp(a, "--mode")) {
            for (int m = 0; m < NMODES; m++)
                if (!strcmp(v, MODE_ARGS[m])) mode = m;
            if (mode < 0) return usage();
        } else {
            return usage();
        }
        i++;
    }
    if (batch < 1 || size < 16 || size % 16 || seconds <= 0 || (arch && !pgc_arch_known(arch)))
        return usage();
    char why[512];
    const pgc_nn_backend *be = pgc_nn_backend_get("gpu", why, sizeof why);
    if (be == pgc_nn_backend_cpu()) {
        printf("gpu: skipped: %s\n", why);
        return 0;
    }
    char dev[256];
    be->device_name(dev, sizeof dev);
    const char *fast = getenv("PGC_GPU_FAST");
    printf("gpu: %s, %dx%d, %s\n", dev, size, size,
           fast && !strcmp(fast, "1") ? "PGC_GPU_FAST=1 (TF32, heuristic algorithms)"
                                      : "FP32, deterministic algorithms");
    printf("%-10s %5s %5s %9s %14s %14s %14s   (images/s)\n", "arch", "width", "batch",
           "GFLOP/img", MODE_NAMES[INFER], MODE_NAMES[GRADCAM], MODE_NAMES[TRAIN]);
    static const struct {
        const char *arch;
        int width;
    } all[] = {{"dcfpn", 16}, {"dcfpn", 32}, {"resnet50", 64}};
    int nnets = (int)(sizeof all / sizeof *all), failed = 0;
    for (int a = 0; a < (arch ? 1 : nnets); a++) {
        const char *an = arch ? arch : all[a].arch;
        int aw = arch ? (width > 0 ? width : 16) : all[a].width;
        if (!pgc_arch_known(an)) continue;
        int batches[2] = {1, batch};
        for (int b = 0; b < (batch > 1 ? 2 : 1); b++) {
            pgc_net *net = NULL;
            pgc_err e;
            printf("%-10s %5d %5d", an, aw, batches[b]);
            fflush(stdout);
            if (pgc_net_create(&net, be, an, aw, batches[b], size, size, 1, 1, &e)) {
                printf("   skipped: %s\n", e.msg);
                continue;
            }
            /* forward multiply-adds, two FLOPs each */
            printf(" %9.2f", 2 * pgc_net_macs(net) / batches[b] / 1e9);
            for (int m = 0; m < NMODES; m++) {
                if (mode >= 0 && m != mode) {
                    printf(" %14s", "-");
                    continue;
                }
                double r = bench_mode(net, m, seconds);
                if (r < 0) failed = 1;
                printf(" %14.1f", r < 0 ? 0 : r);
                fflush(stdout);
            }
            printf("\n");
            pgc_net_free(net);
        }
    }
    return failed;
}

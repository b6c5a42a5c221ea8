/* Speed of the networks on this machine: images per second for inference, inference
 * plus the Grad-CAM backward, and a training step, and the fraction of the machine's
 * peak FLOP rate (measured here with an FMA loop on every thread) that they reach.
 *   nn_bench                      the suite: dcfpn w16, w32, resnet50 at 224x224,
 *                                 batch 1 and 8, then dcfpn w16 224 batch 32 training
 *                                 (memory: issue 12), then the training recipe's row
 *                                 (dcfpn w8, 128x128, batch 16, train, 1 thread)
 *   nn_bench --arch A --width W --size S --batch B --mode infer|cam|train [--profile]
 *   --steps N     exactly N timed steps (after the warm-up step) instead of --seconds:
 *                 fixed work, for instruction counts (valgrind --tool=callgrind)
 *   --no-peak     skip the FMA peak loop (%peak then reads "-")
 *   nn_bench --layer CIN,COUT,SIZE[,K] [--batch B --threads T --steps N --impl I --pass P]
 *                 one K x K (default 3) stride-1 convolution, padded to keep its size,
 *                 instead of a network: CPU ms per call of each pass (fwd, data, filter)
 *                 of each implementation (im2col: im2col + sgemm, direct:
 *                 lib/nn/cpu_direct.c, direct8: its 8-lane path where the CPU has
 *                 AVX-512, conv: the backend's choice, im2col8: im2col + OpenBLAS where
 *                 the CPU has AVX-512, without the 16-lane GEMM), N calls each
 *                 (default 10) after one warm-up call. --impl and
 *                 --pass run one of them, for instruction counts: perf stat -e
 *                 instructions:u at two --steps, the difference over the extra calls.
 * Each row runs in a child process, so that its peak resident memory (the child's
 * ru_maxrss, the last column) is its own, not the high-water mark of the rows before.
 */
#include "../../lib/nn/cpu.h"
#include "../../lib/nn/net.h"
#include "../../lib/nn/rng.h"

#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double now(void) { return clock_s(CLOCK_MONOTONIC); }

/* The machine is shared: CPU seconds say what the code costs whatever else runs, wall
 * seconds what it got. Both are reported. */
static double cpu_now(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

/* ---- peak: 12 independent FMA chains of 8 floats per thread ---- */

typedef struct {
    long iters;
    float out;
    double cpu;  /* this thread's CPU seconds */
} fma_job;

static void *fma_loop(void *p)
{
    fma_job *j = p;
    __m256 a[12], m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    for (int k = 0; k < 12; k++) a[k] = _mm256_set1_ps((float)k);
    double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    /* Unrolled, so that the 12 chains live in registers: a loop over a[] in memory is
     * bound by store-to-load latency and measured a third of the real peak. */
    for (long i = 0; i < j->iters; i++)
#pragma GCC unroll 12
        for (int k = 0; k < 12; k++) a[k] = _mm256_fmadd_ps(a[k], m, c);
    float s = 0, v[8];
    for (int k = 0; k < 12; k++) {
        _mm256_storeu_ps(v, a[k]);
        s += v[0];
    }
    j->out = s;
    j->cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    return NULL;
}

/* The same with 16 floats, where the CPU has AVX-512 (OpenBLAS uses it there). */
__attribute__((target("avx512f"))) static void *fma_loop512(void *p)
{
    fma_job *j = p;
    __m512 a[12], m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    for (int k = 0; k < 12; k++) a[k] = _mm512_set1_ps((float)k);
    double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    for (long i = 0; i < j->iters; i++)
#pragma GCC unroll 12
        for (int k = 0; k < 12; k++) a[k] = _mm512_fmadd_ps(a[k], m, c);
    float s = 0;
    for (int k = 0; k < 12; k++) s += _mm512_reduce_add_ps(a[k]);
    j->out = s;
    j->cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    return NULL;
}

/* Returns the wall-clock peak of all threads; *per_core: GFLOP per CPU second. */
static double peak_gflops(int threads, int *lanes, double *per_core)
{
    long iters = 20000000;
    pthread_t th[256];
    fma_job jobs[256];
    *lanes = __builtin_cpu_supports("avx512f") ? 16 : 8;
    double t0 = now();
    for (int i = 0; i < threads; i++) {
        jobs[i].iters = iters;
        pthread_create(&th[i], NULL, *lanes == 16 ? fma_loop512 : fma_loop, &jobs[i]);
    }
    double cpu = 0;
    for (int i = 0; i < threads; i++) pthread_join(th[i], NULL), cpu += jobs[i].cpu;
    double dt = now() - t0, flop = 2.0 * *lanes * 12 * iters * threads;
    *per_core = flop / cpu / 1e9;
    return flop / dt / 1e9;
}

/* ---- one measurement ---- */

enum { INFER, CAM, TRAIN };
static const char *const MODES[] = {"infer", "cam", "train"};

typedef struct {
    double img_s, gflops;   /* per wall second */
    double img_cpu, gflops_cpu; /* per CPU second (all threads' time summed) */
    double rss_mib;         /* peak resident memory of the process that ran the row */
} result;

static int run(const char *arch, int width, int size, int batch, int mode, int threads,
               double secs, long nsteps, int profile, result *res)
{
    pgc_net *net;
    pgc_err e;
    if (pgc_net_create(&net, pgc_nn_backend_cpu(), arch, width, batch, size, size, threads, 1, &e)) {
        fprintf(stderr, "nn_bench: %s\n", e.msg);
        return 1;
    }
    size_t n = (size_t)batch * size * size;
    float *x = malloc(n * sizeof(float)), *z = malloc(2 * batch * sizeof(float));
    float *dz = malloc(2 * batch * sizeof(float));
    int *lab = malloc(batch * sizeof(int));
    pgc_rng r;
    pgc_rng_seed(&r, 3);
    for (size_t i = 0; i < n; i++) x[i] = (float)pgc_rng_normal(&r);
    for (int i = 0; i < batch; i++) lab[i] = i & 1, dz[2 * i] = 0, dz[2 * i + 1] = 1;
    net->train = mode == TRAIN;
    net->param_grads = mode == TRAIN;
    int steps = 0;
    double t0 = 0, c0 = 0;
    for (int it = 0;; it++) {
        if (it == 1) { /* the first step warms caches and the allocator */
            t0 = now();
            c0 = cpu_now();
            net->profile = profile;
        }
        pgc_net_forward(net, x, z);
        if (mode == TRAIN) {
            pgc_softmax_xent(batch, z, lab, NULL, dz, NULL);
            pgc_net_backward(net, dz);
            pgc_net_adam(net, 1e-4f);
        } else if (mode == CAM) {
            pgc_net_backward(net, dz);
        }
        if (it >= 1) steps++;
        if (it >= 1 && (nsteps > 0 ? steps >= nsteps : now() - t0 >= secs)) break;
    }
    double dt = now() - t0, dc = cpu_now() - c0;
    /* Training: backward-data and backward-filter each cost about one forward. Grad-CAM:
     * the data gradients of the nodes its pruned backward runs. */
    double macs = pgc_net_macs(net);
    macs = mode == INFER ? macs : mode == CAM ? macs + pgc_net_macs_cam_backward(net) : 3 * macs;
    res->img_s = steps * batch / dt;
    res->gflops = 2 * macs * steps / dt / 1e9;
    res->img_cpu = steps * batch / dc;
    res->gflops_cpu = 2 * macs * steps / dc / 1e9;
    if (profile) {
        for (int d = 0; d < 2; d++)
            for (int k = 0; pgc_net_op_name(k); k++)
                if (net->prof[d][k] > 0)
                    printf("#   %s %-8s %7.1f ms/step\n", d ? "backward" : "forward ",
                           pgc_net_op_name(k), 1e3 * net->prof[d][k] / steps);
    }
    pgc_net_free(net);
    free(x), free(z), free(dz), free(lab);
    return 0;
}

/* ---- one convolution layer ---- */

/* direct8: the direct kernel's 8-lane path where the CPU also has the 16-lane one;
 * im2col8: im2col + OpenBLAS there (no 16-lane GEMM) */
static const char *const IMPLS[] = {"im2col", "direct", "direct8", "conv", "im2col8"};
static const char *const PASSES[] = {"fwd", "data", "filter"};
typedef void (*conv_fn)(void *, const pgc_conv_desc *, const float *, const float *, float *);

static int run_layer(int cin, int cout, int size, int k, int batch, int threads, long nsteps,
                     int impl, int pass)
{
    pgc_conv_desc d = {batch, cin, size, size, cout, size, size, k, 1, k / 2};
    static const conv_fn fns[5][3] = {
        {pgc_cpu_im2col_forward, pgc_cpu_im2col_backward_data, pgc_cpu_im2col_backward_filter},
        {pgc_cpu_direct_forward, pgc_cpu_direct_backward_data, pgc_cpu_direct_backward_filter},
        {pgc_cpu_direct_forward, pgc_cpu_direct_backward_data, pgc_cpu_direct_backward_filter},
        {pgc_cpu_conv_forward, pgc_cpu_conv_backward_data, pgc_cpu_conv_backward_filter},
        {pgc_cpu_im2col_forward, pgc_cpu_im2col_backward_data, pgc_cpu_im2col_backward_filter}};
    size_t nx = (size_t)batch * cin * size * size, ny = (size_t)batch * cout * size * size;
    size_t nw = (size_t)cout * cin * k * k;
    size_t wa = pgc_cpu_conv_workspace(&d), wb = pgc_cpu_direct_workspace(&d);
    float *x = malloc(nx * 4), *dx = malloc(nx * 4), *y = malloc(ny * 4), *w = malloc(nw * 4),
          *dw = malloc(nw * 4);
    const pgc_nn_backend *be = pgc_nn_backend_cpu();
    void *c = x && dx && y && w && dw ? be->create((wa > wb ? wa : wb) * 4, threads) : NULL;
    if (!c) {
        fprintf(stderr, "nn_bench: out of memory\n");
        return 1;
    }
    pgc_rng r;
    pgc_rng_seed(&r, 5);
    for (size_t i = 0; i < nx; i++) x[i] = (float)pgc_rng_normal(&r), dx[i] = 0;
    for (size_t i = 0; i < ny; i++) y[i] = (float)pgc_rng_normal(&r);
    for (size_t i = 0; i < nw; i++) w[i] = (float)pgc_rng_normal(&r) * 0.1f, dw[i] = 0;
    printf("layer %d -> %d at %dx%d, %dx%d, batch %d, %d threads (CPU ms per call):", cin, cout,
           size, size, k, k, batch, threads);
    int avx512 = ((pgc_cpu_ctx *)c)->avx512;
    for (int m = 0; m < 5; m++) {
        if (impl >= 0 && m != impl) continue;
        if ((m == 1 || m == 2) && !pgc_cpu_direct_ok(&d)) continue;
        if ((m == 2 || m == 4) && !avx512) continue;
        ((pgc_cpu_ctx *)c)->avx512 = m == 2 || m == 4 ? 0 : avx512;
        for (int p = 0; p < 3; p++) {
            if (pass >= 0 && p != pass) continue;
            double c0 = 0;
            for (long it = 0; it <= nsteps; it++) {
                if (it == 1) c0 = cpu_now();
                if (p == 0) fns[m][p](c, &d, x, w, y);
                else if (p == 1) fns[m][p](c, &d, y, w, dx);
                else fns[m][p](c, &d, x, y, dw);
            }
            printf(" %s %s %.3f", IMPLS[m], PASSES[p],
                   nsteps ? 1e3 * (cpu_now() - c0) / nsteps : 0.0);
        }
    }
    printf("\n");
    be->destroy(c);
    free(x), free(dx), free(y), free(w), free(dw);
    return 0;
}

/* run() in a child process: the child's ru_maxrss is this row's peak resident memory.
 * Without fork (it failed), in this process, with its high-water mark so far. */
static int run_row(const char *arch, int width, int size, int batch, int mode, int threads,
                   double secs, long nsteps, int profile, result *res)
{
    int fd[2];
    fflush(stdout);
    pid_t pid = pipe(fd) ? -1 : fork();
    if (pid == 0) {
        close(fd[0]);
        int rc = run(arch, width, size, batch, mode, threads, secs, nsteps, profile, res);
        fflush(stdout);
        ssize_t w = rc ? 0 : write(fd[1], res, sizeof *res);
        _exit(rc || w != (ssize_t)sizeof *res);
    }
    if (pid < 0) {
        struct rusage ru;
        int rc = run(arch, width, size, batch, mode, threads, secs, nsteps, profile, res);
        getrusage(RUSAGE_SELF, &ru);
        res->rss_mib = ru.ru_maxrss / 1024.0;
        return rc;
    }
    close(fd[1]);
    ssize_t got = 0;
    for (ssize_t r; got < (ssize_t)sizeof *res &&
                    (r = read(fd[0], (char *)res + got, sizeof *res - got)) > 0;)
        got += r;
    close(fd[0]);
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) || WEXITSTATUS(st) ||
        got != (ssize_t)sizeof *res)
        return 1;
    res->rss_mib = ru.ru_maxrss / 1024.0;
    return 0;
}

static void print_row(const char *arch, int width, int size, int batch, int mode, int threads,
                      const result *res, double core)
{
    char peak[16];
    if (core > 0) snprintf(peak, sizeof peak, "%6.1f%%", 100 * res->gflops_cpu / core);
    else snprintf(peak, sizeof peak, "%7s", "-");
    printf("%-10s %5d %5d %5d %-6s %10.2f %8.1f %10.2f %s %7d %8.0f\n", arch, width, size,
           batch, MODES[mode], res->img_s, res->gflops, res->img_cpu, peak, threads,
           res->rss_mib);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *arch = NULL;
    int width = 16, size = 224, batch = 8, mode = -1, profile = 0;
    long nt = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = nt > 0 ? (int)nt : 1;
    double secs = 2;
    long nsteps = 0;
    int no_peak = 0;
    int layer[4] = {0, 0, 0, 3}, impl = -1, pass = -1, batch_set = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(a, "--arch")) arch = v, i++;
        else if (!strcmp(a, "--width")) width = atoi(v), i++;
        else if (!strcmp(a, "--size")) size = atoi(v), i++;
        else if (!strcmp(a, "--batch")) batch = atoi(v), batch_set = 1, i++;
        else if (!strcmp(a, "--threads")) threads = atoi(v), i++;
        else if (!strcmp(a, "--seconds")) secs = atof(v), i++;
        else if (!strcmp(a, "--steps")) nsteps = atol(v), i++;
        else if (!strcmp(a, "--no-peak")) no_peak = 1;
        else if (!strcmp(a, "--layer"))
            sscanf(v, "%d,%d,%d,%d", &layer[0], &layer[1], &layer[2], &layer[3]), i++;
        else if (!strcmp(a, "--impl") || !strcmp(a, "--pass")) {
            const char *const *names = a[2] == 'i' ? IMPLS : PASSES;
            int *dst = a[2] == 'i' ? &impl : &pass;
            for (int k = 0; k < (names == IMPLS ? 5 : 3); k++)
                if (!strcmp(v, names[k])) *dst = k;
            i++;
        }
        else if (!strcmp(a, "--profile")) profile = 1;
        else if (!strcmp(a, "--profile-cpu")) profile = 2;
        else if (!strcmp(a, "--mode")) {
            for (int m = 0; m < 3; m++)
                if (!strcmp(v, MODES[m])) mode = m;
            i++;
        } else {
            fprintf(stderr, "usage: nn_bench [--arch A --width W --size S --batch B "
                            "--mode infer|cam|train --threads T --seconds X --steps N --no-peak "
                            "--profile] | --layer CIN,COUT,SIZE[,K] [--impl "
                            "im2col|direct|direct8|conv|im2col8 --pass fwd|data|filter]\n");
            return 2;
        }
    }
    if (layer[0] > 0 && layer[1] > 0 && layer[2] > 0)
        return run_layer(layer[0], layer[1], layer[2], layer[3], batch_set ? batch : 1,
                         threads, nsteps ? nsteps : 10, impl, pass);
    int lanes = 0;
    double core = 0;
    if (!no_peak) {
        double peak = peak_gflops(threads, &lanes, &core);
        printf("peak: %.1f GFLOP/s f32 FMA (%d lanes) on %d threads in wall time; %.1f GFLOP "
               "per CPU second per core\n", peak, lanes, threads, core);
    }
    printf("(%%peak: GFLOP per CPU second against a core's peak, steady on a shared machine; "
           "peak MiB: the row's peak resident memory)\n");
    printf("%-10s %5s %5s %5s %-6s %10s %8s %10s %7s %7s %8s\n", "arch", "width", "size",
           "batch", "mode", "images/s", "GFLOP/s", "img/cpu-s", "%peak", "threads",
           "peak MiB");
    result res;
    if (arch) {
        for (int m = 0; m < 3; m++) {
            if (mode >= 0 && m != mode) continue;
            if (run_row(arch, width, size, batch, m, threads, secs, nsteps, profile, &res))
                return 1;
            print_row(arch, width, size, batch, m, threads, &res, core);
        }
        return 0;
    }
    static const struct {
        const char *arch;
        int width;
    } nets[] = {{"dcfpn", 16}, {"dcfpn", 32}, {"resnet50", 64}};
    static const int batches[] = {1, 8};
    for (size_t k = 0; k < 3; k++)
        for (int b = 0; b < 2; b++)
            for (int m = 0; m < 3; m++) {
                if (run_row(nets[k].arch, nets[k].width, size, batches[b], m, threads, secs,
                            nsteps, 0, &res))
                    return 1;
                print_row(nets[k].arch, nets[k].width, size, batches[b], m, threads, &res,
                          core);
            }
    /* Training memory at a batch PyTorch needs 12.8 GiB for (issue 12: under 3 GiB
     * here): its peak MiB is the point, so it runs the few steps of any row. */
    if (run_row("dcfpn", 16, size, 32, TRAIN, threads, secs, nsteps, 0, &res)) return 1;
    print_row("dcfpn", 16, size, 32, TRAIN, threads, &res, core);
    /* The configuration the project trains with for hours (issue 12): dcfpn w8 at
     * 128x128, batch 16, two such runs sharing the two cores, one thread each. */
    if (run_row("dcfpn", 8, 128, 16, TRAIN, 1, secs, nsteps, 0, &res)) return 1;
    print_row("dcfpn", 8, 128, 16, TRAIN, 1, &res, core);
    return 0;
}

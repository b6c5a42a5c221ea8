/* The pruned backward of Grad-CAM (param_grads off): it fills only the gradients of the
 * scale tensors and of what is computed from them, and those equal the full walk's bit
 * for bit; with parameter gradients on, prune changes nothing. */
#include "check.h"
#include "nn_fd.h"

#include "../../lib/nn/net.h"

#include <stdlib.h>
#include <string.h>

static const char *const ARCHS[] = {"dcfpn", "fpn", "multigap", "multigap-dc", "resnet50",
                                    "dcfpn-ref"};
#define NARCH (int)(sizeof ARCHS / sizeof *ARCHS)
#define N 2
#define H 32
#define W 32

static size_t tsize(const pgc_tensor *t) { return (size_t)t->n * t->c * t->h * t->w; }

/* A width-2 net with random BN parameters and running statistics, so that inference mode
 * is not trivial, run forward on a random batch. */
static pgc_net *make(const char *arch, int train, int param_grads)
{
    pgc_err e;
    pgc_net *net;
    if (pgc_net_create(&net, pgc_nn_backend_cpu(), arch, 2, N, H, W, 1, 11, &e)) {
        printf("#   %s\n", e.msg);
        return NULL;
    }
    pgc_rng r;
    pgc_rng_seed(&r, 5);
    for (int i = 0; i < net->npar; i++) {
        pgc_param *p = &net->par[i];
        const char *suf = strrchr(p->name, '.') + 1;
        float *v = (p->stat ? net->s : net->p) + p->off;
        for (size_t j = 0; j < p->count; j++) {
            if (!strcmp(suf, "running_var")) v[j] = (float)(0.5 + pgc_rng_uniform(&r));
            else if (!strcmp(suf, "running_mean")) v[j] = (float)(0.3 * pgc_rng_normal(&r));
            else if (!strcmp(suf, "bias")) v[j] = (float)(0.1 * pgc_rng_normal(&r));
            else if (p->rank == 1) v[j] = (float)(0.8 + 0.4 * pgc_rng_uniform(&r));
        }
    }
    net->train = train, net->param_grads = param_grads;
    float x[N * H * W];
    fill_normal(x, N * H * W, 3, 1);
    pgc_net_forward(net, x, NULL);
    return net;
}

/* d logit_1 / d everything, as Grad-CAM asks for the tumour class. */
static void backward(pgc_net *net, int prune)
{
    const float dz[2 * N] = {0, 1, 0, 1};
    net->prune = prune;
    pgc_net_backward(net, dz);
}

/* Every scale's gradient, concatenated into one host array (freed by the caller). */
static float *scale_grads(const pgc_net *net, size_t *count)
{
    size_t n = 0;
    for (int k = 0; k < net->nscales; k++) n += tsize(&net->t[net->scale[k]]);
    float *g = malloc(n * sizeof *g), *o = g;
    for (int k = 0; k < net->nscales; k++) {
        pgc_net_read(net, net->scale[k], 1, o);
        o += tsize(&net->t[net->scale[k]]);
    }
    *count = n;
    return g;
}

static void the_scale_path_holds_the_scales_and_what_is_computed_from_them(void)
{
    for (int a = 0; a < NARCH; a++) {
        pgc_net *net = make(ARCHS[a], 0, 0);
        if (!net) {
            EXPECT(0);
            continue;
        }
        for (int pass = 0; pass < 2; pass++) { /* as built, then rebuilt at another size */
            EXPECT(net->nscales > 0);
            for (int k = 0; k < net->nscales; k++) EXPECT(net->t[net->scale[k]].on_scale_path);
            EXPECT(net->t[net->logits].on_scale_path);
            EXPECT(!net->t[net->input].on_scale_path);
            EXPECT(!net->t[net->input + 1].on_scale_path); /* the first convolution's */
            pgc_err e;
            EXPECT(pgc_net_resize(net, 1, 48, 32, &e) == 0);
        }
        pgc_net_free(net);
    }
}

static void pruned_scale_gradients_equal_the_full_backward_in_inference_mode(void)
{
    for (int a = 0; a < NARCH; a++) {
        pgc_net *net = make(ARCHS[a], 0, 0);
        if (!net) {
            EXPECT(0);
            continue;
        }
        size_t n;
        backward(net, 1);
        float *pruned = scale_grads(net, &n);
        backward(net, 0);
        float *full = scale_grads(net, &n);
        size_t differ = 0, nonzero = 0;
        for (size_t i = 0; i < n; i++) differ += pruned[i] != full[i], nonzero += full[i] != 0;
        if (differ) printf("#   %s: %zu of %zu scale gradients differ\n", ARCHS[a], differ, n);
        EXPECT(differ == 0);
        EXPECT(nonzero > n / 10); /* the comparison is not of zeros */
        free(pruned);
        free(full);
        pgc_net_free(net);
    }
}

static void pruning_leaves_the_gradients_off_the_scale_path_alone(void)
{
    const float mark = 12345.0f;
    for (int a = 0; a < NARCH; a++) {
        pgc_net *net = make(ARCHS[a], 0, 0);
        if (!net) {
            EXPECT(0);
            continue;
        }
        /* the CPU backend's memory is the host's */
        int off = 0;
        for (int i = 0; i < net->nt; i++) {
            pgc_tensor *t = &net->t[i];
            if (t->g && !t->on_scale_path)
                for (size_t j = 0; j < tsize(t); j++) t->g[j] = mark;
            off += t->g && !t->on_scale_path;
        }
        EXPECT(off > 0);
        backward(net, 1);
        int touched = 0;
        for (int i = 0; i < net->nt; i++) {
            pgc_tensor *t = &net->t[i];
            if (t->g && !t->on_scale_path)
                for (size_t j = 0; j < tsize(t); j++) touched += t->g[j] != mark;
        }
        EXPECT(touched == 0);
        pgc_net_free(net);
    }
}

/* Every tensor's and every parameter's gradient, in one host array. */
static float *all_grads(const pgc_net *net, size_t *count)
{
    size_t n = net->np;
    for (int i = 0; i < net->nt; i++)
        if (net->t[i].g) n += tsize(&net->t[i]);
    float *g = malloc(n * sizeof *g), *o = g + net->np;
    memcpy(g, net->g, net->np * sizeof *g);
    for (int i = 0; i < net->nt; i++)
        if (net->t[i].g) {
            pgc_net_read(net, i, 1, o);
            o += tsize(&net->t[i]);
        }
    *count = n;
    return g;
}

static void with_parameter_gradients_on_prune_changes_nothing(void)
{
    for (int train = 0; train <= 1; train++)
        for (int a = 0; a < NARCH; a++) {
            pgc_net *net = make(ARCHS[a], train, 1);
            if (!net) {
                EXPECT(0);
                continue;
            }
            size_t n;
            pgc_net_zero_grads(net);
            backward(net, 1);
            float *pruned = all_grads(net, &n);
            pgc_net_zero_grads(net);
            backward(net, 0);
            float *full = all_grads(net, &n);
            int same = !memcmp(pruned, full, n * sizeof *full);
            if (!same) printf("#   %s (train %d): gradients differ\n", ARCHS[a], train);
            EXPECT(same);
            free(pruned);
            free(full);
            pgc_net_free(net);
        }
}

int main(void)
{
    RUN(the_scale_path_holds_the_scales_and_what_is_computed_from_them);
    RUN(pruned_scale_gradients_equal_the_full_backward_in_inference_mode);
    RUN(pruning_leaves_the_gradients_off_the_scale_path_alone);
    RUN(with_parameter_gradients_on_prune_changes_nothing);
    return check_done();
}

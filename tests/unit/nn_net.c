/* The architectures as whole networks: gradients against finite differences of the
 * cross-entropy (in inference mode), the folded dcfpn against the one that materialises
 * X(p) as format/network.md writes it (both modes), and shapes. */
#include "check.h"
#include "nn_fd.h"

#include "../../lib/nn/net.h"

#include <string.h>

typedef struct {
    pgc_net *net;
    float *x;
    int labels[4];
} net_st;

static double net_loss(void *p)
{
    net_st *s = p;
    float z[8];
    pgc_net_forward(s->net, s->x, z);
    return pgc_softmax_xent(s->net->n, z, s->labels, NULL, NULL, NULL);
}

static pgc_net *make(const char *arch, int width, int n, int h, int w, unsigned seed)
{
    pgc_err e;
    pgc_net *net;
    if (pgc_net_create(&net, pgc_nn_backend_cpu(), arch, width, n, h, w, 1, seed, &e)) {
        printf("#   %s\n", e.msg);
        return NULL;
    }
    return net;
}

/* Random BN parameters and running statistics, so that inference mode is not trivial. */
static void shake_bn(pgc_net *net, unsigned seed)
{
    pgc_rng r;
    pgc_rng_seed(&r, seed);
    for (int i = 0; i < net->npar; i++) {
        pgc_param *p = &net->par[i];
        const char *suf = strrchr(p->name, '.') + 1;
        float *v = (p->stat ? net->s : net->p) + p->off;
        for (size_t j = 0; j < p->count; j++) {
            if (!strcmp(suf, "running_var")) v[j] = (float)(0.5 + pgc_rng_uniform(&r));
            else if (!strcmp(suf, "running_mean")) v[j] = (float)(0.3 * pgc_rng_normal(&r));
            else if (p->rank == 1 && strcmp(suf, "bias")) v[j] = (float)(0.8 + 0.4 * pgc_rng_uniform(&r));
            else if (!strcmp(suf, "bias")) v[j] = (float)(0.1 * pgc_rng_normal(&r));
        }
    }
}

/* Checks every parameter tensor of the net at a few coordinates. */
static int grad_check(const char *arch, int width, int n, int h, int w, int train, int per)
{
    pgc_net *net = make(arch, width, n, h, w, 42);
    if (!net) return 1;
    shake_bn(net, 7);
    net_st s = {net, malloc(sizeof(float) * n * h * w), {1, 0, 1, 0}};
    fill_normal(s.x, (size_t)n * h * w, 5, 1);
    /* running statistics near the batch's own, so that activations stay O(1) through a
     * deep net in inference mode (float differences drown otherwise) */
    net->train = 1;
    for (int i = 0; i < 40; i++) pgc_net_forward(net, s.x, NULL);
    net->train = train;
    float z[8], dz[8];
    pgc_net_forward(net, s.x, z);
    pgc_softmax_xent(n, z, s.labels, NULL, dz, NULL);
    pgc_net_zero_grads(net);
    pgc_net_backward(net, dz);
    float *g = malloc(sizeof(float) * net->np);
    memcpy(g, net->g, sizeof(float) * net->np);
    /* A ReLU kink crossed by the step spoils a coordinate now and then in f32; a wrong
     * gradient spoils a whole tensor. A tensor fails when most of its samples do. */
    int bad = 0, checked = 0, off = 0;
    for (int i = 0; i < net->npar; i++) {
        pgc_param *p = &net->par[i];
        if (p->stat) continue;
        int k = per < (int)p->count ? per : (int)p->count;
        int o = fd_check(p->name, net_loss, &s, net->p + p->off, g + p->off, p->count, k,
                         3e-4, 2e-4, 3e-2);
        off += o;
        bad += 2 * o > k;
        checked++;
    }
    printf("#   %s %s: %d parameter tensors checked, %d coordinates off, %d tensors\n", arch,
           train ? "training" : "inference", checked, off, bad);
    free(g);
    free(s.x);
    pgc_net_free(net);
    return bad;
}

static void dcfpn_gradients_match_finite_differences_in_inference_mode(void)
{
    EXPECT(grad_check("dcfpn", 2, 2, 16, 16, 0, 6) == 0);
}

static void multigap_gradients_match_finite_differences(void)
{
    EXPECT(grad_check("multigap", 2, 2, 16, 16, 0, 3) == 0);
}

/* Training mode, fpn, multigap-dc and resnet50: finite differences in f32 drown in ReLU
 * kinks there; nn_golden checks them against PyTorch in f64 instead. */

/* Largest |a - b| relative to the largest |b|. */
static double rel_diff(const float *a, const float *b, size_t n)
{
    double d = 0, m = 1e-3;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return d / m;
}

static void folded_dcfpn_equals_the_materialised_definition(void)
{
    for (int train = 0; train <= 1; train++) {
        pgc_net *a = make("dcfpn", 2, 3, 32, 48, 9), *b = make("dcfpn-ref", 2, 3, 32, 48, 9);
        if (!a || !b) {
            EXPECT(0);
            return;
        }
        EXPECT(a->np == b->np && a->npar == b->npar);
        shake_bn(a, 3), shake_bn(b, 3);
        EXPECT(!memcmp(a->p, b->p, sizeof(float) * a->np));
        a->train = b->train = train;
        float *x = malloc(sizeof(float) * 3 * 32 * 48), za[6], zb[6], dz[6];
        fill_normal(x, 3 * 32 * 48, 8, 1);
        pgc_net_forward(a, x, za);
        pgc_net_forward(b, x, zb);
        EXPECT(rel_diff(za, zb, 6) < 1e-5);
        int labels[3] = {1, 0, 1};
        pgc_softmax_xent(3, zb, labels, NULL, dz, NULL);
        pgc_net_backward(a, dz);
        pgc_net_backward(b, dz);
        for (int i = 0; i < a->npar; i++) {
            pgc_param *p = &a->par[i];
            /* (in training mode the up-conv biases' gradients are rounding noise: the
             * joint BN removes every channel's mean) */
            double d = p->stat ? rel_diff(a->s + p->off, b->s + p->off, p->count)
                               : rel_diff(a->g + p->off, b->g + p->off, p->count);
            if (!(d < 1e-4)) printf("#   %s differs by %g\n", p->name, d);
            EXPECT(d < 1e-4);
        }
        EXPECT(a->nscales == 5 && b->nscales == 5);
        for (int k = 0; k < 5; k++) {
            pgc_tensor *ta = &a->t[a->scale[k]], *tb = &b->t[b->scale[k]];
            size_t n = (size_t)ta->n * ta->c * ta->h * ta->w;
            EXPECT(ta->c == tb->c && ta->h == tb->h && ta->w == tb->w);
            EXPECT(rel_diff(ta->x, tb->x, n) < 1e-5);
            EXPECT(rel_diff(ta->g, tb->g, n) < 1e-4);
        }
        free(x);
        pgc_net_free(a);
        pgc_net_free(b);
    }
}

static void dcfpn_scales_have_the_pyramid_shapes(void)
{
    pgc_net *net = make("dcfpn", 3, 2, 64, 32, 1);
    if (!net) {
        EXPECT(0);
        return;
    }
    int c[5] = {3, 6, 12, 24, 48};
    for (int k = 0; k < 5; k++) {
        pgc_tensor *t = &net->t[net->scale[k]];
        EXPECT(t->n == 2 && t->c == c[k] && t->h == 64 >> k && t->w == 32 >> k);
    }
    EXPECT(net->t[net->logits].c == 2);
    EXPECT(pgc_net_param_find(net, "head.bn.weight") >= 0);
    EXPECT(net->par[pgc_net_param_find(net, "head.bn.weight")].dims[0] == 31 * 3);
    EXPECT(net->par[pgc_net_param_find(net, "dec1.up.weight")].dims[0] == 30 * 3);
    pgc_net_free(net);
}

static void resizing_keeps_the_parameters(void)
{
    pgc_net *net = make("dcfpn", 2, 1, 32, 32, 5);
    if (!net) {
        EXPECT(0);
        return;
    }
    float x[3 * 32 * 32], z1[2], z3[6];
    fill_normal(x, 3 * 32 * 32, 2, 1);
    pgc_net_forward(net, x + 2 * 32 * 32, z1);
    pgc_err e;
    EXPECT(pgc_net_resize(net, 3, 32, 32, &e) == 0);
    pgc_net_forward(net, x, z3);
    EXPECT_NEAR(z3[4], z1[0], 1e-5);
    EXPECT_NEAR(z3[5], z1[1], 1e-5);
    EXPECT(pgc_net_resize(net, 1, 40, 32, &e) != 0);
    pgc_net_free(net);
}

static void nearest_up_init_gives_equal_taps_and_a_k_class_head(void)
{
    pgc_net *he, *nn;
    pgc_err e;
    EXPECT(pgc_net_create_ex(&he, pgc_nn_backend_cpu(), "dcfpn", 2, 4, 0, 1, 32, 32, 1, 3, &e) == 0);
    EXPECT(pgc_net_create_ex(&nn, pgc_nn_backend_cpu(), "dcfpn", 2, 4, PGC_NET_UP_NEAREST, 1, 32,
                             32, 1, 3, &e) == 0);
    int ups = 0, equal_he = 1;
    for (int i = 0; i < nn->npar; i++) {
        const pgc_param *p = &nn->par[i];
        if (!strstr(p->name, ".up.weight")) continue;
        ups++;
        const float *w = nn->p + p->off, *h = he->p + p->off; /* (Cin, Cout, 2, 2) */
        for (size_t j = 0; j < p->count; j += 4) {
            EXPECT(w[j] == w[j + 1] && w[j] == w[j + 2] && w[j] == w[j + 3]);
            EXPECT(w[j] == h[j]); /* the same draw, copied over the other taps */
            equal_he &= h[j] == h[j + 1];
        }
    }
    EXPECT(ups == 4 && !equal_he);
    int fc = pgc_net_param_find(nn, "head.fc.weight");
    EXPECT(fc >= 0 && nn->par[fc].dims[0] == 4);
    float x[32 * 32], z[4];
    fill_normal(x, 32 * 32, 2, 1);
    pgc_net_forward(nn, x, z);
    EXPECT(isfinite(z[0]) && isfinite(z[3]));
    pgc_net *one;
    EXPECT(pgc_net_create_ex(&one, pgc_nn_backend_cpu(), "dcfpn", 2, 1, 0, 1, 32, 32, 1, 3, &e) != 0);
    pgc_net_free(he);
    pgc_net_free(nn);
}

/* Counts the 2x2 transposed-convolution weights whose four taps differ. */
static size_t unequal_taps(const pgc_net *net)
{
    size_t n = 0;
    for (int i = 0; i < net->npar; i++) {
        const pgc_param *p = &net->par[i];
        if (!strstr(p->name, ".up.weight")) continue;
        const float *w = net->p + p->off;
        for (size_t j = 0; j < p->count; j += 4)
            n += !(w[j] == w[j + 1] && w[j] == w[j + 2] && w[j] == w[j + 3]);
    }
    return n;
}

static void tied_up_taps_stay_equal_through_training_and_nearest_ones_part(void)
{
    pgc_net *nn, *tied;
    pgc_err e;
    EXPECT(pgc_net_create_ex(&nn, pgc_nn_backend_cpu(), "dcfpn", 2, 2, PGC_NET_UP_NEAREST, 2, 32,
                             32, 1, 5, &e) == 0);
    EXPECT(pgc_net_create_ex(&tied, pgc_nn_backend_cpu(), "dcfpn", 2, 2, PGC_NET_UP_TIED, 2, 32,
                             32, 1, 5, &e) == 0);
    EXPECT(tied->up_tied && !nn->up_tied);
    EXPECT(!memcmp(nn->p, tied->p, sizeof(float) * nn->np)); /* one start */
    float *w0 = malloc(sizeof(float) * tied->np);
    memcpy(w0, tied->p, sizeof(float) * tied->np);
    float x[2 * 32 * 32], z[4], dz[4];
    int labels[2] = {1, 0};
    for (int step = 0; step < 3; step++) {
        fill_normal(x, 2 * 32 * 32, 20 + step, 1);
        pgc_net *nets[2] = {nn, tied};
        for (int k = 0; k < 2; k++) {
            nets[k]->train = 1;
            pgc_net_forward(nets[k], x, z);
            pgc_softmax_xent(2, z, labels, NULL, dz, NULL);
            pgc_net_backward(nets[k], dz);
            pgc_net_adam(nets[k], 1e-2f);
        }
    }
    EXPECT(unequal_taps(nn) > 0);   /* without the tie the taps part at the first step */
    EXPECT(unequal_taps(tied) == 0);
    int up = pgc_net_param_find(tied, "dec1.up.weight"), moved = 0;
    EXPECT(up >= 0);
    for (size_t j = 0; up >= 0 && j < tied->par[up].count; j++)
        moved += tied->p[tied->par[up].off + j] != w0[tied->par[up].off + j];
    EXPECT(moved > 0);
    free(w0);
    pgc_net_free(nn);
    pgc_net_free(tied);
}

/* Tying a net trained untied (pgc-train --init M --up-init tied) starts each 2x2 kernel
 * from its taps' mean; tying one whose taps are equal changes no bit. */
static void tying_sets_each_kernel_to_its_taps_mean_and_keeps_equal_taps_exact(void)
{
    pgc_net *he, *tied;
    pgc_err e;
    EXPECT(pgc_net_create_ex(&he, pgc_nn_backend_cpu(), "dcfpn", 2, 2, 0, 2, 32, 32, 1, 7, &e) == 0);
    EXPECT(pgc_net_create_ex(&tied, pgc_nn_backend_cpu(), "dcfpn", 2, 2, PGC_NET_UP_TIED, 2, 32,
                             32, 1, 7, &e) == 0);
    EXPECT(unequal_taps(he) > 0);
    float *w0 = malloc(sizeof(float) * he->np), *t0 = malloc(sizeof(float) * tied->np);
    memcpy(w0, he->p, sizeof(float) * he->np);
    memcpy(t0, tied->p, sizeof(float) * tied->np);
    EXPECT(pgc_net_tie_up(he, &e) == 0 && pgc_net_tie_up(tied, &e) == 0);
    EXPECT(he->up_tied && unequal_taps(he) == 0);
    EXPECT(!memcmp(t0, tied->p, sizeof(float) * tied->np));
    size_t other = 0, off = 0;
    for (int i = 0; i < he->npar; i++) {
        const pgc_param *p = &he->par[i];
        const float *a = w0 + p->off, *b = he->p + p->off;
        if (!strstr(p->name, ".up.weight")) {
            other += memcmp(a, b, sizeof(float) * p->count) != 0;
            continue;
        }
        for (size_t j = 0; j < p->count; j += 4)
            off += fabsf(b[j] - (a[j] + a[j + 1] + a[j + 2] + a[j + 3]) / 4) > 1e-6f;
    }
    EXPECT(other == 0 && off == 0);
    free(w0);
    free(t0);
    pgc_net_free(he);
    pgc_net_free(tied);
}

static void unknown_architectures_and_bad_sizes_are_refused(void)
{
    pgc_net *net;
    pgc_err e;
    EXPECT(pgc_net_create(&net, pgc_nn_backend_cpu(), "vgg", 4, 1, 32, 32, 1, 1, &e) != 0);
    EXPECT(strstr(e.msg, "vgg") != NULL);
    EXPECT(pgc_net_create(&net, pgc_nn_backend_cpu(), "dcfpn", 4, 1, 40, 32, 1, 1, &e) != 0);
    EXPECT(net == NULL);
}

int main(void)
{
    RUN(dcfpn_scales_have_the_pyramid_shapes);
    RUN(folded_dcfpn_equals_the_materialised_definition);
    RUN(dcfpn_gradients_match_finite_differences_in_inference_mode);
    RUN(multigap_gradients_match_finite_differences);
    RUN(resizing_keeps_the_parameters);
    RUN(unknown_architectures_and_bad_sizes_are_refused);
    RUN(nearest_up_init_gives_equal_taps_and_a_k_class_head);
    RUN(tied_up_taps_stay_equal_through_training_and_nearest_ones_part);
    RUN(tying_sets_each_kernel_to_its_taps_mean_and_keeps_equal_taps_exact);
    return check_done();
}

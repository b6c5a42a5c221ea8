/* The adversarial source head: its gradients against finite differences, the reversal,
 * the ramp, its saved state, and the network's extra gradient on the pooled features. */
#include "check.h"
#include "nn_fd.h"

#include "../../lib/nn/adversary.h"
#include "../../lib/nn/net.h"

#include <string.h>
#include <unistd.h>

enum { N = 4, F = 10, H = 8, D = 3 };
static const int GROUP[N] = {0, 1, 1, 0}, DOMAIN[N] = {2, 0, 1, 2};
static const float W[2 * D] = {1, 2, 0.5f, 1, 3, 1};

typedef struct {
    pgc_adversary *a;
    float *feat;
} adv_st;

static double adv_loss(void *p)
{
    adv_st *s = p;
    pgc_err e;
    return pgc_adversary_loss(s->a, N, s->feat, GROUP, DOMAIN, W, NULL, &e);
}

static void the_heads_gradients_match_finite_differences(void)
{
    pgc_adversary a;
    pgc_err e;
    EXPECT(pgc_adversary_init(&a, F, H, D, 3, &e) == 0);
    float feat[N * F], dfeat[N * F];
    fill_normal(feat, N * F, 9, 1);
    adv_st s = {&a, feat};
    double l = pgc_adversary_loss(&a, N, feat, GROUP, DOMAIN, W, dfeat, &e);
    EXPECT(l > 0 && isfinite(l));
    float *g = malloc(a.np * sizeof(float));
    memcpy(g, a.g, a.np * sizeof(float));
    EXPECT(fd_check("feat", adv_loss, &s, feat, dfeat, N * F, N * F, 1e-3, 1e-5, 1e-2) == 0);
    EXPECT(fd_check("params", adv_loss, &s, a.p, g, a.np, 200, 1e-3, 1e-5, 1e-2) == 0);
    free(g);
    pgc_adversary_free(&a);
}

static void a_step_hands_the_features_the_reversed_gradient(void)
{
    pgc_adversary a;
    pgc_err e;
    EXPECT(pgc_adversary_init(&a, F, H, D, 3, &e) == 0);
    float feat[N * F], d0[N * F], d1[N * F];
    fill_normal(feat, N * F, 9, 1);
    pgc_adversary_loss(&a, N, feat, GROUP, DOMAIN, W, d0, &e);
    int hit;
    pgc_adversary_step(&a, N, feat, GROUP, DOMAIN, W, 0.5f, 1e-3f, d1, &hit, &e);
    int same = 1;
    for (int i = 0; i < N * F; i++) same &= fabsf(d1[i] + 0.5f * d0[i]) <= 1e-6f * (1 + fabsf(d0[i]));
    EXPECT(same);
    EXPECT(a.step == 1 && hit >= 0 && hit <= N);
    pgc_adversary_free(&a);
}

static void the_head_learns_sources_that_the_features_show(void)
{
    pgc_adversary a;
    pgc_err e;
    EXPECT(pgc_adversary_init(&a, F, H, D, 5, &e) == 0);
    float feat[N * F], dfeat[N * F];
    int hit = 0;
    for (int t = 0; t < 300; t++) {
        fill_normal(feat, N * F, 100 + t, 0.3);
        for (int i = 0; i < N; i++) feat[i * F + DOMAIN[i]] += 2; /* the source shows */
        pgc_adversary_step(&a, N, feat, GROUP, DOMAIN, NULL, 0, 1e-2f, dfeat, &hit, &e);
    }
    EXPECT(hit == N);
    pgc_adversary_free(&a);
}

static void the_reversal_weight_ramps_from_zero_to_its_largest(void)
{
    EXPECT_NEAR(pgc_adversary_lambda(2, 0, 100), 0, 1e-12);
    EXPECT_NEAR(pgc_adversary_lambda(2, 100, 100), 2 * (2 / (1 + exp(-10.0)) - 1), 1e-12);
    EXPECT(pgc_adversary_lambda(1, 10, 100) < pgc_adversary_lambda(1, 20, 100));
    EXPECT(pgc_adversary_lambda(2, 500, 100) == pgc_adversary_lambda(2, 100, 100));
}

static void its_state_survives_a_save_and_another_shape_is_refused(void)
{
    pgc_adversary a, b, c;
    pgc_err e;
    char path[] = "/tmp/nn_adv_XXXXXX";
    close(mkstemp(path));
    EXPECT(pgc_adversary_init(&a, F, H, D, 3, &e) == 0);
    float feat[N * F], dfeat[N * F];
    fill_normal(feat, N * F, 9, 1);
    int hit;
    pgc_adversary_step(&a, N, feat, GROUP, DOMAIN, W, 1, 1e-3f, dfeat, &hit, &e);
    EXPECT(pgc_adversary_save(&a, path, &e) == 0);
    EXPECT(pgc_adversary_init(&b, F, H, D, 99, &e) == 0);
    EXPECT(pgc_adversary_load(&b, path, &e) == 0);
    EXPECT(b.step == 1);
    EXPECT(!memcmp(a.p, b.p, a.np * sizeof(float)) && !memcmp(a.m, b.m, a.np * sizeof(float)) &&
           !memcmp(a.v, b.v, a.np * sizeof(float)));
    EXPECT(pgc_adversary_init(&c, F, H, D + 1, 3, &e) == 0);
    EXPECT(pgc_adversary_load(&c, path, &e) == PGC_EINPUT && strstr(e.msg, "another shape"));
    pgc_adversary_free(&a), pgc_adversary_free(&b), pgc_adversary_free(&c);
    unlink(path);
}

/* The network's loss plus sum(r . feat): what backward_feat differentiates. */
typedef struct {
    pgc_net *net;
    float *x, *r;
    int labels[2];
} feat_st;

static double net_plus_feat(void *p)
{
    feat_st *s = p;
    float z[4], f[2 * 64];
    pgc_net_forward(s->net, s->x, z);
    pgc_net_read(s->net, s->net->feat, 0, f);
    return pgc_softmax_xent(2, z, s->labels, NULL, NULL, NULL) +
           dot(s->r, f, (size_t)2 * s->net->t[s->net->feat].c);
}

static void the_net_adds_a_gradient_on_its_pooled_features(void)
{
    pgc_net *net;
    pgc_err e;
    EXPECT(pgc_net_create(&net, pgc_nn_backend_cpu(), "dcfpn", 2, 2, 16, 16, 1, 42, &e) == 0);
    int fc = net->t[net->feat].c;
    EXPECT(fc == 31 * 2);
    float x[2 * 16 * 16], r[2 * 64], z[4], dz[4];
    fill_normal(x, 2 * 16 * 16, 5, 1);
    fill_normal(r, (size_t)2 * fc, 6, 0.5);
    feat_st s = {net, x, r, {1, 0}};
    net->train = 0;
    net->param_grads = 1;
    pgc_net_forward(net, x, z);
    pgc_softmax_xent(2, z, s.labels, NULL, dz, NULL);
    pgc_net_zero_grads(net);
    pgc_net_backward_feat(net, dz, r);
    float *g = malloc(net->np * sizeof(float));
    memcpy(g, net->g, net->np * sizeof(float));
    int bad = 0;
    for (int i = 0; i < net->npar; i++) {
        pgc_param *p = &net->par[i];
        if (p->stat || strstr(p->name, "head.fc")) continue; /* fc does not see r */
        int k = p->count < 4 ? (int)p->count : 4;
        bad += 2 * fd_check(p->name, net_plus_feat, &s, net->p + p->off, g + p->off, p->count,
                            k, 3e-4, 2e-4, 3e-2) > k;
    }
    EXPECT(bad == 0);
    free(g);
    pgc_net_free(net);
}

int main(void)
{
    RUN(the_heads_gradients_match_finite_differences);
    RUN(a_step_hands_the_features_the_reversed_gradient);
    RUN(the_head_learns_sources_that_the_features_show);
    RUN(the_reversal_weight_ramps_from_zero_to_its_largest);
    RUN(its_state_survives_a_save_and_another_shape_is_refused);
    RUN(the_net_adds_a_gradient_on_its_pooled_features);
    return check_done();
}

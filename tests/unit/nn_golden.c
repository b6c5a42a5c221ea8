/* The CPU networks against PyTorch on the same weights (tests/gen_golden.py wrote the
 * golden tensors, in f64, from format/network.md's materialised definition): logits, Grad-CAM
 * features and gradients in inference mode, loss, parameter gradients and running
 * statistics in training mode. dcfpn in full; fpn, multigap, multigap-dc and resnet50
 * from formula weights, compared through summaries. */
#include "check.h"

#include "../../lib/nn/net.h"
#include "../../lib/nn/rng.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char name[96];
    int rank, dims[4];
    size_t n;
    float *v;
} gold;

static gold G[400];
static int nG;

static void unload(void)
{
    for (int i = 0; i < nG; i++) free(G[i].v);
    nG = 0;
}

static int load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char magic[8];
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "PGCGOLD1", 8)) goto bad;
    uint32_t len;
    while (nG < 400 && fread(&len, 4, 1, f) == 1) {
        gold *g = &G[nG];
        uint32_t rank, d;
        if (len >= sizeof g->name || fread(g->name, 1, len, f) != len) goto bad;
        g->name[len] = 0;
        if (fread(&rank, 4, 1, f) != 1 || rank > 4) goto bad;
        g->rank = (int)rank, g->n = 1;
        for (uint32_t i = 0; i < rank; i++) {
            if (fread(&d, 4, 1, f) != 1) goto bad;
            g->dims[i] = (int)d, g->n *= d;
        }
        g->v = malloc(g->n * sizeof(float) + 1);
        if (!g->v || fread(g->v, sizeof(float), g->n, f) != g->n) goto bad;
        nG++;
    }
    fclose(f);
    return 0;
bad:
    fclose(f);
    return -1;
}

static const gold *find(const char *name)
{
    for (int i = 0; i < nG; i++)
        if (!strcmp(G[i].name, name)) return &G[i];
    printf("#   golden tensor %s missing\n", name);
    return NULL;
}

/* max |a - b| / max(max |b|, 1e-3) */
static double rdiff(const float *a, const float *b, size_t n)
{
    double d = 0, m = 1e-3;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return d / m;
}

static pgc_net *net;
static int N, H, W;

static void load_weights(void)
{
    for (int i = 0; i < net->npar; i++) {
        pgc_param *p = &net->par[i];
        const gold *g = find(p->name);
        if (!g || g->n != p->count) {
            printf("#   %s: no golden tensor of %zu values\n", p->name, p->count);
            EXPECT(0);
            continue;
        }
        memcpy((p->stat ? net->s : net->p) + p->off, g->v, p->count * sizeof(float));
    }
}

static void inference_logits_and_grad_cam_tensors_match_pytorch(void)
{
    load_weights();
    net->train = 0;
    net->param_grads = 0;
    float z[8], dz[8];
    pgc_net_forward(net, find("input")->v, z);
    EXPECT(rdiff(z, find("eval.logits")->v, 2 * N) < 1e-4);
    for (int i = 0; i < N; i++) dz[2 * i] = 0, dz[2 * i + 1] = 1;
    pgc_net_backward(net, dz);
    for (int k = 0; k < 5; k++) {
        char fn[32], gn[32];
        snprintf(fn, sizeof fn, "eval.feat.s%d", k + 1);
        snprintf(gn, sizeof gn, "eval.grad.s%d", k + 1);
        const gold *gf = find(fn), *gg = find(gn);
        pgc_tensor *t = &net->t[net->scale[k]];
        size_t n = (size_t)t->n * t->c * t->h * t->w;
        EXPECT(gf && gf->n == n && gg && gg->n == n);
        if (!gf || !gg || gf->n != n || gg->n != n) continue;
        double df = rdiff(t->x, gf->v, n), dg = rdiff(t->g, gg->v, n);
        if (df > 1e-4 || dg > 1e-4) printf("#   scale %d: feat off by %g, grad by %g\n", k + 1, df, dg);
        EXPECT(df < 1e-4);
        EXPECT(dg < 1e-4);
    }
    net->param_grads = 1;
}

static void training_loss_gradients_and_running_stats_match_pytorch(void)
{
    load_weights();
    net->train = 1;
    float z[8], dz[8];
    int labels[8];
    const gold *gl = find("labels");
    for (int i = 0; i < N; i++) labels[i] = (int)gl->v[i];
    pgc_net_forward(net, find("input")->v, z);
    EXPECT(rdiff(z, find("train.logits")->v, 2 * N) < 1e-4);
    double loss = pgc_softmax_xent(N, z, labels, NULL, dz, NULL);
    EXPECT_NEAR(loss, find("train.loss")->v[0], 1e-4);
    pgc_net_zero_grads(net);
    pgc_net_backward(net, dz);
    int bad = 0;
    for (int i = 0; i < net->npar; i++) {
        pgc_param *p = &net->par[i];
        char name[128];
        snprintf(name, sizeof name, "train.%s.%s", p->stat ? "after" : "grad", p->name);
        const gold *g = find(name);
        if (!g || g->n != p->count) {
            bad++;
            continue;
        }
        double d = rdiff((p->stat ? net->s : net->g) + p->off, g->v, p->count);
        if (d > 1e-3) {
            printf("#   %s off by %g\n", name, d);
            bad++;
        }
    }
    EXPECT(bad == 0);
}

/* ---- formula weights, as tests/gen_golden.py makes them ---- */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

static void formula(const char *name, int rank, const int *dims, float *v, size_t n)
{
    const char *suf = strrchr(name, '.');
    suf = suf ? suf + 1 : name;
    double lo, hi;
    if (!strcmp(suf, "running_var")) lo = 0.5, hi = 1.5;
    else if (!strcmp(suf, "running_mean")) lo = -0.3, hi = 0.3;
    else if (!strcmp(name, "input")) lo = -1.7, hi = 1.7;
    else if (!strcmp(suf, "bias")) lo = -0.1, hi = 0.1;
    else if (rank == 1) lo = 0.8, hi = 1.2;
    else {
        double fan = rank == 2 ? dims[1] : strstr(name, ".up.") ? dims[0]
                                                                 : (double)dims[1] * dims[2] * dims[3];
        hi = sqrt(6.0 / fan), lo = -hi;
    }
    pgc_rng r;
    pgc_rng_seed(&r, fnv1a(name));
    for (size_t i = 0; i < n; i++) v[i] = (float)(lo + (hi - lo) * pgc_rng_uniform(&r));
}

/* (sum, sum |v|, v[0], v[1 % n], v[2 % n], v[n - 1]) against a golden summary. */
static int summary_ok(const char *what, const float *v, size_t n, const gold *g, double rt)
{
    if (!g || g->n != 6) return 0;
    double s = 0, a = 0;
    for (size_t i = 0; i < n; i++) s += v[i], a += fabs(v[i]);
    double mine[6] = {s, a, v[0], v[1 % n], v[2 % n], v[n - 1]};
    double mean = g->v[1] / n;
    /* an absolute floor: a tensor whose gradients sum to 1e-4 is float rounding noise */
    double tol[6] = {rt * g->v[1] + 1e-6, rt * g->v[1] + 1e-6, 0, 0, 0, 0};
    for (int i = 2; i < 6; i++) tol[i] = 10 * rt * (fabs(g->v[i]) + mean) + 1e-6;
    for (int i = 0; i < 6; i++)
        if (!(fabs(mine[i] - g->v[i]) <= tol[i])) {
            printf("#   %s: summary[%d] %.7g, pytorch %.7g\n", what, i, mine[i], g->v[i]);
            return 0;
        }
    return 1;
}

/* rt: relative tolerance; f32 against f64 through resnet50's 50 layers of training-mode
 * BN (8 values per channel at the end) drifts to a few 1e-4. */
static void compact_case(const char *arch, int width, double rt)
{
    char path[4096];
    const char *top = getenv("TOP");
    snprintf(path, sizeof path, "%s/tests/golden/%s.bin", top ? top : ".", arch);
    unload();
    if (load(path)) {
        printf("#   cannot read %s\n", path);
        EXPECT(0);
        return;
    }
    const gold *sh = find("shape");
    int n = (int)sh->v[0], h = (int)sh->v[1], w = (int)sh->v[2];
    pgc_err e;
    pgc_net *nt;
    if (pgc_net_create(&nt, pgc_nn_backend_cpu(), arch, width, n, h, w, 1, 1, &e)) {
        printf("#   %s\n", e.msg);
        EXPECT(0);
        return;
    }
    for (int i = 0; i < nt->npar; i++) {
        pgc_param *p = &nt->par[i];
        formula(p->name, p->rank, p->dims, (p->stat ? nt->s : nt->p) + p->off, p->count);
    }
    float *x = malloc(sizeof(float) * n * h * w), z[8], dz[8];
    int dims4[4] = {n, 1, h, w}, labels[8], bad = 0;
    formula("input", 4, dims4, x, (size_t)n * h * w);
    for (int i = 0; i < n; i++) labels[i] = i % 2 == 0;

    nt->train = 0, nt->param_grads = 0;
    pgc_net_forward(nt, x, z);
    EXPECT(rdiff(z, find("eval.logits")->v, 2 * n) < 1e-4);
    for (int i = 0; i < n; i++) dz[2 * i] = 0, dz[2 * i + 1] = 1;
    pgc_net_backward(nt, dz);
    for (int k = 0; k < nt->nscales; k++) {
        char fn[32], gn[32];
        snprintf(fn, sizeof fn, "eval.feat.s%d", k + 1);
        snprintf(gn, sizeof gn, "eval.grad.s%d", k + 1);
        pgc_tensor *t = &nt->t[nt->scale[k]];
        size_t cnt = (size_t)t->n * t->c * t->h * t->w;
        bad += !summary_ok(fn, t->x, cnt, find(fn), rt);
        bad += !summary_ok(gn, t->g, cnt, find(gn), rt);
    }
    nt->train = 1, nt->param_grads = 1;
    pgc_net_forward(nt, x, z);
    EXPECT(rdiff(z, find("train.logits")->v, 2 * n) < 1e-4);
    double loss = pgc_softmax_xent(n, z, labels, NULL, dz, NULL);
    EXPECT_NEAR(loss, find("train.loss")->v[0], 1e-4);
    pgc_net_zero_grads(nt);
    pgc_net_backward(nt, dz);
    for (int i = 0; i < nt->npar; i++) {
        pgc_param *p = &nt->par[i];
        char name[128];
        snprintf(name, sizeof name, "train.%s.%s", p->stat ? "after" : "grad", p->name);
        bad += !summary_ok(name, (p->stat ? nt->s : nt->g) + p->off, p->count, find(name), rt);
    }
    EXPECT(bad == 0);
    free(x);
    pgc_net_free(nt);
}

static void fpn_matches_pytorch(void) { compact_case("fpn", 2, 3e-4); }
static void multigap_matches_pytorch(void) { compact_case("multigap", 2, 3e-4); }
static void multigap_dc_matches_pytorch(void) { compact_case("multigap-dc", 2, 3e-4); }
static void resnet50_matches_pytorch(void) { compact_case("resnet50", 4, 2e-3); }

int main(void)
{
    const char *top = getenv("TOP");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/golden/dcfpn_w1.bin", top ? top : ".");
    if (load(path)) {
        printf("not ok - golden tensors readable from %s\n", path);
        return 1;
    }
    const gold *x = find("input");
    N = x->dims[0], H = x->dims[2], W = x->dims[3];
    pgc_err e;
    if (pgc_net_create(&net, pgc_nn_backend_cpu(), "dcfpn", 1, N, H, W, 1, 1, &e)) {
        printf("not ok - %s\n", e.msg);
        return 1;
    }
    RUN(inference_logits_and_grad_cam_tensors_match_pytorch);
    RUN(training_loss_gradients_and_running_stats_match_pytorch);
    pgc_net_free(net);
    RUN(fpn_matches_pytorch);
    RUN(multigap_matches_pytorch);
    RUN(multigap_dc_matches_pytorch);
    RUN(resnet50_matches_pytorch);
    unload();
    return check_done();
}

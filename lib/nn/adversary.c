#include "adversary.h"
#include "adam.h"
#include "rng.h"

#include "../atomic_file.h"
#include "../model.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOUT(a) (2 * (a)->ndomain)

/* Offsets of W1, b1, W2, b2 in p[]. */
static size_t o_b1(const pgc_adversary *a) { return (size_t)a->hid * a->f; }
static size_t o_w2(const pgc_adversary *a) { return o_b1(a) + a->hid; }
static size_t o_b2(const pgc_adversary *a) { return o_w2(a) + (size_t)NOUT(a) * a->hid; }

int pgc_adversary_init(pgc_adversary *a, int f, int hid, int ndomain, uint64_t seed,
                       pgc_err *e)
{
    memset(a, 0, sizeof *a);
    if (f < 1 || hid < 1 || ndomain < 1 || ndomain > 1024)
        return pgc_errf(e, PGC_EINPUT, "bad adversary shape %d x %d x %d", f, hid, ndomain);
    a->f = f, a->hid = hid, a->ndomain = ndomain;
    a->np = o_b2(a) + NOUT(a);
    a->p = calloc(4 * a->np, sizeof(float));
    if (!a->p) return pgc_errf(e, PGC_ENOMEM, "out of memory for the adversarial head");
    a->g = a->p + a->np, a->m = a->g + a->np, a->v = a->m + a->np;
    pgc_rng r;
    pgc_rng_seed(&r, seed ^ 0xad7e75a11ull);
    /* He-uniform over each layer's fan-in; biases 0 */
    double l1 = sqrt(6.0 / f), l2 = sqrt(6.0 / hid);
    for (size_t i = 0; i < o_b1(a); i++) a->p[i] = (float)(l1 * (2 * pgc_rng_uniform(&r) - 1));
    for (size_t i = o_w2(a); i < o_b2(a); i++) a->p[i] = (float)(l2 * (2 * pgc_rng_uniform(&r) - 1));
    return PGC_OK;
}

void pgc_adversary_free(pgc_adversary *a)
{
    free(a->p);
    free(a->h);
    memset(a, 0, sizeof *a);
}

/* Loss and gradients of a batch: parameter gradients into a->g (overwritten), d loss / d
 * feat into dfeat (may be NULL). */
static double forward_backward(pgc_adversary *a, int n, const float *feat, const int *group,
                               const int *domain, const float *w, float *dfeat, int *correct,
                               pgc_err *e)
{
    int F = a->f, H = a->hid, D = a->ndomain;
    if (n > a->hcap) {
        float *h = realloc(a->h, (size_t)n * H * sizeof(float));
        if (!h) return pgc_errf(e, PGC_ENOMEM, "out of memory for the adversarial head"), NAN;
        a->h = h, a->hcap = n;
    }
    const float *W1 = a->p, *b1 = a->p + o_b1(a), *W2 = a->p + o_w2(a), *b2 = a->p + o_b2(a);
    float *gW1 = a->g, *gb1 = a->g + o_b1(a), *gW2 = a->g + o_w2(a), *gb2 = a->g + o_b2(a);
    memset(a->g, 0, a->np * sizeof(float));
    double wsum = 0, loss = 0;
    for (int i = 0; i < n; i++) wsum += w ? w[group[i] * D + domain[i]] : 1;
    if (!(wsum > 0)) wsum = 1;
    int hits = 0;
    for (int i = 0; i < n; i++) {
        const float *x = feat + (size_t)i * F;
        float *h = a->h + (size_t)i * H;
        for (int j = 0; j < H; j++) {
            double s = b1[j];
            for (int k = 0; k < F; k++) s += (double)W1[(size_t)j * F + k] * x[k];
            h[j] = s > 0 ? (float)s : 0;
        }
        int c0 = group[i] * D, d = domain[i];
        double z[1024], zmax = -INFINITY, sum = 0;
        for (int c = 0; c < D; c++) {
            double s = b2[c0 + c];
            for (int j = 0; j < H; j++) s += (double)W2[(size_t)(c0 + c) * H + j] * h[j];
            z[c] = s, zmax = s > zmax ? s : zmax;
        }
        int arg = 0;
        for (int c = 0; c < D; c++) sum += exp(z[c] - zmax), arg = z[c] > z[arg] ? c : arg;
        hits += arg == d;
        double wi = (w ? w[c0 + d] : 1) / wsum;
        loss += wi * (zmax + log(sum) - z[d]);
        float dhid[4096]; /* H <= 4096 (check_batch) */
        memset(dhid, 0, H * sizeof(float));
        for (int c = 0; c < D; c++) {
            float dz = (float)(wi * (exp(z[c] - zmax) / sum - (c == d)));
            gb2[c0 + c] += dz;
            for (int j = 0; j < H; j++) {
                gW2[(size_t)(c0 + c) * H + j] += dz * h[j];
                dhid[j] += W2[(size_t)(c0 + c) * H + j] * dz;
            }
        }
        if (dfeat) memset(dfeat + (size_t)i * F, 0, F * sizeof(float));
        for (int j = 0; j < H; j++) {
            if (h[j] <= 0) continue;
            gb1[j] += dhid[j];
            for (int k = 0; k < F; k++) {
                gW1[(size_t)j * F + k] += dhid[j] * x[k];
                if (dfeat) dfeat[(size_t)i * F + k] += W1[(size_t)j * F + k] * dhid[j];
            }
        }
    }
    if (correct) *correct = hits;
    return loss;
}

static int check_batch(const pgc_adversary *a, int n, const int *group, const int *domain,
                       pgc_err *e)
{
    if (a->hid > 4096 || a->ndomain > 1024)
        return pgc_errf(e, PGC_EINPUT, "adversarial head too large");
    for (int i = 0; i < n; i++)
        if ((group[i] != 0 && group[i] != 1) || domain[i] < 0 || domain[i] >= a->ndomain)
            return pgc_errf(e, PGC_EINPUT, "image %d: group %d, source %d out of range", i,
                            group[i], domain[i]);
    return PGC_OK;
}

double pgc_adversary_loss(pgc_adversary *a, int n, const float *feat, const int *group,
                          const int *domain, const float *w, float *dfeat, pgc_err *e)
{
    if (check_batch(a, n, group, domain, e)) return NAN;
    return forward_backward(a, n, feat, group, domain, w, dfeat, NULL, e);
}

double pgc_adversary_step(pgc_adversary *a, int n, const float *feat, const int *group,
                          const int *domain, const float *w, float lambda, float lr,
                          float *dfeat, int *correct, pgc_err *e)
{
    if (check_batch(a, n, group, domain, e)) return NAN;
    double loss = forward_backward(a, n, feat, group, domain, w, dfeat, correct, e);
    if (!isfinite(loss)) return loss;
    for (size_t i = 0; i < (size_t)n * a->f; i++) dfeat[i] *= -lambda;
    /* Adam, as the network's (beta 0.9, 0.999, eps 1e-8, bias-corrected) */
    pgc_adam_host(a->np, a->p, a->g, a->m, a->v, lr, 0.9f, 0.999f, 1e-8f, ++a->step);
    return loss;
}

double pgc_adversary_lambda(double lambda_max, long t, long ramp)
{
    double p = ramp > 0 && t < ramp ? (double)t / ramp : 1;
    return lambda_max * (2 / (1 + exp(-10 * p)) - 1);
}

/* File: "PGCADV1\n", then int64 f, hid, ndomain, step (little-endian host order, as the
 * checkpoint it sits beside), then p, m, v (np floats each). */
static const char MAGIC[8] = "PGCADV1\n";

int pgc_adversary_save(const pgc_adversary *a, const char *path, pgc_err *e)
{
    pgc_atomic_file af;
    if (pgc_atomic_open(&af, path, 1, e)) return PGC_EINPUT;
    int64_t hd[4] = {a->f, a->hid, a->ndomain, a->step};
    FILE *f = fdopen(af.fd, "wb");
    if (!f) {
        pgc_atomic_abort(&af);
        return pgc_errf(e, PGC_EINPUT, "cannot write '%s': %s", path, strerror(errno));
    }
    af.fd = -1;
    int ok = fwrite(MAGIC, 1, 8, f) == 8 && fwrite(hd, sizeof hd, 1, f) == 1 &&
             fwrite(a->p, sizeof(float), a->np, f) == a->np &&
             fwrite(a->m, sizeof(float), a->np, f) == a->np &&
             fwrite(a->v, sizeof(float), a->np, f) == a->np;
    ok &= fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok &= fclose(f) == 0;
    if (!ok) {
        pgc_atomic_abort(&af);
        return pgc_errf(e, PGC_EINPUT, "cannot write '%s': %s", path, strerror(errno));
    }
    return pgc_atomic_commit(&af, e);
}

int pgc_adversary_load(pgc_adversary *a, const char *path, pgc_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) return pgc_errf(e, PGC_EINPUT, "cannot open '%s': %s", path, strerror(errno));
    char mg[8];
    int64_t hd[4];
    int rc = PGC_OK;
    if (fread(mg, 1, 8, f) != 8 || memcmp(mg, MAGIC, 8) || fread(hd, sizeof hd, 1, f) != 1)
        rc = pgc_errf(e, PGC_EINPUT, "'%s': not an adversarial head's state", path);
    else if (hd[0] != a->f || hd[1] != a->hid || hd[2] != a->ndomain || hd[3] < 0)
        rc = pgc_errf(e, PGC_EINPUT, "'%s': an adversarial head of another shape", path);
    else if ((uint64_t)hd[3] > PGC_MODEL_MAX_STEP) /* the model's rule: step + 1 stays exact */
        rc = pgc_errf(e, PGC_EINPUT, "'%s': step count %lld is beyond %llu", path,
                      (long long)hd[3], (unsigned long long)PGC_MODEL_MAX_STEP);
    else if (fread(a->p, sizeof(float), a->np, f) != a->np ||
             fread(a->m, sizeof(float), a->np, f) != a->np ||
             fread(a->v, sizeof(float), a->np, f) != a->np || fgetc(f) != EOF)
        rc = pgc_errf(e, PGC_EINPUT, "'%s': truncated or too long", path);
    else
        a->step = hd[3];
    /* NaN weights or a negative second moment would only show later, as a loss that
     * blames --adversarial-weight instead of this file. */
    for (size_t i = 0; rc == PGC_OK && i < a->np; i++)
        if (!isfinite(a->p[i]) || !isfinite(a->m[i]) || !(a->v[i] >= 0) || !isfinite(a->v[i]))
            rc = pgc_errf(e, PGC_EINPUT, "'%s': value %zu of the head's state is %g, not a finite "
                          "number (corrupt file)", path, i,
                          !isfinite(a->p[i]) ? a->p[i] : !isfinite(a->m[i]) ? a->m[i] : a->v[i]);
    fclose(f);
    return rc;
}

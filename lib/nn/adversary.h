/* The adversarial source head (domain-adversarial training, Ganin and Lempitsky 2015):
 * a small classifier that tries to tell an image's data source from the pooled features
 * the tumour head reads, behind a gradient-reversal layer, so that training pushes those
 * features to carry no source. It is conditioned on the class group (none or tumour):
 * among tumour images the figshare ones must look like the Br35H and volume ones, and
 * among tumour-free images one source like another, while tumour vs none stays free to
 * be learnt. It lives only in training (host memory, its own Adam); a model file never
 * holds it.
 *
 * z = W2 relu(W1 f + b1) + b2 over F features, H hidden units, 2 x D outputs (D sources
 * per group); an image of group g and source d has the loss -log softmax(z[gD..gD+D))_d. */
#ifndef PGC_NN_ADVERSARY_H
#define PGC_NN_ADVERSARY_H

#include <stddef.h>
#include <stdint.h>

#include "../err.h"

typedef struct {
    int f, hid, ndomain;
    size_t np;
    float *p, *g, *m, *v; /* W1 (hid, f), b1 (hid), W2 (2D, hid), b2 (2D); grads; Adam */
    long step;
    float *h;             /* (n, hid) hidden activations of the last batch */
    int hcap;
} pgc_adversary;

/* Fresh weights (He-uniform, seeded). */
int pgc_adversary_init(pgc_adversary *a, int f, int hid, int ndomain, uint64_t seed,
                       pgc_err *e);
void pgc_adversary_free(pgc_adversary *a);

/* One training step on a batch of n feature rows feat (n, f): group[i] 0 or 1, domain[i]
 * 0..D-1, w[g * D + d] the weight of that cell (NULL: 1). Computes the weighted mean
 * loss sum w (-log p) / sum w, writes dfeat (n, f) = -lambda d loss / d feat (the
 * reversed gradient, for the features), then one Adam step of the head with rate lr.
 * Returns the loss; *correct counts images whose source it told right. */
double pgc_adversary_step(pgc_adversary *a, int n, const float *feat, const int *group,
                          const int *domain, const float *w, float lambda, float lr,
                          float *dfeat, int *correct, pgc_err *e);

/* The same loss and d loss / d feat (no reversal, no step): for checking the gradient. */
double pgc_adversary_loss(pgc_adversary *a, int n, const float *feat, const int *group,
                          const int *domain, const float *w, float *dfeat, pgc_err *e);

/* The reversal weight at step t: lambda_max (2 / (1 + exp(-10 p)) - 1), p = min(t / ramp,
 * 1): Ganin and Lempitsky's ramp from 0, so that the head learns before it pushes back.
 * Over a fixed number of steps rather than the run's length, so that a run resumed with
 * more steps continues the schedule it had. */
double pgc_adversary_lambda(double lambda_max, long t, long ramp);

/* Its state (weights, Adam moments, step) beside a checkpoint, written atomically, so
 * that a resumed run continues exactly; load fails on a file of another shape. */
int pgc_adversary_save(const pgc_adversary *a, const char *path, pgc_err *e);
int pgc_adversary_load(pgc_adversary *a, const char *path, pgc_err *e);

#endif

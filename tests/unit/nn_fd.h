/* Finite-difference helpers shared by the nn tests: central differences of a scalar
 * loss, compared with an analytic gradient at a sample of coordinates. */
#ifndef PGC_TEST_NN_FD_H
#define PGC_TEST_NN_FD_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../lib/nn/rng.h"

typedef double (*fd_loss)(void *state);

/* Checks d loss / d v[i] against grad[i] at up to nsample coordinates (all when v is
 * small). Returns the number of coordinates out of tolerance; prints the first few. */
static inline int fd_check(const char *what, fd_loss f, void *st, float *v, const float *grad,
                    size_t n, int nsample, double eps, double atol, double rtol)
{
    pgc_rng r;
    pgc_rng_seed(&r, 1234);
    int bad = 0, count = (size_t)nsample >= n ? (int)n : nsample;
    for (int s = 0; s < count; s++) {
        size_t i = (size_t)count == n ? (size_t)s : pgc_rng_below(&r, n);
        float keep = v[i];
        v[i] = keep + (float)eps;
        double lp = f(st);
        v[i] = keep - (float)eps;
        double lm = f(st);
        v[i] = keep;
        double fd = (lp - lm) / (2 * eps), an = grad[i];
        if (fabs(fd - an) > atol + rtol * fmax(fabs(fd), fabs(an))) {
            if (bad < 5) printf("#   %s[%zu]: finite difference %.6g, analytic %.6g\n", what, i, fd, an);
            bad++;
        }
    }
    return bad;
}

static inline void fill_normal(float *p, size_t n, unsigned seed, double sd)
{
    pgc_rng r;
    pgc_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) p[i] = (float)(pgc_rng_normal(&r) * sd);
}

static inline double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

#endif

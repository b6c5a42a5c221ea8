/* An explicit random number generator (xoshiro256**, seeded by splitmix64): every user
 * holds its own state, so the same seed gives the same numbers on every machine. */
#ifndef PGC_NN_RNG_H
#define PGC_NN_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} pgc_rng;

void pgc_rng_seed(pgc_rng *r, uint64_t seed);
uint64_t pgc_rng_next(pgc_rng *r);
double pgc_rng_uniform(pgc_rng *r);          /* [0, 1) */
double pgc_rng_normal(pgc_rng *r);           /* N(0, 1) */
uint64_t pgc_rng_below(pgc_rng *r, uint64_t n); /* [0, n) */

#endif

#include "rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void pgc_rng_seed(pgc_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t pgc_rng_next(pgc_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double pgc_rng_uniform(pgc_rng *r) { return (pgc_rng_next(r) >> 11) * 0x1.0p-53; }

double pgc_rng_normal(pgc_rng *r)
{
    /* Box-Muller, one value per call so that the stream of draws is simple to follow */
    double u = 1.0 - pgc_rng_uniform(r), v = pgc_rng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

uint64_t pgc_rng_below(pgc_rng *r, uint64_t n) { return n ? pgc_rng_next(r) % n : 0; }

#include "adam.h"

#include <math.h>

void pgc_adam_host(size_t n, float *p, const float *g, float *m, float *v, float lr, float b1,
                   float b2, float eps, long t)
{
    float bc1 = (float)(1.0 - pow(b1, (double)t));
    float bc2s = (float)sqrt(1.0 - pow(b2, (double)t));
    float step = lr / bc1;
    for (size_t i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        p[i] -= step * m[i] / (sqrtf(v[i]) / bc2s + eps);
    }
}

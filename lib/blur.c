#include "blur.h"

#include <math.h>

/* One pass along rows (dx = 1) or columns: dst(y, x) = sum_k g(k) src(y, x + k) / sum of
 * the g(k) whose pixel lies inside. */
static void pass(const float *src, float *dst, size_t h, size_t w, const double *g, int r,
                 int along_x)
{
    size_t n = along_x ? w : h, lines = along_x ? h : w;
    size_t step = along_x ? 1 : w, lstep = along_x ? w : 1;
    for (size_t l = 0; l < lines; l++) {
        const float *s = src + l * lstep;
        float *d = dst + l * lstep;
        for (size_t i = 0; i < n; i++) {
            double acc = 0, wsum = 0;
            for (int k = -r; k <= r; k++) {
                long j = (long)i + k;
                if (j < 0 || j >= (long)n) continue;
                acc += g[k + r] * s[(size_t)j * step];
                wsum += g[k + r];
            }
            d[i * step] = (float)(acc / wsum);
        }
    }
}

void pgc_blur_gaussian(float *m, size_t h, size_t w, double sigma, float *tmp)
{
    if (!(sigma > 0) || !h || !w) return;
    int r = (int)ceil(3 * sigma);
    if (r > 64) r = 64; /* wider than any map the network makes at 3 sigma */
    double g[129];
    for (int k = -r; k <= r; k++) g[k + r] = exp(-0.5 * (k / sigma) * (k / sigma));
    pass(m, tmp, h, w, g, r, 1);
    pass(tmp, m, h, w, g, r, 0);
}

/* Gaussian smoothing of a 2-D map, for PG-CAM's fine scales (pgc-fuse --blur). */
#ifndef PGC_BLUR_H
#define PGC_BLUR_H

#include <stddef.h>

/* Blurs m (h, w) in place with a Gaussian of standard deviation sigma pixels, separable,
 * the kernel cut at 3 sigma; near the border the kernel is renormalised over the pixels
 * inside, so a constant map stays constant. tmp holds h * w floats. sigma <= 0: no-op. */
void pgc_blur_gaussian(float *m, size_t h, size_t w, double sigma, float *tmp);

#endif

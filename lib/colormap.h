/* A perceptual colour map for heat maps: inferno (black, purple, orange, pale yellow),
 * whose lightness rises steadily, so that a grey printout still reads low to high. */
#ifndef PGC_COLORMAP_H
#define PGC_COLORMAP_H

#include <stdint.h>

/* The colour of v in [0, 1] (clamped; NaN reads as 0), 8-bit sRGB. */
void pgc_colormap(double v, uint8_t rgb[3]);

#endif

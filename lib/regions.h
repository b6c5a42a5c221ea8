/* 8-connected regions of a binary mask, each as a half-open box and a pixel count. Used
 * for the boxes of a segmentation slice and of a thresholded CAM. */
#ifndef PGC_REGIONS_H
#define PGC_REGIONS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct {
    uint32_t x0, y0, x1, y1; /* half-open: columns x0..x1-1, rows y0..y1-1 */
    uint64_t npix;           /* pixels of the region */
} pgc_region;

/* Results and scratch space, reused between calls: a loop over slices allocates only
 * while the slices grow. Zero-initialise, then pgc_regions_free. */
typedef struct {
    pgc_region *reg; /* reg[0..n): in raster order of each region's first pixel */
    size_t n, cap;
    uint32_t *stack; /* scratch: pixel indices to visit */
    uint8_t *seen;   /* scratch: (h, w) */
    size_t scratch;  /* pixels the scratch holds */
} pgc_regions;

/* Finds the 8-connected regions of the non-zero pixels of mask, (h, w), h * w < 2^32. */
int pgc_regions_find(pgc_regions *r, const uint8_t *mask, size_t h, size_t w, pgc_err *e);
void pgc_regions_free(pgc_regions *r);

#endif

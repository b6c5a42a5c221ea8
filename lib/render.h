/* Pictures of a frame, as in the paper's Figures 2 and 3: the slice in grey, each
 * per-scale map and the fused map blended over it, a colour scale bar, ground truth boxes
 * in green and predicted boxes in red. */
#ifndef PGC_RENDER_H
#define PGC_RENDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "frame.h"

/* An RGB picture with its scratch, reused from frame to frame. Zero-initialise. */
typedef struct {
    uint8_t *rgb; /* (h, w, 3) */
    size_t h, w, cap;
    float *grey, *map; /* (H, W) scratch: the slice and one map at the slice's size */
    size_t scratch_cap;
} pgc_canvas;

void pgc_canvas_free(pgc_canvas *c);

typedef struct {
    const char *map; /* the main heat map, e.g. "pgcam" */
    double alpha;    /* blending weight of the colour where the map is 1 (it scales with it) */
    int scales;      /* draw a panel per cam.sN record when there are some */
} pgc_render_opts;

/* Draws frame f into c. Panels left to right: the slice with the truth boxes; each
 * cam.sN resized to the slice (bilinear) and min-max normalised; the main map with the
 * truth and predicted boxes; the colour bar (1 at the top). A frame without the main map
 * gives one panel: the slice with its boxes. Errors: no image, NaN or Inf in the image or
 * a map, a map that is not f32 (y x). */
int pgc_render_frame(const pgc_frame *f, const pgc_render_opts *o, pgc_canvas *c, pgc_err *e);

/* Writes c as an 8-bit RGB PNG to fp; name is used in messages. */
int pgc_render_png(const pgc_canvas *c, FILE *fp, const char *name, pgc_err *e);

#endif

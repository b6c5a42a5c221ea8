/* pgc-prep's work on one frame (format/stream.md): its image made the network's input,
 * its truth and boxes records carried onto the new grid. In lib/ rather than in the
 * command so that a fuzzer can drive it from memory; errors are returned, never printed. */
#ifndef PGC_PREP_FRAME_H
#define PGC_PREP_FRAME_H

#include <stddef.h>

#include "frame.h"
#include "prep.h"

typedef struct {
    size_t size;     /* output side n, 1..8192 */
    pgc_fit fit;
    pgc_norm norm;
    double lo, hi;   /* percentiles for PGC_NORM_PCT */
} pgc_prep_opts;

/* Scratch kept between frames, so that a loop over slices allocates only while they
 * grow. Zero-initialise, then pgc_prep_state_free. */
typedef struct {
    pgc_prep_work work;
    float *src;      /* (h, w): the image as f32 */
    size_t src_cap;
} pgc_prep_state;

void pgc_prep_state_free(pgc_prep_state *st);

/* Prepares the frame's `image` record in place (resize, crop or pad, normalise, f32;
 * transform, spacing, norm and fit metadata) and maps its `truth` and `boxes` records
 * onto the new grid, dropping boxes left empty. A frame without an image is left as it
 * is. 0, or PGC_EINPUT / PGC_ENOMEM with e naming the frame. */
int pgc_prep_frame(pgc_frame *f, const pgc_prep_opts *o, pgc_prep_state *st, pgc_err *e);

#endif

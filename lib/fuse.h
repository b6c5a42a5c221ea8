/* The pyramid: per-scale maps resized to the image, normalised and combined into PG-CAM
 * (format/network.md, sections 4 and 5). */
#ifndef PGC_FUSE_H
#define PGC_FUSE_H

#include <stddef.h>

#include "err.h"
#include "frame.h"

/* Bilinear resize of src (sh, sw) to dst (dh, dw), sampling at pixel centres ("align
 * corners off"): source coordinate = (dst + 0.5) * src_size / dst_size - 0.5, clamped to
 * [0, size - 1]. dst must not overlap src. */
void pgc_resize_bilinear(const float *src, size_t sh, size_t sw, float *dst, size_t dh,
                         size_t dw);

/* Min-max normalisation of m (n values) to [0, 1]; a constant map (all zero included)
 * becomes all zeros. */
void pgc_normalise_minmax(float *m, size_t n);

typedef enum { PGC_FUSE_SUM, PGC_FUSE_MEAN, PGC_FUSE_MAX } pgc_fuse_op;

/* The op called name ("sum", "mean", "max"), or -1. */
int pgc_fuse_op_parse(const char *name);
const char *pgc_fuse_op_name(pgc_fuse_op op);

/* Combines n maps that are already resized and normalised (n, count) into out (count):
 * sum then normalised again (PG-CAM), the mean, or the pixel-wise maximum. n = 0 gives
 * zeros. */
void pgc_fuse_maps(pgc_fuse_op op, const float *const *maps, int n, size_t count, float *out);

/* Options of pgc_fuse_frame. */
typedef struct {
    pgc_fuse_op op;
    unsigned scales; /* bit p: use cam.sp; 0: every cam.sN of the frame */
    int drop;        /* drop the cam.sN records once fused */
    double blur;     /* Gaussian sigma, image pixels, applied to each resized map before
                      * it is normalised; 0: none */
} pgc_fuse_opts;

/* Appends (or replaces) the frame's `pgcam` record: the chosen cam.sN maps resized to the
 * frame's `image` size, blurred (o->blur), normalised and combined. Metadata comes from the first map used,
 * with `name: pgcam`, `scales` and `op` set and `scale` removed. Errors: no image, no
 * cam.sN record, a chosen scale missing, a map that is not f32 (y x), NaN or Inf. */
int pgc_fuse_frame(pgc_frame *f, const pgc_fuse_opts *o, pgc_err *e);

#endif

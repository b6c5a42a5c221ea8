/* Preparing a slice for the network: resize (area average down, bilinear up), centre
 * crop or pad to a square, intensity normalisation, and the `transform` bookkeeping that
 * lets every later record be mapped back to source pixels (format/stream.md). */
#ifndef PGC_PREP_H
#define PGC_PREP_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"
#include "transform.h" /* pgc_transform: the `transform` bookkeeping */

/* ---- geometry of a resize to a square */
typedef enum { PGC_FIT_CROP, PGC_FIT_PAD } pgc_fit;

/* "crop" or "pad" (the `fit` key, pgc-prep --fit, a model's prep-fit): 0, or -1 for any
 * other text. */
int pgc_fit_parse(const char *s, pgc_fit *fit);
const char *pgc_fit_name(pgc_fit fit);

/* Where an h x w image lands in an n x n output: scaled by s (so that the shorter side
 * becomes n for crop, the longer for pad), then shifted by (ox, oy): output pixel grid
 * point (x, y) is input point ((x - ox) / s, (y - oy) / s). */
typedef struct {
    size_t n;          /* output side */
    size_t rh, rw;     /* the resized image's size, before the crop or pad */
    double s;          /* rw / w (and rh / h, up to rounding) */
    double sx, sy;     /* the exact per-axis scales rw / w, rh / h */
    long ox, oy;       /* offset of the resized image in the output (negative: cropped) */
} pgc_fit_plan;

int pgc_fit_plan_make(size_t h, size_t w, size_t n, pgc_fit fit, pgc_fit_plan *p, pgc_err *e);
/* The output -> input transform of the plan (compose it with the input's transform). */
pgc_transform pgc_fit_transform(const pgc_fit_plan *p);

/* Taps of a 1-D resampling: output k is the sum of w[t] * in[idx[t]] for t in
 * start[k] .. start[k+1]. */
typedef struct {
    size_t *start;
    uint32_t *idx;
    float *w;
    size_t m, ntap, cap_m, cap_tap;
} pgc_taps;

/* Scratch reused between frames: a loop over slices allocates only while they grow. */
typedef struct {
    pgc_taps ty, tx;   /* vertical and horizontal taps */
    float *tmp;        /* (rows kept, w): after the vertical pass */
    size_t tmp_cap;
    float *sel;        /* foreground values, for percentiles */
    size_t sel_cap;
} pgc_prep_work;

/* Taps for outputs k0 .. k1-1 of resampling n samples to m (t->start[0] is output k0):
 * area average when m < n, bilinear at pixel centres (edges clamped) when m > n, the
 * identity when m == n. */
int pgc_taps_make(pgc_taps *t, size_t n, size_t m, size_t k0, size_t k1, pgc_err *e);

void pgc_prep_work_free(pgc_prep_work *w);

/* Resizes src (h, w) into the plan's n x n dst: area average on each axis that shrinks,
 * bilinear (pixel centres, edges clamped) on each axis that grows; then crop or zero
 * pad. Only the rows and columns that survive the crop are computed. */
int pgc_prep_resize(pgc_prep_work *w, const float *src, size_t h, size_t w_,
                    const pgc_fit_plan *p, float *dst, pgc_err *e);

/* Reads any image record's payload (u8, u16, i16, i32, f32, f64) as f32 into dst
 * (count elements). */
void pgc_prep_to_f32(const pgc_record *r, float *dst);

/* ---- intensity */
typedef enum { PGC_NORM_PCT, PGC_NORM_ZSCORE, PGC_NORM_NONE, PGC_NORM_HIST } pgc_norm;

/* hist: pct values at or below this are background and noise, left as they are. */
#define PGC_HIST_FLOOR 0.1

/* How images were normalised, as the `norm` key and a model's prep-norm write it:
 * "pct LO HI", "hist LO HI", "zscore" or "none". The name alone ("pct", "hist", as
 * pgc-prep --norm takes it) leaves lo and hi as they were. 0, or -1 for any other text. */
int pgc_norm_parse(const char *s, pgc_norm *norm, double *lo, double *hi);
/* The key's text for a normalisation (n >= 64 always holds it). */
void pgc_norm_format(pgc_norm norm, double lo, double hi, char *buf, size_t n);

/* Normalises img (n values) in place, from the statistics of the non-zero pixels of
 * the image: pct clips to the [lo, hi] percentiles (in %, e.g. 0.5 and 99.5) and maps
 * that range to [0, 1]; zscore subtracts the mean and divides by the standard
 * deviation. Pixels that were zero stay zero for zscore (background is 0 = the
 * foreground mean) and become 0 for pct (the bottom of the range). An image without
 * foreground, or a constant one, becomes all zero. Non-finite values are an error.
 * hist harmonises what pct leaves: the tissue (pct values above PGC_HIST_FLOOR) is
 * equalised, each pixel becoming FLOOR + (1 - FLOOR) x its mid-rank among the tissue
 * pixels, so that every image's tissue has the same flat histogram whatever scanner and
 * contrast it came from; darker pixels keep their pct value. */
int pgc_prep_normalise(pgc_prep_work *w, float *img, size_t n, pgc_norm norm, double lo,
                       double hi, pgc_err *e);

#endif

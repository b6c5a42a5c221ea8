/* The `transform` of a record (format/stream.md): a point (x, y) of a tensor's pixel grid
 * maps to source pixel (a x + b y + c, d x + e y + f); continuous coordinates, pixel
 * (i, j) covers [j, j+1) x [i, i+1). The one type, parser and validation for it: a
 * transform is six finite numbers and invertible, wherever it is read. */
#ifndef PGC_TRANSFORM_H
#define PGC_TRANSFORM_H

#include "err.h"
#include "stream.h"

typedef struct {
    double a, b, c, d, e, f;
} pgc_transform;

#define PGC_TRANSFORM_IDENTITY ((pgc_transform){1, 0, 0, 0, 1, 0})
extern const pgc_transform pgc_transform_identity;
#define PGC_TRANSFORM_MAX 1e9

/* Parses "a b c d e f": six numbers of magnitude at most PGC_TRANSFORM_MAX (spaces or
 * tabs between and after them) that make an invertible map (|ae - bd| > 1e-12
 * (|a|+|b|+|d|+|e|)^2). 0 or PGC_EINPUT, with e saying which ("want six numbers",
 * "singular"). */
int pgc_transform_parse(const char *s, pgc_transform *t, pgc_err *e);
/* 1: r has a well-formed `transform`, stored in t; 0: r has none (t becomes the
 * identity); PGC_EINPUT: it is malformed. */
int pgc_transform_get(const pgc_record *r, pgc_transform *t, pgc_err *e);
/* The same, 0 for both well-formed and absent, and a message that names the frame and
 * the record: "frame 'id': pgcam has a bad transform '...' (singular)". */
int pgc_transform_of(const pgc_record *r, const char *frame, pgc_transform *t, pgc_err *e);
int pgc_transform_set(pgc_record *r, const pgc_transform *t, pgc_err *e);
/* The map "inner, then outer": first inner (new grid -> old grid), then outer (old grid
 * -> source). */
pgc_transform pgc_transform_compose(const pgc_transform *outer, const pgc_transform *inner);
void pgc_transform_apply(const pgc_transform *t, double x, double y, double *sx, double *sy);
/* PGC_EINPUT when t is singular. */
int pgc_transform_invert(const pgc_transform *t, pgc_transform *inv, pgc_err *e);
/* The axis-aligned bounds of box (x0 y0 x1 y1) mapped through t: out may equal in. */
void pgc_transform_box(const pgc_transform *t, const float in[4], float out[4]);

#endif

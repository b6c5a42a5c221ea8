/* From a source (a PNG or a volume) to stream records: the standard metadata of a slice,
 * the orientation of a volume and its radiological views, and the truth of a
 * segmentation slice (label and one box per 8-connected region). */
#ifndef PGC_SLICE_H
#define PGC_SLICE_H

#include <stddef.h>

#include "prep.h"
#include "regions.h"
#include "stream.h"

/* ---- metadata: frame, name, source, axis, index, spacing, transform[, label], in that
 * order, replacing whatever r held. label may be NULL. */
typedef struct {
    const char *frame, *source, *axis;
    long index;
    double spacing[2]; /* sy sx, mm */
    pgc_transform transform;
    const char *label;
    const char *tumour_type; /* image-level tumour type of a tumour slice, or NULL */
} pgc_slice_info;

int pgc_slice_meta(pgc_record *r, const pgc_slice_info *s, const char *name, pgc_err *e);

/* The frame id of a file: its basename without the last extension (".nii.gz" counts as
 * one). */
void pgc_slice_frame_id(const char *path, char *buf, size_t bufsz);

/* Sets truth to an f32 (n, 4) `truth` record of boxes x0 y0 x1 y1. */
int pgc_slice_truth(pgc_record *truth, const pgc_slice_info *s, const float *xyxy, size_t n,
                    pgc_err *e);
/* The same from 8-connected regions. */
int pgc_slice_truth_regions(pgc_record *truth, const pgc_slice_info *s, const pgc_regions *g,
                            pgc_err *e);

/* ---- orientation of a volume. World axes are NIfTI's RAS+: 0 toward the patient's
 * Right, 1 Anterior, 2 Superior. */
typedef struct {
    int axis[3]; /* axis[w]: the array axis (0 i, 1 j, 2 k) closest to world axis w */
    int sign[3]; /* +1 when that array index grows toward +w (R, A or S), else -1 */
} pgc_orient;

/* From the voxel -> world matrix (the 3x3 part of the sform, or the qform's rotation
 * scaled by pixdim): the permutation of array axes that best matches R, A, S.
 * PGC_EINPUT when the matrix is singular or not finite. */
int pgc_orient_from_matrix(const double m[3][3], pgc_orient *o, pgc_err *e);

typedef enum { PGC_VIEW_AXIAL, PGC_VIEW_CORONAL, PGC_VIEW_SAGITTAL } pgc_view;
const char *pgc_view_name(pgc_view v);

/* How one view's images lie in the array. Radiological views:
 *   axial:    rows anterior -> posterior, columns patient right -> left;
 *   coronal:  rows superior -> inferior,  columns right -> left;
 *   sagittal: rows superior -> inferior,  columns anterior -> posterior. */
typedef struct {
    int slice_axis;         /* the array axis the view cuts across */
    int row_axis, col_axis; /* the array axes along image rows (y) and columns (x) */
    int row_flip, col_flip; /* 1: image index 0 is the array's last index */
    size_t h, w, n;         /* image rows, columns, and number of slices */
} pgc_view_map;

void pgc_view_plan(const pgc_orient *o, pgc_view v, const size_t dims[3], pgc_view_map *m);
/* Copies slice k of vol, (dims[2], dims[1], dims[0]) in C order (i fastest), into img
 * (h, w). */
void pgc_view_extract(const pgc_view_map *m, const float *vol, const size_t dims[3], size_t k,
                      float *img);
/* The view's `transform`: image pixel grid -> the source's in-plane voxel indices, the
 * lower array axis as source x (axial in an i j k volume: x = i, y = j). */
pgc_transform pgc_view_transform(const pgc_view_map *m, const size_t dims[3]);

#endif

/* From slices back to the volume: the frames of one source volume, sliced along one
 * axis by pgc-slice (and perhaps resized by pgc-prep), gathered into a map on the
 * source's own voxel grid, with what a per-volume report needs (lib/volume_report.h).
 *
 * The grid is the source's: its header is read again from the `source` path, its
 * orientation and the frame's `axis` give the view (lib/slice.h), and each voxel of a
 * slice takes the map's value at the voxel's centre mapped through the inverse of the
 * frame's `transform` (bilinear between map pixel centres, the edge pixels held out to
 * the map's border; 0 outside the map). Where the centre falls on a map pixel centre,
 * as for pgc-slice's own images, the value is copied exactly. */
#ifndef PGC_VOLUME_H
#define PGC_VOLUME_H

#include <stddef.h>

#include "frame.h"
#include "nifti.h"
#include "prep.h"
#include "slice.h"

typedef struct {
    const char *map;       /* record written: a y x f32 map (pgcam, cam.sN, image, ...)
                            * or a box list (boxes, truth), drawn as a 0/1 mask */
    const char *boxes;     /* box record of the report's 3-D box (boxes, truth) */
    double frac;           /* volume estimate: voxels above frac x the map's maximum */
    double prob_threshold; /* a slice is classified tumour when its prob >= this */
} pgc_volume_opts;

typedef struct {
    char *source;          /* the `source` of the frames */
    char axis[16];
    pgc_nifti grid;        /* the source's header (no data) */
    pgc_view_map vm;
    size_t stride[3];      /* of array axes i, j, k in data */
    int lo_axis, hi_axis;  /* in-plane array axes: source x and source y */
    float *data;           /* (dims[2], dims[1], dims[0]), i fastest; 0 where no frame */
    size_t cap;
    /* per slice along the slicing axis (vm.n of them) */
    unsigned char *seen, *tumour, *boxed;
    float *prob;           /* NAN where the frame had none or was not seen */
    size_t ncap;
    long frames;
    /* what the first frame set, that the others must agree with */
    int have_first, map_is_boxes;
    pgc_transform t0;
    size_t map_h, map_w, img_h, img_w;
    /* the union of the boxes, array indices, half-open */
    int have_box;
    long box_lo[3], box_hi[3];
} pgc_volume;

/* Starts a volume: reads source's header, plans the view named axis (axial, coronal or
 * sagittal), zeroes the map. Reuses v's buffers. */
int pgc_volume_begin(pgc_volume *v, const char *source, const char *axis, pgc_err *e);
/* Adds one frame of that volume. Errors (one line naming the frame): no such map, a map
 * not f32 (y x) or with NaN or Inf, a map whose size or transform disagrees with the
 * frame's image or the frames before, a frame that does not fit the source's grid, an
 * index outside the volume or seen twice, a bad prob or box record. */
int pgc_volume_add(pgc_volume *v, const pgc_frame *f, const pgc_volume_opts *o, pgc_err *e);
void pgc_volume_free(pgc_volume *v);

/* The source and axis of a frame (of its first record). 0 when both are present. */
int pgc_volume_frame_key(const pgc_frame *f, char *source, size_t srcsz, char *axis,
                         size_t axsz);

#endif

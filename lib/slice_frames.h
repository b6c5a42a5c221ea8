/* pgc-slice's work on one input (slice_input.h): a PNG image becomes one frame, a NIfTI
 * volume one frame per chosen slice; each frame an `image` record and, when truth is
 * known, a `truth` record (format/stream.md). Records are handed out one at a time, in
 * stream order, so that a caller writes each before the next is made: an error part
 * way through a volume leaves the frames before it written. Errors are returned, never
 * printed. */
#ifndef PGC_SLICE_FRAMES_H
#define PGC_SLICE_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "csv.h"
#include "frame_ids.h"
#include "nifti.h"
#include "png.h"
#include "slice.h"
#include "slice_input.h"

/* What applies to volumes (PNG images ignore it). */
typedef struct {
    int views;          /* bit v set: emit view v (pgc_view), in view order */
    double min_fg;      /* skip slices with fewer non-zero voxels than this fraction */
    long every, lo, hi; /* slices lo, lo + every, ... below hi; hi < 0: to the end */
    const char *seg;    /* segmentation on the volume's grid: label and truth; or NULL */
    const char *label;  /* label of every slice without seg, or NULL */
    const char *tumour_type; /* key tumour_type of every slice, or NULL */
} pgc_slice_opts;

/* Zero-initialise, set o (and labels, boxes where there are some), then
 * pgc_slicer_free. Scratch and frame ids are kept from one input to the next. */
typedef struct {
    const pgc_slice_opts *o;
    const pgc_labels *labels; /* PNG label and tumour_type by basename, or NULL */
    const pgc_boxes *boxes;   /* PNG truth boxes by basename, or NULL */

    /* the rest is the slicer's own */
    pgc_ids ids;
    const char *path;   /* the input being sliced: the caller keeps it until the end */
    int kind, step;     /* pgc_input_kind (0: none open); PNG: records handed out */
    char id[1100];      /* frame id of a PNG, base of a volume's frame ids */
    char frame[1200];   /* frame id of the current volume slice */
    pgc_slice_info info;
    pgc_png png;
    pgc_nifti vol, seg;        /* whole, or one slice each when streamed */
    pgc_nifti_stream *vst, *sst; /* the volume and seg read per slice, or NULL */
    unsigned char *stream_buf; /* a piped volume's bytes, while vst reads them */
    pgc_orient orient;
    pgc_record image, truth;
    float *clip; /* (n, 4) clipped boxes */
    size_t clip_cap;
    int view, in_view, truth_due; /* the view being cut; a truth follows the last image */
    long k, hi;                   /* next slice index of the view, and its end */
    pgc_view_map map;
    pgc_transform t;
    float *segimg;  /* (h, w) */
    uint8_t *mask;  /* (h, w) */
    size_t slice_cap;
    pgc_regions reg;
} pgc_slicer;

/* Opens path (pgc_input_open) and reads the image, or the volume with its orientation
 * and o->seg (which must lie on the same grid). A volume is read whole, except when the
 * one view asked for cuts across k: then only its header here, and its slices (and the
 * seg's, in lockstep) one at a time as pgc_slicer_next needs them, with the voxel cap on
 * a slice (slice_frames.c says why the frames are the same). 0, or < 0 with e naming
 * the file and the problem. */
int pgc_slicer_open(pgc_slicer *s, const char *path, pgc_err *e);
/* The next record of the input opened: 1 with *out pointing at it (valid until the next
 * call), 0 when the input is done, or < 0 with e set (for a streamed volume this is
 * where damaged voxel data is found, after the frames before it). */
int pgc_slicer_next(pgc_slicer *s, const pgc_record **out, pgc_err *e);
void pgc_slicer_free(pgc_slicer *s);

#endif

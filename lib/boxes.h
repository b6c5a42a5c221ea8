/* Boxes from a map (format/network.md, section 6): pixels strictly above frac * max,
 * 8-connected regions, one half-open box (x0, y0, x1, y1) per region; and boxes mapped
 * to source pixels through the `transform` metadata. */
#ifndef PGC_BOXES_H
#define PGC_BOXES_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "frame.h"
#include "regions.h"
#include "transform.h"

/* One region of a thresholded map. */
typedef struct {
    int32_t x0, y0, x1, y1; /* half-open, pixels */
    int64_t area;           /* pixels in the region */
    float peak;             /* see pgc_mapboxes_peaks */
} pgc_region_box;

/* The regions of one map, with scratch reused from call to call. (Named mapboxes so as
 * not to clash with boxes.csv's pgc_boxes in lib/csv.h.) Zero-initialise. */
typedef struct {
    pgc_region_box *box; /* (n), in row-major order of each region's first pixel */
    size_t n, cap;
    uint8_t *mask;       /* (h, w) scratch: the pixels above the threshold */
    size_t mask_cap;
    pgc_regions regions; /* lib/regions' scratch */
} pgc_mapboxes;

void pgc_mapboxes_free(pgc_mapboxes *b);

/* Finds the regions of map (h, w) above frac * max(map); none when max <= 0. The map must
 * be finite. h w < 2^32. 0, PGC_ENOMEM, or PGC_EINPUT when the map is too large. */
int pgc_mapboxes_find(pgc_mapboxes *b, const float *map, size_t h, size_t w, double frac,
                      pgc_err *e);
/* Keeps the regions of at least min_area pixels, then (largest) only the one with the
 * most pixels (the first of equals). */
void pgc_mapboxes_filter(pgc_mapboxes *b, int64_t min_area, int largest);
/* Sets each box's peak: the map's largest value above the threshold inside the box (the
 * region's own peak unless another region lies inside its box). map and w as given to
 * the last pgc_mapboxes_find. */
void pgc_mapboxes_peaks(pgc_mapboxes *b, const float *map, size_t w);
/* After peaks: keeps the boxes whose peak is at least min_peak times the largest peak
 * (the map's maximum), strongest first, at most max_boxes of them (0: no limit); ties
 * keep their raster order. */
void pgc_mapboxes_select(pgc_mapboxes *b, double min_peak, size_t max_boxes);

/* A record's `transform` is a pgc_transform (transform.h). */

/* The frame's tumour probability: the `prob` metadata of its `prob` record, else of its
 * `image` record, else of any record. 1 when found (in *p), 0 when the frame has none,
 * PGC_EINPUT when it is not a number in [0, 1]. */
int pgc_frame_prob(const pgc_frame *f, double *p, pgc_err *e);

/* Options of pgc_boxes_frame. */
typedef struct {
    const char *map;      /* record to threshold, e.g. "pgcam" */
    double frac;          /* threshold fraction of the map's maximum */
    double prob_threshold;/* no boxes when the frame's prob is below this */
    int64_t min_area;
    int largest;
    double min_area_frac; /* drop regions smaller than this fraction of the map's pixels */
    double min_peak;      /* pgc_mapboxes_select; 0 keeps every region */
    size_t max_boxes;     /* 0: no limit */
} pgc_boxes_opts;

/* The two rules of pgc-box --rule. paper: dcfpn.md's (every region above 0.4 x max, one
 * box each; Table 2). product: regions above PGC_PRODUCT_FRAC x max whose peak reaches
 * PGC_PRODUCT_MIN_PEAK x max and that cover at least PGC_PRODUCT_MIN_AREA of the image,
 * the strongest PGC_PRODUCT_MAX_BOXES: the core of the strongest hot spot. Chosen on the
 * validation split (pipelines/tune_all.sh: the best mean IOBB F1 over the study's four
 * models and four tumour sources, with pgc-fuse --blur 3). */
#define PGC_PRODUCT_FRAC 0.9
#define PGC_PRODUCT_MIN_PEAK 0.7
#define PGC_PRODUCT_MIN_AREA 0.005
#define PGC_PRODUCT_MAX_BOXES 1
void pgc_boxes_rule(pgc_boxes_opts *o, int product);

/* Thresholds the frame's map into b and appends (or replaces) its `boxes` record (image
 * pixels: a map of another size than the frame's image, such as cam.s3, is scaled to
 * it) and `boxes.src` record (source pixels), which inherit the map's metadata with
 * `map`, `frac` set. *prob is the frame's probability (NAN when it has none). Errors: no
 * such map, not f32 (y x), NaN or Inf, a bad transform or prob. */
int pgc_boxes_frame(pgc_frame *f, const pgc_boxes_opts *o, pgc_mapboxes *b, double *prob,
                    pgc_err *e);

#endif

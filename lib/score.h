/* Localisation and classification scores over a set of frames (format/network.md,
 * section 7; MaxBoxAccV2 from Choe et al. 2020). Boxes are float[4] x0 y0 x1 y1,
 * half-open. Add frames one at a time; only the classification scores keep one entry per
 * frame (ROC AUC needs every probability), everything else is a fixed set of counters. */
#ifndef PGC_SCORE_H
#define PGC_SCORE_H

#include <stddef.h>

#include "boxes.h"
#include "err.h"
#include "frame.h"
#include "metrics.h"

#define PGC_SCORE_NDELTA 3 /* IoU thresholds 0.3, 0.5, 0.7 */
#define PGC_SCORE_NTHR 100 /* CAM thresholds 0.00, 0.01, ..., 0.99 */
#define PGC_IOBB_HIT 0.2   /* a hit is IOBB strictly above this */
#define PGC_SCORE_MAX_CLASSES 17 /* class names in a confusion matrix (more are pooled) */
/* Truth or predicted boxes in one frame (format/network.md, section 7): matching them is
 * quadratic in time (linear in memory), so a frame with more is refused, not scored for
 * minutes. A seg slice or a heat map has a handful; 4096 is far past any real one. */
#define PGC_SCORE_MAX_BOXES 4096

extern const double pgc_score_delta[PGC_SCORE_NDELTA];

/* pgc_ratio (metrics.h): format/network.md says any 0/0 in a score is reported as 0. */
double pgc_box_area(const float b[4]);     /* 0 for an empty box */
double pgc_box_iobb(const float b[4], const float g[4]); /* area(b n g) / area(b) */
double pgc_box_iou(const float a[4], const float b[4]);

/* The paper's counts for one frame: TP predicted boxes that hit some ground truth box
 * (IOBB > 0.2), FP those that hit none, FN ground truth boxes no predicted box hits. */
typedef struct {
    long tp, fp, fn;
} pgc_iobb_counts;
void pgc_score_iobb(const float *pred, size_t np, const float *gt, size_t ng,
                    pgc_iobb_counts *c);

/* Pairs matched one to one at IoU >= delta, greedily by decreasing IoU (ties: the lower
 * predicted, then ground truth, index), in memory linear in np + ng. 0 or PGC_ENOMEM. */
int pgc_score_iou_matches(const float *pred, size_t np, const float *gt, size_t ng,
                          double delta, long *matches, pgc_err *e);

/* Pointing game: 1 when the centre of map's largest pixel (the first in row-major order
 * among equals), mapped through t, lies in some ground truth box (half-open), else 0. */
int pgc_score_pointing(const float *map, size_t h, size_t w, const pgc_transform *t,
                       const float *gt, size_t ng);

/* One frame's results, for the per-frame table. */
typedef struct {
    char frame[256];
    int has_truth, has_boxes, has_map, has_label, has_prob;
    long ngt, npred, tp, fp, fn;
    double best_iou; /* largest IoU of a predicted and a ground truth box, NAN if none */
    int pointing;    /* 1 hit, 0 miss, -1 not scored */
    int label;       /* 1 tumour, 0 none, -1 unknown */
    double prob;     /* NAN when the frame has none */
} pgc_score_row;

typedef struct {
    long frames;
    long box_frames, gt, pred, tp, fp, fn;        /* frames with truth and boxes */
    long iou_matches[PGC_SCORE_NDELTA];
    long map_frames;                              /* frames with >= 1 truth box and a map */
    long boxacc[PGC_SCORE_NTHR][PGC_SCORE_NDELTA]; /* frames whose best box reaches delta */
    long point_hits;
    long cls_frames;       /* frames with a label and a prob */
    pgc_confusion cls;     /* their counts (metrics.h) */
    double prob_threshold; /* tumour when prob >= this (pgc_prob_is_tumour) */
    float *probs;          /* (cls_frames) for ROC AUC */
    unsigned char *labels; /* (cls_frames) */
    size_t cls_cap;
    /* tumour types: true class (none, or the image's tumour_type) against the `class`
     * the model named (a K-class model's prob record); frames with both */
    char cls_name[PGC_SCORE_MAX_CLASSES][32];
    int ncls;
    long confusion[PGC_SCORE_MAX_CLASSES][PGC_SCORE_MAX_CLASSES]; /* [true][predicted] */
    long type_frames;
    pgc_mapboxes mb;       /* scratch */
    float *norm;           /* scratch: the map min-max normalised */
    size_t norm_cap;
} pgc_score;

void pgc_score_init(pgc_score *s, double prob_threshold);
void pgc_score_free(pgc_score *s);

/* The parts of a frame, for callers that do not hold a pgc_frame. gt in the same pixels
 * as pred; map_t maps the map's pixels to those. */
int pgc_score_add_boxes(pgc_score *s, const float *pred, size_t np, const float *gt,
                        size_t ng, pgc_score_row *row, pgc_err *e);
int pgc_score_add_map(pgc_score *s, const float *map, size_t h, size_t w,
                      const pgc_transform *map_t, const float *gt, size_t ng, pgc_score_row *row,
                      pgc_err *e);
int pgc_score_add_class(pgc_score *s, int tumour, double prob, pgc_err *e);
/* One frame of type classification: its true class name (none or its tumour type) and
 * the class the model named. After PGC_SCORE_MAX_CLASSES - 1 names, others are "other". */
void pgc_score_add_type(pgc_score *s, const char *truth, const char *pred);

/* Truth from outside the stream (a boxes.csv read with lib/csv, in source pixels), or
 * use = 0 for the frame's `truth` record (image pixels). */
typedef struct {
    int use;           /* 1: truth from here, not from the frame's truth record */
    int have;          /* with use: 0 means this frame has no truth at all */
    const float *xyxy; /* (n, 4) */
    size_t n;
} pgc_score_truth;

/* Scores one frame: its `boxes` (or, with external truth, `boxes.src`) against its truth,
 * its `pgcam` map (MaxBoxAccV2, pointing game) and its `label` and prob. Fills row. */
int pgc_score_frame(pgc_score *s, const pgc_frame *f, const pgc_score_truth *ext,
                    pgc_score_row *row, pgc_err *e);

/* One line of the report. */
typedef struct {
    char name[80];
    double value;
    int kind; /* 0 a count, 1 a fraction, 2 not available */
} pgc_metric;

#define PGC_SCORE_NMETRICS (40 + 2 + PGC_SCORE_MAX_CLASSES * (PGC_SCORE_MAX_CLASSES + 1))
/* Fills out (PGC_SCORE_NMETRICS entries at most) and returns how many. */
int pgc_score_metrics(const pgc_score *s, pgc_metric *out);


#endif

/* Training data: an index of the labelled `image` records of a stream file (their byte
 * offsets), read back one at a time with pread, so that a training set larger than
 * memory works; augmentation; classification metrics. */
#ifndef PGC_NN_DATA_H
#define PGC_NN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "../err.h"
#include "../metrics.h"
#include "../stream.h"
#include "net.h" /* PGC_MAX_CLASSES */
#include "rng.h"

typedef struct {
    uint64_t off;   /* byte offset of the image record */
    int label;      /* class index (0 none; 2 classes: 1 tumour), or PGC_LABEL_ANY_TUMOUR */
    int domain;     /* the data source: index into pgc_dataset.domain */
} pgc_sample;

/* A data source (domain) is the directory of an image's `source` key (pgc-slice's input
 * file): every PNG of one set's images/ folder, or one volume. Image-level metadata, not
 * localisation, so training may use it against the source shortcut. */
#define PGC_MAX_DOMAINS 32
#define PGC_DOMAIN_NAME_MAX 256


typedef struct {
    char path[1024];
    int fd;
    int h, w;                 /* every image's size */
    pgc_sample *s;
    size_t n, ntumour, nunlabelled;
    int nclass;                /* 2 unless opened with classes */
    size_t count[PGC_MAX_CLASSES + 1]; /* images per class; [nclass]: tumours of a
                                             * type that is not a class */
    int ndomain;               /* distinct sources (at most PGC_MAX_DOMAINS) */
    char domain[PGC_MAX_DOMAINS][PGC_DOMAIN_NAME_MAX];
    pgc_record rec;           /* reused by pgc_dataset_get */
} pgc_dataset;

/* Indexes path (a seekable stream file): every f32 `image` record (y x, multiples of
 * 16, all the same size, finite) with `label: tumour|none`; unlabelled images are
 * counted and skipped. Fails on an empty set. */
int pgc_dataset_open(pgc_dataset *ds, const char *path, pgc_err *e);
/* The same with K = nclass class names, classes[0] "none": a tumour image's class is its
 * `tumour_type` key when that names one of classes[1..]; otherwise (no key, "unknown",
 * another type) it is PGC_LABEL_ANY_TUMOUR (-1), unless K = 2 (then 1). */
int pgc_dataset_open_classes(pgc_dataset *ds, const char *path, const char *const *classes,
                             int nclass, pgc_err *e);
void pgc_dataset_close(pgc_dataset *ds);

/* Balanced sampling over the cells (class group, source), the group 0 for none and 1
 * for any tumour: a draw picks a group with equal odds, then one of that group's
 * sources with equal odds, then an image of that cell, so that no source is drawn more
 * often for being larger and the classes are drawn equally often. */
typedef struct {
    size_t *order;                           /* sample indices sorted by cell */
    size_t start[2 * PGC_MAX_DOMAINS + 1];   /* cell c holds order[start[c]..start[c+1]) */
    int ngroup_domains[2];                   /* non-empty cells per group */
    int cell_of[2][PGC_MAX_DOMAINS];         /* the j-th non-empty cell of group g */
} pgc_balance;
int pgc_balance_init(pgc_balance *b, const pgc_dataset *ds, pgc_err *e);
/* One sample index, from r's next draws. */
size_t pgc_balance_pick(const pgc_balance *b, pgc_rng *r);
void pgc_balance_free(pgc_balance *b);
/* Reads sample i into dst (H, W). */
int pgc_dataset_get(pgc_dataset *ds, size_t i, float *dst, pgc_err *e);

/* Random flips, a small affine map (rotation +-10 deg, scale 0.9..1.1, shift +-5 %,
 * bilinear at pixel centres, the image's minimum outside) and intensity jitter
 * (x 0.9..1.1, + -0.1..0.1). src and dst (H, W) must differ. */
void pgc_augment(const float *src, int h, int w, float *dst, pgc_rng *r);
/* strong 0: pgc_augment. strong 1: rotation +-20 deg, scale 0.8..1.2, shift +-10 %,
 * gamma exp(+-0.4) on values in (0, 1), half the time a 3x3 blur (neighbour weight
 * 0..0.6), Gaussian noise of sd 0..0.04, then intensity x 0.75..1.25, + -0.15..0.15:
 * what tells one source's scanner and compression from another's (sharpness, texture,
 * contrast) varies, anatomy stays. */
void pgc_augment_with(const float *src, int h, int w, float *dst, pgc_rng *r, int strong);
/* One half of src with its mirror image in place of the other half: the left half
 * (keep_right 0) or the right one, about the column centroid of what stands above the
 * image's minimum (the head's midline). A tumour on one side is then in one of the two
 * halved images twice and in the other not at all: a tumour-free image of the same
 * source and slice (pgc-train --mirror-halves). src and dst (H, W) must differ. */
void pgc_mirror_half(const float *src, int h, int w, int keep_right, float *dst);
/* src cut into a g x g grid of equal tiles (g divides H and W, 1..PGC_MAX_TILES), laid
 * out in dst in a random order drawn from r (pgc-train --shuffle-tiles): what a tile
 * holds stays, where it sits in the head does not, so that the slice's overall layout
 * (its level in the head, the centre of the frame) cannot tell its class. src and dst
 * (H, W) must differ. */
#define PGC_MAX_TILES 16
void pgc_shuffle_tiles(const float *src, int h, int w, int g, pgc_rng *r, float *dst);
/* Hide-and-seek (Singh and Lee 2017; pgc-train --hide-patches): img (H, W) cut into a
 * g x g grid (g divides H and W, 2..PGC_MAX_TILES) and each patch, with probability
 * one half drawn from r, replaced in place by the image's mean. Whatever the most telling
 * part of a slice is, it is sometimes hidden, so the class must be found in every part
 * that shows it (the tumour as well as the slice's layout). Returns the patches hidden. */
int pgc_hide_patches(float *img, int h, int w, int g, pgc_rng *r);

/* Classification metrics (pgc_metrics, pgc_metrics_compute) live in ../metrics.h, shared
 * with pgc-score. */

#endif

/* The per-volume report of a gathered volume (lib/volume.h): where the tumour is in
 * voxels and in the scanner's millimetres, how big, how sure; as one TSV row, and as a
 * picture of the tumour probability along the slicing axis. */
#ifndef PGC_VOLUME_REPORT_H
#define PGC_VOLUME_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "volume.h"

typedef struct {
    long frames, tumour_slices;
    int have_box;
    long lo[3], hi[3];      /* voxel box, array indices i j k, half-open */
    double wmin[3], wmax[3];/* its world bounds (RAS+, mm): the voxels' outer faces */
    double volume_ml;       /* voxels above frac x max in tumour slices, x voxel volume */
    double voxel_ml;
    double max_prob;        /* NAN when no frame had a probability */
} pgc_volume_row;

void pgc_volume_report(const pgc_volume *v, const pgc_volume_opts *o, pgc_volume_row *r);

/* The TSV header line and one row; file is what was written (NULL: "NA"). Numbers that
 * do not exist (no box, no probability) are "NA". */
void pgc_volume_tsv_header(FILE *f);
void pgc_volume_tsv_row(FILE *f, const pgc_volume *v, const pgc_volume_row *r,
                        const char *map, const char *file);

/* The probability plot: RGB (h, w, 3) pixels, malloc'd into *pix. */
#define PGC_PLOT_W 640
#define PGC_PLOT_H 220
int pgc_volume_plot(const pgc_volume *v, const pgc_volume_opts *o, uint8_t **pix,
                    pgc_err *e);
/* The same written as a PNG at path through a temporary file. */
int pgc_volume_plot_file(const char *path, const pgc_volume *v, const pgc_volume_opts *o,
                         int replace, pgc_err *e);

#endif

/* The CSV tables of a data folder (pipelines/README.md): a header row, then one row per record; fields may be
 * quoted ("a,b", "say ""x"""). labels.csv (`file,label,...`) and boxes.csv
 * (`file,x0,y0,x1,y1,...`, half-open pixel boxes, several rows per file allowed) are
 * looked up by the basename of `file`. Whole tables are held in memory: they are small. */
#ifndef PGC_CSV_H
#define PGC_CSV_H

#include <stddef.h>

#include "err.h"

#define PGC_CSV_MAX_BYTES (256u << 20)

typedef struct {
    char *text;    /* the file's bytes, each field NUL-terminated in place */
    char **cell;   /* (nrow + 1, ncol): row 0 is the header */
    size_t *line;  /* (nrow + 1): line number of each row in the file, for messages */
    size_t nrow, ncol;
} pgc_csv;

/* Reads and parses path; every row must have as many fields as the header. Errors read
 * "cannot read '<path>': line N: <problem>". */
int pgc_csv_load(const char *path, pgc_csv *t, pgc_err *e);
/* The same from memory (copied); name is used in messages. */
int pgc_csv_parse(const char *buf, size_t len, const char *name, pgc_csv *t, pgc_err *e);
void pgc_csv_free(pgc_csv *t);
/* Column index of a header name, or -1. */
int pgc_csv_col(const pgc_csv *t, const char *name);
/* Field of data row (0-based, header excluded) and column. */
const char *pgc_csv_get(const pgc_csv *t, size_t row, size_t col);

/* The part of a path after its last '/'. */
const char *pgc_basename(const char *path);

/* labels.csv: weak label (`tumour` or `none`) per file, and the optional column
 * `tumour_type` (meningioma, glioma, ...: an image-level label too). */
typedef struct {
    pgc_csv csv;
    size_t *order; /* data rows sorted by basename of `file` */
    int col_file, col_label, col_type; /* col_type -1: no tumour_type column */
} pgc_labels;

int pgc_labels_load(const char *path, pgc_labels *l, pgc_err *e);
/* The label of the file whose basename matches path's basename, or NULL. */
const char *pgc_labels_find(const pgc_labels *l, const char *path);
/* The file's tumour_type, or NULL (no such column, no such file, or an empty field). */
const char *pgc_labels_find_type(const pgc_labels *l, const char *path);
void pgc_labels_free(pgc_labels *l);

/* boxes.csv: ground truth boxes, x0 y0 x1 y1 half-open, per file. */
typedef struct {
    char **file;   /* (n): basenames, sorted, rows of one file kept in file order */
    float *xyxy;   /* (n, 4) in the same order */
    size_t n;
    pgc_csv csv;
} pgc_boxes;

int pgc_boxes_load(const char *path, pgc_boxes *b, pgc_err *e);
/* Number of boxes of the file with path's basename; *xyxy points at them, (n, 4). */
size_t pgc_boxes_find(const pgc_boxes *b, const char *path, const float **xyxy);
void pgc_boxes_free(pgc_boxes *b);

#endif

/* pgc-npy --export's work on one record: DIR/<frame>.<name>.npy (npy.h) and beside it
 * DIR/<frame>.<name>.meta, the record's metadata after a '# dims: y x' line. Errors are
 * returned, never printed. */
#ifndef PGC_NPY_EXPORT_H
#define PGC_NPY_EXPORT_H

#include <stddef.h>

#include "frame.h"
#include "stream.h"

/* Zero-initialise, set dir and force, then pgc_npy_export_free. */
typedef struct {
    const char *dir; /* an existing directory */
    int force;       /* replace existing files (else they are refused) */
    pgc_names written; /* the files of this run: two records never share one */
    char *meta;      /* scratch for the .meta text */
    size_t meta_cap;
} pgc_npy_export;

/* Writes r, record n (from 0) of the stream; without frame or name metadata it is named
 * rec<n> and tensor. Characters of either other than A-Z a-z 0-9 . _ - become '_'
 * (pgc_frame_filename). 0, or PGC_EINPUT / PGC_ENOMEM with e naming the file ("will not
 * overwrite '<path>' (use --force)", "cannot write '<path>': ..."); a file left part
 * written is removed. */
int pgc_npy_export_record(pgc_npy_export *x, const pgc_record *r, unsigned long n, pgc_err *e);
void pgc_npy_export_free(pgc_npy_export *x);

#endif

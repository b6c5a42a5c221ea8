/* One input of pgc-slice: a PNG image or a NIfTI volume, told apart by its first bytes,
 * not its name. A regular file is only peeked at here (its reader opens it again); what
 * cannot be read twice (a pipe, /dev/stdin) is read whole into memory. */
#ifndef PGC_SLICE_INPUT_H
#define PGC_SLICE_INPUT_H

#include <stddef.h>

#include "err.h"

/* Bytes read whole from a pipe: at most this many. */
#define PGC_PIPE_MAX ((size_t)1 << 30)

typedef enum { PGC_INPUT_PNG = 1, PGC_INPUT_NIFTI } pgc_input_kind;

typedef struct {
    pgc_input_kind kind;
    unsigned char *buf; /* the whole input when it is not a regular file, else NULL */
    size_t len;         /* bytes at buf */
} pgc_input;

/* Opens path and tells its kind. 0, or PGC_EINPUT / PGC_ENOMEM with e reading
 * "cannot read '<path>': <problem>" (empty file, neither a PNG nor a NIfTI file, ...).
 * Free in->buf with pgc_input_free either way. */
int pgc_input_open(const char *path, pgc_input *in, pgc_err *e);
void pgc_input_free(pgc_input *in);

#endif

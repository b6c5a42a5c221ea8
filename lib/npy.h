/* NumPy .npy files (format 1.0 written; 1.0, 2.0 and 3.0 read): the header that
 * describes dtype and shape, and its padding so that the data starts at a multiple of
 * 64 bytes. */
#ifndef PGC_NPY_H
#define PGC_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

#define PGC_NPY_MAX_HEADER 65536u

typedef struct {
    pgc_dtype dtype;
    int big_endian;       /* data bytes need swapping to become little-endian */
    int rank;
    uint64_t dims[PGC_MAX_RANK];
    size_t data_offset;   /* bytes before the data: preamble plus header */
    uint64_t data_bytes;  /* product(dims) x element size */
} pgc_npy;

/* The descr string of a stream dtype ("<f4", "|u1", ...). */
const char *pgc_npy_descr(pgc_dtype t);

/* Writes the preamble and header of a v1.0 file for (t, rank, dims) into buf (cap bytes)
 * and sets *len, a multiple of 64. */
int pgc_npy_header(pgc_dtype t, int rank, const uint64_t *dims, char *buf, size_t cap,
                   size_t *len, pgc_err *e);

/* How many bytes of the file the header needs in all, from its first 12 bytes (or
 * fewer: PGC_EINPUT "truncated"). */
int pgc_npy_header_size(const void *buf, size_t len, const char *name, size_t *need,
                        pgc_err *e);
/* Parses a whole header (buf holds at least pgc_npy_header_size bytes). Errors read
 * "cannot read '<name>': <problem>". */
int pgc_npy_parse(const void *buf, size_t len, const char *name, pgc_npy *out, pgc_err *e);

#endif

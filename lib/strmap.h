/* A map from strings to strings (or a set: values may be NULL), open addressing with
 * FNV-1a: the one table behind the frame ids a run hands out (frame_ids.h) and the file
 * names it writes (pgc_names, frame.h). Both may hold many thousands of entries. */
#ifndef PGC_STRMAP_H
#define PGC_STRMAP_H

#include <stddef.h>

#include "err.h"

/* Zero-initialise, then pgc_strmap_free. */
typedef struct {
    char **key, **val; /* cap slots each; key NULL when free */
    size_t n, cap;
} pgc_strmap;

/* 1 when key is in the map (*val, when val is given, is its value), else 0. */
int pgc_strmap_get(const pgc_strmap *m, const char *key, const char **val);
/* Adds key (not in the map yet) with a copy of val (or NULL). 0, or PGC_ENOMEM. */
int pgc_strmap_add(pgc_strmap *m, const char *key, const char *val, pgc_err *e);
void pgc_strmap_free(pgc_strmap *m);

/* FNV-1a of a string: the map's hash, and the one frame file names use. */
unsigned long long pgc_str_hash(const char *s);

#endif

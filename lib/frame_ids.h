/* The frame ids one run has handed out, so that two inputs with one basename get
 * distinct ids (a run may name many thousands of files). */
#ifndef PGC_FRAME_IDS_H
#define PGC_FRAME_IDS_H

#include <stddef.h>

#include "err.h"
#include "strmap.h"

/* Zero-initialise, then pgc_ids_free. */
typedef struct {
    pgc_strmap taken; /* the ids, no values */
} pgc_ids;

/* Makes buf (bufsz bytes) unique among the ids handed out so far and remembers it: "name"
 * when new, else "name-2", "name-3", ... 0, or PGC_ENOMEM ("out of memory"). */
int pgc_ids_unique(pgc_ids *s, char *buf, size_t bufsz, pgc_err *e);
void pgc_ids_free(pgc_ids *s);

#endif

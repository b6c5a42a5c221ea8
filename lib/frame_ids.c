/* Unique frame ids: see frame_ids.h. */
#include "frame_ids.h"

#include <stdio.h>

int pgc_ids_unique(pgc_ids *s, char *buf, size_t bufsz, pgc_err *e)
{
    char base[1100];
    snprintf(base, sizeof base, "%s", buf);
    for (int k = 2; pgc_strmap_get(&s->taken, buf, NULL); k++) snprintf(buf, bufsz, "%.1000s-%d", base, k);
    return pgc_strmap_add(&s->taken, buf, NULL, e);
}

void pgc_ids_free(pgc_ids *s) { pgc_strmap_free(&s->taken); }

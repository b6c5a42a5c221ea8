/* Unique frame ids: see frame_ids.h. */
#include "frame_ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t id_hash(const char *s)
{
    size_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static char **id_find(const pgc_ids *s, const char *id)
{
    size_t i = id_hash(id) & (s->cap - 1);
    while (s->slot[i] && strcmp(s->slot[i], id)) i = (i + 1) & (s->cap - 1);
    return &s->slot[i];
}

static int id_add(pgc_ids *s, const char *id, pgc_err *e)
{
    if (2 * (s->n + 1) > s->cap) { /* keep the table at most half full */
        size_t cap = s->cap ? 2 * s->cap : 256;
        pgc_ids t = {calloc(cap, sizeof *t.slot), s->n, cap};
        if (!t.slot) return pgc_errf(e, PGC_ENOMEM, "out of memory");
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i]) *id_find(&t, s->slot[i]) = s->slot[i];
        free(s->slot);
        *s = t;
    }
    char **at = id_find(s, id);
    if (!(*at = strdup(id))) return pgc_errf(e, PGC_ENOMEM, "out of memory");
    s->n++;
    return PGC_OK;
}

static int id_taken(const pgc_ids *s, const char *id) { return s->cap && *id_find(s, id); }

int pgc_ids_unique(pgc_ids *s, char *buf, size_t bufsz, pgc_err *e)
{
    char base[1100];
    snprintf(base, sizeof base, "%s", buf);
    for (int k = 2; id_taken(s, buf); k++) snprintf(buf, bufsz, "%.1000s-%d", base, k);
    return id_add(s, buf, e);
}

void pgc_ids_free(pgc_ids *s)
{
    for (size_t i = 0; i < s->cap; i++) free(s->slot[i]);
    free(s->slot);
    memset(s, 0, sizeof *s);
}

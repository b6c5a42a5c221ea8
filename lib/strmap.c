#include "strmap.h"

#include <stdlib.h>
#include <string.h>

unsigned long long pgc_str_hash(const char *s)
{
    unsigned long long h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) h = (h ^ *p) * 1099511628211ull;
    return h;
}

/* The slot of key, or the free slot where it would go (cap is a power of two, the
 * table at most half full). */
static size_t slot_of(const pgc_strmap *m, const char *key)
{
    size_t i = (size_t)pgc_str_hash(key) & (m->cap - 1);
    while (m->key[i] && strcmp(m->key[i], key)) i = (i + 1) & (m->cap - 1);
    return i;
}

int pgc_strmap_get(const pgc_strmap *m, const char *key, const char **val)
{
    if (!m->cap) return 0;
    size_t i = slot_of(m, key);
    if (!m->key[i]) return 0;
    if (val) *val = m->val[i];
    return 1;
}

static int grow(pgc_strmap *m, pgc_err *e)
{
    size_t cap = m->cap ? 2 * m->cap : 64;
    pgc_strmap t = {calloc(cap, sizeof *t.key), calloc(cap, sizeof *t.val), m->n, cap};
    if (!t.key || !t.val) {
        free(t.key), free(t.val);
        return pgc_errf(e, PGC_ENOMEM, "out of memory for %zu names", m->n);
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->key[i]) {
            size_t j = slot_of(&t, m->key[i]);
            t.key[j] = m->key[i], t.val[j] = m->val[i];
        }
    free(m->key), free(m->val);
    *m = t;
    return PGC_OK;
}

int pgc_strmap_add(pgc_strmap *m, const char *key, const char *val, pgc_err *e)
{
    if (2 * (m->n + 1) > m->cap && grow(m, e)) return PGC_ENOMEM;
    size_t i = slot_of(m, key);
    char *k = strdup(key), *v = val ? strdup(val) : NULL;
    if (!k || (val && !v)) {
        free(k), free(v);
        return pgc_errf(e, PGC_ENOMEM, "out of memory for %zu names", m->n);
    }
    m->key[i] = k, m->val[i] = v;
    m->n++;
    return PGC_OK;
}

void pgc_strmap_free(pgc_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) free(m->key[i]), free(m->val[i]);
    free(m->key), free(m->val);
    memset(m, 0, sizeof *m);
}

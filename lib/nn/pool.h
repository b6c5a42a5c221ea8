/* A small pool of worker threads for the CPU backend's element-wise loops: a parallel
 * for over [0, n) in fixed contiguous chunks, one per thread, so that results do not
 * depend on timing. */
#ifndef PGC_NN_POOL_H
#define PGC_NN_POOL_H

#include <stddef.h>

typedef struct pgc_pool pgc_pool;

/* threads <= 1 makes a pool that runs everything on the caller. NULL on failure. */
pgc_pool *pgc_pool_create(int threads);
void pgc_pool_free(pgc_pool *p);
int pgc_pool_threads(const pgc_pool *p);
/* Calls fn(arg, lo, hi) over [0, n) split into one chunk per thread; returns when all
 * are done. Not reentrant. */
void pgc_pool_for(pgc_pool *p, size_t n, void (*fn)(void *arg, size_t lo, size_t hi),
                  void *arg);

#endif

#include "pool.h"

#include <pthread.h>
#include <stdlib.h>

struct pgc_pool {
    int n;                      /* threads, the caller included */
    pthread_t *th;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    long gen;                   /* bumped for each job */
    int pending, quit;
    void (*fn)(void *, size_t, size_t);
    void *arg;
    size_t total;
};

typedef struct {
    pgc_pool *p;
    int id;
} worker_arg;

static void chunk(const pgc_pool *p, int id, size_t *lo, size_t *hi)
{
    *lo = p->total * id / p->n;
    *hi = p->total * (id + 1) / p->n;
}

static void *worker(void *a)
{
    worker_arg w = *(worker_arg *)a;
    free(a);
    pgc_pool *p = w.p;
    long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->gen == seen && !p->quit) pthread_cond_wait(&p->go, &p->mu);
        if (p->quit) break;
        seen = p->gen;
        pthread_mutex_unlock(&p->mu);
        size_t lo, hi;
        chunk(p, w.id, &lo, &hi);
        if (hi > lo) p->fn(p->arg, lo, hi);
        pthread_mutex_lock(&p->mu);
        if (--p->pending == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

pgc_pool *pgc_pool_create(int threads)
{
    pgc_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n = threads > 1 ? threads : 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    if (p->n > 1) {
        p->th = calloc(p->n - 1, sizeof *p->th);
        if (!p->th) {
            free(p);
            return NULL;
        }
        for (int i = 1; i < p->n; i++) {
            worker_arg *a = malloc(sizeof *a);
            if (a) a->p = p, a->id = i;
            if (!a || pthread_create(&p->th[i - 1], NULL, worker, a)) {
                free(a);
                p->n = i; /* run with the threads we have */
                break;
            }
        }
    }
    return p;
}

void pgc_pool_free(pgc_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++) pthread_join(p->th[i - 1], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    free(p->th);
    free(p);
}

int pgc_pool_threads(const pgc_pool *p) { return p ? p->n : 1; }

void pgc_pool_for(pgc_pool *p, size_t n, void (*fn)(void *, size_t, size_t), void *arg)
{
    if (!p || p->n == 1 || n < 2) {
        if (n) fn(arg, 0, n);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn, p->arg = arg, p->total = n;
    p->pending = p->n - 1;
    p->gen++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    size_t lo, hi;
    chunk(p, 0, &lo, &hi);
    if (hi > lo) fn(arg, lo, hi);
    pthread_mutex_lock(&p->mu);
    while (p->pending) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

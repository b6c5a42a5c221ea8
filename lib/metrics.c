/* Image-level classification metrics (metrics.h). */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

double pgc_ratio(double a, double b) { return b != 0 ? a / b : 0; }

int pgc_prob_is_tumour(double prob, double threshold) { return prob >= threshold; }

void pgc_confusion_add(pgc_confusion *c, int tumour, int predicted)
{
    if (predicted && tumour) c->tp++;
    else if (predicted) c->fp++;
    else if (tumour) c->fn++;
    else c->tn++;
}

void pgc_metrics_from_confusion(const pgc_confusion *c, pgc_metrics *m)
{
    long n = c->tp + c->tn + c->fp + c->fn;
    m->n = (size_t)n, m->pos = (size_t)(c->tp + c->fn);
    m->acc = pgc_ratio((double)(c->tp + c->tn), (double)n);
    m->sens = pgc_ratio((double)c->tp, (double)(c->tp + c->fn));
    m->spec = pgc_ratio((double)c->tn, (double)(c->tn + c->fp));
}

typedef struct {
    float p;
    unsigned char y;
} scored;

static int scored_cmp(const void *pa, const void *pb)
{
    const scored *a = pa, *b = pb;
    return (a->p > b->p) - (a->p < b->p);
}

/* The AUC of v (n, sorted here), from average ranks. */
static double auc_of(scored *v, size_t n)
{
    qsort(v, n, sizeof *v, scored_cmp);
    double rank_pos = 0, npos = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j].p == v[i].p) j++;
        double avg = (double)(i + 1 + j) / 2; // ranks i+1..j share their mean
        for (size_t k = i; k < j; k++)
            if (v[k].y) rank_pos += avg, npos++;
        i = j;
    }
    double nneg = (double)n - npos;
    return pgc_ratio(rank_pos - npos * (npos + 1) / 2, npos * nneg);
}

int pgc_roc_auc(const float *p, const unsigned char *y, size_t n, double *auc, pgc_err *e)
{
    *auc = 0;
    scored *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return pgc_errf(e, PGC_ENOMEM, "out of memory for %zu probabilities", n);
    for (size_t i = 0; i < n; i++) v[i] = (scored){p[i], (unsigned char)!!y[i]};
    *auc = auc_of(v, n);
    free(v);
    return PGC_OK;
}

int pgc_metrics_compute(const float *prob, const int *label, size_t n, double threshold,
                        pgc_metrics *m, pgc_err *e)
{
    memset(m, 0, sizeof *m);
    scored *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return pgc_errf(e, PGC_ENOMEM, "out of memory for %zu probabilities", n);
    pgc_confusion c = {0};
    for (size_t i = 0; i < n; i++) {
        pgc_confusion_add(&c, label[i] != 0, pgc_prob_is_tumour(prob[i], threshold));
        v[i] = (scored){prob[i], (unsigned char)(label[i] != 0)};
    }
    pgc_metrics_from_confusion(&c, m);
    m->auc = auc_of(v, n);
    free(v);
    return PGC_OK;
}

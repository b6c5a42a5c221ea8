/* Image-level classification metrics: the one definition that pgc-score's report and
 * pgc-train's validation share.
 *
 * - An image is predicted tumour when its P(tumour) >= the threshold (0.5 unless the
 *   caller says otherwise: pgc-score --prob-threshold). The rule is pgc_prob_is_tumour.
 * - Accuracy (TP + TN) / N, sensitivity TP / (TP + FN), specificity TN / (TN + FP);
 *   0/0 is 0.
 * - ROC AUC is the Mann-Whitney U statistic with average ranks for ties (a tie between a
 *   positive and a negative counts one half); 0 when either class is absent. Running out
 *   of memory is an error (PGC_ENOMEM), never an AUC of 0.
 */
#ifndef PGC_METRICS_H
#define PGC_METRICS_H

#include <stddef.h>

#include "err.h"

#define PGC_PROB_THRESHOLD 0.5 /* the default threshold */

/* a / b, or 0 when b is 0. */
double pgc_ratio(double a, double b);

/* 1 when prob says tumour at threshold (prob >= threshold), else 0. */
int pgc_prob_is_tumour(double prob, double threshold);

typedef struct {
    long tp, tn, fp, fn;
} pgc_confusion;

/* Counts one image: tumour is its label (nonzero: tumour), predicted the prediction. */
void pgc_confusion_add(pgc_confusion *c, int tumour, int predicted);

typedef struct {
    double acc, sens, spec, auc;
    size_t n, pos;
} pgc_metrics;

/* Accuracy, sensitivity, specificity, n and pos from c; auc is left as it is. */
void pgc_metrics_from_confusion(const pgc_confusion *c, pgc_metrics *m);

/* ROC AUC of scores p with labels y (1 positive), as above. 0 or PGC_ENOMEM. */
int pgc_roc_auc(const float *p, const unsigned char *y, size_t n, double *auc, pgc_err *e);

/* Every metric of n images: prob P(tumour), label nonzero for tumour, predicted tumour at
 * threshold. 0 or PGC_ENOMEM (m is then all zero). */
int pgc_metrics_compute(const float *prob, const int *label, size_t n, double threshold,
                        pgc_metrics *m, pgc_err *e);

#endif

/* The one set of classification metrics (lib/metrics.h), reached by its two users:
 * pgc-score's report (pgc_score_add_class, pgc_score_metrics) and pgc-train's validation
 * (pgc_metrics_compute) give the same numbers for the same probabilities and labels. */
#include "../../lib/metrics.h"
#include "../../lib/score.h"
#include "check.h"

#include <stdlib.h>

/* The value of the metric called name in s's report (-1 when n/a, -2 when absent). */
static double metric_of(const pgc_score *s, const char *name)
{
    pgc_metric m[PGC_SCORE_NMETRICS];
    int n = pgc_score_metrics(s, m);
    for (int i = 0; i < n; i++)
        if (!strcmp(m[i].name, name)) return m[i].kind == 2 ? -1 : m[i].value;
    return -2;
}

/* Scores n images both ways at threshold t; every metric must be the same number. */
static void both_agree(const float *p, const int *y, size_t n, double t)
{
    pgc_metrics m;
    EXPECT(pgc_metrics_compute(p, y, n, t, &m, NULL) == 0);
    pgc_score s;
    pgc_score_init(&s, t);
    for (size_t i = 0; i < n; i++) EXPECT(pgc_score_add_class(&s, y[i], p[i], NULL) == 0);
    EXPECT(metric_of(&s, "frames_label") == (double)n && m.n == n);
    EXPECT(metric_of(&s, "cls_accuracy") == m.acc);
    EXPECT(metric_of(&s, "sensitivity") == m.sens);
    EXPECT(metric_of(&s, "specificity") == m.spec);
    EXPECT(metric_of(&s, "roc_auc") == m.auc);
    pgc_score_free(&s);
}

static void a_probability_equal_to_the_threshold_is_tumour_on_both_paths(void)
{
    EXPECT(pgc_prob_is_tumour(0.5, 0.5) && !pgc_prob_is_tumour(0.4999, 0.5));
    const float p[4] = {0.5f, 0.5f, 0.2f, 0.9f};
    const int y[4] = {1, 0, 0, 1}; // TP 2, FP 1, TN 1: accuracy 3/4
    pgc_metrics m;
    EXPECT(pgc_metrics_compute(p, y, 4, 0.5, &m, NULL) == 0);
    EXPECT_NEAR(m.acc, 0.75, 0);
    EXPECT_NEAR(m.sens, 1, 0);
    EXPECT_NEAR(m.spec, 0.5, 0);
    EXPECT_NEAR(m.auc, 0.875, 1e-12); // (0.5 + 1 + 1 + 1) / 4
    both_agree(p, y, 4, 0.5);
}

static void score_and_train_give_the_same_numbers_on_random_sets(void)
{
    srand(14);
    for (int trial = 0; trial < 50; trial++) {
        size_t n = 1 + (size_t)(rand() % 200);
        float p[200];
        int y[200];
        for (size_t i = 0; i < n; i++) {
            // coarse values so that ties and values at the threshold occur
            p[i] = (float)(rand() % 21) / 20;
            y[i] = rand() % 2;
        }
        both_agree(p, y, n, trial % 2 ? 0.5 : 0.3);
    }
}

static void one_class_only_gives_an_auc_of_zero_on_both_paths(void)
{
    const float p[3] = {0.2f, 0.7f, 0.9f};
    const int y[3] = {1, 1, 1};
    both_agree(p, y, 3, 0.5);
    pgc_metrics m;
    EXPECT(pgc_metrics_compute(p, y, 3, 0.5, &m, NULL) == 0 && m.auc == 0 && m.spec == 0);
}

int main(void)
{
    RUN(a_probability_equal_to_the_threshold_is_tumour_on_both_paths);
    RUN(score_and_train_give_the_same_numbers_on_random_sets);
    RUN(one_class_only_gives_an_auc_of_zero_on_both_paths);
    return check_done();
}

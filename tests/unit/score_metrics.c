/* Scores against values worked out by hand: IOBB counts, precision / recall / F1 /
 * accuracy, IoU matching, MaxBoxAccV2, pointing game, classification and ROC AUC. */
#include "../../lib/score.h"
#include "check.h"

#include <stdlib.h>

/* The value of the metric called name in s's report (-1 when n/a, -2 when absent). */
static double metric_of(const pgc_score *s, const char *name)
{
    pgc_metric m[PGC_SCORE_NMETRICS];
    int n = pgc_score_metrics(s, m);
    EXPECT(n <= PGC_SCORE_NMETRICS);
    for (int i = 0; i < n; i++)
        if (!strcmp(m[i].name, name)) return m[i].kind == 2 ? -1 : m[i].value;
    return -2;
}

static void iobb_is_intersection_over_the_predicted_box(void)
{
    const float b[4] = {0, 0, 10, 10};
    EXPECT_NEAR(pgc_box_iobb(b, (float[]){0, 0, 5, 5}), 0.25, 1e-12);
    EXPECT_NEAR(pgc_box_iobb((float[]){0, 0, 5, 5}, b), 1, 1e-12);
    EXPECT_NEAR(pgc_box_iou(b, (float[]){5, 0, 15, 10}), 50.0 / 150, 1e-12);
    EXPECT(pgc_box_iobb(b, (float[]){10, 0, 20, 10}) == 0); // touching edges: half-open
    EXPECT(pgc_box_iobb((float[]){3, 3, 3, 8}, b) == 0);    // empty box: 0/0 -> 0
}

static void a_hit_needs_iobb_strictly_above_one_fifth(void)
{
    pgc_iobb_counts c;
    const float gt[4] = {8, 0, 18, 10};
    pgc_score_iobb((float[]){0, 0, 10, 10}, 1, gt, 1, &c); // IOBB exactly 0.2
    EXPECT(c.tp == 0 && c.fp == 1 && c.fn == 1);
    pgc_score_iobb((float[]){0, 0, 10.5f, 10}, 1, gt, 1, &c); // 25 / 105 > 0.2
    EXPECT(c.tp == 1 && c.fp == 0 && c.fn == 0);
}

static void a_known_set_of_boxes_gives_known_scores(void)
{
    // frame 1: truth (0,0,10,10); predicted (0,0,5,5) hits, (20,20,30,30) misses
    // frame 2: truth (0,0,10,10), (50,50,60,60); predicted (8,8,18,18) has IOBB 0.04
    // TP 1, FP 2, FN 2, GT 3: precision 1/3, recall 1 - 2/3, F1 1/3, accuracy 1/5
    pgc_score s;
    pgc_score_init(&s, 0.5);
    EXPECT(pgc_score_add_boxes(&s, (float[]){0, 0, 5, 5, 20, 20, 30, 30}, 2,
                               (float[]){0, 0, 10, 10}, 1, NULL, NULL) == 0);
    EXPECT(pgc_score_add_boxes(&s, (float[]){8, 8, 18, 18}, 1,
                               (float[]){0, 0, 10, 10, 50, 50, 60, 60}, 2, NULL, NULL) == 0);
    EXPECT(metric_of(&s, "tp") == 1 && metric_of(&s, "fp") == 2 && metric_of(&s, "fn") == 2);
    EXPECT_NEAR(metric_of(&s, "iobb_precision"), 1.0 / 3, 1e-12);
    EXPECT_NEAR(metric_of(&s, "iobb_recall"), 1.0 / 3, 1e-12);
    EXPECT_NEAR(metric_of(&s, "iobb_f1"), 1.0 / 3, 1e-12);
    EXPECT_NEAR(metric_of(&s, "iobb_accuracy"), 0.2, 1e-12);
    // IoU: (0,0,5,5) vs truth 0.25, nothing reaches 0.3
    EXPECT(metric_of(&s, "iou30_precision") == 0 && metric_of(&s, "iou30_f1") == 0);
    pgc_score_free(&s);
}

static void several_boxes_on_one_truth_box_are_all_true_positives(void)
{
    // the paper counts predicted boxes: two hits on one truth box are TP 2, FN 0
    pgc_score s;
    pgc_score_init(&s, 0.5);
    EXPECT(pgc_score_add_boxes(&s, (float[]){0, 0, 4, 4, 5, 5, 9, 9}, 2,
                               (float[]){0, 0, 10, 10}, 1, NULL, NULL) == 0);
    EXPECT(metric_of(&s, "tp") == 2 && metric_of(&s, "fn") == 0);
    EXPECT_NEAR(metric_of(&s, "iobb_precision"), 1, 0);
    EXPECT_NEAR(metric_of(&s, "iobb_recall"), 1, 0);
    EXPECT_NEAR(metric_of(&s, "iobb_accuracy"), 1, 0);
    pgc_score_free(&s);
}

/* Adds tp frames whose one predicted box is the truth box, fp frames with a predicted box
 * and no truth, fn frames with a truth box and no prediction. */
static void add_counts(pgc_score *s, int tp, int fp, int fn)
{
    const float b[4] = {0, 0, 10, 10};
    for (int i = 0; i < tp; i++) EXPECT(pgc_score_add_boxes(s, b, 1, b, 1, NULL, NULL) == 0);
    for (int i = 0; i < fp; i++) EXPECT(pgc_score_add_boxes(s, b, 1, NULL, 0, NULL, NULL) == 0);
    for (int i = 0; i < fn; i++) EXPECT(pgc_score_add_boxes(s, NULL, 0, b, 1, NULL, NULL) == 0);
}

static void the_code_gives_table_2s_f1_and_accuracy_pairs(void)
{
    // the paper's rows (F1 -> accuracy), each from counts that give them to two places:
    // 0.50 -> 0.33 (TP 1, FP 1, FN 1: F1 2/4, accuracy 1/3), 0.53 -> 0.36 (9, 8, 8:
    // 18/34, 9/25), 0.22 -> 0.12 (4, 15, 14: 8/37, 4/33), 0.39 -> 0.24 (6, 10, 9: 12/31,
    // 6/25); accuracy is TP / (TP + FP + FN), F1 2 TP / (2 TP + FP + FN)
    const int cnt[4][3] = {{1, 1, 1}, {9, 8, 8}, {4, 15, 14}, {6, 10, 9}};
    const double f1[4] = {0.50, 0.53, 0.22, 0.39}, acc[4] = {0.33, 0.36, 0.12, 0.24};
    for (int i = 0; i < 4; i++) {
        pgc_score s;
        pgc_score_init(&s, 0.5);
        add_counts(&s, cnt[i][0], cnt[i][1], cnt[i][2]);
        EXPECT(metric_of(&s, "tp") == cnt[i][0] && metric_of(&s, "fp") == cnt[i][1] &&
               metric_of(&s, "fn") == cnt[i][2]);
        EXPECT_NEAR(metric_of(&s, "iobb_f1"), f1[i], 0.005);
        EXPECT_NEAR(metric_of(&s, "iobb_accuracy"), acc[i], 0.005);
        pgc_score_free(&s);
    }
}

static void accuracy_is_f1_over_two_minus_f1_when_each_truth_box_is_hit_once(void)
{
    // random sets: k truth boxes per frame, some hit by one predicted box, some missed,
    // plus false positives far away
    srand(7);
    for (int trial = 0; trial < 20; trial++) {
        pgc_score s;
        pgc_score_init(&s, 0.5);
        for (int fr = 0; fr < 10; fr++) {
            float gt[4 * 4], pred[8 * 4];
            int ng = rand() % 4, np = 0;
            for (int j = 0; j < ng; j++) {
                float x = 30.0f * j;
                memcpy(gt + 4 * j, (float[]){x, 0, x + 10, 10}, sizeof(float) * 4);
                if (rand() % 3) memcpy(pred + 4 * np++, (float[]){x + 1, 1, x + 9, 9}, sizeof(float) * 4);
            }
            for (int k = rand() % 3; k > 0; k--)
                memcpy(pred + 4 * np++, (float[]){500, 500 + 20.0f * k, 510, 510 + 20.0f * k},
                       sizeof(float) * 4);
            EXPECT(pgc_score_add_boxes(&s, pred, np, gt, ng, NULL, NULL) == 0);
        }
        double F = metric_of(&s, "iobb_f1"), A = metric_of(&s, "iobb_accuracy");
        if (metric_of(&s, "tp") > 0) EXPECT_NEAR(A, F / (2 - F), 1e-12);
        pgc_score_free(&s);
    }
}

static void no_truth_and_no_prediction_scores_zero_not_nan(void)
{
    pgc_score s;
    pgc_score_init(&s, 0.5);
    EXPECT(metric_of(&s, "iobb_precision") == -1); // no frame: n/a
    EXPECT(pgc_score_add_boxes(&s, NULL, 0, NULL, 0, NULL, NULL) == 0);
    EXPECT(metric_of(&s, "iobb_precision") == 0 && metric_of(&s, "iobb_recall") == 0);
    EXPECT(metric_of(&s, "iobb_f1") == 0 && metric_of(&s, "iobb_accuracy") == 0);
    EXPECT(metric_of(&s, "maxboxacc_v2") == -1 && metric_of(&s, "roc_auc") == -1);
    pgc_score_free(&s);
}

static void iou_matching_is_one_to_one(void)
{
    long m;
    const float gt[4] = {0, 0, 10, 10};
    EXPECT(pgc_score_iou_matches((float[]){0, 0, 10, 10, 0, 0, 9, 10}, 2, gt, 1, 0.5, &m, NULL) == 0);
    EXPECT(m == 1);
    // (0,0,10,6) has IoU 0.6: a match at 0.5, not at 0.7
    EXPECT(pgc_score_iou_matches((float[]){0, 0, 10, 6}, 1, gt, 1, 0.5, &m, NULL) == 0 && m == 1);
    EXPECT(pgc_score_iou_matches((float[]){0, 0, 10, 6}, 1, gt, 1, 0.7, &m, NULL) == 0 && m == 0);
    // greedy by IoU: pred 1 and g0 (0.9) pair first, then pred 0 takes g1 (0.8)
    const float g2[8] = {0, 0, 10, 10, 0, 0, 10, 8};
    const float p2[8] = {0, 0, 10, 6.4f, 0, 0, 10, 9};
    EXPECT(pgc_score_iou_matches(p2, 2, g2, 2, 0.5, &m, NULL) == 0 && m == 2);
    pgc_score s;
    pgc_score_init(&s, 0.5);
    EXPECT(pgc_score_add_boxes(&s, (float[]){0, 0, 10, 10, 0, 0, 9, 10}, 2, gt, 1, NULL, NULL) == 0);
    EXPECT_NEAR(metric_of(&s, "iou50_precision"), 0.5, 0);
    EXPECT_NEAR(metric_of(&s, "iou50_recall"), 1, 0);
    EXPECT_NEAR(metric_of(&s, "iou50_f1"), 2 * 0.5 / 1.5, 1e-12);
    pgc_score_free(&s);
}

/* 10 x 10: a core (2,2)-(6,6) at 1.0 inside a ring (1,1)-(7,7) at 0.5, zeros outside. */
static void ring_map(float *m)
{
    for (int y = 0; y < 10; y++)
        for (int x = 0; x < 10; x++)
            m[y * 10 + x] = (x >= 2 && x < 6 && y >= 2 && y < 6) ? 1.0f
                            : (x >= 1 && x < 7 && y >= 1 && y < 7) ? 0.5f : 0.0f;
}

static void maxboxacc_v2_takes_the_best_threshold_per_delta(void)
{
    // thresholds < 0.5 give the ring's box (1,1,7,7), 36 px; >= 0.5 the core's, 16 px.
    // frame 1, truth = core: IoU 16/36 = 0.44 then 1; frame 2, truth = whole map:
    // IoU 0.36 then 0.16. delta 0.3: 2/2 at low t; 0.5 and 0.7: 1/2 at high t.
    float m[100];
    ring_map(m);
    pgc_score s;
    pgc_score_init(&s, 0.5);
    EXPECT(pgc_score_add_map(&s, m, 10, 10, &pgc_transform_identity, (float[]){2, 2, 6, 6}, 1,
                             NULL, NULL) == 0);
    EXPECT(pgc_score_add_map(&s, m, 10, 10, &pgc_transform_identity, (float[]){0, 0, 10, 10}, 1,
                             NULL, NULL) == 0);
    EXPECT(metric_of(&s, "frames_map") == 2);
    EXPECT_NEAR(metric_of(&s, "maxboxacc_iou30"), 1, 0);
    EXPECT_NEAR(metric_of(&s, "maxboxacc_iou50"), 0.5, 0);
    EXPECT_NEAR(metric_of(&s, "maxboxacc_iou70"), 0.5, 0);
    EXPECT_NEAR(metric_of(&s, "maxboxacc_iou50_thr"), 0.5, 1e-12);
    EXPECT_NEAR(metric_of(&s, "maxboxacc_v2"), 2.0 / 3, 1e-12);
    // both frames' maxima (the core's first pixel, (2,2)) lie in their truth boxes
    EXPECT_NEAR(metric_of(&s, "pointing_game"), 1, 0);
    pgc_score_free(&s);
}

static void maxboxacc_normalises_the_map_first(void)
{
    // the same map scaled and shifted scores the same
    float m[100];
    ring_map(m);
    for (int i = 0; i < 100; i++) m[i] = 3 * m[i] + 2;
    pgc_score s;
    pgc_score_init(&s, 0.5);
    EXPECT(pgc_score_add_map(&s, m, 10, 10, &pgc_transform_identity, (float[]){0, 0, 10, 10}, 1,
                             NULL, NULL) == 0);
    EXPECT_NEAR(metric_of(&s, "maxboxacc_iou30"), 1, 0);
    EXPECT_NEAR(metric_of(&s, "maxboxacc_iou50"), 0, 0);
    pgc_score_free(&s);
}

static void an_all_zero_map_finds_nothing(void)
{
    float z[100] = {0};
    pgc_score s;
    pgc_score_init(&s, 0.5);
    pgc_score_row row = {0};
    EXPECT(pgc_score_add_map(&s, z, 10, 10, &pgc_transform_identity, (float[]){5, 5, 10, 10}, 1,
                             &row, NULL) == 0);
    EXPECT(metric_of(&s, "maxboxacc_v2") == 0);
    EXPECT(row.pointing == 0 && metric_of(&s, "pointing_game") == 0); // argmax (0,0)
    pgc_score_free(&s);
}

static void pointing_takes_the_first_maximum_and_the_transform(void)
{
    float m[12] = {0, 0, 0, 0, /**/ 0, 0, 5, 0, /**/ 5, 0, 0, 0}; // (x 2, y 1) comes first
    EXPECT(pgc_score_pointing(m, 3, 4, &pgc_transform_identity, (float[]){2, 1, 3, 2}, 1) == 1);
    EXPECT(pgc_score_pointing(m, 3, 4, &pgc_transform_identity, (float[]){0, 2, 1, 3}, 1) == 0);
    // half-open: a box ending at x = 2 does not hold pixel column 2
    EXPECT(pgc_score_pointing(m, 3, 4, &pgc_transform_identity, (float[]){0, 0, 2, 3}, 1) == 0);
    // through a transform: centre (2.5, 1.5) -> (2 * 2.5 + 100, 2 * 1.5) = (105, 3)
    pgc_transform t = {2, 0, 100, 0, 2, 0};
    EXPECT(pgc_score_pointing(m, 3, 4, &t, (float[]){104, 2, 106, 4}, 1) == 1);
    EXPECT(pgc_score_pointing(m, 3, 4, &t, (float[]){2, 1, 3, 2}, 1) == 0);
}

static void roc_auc_averages_tied_ranks(void)
{
    double auc;
    EXPECT(pgc_roc_auc((float[]){0.1f, 0.4f, 0.35f, 0.8f}, (unsigned char[]){0, 0, 1, 1}, 4,
                       &auc, NULL) == 0);
    EXPECT_NEAR(auc, 0.75, 1e-12);
    // pos 0.5 vs neg 0.5 counts 1/2: (0.5 + 1 + 1 + 1) / 4
    EXPECT(pgc_roc_auc((float[]){0.5f, 0.5f, 0.2f, 0.9f}, (unsigned char[]){1, 0, 0, 1}, 4,
                       &auc, NULL) == 0);
    EXPECT_NEAR(auc, 0.875, 1e-12);
    EXPECT(pgc_roc_auc((float[]){0.3f, 0.3f, 0.3f}, (unsigned char[]){1, 0, 1}, 3, &auc, NULL) == 0);
    EXPECT_NEAR(auc, 0.5, 1e-12);
    EXPECT(pgc_roc_auc((float[]){0.3f, 0.6f}, (unsigned char[]){1, 1}, 2, &auc, NULL) == 0);
    EXPECT(auc == 0); // one class only: 0/0 -> 0
}

static void classification_counts_use_the_probability_threshold(void)
{
    pgc_score s;
    pgc_score_init(&s, 0.5);
    const float p[5] = {0.9f, 0.5f, 0.2f, 0.7f, 0.1f};
    const int y[5] = {1, 1, 1, 0, 0}; // TP 2, FN 1, FP 1, TN 1
    for (int i = 0; i < 5; i++) EXPECT(pgc_score_add_class(&s, y[i], p[i], NULL) == 0);
    EXPECT_NEAR(metric_of(&s, "cls_accuracy"), 3.0 / 5, 1e-12);
    EXPECT_NEAR(metric_of(&s, "sensitivity"), 2.0 / 3, 1e-12);
    EXPECT_NEAR(metric_of(&s, "specificity"), 1.0 / 2, 1e-12);
    // pairs (pos, neg): 0.9 > both, 0.5 > 0.1 only, 0.2 > 0.1 only: 4 / 6
    EXPECT_NEAR(metric_of(&s, "roc_auc"), 4.0 / 6, 1e-12);
    EXPECT(metric_of(&s, "iobb_precision") == -1); // no truth: localisation n/a
    pgc_score_free(&s);
}

/* --- whole frames --- */
static pgc_record *add_rec(pgc_frame *f, const char *name)
{
    pgc_record *r = pgc_frame_add(f, NULL);
    EXPECT(r != NULL);
    if (!r) return NULL;
    EXPECT(pgc_meta_set(r, "frame", "s1", NULL) == 0);
    EXPECT(pgc_meta_set(r, "name", name, NULL) == 0);
    return r;
}

static void add_boxes(pgc_frame *f, const char *name, const float *xy, int n)
{
    pgc_record *r = add_rec(f, name);
    EXPECT(pgc_record_boxes(r, n, NULL) == 0);
    memcpy(r->data, xy, sizeof(float) * 4 * n);
}

static void frames_are_scored_from_their_records(void)
{
    pgc_frame f = {0};
    pgc_record *im = add_rec(&f, "image");
    EXPECT(pgc_record_f32_2d(im, 10, 10, NULL) == 0);
    EXPECT(pgc_meta_set(im, "label", "tumour", NULL) == 0);
    EXPECT(pgc_meta_set(im, "prob", "0.8", NULL) == 0);
    add_boxes(&f, "truth", (float[]){2, 2, 6, 6}, 1);
    pgc_record *m = add_rec(&f, "pgcam");
    EXPECT(pgc_record_f32_2d(m, 10, 10, NULL) == 0);
    ring_map(m->data);
    EXPECT(pgc_meta_set(m, "transform", "1 0 100 0 1 0", NULL) == 0);
    add_boxes(&f, "boxes", (float[]){2, 2, 6, 6, 8, 8, 9, 9}, 2);
    add_boxes(&f, "boxes.src", (float[]){102, 2, 106, 6}, 1);
    pgc_score s;
    pgc_score_init(&s, 0.5);
    pgc_score_row row;
    pgc_err e;
    EXPECT(pgc_score_frame(&s, &f, NULL, &row, &e) == 0);
    EXPECT_STR(row.frame, "s1");
    EXPECT(row.has_truth && row.has_boxes && row.has_map && row.has_label && row.has_prob);
    EXPECT(row.tp == 1 && row.fp == 1 && row.fn == 0 && row.pointing == 1 && row.label == 1);
    EXPECT_NEAR(row.best_iou, 1, 0);
    EXPECT_NEAR(metric_of(&s, "cls_accuracy"), 1, 0);
    // truth from a CSV, in source pixels: boxes.src and the map through its transform
    pgc_score_truth ext = {1, 1, (float[]){102, 2, 106, 6}, 1};
    EXPECT(pgc_score_frame(&s, &f, &ext, &row, &e) == 0);
    EXPECT(row.tp == 1 && row.fp == 0 && row.pointing == 1);
    ext.xyxy = (float[]){2, 2, 6, 6}; // the image-pixel box misses in source pixels
    EXPECT(pgc_score_frame(&s, &f, &ext, &row, &e) == 0);
    EXPECT(row.tp == 0 && row.fn == 1 && row.pointing == 0);
    EXPECT(metric_of(&s, "frames") == 3);
    EXPECT_NEAR(metric_of(&s, "maxboxacc_iou70"), 2.0 / 3, 1e-12);
    pgc_score_free(&s);
    pgc_frame_free(&f);
}

static void frames_without_truth_count_for_classification_only(void)
{
    pgc_frame f = {0};
    pgc_record *im = add_rec(&f, "image");
    EXPECT(pgc_record_f32_2d(im, 4, 4, NULL) == 0);
    EXPECT(pgc_meta_set(im, "label", "none", NULL) == 0);
    pgc_record *p = add_rec(&f, "prob");
    EXPECT(pgc_record_shape(p, PGC_DT_F32, 1, (uint64_t[]){2}, NULL, NULL) == 0);
    EXPECT(pgc_meta_set(p, "prob", "0.25", NULL) == 0);
    add_boxes(&f, "boxes", (float[]){0, 0, 2, 2}, 1);
    pgc_score s;
    pgc_score_init(&s, 0.5);
    pgc_score_row row;
    EXPECT(pgc_score_frame(&s, &f, NULL, &row, NULL) == 0);
    EXPECT(!row.has_truth && row.pointing == -1 && isnan(row.best_iou));
    EXPECT(metric_of(&s, "frames_boxes") == 0 && metric_of(&s, "iobb_precision") == -1);
    EXPECT(metric_of(&s, "frames_label") == 1 && metric_of(&s, "specificity") == 1);
    pgc_score_free(&s);
    pgc_frame_free(&f);
}

static void bad_labels_and_boxes_are_errors(void)
{
    pgc_frame f = {0};
    pgc_record *im = add_rec(&f, "image");
    EXPECT(pgc_record_f32_2d(im, 4, 4, NULL) == 0);
    EXPECT(pgc_meta_set(im, "label", "maybe", NULL) == 0);
    pgc_score s;
    pgc_score_init(&s, 0.5);
    pgc_err e;
    EXPECT(pgc_score_frame(&s, &f, NULL, NULL, &e) == PGC_EINPUT && strstr(e.msg, "maybe"));
    EXPECT(pgc_meta_set(im, "label", "tumour", NULL) == 0);
    pgc_record *t = add_rec(&f, "truth");
    EXPECT(pgc_record_f32_2d(t, 2, 3, NULL) == 0);
    EXPECT(pgc_score_frame(&s, &f, NULL, NULL, &e) == PGC_EINPUT && strstr(e.msg, "truth"));
    EXPECT(pgc_record_boxes(&f.rec[1], 0, NULL) == 0);
    pgc_record *m = add_rec(&f, "pgcam");
    EXPECT(pgc_record_f32_2d(m, 4, 5, NULL) == 0); // the image is 4 x 4
    memset(m->data, 0, sizeof(float) * 20);
    EXPECT(pgc_score_frame(&s, &f, NULL, NULL, &e) == PGC_EINPUT && strstr(e.msg, "4 x 5"));
    pgc_score_free(&s);
    pgc_frame_free(&f);
}

static void a_confusion_matrix_counts_true_types_against_the_named_class(void)
{
    pgc_score s;
    pgc_score_init(&s, 0.5);
    EXPECT(metric_of(&s, "type_accuracy") == -2); /* two-class models: no such lines */
    pgc_score_add_type(&s, "meningioma", "meningioma");
    pgc_score_add_type(&s, "meningioma", "glioma");
    pgc_score_add_type(&s, "glioma", "glioma");
    pgc_score_add_type(&s, "none", "none");
    EXPECT(metric_of(&s, "type_frames") == 4);
    EXPECT_NEAR(metric_of(&s, "type_accuracy"), 0.75, 1e-12);
    EXPECT_NEAR(metric_of(&s, "class_accuracy.meningioma"), 0.5, 1e-12);
    EXPECT_NEAR(metric_of(&s, "class_accuracy.glioma"), 1, 1e-12);
    EXPECT(metric_of(&s, "confusion.meningioma.glioma") == 1);
    EXPECT(metric_of(&s, "confusion.glioma.meningioma") == 0);
    EXPECT(metric_of(&s, "confusion.none.none") == 1);
    pgc_score_free(&s);
}

static void a_frame_without_a_label_is_scored_not_refused(void)
{
    pgc_frame f = {0};
    pgc_record *im = add_rec(&f, "image");
    pgc_record_f32_2d(im, 4, 4, NULL);
    pgc_score s;
    pgc_score_init(&s, 0.5);
    pgc_score_row row;
    pgc_err e = {{0}};
    EXPECT(pgc_score_frame(&s, &f, NULL, &row, &e) == 0); // was -1 with no message
    EXPECT(row.label == -1 && !row.has_label && metric_of(&s, "frames") == 1);
    pgc_score_free(&s);
    pgc_frame_free(&f);
}

static void an_empty_pgcam_map_is_refused_naming_the_frame(void)
{
    pgc_frame f = {0};
    add_boxes(&f, "truth", (float[]){0, 0, 2, 2}, 1);
    pgc_record *m = add_rec(&f, "pgcam");
    pgc_record_f32_2d(m, 0, 0, NULL);
    pgc_score s;
    pgc_score_init(&s, 0.5);
    pgc_err e = {{0}};
    EXPECT(pgc_score_frame(&s, &f, NULL, NULL, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "frame 's1'") && strstr(e.msg, "empty"));
    EXPECT(pgc_score_add_map(&s, NULL, 0, 16, &pgc_transform_identity, (float[]){0, 0, 2, 2}, 1,
                             NULL, &e) == PGC_EINPUT);
    EXPECT(s.map_frames == 0);
    pgc_score_free(&s);
    pgc_frame_free(&f);
}

int main(void)
{
    RUN(iobb_is_intersection_over_the_predicted_box);
    RUN(a_hit_needs_iobb_strictly_above_one_fifth);
    RUN(a_known_set_of_boxes_gives_known_scores);
    RUN(several_boxes_on_one_truth_box_are_all_true_positives);
    RUN(the_code_gives_table_2s_f1_and_accuracy_pairs);
    RUN(accuracy_is_f1_over_two_minus_f1_when_each_truth_box_is_hit_once);
    RUN(no_truth_and_no_prediction_scores_zero_not_nan);
    RUN(iou_matching_is_one_to_one);
    RUN(maxboxacc_v2_takes_the_best_threshold_per_delta);
    RUN(maxboxacc_normalises_the_map_first);
    RUN(an_all_zero_map_finds_nothing);
    RUN(pointing_takes_the_first_maximum_and_the_transform);
    RUN(roc_auc_averages_tied_ranks);
    RUN(classification_counts_use_the_probability_threshold);
    RUN(frames_are_scored_from_their_records);
    RUN(frames_without_truth_count_for_classification_only);
    RUN(bad_labels_and_boxes_are_errors);
    RUN(a_confusion_matrix_counts_true_types_against_the_named_class);
    RUN(a_frame_without_a_label_is_scored_not_refused);
    RUN(an_empty_pgcam_map_is_refused_naming_the_frame);
    return check_done();
}

/* Scores (format/network.md, section 7).
 *
 * Choices the paper leaves open, fixed here (and stated in format/network.md):
 * - IoU precision / recall / F1 at delta: predicted and ground truth boxes are matched
 *   one to one (greedy, largest IoU first), a match needs IoU >= delta; precision =
 *   matches / predicted boxes, recall = matches / ground truth boxes.
 * - recall = 1 - FN / GT is computed as (GT - FN) / GT so that no ground truth gives
 *   0/0 -> 0 rather than 1.
 * - MaxBoxAccV2 (Choe et al. 2020): the map is min-max normalised, then for each
 *   threshold t in 0.00..0.99 every 8-connected region strictly above t gives a box (the
 *   same rule as pgc-box, instead of OpenCV contours); a frame is right at (t, delta)
 *   when some box has IoU >= delta with some truth box. Boxes are half-open (the
 *   reference code adds 1 to widths). Only frames with at least one truth box count,
 *   as for the pointing game.
 */
#include "score.h"
#include "fuse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double pgc_score_delta[PGC_SCORE_NDELTA] = {0.3, 0.5, 0.7};

double pgc_box_area(const float b[4])
{
    double w = (double)b[2] - b[0], h = (double)b[3] - b[1];
    return w > 0 && h > 0 ? w * h : 0;
}

static double box_inter(const float a[4], const float b[4])
{
    double w = fmin(a[2], b[2]) - fmax(a[0], b[0]);
    double h = fmin(a[3], b[3]) - fmax(a[1], b[1]);
    return w > 0 && h > 0 ? w * h : 0;
}

double pgc_box_iobb(const float b[4], const float g[4])
{
    return pgc_ratio(box_inter(b, g), pgc_box_area(b));
}

double pgc_box_iou(const float a[4], const float b[4])
{
    double i = box_inter(a, b);
    return pgc_ratio(i, pgc_box_area(a) + pgc_box_area(b) - i);
}

void pgc_score_iobb(const float *pred, size_t np, const float *gt, size_t ng,
                    pgc_iobb_counts *c)
{
    c->tp = c->fp = c->fn = 0;
    for (size_t i = 0; i < np; i++) {
        int hit = 0;
        for (size_t j = 0; j < ng && !hit; j++) hit = pgc_box_iobb(pred + 4 * i, gt + 4 * j) > PGC_IOBB_HIT;
        if (hit) c->tp++;
        else c->fp++;
    }
    for (size_t j = 0; j < ng; j++) {
        int hit = 0;
        for (size_t i = 0; i < np && !hit; i++) hit = pgc_box_iobb(pred + 4 * i, gt + 4 * j) > PGC_IOBB_HIT;
        if (!hit) c->fn++;
    }
}

/* A predicted box's best ground truth box still free: the pair's IoU and indices. */
typedef struct {
    double iou;
    size_t i, j;
} iou_pair;

/* The greedy order: larger IoU first, then the lower predicted, then ground truth index. */
static int pair_before(const iou_pair *a, const iou_pair *b)
{
    if (a->iou != b->iou) return a->iou > b->iou;
    if (a->i != b->i) return a->i < b->i;
    return a->j < b->j;
}

/* Predicted box i's best pair among the ground truth boxes not used, or iou -1 if none
 * reaches delta. */
static iou_pair best_free(const float *pred, size_t i, const float *gt, size_t ng,
                          const unsigned char *used, double delta)
{
    iou_pair b = {-1, i, 0};
    for (size_t j = 0; j < ng; j++) {
        if (used[j]) continue;
        double v = pgc_box_iou(pred + 4 * i, gt + 4 * j);
        if (!(v >= delta) || v <= 0) continue;
        if (v > b.iou) b.iou = v, b.j = j; /* ties: the lower j, found first */
    }
    return b;
}

static void heap_down(iou_pair *h, size_t n, size_t k)
{
    for (;;) {
        size_t c = 2 * k + 1;
        if (c >= n) return;
        if (c + 1 < n && pair_before(&h[c + 1], &h[c])) c++;
        if (!pair_before(&h[c], &h[k])) return;
        iou_pair t = h[c];
        h[c] = h[k], h[k] = t, k = c;
    }
}

/* Greedy matching by decreasing IoU in memory linear in np + ng (a list of all pairs
 * was quadratic: 20,000 boxes each way took gigabytes). A heap holds each predicted
 * box's best free partner; a partner taken since is looked up again when its entry
 * reaches the top. Its key can only fall, so the top entry, once current, is the best
 * pair left: the matching is the one the sorted pair list gave. */
int pgc_score_iou_matches(const float *pred, size_t np, const float *gt, size_t ng,
                          double delta, long *matches, pgc_err *e)
{
    *matches = 0;
    iou_pair *heap = malloc((np + 1) * sizeof *heap);
    unsigned char *used = calloc(ng + 1, 1);
    if (!heap || !used) {
        free(heap), free(used);
        return pgc_errf(e, PGC_ENOMEM, "out of memory matching %zu boxes", np);
    }
    size_t n = 0;
    for (size_t i = 0; i < np; i++) {
        iou_pair b = best_free(pred, i, gt, ng, used, delta);
        if (b.iou >= 0) heap[n++] = b;
    }
    for (size_t k = n / 2; k-- > 0;) heap_down(heap, n, k);
    while (n) {
        if (!used[heap[0].j]) {
            used[heap[0].j] = 1;
            (*matches)++;
            heap[0] = heap[--n];
        } else {
            heap[0] = best_free(pred, heap[0].i, gt, ng, used, delta);
            if (heap[0].iou < 0) heap[0] = heap[--n];
        }
        heap_down(heap, n, 0);
    }
    free(heap);
    free(used);
    return PGC_OK;
}

int pgc_score_pointing(const float *map, size_t h, size_t w, const pgc_transform *t,
                       const float *gt, size_t ng)
{
    size_t hw = h * w, best = 0;
    if (!hw) return 0;
    for (size_t i = 1; i < hw; i++)
        if (map[i] > map[best]) best = i;
    double x, y;
    pgc_transform_apply(t, (double)(best % w) + 0.5, (double)(best / w) + 0.5, &x, &y);
    for (size_t j = 0; j < ng; j++) {
        const float *g = gt + 4 * j;
        if (x >= g[0] && x < g[2] && y >= g[1] && y < g[3]) return 1;
    }
    return 0;
}

void pgc_score_init(pgc_score *s, double prob_threshold)
{
    memset(s, 0, sizeof *s);
    s->prob_threshold = prob_threshold;
}

void pgc_score_free(pgc_score *s)
{
    free(s->probs);
    free(s->labels);
    free(s->norm);
    pgc_mapboxes_free(&s->mb);
    memset(s, 0, sizeof *s);
}

int pgc_score_add_boxes(pgc_score *s, const float *pred, size_t np, const float *gt,
                        size_t ng, pgc_score_row *row, pgc_err *e)
{
    pgc_iobb_counts c;
    pgc_score_iobb(pred, np, gt, ng, &c);
    long m[PGC_SCORE_NDELTA];
    for (int d = 0; d < PGC_SCORE_NDELTA; d++) {
        int rc = pgc_score_iou_matches(pred, np, gt, ng, pgc_score_delta[d], &m[d], e);
        if (rc) return rc;
    }
    s->box_frames++;
    s->gt += (long)ng, s->pred += (long)np;
    s->tp += c.tp, s->fp += c.fp, s->fn += c.fn;
    for (int d = 0; d < PGC_SCORE_NDELTA; d++) s->iou_matches[d] += m[d];
    if (row) {
        row->has_boxes = 1;
        row->ngt = (long)ng, row->npred = (long)np;
        row->tp = c.tp, row->fp = c.fp, row->fn = c.fn;
        row->best_iou = NAN;
        for (size_t i = 0; i < np; i++)
            for (size_t j = 0; j < ng; j++) {
                double v = pgc_box_iou(pred + 4 * i, gt + 4 * j);
                if (isnan(row->best_iou) || v > row->best_iou) row->best_iou = v;
            }
    }
    return PGC_OK;
}

int pgc_score_add_map(pgc_score *s, const float *map, size_t h, size_t w,
                      const pgc_transform *map_t, const float *gt, size_t ng, pgc_score_row *row,
                      pgc_err *e)
{
    if (!ng) return PGC_OK; // both scores need an object to find
    size_t hw = h * w;
    if (!hw) return pgc_errf(e, PGC_EINPUT, "map of %zu x %zu pixels is empty", h, w);
    if (hw > s->norm_cap) {
        float *nm = realloc(s->norm, hw * sizeof *nm);
        if (!nm) return pgc_errf(e, PGC_ENOMEM, "out of memory for a %zu x %zu map", h, w);
        s->norm = nm;
        s->norm_cap = hw;
    }
    memcpy(s->norm, map, hw * sizeof *map);
    float *m = s->norm; // (h, w)
    for (size_t i = 0; i < hw; i++)
        if (!isfinite(m[i])) return pgc_errf(e, PGC_EINPUT, "map holds NaN or Inf at pixel %zu", i);
    int hit = pgc_score_pointing(m, h, w, map_t, gt, ng);
    // normalise only after pointing: the argmax is the same, ties included
    // (a constant map normalises to zeros: the pixel is (0, 0) either way)
    pgc_normalise_minmax(m, hw);
    for (int t = 0; t < PGC_SCORE_NTHR; t++) {
        int rc = pgc_mapboxes_find(&s->mb, m, h, w, t / (double)PGC_SCORE_NTHR, e);
        if (rc) return rc;
        double best = 0;
        for (size_t i = 0; i < s->mb.n; i++) {
            const pgc_region_box *r = &s->mb.box[i];
            float b[4] = {(float)r->x0, (float)r->y0, (float)r->x1, (float)r->y1};
            pgc_transform_box(map_t, b, b);
            for (size_t j = 0; j < ng; j++) best = fmax(best, pgc_box_iou(b, gt + 4 * j));
        }
        for (int d = 0; d < PGC_SCORE_NDELTA; d++) s->boxacc[t][d] += best >= pgc_score_delta[d];
    }
    s->map_frames++;
    s->point_hits += hit;
    if (row) {
        row->has_map = 1;
        row->pointing = hit;
    }
    return PGC_OK;
}

int pgc_score_add_class(pgc_score *s, int tumour, double prob, pgc_err *e)
{
    if ((size_t)s->cls_frames == s->cls_cap) {
        size_t cap = s->cls_cap ? 2 * s->cls_cap : 256;
        float *p = realloc(s->probs, cap * sizeof *p);
        if (p) s->probs = p;
        unsigned char *y = p ? realloc(s->labels, cap) : NULL;
        if (y) s->labels = y;
        if (!p || !y) return pgc_errf(e, PGC_ENOMEM, "out of memory for %zu probabilities", cap);
        s->cls_cap = cap;
    }
    s->probs[s->cls_frames] = (float)prob;
    s->labels[s->cls_frames] = (unsigned char)!!tumour;
    s->cls_frames++;
    pgc_confusion_add(&s->cls, tumour, pgc_prob_is_tumour(prob, s->prob_threshold));
    return PGC_OK;
}

/* The cap on boxes a frame (score.h): matching is quadratic in time. */
static int too_many(pgc_err *e, const char *id, size_t n, const char *what)
{
    return pgc_errf(e, PGC_EINPUT, "frame '%s': %zu %s boxes, more than the limit of %d a frame "
                    "(PGC_SCORE_MAX_BOXES)", id, n, what, PGC_SCORE_MAX_BOXES);
}

/* Reads a `box coord` record (f32, n x 4, n may be 0). */
static int boxes_of(const pgc_record *r, const char *what, const char *id, const float **xy,
                    size_t *n, pgc_err *e)
{
    int ok = r->dtype == PGC_DT_F32 &&
             ((r->rank == 2 && r->dims[1] == 4) || (r->rank == 1 && r->dims[0] == 0));
    if (!ok) return pgc_errf(e, PGC_EINPUT, "frame '%s': %s is not f32 (box coord) n x 4", id, what);
    *xy = r->data;
    *n = r->rank == 2 ? r->dims[0] : 0;
    if (*n > PGC_SCORE_MAX_BOXES)
        return too_many(e, id, *n, what);
    for (size_t i = 0; i < 4 * *n; i++)
        if (!isfinite((*xy)[i]))
            return pgc_errf(e, PGC_EINPUT, "frame '%s': %s holds NaN or Inf", id, what);
    return PGC_OK;
}

/* The frame's weak label into *label: 1 tumour, 0 none, -1 absent. PGC_EINPUT when it
 * is neither (a separate code: -1 is PGC_EINPUT too, so an absent label is not an error). */
static int frame_label(const pgc_frame *f, const char *id, int *label, pgc_err *e)
{
    char buf[64];
    int i = pgc_frame_find(f, "image");
    const char *v = i >= 0 ? pgc_meta_get(&f->rec[i], "label", buf, sizeof buf) : NULL;
    for (i = 0; !v && i < f->n; i++) v = pgc_meta_get(&f->rec[i], "label", buf, sizeof buf);
    *label = !v ? -1 : !strcmp(v, "tumour") ? 1 : !strcmp(v, "none") ? 0 : -2;
    if (*label == -2)
        return pgc_errf(e, PGC_EINPUT, "frame '%s': bad label '%s' (want tumour or none)", id, v);
    return PGC_OK;
}

static int class_slot(pgc_score *s, const char *name)
{
    for (int k = 0; k < s->ncls; k++)
        if (!strcmp(s->cls_name[k], name)) return k;
    if (s->ncls == PGC_SCORE_MAX_CLASSES - 1) name = "other";
    for (int k = 0; k < s->ncls; k++)
        if (!strcmp(s->cls_name[k], name)) return k;
    snprintf(s->cls_name[s->ncls], sizeof s->cls_name[0], "%s", name);
    return s->ncls++;
}

void pgc_score_add_type(pgc_score *s, const char *truth, const char *pred)
{
    int t = class_slot(s, truth), p = class_slot(s, pred);
    s->confusion[t][p]++;
    s->type_frames++;
}

/* The frame's true class for the confusion matrix (none, or the image's tumour_type) and
 * the class its prob record names; 0 when either is unknown. */
static int frame_types(const pgc_frame *f, int label, char *truth, char *pred, size_t n)
{
    int pi = pgc_frame_find(f, "prob"), ii = pgc_frame_find(f, "image");
    if (pi < 0 || label < 0 || !pgc_meta_get(&f->rec[pi], "class", pred, n)) return 0;
    if (label == 0) {
        snprintf(truth, n, "none");
        return 1;
    }
    return ii >= 0 && pgc_meta_get(&f->rec[ii], "tumour_type", truth, n) && strcmp(truth, "unknown");
}

int pgc_score_frame(pgc_score *s, const pgc_frame *f, const pgc_score_truth *ext,
                    pgc_score_row *row, pgc_err *e)
{
    pgc_score_row tmp;
    if (!row) row = &tmp;
    memset(row, 0, sizeof *row);
    row->best_iou = row->prob = NAN;
    row->pointing = -1;
    pgc_frame_id(f, row->frame, sizeof row->frame);
    const char *id = row->frame;
    s->frames++;

    const float *gt = NULL, *pred = NULL;
    size_t ng = 0, np = 0;
    int rc, ti = pgc_frame_find(f, "truth");
    if (ext && ext->use) {
        row->has_truth = ext->have;
        gt = ext->xyxy, ng = ext->n;
        if (ng > PGC_SCORE_MAX_BOXES) return too_many(e, id, ng, "truth");
    } else if (ti >= 0) {
        row->has_truth = 1;
        if ((rc = boxes_of(&f->rec[ti], "truth", id, &gt, &ng, e))) return rc;
    }
    row->ngt = (long)ng;
    const char *pname = ext && ext->use ? "boxes.src" : "boxes";
    int pi = pgc_frame_find(f, pname);
    if (row->has_truth && pi >= 0) {
        if ((rc = boxes_of(&f->rec[pi], pname, id, &pred, &np, e))) return rc;
        if ((rc = pgc_score_add_boxes(s, pred, np, gt, ng, row, e))) return rc;
    }
    int mi = pgc_frame_find(f, "pgcam");
    if (row->has_truth && mi >= 0) {
        const pgc_record *m = &f->rec[mi];
        if ((rc = pgc_map_check(m, id, "pgcam", e))) return rc;
        int ii = pgc_frame_find(f, "image");
        if (ii >= 0 && memcmp(f->rec[ii].dims, m->dims, 2 * sizeof m->dims[0]))
            return pgc_errf(e, PGC_EINPUT, "frame '%s': pgcam is %llu x %llu but the image is "
                            "%llu x %llu", id, (unsigned long long)m->dims[0],
                            (unsigned long long)m->dims[1], (unsigned long long)f->rec[ii].dims[0],
                            (unsigned long long)f->rec[ii].dims[1]);
        pgc_transform t = pgc_transform_identity;
        if (ext && ext->use && (rc = pgc_transform_of(m, id, &t, e))) return rc;
        if ((rc = pgc_score_add_map(s, m->data, m->dims[0], m->dims[1], &t, gt, ng, row, e)))
            return rc;
    }

    int label;
    if ((rc = frame_label(f, id, &label, e))) return rc;
    row->label = label;
    row->has_label = label >= 0;
    rc = pgc_frame_prob(f, &row->prob, e);
    if (rc < 0) return rc;
    row->has_prob = rc;
    if (!rc) row->prob = NAN;
    if (row->has_label && row->has_prob && (rc = pgc_score_add_class(s, label, row->prob, e)))
        return rc;
    char truth[32], named[32];
    if (frame_types(f, label, truth, named, sizeof truth)) pgc_score_add_type(s, truth, named);
    return PGC_OK;
}

static void metric(pgc_metric *out, int *n, const char *name, double v, int kind)
{
    pgc_metric *m = &out[(*n)++];
    snprintf(m->name, sizeof m->name, "%s", name);
    m->value = v;
    m->kind = kind;
}

int pgc_score_metrics(const pgc_score *s, pgc_metric *out)
{
    int n = 0;
    metric(out, &n, "frames", (double)s->frames, 0);

    int nb = s->box_frames ? 1 : 2;
    metric(out, &n, "frames_boxes", (double)s->box_frames, 0);
    metric(out, &n, "gt_boxes", (double)s->gt, 0);
    metric(out, &n, "pred_boxes", (double)s->pred, 0);
    metric(out, &n, "tp", (double)s->tp, 0);
    metric(out, &n, "fp", (double)s->fp, 0);
    metric(out, &n, "fn", (double)s->fn, 0);
    double p = pgc_ratio(s->tp, s->tp + s->fp), r = pgc_ratio(s->gt - s->fn, s->gt);
    metric(out, &n, "iobb_precision", p, nb);
    metric(out, &n, "iobb_recall", r, nb);
    metric(out, &n, "iobb_f1", pgc_ratio(2 * p * r, p + r), nb);
    metric(out, &n, "iobb_accuracy", pgc_ratio(s->tp, s->tp + s->fp + s->fn), nb);
    for (int d = 0; d < PGC_SCORE_NDELTA; d++) {
        char name[32];
        double ip = pgc_ratio(s->iou_matches[d], s->pred), ir = pgc_ratio(s->iou_matches[d], s->gt);
        snprintf(name, sizeof name, "iou%02.0f_precision", 100 * pgc_score_delta[d]);
        metric(out, &n, name, ip, nb);
        snprintf(name, sizeof name, "iou%02.0f_recall", 100 * pgc_score_delta[d]);
        metric(out, &n, name, ir, nb);
        snprintf(name, sizeof name, "iou%02.0f_f1", 100 * pgc_score_delta[d]);
        metric(out, &n, name, pgc_ratio(2 * ip * ir, ip + ir), nb);
    }

    int nm = s->map_frames ? 1 : 2;
    metric(out, &n, "frames_map", (double)s->map_frames, 0);
    double v2 = 0;
    for (int d = 0; d < PGC_SCORE_NDELTA; d++) {
        long best = 0;
        int best_t = 0;
        for (int t = 0; t < PGC_SCORE_NTHR; t++)
            if (s->boxacc[t][d] > best) best = s->boxacc[t][d], best_t = t;
        double acc = pgc_ratio(best, s->map_frames);
        v2 += acc / PGC_SCORE_NDELTA;
        char name[32];
        snprintf(name, sizeof name, "maxboxacc_iou%02.0f", 100 * pgc_score_delta[d]);
        metric(out, &n, name, acc, nm);
        snprintf(name, sizeof name, "maxboxacc_iou%02.0f_thr", 100 * pgc_score_delta[d]);
        metric(out, &n, name, best_t / (double)PGC_SCORE_NTHR, nm);
    }
    metric(out, &n, "maxboxacc_v2", v2, nm);
    metric(out, &n, "pointing_game", pgc_ratio(s->point_hits, s->map_frames), nm);

    int nc = s->cls_frames ? 1 : 2;
    metric(out, &n, "frames_label", (double)s->cls_frames, 0);
    pgc_metrics cm;
    pgc_metrics_from_confusion(&s->cls, &cm);
    metric(out, &n, "cls_accuracy", cm.acc, nc);
    metric(out, &n, "sensitivity", cm.sens, nc);
    metric(out, &n, "specificity", cm.spec, nc);
    double auc = 0;
    int auc_kind = nc;
    if (s->cls_frames && pgc_roc_auc(s->probs, s->labels, (size_t)s->cls_frames, &auc, NULL))
        auc_kind = 2; // out of memory: say n/a rather than a wrong number
    metric(out, &n, "roc_auc", auc, auc_kind);
    if (!s->type_frames) return n; /* a two-class model names no types */
    long hits = 0;
    for (int k = 0; k < s->ncls; k++) hits += s->confusion[k][k];
    metric(out, &n, "type_frames", (double)s->type_frames, 0);
    metric(out, &n, "type_accuracy", pgc_ratio(hits, s->type_frames), 1);
    for (int t = 0; t < s->ncls; t++) {
        long row = 0;
        for (int q = 0; q < s->ncls; q++) row += s->confusion[t][q];
        if (!row) continue; /* a class only ever predicted has no accuracy */
        char name[80];
        snprintf(name, sizeof name, "class_accuracy.%s", s->cls_name[t]);
        metric(out, &n, name, pgc_ratio(s->confusion[t][t], row), 1);
    }
    for (int t = 0; t < s->ncls; t++)
        for (int q = 0; q < s->ncls; q++) {
            char name[80];
            snprintf(name, sizeof name, "confusion.%s.%s", s->cls_name[t], s->cls_name[q]);
            metric(out, &n, name, (double)s->confusion[t][q], 0);
        }
    return n;
}

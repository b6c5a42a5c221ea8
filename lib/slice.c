#include "slice.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int pgc_slice_meta(pgc_record *r, const pgc_slice_info *s, const char *name, pgc_err *e)
{
    pgc_meta_clear(r);
    int rc;
    if ((rc = pgc_meta_set(r, "frame", s->frame, e)) || (rc = pgc_meta_set(r, "name", name, e)) ||
        (rc = pgc_meta_set(r, "source", s->source, e)) ||
        (rc = pgc_meta_set(r, "axis", s->axis, e)) ||
        (rc = pgc_meta_setf(r, "index", e, "%ld", s->index)) ||
        (rc = pgc_meta_setf(r, "spacing", e, "%.9g %.9g", s->spacing[0], s->spacing[1])) ||
        (rc = pgc_transform_set(r, &s->transform, e)))
        return rc;
    if (s->label && (rc = pgc_meta_set(r, "label", s->label, e))) return rc;
    if (s->label && !strcmp(s->label, "tumour") && s->tumour_type &&
        (rc = pgc_meta_set(r, "tumour_type", s->tumour_type, e)))
        return rc;
    return PGC_OK;
}

void pgc_slice_frame_id(const char *path, char *buf, size_t bufsz)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 3 && !strcmp(b + n - 3, ".gz")) n -= 3;
    for (size_t i = n; i > 0; i--)
        if (b[i - 1] == '.') {
            if (i > 1) n = i - 1; /* a leading dot is a hidden file, not an extension */
            break;
        }
    snprintf(buf, bufsz, "%.*s", (int)n, b);
}

int pgc_slice_truth(pgc_record *truth, const pgc_slice_info *s, const float *xyxy, size_t n,
                    pgc_err *e)
{
    int rc = pgc_record_boxes(truth, n, e);
    if (rc) return rc;
    if (n) memcpy(truth->data, xyxy, n * 4 * sizeof *xyxy);
    return pgc_slice_meta(truth, s, "truth", e);
}

int pgc_slice_truth_regions(pgc_record *truth, const pgc_slice_info *s, const pgc_regions *g,
                            pgc_err *e)
{
    int rc = pgc_record_boxes(truth, g->n, e);
    if (rc) return rc;
    float *v = truth->data; // (box, coord)
    for (size_t i = 0; i < g->n; i++) {
        v[4 * i + 0] = (float)g->reg[i].x0;
        v[4 * i + 1] = (float)g->reg[i].y0;
        v[4 * i + 2] = (float)g->reg[i].x1;
        v[4 * i + 3] = (float)g->reg[i].y1;
    }
    return pgc_slice_meta(truth, s, "truth", e);
}

/* ---- orientation */

int pgc_orient_from_matrix(const double m[3][3], pgc_orient *o, pgc_err *e)
{
    double cosine[3][3]; /* cosine[w][a]: world component w of array axis a's direction */
    for (int a = 0; a < 3; a++) {
        double norm = 0;
        for (int w = 0; w < 3; w++) {
            if (!isfinite(m[w][a])) return pgc_errf(e, PGC_EINPUT, "orientation matrix is not finite");
            norm += m[w][a] * m[w][a];
        }
        norm = sqrt(norm);
        if (!(norm > 1e-12)) return pgc_errf(e, PGC_EINPUT, "orientation matrix has a zero column");
        for (int w = 0; w < 3; w++) cosine[w][a] = m[w][a] / norm;
    }
    /* The permutation of the 6 with the largest total |cosine|: one array axis per world
     * axis even for oblique scans, where picking each axis's largest component alone
     * could give two array axes the same world axis. */
    static const int perm[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    int best = 0;
    double best_sum = -1;
    for (int p = 0; p < 6; p++) {
        double sum = 0; /* perm[p][w] is the array axis of world axis w */
        for (int w = 0; w < 3; w++) sum += fabs(cosine[w][perm[p][w]]);
        if (sum > best_sum + 1e-12) best_sum = sum, best = p;
    }
    for (int w = 0; w < 3; w++) {
        int a = perm[best][w];
        o->axis[w] = a;
        o->sign[w] = cosine[w][a] >= 0 ? 1 : -1;
    }
    double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                 m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                 m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    if (!(fabs(det) > 1e-12)) return pgc_errf(e, PGC_EINPUT, "orientation matrix is singular");
    return PGC_OK;
}

const char *pgc_view_name(pgc_view v)
{
    return v == PGC_VIEW_AXIAL ? "axial" : v == PGC_VIEW_CORONAL ? "coronal" : "sagittal";
}

void pgc_view_plan(const pgc_orient *o, pgc_view v, const size_t dims[3], pgc_view_map *m)
{
    enum { R = 0, A = 1, S = 2 };
    /* World axis cut across, along rows, along columns; rows and columns both run toward
     * decreasing world coordinate (A -> P, S -> I, R -> L). */
    static const int plan[3][3] = {{S, A, R}, {A, S, R}, {R, S, A}};
    int cut = plan[v][0], row = plan[v][1], col = plan[v][2];
    m->slice_axis = o->axis[cut];
    m->row_axis = o->axis[row];
    m->col_axis = o->axis[col];
    /* Index 0 is the most R/A/S end when the array index grows toward -w. */
    m->row_flip = o->sign[row] > 0;
    m->col_flip = o->sign[col] > 0;
    m->h = dims[m->row_axis];
    m->w = dims[m->col_axis];
    m->n = dims[m->slice_axis];
}

void pgc_view_extract(const pgc_view_map *m, const float *vol, const size_t dims[3], size_t k,
                      float *img)
{
    const size_t stride[3] = {1, dims[0], dims[0] * dims[1]};
    size_t sr = stride[m->row_axis], sc = stride[m->col_axis];
    const float *base = vol + k * stride[m->slice_axis];
    for (size_t r = 0; r < m->h; r++) {
        size_t vr = m->row_flip ? m->h - 1 - r : r;
        const float *row = base + vr * sr;
        float *out = img + r * m->w; // (h, w)
        if (m->col_flip)
            for (size_t c = 0; c < m->w; c++) out[c] = row[(m->w - 1 - c) * sc];
        else
            for (size_t c = 0; c < m->w; c++) out[c] = row[c * sc];
    }
}

pgc_transform pgc_view_transform(const pgc_view_map *m, const size_t dims[3])
{
    /* Along columns the source index is x (or w - x when flipped, since pixel c covers
     * source [w-1-c, w-c)); along rows the same with y. */
    double cs = m->col_flip ? -1 : 1, co = m->col_flip ? (double)dims[m->col_axis] : 0;
    double rs = m->row_flip ? -1 : 1, ro = m->row_flip ? (double)dims[m->row_axis] : 0;
    pgc_transform t;
    if (m->col_axis < m->row_axis) /* source x follows image columns */
        t = (pgc_transform){cs, 0, co, 0, rs, ro};
    else
        t = (pgc_transform){0, rs, ro, cs, 0, co};
    return t;
}

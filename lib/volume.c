#include "volume.h"

#include "boxes.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAP 1e-6 /* source-pixel fractions this close to whole are whole */

void pgc_volume_free(pgc_volume *v)
{
    free(v->source);
    pgc_nifti_free(&v->grid);
    free(v->data);
    free(v->seen), free(v->tumour), free(v->boxed), free(v->prob);
    memset(v, 0, sizeof *v);
}

int pgc_volume_frame_key(const pgc_frame *f, char *source, size_t srcsz, char *axis,
                         size_t axsz)
{
    if (f->n < 1) return -1;
    const pgc_record *r = &f->rec[0];
    return pgc_meta_get(r, "source", source, srcsz) && pgc_meta_get(r, "axis", axis, axsz) ? 0 : -1;
}

int pgc_volume_begin(pgc_volume *v, const char *source, const char *axis, pgc_err *e)
{
    pgc_view view;
    if (!strcmp(axis, "axial")) view = PGC_VIEW_AXIAL;
    else if (!strcmp(axis, "coronal")) view = PGC_VIEW_CORONAL;
    else if (!strcmp(axis, "sagittal")) view = PGC_VIEW_SAGITTAL;
    else
        return pgc_errf(e, PGC_EINPUT, "frames of '%s' have axis '%.32s', not a volume's "
                        "(axial, coronal or sagittal)", source, axis);
    free(v->source);
    if (!(v->source = strdup(source))) return pgc_errf(e, PGC_ENOMEM, "out of memory");
    snprintf(v->axis, sizeof v->axis, "%s", axis);
    int rc = pgc_nifti_read_header_file(source, &v->grid, e);
    if (rc) return rc;
    pgc_orient o;
    if ((rc = pgc_orient_from_matrix((const double(*)[3])v->grid.m, &o, e)))
        return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", source, e->msg);
    const size_t *d = v->grid.dims;
    pgc_view_plan(&o, view, d, &v->vm);
    v->stride[0] = 1, v->stride[1] = d[0], v->stride[2] = d[0] * d[1];
    int a = v->vm.row_axis, b = v->vm.col_axis;
    v->lo_axis = a < b ? a : b;
    v->hi_axis = a < b ? b : a;
    size_t voxels = d[0] * d[1] * d[2];
    if (voxels > v->cap) {
        free(v->data);
        if (!(v->data = malloc(voxels * sizeof *v->data))) {
            v->cap = 0;
            return pgc_errf(e, PGC_ENOMEM, "'%s': out of memory for %zu voxels", source, voxels);
        }
        v->cap = voxels;
    }
    memset(v->data, 0, voxels * sizeof *v->data);
    size_t n = v->vm.n;
    if (n > v->ncap) {
        free(v->seen), free(v->tumour), free(v->boxed), free(v->prob);
        v->seen = malloc(n), v->tumour = malloc(n), v->boxed = malloc(n);
        v->prob = malloc(n * sizeof *v->prob);
        if (!v->seen || !v->tumour || !v->boxed || !v->prob) {
            v->ncap = 0;
            return pgc_errf(e, PGC_ENOMEM, "out of memory");
        }
        v->ncap = n;
    }
    memset(v->seen, 0, n), memset(v->tumour, 0, n), memset(v->boxed, 0, n);
    for (size_t k = 0; k < n; k++) v->prob[k] = NAN;
    v->frames = 0;
    v->have_first = v->have_box = 0;
    return PGC_OK;
}

static int is_boxes(const pgc_record *r)
{
    return r->dtype == PGC_DT_F32 && r->rank == 2 && r->dims[1] == 4 &&
           !strcmp(r->dimname[0], "box") && !strcmp(r->dimname[1], "coord");
}

static int is_map(const pgc_record *r)
{
    return r->dtype == PGC_DT_F32 && r->rank == 2 && r->dims[0] > 0 && r->dims[1] > 0;
}

/* The map's value at map-pixel point (x, y) (continuous, origin at the top-left corner). */
static float sample(const float *m, size_t h, size_t w, double x, double y)
{
    if (!(x >= 0 && y >= 0 && x < (double)w && y < (double)h)) return 0;
    double px = x - 0.5, py = y - 0.5;
    double x0 = floor(px), y0 = floor(py), fx = px - x0, fy = py - y0;
    if (fx < SNAP) fx = 0;
    else if (fx > 1 - SNAP) fx = 0, x0 += 1;
    if (fy < SNAP) fy = 0;
    else if (fy > 1 - SNAP) fy = 0, y0 += 1;
    long xa = (long)x0, ya = (long)y0, xb = xa + 1, yb = ya + 1;
    long W = (long)w - 1, H = (long)h - 1;
    xa = xa < 0 ? 0 : xa > W ? W : xa, xb = xb < 0 ? 0 : xb > W ? W : xb;
    ya = ya < 0 ? 0 : ya > H ? H : ya, yb = yb < 0 ? 0 : yb > H ? H : yb;
    const float *ra = m + (size_t)ya * w, *rb = m + (size_t)yb * w;
    if (fx == 0 && fy == 0) return ra[xa];
    double top = ra[xa] + fx * (ra[xb] - ra[xa]);
    double bot = rb[xa] + fx * (rb[xb] - rb[xa]);
    return (float)(top + fy * (bot - top));
}

/* Per in-plane axis: the frame's image must lie inside the source slice (a crop), hold
 * it (a pad), or match it; 2 when it matches. */
static int fits(double a0, double a1, double n)
{
    const double tol = 1e-3;
    if (fabs(a0) <= tol && fabs(a1 - n) <= tol) return 2;
    return (a0 >= -tol && a1 <= n + tol) || (a0 <= tol && a1 >= n - tol);
}

int pgc_volume_add(pgc_volume *v, const pgc_frame *f, const pgc_volume_opts *o, pgc_err *e)
{
    char id[256], buf[64];
    pgc_frame_id(f, id, sizeof id);
    int mi = pgc_frame_find(f, o->map);
    if (mi < 0) return pgc_errf(e, PGC_EINPUT, "frame '%s' has no '%s' record", id, o->map);
    const pgc_record *m = &f->rec[mi];
    int boxes = is_boxes(m);
    if (!boxes && !is_map(m))
        return pgc_errf(e, PGC_EINPUT, "frame '%s': '%s' is neither an f32 (y x) map nor a box "
                        "list", id, o->map);
    /* index */
    const char *s = pgc_meta_get(m, "index", buf, sizeof buf);
    char *end;
    errno = 0;
    long k = s ? strtol(s, &end, 10) : -1;
    if (!s || end == s || *end || errno)
        return pgc_errf(e, PGC_EINPUT, "frame '%s': no slice index", id);
    if (k < 0 || (size_t)k >= v->vm.n)
        return pgc_errf(e, PGC_EINPUT, "frame '%s': index %ld is outside '%s' (%zu %s slices)",
                        id, k, v->source, v->vm.n, v->axis);
    if (v->seen[k])
        return pgc_errf(e, PGC_EINPUT, "frame '%s': %s slice %ld of '%s' came before", id,
                        v->axis, k, v->source);
    /* geometry */
    pgc_transform t, inv;
    int rc = pgc_transform_get(m, &t, e);
    if (rc < 0) return pgc_errf(e, PGC_EINPUT, "frame '%s': %s", id, e->msg);
    if ((rc = pgc_transform_invert(&t, &inv, e)))
        return pgc_errf(e, PGC_EINPUT, "frame '%s': singular transform", id);
    int ii = pgc_frame_find(f, "image");
    size_t ih = 0, iw = 0;
    if (ii >= 0 && f->rec[ii].rank == 2) ih = f->rec[ii].dims[0], iw = f->rec[ii].dims[1];
    else if (!boxes) ih = m->dims[0], iw = m->dims[1];
    size_t mh = boxes ? 0 : m->dims[0], mw = boxes ? 0 : m->dims[1];
    if (!boxes && ih && (uint64_t)mh * iw != (uint64_t)mw * ih)
        return pgc_errf(e, PGC_EINPUT, "frame '%s': map '%s' is %zux%zu, not a scaling of its "
                        "image (%zux%zu)", id, o->map, mh, mw, ih, iw);
    const size_t W = v->grid.dims[v->lo_axis], H = v->grid.dims[v->hi_axis];
    if (!v->have_first) {
        v->have_first = 1, v->map_is_boxes = boxes, v->t0 = t;
        v->map_h = mh, v->map_w = mw, v->img_h = ih, v->img_w = iw;
    } else {
        const double *a = &v->t0.a, *b = &t.a;
        for (int q = 0; q < 6; q++)
            if (fabs(a[q] - b[q]) > 1e-9 * (1 + fabs(a[q])))
                return pgc_errf(e, PGC_EINPUT, "frame '%s': its transform disagrees with the "
                                "earlier frames of '%s' (%s)", id, v->source, v->axis);
        if (mh != v->map_h || mw != v->map_w || ih != v->img_h || iw != v->img_w)
            return pgc_errf(e, PGC_EINPUT, "frame '%s': its '%s' is %zux%zu (image %zux%zu), the "
                            "earlier frames' of '%s' %zux%zu (image %zux%zu)", id, o->map, mh, mw,
                            ih, iw, v->source, v->map_h, v->map_w, v->img_h, v->img_w);
    }
    if (ih) {
        float img[4] = {0, 0, (float)iw, (float)ih}, src[4];
        pgc_transform_box(&t, img, src);
        /* pgc-slice's images match the slice; pgc-prep's square keeps one side whole */
        int fx = fits(src[0], src[2], (double)W), fy = fits(src[1], src[3], (double)H);
        if (!fx || !fy || (fx != 2 && fy != 2))
            return pgc_errf(e, PGC_EINPUT, "frame '%s' does not fit the grid of '%s' (its image "
                            "covers source pixels %g..%g x %g..%g of %zux%zu)", id, v->source,
                            src[0], src[2], src[1], src[3], W, H);
    }
    /* the map, onto the slice */
    float *base = v->data + (size_t)k * v->stride[v->vm.slice_axis];
    size_t sx_stride = v->stride[v->lo_axis], sy_stride = v->stride[v->hi_axis];
    if (boxes) {
        const float *bx = m->data;
        size_t nb = m->dims[0];
        for (size_t q = 0; q < 4 * nb; q++)
            if (!isfinite(bx[q]))
                return pgc_errf(e, PGC_EINPUT, "frame '%s': box record '%s' holds NaN or Inf",
                                id, o->map);
        for (size_t sy = 0; sy < H; sy++)
            for (size_t sx = 0; sx < W; sx++) {
                double x, y;
                pgc_transform_apply(&inv, (double)sx + 0.5, (double)sy + 0.5, &x, &y);
                float val = 0;
                for (size_t q = 0; q < nb && !val; q++)
                    val = x >= bx[4 * q] && x < bx[4 * q + 2] && y >= bx[4 * q + 1] &&
                          y < bx[4 * q + 3];
                base[sx * sx_stride + sy * sy_stride] = val;
            }
    } else {
        const float *mp = m->data;
        if ((rc = pgc_map_check(m, id, o->map, e))) return rc;
        double scx = (double)mw / (double)iw, scy = (double)mh / (double)ih;
        for (size_t sy = 0; sy < H; sy++)
            for (size_t sx = 0; sx < W; sx++) {
                double x, y;
                pgc_transform_apply(&inv, (double)sx + 0.5, (double)sy + 0.5, &x, &y);
                if (scx != 1) x *= scx;
                if (scy != 1) y *= scy;
                base[sx * sx_stride + sy * sy_stride] = sample(mp, mh, mw, x, y);
            }
    }
    /* probability and boxes */
    double p;
    if ((rc = pgc_frame_prob(f, &p, e)) < 0) return rc;
    if (rc == 1) v->prob[k] = (float)p;
    v->tumour[k] = rc == 0 || p >= o->prob_threshold;
    int bi = o->boxes ? pgc_frame_find(f, o->boxes) : -1;
    if (bi >= 0) {
        const pgc_record *br = &f->rec[bi];
        if (!is_boxes(br))
            return pgc_errf(e, PGC_EINPUT, "frame '%s': '%s' is not a box list (f32 box coord)",
                            id, o->boxes);
        pgc_transform bt;
        if ((rc = pgc_transform_get(br, &bt, e)) < 0)
            return pgc_errf(e, PGC_EINPUT, "frame '%s': %s", id, e->msg);
        const float *bx = br->data;
        for (size_t q = 0; q < br->dims[0]; q++) {
            float sb[4];
            if (!isfinite(bx[4 * q]) || !isfinite(bx[4 * q + 1]) || !isfinite(bx[4 * q + 2]) ||
                !isfinite(bx[4 * q + 3]))
                return pgc_errf(e, PGC_EINPUT, "frame '%s': box record '%s' holds NaN or Inf",
                                id, o->boxes);
            pgc_transform_box(&bt, bx + 4 * q, sb);
            /* Outward to whole source pixels, forgiving the float rounding of a box that
             * pgc-prep scaled down and we scaled back. */
            double x0 = floor(sb[0] + 1e-3), y0 = floor(sb[1] + 1e-3);
            double x1 = ceil(sb[2] - 1e-3), y1 = ceil(sb[3] - 1e-3);
            if (x0 < 0) x0 = 0;
            if (y0 < 0) y0 = 0;
            if (x1 > (double)W) x1 = (double)W;
            if (y1 > (double)H) y1 = (double)H;
            if (!(x0 < x1 && y0 < y1)) continue;
            long lo[3], hi[3];
            lo[v->lo_axis] = (long)x0, hi[v->lo_axis] = (long)x1;
            lo[v->hi_axis] = (long)y0, hi[v->hi_axis] = (long)y1;
            lo[v->vm.slice_axis] = k, hi[v->vm.slice_axis] = k + 1;
            for (int a = 0; a < 3; a++) {
                if (!v->have_box || lo[a] < v->box_lo[a]) v->box_lo[a] = lo[a];
                if (!v->have_box || hi[a] > v->box_hi[a]) v->box_hi[a] = hi[a];
            }
            v->have_box = 1;
            v->boxed[k] = 1;
        }
    }
    v->seen[k] = 1;
    v->frames++;
    return PGC_OK;
}

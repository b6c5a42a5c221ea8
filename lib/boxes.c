/* Boxes from a thresholded map, and their mapping to source pixels. The 8-connected
 * components come from lib/regions. */
#include "boxes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pgc_mapboxes_free(pgc_mapboxes *b)
{
    free(b->box);
    free(b->mask);
    pgc_regions_free(&b->regions);
    memset(b, 0, sizeof *b);
}

int pgc_mapboxes_find(pgc_mapboxes *b, const float *map, size_t h, size_t w, double frac,
                      pgc_err *e)
{
    size_t hw = h * w;
    b->n = 0;
    if (!hw) return PGC_OK;
    if (h > UINT32_MAX / w)
        return pgc_errf(e, PGC_EINPUT, "map of %zu x %zu pixels is too large to label", h, w);
    float mx = map[0];
    for (size_t i = 1; i < hw; i++)
        if (map[i] > mx) mx = map[i];
    if (!(mx > 0)) return PGC_OK;
    if (hw > b->mask_cap) {
        uint8_t *m = realloc(b->mask, hw);
        if (!m) return pgc_errf(e, PGC_ENOMEM, "out of memory for a map of %zu pixels", hw);
        b->mask = m, b->mask_cap = hw;
    }
    double thr = frac * mx;
    for (size_t i = 0; i < hw; i++) b->mask[i] = map[i] > thr;
    int rc = pgc_regions_find(&b->regions, b->mask, h, w, e);
    if (rc) return rc;
    if (b->regions.n > b->cap) {
        pgc_region_box *nb = realloc(b->box, b->regions.n * sizeof *nb);
        if (!nb) return pgc_errf(e, PGC_ENOMEM, "out of memory for %zu boxes", b->regions.n);
        b->box = nb, b->cap = b->regions.n;
    }
    for (size_t i = 0; i < b->regions.n; i++) {
        const pgc_region *r = &b->regions.reg[i];
        b->box[i] = (pgc_region_box){(int32_t)r->x0, (int32_t)r->y0, (int32_t)r->x1,
                                     (int32_t)r->y1, (int64_t)r->npix, 0};
    }
    b->n = b->regions.n;
    return PGC_OK;
}

void pgc_mapboxes_peaks(pgc_mapboxes *b, const float *map, size_t w)
{
    for (size_t k = 0; k < b->n; k++) {
        pgc_region_box *r = &b->box[k];
        float peak = -INFINITY;
        for (int32_t y = r->y0; y < r->y1; y++)
            for (int32_t x = r->x0; x < r->x1; x++) {
                size_t i = (size_t)y * w + (size_t)x;
                if (b->mask[i] && map[i] > peak) peak = map[i];
            }
        r->peak = peak;
    }
}

void pgc_mapboxes_filter(pgc_mapboxes *b, int64_t min_area, int largest)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->box[i].area >= min_area) b->box[n++] = b->box[i];
    b->n = n;
    if (largest && n > 1) {
        size_t best = 0;
        for (size_t i = 1; i < n; i++)
            if (b->box[i].area > b->box[best].area) best = i;
        b->box[0] = b->box[best];
        b->n = 1;
    }
}

/* 1 with *p from r's `prob` key, 0 without one, PGC_EINPUT when it is not in [0, 1]. */
static int record_prob(const pgc_record *r, const char *id, double *p, pgc_err *e)
{
    char buf[64], *end;
    if (!pgc_meta_get(r, "prob", buf, sizeof buf)) return 0;
    *p = strtod(buf, &end);
    if (end == buf || *end || !(*p >= 0 && *p <= 1))
        return pgc_errf(e, PGC_EINPUT, "frame '%s': bad prob '%s' (want a number in [0, 1])",
                        id, buf);
    return 1;
}

int pgc_frame_prob(const pgc_frame *f, double *p, pgc_err *e)
{
    char id[256];
    pgc_frame_id(f, id, sizeof id);
    int i = pgc_frame_find(f, "prob"), rc;
    if (i >= 0 && (rc = record_prob(&f->rec[i], id, p, e))) return rc;
    if ((i = pgc_frame_find(f, "image")) >= 0 && (rc = record_prob(&f->rec[i], id, p, e)))
        return rc;
    for (i = 0; i < f->n; i++)
        if ((rc = record_prob(&f->rec[i], id, p, e))) return rc;
    return 0;
}

void pgc_mapboxes_select(pgc_mapboxes *b, double min_peak, size_t max_boxes)
{
    float top = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->box[i].peak > top) top = b->box[i].peak;
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->box[i].peak >= min_peak * top) b->box[n++] = b->box[i];
    /* insertion sort by peak, descending, stable: a handful of boxes */
    for (size_t i = 1; i < n; i++) {
        pgc_region_box t = b->box[i];
        size_t j = i;
        for (; j > 0 && b->box[j - 1].peak < t.peak; j--) b->box[j] = b->box[j - 1];
        b->box[j] = t;
    }
    b->n = max_boxes && n > max_boxes ? max_boxes : n;
}

void pgc_boxes_rule(pgc_boxes_opts *o, int product)
{
    o->largest = 0;
    o->min_area = 1;
    if (product) {
        o->frac = PGC_PRODUCT_FRAC, o->min_peak = PGC_PRODUCT_MIN_PEAK;
        o->min_area_frac = PGC_PRODUCT_MIN_AREA, o->max_boxes = PGC_PRODUCT_MAX_BOXES;
    } else {
        o->frac = 0.4, o->min_peak = 0, o->min_area_frac = 0, o->max_boxes = 0;
    }
}

int pgc_boxes_frame(pgc_frame *f, const pgc_boxes_opts *o, pgc_mapboxes *b, double *prob,
                    pgc_err *e)
{
    char id[256];
    pgc_frame_id(f, id, sizeof id);
    int mi = pgc_frame_find(f, o->map);
    if (mi < 0) return pgc_errf(e, PGC_EINPUT, "frame '%s' has no '%s' record", id, o->map);
    const pgc_record *m = &f->rec[mi];
    int rc = pgc_map_check(m, id, o->map, e);
    if (rc) return rc;
    size_t h = m->dims[0], w = m->dims[1];
    pgc_transform t;
    if ((rc = pgc_transform_of(m, id, &t, e))) return rc;
    *prob = NAN;
    if ((rc = pgc_frame_prob(f, prob, e)) < 0) return rc;
    b->n = 0;
    if (!(rc == 1 && *prob < o->prob_threshold)) {
        if ((rc = pgc_mapboxes_find(b, m->data, h, w, o->frac, e))) return rc;
        int64_t min_area = o->min_area;
        double rel = ceil(o->min_area_frac * (double)h * (double)w);
        if (rel > (double)min_area) min_area = (int64_t)rel;
        pgc_mapboxes_filter(b, min_area, o->largest);
        pgc_mapboxes_peaks(b, m->data, w);
        if (o->min_peak > 0 || o->max_boxes) pgc_mapboxes_select(b, o->min_peak, o->max_boxes);
    }

    int bi = pgc_frame_slot(f, "boxes", e), si = bi < 0 ? bi : pgc_frame_slot(f, "boxes.src", e);
    if (bi < 0 || si < 0) return PGC_ENOMEM;
    m = &f->rec[mi]; // pgc_frame_slot may have moved the records
    pgc_record *rb = &f->rec[bi], *rs = &f->rec[si];
    pgc_meta_clear(rb);
    pgc_meta_clear(rs);
    if ((rc = pgc_record_boxes(rb, b->n, e)) || (rc = pgc_record_boxes(rs, b->n, e))) return rc;
    // a map coarser than the image (--map cam.s3) covers the same area: scale its pixel
    // grid to the image's, whose transform the map carries
    double kx = 1, ky = 1;
    int ii = pgc_frame_find(f, "image");
    if (ii >= 0 && f->rec[ii].rank == 2 && f->rec[ii].dims[0] && f->rec[ii].dims[1])
        kx = (double)f->rec[ii].dims[1] / (double)w, ky = (double)f->rec[ii].dims[0] / (double)h;
    float *xy = rb->data, *sxy = rs->data; // (n, 4)
    for (size_t i = 0; i < b->n; i++) {
        const pgc_region_box *r = &b->box[i];
        float *p = xy + 4 * i;
        p[0] = (float)(r->x0 * kx), p[1] = (float)(r->y0 * ky);
        p[2] = (float)(r->x1 * kx), p[3] = (float)(r->y1 * ky);
        pgc_transform_box(&t, p, sxy + 4 * i);
    }
    const char *names[2] = {"boxes", "boxes.src"};
    pgc_record *outs[2] = {rb, rs};
    for (int k = 0; k < 2; k++)
        if ((rc = pgc_meta_inherit(outs[k], m, e)) ||
            (rc = pgc_meta_set(outs[k], "name", names[k], e)) ||
            (rc = pgc_meta_set(outs[k], "map", o->map, e)) ||
            (rc = pgc_meta_setf(outs[k], "frac", e, "%g", o->frac)))
            return rc;
    for (int k = 0; k < 2; k++) {
        pgc_meta_del(outs[k], "scale");
        pgc_meta_del(outs[k], "scales");
        pgc_meta_del(outs[k], "op");
    }
    return PGC_OK;
}

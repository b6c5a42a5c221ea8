/* pgc-prep's per-frame work: see prep_frame.h. */
#include "prep_frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pgc_prep_state_free(pgc_prep_state *st)
{
    pgc_prep_work_free(&st->work);
    free(st->src);
    memset(st, 0, sizeof *st);
}

/* Maps a box record (truth, boxes) onto the new grid: inv is old grid -> new grid. */
static int prep_boxes(pgc_record *r, const pgc_transform *inv, const pgc_transform *t,
                      double n, const char *spacing, pgc_err *e)
{
    char id[256], name[64];
    if (r->dtype != PGC_DT_F32 || r->rank != 2 || r->dims[1] != 4) /* named by its name, not its first dim */
        return pgc_errf(e, PGC_EINPUT, "frame '%s': %s record is not f32 (box, coord) n x 4",
                        pgc_meta_get(r, "frame", id, sizeof id) ? id : "",
                        pgc_meta_get(r, "name", name, sizeof name) ? name : "box");
    float *v = r->data; // (box, coord)
    uint64_t kept = 0;
    for (uint64_t i = 0; i < r->dims[0]; i++) {
        float b[4];
        pgc_transform_box(inv, v + 4 * i, b);
        for (int c = 0; c < 4; c++) b[c] = b[c] < 0 ? 0 : b[c] > n ? (float)n : b[c];
        if (!(b[0] < b[2] && b[1] < b[3])) continue; /* NaN lands here too */
        memcpy(v + 4 * kept++, b, sizeof b);
    }
    r->dims[0] = kept;
    int rc;
    if ((rc = pgc_transform_set(r, t, e)) ||
        (spacing && (rc = pgc_meta_set(r, "spacing", spacing, e))))
        return rc;
    return PGC_OK;
}

/* "frame '<id>': <what e says>", for the errors of steps that do not name the frame. */
static int in_frame(pgc_err *e, int rc, const char *id)
{
    pgc_err inner = *e;
    return pgc_errf(e, rc, "frame '%s': %s", id, inner.msg);
}

int pgc_prep_frame(pgc_frame *f, const pgc_prep_opts *o, pgc_prep_state *st, pgc_err *e)
{
    int rc, at = pgc_frame_find(f, "image");
    if (at < 0) return PGC_OK; /* nothing to prepare: the frame passes through */
    pgc_record *img = &f->rec[at];
    char id[512];
    pgc_frame_id(f, id, sizeof id);
    for (int i = at + 1; i < f->n; i++) /* truth follows one image: two would be ambiguous */
        if (pgc_record_is(&f->rec[i], "image"))
            return pgc_errf(e, PGC_EINPUT,
                            "frame '%s' holds more than one image record (frame ids must be unique)", id);
    if (img->rank != 2)
        return pgc_errf(e, PGC_EINPUT, "frame '%s': image has rank %d, want 2 (y x)", id, img->rank);
    size_t h = (size_t)img->dims[0], w = (size_t)img->dims[1], n = o->size;
    pgc_fit_plan plan;
    if ((rc = pgc_fit_plan_make(h, w, n, o->fit, &plan, e))) return in_frame(e, PGC_EINPUT, id);
    pgc_transform old, fit = pgc_fit_transform(&plan), now, inv;
    if ((rc = pgc_transform_get(img, &old, e)) < 0) return in_frame(e, PGC_EINPUT, id);
    now = pgc_transform_compose(&old, &fit);
    if (pgc_transform_invert(&fit, &inv, e)) return in_frame(e, PGC_EINPUT, id);

    if (h * w > st->src_cap) {
        free(st->src);
        st->src_cap = 0;
        st->src = malloc(h * w * sizeof *st->src);
        if (!st->src)
            return pgc_errf(e, PGC_ENOMEM, "frame '%s': out of memory for a %zux%zu image", id, h, w);
        st->src_cap = h * w;
    }
    pgc_prep_to_f32(img, st->src);
    if ((rc = pgc_prep_normalise(&st->work, st->src, h * w, o->norm, o->lo, o->hi, e)))
        return in_frame(e, PGC_EINPUT, id);
    /* The payload now lives in st->src: the record is reshaped in place, which keeps its
     * metadata in order; transform and spacing are updated where they stand. */
    char sp[256], spacing[256] = "";
    double sy, sx;
    if (pgc_meta_get(img, "spacing", sp, sizeof sp) && sscanf(sp, "%lf %lf", &sy, &sx) == 2)
        snprintf(spacing, sizeof spacing, "%.9g %.9g", sy / plan.sy, sx / plan.sx);
    char nm[64];
    pgc_norm_format(o->norm, o->lo, o->hi, nm, sizeof nm);
    if ((rc = pgc_record_f32_2d(img, n, n, e)) ||
        (rc = pgc_prep_resize(&st->work, st->src, h, w, &plan, img->data, e)) ||
        (rc = pgc_transform_set(img, &now, e)) ||
        (spacing[0] && (rc = pgc_meta_set(img, "spacing", spacing, e))) ||
        (rc = pgc_meta_set(img, "norm", nm, e)) ||
        (rc = pgc_meta_set(img, "fit", pgc_fit_name(o->fit), e)))
        return rc;

    for (int i = 0; i < f->n; i++)
        if (pgc_record_is(&f->rec[i], "truth") || pgc_record_is(&f->rec[i], "boxes"))
            if ((rc = prep_boxes(&f->rec[i], &inv, &now, (double)n, spacing[0] ? spacing : NULL, e)))
                return rc;
    return PGC_OK;
}

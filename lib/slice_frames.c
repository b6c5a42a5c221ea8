/* pgc-slice's per-input work: see slice_frames.h. */
#include "slice_frames.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pgc_slicer_free(pgc_slicer *s)
{
    pgc_ids_free(&s->ids);
    pgc_png_free(&s->png);
    pgc_record_free(&s->image);
    pgc_record_free(&s->truth);
    free(s->clip);
    pgc_nifti_free(&s->vol);
    pgc_nifti_free(&s->seg);
    free(s->segimg);
    free(s->mask);
    pgc_regions_free(&s->reg);
    const pgc_slice_opts *o = s->o;
    const pgc_labels *l = s->labels;
    const pgc_boxes *b = s->boxes;
    memset(s, 0, sizeof *s);
    s->o = o, s->labels = l, s->boxes = b; /* what the caller set stays set */
}

static int open_png(pgc_slicer *s, const char *path, const pgc_input *in, pgc_err *e)
{
    int rc = in->buf ? pgc_png_read_mem(in->buf, in->len, path, &s->png, e)
                     : pgc_png_read_file(path, &s->png, e);
    if (rc) return rc;
    pgc_slice_frame_id(path, s->id, sizeof s->id);
    if ((rc = pgc_ids_unique(&s->ids, s->id, sizeof s->id, e))) return rc;
    s->info = (pgc_slice_info){
        .frame = s->id, .source = path, .axis = "png", .index = 0, .spacing = {1, 1},
        .transform = PGC_TRANSFORM_IDENTITY,
        .label = s->labels ? pgc_labels_find(s->labels, path) : NULL,
        .tumour_type = s->labels ? pgc_labels_find_type(s->labels, path) : NULL,
    };
    return PGC_OK;
}

/* The image, then (with boxes) its truth: the file's rows clipped to the image, those
 * left empty dropped. */
static int next_png(pgc_slicer *s, const pgc_record **out, pgc_err *e)
{
    int rc;
    if (s->step == 0) {
        s->step = 1;
        static const char *const yx[] = {"y", "x"};
        uint64_t dims[2] = {s->png.h, s->png.w};
        if ((rc = pgc_record_shape(&s->image, s->png.bits == 16 ? PGC_DT_U16 : PGC_DT_U8, 2,
                                   dims, yx, e)) ||
            (rc = pgc_slice_meta(&s->image, &s->info, "image", e)))
            return rc;
        memcpy(s->image.data, s->png.data, pgc_record_nbytes(&s->image));
        *out = &s->image;
        return 1;
    }
    if (s->step == 2 || !s->boxes) return s->kind = 0, 0;
    s->step = 2;
    const float *v;
    size_t n = pgc_boxes_find(s->boxes, s->path, &v), kept = 0;
    if (n > s->clip_cap) {
        float *c = realloc(s->clip, n * 4 * sizeof *s->clip);
        if (!c) return pgc_errf(e, PGC_ENOMEM, "out of memory");
        s->clip = c, s->clip_cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        float *o = s->clip + 4 * kept;
        o[0] = v[4 * i] < 0 ? 0 : v[4 * i];
        o[1] = v[4 * i + 1] < 0 ? 0 : v[4 * i + 1];
        o[2] = v[4 * i + 2] > s->png.w ? (float)s->png.w : v[4 * i + 2];
        o[3] = v[4 * i + 3] > s->png.h ? (float)s->png.h : v[4 * i + 3];
        if (o[0] < o[2] && o[1] < o[3]) kept++;
    }
    if ((rc = pgc_slice_truth(&s->truth, &s->info, s->clip, kept, e))) return rc;
    *out = &s->truth;
    return 1;
}

static int open_volume(pgc_slicer *s, const char *path, const pgc_input *in, pgc_err *e)
{
    const pgc_slice_opts *o = s->o;
    int rc = in->buf ? pgc_nifti_read_mem(in->buf, in->len, path, &s->vol, e)
                     : pgc_nifti_read_file(path, &s->vol, e);
    if (rc) return rc;
    if (o->seg) {
        if ((rc = pgc_nifti_read_file(o->seg, &s->seg, e))) return rc;
        const size_t *a = s->vol.dims, *b = s->seg.dims;
        if (a[0] != b[0] || a[1] != b[1] || a[2] != b[2])
            return pgc_errf(e, PGC_EINPUT,
                            "cannot use '%s': its grid %zux%zux%zu differs from '%s' (%zux%zux%zu)",
                            o->seg, b[0], b[1], b[2], path, a[0], a[1], a[2]);
    }
    if (pgc_orient_from_matrix((const double(*)[3])s->vol.m, &s->orient, e)) {
        pgc_err inner = *e;
        return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", path, inner.msg);
    }
    pgc_slice_frame_id(path, s->id, sizeof s->id);
    if ((rc = pgc_ids_unique(&s->ids, s->id, sizeof s->id, e))) return rc;
    s->view = 0, s->in_view = 0, s->truth_due = 0;
    return PGC_OK;
}

/* Plans view s->view: its geometry, scratch for its slices, its range of indices. */
static int start_view(pgc_slicer *s, pgc_err *e)
{
    const pgc_slice_opts *o = s->o;
    pgc_view_plan(&s->orient, (pgc_view)s->view, s->vol.dims, &s->map);
    s->t = pgc_view_transform(&s->map, s->vol.dims);
    size_t npix = s->map.h * s->map.w;
    if (npix > s->slice_cap) {
        free(s->segimg), free(s->mask);
        s->segimg = malloc(npix * sizeof *s->segimg);
        s->mask = malloc(npix);
        s->slice_cap = 0;
        if (!s->segimg || !s->mask)
            return pgc_errf(e, PGC_ENOMEM, "cannot read '%s': out of memory", s->path);
        s->slice_cap = npix;
    }
    s->k = o->lo;
    s->hi = o->hi < 0 || o->hi > (long)s->map.n ? (long)s->map.n : o->hi;
    s->in_view = 1;
    return PGC_OK;
}

/* The chosen slices of each chosen view: an image, then (with a segmentation) its
 * truth. */
static int next_volume(pgc_slicer *s, const pgc_record **out, pgc_err *e)
{
    const pgc_slice_opts *o = s->o;
    int rc;
    if (s->truth_due) {
        s->truth_due = 0;
        if ((rc = pgc_slice_truth_regions(&s->truth, &s->info, &s->reg, e))) return rc;
        *out = &s->truth;
        return 1;
    }
    for (;;) {
        if (!s->in_view) {
            while (s->view < 3 && !(o->views & 1 << s->view)) s->view++;
            if (s->view == 3) return s->kind = 0, 0;
            if ((rc = start_view(s, e))) return rc;
        }
        if (s->k >= s->hi) {
            s->in_view = 0, s->view++;
            continue;
        }
        long k = s->k;
        s->k += o->every;
        const pgc_view_map *m = &s->map;
        size_t npix = m->h * m->w;
        if ((rc = pgc_record_f32_2d(&s->image, m->h, m->w, e))) return rc;
        float *img = s->image.data; // (h, w)
        pgc_view_extract(m, s->vol.data, s->vol.dims, (size_t)k, img);
        size_t fg = 0;
        for (size_t i = 0; i < npix; i++) fg += img[i] != 0;
        if ((double)fg < o->min_fg * (double)npix) continue;
        const char *label = o->label;
        if (o->seg) {
            pgc_view_extract(m, s->seg.data, s->seg.dims, (size_t)k, s->segimg);
            for (size_t i = 0; i < npix; i++) s->mask[i] = s->segimg[i] > 0;
            if ((rc = pgc_regions_find(&s->reg, s->mask, m->h, m->w, e))) return rc;
            label = s->reg.n ? "tumour" : "none";
        }
        pgc_view view = (pgc_view)s->view;
        snprintf(s->frame, sizeof s->frame, "%s:%s:%ld", s->id, pgc_view_name(view), k);
        s->info = (pgc_slice_info){
            .frame = s->frame, .source = s->path, .axis = pgc_view_name(view), .index = k,
            .spacing = {s->vol.pixdim[1 + m->row_axis], s->vol.pixdim[1 + m->col_axis]},
            .transform = s->t, .label = label, .tumour_type = o->tumour_type,
        };
        if ((rc = pgc_slice_meta(&s->image, &s->info, "image", e))) return rc;
        s->truth_due = o->seg != NULL;
        *out = &s->image;
        return 1;
    }
}

int pgc_slicer_open(pgc_slicer *s, const char *path, pgc_err *e)
{
    s->kind = 0, s->step = 0, s->path = path;
    pgc_input in;
    int rc = pgc_input_open(path, &in, e);
    if (!rc) rc = in.kind == PGC_INPUT_PNG ? open_png(s, path, &in, e) : open_volume(s, path, &in, e);
    if (!rc) s->kind = in.kind;
    pgc_input_free(&in); /* the readers keep what they decoded, not the bytes */
    return rc;
}

int pgc_slicer_next(pgc_slicer *s, const pgc_record **out, pgc_err *e)
{
    if (s->kind == PGC_INPUT_PNG) return next_png(s, out, e);
    if (s->kind == PGC_INPUT_NIFTI) return next_volume(s, out, e);
    return 0;
}

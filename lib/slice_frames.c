/* pgc-slice's per-input work: see slice_frames.h. */
#include "slice_frames.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void close_streams(pgc_slicer *s)
{
    pgc_nifti_stream_close(s->vst);
    pgc_nifti_stream_close(s->sst);
    free(s->stream_buf);
    s->vst = s->sst = NULL, s->stream_buf = NULL;
}

void pgc_slicer_free(pgc_slicer *s)
{
    close_streams(s);
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

/* A volume is streamed, one k-slice at a time (and the seg's in lockstep), when the one
 * view asked for cuts across k, the slowest axis of the array: its slices then lie
 * whole, in order, in the file. Other views cut across the file and read it whole.
 * Nothing pgc-slice makes from a slice needs more than that slice: --min-fg counts the
 * slice's own non-zero voxels, truth is the slice's own regions, --every and --range
 * are indices, spacing and transform come from the header; there is no volume-level
 * quantity (percentile, bounding box) to get wrong, so a streamed volume gives the same
 * frames, byte for byte. The stream is taken only when it can start: whatever its open
 * refuses (a bad header, a slice over the cap, a seg that does not match, a matrix with
 * no orientation) sends the input to the whole reader, which refuses it with the same
 * message as ever. What differs is when a fault in the voxel data is found: after the
 * frames before it are written rather than before the first. 1: streaming. */
static int open_streams(pgc_slicer *s, const char *path, pgc_input *in)
{
    const pgc_slice_opts *o = s->o;
    int view = 0;
    while (view < 3 && !(o->views & 1 << view)) view++;
    if (view == 3 || (o->views & 7) != 1 << view) return 0; /* none, or more than one view */
    pgc_err ignored; /* the whole reader says it again */
    int rc = in->buf ? pgc_nifti_stream_open_mem(in->buf, in->len, path, &s->vol, &s->vst, &ignored)
                     : pgc_nifti_stream_open(path, &s->vol, &s->vst, &ignored);
    if (rc) return 0;
    pgc_orient orient;
    pgc_view_map m;
    if (pgc_orient_from_matrix((const double(*)[3])s->vol.m, &orient, &ignored)) goto whole;
    pgc_view_plan(&orient, (pgc_view)view, s->vol.dims, &m);
    if (m.slice_axis != 2) goto whole;
    if (o->seg) {
        if (pgc_nifti_stream_open(o->seg, &s->seg, &s->sst, &ignored)) goto whole;
        const size_t *a = s->vol.dims, *b = s->seg.dims;
        if (a[0] != b[0] || a[1] != b[1] || a[2] != b[2]) goto whole;
    }
    s->stream_buf = in->buf; /* the stream reads it from here on */
    in->buf = NULL;
    return 1;
whole:
    close_streams(s);
    return 0;
}

/* Reads the streams on to slice k of the volume (and of the seg). */
static int stream_to(pgc_slicer *s, long k, pgc_err *e)
{
    while ((long)pgc_nifti_stream_index(s->vst) <= k) {
        int rc = pgc_nifti_stream_next(s->vst, e);
        if (rc < 0) return rc;
        if (s->sst && (rc = pgc_nifti_stream_next(s->sst, e)) < 0) return rc;
    }
    return PGC_OK;
}

/* After the last slice asked for: the rest of the files read and checked, as the whole
 * reader checks them before the first frame, so that a damaged file still fails (exit 1
 * as before, never a silent 0), at the cost the whole reader paid too: all of the file
 * is read even for --range 0:1. */
static int stream_finish(pgc_slicer *s, pgc_err *e)
{
    int a, b = 0;
    do {
        if ((a = pgc_nifti_stream_next(s->vst, e)) < 0) return a;
        if (s->sst && (b = pgc_nifti_stream_next(s->sst, e)) < 0) return b;
    } while (a > 0 || b > 0);
    close_streams(s);
    return PGC_OK;
}

static int open_volume(pgc_slicer *s, const char *path, pgc_input *in, pgc_err *e)
{
    const pgc_slice_opts *o = s->o;
    int rc;
    if (!open_streams(s, path, in)) {
        rc = in->buf ? pgc_nifti_read_mem(in->buf, in->len, path, &s->vol, e)
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
            if (s->vst && (rc = stream_finish(s, e))) return rc;
            s->in_view = 0, s->view++;
            continue;
        }
        long k = s->k;
        s->k += o->every;
        const pgc_view_map *m = &s->map;
        size_t npix = m->h * m->w;
        if ((rc = pgc_record_f32_2d(&s->image, m->h, m->w, e))) return rc;
        float *img = s->image.data; // (h, w)
        size_t at = (size_t)k; /* slice k's place in vol and seg: k, or 0 when streamed */
        if (s->vst) {
            if ((rc = stream_to(s, k, e))) return rc;
            at = 0;
        }
        pgc_view_extract(m, s->vol.data, s->vol.dims, at, img);
        size_t fg = 0;
        for (size_t i = 0; i < npix; i++) fg += img[i] != 0;
        if ((double)fg < o->min_fg * (double)npix) continue;
        const char *label = o->label;
        if (o->seg) {
            pgc_view_extract(m, s->seg.data, s->seg.dims, at, s->segimg);
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
    close_streams(s); /* of an input that ended in an error */
    s->kind = 0, s->step = 0, s->path = path;
    pgc_input in;
    int rc = pgc_input_open(path, &in, e);
    if (!rc) rc = in.kind == PGC_INPUT_PNG ? open_png(s, path, &in, e) : open_volume(s, path, &in, e);
    if (!rc) s->kind = in.kind;
    pgc_input_free(&in); /* the readers keep what they decoded (a stream, its bytes) */
    return rc;
}

int pgc_slicer_next(pgc_slicer *s, const pgc_record **out, pgc_err *e)
{
    if (s->kind == PGC_INPUT_PNG) return next_png(s, out, e);
    if (s->kind == PGC_INPUT_NIFTI) return next_volume(s, out, e);
    return 0;
}

/* PG-CAM: resize each per-scale map to the image, min-max normalise, combine. */
#include "fuse.h"

#include "blur.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cam.h"

/* Source index and weight of destination index d along one axis. */
static void axis_sample(size_t d, size_t n_src, size_t n_dst, size_t *i0, size_t *i1, double *t)
{
    double s = ((double)d + 0.5) * (double)n_src / (double)n_dst - 0.5;
    if (s < 0) s = 0;
    if (s > (double)(n_src - 1)) s = (double)(n_src - 1);
    *i0 = (size_t)s;
    *i1 = *i0 + 1 < n_src ? *i0 + 1 : *i0;
    *t = s - (double)*i0;
}

void pgc_resize_bilinear(const float *src, size_t sh, size_t sw, float *dst, size_t dh,
                         size_t dw)
{
    for (size_t y = 0; y < dh; y++) {
        size_t y0, y1;
        double ty;
        axis_sample(y, sh, dh, &y0, &y1, &ty);
        const float *r0 = src + y0 * sw, *r1 = src + y1 * sw;
        for (size_t x = 0; x < dw; x++) {
            size_t x0, x1;
            double tx;
            axis_sample(x, sw, dw, &x0, &x1, &tx);
            double top = r0[x0] + tx * ((double)r0[x1] - r0[x0]);
            double bot = r1[x0] + tx * ((double)r1[x1] - r1[x0]);
            dst[y * dw + x] = (float)(top + ty * (bot - top));
        }
    }
}

void pgc_normalise_minmax(float *m, size_t n)
{
    if (!n) return;
    float lo = m[0], hi = m[0];
    for (size_t i = 1; i < n; i++) {
        if (m[i] < lo) lo = m[i];
        if (m[i] > hi) hi = m[i];
    }
    double range = (double)hi - lo;
    for (size_t i = 0; i < n; i++)
        m[i] = range > 0 ? (float)(((double)m[i] - lo) / range) : 0.0f;
}

static const char *const op_names[] = {"sum", "mean", "max"};

int pgc_fuse_op_parse(const char *name)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, op_names[i])) return i;
    return -1;
}

const char *pgc_fuse_op_name(pgc_fuse_op op)
{
    return (unsigned)op < 3 ? op_names[op] : "?";
}

void pgc_fuse_maps(pgc_fuse_op op, const float *const *maps, int n, size_t count, float *out)
{
    for (size_t i = 0; i < count; i++) {
        double v = 0;
        for (int k = 0; k < n; k++) {
            double x = maps[k][i];
            if (op == PGC_FUSE_MAX) v = k == 0 || x > v ? x : v;
            else v += x;
        }
        out[i] = (float)(op == PGC_FUSE_MEAN && n ? v / n : v);
    }
    if (op == PGC_FUSE_SUM) pgc_normalise_minmax(out, count);
}

/* Appends the frame's `scales` value ("1,2,4") for the set into buf. */
static void scales_text(unsigned set, char *buf, size_t bufsz)
{
    size_t len = 0;
    buf[0] = 0;
    for (int p = 1; p <= 31 && len + 4 < bufsz; p++)
        if (set & (1u << p)) len += (size_t)snprintf(buf + len, bufsz - len, len ? ",%d" : "%d", p);
}

int pgc_fuse_frame(pgc_frame *f, const pgc_fuse_opts *o, pgc_err *e)
{
    char id[256];
    pgc_frame_id(f, id, sizeof id);
    int ii = pgc_frame_find(f, "image");
    if (ii < 0) return pgc_errf(e, PGC_EINPUT, "frame '%s' has no image record", id);
    if (f->rec[ii].rank != 2)
        return pgc_errf(e, PGC_EINPUT, "frame '%s': image is not 2-d (y x)", id);
    size_t H = f->rec[ii].dims[0], W = f->rec[ii].dims[1], HW = H * W;
    if (!HW) return pgc_errf(e, PGC_EINPUT, "frame '%s': image is empty (%zu x %zu)", id, H, W);

    unsigned have = 0;
    for (int i = 0; i < f->n; i++) {
        int p = pgc_scale_of(&f->rec[i], "cam");
        if (p) have |= 1u << p;
    }
    if (!have)
        return pgc_errf(e, PGC_EINPUT, "frame '%s' has no cam.sN record (run pgc-cam first)", id);
    unsigned want = o->scales ? o->scales : have;
    for (int p = 1; p <= 31; p++)
        if ((want & (1u << p)) && !(have & (1u << p)))
            return pgc_errf(e, PGC_EINPUT, "frame '%s' has no cam.s%d record", id, p);

    int n = 0, first = -1;
    for (int p = 1; p <= 31; p++) n += !!(want & (1u << p));
    float *buf = malloc((size_t)(n + (o->blur > 0)) * HW * sizeof *buf); // (n [+ 1], H, W)
    const float **maps = malloc((size_t)n * sizeof *maps);
    int rc = PGC_OK;
    if (!buf || !maps) {
        rc = pgc_errf(e, PGC_ENOMEM, "out of memory for %d maps of %zu x %zu", n, H, W);
        goto done;
    }
    int k = 0;
    for (int i = 0; i < f->n; i++) {
        int p = pgc_scale_of(&f->rec[i], "cam");
        if (!p || !(want & (1u << p))) continue;
        const pgc_record *r = &f->rec[i];
        char name[16];
        snprintf(name, sizeof name, "cam.s%d", p);
        if ((rc = pgc_map_check(r, id, name, e))) goto done;
        float *m = buf + (size_t)k * HW;
        pgc_resize_bilinear(r->data, r->dims[0], r->dims[1], m, H, W);
        pgc_blur_gaussian(m, H, W, o->blur, buf + (size_t)n * HW);
        pgc_normalise_minmax(m, HW);
        maps[k++] = m;
        if (first < 0) first = i;
        if (o->drop) f->drop[i] = 1;
        want &= ~(1u << p); // a repeated cam.sN counts once
    }
    n = k;

    int oi = pgc_frame_slot(f, "pgcam", e);
    if (oi < 0) {
        rc = oi;
        goto done;
    }
    pgc_record *out = &f->rec[oi];
    char sc[128];
    scales_text(o->scales ? o->scales : have, sc, sizeof sc);
    pgc_meta_clear(out);
    if ((rc = pgc_record_f32_2d(out, H, W, e))) goto done;
    pgc_fuse_maps(o->op, maps, n, HW, out->data);
    if ((rc = pgc_meta_inherit(out, &f->rec[first], e)) ||
        (rc = pgc_meta_set(out, "name", "pgcam", e)) ||
        (rc = pgc_meta_set(out, "scales", sc, e)) ||
        (rc = pgc_meta_set(out, "op", pgc_fuse_op_name(o->op), e)) ||
        (o->blur > 0 && (rc = pgc_meta_setf(out, "blur", e, "%g", o->blur))))
        goto done;
    pgc_meta_del(out, "scale");
done:
    free(buf);
    free(maps);
    return rc;
}

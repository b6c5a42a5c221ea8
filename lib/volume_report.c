#include "volume_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "png_write.h"

void pgc_volume_report(const pgc_volume *v, const pgc_volume_opts *o, pgc_volume_row *r)
{
    memset(r, 0, sizeof *r);
    r->frames = v->frames;
    r->max_prob = NAN;
    size_t n = v->vm.n;
    for (size_t k = 0; k < n; k++) {
        if (!v->seen[k]) continue;
        r->tumour_slices += v->tumour[k];
        if (!isnan(v->prob[k]) && (isnan(r->max_prob) || v->prob[k] > r->max_prob))
            r->max_prob = v->prob[k];
    }
    const double (*m)[3] = (const double(*)[3])v->grid.m;
    double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                 m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                 m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    r->voxel_ml = fabs(det) / 1000;
    r->have_box = v->have_box;
    if (v->have_box) {
        memcpy(r->lo, v->box_lo, sizeof r->lo);
        memcpy(r->hi, v->box_hi, sizeof r->hi);
        /* Voxel centres are at whole indices, so the box's outer faces are at lo - 0.5
         * and hi - 0.5; the world bounds are those of its 8 corners. */
        for (int w = 0; w < 3; w++) r->wmin[w] = INFINITY, r->wmax[w] = -INFINITY;
        for (int c = 0; c < 8; c++) {
            double p[3];
            for (int a = 0; a < 3; a++) p[a] = (double)(c >> a & 1 ? r->hi[a] : r->lo[a]) - 0.5;
            for (int w = 0; w < 3; w++) {
                double x = v->grid.offset[w] + m[w][0] * p[0] + m[w][1] * p[1] + m[w][2] * p[2];
                if (x < r->wmin[w]) r->wmin[w] = x;
                if (x > r->wmax[w]) r->wmax[w] = x;
            }
        }
    }
    /* The volume estimate: the map's maximum over the tumour slices, then the voxels of
     * those slices strictly above frac times it. */
    const size_t *d = v->grid.dims;
    size_t sstride = v->stride[v->vm.slice_axis];
    size_t in_a = v->lo_axis, in_b = v->hi_axis;
    float mx = 0;
    long count = 0;
    for (int pass = 0; pass < 2; pass++) {
        double thr = o->frac * mx;
        for (size_t k = 0; k < n; k++) {
            if (!v->seen[k] || !v->tumour[k]) continue;
            const float *base = v->data + k * sstride;
            for (size_t b = 0; b < d[in_b]; b++)
                for (size_t a = 0; a < d[in_a]; a++) {
                    float x = base[a * v->stride[in_a] + b * v->stride[in_b]];
                    if (pass == 0 && x > mx) mx = x;
                    if (pass == 1 && x > thr) count++;
                }
        }
        if (!(mx > 0)) break;
    }
    r->volume_ml = (double)count * r->voxel_ml;
}

void pgc_volume_tsv_header(FILE *f)
{
    fputs("source\taxis\tslices\ttumour_slices\ti0\ti1\tj0\tj1\tk0\tk1\t"
          "x_min_mm\tx_max_mm\ty_min_mm\ty_max_mm\tz_min_mm\tz_max_mm\t"
          "extent_x_mm\textent_y_mm\textent_z_mm\tvolume_ml\tmax_prob\tmap\tfile\n", f);
}

static void clean(FILE *f, const char *s)
{
    for (; *s; s++) fputc(*s == '\t' || *s == '\n' ? ' ' : *s, f);
}

void pgc_volume_tsv_row(FILE *f, const pgc_volume *v, const pgc_volume_row *r,
                        const char *map, const char *file)
{
    clean(f, v->source);
    fprintf(f, "\t%s\t%ld\t%ld", v->axis, r->frames, r->tumour_slices);
    if (r->have_box) {
        for (int a = 0; a < 3; a++) fprintf(f, "\t%ld\t%ld", r->lo[a], r->hi[a]);
        for (int w = 0; w < 3; w++) fprintf(f, "\t%.3f\t%.3f", r->wmin[w] + 0.0, r->wmax[w] + 0.0);
        for (int w = 0; w < 3; w++) fprintf(f, "\t%.3f", r->wmax[w] - r->wmin[w]);
    } else {
        for (int q = 0; q < 15; q++) fputs("\tNA", f);
    }
    fprintf(f, "\t%.3f", r->volume_ml);
    if (isnan(r->max_prob)) fputs("\tNA", f);
    else fprintf(f, "\t%.6g", r->max_prob);
    fputc('\t', f);
    clean(f, map);
    fputc('\t', f);
    clean(f, file ? file : "NA");
    fputc('\n', f);
}

/* ---- the plot */

typedef struct {
    uint8_t *p;
    int w, h;
} canvas;

static void dot(canvas *c, int x, int y, const uint8_t rgb[3])
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return;
    memcpy(c->p + 3 * ((size_t)y * (size_t)c->w + (size_t)x), rgb, 3);
}

static void rect(canvas *c, int x0, int y0, int x1, int y1, const uint8_t rgb[3])
{
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) dot(c, x, y, rgb);
}

/* A line two pixels thick. */
static void line(canvas *c, int x0, int y0, int x1, int y1, const uint8_t rgb[3])
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        rect(c, x0, y0, x0 + 2, y0 + 2, rgb);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * err;
        if (e2 >= dy) err += dy, x0 += sx;
        if (e2 <= dx) err += dx, y0 += sy;
    }
}

int pgc_volume_plot(const pgc_volume *v, const pgc_volume_opts *o, uint8_t **pix, pgc_err *e)
{
    enum { W = PGC_PLOT_W, H = PGC_PLOT_H, L = 40, R = 12, T = 12, B = 28 };
    static const uint8_t white[3] = {255, 255, 255}, black[3] = {0, 0, 0},
                         grey[3] = {150, 150, 150}, light[3] = {225, 225, 225},
                         boxed[3] = {250, 190, 180}, blue[3] = {20, 60, 170},
                         red[3] = {200, 30, 30};
    canvas c = {malloc((size_t)W * H * 3), W, H};
    if (!c.p) return pgc_errf(e, PGC_ENOMEM, "out of memory");
    rect(&c, 0, 0, W, H, white);
    size_t n = v->vm.n ? v->vm.n : 1;
    const int pw = W - L - R, ph = H - T - B;
    /* slice k spans [xs(k), xs(k + 1)); probability p is at height y(p) */
#define XS(k) (L + (int)((double)(k) * pw / (double)n))
#define YP(p) (T + ph - (int)lround((p) * ph))
    for (size_t k = 0; k < v->vm.n; k++) /* slices with boxes: shaded, with a red tick */
        if (v->boxed[k]) {
            int x0 = XS(k), x1 = XS(k + 1) > x0 ? XS(k + 1) : x0 + 1;
            rect(&c, x0, T, x1, T + ph, boxed);
            rect(&c, x0, T + ph + 1, x1, T + ph + 7, red);
        }
    for (int q = 1; q < 4; q++) rect(&c, L, YP(q / 4.0), L + pw, YP(q / 4.0) + 1, light);
    for (int x = L; x < L + pw; x += 6) /* the decision threshold, dashed */
        rect(&c, x, YP(o->prob_threshold), x + 3, YP(o->prob_threshold) + 1, grey);
    int have = 0, px = 0, py = 0;
    for (size_t k = 0; k < v->vm.n; k++) {
        if (!v->seen[k] || isnan(v->prob[k])) { have = 0; continue; }
        int x = (XS(k) + XS(k + 1)) / 2, y = YP(v->prob[k]);
        if (have) line(&c, px, py, x, y, blue);
        else rect(&c, x - 1, y - 1, x + 2, y + 2, blue);
        have = 1, px = x, py = y;
    }
    rect(&c, L - 1, T, L, T + ph + 1, black);          /* axes */
    rect(&c, L - 1, T + ph, L + pw, T + ph + 1, black);
    for (int q = 0; q <= 4; q++) rect(&c, L - 6, YP(q / 4.0), L - 1, YP(q / 4.0) + 1, black);
    size_t step = n <= 50 ? 5 : n <= 200 ? 10 : 50;     /* index ticks; long every 5th */
    for (size_t k = 0; k <= v->vm.n; k += step) {
        int x = XS(k), len = k % (5 * step) ? 4 : 9;
        rect(&c, x, T + ph + 8, x + 1, T + ph + 8 + len, black);
    }
#undef XS
#undef YP
    *pix = c.p;
    return PGC_OK;
}

int pgc_volume_plot_file(const char *path, const pgc_volume *v, const pgc_volume_opts *o,
                         int replace, pgc_err *e)
{
    uint8_t *pix;
    int rc = pgc_volume_plot(v, o, &pix, e);
    if (rc) return rc;
    pgc_atomic_file a;
    if ((rc = pgc_atomic_open(&a, path, replace, e))) {
        free(pix);
        return rc;
    }
    FILE *f = fdopen(a.fd, "wb");
    if (!f) {
        free(pix);
        pgc_atomic_abort(&a);
        return pgc_errf(e, PGC_ENOMEM, "cannot write '%s': out of memory", path);
    }
    rc = pgc_png_write(f, path, pix, PGC_PLOT_H, PGC_PLOT_W, 3, e);
    free(pix);
    if (fflush(f) || ferror(f)) rc = rc ? rc : pgc_errf(e, PGC_EINPUT, "cannot write '%s'", path);
    if (rc) {
        fclose(f);
        a.fd = -1;
        pgc_atomic_abort(&a);
        return rc;
    }
    fsync(fileno(f));
    fclose(f);
    a.fd = -1;
    return pgc_atomic_commit(&a, e);
}

#include "data.h"
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail_frame(pgc_err *e, const pgc_dataset *ds, const pgc_record *r, const char *what)
{
    char id[128];
    if (!pgc_meta_get(r, "frame", id, sizeof id)) snprintf(id, sizeof id, "?");
    return pgc_errf(e, PGC_EINPUT, "cannot train on '%s': frame '%s': %s", ds->path, id, what);
}

int pgc_dataset_open(pgc_dataset *ds, const char *path, pgc_err *e)
{
    static const char *const two[2] = {"none", "tumour"};
    return pgc_dataset_open_classes(ds, path, two, 2, e);
}

/* The class of a labelled image (see pgc_dataset_open_classes). */
static int class_of(const pgc_record *r, int tumour, const char *const *classes, int nclass)
{
    if (!tumour) return 0;
    if (nclass == 2) return 1;
    char type[64];
    if (pgc_meta_get(r, "tumour_type", type, sizeof type))
        for (int k = 1; k < nclass; k++)
            if (!strcmp(type, classes[k])) return k;
    return -1; /* PGC_LABEL_ANY_TUMOUR */
}

/* The index of r's source directory among ds's domains, adding it when new; -1 when a
 * new one would pass PGC_MAX_DOMAINS. */
static int domain_of(pgc_dataset *ds, const pgc_record *r)
{
    char src[PGC_DOMAIN_NAME_MAX + 1];
    if (!pgc_meta_get(r, "source", src, sizeof src)) src[0] = 0;
    src[PGC_DOMAIN_NAME_MAX - 1] = 0; /* a longer path is cut: its directory still names it */
    char *slash = strrchr(src, '/');
    if (slash) *slash = 0;
    else snprintf(src, sizeof src, ".");
    for (int d = 0; d < ds->ndomain; d++)
        if (!strcmp(ds->domain[d], src)) return d;
    if (ds->ndomain == PGC_MAX_DOMAINS) return -1;
    snprintf(ds->domain[ds->ndomain], PGC_DOMAIN_NAME_MAX, "%s", src);
    return ds->ndomain++;
}

int pgc_dataset_open_classes(pgc_dataset *ds, const char *path, const char *const *classes,
                             int nclass, pgc_err *e)
{
    memset(ds, 0, sizeof *ds);
    if (nclass < 2 || nclass > PGC_MAX_CLASSES)
        return pgc_errf(e, PGC_EINPUT, "bad number of classes %d", nclass);
    ds->nclass = nclass;
    ds->fd = -1;
    snprintf(ds->path, sizeof ds->path, "%s", path);
    if (!strcmp(path, "-"))
        return pgc_errf(e, PGC_EINPUT, "cannot train on '-': training reads a file, not standard input (it seeks)");
    ds->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (ds->fd < 0) return pgc_errf(e, PGC_EINPUT, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(ds->fd, &st) || !S_ISREG(st.st_mode)) {
        close(ds->fd);
        ds->fd = -1;
        return pgc_errf(e, PGC_EINPUT, "cannot train on '%s': not a regular file (it seeks)", path);
    }
    pgc_reader *rd = pgc_reader_open(ds->fd, path, e);
    if (!rd) {
        pgc_dataset_close(ds);
        return PGC_EINPUT;
    }
    size_t cap = 0;
    int rc;
    char lab[32];
    while ((rc = pgc_reader_next(rd, &ds->rec, e)) == 1) {
        pgc_record *r = &ds->rec;
        if (!pgc_record_is(r, "image")) continue;
        if (!pgc_meta_get(r, "label", lab, sizeof lab)) {
            ds->nunlabelled++;
            continue;
        }
        int label = !strcmp(lab, "tumour") ? 1 : !strcmp(lab, "none") ? 0 : -1;
        if (label < 0) {
            rc = fail_frame(e, ds, r, "label is neither 'tumour' nor 'none'");
            break;
        }
        if (r->dtype != PGC_DT_F32 || r->rank != 2) {
            rc = fail_frame(e, ds, r, "image is not f32 'y x' (run pgc-prep first)");
            break;
        }
        int h = (int)r->dims[0], w = (int)r->dims[1];
        if (!pgc_input_size_ok(r->dims[0], r->dims[1])) {
            char m[96];
            snprintf(m, sizeof m, "image is %dx%d; H and W must be multiples of 16 from 16 "
                     "to %d", h, w, PGC_MAX_SIDE);
            rc = fail_frame(e, ds, r, m);
            break;
        }
        if (ds->n && (h != ds->h || w != ds->w)) {
            char m[128];
            snprintf(m, sizeof m, "image is %dx%d but earlier ones are %dx%d (one size per set)",
                     h, w, ds->h, ds->w);
            rc = fail_frame(e, ds, r, m);
            break;
        }
        const float *x = r->data;
        size_t nx = (size_t)h * w, k;
        for (k = 0; k < nx && isfinite(x[k]); k++) {}
        if (k < nx) {
            rc = fail_frame(e, ds, r, "image holds NaN or infinity");
            break;
        }
        if (ds->n == cap) {
            cap = cap ? 2 * cap : 1024;
            pgc_sample *s = realloc(ds->s, cap * sizeof *s);
            if (!s) {
                rc = pgc_errf(e, PGC_ENOMEM, "out of memory indexing '%s'", path);
                break;
            }
            ds->s = s;
        }
        ds->h = h, ds->w = w;
        int cls = class_of(r, label, classes, nclass), dom = domain_of(ds, r);
        if (dom < 0) {
            char m[96];
            snprintf(m, sizeof m, "more than %d data sources (directories of 'source')",
                     PGC_MAX_DOMAINS);
            rc = fail_frame(e, ds, r, m);
            break;
        }
        ds->s[ds->n++] = (pgc_sample){pgc_reader_offset(rd), cls, dom};
        ds->ntumour += label;
        ds->count[cls < 0 ? nclass : cls]++;
    }
    pgc_reader_free(rd);
    if (rc < 0) {
        pgc_dataset_close(ds);
        return rc;
    }
    if (!ds->n) {
        rc = pgc_errf(e, PGC_EINPUT, "cannot train on '%s': no image with a 'label' (%zu unlabelled)",
                      path, ds->nunlabelled);
        pgc_dataset_close(ds);
        return rc;
    }
    return PGC_OK;
}

void pgc_dataset_close(pgc_dataset *ds)
{
    if (ds->fd >= 0) close(ds->fd);
    ds->fd = -1;
    free(ds->s);
    ds->s = NULL;
    pgc_record_free(&ds->rec);
}

int pgc_balance_init(pgc_balance *b, const pgc_dataset *ds, pgc_err *e)
{
    memset(b, 0, sizeof *b);
    int D = ds->ndomain, ncell = 2 * D;
    b->order = malloc((ds->n ? ds->n : 1) * sizeof *b->order);
    if (!b->order) return pgc_errf(e, PGC_ENOMEM, "out of memory for balanced sampling");
    size_t count[2 * PGC_MAX_DOMAINS] = {0};
    for (size_t i = 0; i < ds->n; i++) count[(ds->s[i].label != 0) * D + ds->s[i].domain]++;
    for (int c = 0; c < ncell; c++) {
        b->start[c + 1] = b->start[c] + count[c];
        if (count[c]) b->cell_of[c / D][b->ngroup_domains[c / D]++] = c;
    }
    size_t fill[2 * PGC_MAX_DOMAINS];
    memcpy(fill, b->start, sizeof fill);
    for (size_t i = 0; i < ds->n; i++) /* in index order within a cell: reproducible */
        b->order[fill[(ds->s[i].label != 0) * D + ds->s[i].domain]++] = i;
    return PGC_OK;
}

size_t pgc_balance_pick(const pgc_balance *b, pgc_rng *r)
{
    int g = !b->ngroup_domains[0] ? 1 : !b->ngroup_domains[1] ? 0 : (int)pgc_rng_below(r, 2);
    int c = b->cell_of[g][pgc_rng_below(r, (uint64_t)b->ngroup_domains[g])];
    return b->order[b->start[c] + pgc_rng_below(r, b->start[c + 1] - b->start[c])];
}

void pgc_balance_free(pgc_balance *b)
{
    free(b->order);
    b->order = NULL;
}

int pgc_dataset_get(pgc_dataset *ds, size_t i, float *dst, pgc_err *e)
{
    int rc = pgc_record_pread(ds->fd, ds->s[i].off, ds->path, &ds->rec, e);
    if (rc) return rc;
    if (ds->rec.dtype != PGC_DT_F32 || ds->rec.rank != 2 || (int)ds->rec.dims[0] != ds->h ||
        (int)ds->rec.dims[1] != ds->w)
        return pgc_errf(e, PGC_EINPUT, "'%s' changed while training", ds->path);
    memcpy(dst, ds->rec.data, sizeof(float) * ds->h * ds->w);
    return PGC_OK;
}

static double uni(pgc_rng *r, double lo, double hi) { return lo + (hi - lo) * pgc_rng_uniform(r); }

/* In place: p[k] = k0 p[k] + k1 (p[k-1] + p[k+1]) over n values stride apart, edges
 * clamped, every term read before it is overwritten (the left one is carried). */
static void smooth3(float *p, int n, size_t stride, float k0, float k1)
{
    float left = p[0];
    for (int k = 0; k < n; k++) {
        float here = p[k * stride], right = p[(k < n - 1 ? k + 1 : k) * stride];
        p[k * stride] = k0 * here + k1 * (left + right);
        left = here;
    }
}

/* Geometry, then (strong) gamma, blur and noise, then intensity jitter (data.h). */
void pgc_augment_with(const float *src, int h, int w, float *dst, pgc_rng *r, int strong)
{
    /* draws in a fixed order, so the same state gives the same image */
    int fx = pgc_rng_uniform(r) < 0.5, fy = pgc_rng_uniform(r) < 0.5;
    double rot = strong ? 20 : 10, sc = strong ? 0.2 : 0.1, sh = strong ? 0.1 : 0.05;
    double th = uni(r, -rot, rot) * 3.14159265358979 / 180, s = uni(r, 1 - sc, 1 + sc);
    double tx = uni(r, -sh, sh) * w, ty = uni(r, -sh, sh) * h;
    float a = (float)uni(r, strong ? 0.75 : 0.9, strong ? 1.25 : 1.1);
    float b = (float)uni(r, strong ? -0.15 : -0.1, strong ? 0.15 : 0.1);
    float fill = src[0];
    for (size_t i = 1; i < (size_t)h * w; i++) fill = src[i] < fill ? src[i] : fill;
    double c = cos(th) / s, sn = sin(th) / s, cx = w / 2.0, cy = h / 2.0;
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            /* output pixel centre -> source point: undo shift, then rotation and scale */
            double u = j + 0.5 - cx - tx, v = i + 0.5 - cy - ty;
            double sx = c * u + sn * v + cx, sy = -sn * u + c * v + cy;
            if (fx) sx = w - sx;
            if (fy) sy = h - sy;
            double px = sx - 0.5, py = sy - 0.5;
            float val;
            if (px < -0.5 || py < -0.5 || px > w - 0.5 || py > h - 0.5) {
                val = fill;
            } else {
                int x0 = (int)floor(px), y0 = (int)floor(py);
                double ax = px - x0, ay = py - y0;
                int x1 = x0 + 1, y1 = y0 + 1;
                x0 = x0 < 0 ? 0 : x0, y0 = y0 < 0 ? 0 : y0;
                x1 = x1 >= w ? w - 1 : x1, y1 = y1 >= h ? h - 1 : y1;
                double top = src[(size_t)y0 * w + x0] * (1 - ax) + src[(size_t)y0 * w + x1] * ax;
                double bot = src[(size_t)y1 * w + x0] * (1 - ax) + src[(size_t)y1 * w + x1] * ax;
                val = (float)(top * (1 - ay) + bot * ay);
            }
            dst[(size_t)i * w + j] = val;
        }
    if (strong) {
        /* gamma on [0, 1] (values outside keep theirs), then a 3x3 blur or not */
        double g = exp(uni(r, -0.4, 0.4));
        for (size_t i = 0; i < (size_t)h * w; i++)
            if (dst[i] > 0 && dst[i] < 1) dst[i] = (float)pow(dst[i], g);
        double blur = pgc_rng_uniform(r) < 0.5 ? uni(r, 0, 0.6) : 0;
        if (blur > 0) {
            /* separable [blur, 1, blur] / (1 + 2 blur): every row, then every column */
            float k0 = (float)(1 / (1 + 2 * blur)), k1 = (float)(blur / (1 + 2 * blur));
            for (int i = 0; i < h; i++) smooth3(dst + (size_t)i * w, w, 1, k0, k1);
            for (int j = 0; j < w; j++) smooth3(dst + j, h, (size_t)w, k0, k1);
        }
        double sd = uni(r, 0, 0.04);
        for (size_t i = 0; i < (size_t)h * w; i++) dst[i] += (float)(sd * pgc_rng_normal(r));
    }
    for (size_t i = 0; i < (size_t)h * w; i++) dst[i] = a * dst[i] + b;
}

void pgc_augment(const float *src, int h, int w, float *dst, pgc_rng *r)
{
    pgc_augment_with(src, h, w, dst, r, 0);
}

void pgc_mirror_half(const float *src, int h, int w, int keep_right, float *dst)
{
    /* the midline: the column centroid of what stands above the background (the
     * image's minimum), so that a head off the centre of its frame is still halved */
    float lo = src[0];
    for (size_t i = 1; i < (size_t)h * w; i++) lo = src[i] < lo ? src[i] : lo;
    double sum = 0, sx = 0;
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            double v = src[(size_t)i * w + j] - lo;
            sum += v, sx += v * (j + 0.5);
        }
    double cx = sum > 0 ? sx / sum : w / 2.0;
    for (int i = 0; i < h; i++) {
        const float *row = src + (size_t)i * w;
        float *out = dst + (size_t)i * w;
        for (int j = 0; j < w; j++) {
            double x = j + 0.5;
            if ((x >= cx) == (keep_right != 0)) {
                out[j] = row[j];
                continue;
            }
            /* the kept side's pixel at the mirror position, linear between columns */
            double p = 2 * cx - x - 0.5;
            if (p < -0.5 || p > w - 0.5) {
                out[j] = lo;
                continue;
            }
            int x0 = (int)floor(p);
            double a = p - x0;
            int x1 = x0 + 1;
            x0 = x0 < 0 ? 0 : x0, x1 = x1 >= w ? w - 1 : x1;
            out[j] = (float)(row[x0] * (1 - a) + row[x1] * a);
        }
    }
}

void pgc_shuffle_tiles(const float *src, int h, int w, int g, pgc_rng *r, float *dst)
{
    int perm[PGC_MAX_TILES * PGC_MAX_TILES], n = g * g, th = h / g, tw = w / g;
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int i = n - 1; i > 0; i--) { /* Fisher-Yates */
        int j = (int)pgc_rng_below(r, (uint64_t)i + 1), t = perm[i];
        perm[i] = perm[j], perm[j] = t;
    }
    for (int t = 0; t < n; t++) { /* tile t of dst is tile perm[t] of src */
        int si = perm[t] / g * th, sj = perm[t] % g * tw, di = t / g * th, dj = t % g * tw;
        for (int y = 0; y < th; y++)
            memcpy(dst + (size_t)(di + y) * w + dj, src + (size_t)(si + y) * w + sj,
                   (size_t)tw * sizeof *dst);
    }
}

int pgc_hide_patches(float *img, int h, int w, int g, pgc_rng *r)
{
    size_t hw = (size_t)h * w;
    double sum = 0;
    for (size_t i = 0; i < hw; i++) sum += img[i];
    /* the mean keeps a layer's expected input alike in training and in use (the paper's
     * argument), where zero would be a patch of background */
    float mean = (float)(sum / (double)hw);
    int th = h / g, tw = w / g, hidden = 0;
    for (int t = 0; t < g * g; t++) {
        if (pgc_rng_uniform(r) >= 0.5) continue;
        hidden++;
        for (int y = t / g * th; y < (t / g + 1) * th; y++)
            for (int x = t % g * tw; x < (t % g + 1) * tw; x++) img[(size_t)y * w + x] = mean;
    }
    return hidden;
}

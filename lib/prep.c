#include "prep.h"
#include "boxes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- geometry */

int pgc_fit_parse(const char *s, pgc_fit *fit)
{
    if (!strcmp(s, "crop")) *fit = PGC_FIT_CROP;
    else if (!strcmp(s, "pad")) *fit = PGC_FIT_PAD;
    else return -1;
    return 0;
}

const char *pgc_fit_name(pgc_fit fit) { return fit == PGC_FIT_PAD ? "pad" : "crop"; }

int pgc_fit_plan_make(size_t h, size_t w, size_t n, pgc_fit fit, pgc_fit_plan *p, pgc_err *e)
{
    if (h == 0 || w == 0 || n == 0)
        return pgc_errf(e, PGC_EINPUT, "cannot resize a %zux%zu image to %zu", h, w, n);
    /* crop: the shorter side becomes n; pad: the longer side does. */
    int by_h = fit == PGC_FIT_CROP ? h <= w : h >= w;
    double s = (double)n / (double)(by_h ? h : w);
    double other = floor((double)(by_h ? w : h) * s + 0.5);
    if (other < 1) other = 1;
    if (other > 1e9) return pgc_errf(e, PGC_EINPUT, "image %zux%zu is too elongated", h, w);
    p->n = n;
    p->rh = by_h ? n : (size_t)other;
    p->rw = by_h ? (size_t)other : n;
    p->s = s;
    p->sx = (double)p->rw / (double)w;
    p->sy = (double)p->rh / (double)h;
    /* Centre: floor of half the difference (crop keeps the extra pixel at the end). */
    p->ox = fit == PGC_FIT_CROP ? -(long)((p->rw - n) / 2) : (long)((n - p->rw) / 2);
    p->oy = fit == PGC_FIT_CROP ? -(long)((p->rh - n) / 2) : (long)((n - p->rh) / 2);
    return PGC_OK;
}

pgc_transform pgc_fit_transform(const pgc_fit_plan *p)
{
    /* Output grid point x is resized point x - ox, which is input point (x - ox) / sx. */
    return (pgc_transform){1 / p->sx, 0, -(double)p->ox / p->sx, 0, 1 / p->sy, -(double)p->oy / p->sy};
}

/* ---- resampling */

static int taps_room(pgc_taps *t, size_t m, size_t ntap, pgc_err *e)
{
    if (t->cap_m < m + 1) {
        size_t *s = realloc(t->start, (m + 1) * sizeof *s);
        if (!s) return pgc_errf(e, PGC_ENOMEM, "out of memory for resampling");
        t->start = s, t->cap_m = m + 1;
    }
    if (t->cap_tap < ntap) {
        uint32_t *i = realloc(t->idx, ntap * sizeof *i);
        if (i) t->idx = i;
        float *w = realloc(t->w, ntap * sizeof *w);
        if (w) t->w = w;
        if (!i || !w) return pgc_errf(e, PGC_ENOMEM, "out of memory for resampling");
        t->cap_tap = ntap;
    }
    return PGC_OK;
}

int pgc_taps_make(pgc_taps *t, size_t n, size_t m, size_t k0, size_t k1, pgc_err *e)
{
    size_t cnt = k1 - k0;
    double scale = (double)n / (double)m; /* input samples per output sample */
    size_t per = m < n ? (size_t)ceil(scale) + 2 : 2;
    int rc = taps_room(t, cnt, cnt * per, e);
    if (rc) return rc;
    size_t nt = 0;
    for (size_t k = k0; k < k1; k++) {
        t->start[k - k0] = nt;
        if (m == n) {
            t->idx[nt] = (uint32_t)k, t->w[nt++] = 1;
        } else if (m < n) { /* area: output k covers input [k scale, (k+1) scale) */
            double lo = (double)k * scale, hi = (double)(k + 1) * scale;
            size_t i0 = (size_t)floor(lo), i1 = (size_t)ceil(hi);
            if (i1 > n) i1 = n;
            for (size_t i = i0; i < i1; i++) {
                double ov = fmin(hi, (double)i + 1) - fmax(lo, (double)i);
                if (ov > 1e-9) t->idx[nt] = (uint32_t)i, t->w[nt++] = (float)(ov / scale);
            }
        } else { /* bilinear at pixel centres, clamped at the edges */
            double x = ((double)k + 0.5) * scale - 0.5;
            if (x < 0) x = 0;
            if (x > (double)(n - 1)) x = (double)(n - 1);
            size_t i = (size_t)floor(x);
            double f = x - (double)i;
            t->idx[nt] = (uint32_t)i, t->w[nt++] = (float)(1 - f);
            if (f > 0 && i + 1 < n) t->idx[nt] = (uint32_t)(i + 1), t->w[nt++] = (float)f;
        }
    }
    t->start[cnt] = nt;
    t->m = cnt, t->ntap = nt;
    return PGC_OK;
}

static void taps_free(pgc_taps *t)
{
    free(t->start), free(t->idx), free(t->w);
    memset(t, 0, sizeof *t);
}

void pgc_prep_work_free(pgc_prep_work *w)
{
    taps_free(&w->ty), taps_free(&w->tx);
    free(w->tmp), free(w->sel);
    memset(w, 0, sizeof *w);
}

static int grow_f32(float **p, size_t *cap, size_t n, pgc_err *e)
{
    if (*cap >= n) return PGC_OK;
    float *q = realloc(*p, n * sizeof *q);
    if (!q) return pgc_errf(e, PGC_ENOMEM, "out of memory for %zu values", n);
    *p = q, *cap = n;
    return PGC_OK;
}

int pgc_prep_resize(pgc_prep_work *wk, const float *src, size_t h, size_t w,
                    const pgc_fit_plan *p, float *dst, pgc_err *e)
{
    size_t n = p->n;
    if (h > UINT32_MAX || w > UINT32_MAX) return pgc_errf(e, PGC_EINPUT, "image too large");
    memset(dst, 0, n * n * sizeof *dst); // (n, n)
    /* The resized rows and columns that land inside the output. */
    long y0 = p->oy < 0 ? -p->oy : 0, x0 = p->ox < 0 ? -p->ox : 0;
    long y1 = (long)p->rh < (long)n - p->oy ? (long)p->rh : (long)n - p->oy;
    long x1 = (long)p->rw < (long)n - p->ox ? (long)p->rw : (long)n - p->ox;
    if (y1 <= y0 || x1 <= x0) return PGC_OK;
    size_t rows = (size_t)(y1 - y0), cols = (size_t)(x1 - x0);
    int rc;
    if ((rc = pgc_taps_make(&wk->ty, h, p->rh, (size_t)y0, (size_t)y1, e)) ||
        (rc = pgc_taps_make(&wk->tx, w, p->rw, (size_t)x0, (size_t)x1, e)) ||
        (rc = grow_f32(&wk->tmp, &wk->tmp_cap, rows * w, e)))
        return rc;
    float *tmp = wk->tmp; // (rows, w)
    for (size_t r = 0; r < rows; r++) {
        float *out = tmp + r * w;
        memset(out, 0, w * sizeof *out);
        for (size_t t = wk->ty.start[r]; t < wk->ty.start[r + 1]; t++) {
            const float *in = src + (size_t)wk->ty.idx[t] * w;
            float wt = wk->ty.w[t];
            for (size_t x = 0; x < w; x++) out[x] += wt * in[x];
        }
    }
    for (size_t r = 0; r < rows; r++) {
        const float *in = tmp + r * w;
        float *out = dst + (size_t)((long)r + y0 + p->oy) * n + (size_t)(x0 + p->ox);
        for (size_t c = 0; c < cols; c++) {
            float acc = 0;
            for (size_t t = wk->tx.start[c]; t < wk->tx.start[c + 1]; t++)
                acc += wk->tx.w[t] * in[wk->tx.idx[t]];
            out[c] = acc;
        }
    }
    return PGC_OK;
}

void pgc_prep_to_f32(const pgc_record *r, float *dst)
{
    size_t n = (size_t)pgc_record_count(r);
    switch (r->dtype) {
    case PGC_DT_U8: { const uint8_t *s = r->data; for (size_t i = 0; i < n; i++) dst[i] = s[i]; break; }
    case PGC_DT_U16: { const uint16_t *s = r->data; for (size_t i = 0; i < n; i++) dst[i] = s[i]; break; }
    case PGC_DT_I16: { const int16_t *s = r->data; for (size_t i = 0; i < n; i++) dst[i] = s[i]; break; }
    case PGC_DT_I32: { const int32_t *s = r->data; for (size_t i = 0; i < n; i++) dst[i] = (float)s[i]; break; }
    case PGC_DT_F32: memcpy(dst, r->data, n * sizeof *dst); break;
    case PGC_DT_F64: { const double *s = r->data; for (size_t i = 0; i < n; i++) dst[i] = (float)s[i]; break; }
    }
}

/* ---- intensity */

/* The k-th smallest of v[0..n) (0-based); reorders v. Three-way partition, so images
 * with many equal values (8-bit sources) stay linear. */
static float select_kth(float *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n; /* the answer is in v[lo..hi) */
    uint32_t rnd = 2463534242u;
    while (hi - lo > 1) {
        rnd ^= rnd << 13, rnd ^= rnd >> 17, rnd ^= rnd << 5;
        float piv = v[lo + rnd % (hi - lo)];
        size_t lt = lo, i = lo, gt = hi; /* [lo,lt) < piv, [lt,i) == piv, [gt,hi) > piv */
        while (i < gt) {
            if (v[i] < piv) { float t = v[i]; v[i] = v[lt]; v[lt] = t; lt++, i++; }
            else if (v[i] > piv) { gt--; float t = v[i]; v[i] = v[gt]; v[gt] = t; }
            else i++;
        }
        if (k < lt) hi = lt;
        else if (k >= gt) lo = gt;
        else return piv;
    }
    return v[k];
}

/* Percentile p (0..100) with linear interpolation between order statistics. */
static float percentile(float *v, size_t n, double p)
{
    double pos = p / 100.0 * (double)(n - 1);
    size_t k = (size_t)floor(pos);
    if (k >= n - 1) return select_kth(v, n, n - 1);
    float a = select_kth(v, n, k);
    float b = v[k + 1]; /* after the select, v[k+1..] are >= a: their minimum is next */
    for (size_t i = k + 2; i < n; i++) if (v[i] < b) b = v[i];
    return (float)(a + (pos - (double)k) * ((double)b - a));
}

int pgc_norm_parse(const char *s, pgc_norm *norm, double *lo, double *hi)
{
    static const struct { const char *name; pgc_norm norm; int pct; } names[] = {
        {"pct", PGC_NORM_PCT, 1}, {"hist", PGC_NORM_HIST, 1},
        {"zscore", PGC_NORM_ZSCORE, 0}, {"none", PGC_NORM_NONE, 0}};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        size_t len = strlen(names[k].name);
        if (strncmp(s, names[k].name, len)) continue;
        if (!s[len]) return *norm = names[k].norm, 0;
        double a, b;
        char end;
        if (names[k].pct && s[len] == ' ' && sscanf(s + len, "%lf %lf%c", &a, &b, &end) == 2 &&
            a >= 0 && a < b && b <= 100)
            return *norm = names[k].norm, *lo = a, *hi = b, 0;
    }
    return -1;
}

void pgc_norm_format(pgc_norm norm, double lo, double hi, char *buf, size_t n)
{
    if (norm == PGC_NORM_PCT || norm == PGC_NORM_HIST)
        snprintf(buf, n, "%s %g %g", norm == PGC_NORM_PCT ? "pct" : "hist", lo, hi);
    else snprintf(buf, n, "%s", norm == PGC_NORM_ZSCORE ? "zscore" : "none");
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The first index of sorted v[0..n) whose value is >= x (strict: > x). */
static size_t bound(const float *v, size_t n, float x, int strict)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strict ? v[mid] <= x : v[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* hist's second step, on pct's output: the tissue's values by their mid-rank (ties share
 * one value, so the map stays a function of intensity). */
static void equalise_tissue(float *img, size_t n, float *sel)
{
    const float floor_ = (float)PGC_HIST_FLOOR;
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++)
        if (img[i] > floor_) sel[cnt++] = img[i];
    if (cnt == 0) return;
    qsort(sel, cnt, sizeof *sel, cmp_float);
    for (size_t i = 0; i < n; i++) {
        if (!(img[i] > floor_)) continue;
        double mid = ((double)bound(sel, cnt, img[i], 0) + (double)bound(sel, cnt, img[i], 1)) / 2;
        img[i] = (float)(floor_ + (1 - floor_) * mid / (double)cnt);
    }
}

int pgc_prep_normalise(pgc_prep_work *w, float *img, size_t n, pgc_norm norm, double lo,
                       double hi, pgc_err *e)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(img[i])) return pgc_errf(e, PGC_EINPUT, "image holds NaN or infinity");
    if (norm == PGC_NORM_NONE) return PGC_OK;
    if (norm == PGC_NORM_ZSCORE) {
        double sum = 0, sum2 = 0;
        size_t cnt = 0;
        for (size_t i = 0; i < n; i++)
            if (img[i] != 0) sum += img[i], cnt++;
        double mean = cnt ? sum / (double)cnt : 0;
        for (size_t i = 0; i < n; i++)
            if (img[i] != 0) sum2 += (img[i] - mean) * (img[i] - mean);
        double sd = cnt ? sqrt(sum2 / (double)cnt) : 0;
        for (size_t i = 0; i < n; i++)
            img[i] = img[i] != 0 && sd > 0 ? (float)((img[i] - mean) / sd) : 0.0f;
        return PGC_OK;
    }
    int rc = grow_f32(&w->sel, &w->sel_cap, n ? n : 1, e);
    if (rc) return rc;
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++)
        if (img[i] != 0) w->sel[cnt++] = img[i];
    if (cnt == 0) return PGC_OK; /* all zero already */
    float plo = percentile(w->sel, cnt, lo), phi = percentile(w->sel, cnt, hi);
    for (size_t i = 0; i < n; i++) {
        if (img[i] == 0) continue;
        float v;
        if (phi > plo) {
            v = (float)(((double)img[i] - plo) / ((double)phi - plo));
            v = v < 0 ? 0 : v > 1 ? 1 : v;
        } else { /* constant foreground: keep it visible */
            v = img[i] >= plo ? 1.0f : 0.0f;
        }
        img[i] = v;
    }
    if (norm == PGC_NORM_HIST) equalise_tissue(img, n, w->sel);
    return PGC_OK;
}

/* Per-scale class activation maps (format/network.md, sections 4 and 5).
 *
 * All methods read A = feat and G = grad, (K, h, w), where G is the gradient of the
 * class logit y^c (pre-softmax) with respect to A. Sums run in double so that maps agree
 * with an independent implementation to 1e-4 after normalisation.
 *
 * CAM (Eq. 1) needs the FC weights w_k, which the stream does not carry. For a
 * GAP + FC head, y^c = sum_k w_k (1 / hw) sum_ij A_k(i, j) + b, so G_k(i, j) = w_k / hw
 * everywhere and w_k = h w G_k(i, j). We take w_k = h w mean_ij G_k (exact for GAP + FC;
 * for heads where G varies over (i, j), such as DC-FPN's scales that reach the GAP through
 * the decoder, it is the spatial average). CAM is then h w times Grad-CAM before its
 * ReLU: we keep the h w factor and apply no ReLU, so the map is Eq. 1 itself and can be
 * negative. (An inference-mode BN between A and the GAP scales w_k by gamma_k / sigma_k
 * and adds a constant map, which min-max normalisation removes.)
 *
 * Grad-CAM++ follows Chattopadhay et al. 2018, Eq. 19 with the exponential's higher
 * derivatives written as powers of G:
 *     a_k(i, j) = G^2 / (2 G^2 + (sum_ab A_k(a, b)) G^3),  0 where G or the denominator is 0
 *     w_k = sum_ij a_k(i, j) ReLU(G_k(i, j)),  map = ReLU(sum_k w_k A_k).
 * No epsilon is added to the denominator (pytorch-grad-cam adds 1e-7, which changes the
 * weights when gradients are small, as ours are).
 * HiResCAM: the paper's element-wise product sum, followed by a ReLU as for Grad-CAM. */
#include "cam.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[PGC_CAM_NMETHODS] = {
    [PGC_CAM_GRADCAM] = "gradcam",   [PGC_CAM_CAM] = "cam",
    [PGC_CAM_GRADCAMPP] = "gradcam++", [PGC_CAM_LAYERCAM] = "layercam",
    [PGC_CAM_HIRESCAM] = "hirescam",
};

int pgc_cam_method_parse(const char *name)
{
    for (int m = 0; m < PGC_CAM_NMETHODS; m++)
        if (!strcmp(name, method_names[m])) return m;
    if (!strcmp(name, "gradcampp")) return PGC_CAM_GRADCAMPP;
    return -1;
}

const char *pgc_cam_method_name(pgc_cam_method m)
{
    return (unsigned)m < PGC_CAM_NMETHODS ? method_names[m] : "?";
}

/* One weight per channel for the methods that weight whole channels. */
static void channel_weights(pgc_cam_method m, const float *feat, const float *grad,
                            size_t k, size_t hw, double *wk)
{
    for (size_t c = 0; c < k; c++) {
        const float *a = feat + c * hw, *g = grad + c * hw;
        double s = 0;
        if (m == PGC_CAM_GRADCAMPP) {
            double sum_a = 0;
            for (size_t i = 0; i < hw; i++) sum_a += a[i];
            for (size_t i = 0; i < hw; i++) {
                double g1 = g[i], g2 = g1 * g1, den = 2 * g2 + sum_a * g2 * g1;
                if (g1 > 0 && den != 0) s += g2 / den * g1;
            }
        } else {
            for (size_t i = 0; i < hw; i++) s += g[i];
            s /= (double)hw;                           // alpha_k: mean gradient
            if (m == PGC_CAM_CAM) s *= (double)hw;     // w_k = h w alpha_k
        }
        wk[c] = s;
    }
}

int pgc_cam_compute(pgc_cam_method m, const float *feat, const float *grad, size_t k,
                    size_t h, size_t w, float *out, pgc_err *e)
{
    size_t hw = h * w;
    double *acc = calloc(hw ? hw : 1, sizeof *acc); // (h, w)
    double *wk = malloc((k ? k : 1) * sizeof *wk);  // (K)
    if (!acc || !wk) {
        free(acc);
        free(wk);
        return pgc_errf(e, PGC_ENOMEM, "out of memory for a %zu x %zu map", h, w);
    }
    if (m == PGC_CAM_LAYERCAM || m == PGC_CAM_HIRESCAM) {
        for (size_t c = 0; c < k; c++) {
            const float *a = feat + c * hw, *g = grad + c * hw;
            for (size_t i = 0; i < hw; i++) {
                double gi = g[i];
                if (m == PGC_CAM_LAYERCAM && gi < 0) gi = 0;
                acc[i] += gi * a[i];
            }
        }
    } else {
        channel_weights(m, feat, grad, k, hw, wk);
        for (size_t c = 0; c < k; c++) {
            const float *a = feat + c * hw;
            for (size_t i = 0; i < hw; i++) acc[i] += wk[c] * a[i];
        }
    }
    int relu = m != PGC_CAM_CAM;
    for (size_t i = 0; i < hw; i++) out[i] = (float)(relu && acc[i] < 0 ? 0 : acc[i]);
    free(acc);
    free(wk);
    return PGC_OK;
}

int pgc_scale_of(const pgc_record *r, const char *prefix)
{
    char name[64];
    if (!pgc_meta_get(r, "name", name, sizeof name)) return 0;
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n) || strncmp(name + n, ".s", 2)) return 0;
    const char *d = name + n + 2;
    if (d[0] < '1' || d[0] > '9') return 0;
    char *end;
    long p = strtol(d, &end, 10);
    return *end || p > 31 ? 0 : (int)p;
}

int pgc_scales_parse(const char *s, unsigned *set, pgc_err *e)
{
    *set = 0;
    if (!strcmp(s, "all")) return PGC_OK;
    const char *p = s;
    for (;;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 31 || (*end && *end != ','))
            return pgc_errf(e, PGC_EINPUT, "bad scale list '%s' (want 'all' or e.g. '1,4')", s);
        *set |= 1u << v;
        if (!*end) return PGC_OK;
        p = end + 1;
    }
}

static int check_finite(const pgc_record *r, const char *what, const char *frame, pgc_err *e)
{
    const float *x = r->data;
    uint64_t n = pgc_record_count(r);
    for (uint64_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return pgc_errf(e, PGC_EINPUT, "frame '%s': %s holds %s at element %llu", frame,
                            what, isnan(x[i]) ? "NaN" : "Inf", (unsigned long long)i);
    return PGC_OK;
}

int pgc_cam_record(pgc_record *out, const pgc_record *feat, const pgc_record *grad,
                   pgc_cam_method m, const char *frame, pgc_err *e)
{
    int p = pgc_scale_of(feat, "feat");
    char fname[16], gname[16];
    snprintf(fname, sizeof fname, "feat.s%d", p);
    snprintf(gname, sizeof gname, "grad.s%d", p);
    if (feat->dtype != PGC_DT_F32 || feat->rank != 3)
        return pgc_errf(e, PGC_EINPUT, "frame '%s': %s is not f32 (c y x)", frame, fname);
    if (grad->dtype != PGC_DT_F32 || grad->rank != 3)
        return pgc_errf(e, PGC_EINPUT, "frame '%s': %s is not f32 (c y x)", frame, gname);
    if (memcmp(feat->dims, grad->dims, sizeof feat->dims))
        return pgc_errf(e, PGC_EINPUT,
                        "frame '%s': %s is %llu x %llu x %llu but %s is %llu x %llu x %llu",
                        frame, fname, (unsigned long long)feat->dims[0],
                        (unsigned long long)feat->dims[1], (unsigned long long)feat->dims[2],
                        gname, (unsigned long long)grad->dims[0],
                        (unsigned long long)grad->dims[1], (unsigned long long)grad->dims[2]);
    int rc;
    if ((rc = check_finite(feat, fname, frame, e)) || (rc = check_finite(grad, gname, frame, e)))
        return rc;
    pgc_meta_clear(out);
    if ((rc = pgc_record_f32_2d(out, feat->dims[1], feat->dims[2], e))) return rc;
    if ((rc = pgc_cam_compute(m, feat->data, grad->data, feat->dims[0], feat->dims[1],
                              feat->dims[2], out->data, e)))
        return rc;
    if ((rc = pgc_meta_inherit(out, feat, e)) || (rc = pgc_meta_setf(out, "name", e, "cam.s%d", p)) ||
        (rc = pgc_meta_setf(out, "scale", e, "%d", p)) ||
        (rc = pgc_meta_set(out, "method", pgc_cam_method_name(m), e)))
        return rc;
    return PGC_OK;
}

/* Index of the record named prefix.sN in f, or -1. */
static int find_scale(const pgc_frame *f, const char *prefix, int p)
{
    char name[16];
    snprintf(name, sizeof name, "%s.s%d", prefix, p);
    return pgc_frame_find(f, name);
}

int pgc_cam_frame(pgc_frame *f, const pgc_cam_opts *o, pgc_err *e)
{
    char id[256];
    pgc_frame_id(f, id, sizeof id);
    unsigned have = 0; // scales with a feature map in this frame
    for (int i = 0; i < f->n; i++) {
        int p = pgc_scale_of(&f->rec[i], "feat");
        if (p) have |= 1u << p;
    }
    if (!have) return 0;
    unsigned want = o->scales ? o->scales : have;
    int made = 0;
    for (int p = 1; p <= 31; p++) {
        if (!(want & (1u << p))) continue;
        int fi = find_scale(f, "feat", p), gi = find_scale(f, "grad", p);
        if (fi < 0)
            return pgc_errf(e, PGC_EINPUT, "frame '%s' has no feat.s%d record", id, p);
        if (gi < 0)
            return pgc_errf(e, PGC_EINPUT,
                            "frame '%s' has feat.s%d but no grad.s%d (run pgc-infer without --no-grad)",
                            id, p, p);
        char cname[16];
        snprintf(cname, sizeof cname, "cam.s%d", p);
        int ci = pgc_frame_slot(f, cname, e); // made before (pgc-cam run twice): replaced
        if (ci < 0) return ci;
        // pgc_frame_slot may move the records: index again
        int rc = pgc_cam_record(&f->rec[ci], &f->rec[fi], &f->rec[gi], o->method, id, e);
        if (rc) return rc;
        if (!o->keep) f->drop[fi] = f->drop[gi] = 1;
        made++;
    }
    return made;
}

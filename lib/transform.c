/* The `transform` of a record (transform.h). */
#include "transform.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const pgc_transform pgc_transform_identity = {1, 0, 0, 0, 1, 0};

int pgc_transform_parse(const char *s, pgc_transform *t, pgc_err *e)
{
    double v[6];
    const char *p = s;
    for (int i = 0; i < 6; i++) {
        char *end;
        v[i] = strtod(p, &end);
        if (end == p || !(fabs(v[i]) <= PGC_TRANSFORM_MAX))
            return pgc_errf(e, PGC_EINPUT, "bad transform '%.100s' (want six numbers of at "
                            "most 1e9, an invertible map)", s);
        p = end;
    }
    while (*p == ' ' || *p == '\t') p++;
    if (*p)
        return pgc_errf(e, PGC_EINPUT, "bad transform '%.100s' (want six numbers of at most "
                        "1e9, an invertible map)", s);
    pgc_transform got = {v[0], v[1], v[2], v[3], v[4], v[5]}, inv;
    if (pgc_transform_invert(&got, &inv, NULL))
        return pgc_errf(e, PGC_EINPUT, "bad transform '%.100s' (singular)", s);
    *t = got;
    return PGC_OK;
}

int pgc_transform_get(const pgc_record *r, pgc_transform *t, pgc_err *e)
{
    char buf[512];
    *t = PGC_TRANSFORM_IDENTITY;
    if (!pgc_meta_get(r, "transform", buf, sizeof buf)) return 0;
    pgc_transform got;
    int rc = pgc_transform_parse(buf, &got, e);
    if (rc) return rc;
    *t = got;
    return 1;
}

int pgc_transform_of(const pgc_record *r, const char *frame, pgc_transform *t, pgc_err *e)
{
    pgc_err why;
    int rc = pgc_transform_get(r, t, &why);
    if (rc >= 0) return PGC_OK;
    char name[64];
    return pgc_errf(e, rc, "frame '%s': %s has a %s", frame,
                    pgc_meta_get(r, "name", name, sizeof name) ? name : "a record", why.msg);
}

int pgc_transform_set(pgc_record *r, const pgc_transform *t, pgc_err *e)
{
    /* %.12g: integers print as integers, scale factors keep ~1e-12 relative precision. */
    return pgc_meta_setf(r, "transform", e, "%.12g %.12g %.12g %.12g %.12g %.12g", t->a + 0.0,
                         t->b + 0.0, t->c + 0.0, t->d + 0.0, t->e + 0.0, t->f + 0.0);
}

pgc_transform pgc_transform_compose(const pgc_transform *o, const pgc_transform *i)
{
    return (pgc_transform){
        o->a * i->a + o->b * i->d, o->a * i->b + o->b * i->e, o->a * i->c + o->b * i->f + o->c,
        o->d * i->a + o->e * i->d, o->d * i->b + o->e * i->e, o->d * i->c + o->e * i->f + o->f,
    };
}

void pgc_transform_apply(const pgc_transform *t, double x, double y, double *sx, double *sy)
{
    *sx = t->a * x + t->b * y + t->c;
    *sy = t->d * x + t->e * y + t->f;
}

int pgc_transform_invert(const pgc_transform *t, pgc_transform *inv, pgc_err *e)
{
    double det = t->a * t->e - t->b * t->d;
    double scale = fabs(t->a) + fabs(t->b) + fabs(t->d) + fabs(t->e);
    if (!isfinite(det) || !(fabs(det) > 1e-12 * scale * scale))
        return pgc_errf(e, PGC_EINPUT, "transform is singular");
    pgc_transform r = {t->e / det, -t->b / det, 0, -t->d / det, t->a / det, 0};
    r.c = -(r.a * t->c + r.b * t->f);
    r.f = -(r.d * t->c + r.e * t->f);
    *inv = r;
    return PGC_OK;
}

void pgc_transform_box(const pgc_transform *t, const float in[4], float out[4])
{
    double xs[2] = {in[0], in[2]}, ys[2] = {in[1], in[3]};
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double x, y;
            pgc_transform_apply(t, xs[i], ys[j], &x, &y);
            x0 = fmin(x0, x), x1 = fmax(x1, x), y0 = fmin(y0, y), y1 = fmax(y1, y);
        }
    out[0] = (float)x0, out[1] = (float)y0, out[2] = (float)x1, out[3] = (float)y1;
}

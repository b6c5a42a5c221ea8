/* pgc-prep: makes each frame's image the network's input: resized so the shorter side is
 * N, centre-cropped (or padded) to N x N, intensity-normalised, f32. Truth boxes follow
 * the image; every other record passes through unchanged.
 * Reads: a stream on stdin. Writes: a stream on stdout. One frame in memory at a time. */
#include <stdlib.h>
#include <string.h>

#include "../lib/prep.h"
#include "common/cli.h"

#include "../lib/model.h"

static const char usage[] =
    "usage: pgc-prep [--size N] [--fit crop|pad] [--norm pct|zscore|none] [--pct LO:HI]\n"
    "Prepares every frame's `image` record for the network, one frame at a time:\n"
    "  1. intensity, from the non-zero (foreground) pixels of the image as it comes:\n"
    "     pct (default): clip to the LO..HI percentiles of the foreground (default\n"
    "       0.5:99.5) and map that range to [0, 1]; zscore: mean 0, sd 1 over the\n"
    "       foreground; none: values as they are. Zero (background) pixels stay 0.\n"
    "  2. resize so that the shorter side is N (area average when shrinking, bilinear at\n"
    "     pixel centres when growing), then centre-crop to N x N (--fit crop, default) or\n"
    "     scale the longer side to N and zero-pad to N x N (--fit pad: nothing is lost).\n"
    "The image becomes f32 (y x); `transform` is composed so that it still maps tensor\n"
    "pixels to source pixels, `spacing` follows the scale, and `norm` and `fit` record\n"
    "steps 1 and 2 (pgc-train copies them into the model).\n"
    "`truth` and `boxes` records of the frame are mapped to the new pixel grid, clipped\n"
    "to it, and dropped when left empty. Other records pass through unchanged.\n"
    "\n"
    "  --size N     output side, 1..8192 (default 224)\n"
    "  --fit F      crop (default) or pad\n"
    "  --norm M     pct (default), zscore or none\n"
    "  --pct LO:HI  percentiles for --norm pct, 0 <= LO < HI <= 100 (default 0.5:99.5)\n"
    "  --model M    take size, fit and norm from the model M (how its training images\n"
    "               were made); options given as well win\n"
    "  -h, --help   this help\n"
    "\n"
    "Exit status: 0 success, 1 bad input (one line on stderr), 2 bad usage.\n";

typedef struct {
    size_t size;
    pgc_fit fit;
    pgc_norm norm;
    double lo, hi;
} options;

typedef struct {
    options o;
    pgc_prep_work work;
    float *src; /* (h, w): the image as f32 */
    size_t src_cap;
} prep;

/* The model's prep-size, prep-fit and prep-norm keys (format/model.md) as the defaults. */
static void model_defaults(const char *path, options *o)
{
    pgc_err e;
    pgc_model_info mi;
    if (pgc_model_peek(path, &mi, &e)) cli_die(PGC_EINPUT, &e);
    char v[128];
    if (pgc_model_meta(&mi, "prep-size", v, sizeof v) && atol(v) > 0) o->size = (size_t)atol(v);
    else o->size = (size_t)mi.h; /* older models: the size they were trained at */
    if (pgc_model_meta(&mi, "prep-fit", v, sizeof v)) o->fit = !strcmp(v, "pad") ? PGC_FIT_PAD : PGC_FIT_CROP;
    if (pgc_model_meta(&mi, "prep-norm", v, sizeof v)) {
        double lo, hi;
        if (sscanf(v, "pct %lf %lf", &lo, &hi) == 2) o->norm = PGC_NORM_PCT, o->lo = lo, o->hi = hi;
        else if (!strcmp(v, "zscore")) o->norm = PGC_NORM_ZSCORE;
        else if (!strcmp(v, "none")) o->norm = PGC_NORM_NONE;
        else cli_fail("cannot read model '%s': prep-norm '%s' is not pct LO HI, zscore or none", path, v);
    }
    pgc_model_info_free(&mi);
}

static options parse_args(int argc, char **argv)
{
    options o = {224, PGC_FIT_CROP, PGC_NORM_PCT, 0.5, 99.5};
    for (int i = 1; i + 1 < argc; i++) /* the model's settings first, so options win */
        if (!strcmp(argv[i], "--model")) model_defaults(argv[i + 1], &o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--size") && strcmp(a, "--fit") && strcmp(a, "--norm") && strcmp(a, "--pct") &&
            strcmp(a, "--model"))
            cli_usage("unknown argument '%s'", a);
        if (i + 1 >= argc) cli_usage("%s needs a value", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--model")) {
            /* read above */
        } else if (!strcmp(a, "--size")) {
            o.size = (size_t)cli_long(a, v, 1, 8192);
        } else if (!strcmp(a, "--fit")) {
            if (!strcmp(v, "crop")) o.fit = PGC_FIT_CROP;
            else if (!strcmp(v, "pad")) o.fit = PGC_FIT_PAD;
            else cli_usage("--fit wants crop or pad, not '%s'", v);
        } else if (!strcmp(a, "--norm")) {
            if (!strcmp(v, "pct")) o.norm = PGC_NORM_PCT;
            else if (!strcmp(v, "zscore")) o.norm = PGC_NORM_ZSCORE;
            else if (!strcmp(v, "none")) o.norm = PGC_NORM_NONE;
            else cli_usage("--norm wants pct, zscore or none, not '%s'", v);
        } else {
            char lo[64], hi[64];
            const char *colon = strchr(v, ':');
            if (!colon || colon - v >= 64 || strlen(colon + 1) >= 64)
                cli_usage("--pct wants LO:HI, not '%s'", v);
            snprintf(lo, sizeof lo, "%.*s", (int)(colon - v), v);
            snprintf(hi, sizeof hi, "%s", colon + 1);
            o.lo = cli_double("--pct LO", lo, 0, 100);
            o.hi = cli_double("--pct HI", hi, 0, 100);
            if (!(o.lo < o.hi)) cli_usage("--pct wants LO < HI, not '%s'", v);
        }
    }
    return o;
}

/* Maps box records (truth, boxes) onto the new grid: inv is old grid -> new grid. */
static void prep_boxes(pgc_record *r, const pgc_transform *inv, const pgc_transform *t,
                       double n, const char *spacing)
{
    pgc_err e;
    char id[256];
    if (r->dtype != PGC_DT_F32 || r->rank != 2 || r->dims[1] != 4)
        cli_fail("frame '%s': %s record is not f32 (box, coord) n x 4",
                 pgc_meta_get(r, "frame", id, sizeof id) ? id : "", r->dimname[0]);
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
    if ((rc = pgc_transform_set(r, t, &e)) ||
        (spacing && (rc = pgc_meta_set(r, "spacing", spacing, &e))))
        cli_die(rc, &e);
}

static void prep_frame(prep *p, pgc_frame *f)
{
    pgc_err e;
    int rc, at = pgc_frame_find(f, "image");
    if (at < 0) return; /* nothing to prepare: the frame passes through */
    pgc_record *img = &f->rec[at];
    char id[512];
    pgc_frame_id(f, id, sizeof id);
    for (int i = at + 1; i < f->n; i++) /* truth follows one image: two would be ambiguous */
        if (pgc_record_is(&f->rec[i], "image"))
            cli_fail("frame '%s' holds more than one image record (frame ids must be unique)", id);
    if (img->rank != 2)
        cli_fail("frame '%s': image has rank %d, want 2 (y x)", id, img->rank);
    size_t h = (size_t)img->dims[0], w = (size_t)img->dims[1], n = p->o.size;
    pgc_fit_plan plan;
    if ((rc = pgc_fit_plan_make(h, w, n, p->o.fit, &plan, &e))) {
        cli_fail("frame '%s': %s", id, e.msg);
    }
    pgc_transform old, fit = pgc_fit_transform(&plan), now, inv;
    if ((rc = pgc_transform_get(img, &old, &e)) < 0) cli_fail("frame '%s': %s", id, e.msg);
    now = pgc_transform_compose(&old, &fit);
    if (pgc_transform_invert(&fit, &inv, &e)) cli_fail("frame '%s': %s", id, e.msg);

    if (h * w > p->src_cap) {
        free(p->src);
        p->src = malloc(h * w * sizeof *p->src);
        if (!p->src) cli_fail("frame '%s': out of memory for a %zux%zu image", id, h, w);
        p->src_cap = h * w;
    }
    pgc_prep_to_f32(img, p->src);
    if ((rc = pgc_prep_normalise(&p->work, p->src, h * w, p->o.norm, p->o.lo, p->o.hi, &e)))
        cli_fail("frame '%s': %s", id, e.msg);
    /* The payload now lives in p->src: the record is reshaped in place, which keeps its
     * metadata in order; transform and spacing are updated where they stand. */
    char sp[256], spacing[256] = "";
    double sy, sx;
    if (pgc_meta_get(img, "spacing", sp, sizeof sp) && sscanf(sp, "%lf %lf", &sy, &sx) == 2)
        snprintf(spacing, sizeof spacing, "%.9g %.9g", sy / plan.sy, sx / plan.sx);
    char nm[64];
    if (p->o.norm == PGC_NORM_PCT) snprintf(nm, sizeof nm, "pct %g %g", p->o.lo, p->o.hi);
    else snprintf(nm, sizeof nm, "%s", p->o.norm == PGC_NORM_ZSCORE ? "zscore" : "none");
    if ((rc = pgc_record_f32_2d(img, n, n, &e)) ||
        (rc = pgc_prep_resize(&p->work, p->src, h, w, &plan, img->data, &e)) ||
        (rc = pgc_transform_set(img, &now, &e)) ||
        (spacing[0] && (rc = pgc_meta_set(img, "spacing", spacing, &e))) ||
        (rc = pgc_meta_set(img, "norm", nm, &e)) ||
        (rc = pgc_meta_set(img, "fit", p->o.fit == PGC_FIT_PAD ? "pad" : "crop", &e)))
        cli_die(rc, &e);

    for (int i = 0; i < f->n; i++)
        if (pgc_record_is(&f->rec[i], "truth") || pgc_record_is(&f->rec[i], "boxes"))
            prep_boxes(&f->rec[i], &inv, &now, (double)n, spacing[0] ? spacing : NULL);
}

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    cli_help(argc, argv, usage);
    prep p = {.o = parse_args(argc, argv)};
    pgc_reader *rd = cli_reader("-");
    pgc_writer *w = cli_writer();
    pgc_frame f = {0};
    while (cli_frame(rd, &f) == 1) {
        prep_frame(&p, &f);
        cli_put_frame(w, &f);
    }
    cli_close(w);
    pgc_frame_free(&f);
    pgc_reader_free(rd);
    pgc_prep_work_free(&p.work);
    free(p.src);
    return CLI_OK;
}

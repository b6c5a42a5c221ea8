/* pgc-prep: makes each frame's image the network's input: resized so the shorter side is
 * N, centre-cropped (or padded) to N x N, intensity-normalised, f32. Truth boxes follow
 * the image; every other record passes through unchanged.
 * Reads: a stream on stdin. Writes: a stream on stdout. One frame in memory at a time. */
#include <stdlib.h>
#include <string.h>

#include "../lib/prep_frame.h"
#include "common/cli.h"

#include "../lib/model.h"

static const char head[] =
    "usage: pgc-prep [--size N] [--fit crop|pad] [--norm pct|hist|zscore|none] [--pct LO:HI]\n"
    "Prepares every frame's `image` record for the network, one frame at a time:\n"
    "  1. intensity, from the non-zero (foreground) pixels of the image as it comes:\n"
    "     pct (default): clip to the LO..HI percentiles of the foreground (default\n"
    "       0.5:99.5) and map that range to [0, 1]; hist: pct, then the tissue (values\n"
    "       above 0.1) equalised to a flat histogram on (0.1, 1], each pixel by its\n"
    "       rank, so that scanners and contrasts look alike (darker pixels keep their\n"
    "       pct value); zscore: mean 0, sd 1 over the foreground; none: values as\n"
    "       they are. Zero (background) pixels stay 0.\n"
    "  2. resize so that the shorter side is N (area average when shrinking, bilinear at\n"
    "     pixel centres when growing), then centre-crop to N x N (--fit crop, default) or\n"
    "     scale the longer side to N and zero-pad to N x N (--fit pad: nothing is lost).\n"
    "The image becomes f32 (y x); `transform` is composed so that it still maps tensor\n"
    "pixels to source pixels, `spacing` follows the scale, and `norm` and `fit` record\n"
    "steps 1 and 2 (pgc-train copies them into the model).\n"
    "`truth` and `boxes` records of the frame are mapped to the new pixel grid, clipped\n"
    "to it, and dropped when left empty. Other records pass through unchanged.\n"
    "\n";
static const char tail[] =
    "\n"
    "Exit status: 0 success, 1 bad input (one line on stderr), 2 bad usage.\n";

/* What the command line gave; 0 / -1 where an option was not given, so that the
 * model's settings can fill in what is left. */
typedef struct {
    size_t size;
    int fit, norm;
    double lo, hi;
    int pct;
    const char *model;
} given;

static int parse_fit(const char *v, void *target, pgc_err *e)
{
    pgc_fit fit;
    if (pgc_fit_parse(v, &fit)) return pgc_errf(e, PGC_EINPUT, "--fit wants crop or pad, not '%s'", v);
    *(int *)target = (int)fit;
    return PGC_OK;
}

/* A name only: the percentiles have an option of their own. */
static int parse_norm(const char *v, void *target, pgc_err *e)
{
    pgc_norm norm;
    double lo, hi;
    if (strchr(v, ' ') || pgc_norm_parse(v, &norm, &lo, &hi))
        return pgc_errf(e, PGC_EINPUT, "--norm wants pct, hist, zscore or none, not '%s'", v);
    *(int *)target = (int)norm;
    return PGC_OK;
}

/* LO:HI, each in 0..100, LO < HI. */
static int parse_pct(const char *v, void *target, pgc_err *e)
{
    given *g = target;
    char lo[64], hi[64];
    const char *colon = strchr(v, ':');
    if (!colon || colon - v >= 64 || strlen(colon + 1) >= 64)
        return pgc_errf(e, PGC_EINPUT, "--pct wants LO:HI, not '%s'", v);
    snprintf(lo, sizeof lo, "%.*s", (int)(colon - v), v);
    snprintf(hi, sizeof hi, "%s", colon + 1);
    g->lo = cli_double("--pct LO", lo, 0, 100);
    g->hi = cli_double("--pct HI", hi, 0, 100);
    if (!(g->lo < g->hi)) return pgc_errf(e, PGC_EINPUT, "--pct wants LO < HI, not '%s'", v);
    g->pct = 1;
    return PGC_OK;
}

/* The model's prep-size, prep-fit and prep-norm keys (format/model.md) as the defaults. */
static void model_defaults(const char *path, pgc_prep_opts *o)
{
    pgc_err e;
    pgc_model_info mi;
    if (pgc_model_peek(path, &mi, &e)) cli_die(PGC_EINPUT, &e);
    char v[128];
    if (pgc_model_meta(&mi, "prep-size", v, sizeof v) && atol(v) > 0) o->size = (size_t)atol(v);
    else o->size = (size_t)mi.h; /* older models: the size they were trained at */
    if (pgc_model_meta(&mi, "prep-fit", v, sizeof v) && pgc_fit_parse(v, &o->fit))
        cli_fail("cannot read model '%s': prep-fit '%s' is not crop or pad", path, v);
    if (pgc_model_meta(&mi, "prep-norm", v, sizeof v) && pgc_norm_parse(v, &o->norm, &o->lo, &o->hi))
        cli_fail("cannot read model '%s': prep-norm '%s' is not pct LO HI, hist LO HI, zscore or none",
                 path, v);
    pgc_model_info_free(&mi);
}

static pgc_prep_opts parse_args(int argc, char **argv)
{
    given g = {0, -1, -1, 0, 0, 0, NULL};
    const cli_option opts[] = {
        {"--size", CLI_SIZE, &g.size, 1, 8192, "N", "output side, 1..8192 (default 224)", NULL},
        {"--fit", CLI_CUSTOM, &g.fit, 0, 0, "F", "crop (default) or pad", parse_fit},
        {"--norm", CLI_CUSTOM, &g.norm, 0, 0, "M", "pct (default), hist, zscore or none", parse_norm},
        {"--pct", CLI_CUSTOM, &g, 0, 0, "LO:HI",
         "percentiles for --norm pct and hist, 0 <= LO < HI <= 100 (default 0.5:99.5)", parse_pct},
        {"--model", CLI_STRING, &g.model, 0, 0, "M",
         "take size, fit and norm from the model M (how its training images\n"
         "were made); options given as well win", NULL},
    };
    cli_parse(argc, argv, opts, CLI_NOPTS(opts), head, tail, NULL);
    pgc_prep_opts o = {224, PGC_FIT_CROP, PGC_NORM_PCT, 0.5, 99.5};
    if (g.model) model_defaults(g.model, &o); /* the model's settings first, so options win */
    if (g.size) o.size = g.size;
    if (g.fit >= 0) o.fit = (pgc_fit)g.fit;
    if (g.norm >= 0) o.norm = (pgc_norm)g.norm;
    if (g.pct) o.lo = g.lo, o.hi = g.hi;
    return o;
}

/* What the loop carries: the options and the state pgc_prep_frame keeps between frames. */
typedef struct {
    pgc_prep_opts o;
    pgc_prep_state st;
} prep_run;

static int prep_one(pgc_frame *f, void *ctx, pgc_err *e)
{
    prep_run *r = ctx;
    return pgc_prep_frame(f, &r->o, &r->st, e);
}

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    /* static: what is in use stays reachable when an error exits from the loop */
    static prep_run run;
    run.o = parse_args(argc, argv);
    cli_map_frames("-", prep_one, &run);
    pgc_prep_state_free(&run.st);
    return CLI_OK;
}

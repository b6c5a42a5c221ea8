/* pgc-box: boxes from a heat map. Thresholds each frame's map (pgcam by default) at a
 * fraction of its maximum and appends one box per 8-connected region, as a `boxes`
 * record (image pixels) and a `boxes.src` record (source pixels); or, with --tsv, writes
 * one text line per box instead of the stream. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../lib/boxes.h"
#include "common/cli.h"

static const char head[] =
    "usage: pgc-box [--rule paper|product] [--frac F] [--map NAME] [--largest]\n"
    "               [--min-area N] [--min-area-frac A] [--min-peak Q] [--max-boxes K]\n"
    "               [--prob-threshold P] [--tsv] [FILE]\n"
    "Boxes from a heat map: pixels strictly above F times the map's maximum (none when the\n"
    "maximum is <= 0), one half-open box x0 y0 x1 y1 per 8-connected region. Appends to\n"
    "each frame a boxes record (f32, box coord, image pixels) and a boxes.src record (the\n"
    "same boxes in source pixels: corners mapped through the transform metadata, then\n"
    "min/max). Reads the stream FILE (default: standard input).\n";

typedef struct {
    pgc_boxes_opts box;
    int tsv;
    const char *input;
} cmdline;

static int parse_rule(const char *v, void *target, pgc_err *e)
{
    if (strcmp(v, "paper") && strcmp(v, "product"))
        return pgc_errf(e, PGC_EINPUT, "--rule wants paper or product, not '%s'", v);
    pgc_boxes_rule(target, !strcmp(v, "product"));
    return PGC_OK;
}

static void cmdline_parse(int argc, char **argv, cmdline *c)
{
    *c = (cmdline){{"pgcam", 0.4, 0.5, 1, 0, 0, 0, 0}, 0, NULL};
    pgc_boxes_opts *b = &c->box;
    const cli_option opts[] = {
        {"--rule", CLI_CUSTOM, b, 0, 0, "R",
         "paper (default): dcfpn's rule, every region above 0.4 x max\n"
         "(what Table 2 is scored with); product: regions above 0.9 x\n"
         "max whose peak reaches 0.7 x max and that cover at least 0.5%\n"
         "of the image, the strongest one (the core of the hot spot;\n"
         "chosen on the validation split with pgc-fuse --blur 3 by\n"
         "pipelines/tune_all.sh). Options after --rule change one\n"
         "setting of it, e.g. --max-boxes 3", parse_rule},
        {"--frac", CLI_NUMBER, &b->frac, 0, 1, "F",
         "threshold fraction of the maximum (default 0.4; the paper uses\n"
         "0.8 for ResCAM)", NULL},
        {"--map", CLI_STRING, &b->map, 0, 0, "NAME", "the map to threshold (default pgcam; e.g. cam.s1)", NULL},
        {"--largest", CLI_FLAG, &b->largest, 0, 0, NULL, "keep only the region with the most pixels", NULL},
        {"--min-area", CLI_I64, &b->min_area, 0, (double)(1L << 40), "N",
         "drop regions of fewer than N pixels (default 1)", NULL},
        {"--min-area-frac", CLI_NUMBER, &b->min_area_frac, 0, 1, "A",
         "drop regions of less than fraction A of the map's pixels", NULL},
        {"--min-peak", CLI_NUMBER, &b->min_peak, 0, 1, "Q",
         "keep regions whose peak is at least Q x the map's maximum\n"
         "(default 0: all), strongest first", NULL},
        {"--max-boxes", CLI_SIZE, &b->max_boxes, 0, (double)(1L << 30), "K",
         "at most K boxes per frame, the strongest (default 0: no limit)", NULL},
        {"--prob-threshold", CLI_NUMBER, &b->prob_threshold, 0, 1, "P",
         "no boxes for frames whose tumour probability (prob metadata)\n"
         "is below P (default 0.5); frames without prob get boxes", NULL},
        {"--tsv", CLI_FLAG, &c->tsv, 0, 0, NULL,
         "instead of the stream, write a header and one line per box:\n"
         "frame x0 y0 x1 y1 sx0 sy0 sx1 sy1 peak prob (source pixels s*,\n"
         "peak: the largest map value above the threshold in the box,\n"
         "prob NA if none)", NULL},
    };
    cli_parse(argc, argv, opts, CLI_NOPTS(opts), head, NULL, &c->input);
}

/* One line per box of the frame's boxes / boxes.src records. */
static void tsv_frame(const pgc_frame *f, const pgc_mapboxes *b, double prob)
{
    char id[256], pr[32] = "NA";
    pgc_frame_id(f, id, sizeof id);
    for (char *p = id; *p; p++)
        if (*p == '\t') *p = ' '; // keep the columns
    if (!isnan(prob)) snprintf(pr, sizeof pr, "%.6g", prob);
    const float *xy = f->rec[pgc_frame_find(f, "boxes")].data;
    const float *s = f->rec[pgc_frame_find(f, "boxes.src")].data;
    for (size_t i = 0; i < b->n; i++, xy += 4, s += 4)
        printf("%s\t%g\t%g\t%g\t%g\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\t%s\n", id, xy[0], xy[1], xy[2],
               xy[3], s[0], s[1], s[2], s[3], b->box[i].peak, pr);
}

/* What the loop carries from frame to frame. */
typedef struct {
    const cmdline *c;
    pgc_mapboxes b;
} box_run;

static int box_one(pgc_frame *f, void *ctx, pgc_err *e)
{
    box_run *r = ctx;
    double prob;
    int rc = pgc_boxes_frame(f, &r->c->box, &r->b, &prob, e);
    if (rc < 0) return rc;
    if (r->c->tsv) {
        tsv_frame(f, &r->b, prob);
        cli_stdout_check();
    }
    return PGC_OK;
}

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    cmdline c;
    cmdline_parse(argc, argv, &c);
    pgc_reader *rd = cli_reader(c.input);
    pgc_writer *w = c.tsv ? NULL : cli_writer();
    if (c.tsv) printf("frame\tx0\ty0\tx1\ty1\tsx0\tsy0\tsx1\tsy1\tpeak\tprob\n");
    static box_run run; /* static: reachable when an error exits */
    run.c = &c;
    cli_frame_loop(rd, w, box_one, &run);
    if (w) cli_close(w);
    else cli_stdout_check();
    pgc_mapboxes_free(&run.b);
    pgc_reader_free(rd);
    return 0;
}

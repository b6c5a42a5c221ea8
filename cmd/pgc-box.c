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

static const char usage[] =
    "usage: pgc-box [--rule paper|product] [--frac F] [--map NAME] [--largest]\n"
    "               [--min-area N] [--min-area-frac A] [--min-peak Q] [--max-boxes K]\n"
    "               [--prob-threshold P] [--tsv] [FILE]\n"
    "Boxes from a heat map: pixels strictly above F times the map's maximum (none when the\n"
    "maximum is <= 0), one half-open box x0 y0 x1 y1 per 8-connected region. Appends to\n"
    "each frame a boxes record (f32, box coord, image pixels) and a boxes.src record (the\n"
    "same boxes in source pixels: corners mapped through the transform metadata, then\n"
    "min/max). Reads the stream FILE (default: standard input).\n"
    "  --rule R              paper (default): dcfpn.md's rule, every region above 0.4 x max\n"
    "                        (what Table 2 is scored with); product: regions above 0.5 x\n"
    "                        max whose peak reaches 0.7 x max and that cover at least 0.5%\n"
    "                        of the image, the strongest 3 (one to three boxes a reader can\n"
    "                        use; chosen on the validation split). Options after --rule\n"
    "                        change one setting of it\n"
    "  --frac F              threshold fraction of the maximum (default 0.4; the paper uses\n"
    "                        0.8 for ResCAM)\n"
    "  --map NAME            the map to threshold (default pgcam; e.g. cam.s1)\n"
    "  --largest             keep only the region with the most pixels\n"
    "  --min-area N          drop regions of fewer than N pixels (default 1)\n"
    "  --min-area-frac A     drop regions of less than fraction A of the map's pixels\n"
    "  --min-peak Q          keep regions whose peak is at least Q x the map's maximum\n"
    "                        (default 0: all), strongest first\n"
    "  --max-boxes K         at most K boxes per frame, the strongest (default 0: no limit)\n"
    "  --prob-threshold P    no boxes for frames whose tumour probability (prob metadata)\n"
    "                        is below P (default 0.5); frames without prob get boxes\n"
    "  --tsv                 instead of the stream, write a header and one line per box:\n"
    "                        frame x0 y0 x1 y1 sx0 sy0 sx1 sy1 peak prob (source pixels s*,\n"
    "                        peak: the largest map value above the threshold in the box,\n"
    "                        prob NA if none)\n"
    "  -h, --help            this help\n";

typedef struct {
    pgc_boxes_opts box;
    int tsv;
    const char *input;
} cmdline;

static void cmdline_parse(int argc, char **argv, cmdline *c)
{
    *c = (cmdline){{"pgcam", 0.4, 0.5, 1, 0, 0, 0, 0}, 0, NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int takes = !strcmp(a, "--frac") || !strcmp(a, "--map") || !strcmp(a, "--min-area") ||
                    !strcmp(a, "--prob-threshold") || !strcmp(a, "--rule") ||
                    !strcmp(a, "--min-area-frac") || !strcmp(a, "--min-peak") ||
                    !strcmp(a, "--max-boxes");
        if (takes && i + 1 >= argc) cli_usage("%s needs a value", a);
        if (!strcmp(a, "--rule")) {
            const char *v = argv[++i];
            if (strcmp(v, "paper") && strcmp(v, "product"))
                cli_usage("--rule wants paper or product, not '%s'", v);
            pgc_boxes_rule(&c->box, !strcmp(v, "product"));
        }
        else if (!strcmp(a, "--frac")) c->box.frac = cli_double(a, argv[++i], 0, 1);
        else if (!strcmp(a, "--min-area-frac")) c->box.min_area_frac = cli_double(a, argv[++i], 0, 1);
        else if (!strcmp(a, "--min-peak")) c->box.min_peak = cli_double(a, argv[++i], 0, 1);
        else if (!strcmp(a, "--max-boxes")) c->box.max_boxes = (size_t)cli_long(a, argv[++i], 0, 1L << 30);
        else if (!strcmp(a, "--map")) c->box.map = argv[++i];
        else if (!strcmp(a, "--min-area")) c->box.min_area = cli_long(a, argv[++i], 0, 1L << 40);
        else if (!strcmp(a, "--prob-threshold")) c->box.prob_threshold = cli_double(a, argv[++i], 0, 1);
        else if (!strcmp(a, "--largest")) c->box.largest = 1;
        else if (!strcmp(a, "--tsv")) c->tsv = 1;
        else cli_operand(a, &c->input);
    }
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

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    cli_help(argc, argv, usage);
    cmdline c;
    cmdline_parse(argc, argv, &c);
    pgc_reader *rd = cli_reader(c.input);
    pgc_writer *w = c.tsv ? NULL : cli_writer();
    if (c.tsv) printf("frame\tx0\ty0\tx1\ty1\tsx0\tsy0\tsx1\tsy1\tpeak\tprob\n");
    pgc_frame f = {0};
    pgc_mapboxes b = {0};
    while (cli_frame(rd, &f)) {
        pgc_err e;
        double prob;
        int rc = pgc_boxes_frame(&f, &c.box, &b, &prob, &e);
        if (rc < 0) cli_die(rc, &e);
        if (w) cli_put_frame(w, &f);
        else tsv_frame(&f, &b, prob);
        if (!w) cli_stdout_check();
    }
    if (w) cli_close(w);
    else cli_stdout_check();
    pgc_mapboxes_free(&b);
    pgc_frame_free(&f);
    pgc_reader_free(rd);
    return 0;
}

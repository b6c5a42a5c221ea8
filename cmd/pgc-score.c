/* pgc-score: localisation and classification scores of a stream, as TSV. Reads frames
 * carrying `truth`, `boxes`, `pgcam`, `label` and `prob` (any may be missing) and
 * reports metric<TAB>value lines. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/csv.h"
#include "../lib/score.h"
#include "../lib/atomic_file.h"
#include "common/cli.h"

static const char head[] =
    "usage: pgc-score [--truth CSV] [--per-frame FILE [--force]] [--prob-threshold P] [FILE]\n"
    "Scores a stream (FILE, default standard input) and writes 'metric<TAB>value' lines with\n"
    "a header to standard output:\n"
    "  frames_boxes, gt_boxes, pred_boxes, tp, fp, fn, iobb_precision, iobb_recall, iobb_f1,\n"
    "    iobb_accuracy: the paper's rule, a predicted box hits a truth box when\n"
    "    area(B n G) / area(B) > 0.2; precision TP/(TP+FP), recall 1 - FN/GT,\n"
    "    accuracy TP/(TP+FP+FN); from frames with truth and a boxes record\n"
    "  iouNN_precision, iouNN_recall, iouNN_f1 for IoU >= 0.3, 0.5, 0.7: boxes matched one to\n"
    "    one, largest IoU first\n"
    "  frames_map, maxboxacc_iouNN (and _thr, the best threshold), maxboxacc_v2 (Choe et al.\n"
    "    2020: thresholds 0.00..0.99 of the min-max normalised pgcam map, every region's box,\n"
    "    mean over IoU 0.3, 0.5, 0.7), pointing_game (the map's maximum inside a truth box);\n"
    "    from frames with a pgcam map and at least one truth box\n"
    "  frames_label, cls_accuracy, sensitivity, specificity, roc_auc: frames with a label\n"
    "    (tumour or none) and a prob; tumour when prob >= P; AUC by Mann-Whitney with ties\n"
    "    averaged\n"
    "  type_frames, type_accuracy, class_accuracy.C, confusion.T.P: with a K-class model\n"
    "    (pgc-infer's prob record names a class), frames whose true class is known (none,\n"
    "    or the image's tumour_type): accuracy per true class C and the count of each\n"
    "    true class T predicted as P\n"
    "Any 0/0 is reported as 0; a group without frames as n/a. Frames without truth count for\n"
    "classification only.\n";

typedef struct {
    const char *truth, *per_frame, *input;
    double prob_threshold;
    int force;
} cmdline;

static void cmdline_parse(int argc, char **argv, cmdline *c)
{
    *c = (cmdline){NULL, NULL, NULL, PGC_PROB_THRESHOLD, 0};
    const cli_option opts[] = {
        {"--truth", CLI_STRING, &c->truth, 0, 0, "CSV",
         "truth boxes file,x0,y0,x1,y1 in source pixels, looked up by the\n"
         "basename of each frame's source (a file not listed has no\n"
         "boxes), compared with boxes.src; instead of truth records", NULL},
        {"--per-frame", CLI_STRING, &c->per_frame, 0, 0, "FILE",
         "also write one TSV line per frame to FILE (refused if it\n"
         "exists, unless --force; written whole or not at all)", NULL},
        {"--force", CLI_FLAG, &c->force, 0, 0, NULL, "replace the --per-frame FILE", NULL},
        {"--prob-threshold", CLI_NUMBER, &c->prob_threshold, 0, 1, "P",
         "classification threshold (default 0.5; tumour when prob >= P)", NULL},
    };
    cli_parse(argc, argv, opts, CLI_NOPTS(opts), head, NULL, &c->input);
}

static void fput_num(FILE *f, double v, const char *fmt)
{
    if (isnan(v)) fputs("NA", f);
    else fprintf(f, fmt, v);
}

static void row_write(FILE *f, const pgc_score_row *r)
{
    for (const char *p = r->frame; *p; p++) fputc(*p == '\t' ? ' ' : *p, f); // keep the columns
    fputc('\t', f);
    if (r->has_truth) fprintf(f, "%ld\t", r->ngt);
    else fputs("NA\t", f);
    if (r->has_boxes) fprintf(f, "%ld\t%ld\t%ld\t%ld\t", r->npred, r->tp, r->fp, r->fn);
    else fputs("NA\tNA\tNA\tNA\t", f);
    fput_num(f, r->best_iou, "%.6g");
    fputs(r->pointing < 0 ? "\tNA\t" : r->pointing ? "\t1\t" : "\t0\t", f);
    fputs(r->label < 0 ? "NA\t" : r->label ? "tumour\t" : "none\t", f);
    fput_num(f, r->prob, "%.6g");
    fputc('\n', f);
}

static void check_written(FILE *f, const char *name)
{
    if (!fflush(f) && !ferror(f)) return;
    cli_fail("cannot write '%s': %s", name, strerror(errno));
}

/* The --per-frame file appears whole or not at all (lib/atomic_file.h), so a failure
 * leaves what was there; a device (/dev/stdout) is written directly. */
static pgc_atomic_file per_frame_file; /* removed at exit until committed */
static void per_frame_cleanup(void) { pgc_atomic_abort(&per_frame_file); }

static FILE *per_frame_open(const char *path, int force)
{
    struct stat st;
    FILE *f;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (!(f = fopen(path, "w"))) cli_fail("cannot write '%s': %s", path, strerror(errno));
        return f;
    }
    pgc_err e;
    if (pgc_atomic_open(&per_frame_file, path, force, &e)) cli_die(PGC_EINPUT, &e);
    atexit(per_frame_cleanup);
    if (!(f = fdopen(per_frame_file.fd, "w"))) cli_fail("cannot write '%s': %s", path, strerror(errno));
    return f;
}

/* Closes the --per-frame file and moves it into place. */
static void per_frame_close(FILE *f, const char *path)
{
    check_written(f, path);
    int closed = fclose(f) == 0;
    if (!per_frame_file.path) { /* a device */
        if (!closed) cli_fail("cannot write '%s': %s", path, strerror(errno));
        return;
    }
    per_frame_file.fd = -1; /* fclose closed it */
    pgc_err e;
    if (!closed) cli_fail("cannot write '%s': %s", path, strerror(errno));
    if (pgc_atomic_commit(&per_frame_file, &e)) cli_die(PGC_EINPUT, &e);
}

/* What the loop carries from frame to frame. */
typedef struct {
    const cmdline *c;
    pgc_boxes *table;
    pgc_score s;
    FILE *pf;
    long matched;
} score_run;

static int score_one(pgc_frame *f, void *ctx, pgc_err *e)
{
    score_run *r = ctx;
    pgc_score_truth ext = {0};
    if (r->c->truth) {
        char src[4096];
        int i = pgc_frame_find(f, "image");
        const pgc_record *rec = i >= 0 ? &f->rec[i] : &f->rec[0];
        ext.use = 1;
        if ((ext.have = !!pgc_meta_get(rec, "source", src, sizeof src))) {
            ext.n = pgc_boxes_find(r->table, src, &ext.xyxy);
            r->matched += ext.n > 0;
        }
    }
    pgc_score_row row;
    int rc = pgc_score_frame(&r->s, f, &ext, &row, e);
    if (rc) return rc;
    if (r->pf) row_write(r->pf, &row);
    return PGC_OK;
}

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    cmdline c;
    cmdline_parse(argc, argv, &c);
    pgc_err e;
    pgc_boxes table = {0};
    if (c.truth && pgc_boxes_load(c.truth, &table, &e)) cli_die(PGC_EINPUT, &e);
    pgc_reader *rd = cli_reader(c.input);
    FILE *pf = NULL;
    if (c.per_frame) {
        pf = per_frame_open(c.per_frame, c.force);
        fputs("frame\tgt\tpred\ttp\tfp\tfn\tbest_iou\tpointing\tlabel\tprob\n", pf);
    }
    static score_run run; /* static: reachable when an error exits */
    run.c = &c, run.table = &table, run.pf = pf;
    pgc_score_init(&run.s, c.prob_threshold);
    cli_frame_loop(rd, NULL, score_one, &run);
    pgc_score *s = &run.s;
    if (c.truth && s->frames && !run.matched)
        cli_warn("warning: no frame's source is listed in '%s'", c.truth);
    if (pf) per_frame_close(pf, c.per_frame);
    pgc_metric m[PGC_SCORE_NMETRICS];
    int n = pgc_score_metrics(s, m);
    printf("metric\tvalue\n");
    for (int i = 0; i < n; i++) {
        if (m[i].kind == 2) printf("%s\tn/a\n", m[i].name);
        else if (m[i].kind == 0) printf("%s\t%.0f\n", m[i].name, m[i].value);
        else printf("%s\t%.6f\n", m[i].name, m[i].value);
    }
    cli_stdout_check();
    pgc_score_free(s);
    pgc_boxes_free(&table);
    pgc_reader_free(rd);
    return 0;
}

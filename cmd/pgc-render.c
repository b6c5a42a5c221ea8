/* pgc-render: one PNG per frame (DIR/<frame>.png): the slice in grey, the per-scale maps
 * and the fused map blended over it with a colour bar, truth boxes green, predicted red. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/render.h"
#include "../lib/atomic_file.h"
#include "common/cli.h"

static const char head[] =
    "usage: pgc-render -o DIR [--map NAME] [--alpha A] [--no-scales] [--force] [--pass] [FILE]\n"
    "Writes DIR/<frame>.png for every frame of the stream FILE (default: standard input):\n"
    "panels of the slice (grey, min-max scaled) with its truth boxes (green); each cam.sN map\n"
    "resized to the slice; the fused map with the truth and the predicted boxes (red);\n"
    "and a colour bar (inferno, 0 at the bottom, 1 at the top). Maps are min-max scaled and\n"
    "blended over the slice with a weight of A times the map's value. A frame without the\n"
    "map is drawn as the slice with its boxes. The frame id becomes the file name with\n"
    "characters other than A-Z a-z 0-9 . _ - replaced by '_' (a long id is cut and gets a\n"
    "hash); two frames that would make one name are refused, even with --force.\n";

typedef struct {
    const char *dir, *input;
    pgc_render_opts render;
    int force, pass;
} cmdline;

static void cmdline_parse(int argc, char **argv, cmdline *c)
{
    *c = (cmdline){NULL, NULL, {"pgcam", 0.6, 1}, 0, 0};
    const cli_option opts[] = {
        {"-o", CLI_STRING, &c->dir, 0, 0, "DIR", "the output directory (made, with its parents, if missing)", NULL},
        {"--map", CLI_STRING, &c->render.map, 0, 0, "NAME", "the fused map (default pgcam)", NULL},
        {"--alpha", CLI_NUMBER, &c->render.alpha, 0, 1, "A",
         "colour weight where the map is 1 (default 0.6)", NULL},
        {"--no-scales", CLI_UNSET, &c->render.scales, 0, 0, NULL, "no panels for the cam.sN maps", NULL},
        {"--force", CLI_FLAG, &c->force, 0, 0, NULL, "replace existing files (refused by default)", NULL},
        {"--pass", CLI_FLAG, &c->pass, 0, 0, NULL, "also copy the stream to standard output", NULL},
    };
    cli_parse(argc, argv, opts, CLI_NOPTS(opts), head, NULL, &c->input);
    if (!c->dir) cli_usage("-o DIR is required");
}

/* Writes the canvas to dir/<frame>.png, refusing to replace a file unless force, and a
 * name this run has written already (two frame ids that make one name). */
static void write_png(const cmdline *c, const pgc_canvas *cv, const char *frame,
                      pgc_names *written)
{
    char base[200], path[4096];
    pgc_frame_filename(frame, base, sizeof base);
    snprintf(path, sizeof path, "%s/%s.png", c->dir, base);
    pgc_err ne;
    int nrc = pgc_names_claim(written, path, frame, &ne);
    if (nrc) cli_die(nrc, &ne);
    pgc_atomic_file af; /* whole or not at all: a failed write keeps the old picture */
    pgc_err e;
    if (pgc_atomic_open(&af, path, c->force, &e)) cli_fail("frame '%s': %s", frame, e.msg);
    af.sync = 0; /* a picture per frame: see atomic_file.h */
    FILE *fp = fdopen(af.fd, "wb");
    if (!fp) {
        pgc_atomic_abort(&af);
        cli_fail("cannot write '%s': %s", path, strerror(errno));
    }
    af.fd = -1; /* fp owns it now */
    int rc = pgc_render_png(cv, fp, path, &e);
    if (fclose(fp) && !rc) rc = pgc_errf(&e, PGC_EINPUT, "cannot write '%s': %s", path, strerror(errno));
    if (rc) {
        pgc_atomic_abort(&af);
        cli_die(rc, &e);
    }
    if ((rc = pgc_atomic_commit(&af, &e))) cli_die(rc, &e);
}

/* What the loop carries from frame to frame: the canvas, and the names written so far. */
typedef struct {
    const cmdline *c;
    pgc_canvas cv;
    pgc_names written;
} render_run;

static int render_one(pgc_frame *f, void *ctx, pgc_err *e)
{
    render_run *r = ctx;
    char id[4096];
    int rc = pgc_render_frame(f, &r->c->render, &r->cv, e);
    if (rc) return rc;
    write_png(r->c, &r->cv, pgc_frame_id(f, id, sizeof id), &r->written);
    return PGC_OK;
}

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    cmdline c;
    cmdline_parse(argc, argv, &c);
    pgc_err de;
    if (pgc_output_dir(c.dir, &de)) cli_die(PGC_EINPUT, &de);
    pgc_reader *rd = cli_reader(c.input);
    pgc_writer *w = c.pass ? cli_writer() : NULL;
    static render_run run; /* static: reachable when an error exits */
    run.c = &c;
    cli_frame_loop(rd, w, render_one, &run);
    if (w) cli_close(w);
    pgc_canvas_free(&run.cv);
    pgc_names_free(&run.written);
    pgc_reader_free(rd);
    return 0;
}

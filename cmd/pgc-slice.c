/* pgc-slice: PNG images and NIfTI volumes in, one stream frame per slice out.
 * Reads: the files named (and in --list), labels.csv and boxes.csv (pipelines/README.md), a segmentation.
 * Writes: for each slice an `image` record and, when truth is known, a `truth` record. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "../lib/slice_frames.h"
#include "common/cli.h"

static const char help_head[] =
    "usage: pgc-slice [options] FILE...\n"
    "Turns PNG images and NIfTI volumes (told apart by their first bytes) into a pgcam\n"
    "stream, one frame per slice: an `image` record (dims y x) with metadata frame, name,\n"
    "source, axis, index, spacing (sy sx, mm), transform (tensor pixel -> source pixel,\n"
    "see format/stream.md) and label; and, when truth is known, a `truth` record (f32,\n"
    "dims box coord, n x 4 boxes x0 y0 x1 y1, half-open, in image pixels; n may be 0).\n"
    "\n"
    "PNG: one frame per image, u8 or u16, frame id = the basename without extension,\n"
    "axis png, index 0, spacing 1 1, transform 1 0 0 0 1 0. Colour becomes grey (Rec. 601),\n"
    "alpha is dropped. --labels and --boxes give the label and the truth.\n"
    "\n"
    "NIfTI-1/2 (.nii or .nii.gz, either byte order; u8 i16 u16 i32 f32 f64, scl_slope\n"
    "applied): images are f32, frame id <basename>:<axis>:<index>, index = the array\n"
    "index along the axis cut. Orientation comes from the sform (sform_code > 0), else\n"
    "the qform, else the array axes taken as R, A, S; slices are in the radiological view:\n"
    "  axial:    rows anterior -> posterior, columns patient right -> left\n"
    "  coronal:  rows superior -> inferior,  columns right -> left\n"
    "  sagittal: rows superior -> inferior,  columns anterior -> posterior\n"
    "so column 0 of an axial or coronal slice is the patient's right (largest x in RAS+).\n"
    "transform maps image pixels to the slice's in-plane array indices, the lower array\n"
    "axis as source x: for an axial slice of an i j k volume, source x = i and y = j\n"
    "(e.g. '-1 0 240 0 -1 240' for a 240 x 240 RAS volume, identity for LPS).\n"
    "--axis, --seg, --label, --tumour-type, --min-fg, --every and --range are for volumes.\n"
    "\n";
static const char help_tail[] =
    "\n"
    "Exit status: 0 success, 1 bad input (one line on stderr naming the file), 2 bad usage.\n";

typedef struct {
    const char *labels, *boxes, *list;
    pgc_slice_opts slice; /* views 1 (axial), every 1, hi -1 (to the end) unless given */
    const char **files;
    int nfiles;
} options;

/* Writes the records of one input as the slicer hands them out, so that what came
 * before an error is written, as it is read. */
static void slice_file(pgc_slicer *s, pgc_writer *w, const char *path)
{
    pgc_err e;
    const pgc_record *r;
    int rc = pgc_slicer_open(s, path, &e);
    if (rc == 0)
        while ((rc = pgc_slicer_next(s, &r, &e)) == 1) cli_put(w, r);
    if (rc < 0) cli_die(rc, &e);
}

static void slice_list(pgc_slicer *s, pgc_writer *w, const char *list)
{
    FILE *f = strcmp(list, "-") ? fopen(list, "r") : stdin;
    if (!f) cli_fail("cannot read '%s': %s", list, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (n == 0 || line[0] == '#') continue; /* blank lines and comments */
        slice_file(s, w, line); /* done with line before getline reuses it */
    }
    if (ferror(f)) cli_fail("cannot read '%s': %s", list, strerror(errno));
    free(line);
    if (f != stdin) fclose(f);
}

/* The views of --axis, as the bit set pgc_slice_opts.views. */
static int parse_axis(const char *v, void *target, pgc_err *e)
{
    static const char *const name[] = {"axial", "coronal", "sagittal", "all"};
    static const int views[] = {1, 2, 4, 7};
    for (int k = 0; k < 4; k++)
        if (!strcmp(v, name[k])) return *(int *)target = views[k], PGC_OK;
    return pgc_errf(e, PGC_EINPUT, "--axis wants axial, coronal, sagittal or all, not '%s'", v);
}

static int parse_label(const char *v, void *target, pgc_err *e)
{
    if (strcmp(v, "tumour") && strcmp(v, "none"))
        return pgc_errf(e, PGC_EINPUT, "--label wants tumour or none, not '%s'", v);
    *(const char **)target = v;
    return PGC_OK;
}

/* A tumour type becomes a metadata value and a class name of pgc-train --classes. */
static int parse_tumour_type(const char *v, void *target, pgc_err *e)
{
    if (!v[0] || strpbrk(v, "\n:,") || strlen(v) > 63)
        return pgc_errf(e, PGC_EINPUT,
                        "--tumour-type wants a name (no ':', ',' or newline), not '%s'", v);
    *(const char **)target = v;
    return PGC_OK;
}

/* "A:B" into pgc_slice_opts lo and hi; either side may be empty. */
static int parse_range(const char *v, void *target, pgc_err *e)
{
    pgc_slice_opts *o = target;
    const char *colon = strchr(v, ':');
    char a[32] = "", b[32] = "";
    if (!colon || colon - v >= 32 || strlen(colon + 1) >= 32)
        return pgc_errf(e, PGC_EINPUT, "--range wants A:B, not '%s'", v);
    snprintf(a, sizeof a, "%.*s", (int)(colon - v), v);
    snprintf(b, sizeof b, "%s", colon + 1);
    o->lo = a[0] ? cli_long("--range A", a, 0, 1L << 31) : 0;
    o->hi = b[0] ? cli_long("--range B", b, 0, 1L << 31) : -1;
    if (o->hi >= 0 && o->hi <= o->lo) return pgc_errf(e, PGC_EINPUT, "--range wants A < B, not '%s'", v);
    return PGC_OK;
}

static options parse_args(int argc, char **argv)
{
    options o = {.slice = {.views = 1, .every = 1, .hi = -1}};
    o.files = calloc((size_t)argc, sizeof *o.files);
    if (!o.files) cli_fail("out of memory");
    const cli_option opts[] = {
        {"--labels", CLI_STRING, &o.labels, 0, 0, "CSV",
         "weak labels: columns file,label (tumour or none), matched by\n"
         "basename; an optional column tumour_type becomes the tumour\n"
         "slices' key tumour_type (an image-level label for pgc-train\n"
         "--classes)", NULL},
        {"--boxes", CLI_STRING, &o.boxes, 0, 0, "CSV",
         "truth boxes: columns file,x0,y0,x1,y1 in pixels, half-open,\n"
         "several rows per file allowed; clipped to the image", NULL},
        {"--axis", CLI_CUSTOM, &o.slice.views, 0, 0, "A",
         "axial (default), coronal, sagittal or all (axial, then coronal,\n"
         "then sagittal)", parse_axis},
        {"--seg", CLI_STRING, &o.slice.seg, 0, 0, "SEG",
         "segmentation on the same grid (one volume only): label tumour\n"
         "when the slice has a voxel > 0, else none; one truth box per\n"
         "8-connected region of those voxels", NULL},
        {"--label", CLI_CUSTOM, &o.slice.label, 0, 0, "L",
         "weak label (tumour or none) of every slice of volumes without\n"
         "--seg, e.g. none for a healthy subject", parse_label},
        {"--tumour-type", CLI_CUSTOM, &o.slice.tumour_type, 0, 0, "T",
         "key tumour_type: T on the slices labelled tumour (e.g. glioma)", parse_tumour_type},
        {"--min-fg", CLI_NUMBER, &o.slice.min_fg, 0, 1, "F",
         "skip slices whose non-zero voxels are less than fraction F of\n"
         "the slice, e.g. 0.05 to leave out the empty slices around the\n"
         "head (default 0: every slice)", NULL},
        {"--every", CLI_INT, &o.slice.every, 1, (double)(1L << 31), "K",
         "every K-th slice of the range (default 1)", NULL},
        {"--range", CLI_CUSTOM, &o.slice, 0, 0, "A:B",
         "indices A <= index < B; either may be left out (default all)", parse_range},
        {"--list", CLI_STRING, &o.list, 0, 0, "FILE",
         "read more input paths from FILE, one per line ('-': stdin;\n"
         "blank lines and lines starting with # are skipped)", NULL},
    };
    cli_parse_files(argc, argv, opts, CLI_NOPTS(opts), help_head, help_tail, o.files, &o.nfiles);
    if (o.nfiles == 0 && !o.list) cli_usage("no input files");
    if (o.slice.seg && (o.nfiles != 1 || o.list)) cli_usage("--seg goes with exactly one volume");
    if (o.slice.seg && o.slice.label) cli_usage("--label is for volumes without --seg");
    return o;
}

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    options o = parse_args(argc, argv);
    /* Static, so that what is in use stays reachable when an error exits from deep in
     * the loop (LeakSanitizer would call it a leak otherwise). */
    static pgc_labels labels;
    static pgc_boxes boxes;
    static pgc_slicer s;
    s.o = &o.slice;
    pgc_err e;
    int rc;
    if (o.labels) {
        if ((rc = pgc_labels_load(o.labels, &labels, &e))) cli_die(rc, &e);
        s.labels = &labels;
    }
    if (o.boxes) {
        if ((rc = pgc_boxes_load(o.boxes, &boxes, &e))) cli_die(rc, &e);
        s.boxes = &boxes;
    }
    pgc_writer *w = cli_writer();
    for (int i = 0; i < o.nfiles; i++) slice_file(&s, w, o.files[i]);
    if (o.list) slice_list(&s, w, o.list);
    cli_close(w);
    pgc_slicer_free(&s);
    if (o.labels) pgc_labels_free(&labels);
    if (o.boxes) pgc_boxes_free(&boxes);
    free((void *)o.files);
    return CLI_OK;
}

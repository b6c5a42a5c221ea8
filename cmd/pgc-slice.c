/* pgc-slice: PNG images and NIfTI volumes in, one stream frame per slice out.
 * Reads: the files named (and in --list), the CSVs of ../shared/data, a segmentation.
 * Writes: for each slice an `image` record and, when truth is known, a `truth` record. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/csv.h"
#include "../lib/png.h"
#include "../lib/slice.h"
#include "common/cli.h"

static const char usage[] =
    "usage: pgc-slice [options] FILE...\n"
    "Turns PNG images into a pgcam stream, one frame per image: an `image` record (u8 or\n"
    "u16, dims y x) with metadata frame (the file's basename without extension), source,\n"
    "axis: png, index: 0, spacing: 1 1, transform: 1 0 0 0 1 0 (tensor pixel = source\n"
    "pixel) and label (when --labels has the file); with --boxes also a `truth` record\n"
    "(f32, dims box coord, n x 4, x0 y0 x1 y1 half-open; n may be 0).\n"
    "Colour PNGs become grey (Rec. 601 weights), alpha is dropped.\n"
    "\n"
    "  --labels CSV   weak labels: columns file,label (tumour or none); files are matched\n"
    "                 by basename\n"
    "  --boxes CSV    ground truth boxes: columns file,x0,y0,x1,y1 in pixels, half-open,\n"
    "                 several rows per file allowed; boxes are clipped to the image\n"
    "  --list FILE    read more input paths from FILE, one per line ('-': stdin)\n"
    "  -h, --help     this help\n"
    "\n"
    "Exit status: 0 success, 1 bad input (one line on stderr naming the file), 2 bad usage.\n";

typedef struct {
    const char *labels, *boxes, *list;
    char **files;
    int nfiles;
} options;

/* Frame ids handed out so far, so that two files with one basename get distinct ids. */
typedef struct {
    char **id;
    size_t n, cap;
} id_set;

static int id_taken(const id_set *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->id[i], id)) return 1;
    return 0;
}

/* Makes buf unique among the ids seen: "name", else "name-2", "name-3", ... */
static void id_unique(id_set *s, char *buf, size_t bufsz)
{
    char base[1100];
    snprintf(base, sizeof base, "%s", buf);
    for (int k = 2; id_taken(s, buf); k++) snprintf(buf, bufsz, "%.1000s-%d", base, k);
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->id = realloc(s->id, s->cap * sizeof *s->id);
        if (!s->id) cli_fail("out of memory");
    }
    if (!(s->id[s->n++] = strdup(buf))) cli_fail("out of memory");
}

typedef struct {
    pgc_writer *w;
    pgc_labels labels;
    pgc_boxes boxes;
    int have_labels, have_boxes;
    id_set ids;
    pgc_png png;
    pgc_record image, truth;
    float *clip; /* (n, 4) clipped boxes */
    size_t clip_cap;
} slicer;

static void slice_png(slicer *s, const char *path)
{
    pgc_err e;
    int rc = pgc_png_read_file(path, &s->png, &e);
    if (rc) cli_die(rc, &e);
    char frame[1100];
    pgc_slice_frame_id(path, frame, sizeof frame);
    id_unique(&s->ids, frame, sizeof frame);
    pgc_slice_info info = {
        .frame = frame, .source = path, .axis = "png", .index = 0, .spacing = {1, 1},
        .transform = PGC_TRANSFORM_IDENTITY,
        .label = s->have_labels ? pgc_labels_find(&s->labels, path) : NULL,
    };
    static const char *const yx[] = {"y", "x"};
    uint64_t dims[2] = {s->png.h, s->png.w};
    if ((rc = pgc_record_shape(&s->image, s->png.bits == 16 ? PGC_DT_U16 : PGC_DT_U8, 2, dims,
                               yx, &e)) ||
        (rc = pgc_slice_meta(&s->image, &info, "image", &e)))
        cli_die(rc, &e);
    memcpy(s->image.data, s->png.data, pgc_record_nbytes(&s->image));
    cli_put(s->w, &s->image);
    if (!s->have_boxes) return;

    const float *v;
    size_t n = pgc_boxes_find(&s->boxes, path, &v), kept = 0;
    if (n > s->clip_cap) {
        s->clip = realloc(s->clip, n * 4 * sizeof *s->clip);
        if (!s->clip) cli_fail("out of memory");
        s->clip_cap = n;
    }
    for (size_t i = 0; i < n; i++) { /* clip to the image; drop what is left empty */
        float *o = s->clip + 4 * kept;
        o[0] = v[4 * i] < 0 ? 0 : v[4 * i];
        o[1] = v[4 * i + 1] < 0 ? 0 : v[4 * i + 1];
        o[2] = v[4 * i + 2] > s->png.w ? (float)s->png.w : v[4 * i + 2];
        o[3] = v[4 * i + 3] > s->png.h ? (float)s->png.h : v[4 * i + 3];
        if (o[0] < o[2] && o[1] < o[3]) kept++;
    }
    if ((rc = pgc_slice_truth(&s->truth, &info, s->clip, kept, &e))) cli_die(rc, &e);
    cli_put(s->w, &s->truth);
}

static void slicer_free(slicer *s)
{
    for (size_t i = 0; i < s->ids.n; i++) free(s->ids.id[i]);
    free(s->ids.id);
    if (s->have_labels) pgc_labels_free(&s->labels);
    if (s->have_boxes) pgc_boxes_free(&s->boxes);
    pgc_png_free(&s->png);
    pgc_record_free(&s->image);
    pgc_record_free(&s->truth);
    free(s->clip);
}

static void slice_file(slicer *s, const char *path)
{
    slice_png(s, path);
}

static void slice_list(slicer *s, const char *list)
{
    FILE *f = strcmp(list, "-") ? fopen(list, "r") : stdin;
    if (!f) cli_fail("cannot read '%s': %s", list, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (n == 0 || line[0] == '#') continue; /* blank lines and comments */
        slice_file(s, line);
    }
    if (ferror(f)) cli_fail("cannot read '%s': %s", list, strerror(errno));
    free(line);
    if (f != stdin) fclose(f);
}

static options parse_args(int argc, char **argv)
{
    options o = {0};
    o.files = calloc((size_t)argc, sizeof *o.files);
    if (!o.files) cli_fail("out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **dst = !strcmp(a, "--labels") ? &o.labels
                           : !strcmp(a, "--boxes") ? &o.boxes
                           : !strcmp(a, "--list") ? &o.list : NULL;
        if (dst) {
            if (i + 1 >= argc) cli_usage("%s needs a value", a);
            *dst = argv[++i];
        } else if (!strcmp(a, "--")) {
            while (++i < argc) o.files[o.nfiles++] = argv[i];
        } else if (a[0] == '-' && a[1]) {
            cli_usage("unknown option '%s'", a);
        } else {
            o.files[o.nfiles++] = argv[i];
        }
    }
    if (o.nfiles == 0 && !o.list) cli_usage("no input files");
    return o;
}

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    cli_help(argc, argv, usage);
    options o = parse_args(argc, argv);
    slicer s = {0};
    pgc_err e;
    int rc;
    if (o.labels) {
        if ((rc = pgc_labels_load(o.labels, &s.labels, &e))) cli_die(rc, &e);
        s.have_labels = 1;
    }
    if (o.boxes) {
        if ((rc = pgc_boxes_load(o.boxes, &s.boxes, &e))) cli_die(rc, &e);
        s.have_boxes = 1;
    }
    s.w = cli_writer();
    for (int i = 0; i < o.nfiles; i++) slice_file(&s, o.files[i]);
    if (o.list) slice_list(&s, o.list);
    cli_close(s.w);
    slicer_free(&s);
    free(o.files);
    return CLI_OK;
}

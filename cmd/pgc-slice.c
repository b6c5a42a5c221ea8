/* pgc-slice: PNG images and NIfTI volumes in, one stream frame per slice out.
 * Reads: the files named (and in --list), labels.csv and boxes.csv (pipelines/README.md), a segmentation.
 * Writes: for each slice an `image` record and, when truth is known, a `truth` record. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/csv.h"
#include "../lib/nifti.h"
#include "../lib/png.h"
#include "../lib/slice.h"
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
    const char *labels, *boxes, *list, *seg, *label, *tumour_type;
    int views;        /* bit v set: emit view v */
    double min_fg;
    long every, lo, hi; /* hi < 0: to the end */
    const char **files;
    int nfiles;
} options;

/* Frame ids handed out so far, so that two files with one basename get distinct ids:
 * an open-addressing hash set (a run may name many thousands of files). */
typedef struct {
    char **slot; /* cap slots, NULL when free */
    size_t n, cap;
} id_set;

static size_t id_hash(const char *s)
{
    size_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static char **id_find(const id_set *s, const char *id)
{
    size_t i = id_hash(id) & (s->cap - 1);
    while (s->slot[i] && strcmp(s->slot[i], id)) i = (i + 1) & (s->cap - 1);
    return &s->slot[i];
}

static void id_add(id_set *s, const char *id)
{
    if (2 * (s->n + 1) > s->cap) { /* keep the table at most half full */
        id_set t = {calloc(s->cap ? 2 * s->cap : 256, sizeof *t.slot), s->n, s->cap ? 2 * s->cap : 256};
        if (!t.slot) cli_fail("out of memory");
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i]) *id_find(&t, s->slot[i]) = s->slot[i];
        free(s->slot);
        *s = t;
    }
    char **at = id_find(s, id);
    if (!(*at = strdup(id))) cli_fail("out of memory");
    s->n++;
}

static int id_taken(const id_set *s, const char *id) { return s->cap && *id_find(s, id); }

/* Makes buf unique among the ids seen: "name", else "name-2", "name-3", ... */
static void id_unique(id_set *s, char *buf, size_t bufsz)
{
    char base[1100];
    snprintf(base, sizeof base, "%s", buf);
    for (int k = 2; id_taken(s, buf); k++) snprintf(buf, bufsz, "%.1000s-%d", base, k);
    id_add(s, buf);
}

typedef struct {
    const options *o;
    pgc_writer *w;
    pgc_labels labels;
    pgc_boxes boxes;
    int have_labels, have_boxes;
    id_set ids;
    pgc_png png;
    pgc_record image, truth;
    float *clip; /* (n, 4) clipped boxes */
    size_t clip_cap;
    pgc_nifti vol, seg;
    float *segimg;  /* (h, w) */
    uint8_t *mask;  /* (h, w) */
    size_t slice_cap;
    pgc_regions reg;
} slicer;

/* buf: the file's bytes when it was read whole already (a pipe), else NULL. */
static void slice_png(slicer *s, const char *path, const void *buf, size_t len)
{
    pgc_err e;
    int rc = buf ? pgc_png_read_mem(buf, len, path, &s->png, &e) : pgc_png_read_file(path, &s->png, &e);
    if (rc) cli_die(rc, &e);
    char frame[1100];
    pgc_slice_frame_id(path, frame, sizeof frame);
    id_unique(&s->ids, frame, sizeof frame);
    pgc_slice_info info = {
        .frame = frame, .source = path, .axis = "png", .index = 0, .spacing = {1, 1},
        .transform = PGC_TRANSFORM_IDENTITY,
        .label = s->have_labels ? pgc_labels_find(&s->labels, path) : NULL,
        .tumour_type = s->have_labels ? pgc_labels_find_type(&s->labels, path) : NULL,
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

/* Emits the chosen slices of one view of the volume (and its segmentation). */
static void slice_view(slicer *s, const char *path, const char *base, const pgc_orient *or,
                       pgc_view view)
{
    const options *o = s->o;
    pgc_err e;
    int rc;
    pgc_view_map m;
    pgc_view_plan(or, view, s->vol.dims, &m);
    pgc_transform t = pgc_view_transform(&m, s->vol.dims);
    size_t npix = m.h * m.w;
    if (npix > s->slice_cap) {
        free(s->segimg), free(s->mask);
        s->segimg = malloc(npix * sizeof *s->segimg);
        s->mask = malloc(npix);
        if (!s->segimg || !s->mask) cli_fail("cannot read '%s': out of memory", path);
        s->slice_cap = npix;
    }
    long hi = o->hi < 0 || o->hi > (long)m.n ? (long)m.n : o->hi;
    for (long k = o->lo; k < hi; k += o->every) {
        if ((rc = pgc_record_f32_2d(&s->image, m.h, m.w, &e))) cli_die(rc, &e);
        float *img = s->image.data; // (h, w)
        pgc_view_extract(&m, s->vol.data, s->vol.dims, (size_t)k, img);
        size_t fg = 0;
        for (size_t i = 0; i < npix; i++) fg += img[i] != 0;
        if ((double)fg < o->min_fg * (double)npix) continue;
        const char *label = o->label;
        if (o->seg) {
            pgc_view_extract(&m, s->seg.data, s->seg.dims, (size_t)k, s->segimg);
            for (size_t i = 0; i < npix; i++) s->mask[i] = s->segimg[i] > 0;
            if ((rc = pgc_regions_find(&s->reg, s->mask, m.h, m.w, &e))) cli_die(rc, &e);
            label = s->reg.n ? "tumour" : "none";
        }
        char frame[1200];
        snprintf(frame, sizeof frame, "%s:%s:%ld", base, pgc_view_name(view), k);
        pgc_slice_info info = {
            .frame = frame, .source = path, .axis = pgc_view_name(view), .index = k,
            .spacing = {s->vol.pixdim[1 + m.row_axis], s->vol.pixdim[1 + m.col_axis]},
            .transform = t, .label = label, .tumour_type = o->tumour_type,
        };
        if ((rc = pgc_slice_meta(&s->image, &info, "image", &e))) cli_die(rc, &e);
        cli_put(s->w, &s->image);
        if (o->seg) {
            if ((rc = pgc_slice_truth_regions(&s->truth, &info, &s->reg, &e))) cli_die(rc, &e);
            cli_put(s->w, &s->truth);
        }
    }
}

static void slice_volume(slicer *s, const char *path, const void *buf, size_t len)
{
    pgc_err e;
    int rc = buf ? pgc_nifti_read_mem(buf, len, path, &s->vol, &e)
                 : pgc_nifti_read_file(path, &s->vol, &e);
    if (rc) cli_die(rc, &e);
    if (s->o->seg) {
        if ((rc = pgc_nifti_read_file(s->o->seg, &s->seg, &e))) cli_die(rc, &e);
        const size_t *a = s->vol.dims, *b = s->seg.dims;
        if (a[0] != b[0] || a[1] != b[1] || a[2] != b[2])
            cli_fail("cannot use '%s': its grid %zux%zux%zu differs from '%s' (%zux%zux%zu)",
                     s->o->seg, b[0], b[1], b[2], path, a[0], a[1], a[2]);
    }
    pgc_orient or;
    if ((rc = pgc_orient_from_matrix((const double(*)[3])s->vol.m, &or, &e)))
        cli_fail("cannot read '%s': %s", path, e.msg);
    char base[1100];
    pgc_slice_frame_id(path, base, sizeof base);
    id_unique(&s->ids, base, sizeof base);
    for (int v = 0; v < 3; v++)
        if (s->o->views & 1 << v) slice_view(s, path, base, &or, (pgc_view)v);
}

static void slicer_free(slicer *s)
{
    for (size_t i = 0; i < s->ids.cap; i++) free(s->ids.slot[i]);
    free(s->ids.slot);
    if (s->have_labels) pgc_labels_free(&s->labels);
    if (s->have_boxes) pgc_boxes_free(&s->boxes);
    pgc_png_free(&s->png);
    pgc_record_free(&s->image);
    pgc_record_free(&s->truth);
    free(s->clip);
    pgc_nifti_free(&s->vol);
    pgc_nifti_free(&s->seg);
    free(s->segimg);
    free(s->mask);
    pgc_regions_free(&s->reg);
}

/* Bytes read whole from something that cannot be read twice (a pipe, /dev/stdin): at
 * most this many. A file is read by path, as often as its reader needs. */
#define PIPE_MAX ((size_t)1 << 30)

/* PNG or NIfTI, by the first bytes. */
static void slice_file(slicer *s, const char *path)
{
    unsigned char head[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) cli_fail("cannot read '%s': %s", path, strerror(errno));
    struct stat st;
    unsigned char *buf = NULL; /* the whole input, when it is not a regular file */
    size_t n = 0;
    if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
        size_t cap = 0;
        for (;;) {
            if (n == cap) {
                if (cap == PIPE_MAX) cli_fail("cannot read '%s': more than %zu MiB from a pipe",
                                              path, PIPE_MAX >> 20);
                cap = cap ? 2 * cap : 1 << 16;
                unsigned char *b = realloc(buf, cap);
                if (!b) cli_fail("cannot read '%s': out of memory", path);
                buf = b;
            }
            size_t k = fread(buf + n, 1, cap - n, f);
            n += k;
            if (k == 0) break;
        }
        memcpy(head, buf, n < sizeof head ? n : sizeof head);
    } else {
        n = fread(head, 1, sizeof head, f);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) cli_fail("cannot read '%s': %s", path, strerror(errno));
    if (pgc_png_sniff(head, n)) slice_png(s, path, buf, n);
    else if (pgc_nifti_sniff(head, n)) slice_volume(s, path, buf, n);
    else if (n == 0) cli_fail("cannot read '%s': empty file", path);
    else cli_fail("cannot read '%s': neither a PNG nor a NIfTI file", path);
    free(buf);
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

/* The views of --axis, as the bit set options.views. */
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

/* "A:B" into options lo and hi; either side may be empty. */
static int parse_range(const char *v, void *target, pgc_err *e)
{
    options *o = target;
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
    options o = {.views = 1, .every = 1, .hi = -1};
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
        {"--axis", CLI_CUSTOM, &o.views, 0, 0, "A",
         "axial (default), coronal, sagittal or all (axial, then coronal,\n"
         "then sagittal)", parse_axis},
        {"--seg", CLI_STRING, &o.seg, 0, 0, "SEG",
         "segmentation on the same grid (one volume only): label tumour\n"
         "when the slice has a voxel > 0, else none; one truth box per\n"
         "8-connected region of those voxels", NULL},
        {"--label", CLI_CUSTOM, &o.label, 0, 0, "L",
         "weak label (tumour or none) of every slice of volumes without\n"
         "--seg, e.g. none for a healthy subject", parse_label},
        {"--tumour-type", CLI_CUSTOM, &o.tumour_type, 0, 0, "T",
         "key tumour_type: T on the slices labelled tumour (e.g. glioma)", parse_tumour_type},
        {"--min-fg", CLI_NUMBER, &o.min_fg, 0, 1, "F",
         "skip slices whose non-zero voxels are less than fraction F of\n"
         "the slice, e.g. 0.05 to leave out the empty slices around the\n"
         "head (default 0: every slice)", NULL},
        {"--every", CLI_INT, &o.every, 1, (double)(1L << 31), "K",
         "every K-th slice of the range (default 1)", NULL},
        {"--range", CLI_CUSTOM, &o, 0, 0, "A:B",
         "indices A <= index < B; either may be left out (default all)", parse_range},
        {"--list", CLI_STRING, &o.list, 0, 0, "FILE",
         "read more input paths from FILE, one per line ('-': stdin;\n"
         "blank lines and lines starting with # are skipped)", NULL},
    };
    cli_parse_files(argc, argv, opts, CLI_NOPTS(opts), help_head, help_tail, o.files, &o.nfiles);
    if (o.nfiles == 0 && !o.list) cli_usage("no input files");
    if (o.seg && (o.nfiles != 1 || o.list)) cli_usage("--seg goes with exactly one volume");
    if (o.seg && o.label) cli_usage("--label is for volumes without --seg");
    return o;
}

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    options o = parse_args(argc, argv);
    slicer s = {.o = &o};
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
    free((void *)o.files);
    return CLI_OK;
}

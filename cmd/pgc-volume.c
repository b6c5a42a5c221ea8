/* pgc-volume: from slices back to the volume. Gathers the frames of each source volume
 * (adjacent in the stream), writes the chosen map as an f32 NIfTI on the source's own
 * grid, and prints one TSV row per volume: where the tumour is, how big, how sure. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/atomic_file.h"
#include "../lib/nifti_write.h"
#include "../lib/slice.h"
#include "../lib/volume.h"
#include "../lib/volume_report.h"
#include "common/cli.h"

static const char head[] =
    "usage: pgc-volume [-o DIR] [--map NAME] [--boxes NAME] [--frac F]\n"
    "                  [--prob-threshold P] [--plot FILE.png] [--force] [FILE]\n"
    "From slices back to the volume. Reads the stream FILE (default: standard input) of\n"
    "frames that pgc-slice cut from NIfTI volumes (and later filters resized, classified,\n"
    "mapped and boxed), gathers the frames of each source volume and slicing axis (they\n"
    "must be adjacent in the stream; one volume is held at a time) and, per volume:\n"
    "  - with -o DIR, writes DIR/<name>.<axis>.<map>.nii.gz: the map as float32 NIfTI on\n"
    "    the source's own grid: same version, dims, pixdim, qform and sform with their\n"
    "    codes and units, so voxel (i, j, k) lies on voxel (i, j, k) of the source in any\n"
    "    viewer (FSLeyes, ITK-SNAP, 3D Slicer, MRIcroGL). <name> is the source's file name\n"
    "    without .nii/.nii.gz. Each voxel takes the map at its centre mapped through the\n"
    "    frame's transform (bilinear; exact where pgc-slice's own pixels are, so `--map\n"
    "    image` straight from pgc-slice gives the source's voxels back). Slices that are\n"
    "    not in the stream (--every, --min-fg, --range) are 0;\n"
    "  - prints one TSV row on standard output (after a header line):\n"
    "      source axis slices tumour_slices     frames seen; those with prob >= P\n"
    "      i0 i1 j0 j1 k0 k1                    the union of the --boxes records of all\n"
    "                                           slices, in voxel indices, half-open\n"
    "      x_min_mm x_max_mm y_min_mm y_max_mm z_min_mm z_max_mm\n"
    "                                           that box in world millimetres (RAS+, the\n"
    "                                           outer faces of its voxels through the\n"
    "                                           source's sform, else qform)\n"
    "      extent_x_mm extent_y_mm extent_z_mm  its size along each world axis\n"
    "      volume_ml                            voxels of the tumour slices above F times\n"
    "                                           the map's maximum there, times the voxel\n"
    "                                           volume\n"
    "      max_prob map file                    the largest tumour probability; the map;\n"
    "                                           the NIfTI written\n"
    "    (NA where there is no box or no probability). The volume in mL is a weakly\n"
    "    supervised estimate from a class activation map, NOT a segmentation: it depends\n"
    "    on F and on the model, and must not be read as a measured tumour volume;\n"
    "  - with --plot, a PNG of the tumour probability (blue line, 0 at the bottom, 1 at\n"
    "    the top, grid lines at quarters, P dashed) along the slicing axis (index 0 at the\n"
    "    left, a tick every 5 or 10 slices), slices with boxes shaded with a red mark.\n"
    "The source's header is read again from the path in the frames' `source` metadata\n"
    "(relative to the current directory, as pgc-slice was given it).\n";
static const char tail[] =
    "Files appear whole or not at all (written to a temporary name, then renamed).\n"
    "Exit status: 0 success, 1 bad input (one line naming the frame or file: frames of one\n"
    "volume that disagree in geometry, an index outside the volume, a map of the wrong\n"
    "size, a source that cannot be read, an existing file), 2 bad usage.\n";

typedef struct {
    const char *dir, *plot, *input;
    pgc_volume_opts vo;
    int force;
} cmdline;

static void cmdline_parse(int argc, char **argv, cmdline *c)
{
    *c = (cmdline){NULL, NULL, NULL, {"pgcam", "boxes", 0.5, 0.5}, 0};
    const cli_option opts[] = {
        {"-o", CLI_STRING, &c->dir, 0, 0, "DIR",
         "where the NIfTI files go (made, with its parents, if missing); without it, only the\n"
         "report", NULL},
        {"--map", CLI_STRING, &c->vo.map, 0, 0, "NAME",
         "the record written (default pgcam; cam.sN, image, or a box list\n"
         "such as boxes or truth, written as a 0/1 mask of the boxes)", NULL},
        {"--boxes", CLI_STRING, &c->vo.boxes, 0, 0, "NAME",
         "the box record of the report's 3-D box (default boxes, from\n"
         "pgc-box; truth for the segmentation's boxes)", NULL},
        {"--frac", CLI_NUMBER, &c->vo.frac, 0, 1, "F",
         "volume estimate threshold, fraction of the maximum (default 0.5)", NULL},
        {"--prob-threshold", CLI_NUMBER, &c->vo.prob_threshold, 0, 1, "P",
         "a slice is classified tumour when its prob >= P (default 0.5;\n"
         "frames without prob count as tumour)", NULL},
        {"--plot", CLI_STRING, &c->plot, 0, 0, "FILE.png",
         "the probability plot; with several volumes FILE must hold %s,\n"
         "replaced by <name>.<axis>", NULL},
        {"--force", CLI_FLAG, &c->force, 0, 0, NULL, "replace existing files (refused by default)", NULL},
    };
    cli_parse(argc, argv, opts, CLI_NOPTS(opts), head, tail, &c->input);
    if (c->plot) {
        const char *p = strstr(c->plot, "%");
        if (p && (p[1] != 's' || strchr(p + 2, '%')))
            cli_usage("--plot FILE may hold one %%s and no other %%, not '%s'", c->plot);
    }
}

/* The volumes seen so far (source, axis), so that a volume whose frames are not
 * adjacent is refused instead of written twice. */
typedef struct {
    char **key;
    size_t n, cap;
} seen_list;

static int seen_add(seen_list *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->key[i], key)) return 0;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        if (!(s->key = realloc(s->key, s->cap * sizeof *s->key))) cli_fail("out of memory");
    }
    if (!(s->key[s->n++] = strdup(key))) cli_fail("out of memory");
    return 1;
}

typedef struct {
    const cmdline *c;
    pgc_volume v;
    int open;
    long volumes;
    char name[1200], nii[4200], plot[4200];
    pgc_names written; /* the files of this run: two volumes never share one */
} state;

/* <name>.<axis>, with characters other than A-Z a-z 0-9 . _ - as '_'. */
static void volume_name(const char *source, const char *axis, const char *map, char *buf,
                        size_t n)
{
    char base[1100];
    pgc_slice_frame_id(source, base, sizeof base);
    snprintf(buf, n, "%s.%s%s%s", base, axis, map ? "." : "", map ? map : "");
    for (char *p = buf; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            *p = '_';
}

static void begin(state *s, const char *source, const char *axis)
{
    const cmdline *c = s->c;
    pgc_err e;
    int rc;
    s->volumes++;
    volume_name(source, axis, NULL, s->name, sizeof s->name);
    s->nii[0] = s->plot[0] = 0;
    /* Two sources of one file name (a/t1.nii.gz, b/t1.nii.gz) make one output name:
     * refused, --force or not, as pgc-render's frames are, before it looks like a file
     * of the user's. */
    char id[1200];
    snprintf(id, sizeof id, "%s %s", source, axis);
    if (c->dir) {
        char file[1300];
        volume_name(source, axis, c->vo.map, file, sizeof file);
        snprintf(s->nii, sizeof s->nii, "%s/%s.nii.gz", c->dir, file);
        if ((rc = pgc_names_claim(&s->written, s->nii, id, &e))) cli_die(rc, &e);
        if (!c->force && pgc_path_exists(s->nii))
            cli_fail("'%s' exists; use --force to replace it", s->nii);
    }
    if (c->plot) {
        const char *p = strstr(c->plot, "%s");
        if (!p && s->volumes > 1)
            cli_fail("'%s' is a second volume, but --plot '%s' names one picture (put %%s in it)",
                     source, c->plot);
        if (p) snprintf(s->plot, sizeof s->plot, "%.*s%s%s", (int)(p - c->plot), c->plot, s->name, p + 2);
        else snprintf(s->plot, sizeof s->plot, "%s", c->plot);
        if ((rc = pgc_names_claim(&s->written, s->plot, id, &e))) cli_die(rc, &e);
        if (!c->force && pgc_path_exists(s->plot))
            cli_fail("'%s' exists; use --force to replace it", s->plot);
    }
    if ((rc = pgc_volume_begin(&s->v, source, axis, &e))) cli_die(rc, &e);
    s->open = 1;
}

static void finish(state *s)
{
    if (!s->open) return;
    const cmdline *c = s->c;
    pgc_err e;
    int rc;
    char descrip[80];
    snprintf(descrip, sizeof descrip, "pgcam %.30s %.16s", c->vo.map, s->v.axis);
    if (c->dir && (rc = pgc_nifti_write_f32(s->nii, &s->v.grid, descrip, s->v.data, c->force, &e)))
        cli_die(rc, &e);
    if (c->plot && (rc = pgc_volume_plot_file(s->plot, &s->v, &c->vo, c->force, &e)))
        cli_die(rc, &e);
    pgc_volume_row r;
    pgc_volume_report(&s->v, &c->vo, &r);
    pgc_volume_tsv_row(stdout, &s->v, &r, c->vo.map, c->dir ? s->nii : NULL);
    cli_stdout_check();
    s->open = 0;
}

/* What the loop carries: the volume being gathered, the volumes seen, the current key. */
typedef struct {
    state s;
    seen_list seen;
    char cur[1100];
} volume_run;

/* One frame: a new (axis, source) ends the volume before it and begins the next. */
static int volume_one(pgc_frame *f, void *ctx, pgc_err *e)
{
    volume_run *r = ctx;
    char source[1024], axis[64], key[1100];
    if (pgc_volume_frame_key(f, source, sizeof source, axis, sizeof axis)) {
        char id[256];
        cli_fail("frame '%s' has no source or axis metadata (not from pgc-slice?)",
                 pgc_frame_id(f, id, sizeof id));
    }
    snprintf(key, sizeof key, "%s\t%s", axis, source);
    if (!r->s.open || strcmp(key, r->cur)) {
        finish(&r->s);
        if (!seen_add(&r->seen, key))
            cli_fail("'%s' (%s): its frames are not adjacent in the stream", source, axis);
        begin(&r->s, source, axis);
        snprintf(r->cur, sizeof r->cur, "%s", key);
    }
    return pgc_volume_add(&r->s.v, f, &r->s.c->vo, e);
}

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    cmdline c;
    cmdline_parse(argc, argv, &c);
    if (c.dir) {
        pgc_err de;
        if (pgc_output_dir(c.dir, &de)) cli_die(PGC_EINPUT, &de);
    }
    pgc_reader *rd = cli_reader(c.input);
    static volume_run run;
    run.s.c = &c;
    pgc_volume_tsv_header(stdout);
    cli_frame_loop(rd, NULL, volume_one, &run);
    finish(&run.s);
    pgc_reader_free(rd);
    pgc_volume_free(&run.s.v);
    pgc_names_free(&run.s.written);
    for (size_t i = 0; i < run.seen.n; i++) free(run.seen.key[i]);
    free(run.seen.key);
    return CLI_OK;
}

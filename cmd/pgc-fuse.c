/* pgc-fuse: Pyramid Grad-CAM. Resizes each frame's cam.sN maps to its image, min-max
 * normalises them and combines them into one `pgcam` record (f32 y x, image size). */
#include <string.h>

#include "../lib/cam.h"
#include "../lib/fuse.h"
#include "common/cli.h"

static const char usage[] =
    "usage: pgc-fuse [--scales all|LIST] [--op sum|mean|max] [--blur SIGMA] [--drop] [FILE]\n"
    "Pyramid Grad-CAM: each frame's cam.sN maps are resized to the frame's image (bilinear,\n"
    "pixel centres), min-max normalised to [0, 1] (a constant map becomes zeros) and\n"
    "combined into a pgcam record (f32, y x, the image's size), appended to the frame.\n"
    "Reads the stream FILE (default: standard input), writes the stream to standard output.\n"
    "  --scales S   all (default: every cam.sN of the frame) or a list such as 1,4\n"
    "  --op OP      sum (default: the paper's PG-CAM, the sum normalised again to [0, 1]),\n"
    "               mean, or max (pixel-wise)\n"
    "  --blur S     smooth each resized map with a Gaussian of S image pixels (sd) before\n"
    "               normalising it (default 0: none): the fine scales' 2x2 dot pattern\n"
    "               then makes one region, not dozens\n"
    "  --drop       drop the cam.sN records (kept by default, for pgc-render)\n"
    "  -h, --help   this help\n"
    "A frame without an image or without cam.sN records, or with NaN in a map, is an error.\n";

typedef struct {
    pgc_fuse_opts fuse;
    const char *input;
} cmdline;

static void cmdline_parse(int argc, char **argv, cmdline *c)
{
    *c = (cmdline){{PGC_FUSE_SUM, 0, 0, 0}, NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--scales") || !strcmp(a, "--op") || !strcmp(a, "--blur")) {
            if (i + 1 >= argc) cli_usage("%s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--blur")) {
                c->fuse.blur = cli_double(a, v, 0, 64);
            } else if (!strcmp(a, "--op")) {
                int op = pgc_fuse_op_parse(v);
                if (op < 0) cli_usage("unknown --op '%s' (sum, mean, max)", v);
                c->fuse.op = (pgc_fuse_op)op;
            } else {
                pgc_err e;
                if (pgc_scales_parse(v, &c->fuse.scales, &e)) cli_usage("%s", e.msg);
            }
        } else if (!strcmp(a, "--drop")) {
            c->fuse.drop = 1;
        } else {
            cli_operand(a, &c->input);
        }
    }
}

static int fuse_one(pgc_frame *f, const void *opt, pgc_err *e)
{
    return pgc_fuse_frame(f, opt, e);
}

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    cli_help(argc, argv, usage);
    cmdline c;
    cmdline_parse(argc, argv, &c);
    cli_map_frames(c.input, fuse_one, &c.fuse);
    return 0;
}

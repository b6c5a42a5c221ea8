/* pgc-fuse: Pyramid Grad-CAM. Resizes each frame's cam.sN maps to its image, min-max
 * normalises them and combines them into one `pgcam` record (f32 y x, image size). */
#include <string.h>

#include "../lib/cam.h"
#include "../lib/fuse.h"
#include "common/cli.h"

static const char head[] =
    "usage: pgc-fuse [--scales all|LIST] [--op sum|mean|max] [--blur SIGMA] [--drop] [FILE]\n"
    "Pyramid Grad-CAM: each frame's cam.sN maps are resized to the frame's image (bilinear,\n"
    "pixel centres), min-max normalised to [0, 1] (a constant map becomes zeros) and\n"
    "combined into a pgcam record (f32, y x, the image's size), appended to the frame.\n"
    "Reads the stream FILE (default: standard input), writes the stream to standard output.\n";
static const char tail[] =
    "A frame without an image or without cam.sN records, or with NaN in a map, is an error.\n";

static int parse_op(const char *v, void *target, pgc_err *e)
{
    int op = pgc_fuse_op_parse(v);
    if (op < 0) return pgc_errf(e, PGC_EINPUT, "unknown --op '%s' (sum, mean, max)", v);
    *(pgc_fuse_op *)target = (pgc_fuse_op)op;
    return PGC_OK;
}

static int fuse_one(pgc_frame *f, void *opt, pgc_err *e)
{
    return pgc_fuse_frame(f, opt, e);
}

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    pgc_fuse_opts fuse = {PGC_FUSE_SUM, 0, 0, 0};
    const char *input = NULL;
    const cli_option opts[] = {
        {"--scales", CLI_CUSTOM, &fuse.scales, 0, 0, "S",
         "all (default: every cam.sN of the frame) or a list such as 1,4", cli_scales},
        {"--op", CLI_CUSTOM, &fuse.op, 0, 0, "OP",
         "sum (default: the paper's PG-CAM, the sum normalised again to [0, 1]),\n"
         "mean, or max (pixel-wise)", parse_op},
        {"--blur", CLI_NUMBER, &fuse.blur, 0, 64, "S",
         "smooth each resized map with a Gaussian of S image pixels (sd) before\n"
         "normalising it (default 0: none): the fine scales' 2x2 dot pattern\n"
         "then makes one region, not dozens", NULL},
        {"--drop", CLI_FLAG, &fuse.drop, 0, 0, NULL,
         "drop the cam.sN records it fused (kept by default, for\n"
         "pgc-render); the scales not fused pass through", NULL},
    };
    cli_parse(argc, argv, opts, CLI_NOPTS(opts), head, tail, &input);
    cli_map_frames(input, fuse_one, &fuse);
    return 0;
}

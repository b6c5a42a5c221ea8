/* pgc-cam: per-scale class activation maps from pgc-infer's feat.sN / grad.sN records.
 * Reads a stream frame by frame, appends one `cam.sN` record (f32 y x, the scale's own
 * resolution, raw) per scale and drops the consumed feat/grad records. */
#include <stdlib.h>
#include <string.h>

#include "../lib/cam.h"
#include "common/cli.h"

static const char usage[] =
    "usage: pgc-cam [--method M] [--scales LIST] [--keep] [FILE]\n"
    "Per-scale class activation maps from the feat.sN and grad.sN records of pgc-infer.\n"
    "Reads the stream FILE (default: standard input) and writes the stream to standard\n"
    "output: each frame's records in order, then one cam.sN record per scale (f32, y x,\n"
    "the scale's resolution, unnormalised, with metadata method and scale). The feat.sN\n"
    "and grad.sN records are dropped. Frames without feature maps pass through.\n"
    "  --method M     gradcam (default): ReLU(sum_k alpha_k A_k), alpha_k = mean gradient;\n"
    "                 cam: sum_k w_k A_k with w_k = h w (mean gradient), no ReLU (exact\n"
    "                 FC weights for a GAP + FC head); gradcam++; layercam; hirescam\n"
    "  --scales LIST  all (default) or scales such as 1,4 (each must be in every frame)\n"
    "  --keep         keep the feat.sN and grad.sN records\n"
    "  -h, --help     this help\n";

typedef struct {
    pgc_cam_opts cam;
    const char *input;
} cmdline;

static void cmdline_parse(int argc, char **argv, cmdline *c)
{
    *c = (cmdline){{PGC_CAM_GRADCAM, 0, 0}, NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--method") || !strcmp(a, "--scales")) {
            if (i + 1 >= argc) cli_usage("%s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--method")) {
                int m = pgc_cam_method_parse(v);
                if (m < 0)
                    cli_usage("unknown method '%s' (gradcam, cam, gradcam++, layercam, hirescam)", v);
                c->cam.method = (pgc_cam_method)m;
            } else {
                pgc_err e;
                if (pgc_scales_parse(v, &c->cam.scales, &e)) cli_usage("%s", e.msg);
            }
        } else if (!strcmp(a, "--keep")) {
            c->cam.keep = 1;
        } else {
            cli_operand(a, &c->input);
        }
    }
}

static int cam_one(pgc_frame *f, const void *opt, pgc_err *e)
{
    return pgc_cam_frame(f, opt, e);
}

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    cli_help(argc, argv, usage);
    cmdline c;
    cmdline_parse(argc, argv, &c);
    cli_map_frames(c.input, cam_one, &c.cam);
    return 0;
}

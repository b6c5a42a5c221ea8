/* pgc-cam: per-scale class activation maps from pgc-infer's feat.sN / grad.sN records.
 * Reads a stream frame by frame, appends one `cam.sN` record (f32 y x, the scale's own
 * resolution, raw) per scale and drops the consumed feat/grad records. */
#include <stdlib.h>
#include <string.h>

#include "../lib/cam.h"
#include "common/cli.h"

static const char head[] =
    "usage: pgc-cam [--method M] [--scales LIST] [--keep] [FILE]\n"
    "Per-scale class activation maps from the feat.sN and grad.sN records of pgc-infer.\n"
    "Reads the stream FILE (default: standard input) and writes the stream to standard\n"
    "output: each frame's records in order, then one cam.sN record per scale (f32, y x,\n"
    "the scale's resolution, unnormalised, with metadata method and scale). The feat.sN\n"
    "and grad.sN records are dropped. Frames without feature maps pass through.\n";

static int parse_method(const char *v, void *target, pgc_err *e)
{
    int m = pgc_cam_method_parse(v);
    if (m < 0)
        return pgc_errf(e, PGC_EINPUT,
                        "unknown method '%s' (gradcam, cam, gradcam++, layercam, hirescam)", v);
    *(pgc_cam_method *)target = (pgc_cam_method)m;
    return PGC_OK;
}

static int cam_one(pgc_frame *f, void *opt, pgc_err *e)
{
    return pgc_cam_frame(f, opt, e);
}

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    pgc_cam_opts cam = {PGC_CAM_GRADCAM, 0, 0};
    const char *input = NULL;
    const cli_option opts[] = {
        {"--method", CLI_CUSTOM, &cam.method, 0, 0, "M",
         "gradcam (default): ReLU(sum_k alpha_k A_k), alpha_k = mean gradient;\n"
         "cam: sum_k w_k A_k with w_k = h w (mean gradient), no ReLU (exact\n"
         "FC weights for a GAP + FC head); gradcam++; layercam; hirescam", parse_method},
        {"--scales", CLI_CUSTOM, &cam.scales, 0, 0, "LIST",
         "all (default) or scales such as 1,4 (each must be in every frame)", cli_scales},
        {"--keep", CLI_FLAG, &cam.keep, 0, 0, NULL, "keep the feat.sN and grad.sN records", NULL},
    };
    cli_parse(argc, argv, opts, CLI_NOPTS(opts), head, NULL, &input);
    cli_map_frames(input, cam_one, &cam);
    return 0;
}

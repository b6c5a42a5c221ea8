/* libFuzzer target for what lies behind the reader (issue 11): each frame of the bytes
 * goes through the frame loops of pgc-cam, pgc-fuse, pgc-box, pgc-score and pgc-render's
 * drawing, in memory, as a pipeline would take it. The first byte picks the options.
 * Any input must give results or a clean error: never a crash, a hang, a sanitizer
 * report or an allocation beyond the format's limits. (pgc-prep's loop lives in its
 * command, not lib/, and is not reached here.) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../lib/boxes.h"
#include "../../lib/cam.h"
#include "../../lib/frame.h"
#include "../../lib/fuse.h"
#include "../../lib/render.h"
#include "../../lib/score.h"
#include "../../lib/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned opt = data[0];
    data++, size--;
    char path[] = "/tmp/fuzz-filters-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 0;
    unlink(path);
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    lseek(fd, 0, SEEK_SET);
    pgc_err e;
    pgc_reader *rd = pgc_reader_open(fd, "fuzz", &e);
    pgc_cam_opts co = {(pgc_cam_method)(opt % PGC_CAM_NMETHODS), (opt >> 2) & 1 ? 0x2 : 0, (opt >> 3) & 1};
    pgc_fuse_opts fo = {(pgc_fuse_op)((opt >> 4) % 3), 0, (opt >> 6) & 1};
    pgc_boxes_opts bo = {(opt >> 7) & 1 ? "cam.s1" : "pgcam", 0.4, 0.5, 1, (opt >> 5) & 1};
    pgc_render_opts ro = {"pgcam", 0.6, 1};
    pgc_frame fr = {0};
    pgc_mapboxes mb = {0};
    pgc_canvas cv = {0};
    pgc_score sc;
    pgc_score_init(&sc, 0.5);
    int frames = 0;
    while (pgc_frame_read(rd, &fr, &e) == 1 && frames++ < 64) {
        double prob;
        pgc_score_row row;
        /* each stage as the filters chain them; a stage that refuses the frame ends it */
        if (pgc_cam_frame(&fr, &co, &e) < 0) continue;
        pgc_render_frame(&fr, &ro, &cv, &e);
        if (pgc_fuse_frame(&fr, &fo, &e) < 0) continue;
        if (pgc_boxes_frame(&fr, &bo, &mb, &prob, &e) < 0) continue;
        pgc_score_frame(&sc, &fr, NULL, &row, &e);
        pgc_render_frame(&fr, &ro, &cv, &e);
    }
    pgc_metric m[PGC_SCORE_NMETRICS];
    pgc_score_metrics(&sc, m);
    pgc_score_free(&sc);
    pgc_canvas_free(&cv);
    pgc_mapboxes_free(&mb);
    pgc_frame_free(&fr);
    pgc_reader_free(rd);
    close(fd);
    return 0;
}

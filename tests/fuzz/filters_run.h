/* The body shared by fuzz_filters.c (byte mutations) and fuzz_filters_struct.c (record
 * by record): each frame of the stream goes through the frame work of pgc-prep, pgc-cam,
 * pgc-render's drawing, pgc-fuse, pgc-box and pgc-score, in memory, as a pipeline takes
 * it. Byte 0 picks where a frame enters the chain (so that a stage is reached with frames
 * no earlier stage would let through), byte 1 the options; the stream follows. Any input
 * must give results or a clean error: never a crash, a hang, a sanitizer report or an
 * allocation beyond the format's limits.
 *
 * Small frames only (FUZZ_MAX_*): the work is per pixel and the branches are not, and
 * pgc-score labels its map at 100 thresholds, so a 32 x 32 map cost a millisecond a frame
 * and held the fuzzer near 1500 runs a second. A frame past the caps is read (the reader
 * still sees it) and left out; empty records with huge dims stay in. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_fd.h"
#include "../../lib/boxes.h"
#include "../../lib/cam.h"
#include "../../lib/frame.h"
#include "../../lib/fuse.h"
#include "../../lib/prep_frame.h"
#include "../../lib/render.h"
#include "../../lib/score.h"
#include "../../lib/stream.h"

enum { ST_PREP, ST_CAM, ST_RENDER, ST_FUSE, ST_BOX, ST_SCORE, ST_N };
enum {
    FUZZ_MAX_FRAMES = 8,   /* a stream's frames that go through the chain */
    FUZZ_MAX_PLANE = 64,   /* pixels of a record's last two dims: 8 x 8, or 16 boxes */
    FUZZ_MAX_COUNT = 1024, /* elements of a record (feat.sN: channels x plane) */
};

static int frame_small(const pgc_frame *f)
{
    for (int i = 0; i < f->n; i++) {
        const pgc_record *r = &f->rec[i];
        uint64_t plane = r->rank >= 2 ? r->dims[r->rank - 2] * r->dims[r->rank - 1] : 1;
        if (pgc_record_count(r) > FUZZ_MAX_COUNT || (r->rank >= 2 && plane > FUZZ_MAX_PLANE))
            return 0;
    }
    return 1;
}

static void run_filters(const uint8_t *data, size_t size)
{
    if (size < 2) return;
    unsigned entry = data[0] % (ST_N + 2), opt = data[1]; /* ST_N and above: the whole chain */
    if (entry >= ST_N) entry = ST_PREP;
    data += 2, size -= 2;
    int fd = fuzz_fd(data, size);
    if (fd < 0) return;
    pgc_err e;
    pgc_reader *rd = pgc_reader_open(fd, "fuzz", &e);
    static const size_t sizes[4] = {8, 1, 7, 9}; /* within FUZZ_MAX_PLANE: down, to one pixel, odd, up */
    pgc_prep_opts po = {sizes[opt & 3], (pgc_fit)((opt >> 2) & 1), (pgc_norm)((opt >> 3) % 3),
                        (opt >> 5) & 1 ? 0 : 0.5, (opt >> 5) & 1 ? 100 : 99.5};
    pgc_cam_opts co = {(pgc_cam_method)(opt % PGC_CAM_NMETHODS), (opt >> 2) & 1 ? 0x2 : 0, (opt >> 3) & 1};
    pgc_fuse_opts fo = {(pgc_fuse_op)((opt >> 4) % 3), 0, (opt >> 6) & 1, (opt >> 1) & 1 ? 3 : 0};
    pgc_boxes_opts bo = {(opt >> 7) & 1 ? "cam.s1" : "pgcam", 0.4, 0.5, 1, (opt >> 5) & 1, 0, 0, 0};
    if ((opt >> 4) & 1) pgc_boxes_rule(&bo, 1);
    pgc_render_opts ro = {"pgcam", 0.6, (opt >> 1) & 1};
    pgc_prep_state ps = {0};
    pgc_frame fr = {0};
    pgc_mapboxes mb = {0};
    pgc_canvas cv = {0};
    pgc_score sc;
    pgc_score_init(&sc, 0.5);
    int frames = 0;
    while (pgc_frame_read(rd, &fr, &e) == 1 && frames++ < FUZZ_MAX_FRAMES) {
        if (!frame_small(&fr)) continue;
        double prob;
        pgc_score_row row;
        /* each stage as the filters chain them; a stage that refuses the frame ends it */
        switch (entry) {
        case ST_PREP:
            if (pgc_prep_frame(&fr, &po, &ps, &e) < 0) continue;
            /* fall through */
        case ST_CAM:
            if (pgc_cam_frame(&fr, &co, &e) < 0) continue;
            /* fall through */
        case ST_RENDER:
            pgc_render_frame(&fr, &ro, &cv, &e);
            /* fall through */
        case ST_FUSE:
            if (pgc_fuse_frame(&fr, &fo, &e) < 0) continue;
            /* fall through */
        case ST_BOX:
            if (pgc_boxes_frame(&fr, &bo, &mb, &prob, &e) < 0) continue;
            pgc_render_frame(&fr, &ro, &cv, &e);
            /* fall through */
        default:
            pgc_score_frame(&sc, &fr, NULL, &row, &e);
        }
    }
    pgc_metric m[PGC_SCORE_NMETRICS];
    pgc_score_metrics(&sc, m);
    pgc_score_free(&sc);
    pgc_canvas_free(&cv);
    pgc_mapboxes_free(&mb);
    pgc_prep_state_free(&ps);
    pgc_frame_free(&fr);
    pgc_reader_free(rd);
}

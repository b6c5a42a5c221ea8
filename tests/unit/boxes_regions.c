/* Boxes from thresholded maps: regions, thresholds, filters, transforms, frames. */
#include "../../lib/boxes.h"
#include "check.h"

#include <stdlib.h>

/* A 6 x 8 map with two blobs above 0.4 and background noise at 0.3:
 *   blob A: rows 1-2, cols 1-2, peak 1.0    -> box (1, 1, 3, 3)
 *   blob B: row 4, cols 5-7, peak 0.8       -> box (5, 4, 8, 5) */
static void two_blob_map(float *m)
{
    for (int i = 0; i < 48; i++) m[i] = 0.3f;
    m[1 * 8 + 1] = 1.0f, m[1 * 8 + 2] = 0.9f, m[2 * 8 + 1] = 0.5f, m[2 * 8 + 2] = 0.7f;
    m[4 * 8 + 5] = 0.6f, m[4 * 8 + 6] = 0.8f, m[4 * 8 + 7] = 0.41f;
}

static void a_map_with_two_blobs_gives_two_boxes(void)
{
    float m[48];
    two_blob_map(m);
    pgc_mapboxes b = {0};
    EXPECT(pgc_mapboxes_find(&b, m, 6, 8, 0.4, NULL) == 0);
    pgc_mapboxes_peaks(&b, m, 8);
    EXPECT(b.n == 2);
    if (b.n == 2) {
        pgc_region_box *a = &b.box[0], *c = &b.box[1];
        EXPECT(a->x0 == 1 && a->y0 == 1 && a->x1 == 3 && a->y1 == 3 && a->area == 4);
        EXPECT(c->x0 == 5 && c->y0 == 4 && c->x1 == 8 && c->y1 == 5 && c->area == 3);
        EXPECT_NEAR(a->peak, 1.0, 0);
        EXPECT_NEAR(c->peak, 0.8, 1e-7);
    }
    pgc_mapboxes_free(&b);
}

static void threshold_is_strictly_above_the_fraction_of_the_maximum(void)
{
    float m[4] = {1.0f, 0.5f, 0.0f, 0.5f}; // 0.5 = frac * max is not above it
    pgc_mapboxes b = {0};
    pgc_mapboxes_find(&b, m, 2, 2, 0.5, NULL);
    EXPECT(b.n == 1 && b.box[0].area == 1 && b.box[0].x1 == 1 && b.box[0].y1 == 1);
    pgc_mapboxes_find(&b, m, 2, 2, 0.49, NULL);
    EXPECT(b.n == 1 && b.box[0].area == 3 && b.box[0].x1 == 2 && b.box[0].y1 == 2);
    pgc_mapboxes_free(&b);
}

/* A raw Grad-CAM (pgc-box --map cam.s1) is not scaled to [0, 1]: the threshold follows
 * the map's own maximum, so a map and 10 x that map give the same boxes. */
static void the_threshold_follows_the_maximum_of_an_unscaled_map(void)
{
    float m[48], m10[48];
    two_blob_map(m);
    for (int i = 0; i < 48; i++) m10[i] = 10 * m[i];
    pgc_mapboxes b = {0};
    EXPECT(pgc_mapboxes_find(&b, m10, 6, 8, 0.4, NULL) == 0);
    EXPECT(b.n == 2);
    if (b.n == 2) EXPECT(b.box[0].area == 4 && b.box[1].area == 3);
    pgc_mapboxes_free(&b);
}

static void diagonal_neighbours_join_one_region(void)
{
    // 8-connectivity: the anti-diagonal and the diagonal both connect
    float m[9] = {0, 0, 1, 0, 1, 0, 1, 0, 1};
    pgc_mapboxes b = {0};
    pgc_mapboxes_find(&b, m, 3, 3, 0.4, NULL);
    EXPECT(b.n == 1 && b.box[0].area == 4);
    EXPECT(b.box[0].x0 == 0 && b.box[0].y0 == 0 && b.box[0].x1 == 3 && b.box[0].y1 == 3);
    pgc_mapboxes_free(&b);
}

static void maps_whose_maximum_is_not_positive_have_no_boxes(void)
{
    float z[6] = {0}, neg[3] = {-1, -0.5f, -2};
    pgc_mapboxes b = {0};
    pgc_mapboxes_find(&b, z, 2, 3, 0.4, NULL);
    EXPECT(b.n == 0);
    pgc_mapboxes_find(&b, neg, 1, 3, 0.4, NULL);
    EXPECT(b.n == 0);
    pgc_mapboxes_free(&b);
}

static void a_peak_is_the_largest_value_above_threshold_in_the_box(void)
{
    // a ring (0.5) around an inner blob (0.9): the ring's box holds the blob
    float m[25] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, /**/ 0.5f, 0, 0, 0, 0.5f,
                   0.5f, 0, 0.9f, 0, 0.5f,       /**/ 0.5f, 0, 0, 0, 0.5f,
                   0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    pgc_mapboxes b = {0};
    pgc_mapboxes_find(&b, m, 5, 5, 0.4, NULL);
    pgc_mapboxes_peaks(&b, m, 5);
    EXPECT(b.n == 2 && b.box[0].area == 16 && b.box[1].area == 1);
    EXPECT_NEAR(b.box[0].peak, 0.9, 1e-7);
    EXPECT_NEAR(b.box[1].peak, 0.9, 1e-7);
    pgc_mapboxes_free(&b);
}

static void min_area_and_largest_filter_regions(void)
{
    float m[48];
    two_blob_map(m);
    pgc_mapboxes b = {0};
    pgc_mapboxes_find(&b, m, 6, 8, 0.4, NULL);
    pgc_mapboxes_filter(&b, 4, 0);
    EXPECT(b.n == 1 && b.box[0].area == 4);
    pgc_mapboxes_find(&b, m, 6, 8, 0.4, NULL);
    pgc_mapboxes_filter(&b, 0, 1);
    EXPECT(b.n == 1 && b.box[0].x0 == 1);
    pgc_mapboxes_find(&b, m, 6, 8, 0.4, NULL);
    pgc_mapboxes_filter(&b, 5, 1);
    EXPECT(b.n == 0);
    pgc_mapboxes_free(&b);
}

/* Four separate dots of peaks 1, 0.9, 0.5, 0.3 and one 3x3 block of 0.8. */
static void five_region_map(float m[100])
{
    for (int i = 0; i < 100; i++) m[i] = 0;
    m[0 * 10 + 0] = 0.5f, m[0 * 10 + 9] = 0.3f, m[9 * 10 + 0] = 0.9f, m[9 * 10 + 9] = 1;
    for (int y = 4; y < 7; y++)
        for (int x = 4; x < 7; x++) m[y * 10 + x] = 0.8f;
}

static void select_keeps_strong_regions_strongest_first_up_to_k(void)
{
    float m[100];
    five_region_map(m);
    pgc_mapboxes b = {0};
    pgc_mapboxes_find(&b, m, 10, 10, 0.2, NULL);
    pgc_mapboxes_peaks(&b, m, 10);
    EXPECT(b.n == 5);
    pgc_mapboxes_select(&b, 0.7, 0);
    EXPECT(b.n == 3 && b.box[0].peak == 1 && b.box[1].peak == 0.9f && b.box[2].peak == 0.8f);
    pgc_mapboxes_find(&b, m, 10, 10, 0.2, NULL);
    pgc_mapboxes_peaks(&b, m, 10);
    pgc_mapboxes_select(&b, 0, 2);
    EXPECT(b.n == 2 && b.box[0].peak == 1 && b.box[1].peak == 0.9f);
    pgc_mapboxes_free(&b);
}

static void the_product_rule_drops_small_and_weak_regions_the_paper_rule_keeps_all(void)
{
    pgc_frame f = {0};
    pgc_err e;
    pgc_record *img = pgc_frame_add(&f, &e), *map = pgc_frame_add(&f, &e);
    pgc_record_f32_2d(img, 10, 10, &e);
    pgc_record_f32_2d(map, 10, 10, &e);
    pgc_meta_set(img, "name", "image", &e);
    pgc_meta_set(map, "name", "pgcam", &e);
    five_region_map(map->data);
    pgc_boxes_opts o = {"pgcam", 0, 0.5, 1, 0, 0, 0, 0};
    pgc_boxes_rule(&o, 0);
    pgc_mapboxes b = {0};
    double prob;
    EXPECT(pgc_boxes_frame(&f, &o, &b, &prob, &e) == 0);
    EXPECT(b.n == 4); /* every region above 0.4 x max: 1, 0.9, 0.5 and the block */
    o.min_area_frac = 0.05; /* 5 pixels of 100: only the 9-pixel block */
    EXPECT(pgc_boxes_frame(&f, &o, &b, &prob, &e) == 0);
    EXPECT(b.n == 1 && b.box[0].area == 9);
    pgc_boxes_rule(&o, 1);
    o.frac = 0.5, o.max_boxes = 3; /* the product rule's peak limit with three boxes */
    EXPECT(pgc_boxes_frame(&f, &o, &b, &prob, &e) == 0);
    EXPECT(b.n == 3 && b.box[0].peak == 1); /* 1, 0.9, 0.8: the 0.5 dot is weak */
    pgc_boxes_rule(&o, 1);
    EXPECT(pgc_boxes_frame(&f, &o, &b, &prob, &e) == 0); /* 0.5% of 100 rounds up to 1 pixel */
    EXPECT(b.n == 1 && b.box[0].peak == 1); /* above 0.9 x max: the strongest dot alone */
    pgc_frame_free(&f);
    pgc_mapboxes_free(&b);
}

static void a_full_map_is_one_box_covering_it(void)
{
    enum { H = 300, W = 200 };
    float *m = malloc(sizeof(float) * H * W);
    for (int i = 0; i < H * W; i++) m[i] = 1;
    pgc_mapboxes b = {0};
    EXPECT(pgc_mapboxes_find(&b, m, H, W, 0.4, NULL) == 0);
    EXPECT(b.n == 1 && b.box[0].x1 == W && b.box[0].y1 == H && b.box[0].area == H * W);
    // a checkerboard: every pixel touches its diagonal neighbours, so still one region
    for (int i = 0; i < H * W; i++) m[i] = (float)((i / W + i % W) % 2);
    pgc_mapboxes_find(&b, m, H, W, 0.4, NULL);
    EXPECT(b.n == 1 && b.box[0].area == H * W / 2);
    // every other row: H / 2 separate regions
    for (int i = 0; i < H * W; i++) m[i] = (float)((i / W) % 2);
    pgc_mapboxes_find(&b, m, H, W, 0.4, NULL);
    EXPECT(b.n == H / 2 && b.box[1].y0 == 3 && b.box[1].y1 == 4);
    pgc_mapboxes_free(&b);
    free(m);
}

static void transforms_map_box_corners_then_take_min_and_max(void)
{
    pgc_transform t;
    EXPECT(pgc_transform_parse("2 0 10 0 2 20", &t, NULL) == 0);
    float out[4];
    pgc_transform_box(&t, (float[]){1, 1, 3, 3}, out);
    EXPECT(out[0] == 12 && out[1] == 22 && out[2] == 16 && out[3] == 26);
    // a left-right flip swaps x0 and x1
    EXPECT(pgc_transform_parse("-1 0 100 0 1 0", &t, NULL) == 0);
    pgc_transform_box(&t, (float[]){1, 1, 3, 3}, out);
    EXPECT(out[0] == 97 && out[1] == 1 && out[2] == 99 && out[3] == 3);
    // a transpose (x, y) -> (y, x)
    EXPECT(pgc_transform_parse("0 1 0 1 0 0", &t, NULL) == 0);
    pgc_transform_box(&t, (float[]){1, 2, 3, 7}, out);
    EXPECT(out[0] == 2 && out[1] == 1 && out[2] == 7 && out[3] == 3);
    EXPECT(pgc_transform_parse("1 0 0 0 1", &t, NULL) == PGC_EINPUT);
    EXPECT(pgc_transform_parse("1 0 0 0 1 0 7", &t, NULL) == PGC_EINPUT);
    EXPECT(pgc_transform_parse("1 0 nan 0 1 0", &t, NULL) == PGC_EINPUT);
}

static void a_singular_transform_is_refused_wherever_it_is_read(void)
{
    // (x, y) -> (x + y, x + y) folds the plane onto a line: no box maps back
    pgc_err e;
    pgc_transform t;
    EXPECT(pgc_transform_parse("1 1 0 1 1 0", &t, &e) == PGC_EINPUT && strstr(e.msg, "singular"));
    pgc_record r = {0};
    EXPECT(pgc_meta_set(&r, "name", "pgcam", NULL) == 0);
    EXPECT(pgc_meta_set(&r, "transform", "1 1 0 1 1 0", NULL) == 0);
    EXPECT(pgc_transform_get(&r, &t, &e) == PGC_EINPUT && strstr(e.msg, "singular"));
    EXPECT(pgc_transform_of(&r, "b1", &t, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "frame 'b1': pgcam has a bad transform") && strstr(e.msg, "singular"));
    pgc_record_free(&r);
}

static pgc_record *add_rec(pgc_frame *f, const char *name)
{
    pgc_record *r = pgc_frame_add(f, NULL);
    pgc_meta_set(r, "frame", "b1", NULL);
    pgc_meta_set(r, "name", name, NULL);
    return r;
}

static void make_frame(pgc_frame *f, const char *prob)
{
    pgc_record *r = add_rec(f, "image");
    pgc_record_f32_2d(r, 6, 8, NULL);
    if (prob) pgc_meta_set(r, "prob", prob, NULL);
    r = add_rec(f, "pgcam");
    pgc_record_f32_2d(r, 6, 8, NULL);
    two_blob_map(r->data);
    pgc_meta_set(r, "transform", "0.5 0 100 0 0.5 200", NULL);
    pgc_meta_set(r, "scales", "1,2", NULL);
}

static void a_frame_gets_boxes_in_image_and_source_pixels(void)
{
    pgc_frame f = {0};
    make_frame(&f, "0.9");
    pgc_mapboxes b = {0};
    pgc_boxes_opts o = {"pgcam", 0.4, 0.5, 0, 0, 0, 0, 0};
    double prob;
    EXPECT(pgc_boxes_frame(&f, &o, &b, &prob, NULL) == 0);
    EXPECT_NEAR(prob, 0.9, 1e-12);
    int bi = pgc_frame_find(&f, "boxes"), si = pgc_frame_find(&f, "boxes.src");
    EXPECT(bi == 2 && si == 3);
    EXPECT(f.rec[bi].dims[0] == 2 && f.rec[bi].dims[1] == 4);
    EXPECT_STR(f.rec[bi].dimname[0], "box");
    const float *xy = f.rec[bi].data, *s = f.rec[si].data;
    EXPECT(xy[4] == 5 && xy[5] == 4 && xy[6] == 8 && xy[7] == 5);
    EXPECT(s[4] == 102.5f && s[5] == 202 && s[6] == 104 && s[7] == 202.5f);
    char buf[64];
    EXPECT_STR(pgc_meta_get(&f.rec[si], "frame", buf, sizeof buf), "b1");
    EXPECT_STR(pgc_meta_get(&f.rec[si], "map", buf, sizeof buf), "pgcam");
    EXPECT(!pgc_meta_get(&f.rec[si], "scales", buf, sizeof buf));
    // a second run replaces the records
    EXPECT(pgc_boxes_frame(&f, &o, &b, &prob, NULL) == 0 && f.n == 4);
    pgc_frame_free(&f);
    pgc_mapboxes_free(&b);
}

static void low_probability_frames_get_an_empty_boxes_record(void)
{
    pgc_frame f = {0};
    make_frame(&f, "0.3");
    pgc_record *p = add_rec(&f, "prob"); // the prob record wins over the image's key
    pgc_record_shape(p, PGC_DT_F32, 1, (uint64_t[]){2}, NULL, NULL);
    pgc_meta_set(p, "prob", "0.2", NULL);
    pgc_mapboxes b = {0};
    pgc_boxes_opts o = {"pgcam", 0.4, 0.5, 0, 0, 0, 0, 0};
    double prob;
    EXPECT(pgc_boxes_frame(&f, &o, &b, &prob, NULL) == 0);
    EXPECT_NEAR(prob, 0.2, 1e-12);
    int bi = pgc_frame_find(&f, "boxes");
    EXPECT(bi >= 0 && f.rec[bi].rank == 2 && f.rec[bi].dims[0] == 0 && f.rec[bi].dims[1] == 4);
    o.prob_threshold = 0.1;
    EXPECT(pgc_boxes_frame(&f, &o, &b, &prob, NULL) == 0 && f.rec[bi].dims[0] == 2);
    pgc_frame_free(&f);
    make_frame(&f, NULL); // no prob at all: boxes are made
    o.prob_threshold = 0.5;
    EXPECT(pgc_boxes_frame(&f, &o, &b, &prob, NULL) == 0 && isnan(prob));
    EXPECT(f.rec[pgc_frame_find(&f, "boxes")].dims[0] == 2);
    pgc_frame_free(&f);
    pgc_mapboxes_free(&b);
}

static void bad_maps_transforms_and_probabilities_are_errors(void)
{
    pgc_frame f = {0};
    pgc_mapboxes b = {0};
    pgc_boxes_opts o = {"pgcam", 0.4, 0.5, 0, 0, 0, 0, 0};
    double prob;
    pgc_err e;
    make_frame(&f, "high");
    EXPECT(pgc_boxes_frame(&f, &o, &b, &prob, &e) == PGC_EINPUT && strstr(e.msg, "bad prob"));
    pgc_frame_free(&f);
    make_frame(&f, NULL);
    ((float *)f.rec[1].data)[7] = NAN;
    EXPECT(pgc_boxes_frame(&f, &o, &b, &prob, &e) == PGC_EINPUT && strstr(e.msg, "NaN"));
    EXPECT(strstr(e.msg, "'b1'"));
    ((float *)f.rec[1].data)[7] = 0;
    pgc_meta_set(&f.rec[1], "transform", "1 2 3", NULL);
    EXPECT(pgc_boxes_frame(&f, &o, &b, &prob, &e) == PGC_EINPUT && strstr(e.msg, "transform"));
    o.map = "cam.s3";
    EXPECT(pgc_boxes_frame(&f, &o, &b, &prob, &e) == PGC_EINPUT && strstr(e.msg, "cam.s3"));
    pgc_frame_free(&f);
    pgc_mapboxes_free(&b);
}

static void a_coarse_map_gives_boxes_in_image_pixels(void)
{
    pgc_frame f = {0};
    make_frame(&f, NULL); // image 6 x 8
    pgc_record *r = add_rec(&f, "cam.s2");
    pgc_record_f32_2d(r, 3, 4, NULL);
    memcpy(r->data, (float[]){0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, sizeof(float) * 12);
    pgc_meta_set(r, "transform", "1 0 0 0 1 0", NULL);
    pgc_mapboxes b = {0};
    pgc_boxes_opts o = {"cam.s2", 0.4, 0.5, 0, 0, 0, 0, 0};
    double prob;
    EXPECT(pgc_boxes_frame(&f, &o, &b, &prob, NULL) == 0);
    const float *xy = f.rec[pgc_frame_find(&f, "boxes")].data;
    EXPECT(xy[0] == 2 && xy[1] == 0 && xy[2] == 4 && xy[3] == 2);
    EXPECT(xy[4] == 6 && xy[5] == 4 && xy[6] == 8 && xy[7] == 6);
    pgc_frame_free(&f);
    pgc_mapboxes_free(&b);
}

int main(void)
{
    RUN(a_map_with_two_blobs_gives_two_boxes);
    RUN(threshold_is_strictly_above_the_fraction_of_the_maximum);
    RUN(the_threshold_follows_the_maximum_of_an_unscaled_map);
    RUN(diagonal_neighbours_join_one_region);
    RUN(maps_whose_maximum_is_not_positive_have_no_boxes);
    RUN(a_peak_is_the_largest_value_above_threshold_in_the_box);
    RUN(min_area_and_largest_filter_regions);
    RUN(a_full_map_is_one_box_covering_it);
    RUN(transforms_map_box_corners_then_take_min_and_max);
    RUN(a_singular_transform_is_refused_wherever_it_is_read);
    RUN(a_frame_gets_boxes_in_image_and_source_pixels);
    RUN(low_probability_frames_get_an_empty_boxes_record);
    RUN(bad_maps_transforms_and_probabilities_are_errors);
    RUN(a_coarse_map_gives_boxes_in_image_pixels);
    RUN(select_keeps_strong_regions_strongest_first_up_to_k);
    RUN(the_product_rule_drops_small_and_weak_regions_the_paper_rule_keeps_all);
    return check_done();
}

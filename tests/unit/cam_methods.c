/* Per-scale CAM methods on a 2-channel 2 x 2 example worked out by hand, and pgc_cam_frame
 * on synthetic frames. */
#include "../../lib/cam.h"
#include "check.h"

#include <stdlib.h>

/* A (2, 2, 2) and G (2, 2, 2): alpha = (0.2, -0.5). */
static const float A[8] = {1, 2, 3, 4, /**/ 1, 1, 1, 0};
static const float G[8] = {0.1f, 0.3f, 0.2f, 0.2f, /**/ -2, 0, 0, 0};

static void expect_map(pgc_cam_method m, const float want[4])
{
    float out[4];
    EXPECT(pgc_cam_compute(m, A, G, 2, 2, 2, out, NULL) == PGC_OK);
    for (int i = 0; i < 4; i++) EXPECT_NEAR(out[i], want[i], 1e-6);
}

static void gradcam_is_relu_of_mean_gradient_weighted_sum(void)
{
    // 0.2 A1 - 0.5 A2 = (-0.3, -0.1, 0.1, 0.8)
    expect_map(PGC_CAM_GRADCAM, (float[]){0, 0, 0.1f, 0.8f});
}

static void cam_is_hw_times_the_weighted_sum_without_relu(void)
{
    expect_map(PGC_CAM_CAM, (float[]){-1.2f, -0.4f, 0.4f, 3.2f});
}

static void layercam_weights_each_pixel_by_its_positive_gradient(void)
{
    // ReLU(G1) A1 = (0.1, 0.6, 0.6, 0.8); ReLU(G2) = 0
    expect_map(PGC_CAM_LAYERCAM, (float[]){0.1f, 0.6f, 0.6f, 0.8f});
}

static void hirescam_is_relu_of_the_elementwise_product_sum(void)
{
    // G1 A1 + G2 A2 = (0.1 - 2, 0.6, 0.6, 0.8)
    expect_map(PGC_CAM_HIRESCAM, (float[]){0, 0.6f, 0.6f, 0.8f});
}

static void gradcampp_weights_follow_the_closed_form(void)
{
    // channel 1: sum A = 10, a G = G^3 / (2 G^2 + 10 G^3) = G / (2 + 10 G):
    // 0.1/3 + 0.3/5 + 2 * 0.2/4 = 0.19333...; channel 2: ReLU(G) = 0 everywhere
    double w1 = 0.1 / 3 + 0.3 / 5 + 0.2 / 4 * 2;
    expect_map(PGC_CAM_GRADCAMPP, (float[]){(float)w1, (float)(2 * w1), (float)(3 * w1),
                                            (float)(4 * w1)});
}

static void method_names_parse_back(void)
{
    for (int m = 0; m < PGC_CAM_NMETHODS; m++)
        EXPECT(pgc_cam_method_parse(pgc_cam_method_name(m)) == m);
    EXPECT(pgc_cam_method_parse("gradcam") == PGC_CAM_GRADCAM);
    EXPECT(pgc_cam_method_parse("scorecam") == -1);
}

static void scale_lists_parse_into_bit_sets(void)
{
    unsigned s = 99;
    EXPECT(pgc_scales_parse("all", &s, NULL) == 0 && s == 0);
    EXPECT(pgc_scales_parse("1,4", &s, NULL) == 0 && s == ((1u << 1) | (1u << 4)));
    EXPECT(pgc_scales_parse("0", &s, NULL) == PGC_EINPUT);
    EXPECT(pgc_scales_parse("1,", &s, NULL) == PGC_EINPUT);
    EXPECT(pgc_scales_parse("x", &s, NULL) == PGC_EINPUT);
    EXPECT(pgc_scales_parse("32", &s, NULL) == PGC_EINPUT);
}

/* Appends a (k, h, w) record named name to f with the given values (or a ramp). */
static void add_3d(pgc_frame *f, const char *name, int k, int h, int w, const float *v)
{
    pgc_record *r = pgc_frame_add(f, NULL);
    pgc_record_f32_3d(r, k, h, w, NULL);
    for (int i = 0; i < k * h * w; i++) ((float *)r->data)[i] = v ? v[i] : (float)(i % 7) - 2;
    pgc_meta_set(r, "frame", "f1", NULL);
    pgc_meta_set(r, "name", name, NULL);
    pgc_meta_set(r, "transform", "1 0 0 0 1 0", NULL);
}

static void add_image(pgc_frame *f)
{
    pgc_record *r = pgc_frame_add(f, NULL);
    pgc_record_f32_2d(r, 4, 4, NULL);
    pgc_meta_set(r, "frame", "f1", NULL);
    pgc_meta_set(r, "name", "image", NULL);
}

static void a_frame_gets_one_cam_per_scale_and_loses_its_features(void)
{
    pgc_frame f = {0};
    add_image(&f);
    add_3d(&f, "feat.s1", 2, 2, 2, A);
    add_3d(&f, "grad.s1", 2, 2, 2, G);
    add_3d(&f, "feat.s2", 3, 1, 1, NULL);
    add_3d(&f, "grad.s2", 3, 1, 1, NULL);
    pgc_cam_opts o = {PGC_CAM_GRADCAM, 0, 0};
    pgc_err e;
    EXPECT(pgc_cam_frame(&f, &o, &e) == 2);
    EXPECT(f.n == 7);
    int c1 = pgc_frame_find(&f, "cam.s1");
    EXPECT(c1 == 5 && pgc_frame_find(&f, "cam.s2") == 6);
    EXPECT(!f.drop[0] && f.drop[1] && f.drop[2] && f.drop[3] && f.drop[4] && !f.drop[5]);
    char buf[64];
    EXPECT_STR(pgc_meta_get(&f.rec[c1], "method", buf, sizeof buf), "gradcam");
    EXPECT_STR(pgc_meta_get(&f.rec[c1], "scale", buf, sizeof buf), "1");
    EXPECT_STR(pgc_meta_get(&f.rec[c1], "transform", buf, sizeof buf), "1 0 0 0 1 0");
    EXPECT(f.rec[c1].rank == 2 && f.rec[c1].dims[0] == 2 && f.rec[c1].dims[1] == 2);
    EXPECT_STR(f.rec[c1].dimname[0], "y");
    EXPECT_NEAR(((float *)f.rec[c1].data)[3], 0.8, 1e-6);
    pgc_frame_free(&f);
}

static void keep_leaves_features_and_scales_choose_maps(void)
{
    pgc_frame f = {0};
    add_3d(&f, "feat.s1", 2, 2, 2, A);
    add_3d(&f, "grad.s1", 2, 2, 2, G);
    add_3d(&f, "feat.s4", 1, 1, 1, NULL);
    add_3d(&f, "grad.s4", 1, 1, 1, NULL);
    pgc_cam_opts o = {PGC_CAM_LAYERCAM, 1u << 4, 1};
    EXPECT(pgc_cam_frame(&f, &o, NULL) == 1);
    EXPECT(pgc_frame_find(&f, "cam.s1") < 0 && pgc_frame_find(&f, "cam.s4") == 4);
    for (int i = 0; i < f.n; i++) EXPECT(!f.drop[i]);
    pgc_frame_free(&f);
}

static void a_missing_gradient_or_scale_is_an_error_naming_the_frame(void)
{
    pgc_frame f = {0};
    add_3d(&f, "feat.s1", 2, 2, 2, A);
    pgc_cam_opts o = {PGC_CAM_GRADCAM, 0, 0};
    pgc_err e;
    EXPECT(pgc_cam_frame(&f, &o, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "'f1'") && strstr(e.msg, "grad.s1"));
    add_3d(&f, "grad.s1", 2, 2, 2, G);
    o.scales = 1u << 3;
    EXPECT(pgc_cam_frame(&f, &o, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "feat.s3"));
    pgc_frame_free(&f);
}

static void mismatched_shapes_and_nan_are_refused(void)
{
    pgc_frame f = {0};
    add_3d(&f, "feat.s1", 2, 2, 2, A);
    add_3d(&f, "grad.s1", 2, 1, 2, NULL);
    pgc_cam_opts o = {PGC_CAM_GRADCAM, 0, 0};
    pgc_err e;
    EXPECT(pgc_cam_frame(&f, &o, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "grad.s1 is 2 x 1 x 2"));
    pgc_frame_free(&f);
    float bad[8] = {1, 2, 3, NAN, 0, 0, 0, 0};
    add_3d(&f, "feat.s1", 2, 2, 2, bad);
    add_3d(&f, "grad.s1", 2, 2, 2, G);
    EXPECT(pgc_cam_frame(&f, &o, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "NaN"));
    pgc_frame_free(&f);
}

static void a_frame_without_features_is_left_alone(void)
{
    pgc_frame f = {0};
    add_image(&f);
    pgc_cam_opts o = {PGC_CAM_GRADCAM, 1u << 2, 0};
    EXPECT(pgc_cam_frame(&f, &o, NULL) == 0);
    EXPECT(f.n == 1 && !f.drop[0]);
    pgc_frame_free(&f);
}

int main(void)
{
    RUN(gradcam_is_relu_of_mean_gradient_weighted_sum);
    RUN(cam_is_hw_times_the_weighted_sum_without_relu);
    RUN(layercam_weights_each_pixel_by_its_positive_gradient);
    RUN(hirescam_is_relu_of_the_elementwise_product_sum);
    RUN(gradcampp_weights_follow_the_closed_form);
    RUN(method_names_parse_back);
    RUN(scale_lists_parse_into_bit_sets);
    RUN(a_frame_gets_one_cam_per_scale_and_loses_its_features);
    RUN(keep_leaves_features_and_scales_choose_maps);
    RUN(a_missing_gradient_or_scale_is_an_error_naming_the_frame);
    RUN(mismatched_shapes_and_nan_are_refused);
    RUN(a_frame_without_features_is_left_alone);
    return check_done();
}

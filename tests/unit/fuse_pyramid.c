#include <math.h>
#include <string.h>
/* Bilinear resize (align corners off) against hand values, min-max normalisation, and
 * the pyramid's combinations on synthetic frames. */
#include "../../lib/blur.h"
#include "../../lib/fuse.h"
#include "check.h"

static void upsampling_2x2_to_4x4_matches_hand_values(void)
{
    // source coordinates d / 2 - 0.25 clamped: weights 0, 0.25, 0.75, 1 on each axis
    const float src[4] = {0, 1, 2, 3};
    const float want[16] = {0, 0.25f, 0.75f, 1, 0.5f, 0.75f, 1.25f, 1.5f,
                            1.5f, 1.75f, 2.25f, 2.5f, 2, 2.25f, 2.75f, 3};
    float dst[16];
    pgc_resize_bilinear(src, 2, 2, dst, 4, 4);
    for (int i = 0; i < 16; i++) EXPECT_NEAR(dst[i], want[i], 1e-6);
}

static void downsampling_samples_between_source_pixels(void)
{
    // 3 -> 2: source x = 0.25 and 1.75; 4 -> 2: source 0.5 and 2.5
    const float row[3] = {0, 10, 20};
    float out[2];
    pgc_resize_bilinear(row, 1, 3, out, 1, 2);
    EXPECT_NEAR(out[0], 2.5, 1e-6);
    EXPECT_NEAR(out[1], 17.5, 1e-6);
    float sq[16], o4[4];
    for (int i = 0; i < 16; i++) sq[i] = (float)(i % 4 + 4 * (i / 4)); // x + 4 y
    pgc_resize_bilinear(sq, 4, 4, o4, 2, 2);
    EXPECT_NEAR(o4[0], 0.5 + 4 * 0.5, 1e-6);
    EXPECT_NEAR(o4[1], 2.5 + 4 * 0.5, 1e-6);
    EXPECT_NEAR(o4[3], 2.5 + 4 * 2.5, 1e-6);
}

static void same_size_resize_is_the_identity_and_one_pixel_spreads(void)
{
    const float src[6] = {1, -2, 3, 4, 5, 6};
    float dst[6], one = 7, big[9];
    pgc_resize_bilinear(src, 2, 3, dst, 2, 3);
    for (int i = 0; i < 6; i++) EXPECT(dst[i] == src[i]);
    pgc_resize_bilinear(&one, 1, 1, big, 3, 3);
    for (int i = 0; i < 9; i++) EXPECT(big[i] == 7);
}

static void minmax_maps_to_unit_range_and_constants_to_zero(void)
{
    float m[4] = {2, 4, 6, 3};
    pgc_normalise_minmax(m, 4);
    EXPECT_NEAR(m[0], 0, 0);
    EXPECT_NEAR(m[1], 0.5, 1e-7);
    EXPECT_NEAR(m[2], 1, 0);
    EXPECT_NEAR(m[3], 0.25, 1e-7);
    float c[3] = {5, 5, 5}, z[3] = {0, 0, 0};
    pgc_normalise_minmax(c, 3);
    pgc_normalise_minmax(z, 3);
    for (int i = 0; i < 3; i++) EXPECT(c[i] == 0 && z[i] == 0);
}

static void sum_is_renormalised_mean_and_max_are_not(void)
{
    const float a[3] = {0, 1, 0.5f}, b[3] = {0, 0, 1};
    const float *maps[2] = {a, b};
    float out[3];
    pgc_fuse_maps(PGC_FUSE_SUM, maps, 2, 3, out); // (0, 1, 1.5) / 1.5
    EXPECT_NEAR(out[0], 0, 0);
    EXPECT_NEAR(out[1], 1 / 1.5, 1e-6);
    EXPECT_NEAR(out[2], 1, 1e-7);
    pgc_fuse_maps(PGC_FUSE_MEAN, maps, 2, 3, out);
    EXPECT_NEAR(out[1], 0.5, 1e-7);
    EXPECT_NEAR(out[2], 0.75, 1e-7);
    pgc_fuse_maps(PGC_FUSE_MAX, maps, 2, 3, out);
    EXPECT_NEAR(out[1], 1, 0);
    EXPECT_NEAR(out[2], 1, 0);
}

static void op_names_parse_back(void)
{
    for (int op = 0; op < 3; op++) EXPECT(pgc_fuse_op_parse(pgc_fuse_op_name(op)) == op);
    EXPECT(pgc_fuse_op_parse("min") == -1);
}

/* Appends a 2-d record named name to f, values v (or zeros). */
static pgc_record *add_2d(pgc_frame *f, const char *name, int h, int w, const float *v)
{
    pgc_record *r = pgc_frame_add(f, NULL);
    pgc_record_f32_2d(r, h, w, NULL);
    for (int i = 0; i < h * w; i++) ((float *)r->data)[i] = v ? v[i] : 0;
    pgc_meta_set(r, "frame", "fr", NULL);
    pgc_meta_set(r, "name", name, NULL);
    if (strncmp(name, "cam.", 4) == 0) {
        pgc_meta_set(r, "scale", name + 5, NULL);
        pgc_meta_set(r, "method", "gradcam", NULL);
    }
    return r;
}

static void pgcam_is_the_sum_of_resized_normalised_scales(void)
{
    pgc_frame f = {0};
    add_2d(&f, "image", 4, 4, NULL);
    add_2d(&f, "cam.s1", 4, 4, (float[]){0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8});
    add_2d(&f, "cam.s2", 2, 2, (float[]){1, 2, 3, 5});
    pgc_fuse_opts o = {PGC_FUSE_SUM, 0, 0, 0};
    pgc_err e;
    EXPECT(pgc_fuse_frame(&f, &o, &e) == 0);
    int p = pgc_frame_find(&f, "pgcam");
    EXPECT(p == 3);
    // s2 resized is (1,2,3,5) sampled as in the 2x2 -> 4x4 case: corner values 1 and 5;
    // normalised (v - 1) / 4; s1 normalised is 1 at the last pixel only
    float s2[16];
    pgc_resize_bilinear((float[]){1, 2, 3, 5}, 2, 2, s2, 4, 4);
    EXPECT_NEAR(s2[0], 1, 0);
    EXPECT_NEAR(s2[15], 5, 0);
    const float *m = f.rec[p].data;
    double top = (5 - 1) / 4.0 + 1; // the sum's maximum, at the last pixel
    EXPECT_NEAR(m[0], 0, 1e-7);
    EXPECT_NEAR(m[15], 1, 1e-7);
    EXPECT_NEAR(m[5], (s2[5] - 1) / 4.0 / top, 1e-6);
    char buf[64];
    EXPECT_STR(pgc_meta_get(&f.rec[p], "scales", buf, sizeof buf), "1,2");
    EXPECT_STR(pgc_meta_get(&f.rec[p], "op", buf, sizeof buf), "sum");
    EXPECT_STR(pgc_meta_get(&f.rec[p], "method", buf, sizeof buf), "gradcam");
    EXPECT(!pgc_meta_get(&f.rec[p], "scale", buf, sizeof buf));
    EXPECT(f.rec[p].dims[0] == 4 && f.rec[p].dims[1] == 4);
    EXPECT(!f.drop[1] && !f.drop[2]);
    pgc_frame_free(&f);
}

static void a_subset_of_scales_and_drop(void)
{
    pgc_frame f = {0};
    add_2d(&f, "image", 2, 2, NULL);
    add_2d(&f, "cam.s1", 2, 2, (float[]){0, 1, 0, 0});
    add_2d(&f, "cam.s4", 1, 1, (float[]){3});
    pgc_fuse_opts o = {PGC_FUSE_SUM, 1u << 4, 1, 0};
    EXPECT(pgc_fuse_frame(&f, &o, NULL) == 0);
    int p = pgc_frame_find(&f, "pgcam");
    const float *m = f.rec[p].data;
    for (int i = 0; i < 4; i++) EXPECT(m[i] == 0); // constant s4 -> zeros
    EXPECT(!f.drop[1] && f.drop[2]);
    // running again replaces pgcam rather than adding a second one
    o = (pgc_fuse_opts){PGC_FUSE_MAX, 0, 0, 0};
    EXPECT(pgc_fuse_frame(&f, &o, NULL) == 0);
    EXPECT(f.n == 4 && pgc_frame_find(&f, "pgcam") == p);
    EXPECT(((float *)f.rec[p].data)[1] == 1);
    pgc_frame_free(&f);
}

static void nan_missing_maps_and_missing_image_are_errors(void)
{
    pgc_frame f = {0};
    pgc_fuse_opts o = {PGC_FUSE_SUM, 0, 0, 0};
    pgc_err e;
    add_2d(&f, "cam.s1", 2, 2, NULL);
    EXPECT(pgc_fuse_frame(&f, &o, &e) == PGC_EINPUT && strstr(e.msg, "no image"));
    pgc_frame_free(&f);
    add_2d(&f, "image", 2, 2, NULL);
    EXPECT(pgc_fuse_frame(&f, &o, &e) == PGC_EINPUT && strstr(e.msg, "no cam.sN"));
    add_2d(&f, "cam.s1", 2, 2, (float[]){0, NAN, 0, 0});
    EXPECT(pgc_fuse_frame(&f, &o, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "'fr'") && strstr(e.msg, "NaN"));
    ((float *)f.rec[1].data)[1] = 1;
    o.scales = 1u << 2;
    EXPECT(pgc_fuse_frame(&f, &o, &e) == PGC_EINPUT && strstr(e.msg, "cam.s2"));
    pgc_frame_free(&f);
}

static void gaussian_blur_keeps_constants_matches_the_2d_sum_and_flattens_dots(void)
{
    enum { H = 12, W = 15 };
    float m[H * W], tmp[H * W];
    for (int i = 0; i < H * W; i++) m[i] = 0.25f;
    pgc_blur_gaussian(m, H, W, 1.5, tmp);
    int flat = 1;
    for (int i = 0; i < H * W; i++) flat &= fabsf(m[i] - 0.25f) < 1e-6f;
    EXPECT(flat); /* the border renormalises, so nothing darkens at the edge */
    /* an impulse far from the border: the 2-D Gaussian sum, written out */
    for (int i = 0; i < H * W; i++) m[i] = 0;
    m[6 * W + 7] = 1;
    pgc_blur_gaussian(m, H, W, 1.0, tmp);
    double z = 0;
    for (int k = -3; k <= 3; k++) z += exp(-0.5 * k * k);
    double worst = 0;
    for (int y = 4; y <= 8; y++) /* every tap of these pixels lies inside */
        for (int x = 4; x <= 10; x++) {
            double want = exp(-0.5 * ((y - 6) * (y - 6) + (x - 7) * (x - 7))) / (z * z);
            worst = fmax(worst, fabs(m[y * W + x] - want));
        }
    EXPECT(worst < 1e-6);
    EXPECT(m[6 * W + 7] > m[6 * W + 8] && m[6 * W + 8] == m[6 * W + 6]);
    /* the transposed convolutions' 2x2 dots: one pixel of four lit, everywhere */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) m[y * W + x] = (y % 2 == 0 && x % 2 == 0);
    pgc_blur_gaussian(m, H, W, 1.0, tmp);
    float lo = 1, hi = 0;
    for (int y = 3; y < H - 3; y++)
        for (int x = 3; x < W - 3; x++) lo = fminf(lo, m[y * W + x]), hi = fmaxf(hi, m[y * W + x]);
    EXPECT(hi - lo < 0.05f && lo > 0.2f); /* about the mean 0.25, no holes between dots */
    /* sigma 0 leaves the map alone */
    float one[4] = {1, 2, 3, 4}, t4[4];
    pgc_blur_gaussian(one, 2, 2, 0, t4);
    EXPECT(one[0] == 1 && one[3] == 4);
}

static void fuse_blur_smooths_before_normalising_and_says_so(void)
{
    pgc_frame f = {0};
    pgc_err e;
    pgc_record *img = pgc_frame_add(&f, &e), *cam = pgc_frame_add(&f, &e);
    EXPECT(img && cam && pgc_record_f32_2d(img, 8, 8, &e) == 0 && pgc_record_f32_2d(cam, 8, 8, &e) == 0);
    pgc_meta_set(img, "name", "image", &e);
    pgc_meta_set(cam, "name", "cam.s1", &e);
    pgc_meta_set(cam, "scale", "1", &e);
    float *c = cam->data;
    for (int i = 0; i < 64; i++) c[i] = (i / 8) % 2 == 0 && i % 2 == 0;
    pgc_fuse_opts o = {PGC_FUSE_SUM, 0, 0, 1.0};
    EXPECT(pgc_fuse_frame(&f, &o, &e) == 0);
    int k = pgc_frame_find(&f, "pgcam");
    EXPECT(k >= 0);
    char b[16];
    EXPECT(k >= 0 && pgc_meta_get(&f.rec[k], "blur", b, sizeof b) && !strcmp(b, "1"));
    const float *p = k >= 0 ? f.rec[k].data : NULL;
    float mx = 0;
    for (int i = 0; p && i < 64; i++) mx = fmaxf(mx, p[i]);
    EXPECT(p && mx == 1 && p[3 * 8 + 3] > 0.3f); /* a former hole between dots is lit */
    pgc_frame_free(&f);
}

int main(void)
{
    RUN(upsampling_2x2_to_4x4_matches_hand_values);
    RUN(downsampling_samples_between_source_pixels);
    RUN(same_size_resize_is_the_identity_and_one_pixel_spreads);
    RUN(minmax_maps_to_unit_range_and_constants_to_zero);
    RUN(sum_is_renormalised_mean_and_max_are_not);
    RUN(op_names_parse_back);
    RUN(pgcam_is_the_sum_of_resized_normalised_scales);
    RUN(a_subset_of_scales_and_drop);
    RUN(nan_missing_maps_and_missing_image_are_errors);
    RUN(gaussian_blur_keeps_constants_matches_the_2d_sum_and_flattens_dots);
    RUN(fuse_blur_smooths_before_normalising_and_says_so);
    return check_done();
}

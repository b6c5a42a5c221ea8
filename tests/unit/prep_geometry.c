/* lib/prep: resampling, the fit to a square, transforms, and intensity normalisation.
 * Expected values are worked out by hand in the comments. */
#include <stdlib.h>

#include "../../lib/prep.h"
#include "check.h"

static void area_average_halves_pairs(void)
{
    pgc_prep_work w = {0};
    pgc_fit_plan p;
    float src[2 * 4] = {1, 3, 5, 7, 2, 4, 6, 8}, dst[1 * 1];
    /* 2x4 -> pad to 2: longer side 4 -> 2, rows 2 -> 1: out (1, 2) in a 2x2 canvas */
    EXPECT(pgc_fit_plan_make(2, 4, 2, PGC_FIT_PAD, &p, NULL) == PGC_OK);
    EXPECT(p.rh == 1 && p.rw == 2 && p.ox == 0 && p.oy == 0);
    float out[4];
    EXPECT(pgc_prep_resize(&w, src, 2, 4, &p, out, NULL) == PGC_OK);
    EXPECT_NEAR(out[0], (1 + 3 + 2 + 4) / 4.0, 1e-6);
    EXPECT_NEAR(out[1], (5 + 7 + 6 + 8) / 4.0, 1e-6);
    EXPECT(out[2] == 0 && out[3] == 0); /* the padding row */
    (void)dst;
    pgc_prep_work_free(&w);
}

static void area_average_weighs_partial_pixels(void)
{
    /* 3 -> 2: output 0 covers input [0, 1.5): (a + 0.5 b) / 1.5 */
    pgc_taps t = {0};
    EXPECT(pgc_taps_make(&t, 3, 2, 0, 2, NULL) == PGC_OK);
    float in[3] = {3, 6, 9}, out[2] = {0, 0};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = t.start[k]; i < t.start[k + 1]; i++) out[k] += t.w[i] * in[t.idx[i]];
    EXPECT_NEAR(out[0], (3 + 0.5 * 6) / 1.5, 1e-6);
    EXPECT_NEAR(out[1], (0.5 * 6 + 9) / 1.5, 1e-6);
    free(t.start), free(t.idx), free(t.w);
}

static void bilinear_samples_at_pixel_centres_and_clamps(void)
{
    /* 2 -> 4: source x = (k + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> clamp */
    pgc_taps t = {0};
    EXPECT(pgc_taps_make(&t, 2, 4, 0, 4, NULL) == PGC_OK);
    float in[2] = {10, 20}, out[4] = {0};
    for (size_t k = 0; k < 4; k++)
        for (size_t i = t.start[k]; i < t.start[k + 1]; i++) out[k] += t.w[i] * in[t.idx[i]];
    EXPECT_NEAR(out[0], 10, 1e-6);
    EXPECT_NEAR(out[1], 12.5, 1e-6);
    EXPECT_NEAR(out[2], 17.5, 1e-6);
    EXPECT_NEAR(out[3], 20, 1e-6);
    free(t.start), free(t.idx), free(t.w);
}

static void crop_scales_the_shorter_side_and_centres(void)
{
    pgc_fit_plan p;
    EXPECT(pgc_fit_plan_make(512, 256, 224, PGC_FIT_CROP, &p, NULL) == PGC_OK);
    EXPECT(p.rw == 224 && p.rh == 448 && p.ox == 0 && p.oy == -112);
    pgc_transform t = pgc_fit_transform(&p);
    double x, y;
    pgc_transform_apply(&t, 0, 0, &x, &y); /* output corner = input (0, 112 * 512/448) */
    EXPECT_NEAR(x, 0, 1e-9);
    EXPECT_NEAR(y, 128, 1e-9);
    pgc_transform_apply(&t, 224, 224, &x, &y);
    EXPECT_NEAR(x, 256, 1e-9);
    EXPECT_NEAR(y, 384, 1e-9);
}

static void pad_keeps_the_whole_image(void)
{
    pgc_fit_plan p;
    EXPECT(pgc_fit_plan_make(100, 200, 50, PGC_FIT_PAD, &p, NULL) == PGC_OK);
    EXPECT(p.rw == 50 && p.rh == 25 && p.ox == 0 && p.oy == 12);
    pgc_transform t = pgc_fit_transform(&p);
    double x, y;
    pgc_transform_apply(&t, 50, 37, &x, &y);
    EXPECT_NEAR(x, 200, 1e-9);
    EXPECT_NEAR(y, 100, 1e-9);
}

static void a_constant_image_stays_constant_through_any_resize(void)
{
    size_t sizes[][2] = {{7, 13}, {300, 200}, {5, 5}, {1, 9}};
    pgc_prep_work w = {0};
    int ok = 1;
    for (int s = 0; s < 4; s++)
        for (int fit = 0; fit < 2; fit++) {
            size_t h = sizes[s][0], wd = sizes[s][1], n = 32;
            float *src = malloc(h * wd * sizeof *src), *dst = malloc(n * n * sizeof *dst);
            for (size_t i = 0; i < h * wd; i++) src[i] = 3.5f;
            pgc_fit_plan p;
            pgc_fit_plan_make(h, wd, n, (pgc_fit)fit, &p, NULL);
            if (pgc_prep_resize(&w, src, h, wd, &p, dst, NULL)) ok = 0;
            for (size_t y = 0; y < n; y++)
                for (size_t x = 0; x < n; x++) {
                    int inside = (long)x >= p.ox && (long)x < p.ox + (long)p.rw &&
                                 (long)y >= p.oy && (long)y < p.oy + (long)p.rh;
                    float want = inside ? 3.5f : 0.0f;
                    if (fabsf(dst[y * n + x] - want) > 1e-5) ok = 0;
                }
            free(src), free(dst);
        }
    EXPECT(ok);
    pgc_prep_work_free(&w);
}

static void downscaling_by_an_integer_factor_keeps_the_mean(void)
{
    enum { H = 64, W = 64, N = 16 };
    float src[H * W], dst[N * N];
    double m0 = 0, m1 = 0;
    for (int i = 0; i < H * W; i++) m0 += src[i] = (float)((i * 37) % 101);
    pgc_prep_work w = {0};
    pgc_fit_plan p;
    pgc_fit_plan_make(H, W, N, PGC_FIT_CROP, &p, NULL);
    EXPECT(pgc_prep_resize(&w, src, H, W, &p, dst, NULL) == PGC_OK);
    for (int i = 0; i < N * N; i++) m1 += dst[i];
    EXPECT_NEAR(m1 / (N * N), m0 / (H * W), 1e-3);
    /* and each output is the plain mean of its 4x4 block */
    double b = 0;
    for (int y = 4; y < 8; y++)
        for (int x = 8; x < 12; x++) b += src[y * W + x];
    EXPECT_NEAR(dst[1 * N + 2], b / 16, 1e-3);
    pgc_prep_work_free(&w);
}

static void compose_and_invert_agree(void)
{
    pgc_transform a = {2, 0, 5, 0, 3, -1}, b = {0, 1, 0, -1, 0, 10}, ab, inv, id;
    ab = pgc_transform_compose(&a, &b);
    double x, y, x1, y1, x2, y2;
    pgc_transform_apply(&b, 1.5, 2.5, &x1, &y1);
    pgc_transform_apply(&a, x1, y1, &x2, &y2);
    pgc_transform_apply(&ab, 1.5, 2.5, &x, &y);
    EXPECT_NEAR(x, x2, 1e-12);
    EXPECT_NEAR(y, y2, 1e-12);
    EXPECT(pgc_transform_invert(&ab, &inv, NULL) == PGC_OK);
    id = pgc_transform_compose(&inv, &ab);
    EXPECT_NEAR(id.a, 1, 1e-12);
    EXPECT_NEAR(id.b, 0, 1e-12);
    EXPECT_NEAR(id.c, 0, 1e-12);
    EXPECT_NEAR(id.e, 1, 1e-12);
    pgc_transform sing = {1, 2, 0, 2, 4, 0};
    EXPECT(pgc_transform_invert(&sing, &inv, NULL) == PGC_EINPUT);
}

static void transform_metadata_round_trips_and_rejects_junk(void)
{
    pgc_record r = {0};
    pgc_transform t = {2.2857142857142856, 0, -3, 0, -1, 240}, u;
    EXPECT(pgc_transform_set(&r, &t, NULL) == PGC_OK);
    EXPECT(pgc_transform_get(&r, &u, NULL) == 1);
    EXPECT_NEAR(u.a, t.a, 1e-11);
    EXPECT(u.f == 240 && u.e == -1);
    char buf[128];
    EXPECT_STR(pgc_meta_get(&r, "transform", buf, sizeof buf), "2.28571428571 0 -3 0 -1 240");
    pgc_meta_set(&r, "transform", "1 0 0 0 1", NULL);
    EXPECT(pgc_transform_get(&r, &u, NULL) == PGC_EINPUT);
    pgc_meta_set(&r, "transform", "1 0 0 0 1 nan", NULL);
    EXPECT(pgc_transform_get(&r, &u, NULL) == PGC_EINPUT);
    pgc_meta_set(&r, "transform", "0 0 0 0 0 0", NULL);
    EXPECT(pgc_transform_get(&r, &u, NULL) == PGC_EINPUT);
    pgc_meta_del(&r, "transform");
    EXPECT(pgc_transform_get(&r, &u, NULL) == 0 && u.a == 1 && u.e == 1);
    pgc_record_free(&r);
}

static void a_flipping_transform_maps_a_box_to_its_bounds(void)
{
    pgc_transform t = {-1, 0, 240, 0, -1, 240};
    float in[4] = {10, 20, 30, 40}, out[4];
    pgc_transform_box(&t, in, out);
    EXPECT(out[0] == 210 && out[1] == 200 && out[2] == 230 && out[3] == 220);
}

static void pct_maps_the_foreground_percentiles_to_0_and_1(void)
{
    /* Foreground 1..1000 (and 1000 zeros): the 0.5th percentile is 1 + 0.005 * 999 =
     * 5.995, the 99.5th is 995.005. */
    enum { N = 2000 };
    float img[N];
    for (int i = 0; i < N; i++) img[i] = i % 2 ? (float)(i / 2 + 1) : 0;
    pgc_prep_work w = {0};
    EXPECT(pgc_prep_normalise(&w, img, N, PGC_NORM_PCT, 0.5, 99.5, NULL) == PGC_OK);
    EXPECT(img[0] == 0 && img[2] == 0);                 /* background stays 0 */
    EXPECT(img[1] == 0);                                  /* 1 is below the low percentile */
    EXPECT_NEAR(img[2 * 499 + 1], (500 - 5.995) / (995.005 - 5.995), 1e-5);
    EXPECT(img[N - 1] == 1);                              /* 1000 is clipped to 1 */
    pgc_prep_work_free(&w);
}

static void zscore_standardises_the_foreground_only(void)
{
    float img[6] = {0, 2, 4, 0, 6, 8}; /* foreground mean 5, sd sqrt(5) */
    pgc_prep_work w = {0};
    EXPECT(pgc_prep_normalise(&w, img, 6, PGC_NORM_ZSCORE, 0, 0, NULL) == PGC_OK);
    EXPECT(img[0] == 0 && img[3] == 0);
    EXPECT_NEAR(img[1], -3 / sqrt(5), 1e-6);
    EXPECT_NEAR(img[5], 3 / sqrt(5), 1e-6);
    pgc_prep_work_free(&w);
}

static void empty_constant_and_nan_images_are_handled(void)
{
    pgc_prep_work w = {0};
    float zero[4] = {0, 0, 0, 0}, flat[4] = {0, 7, 7, 0}, bad[3] = {1, NAN, 2};
    EXPECT(pgc_prep_normalise(&w, zero, 4, PGC_NORM_PCT, 0.5, 99.5, NULL) == PGC_OK);
    EXPECT(zero[1] == 0);
    EXPECT(pgc_prep_normalise(&w, flat, 4, PGC_NORM_PCT, 0.5, 99.5, NULL) == PGC_OK);
    EXPECT(flat[0] == 0 && flat[1] == 1 && flat[2] == 1);
    float flat2[4] = {0, 7, 7, 0};
    EXPECT(pgc_prep_normalise(&w, flat2, 4, PGC_NORM_ZSCORE, 0, 0, NULL) == PGC_OK);
    EXPECT(flat2[1] == 0);
    pgc_err e;
    EXPECT(pgc_prep_normalise(&w, bad, 3, PGC_NORM_NONE, 0, 0, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "NaN") != NULL);
    pgc_prep_work_free(&w);
}

static void percentiles_of_many_ties_are_exact(void)
{
    /* 8-bit sources: 100 000 values in 0..3; the 99.5th percentile is 3. */
    enum { N = 100000 };
    float *img = malloc(N * sizeof *img);
    for (int i = 0; i < N; i++) img[i] = (float)(1 + i % 3);
    pgc_prep_work w = {0};
    EXPECT(pgc_prep_normalise(&w, img, N, PGC_NORM_PCT, 0.5, 99.5, NULL) == PGC_OK);
    EXPECT(img[0] == 0 && img[1] == 0.5f && img[2] == 1);
    free(img);
    pgc_prep_work_free(&w);
}

static void hist_flattens_the_tissue_and_keeps_the_dark_pixels(void)
{
    /* pct over 1..1000 (no clipping: percentiles 0 and 100) maps v to (v - 1) / 999;
     * values 1..100 land at or below the floor 0.1 and keep that, the 900 above are
     * ranked: the k-th of them (0-based) becomes 0.1 + 0.9 (k + 0.5) / 900. */
    enum { N = 1000 };
    float img[N + 1];
    for (int i = 0; i < N; i++) img[i] = (float)(N - i); /* order must not matter */
    img[N] = 0;
    pgc_prep_work w = {0};
    EXPECT(pgc_prep_normalise(&w, img, N + 1, PGC_NORM_HIST, 0, 100, NULL) == PGC_OK);
    EXPECT(img[N] == 0);                                     /* background */
    EXPECT_NEAR(img[N - 1], 0, 1e-7);                          /* v = 1 */
    EXPECT_NEAR(img[N - 50], 49.0 / 999, 1e-6);                /* v = 50, dark: pct */
    EXPECT_NEAR(img[N - 101], 0.1 + 0.9 * 0.5 / 900, 1e-6);    /* v = 101, the first above */
    EXPECT_NEAR(img[0], 0.1 + 0.9 * 899.5 / 900, 1e-6);        /* v = 1000 */
    pgc_prep_work_free(&w);
}

static void hist_maps_the_same_tissue_under_another_contrast_alike(void)
{
    /* 100 dark pixels and 900 tissue pixels 1000..1899; the second image's tissue is
     * compressed (1000 + 30 sqrt(t - 1000)): pct gives them other values, hist the same. */
    enum { N = 1000 };
    float a[N], b[N], pa[N], pb[N];
    for (int i = 0; i < N; i++) {
        a[i] = i < 100 ? (float)(i + 1) : (float)(900 + i);
        b[i] = i < 100 ? (float)(i + 1) : (float)(1000 + 30 * sqrt(i - 100.0));
        pa[i] = a[i], pb[i] = b[i];
    }
    pgc_prep_work w = {0};
    EXPECT(pgc_prep_normalise(&w, a, N, PGC_NORM_HIST, 0, 100, NULL) == PGC_OK);
    EXPECT(pgc_prep_normalise(&w, b, N, PGC_NORM_HIST, 0, 100, NULL) == PGC_OK);
    EXPECT(pgc_prep_normalise(&w, pa, N, PGC_NORM_PCT, 0, 100, NULL) == PGC_OK);
    EXPECT(pgc_prep_normalise(&w, pb, N, PGC_NORM_PCT, 0, 100, NULL) == PGC_OK);
    double hist_diff = 0, pct_diff = 0;
    for (int i = 100; i < N; i++) {
        hist_diff = fmax(hist_diff, fabs((double)a[i] - b[i]));
        pct_diff = fmax(pct_diff, fabs((double)pa[i] - pb[i]));
    }
    EXPECT(hist_diff < 1e-6);
    EXPECT(pct_diff > 0.05);
    pgc_prep_work_free(&w);
}

static void hist_gives_tied_pixels_one_value(void)
{
    float img[6] = {0, 10, 10, 10, 10, 1}; /* pct 0..100: 1 -> 0, 10 -> 1: tissue, four ties */
    pgc_prep_work w = {0};
    EXPECT(pgc_prep_normalise(&w, img, 6, PGC_NORM_HIST, 0, 100, NULL) == PGC_OK);
    EXPECT(img[0] == 0 && img[5] == 0);
    EXPECT(img[1] == img[4]);
    EXPECT_NEAR(img[1], 0.1 + 0.9 * 0.5, 1e-6); /* mid-rank 2 of 4 */
    pgc_prep_work_free(&w);
}

static void norm_and_fit_names_round_trip(void)
{
    const char *ok[] = {"pct 0.5 99.5", "hist 1 99", "zscore", "none"};
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        pgc_norm n;
        double lo = -1, hi = -1;
        char buf[64];
        EXPECT(pgc_norm_parse(ok[k], &n, &lo, &hi) == 0);
        pgc_norm_format(n, lo, hi, buf, sizeof buf);
        EXPECT_STR(buf, ok[k]);
    }
    pgc_norm n = PGC_NORM_NONE;
    double lo = 7, hi = 8;
    EXPECT(pgc_norm_parse("hist", &n, &lo, &hi) == 0 && n == PGC_NORM_HIST && lo == 7 && hi == 8);
    const char *bad[] = {"", "pctx", "pct 1", "pct 2 1", "pct 1 101", "hist 1 2 3", "zscore 1 2", "Pct"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) EXPECT(pgc_norm_parse(bad[k], &n, &lo, &hi) == -1);
    pgc_fit f;
    EXPECT(pgc_fit_parse("pad", &f) == 0 && f == PGC_FIT_PAD && !strcmp(pgc_fit_name(f), "pad"));
    EXPECT(pgc_fit_parse("crop", &f) == 0 && f == PGC_FIT_CROP && !strcmp(pgc_fit_name(f), "crop"));
    EXPECT(pgc_fit_parse("pads", &f) == -1);
}

int main(void)
{
    RUN(area_average_halves_pairs);
    RUN(area_average_weighs_partial_pixels);
    RUN(bilinear_samples_at_pixel_centres_and_clamps);
    RUN(crop_scales_the_shorter_side_and_centres);
    RUN(pad_keeps_the_whole_image);
    RUN(a_constant_image_stays_constant_through_any_resize);
    RUN(downscaling_by_an_integer_factor_keeps_the_mean);
    RUN(compose_and_invert_agree);
    RUN(transform_metadata_round_trips_and_rejects_junk);
    RUN(a_flipping_transform_maps_a_box_to_its_bounds);
    RUN(pct_maps_the_foreground_percentiles_to_0_and_1);
    RUN(zscore_standardises_the_foreground_only);
    RUN(empty_constant_and_nan_images_are_handled);
    RUN(percentiles_of_many_ties_are_exact);
    RUN(hist_flattens_the_tissue_and_keeps_the_dark_pixels);
    RUN(hist_maps_the_same_tissue_under_another_contrast_alike);
    RUN(hist_gives_tied_pixels_one_value);
    RUN(norm_and_fit_names_round_trip);
    return check_done();
}

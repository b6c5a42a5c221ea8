/* Training data helpers: classification metrics, augmentation, the indexed set. */
#include "check.h"

#include "../../lib/nn/data.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static void metrics_count_a_prediction_as_tumour_at_one_half_and_above(void)
{
    float p[6] = {0.9f, 0.6f, 0.5f, 0.2f, 0.7f, 0.1f};
    int y[6] = {1, 1, 1, 0, 0, 0};
    pgc_metrics m;
    EXPECT(pgc_metrics_compute(p, y, 6, 0.5, &m, NULL) == 0);
    EXPECT_NEAR(m.acc, 5.0 / 6, 1e-12);  /* 0.5 is tumour (prob >= threshold) */
    EXPECT_NEAR(m.sens, 1, 1e-12);
    EXPECT_NEAR(m.spec, 2.0 / 3, 1e-12);
    /* pairs (pos, neg) ranked right: 0.9 beats all 3, 0.6 beats 2, 0.5 beats 2 -> 7/9 */
    EXPECT_NEAR(m.auc, 7.0 / 9, 1e-12);
    EXPECT(m.n == 6 && m.pos == 3);
}

static void auc_counts_ties_as_half(void)
{
    float p[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    int y[4] = {1, 0, 1, 0};
    pgc_metrics m;
    EXPECT(pgc_metrics_compute(p, y, 4, 0.5, &m, NULL) == 0);
    EXPECT_NEAR(m.auc, 0.5, 1e-12);
    float q[3] = {0.8f, 0.8f, 0.1f};
    int z[3] = {1, 0, 0};
    EXPECT(pgc_metrics_compute(q, z, 3, 0.5, &m, NULL) == 0);
    EXPECT_NEAR(m.auc, 0.75, 1e-12);
}

static void metrics_report_zero_for_zero_over_zero(void)
{
    float p[2] = {0.9f, 0.8f};
    int y[2] = {1, 1};
    pgc_metrics m;
    EXPECT(pgc_metrics_compute(p, y, 2, 0.5, &m, NULL) == 0);
    EXPECT(m.acc == 1 && m.sens == 1 && m.spec == 0 && m.auc == 0);
    EXPECT(pgc_metrics_compute(p, y, 0, 0.5, &m, NULL) == 0);
    EXPECT(m.acc == 0 && m.n == 0);
}

static void augmentation_is_a_function_of_the_random_state(void)
{
    enum { H = 32, W = 48 };
    static float src[H * W], a[H * W], b[H * W], c[H * W];
    for (int i = 0; i < H * W; i++) src[i] = (float)((i * 37) % 101) / 100;
    pgc_rng r1, r2, r3;
    pgc_rng_seed(&r1, 5), pgc_rng_seed(&r2, 5), pgc_rng_seed(&r3, 6);
    pgc_augment(src, H, W, a, &r1);
    pgc_augment(src, H, W, b, &r2);
    pgc_augment(src, H, W, c, &r3);
    EXPECT(!memcmp(a, b, sizeof a));
    EXPECT(memcmp(a, c, sizeof a) != 0);
}

static void strong_augmentation_is_a_function_of_the_random_state_and_not_the_mild_one(void)
{
    enum { H = 32, W = 48 };
    static float src[H * W], a[H * W], b[H * W], c[H * W], mild[H * W];
    for (int i = 0; i < H * W; i++) src[i] = (float)((i * 37) % 101) / 100;
    pgc_rng r1, r2, r3, r4;
    pgc_rng_seed(&r1, 5), pgc_rng_seed(&r2, 5), pgc_rng_seed(&r3, 6), pgc_rng_seed(&r4, 5);
    pgc_augment_with(src, H, W, a, &r1, 1);
    pgc_augment_with(src, H, W, b, &r2, 1);
    pgc_augment_with(src, H, W, c, &r3, 1);
    pgc_augment_with(src, H, W, mild, &r4, 0);
    EXPECT(!memcmp(a, b, sizeof a));
    EXPECT(memcmp(a, c, sizeof a) != 0);
    EXPECT(memcmp(a, mild, sizeof a) != 0);
    for (int i = 0; i < H * W; i++) EXPECT(isfinite(a[i]));
}

/* Over many draws the strong jitter keeps a mid-grey image's mean near where the
 * intensity jitter puts it (gamma and noise move it by little) and its values finite. */
static void strong_augmentation_keeps_a_flat_image_near_its_level(void)
{
    enum { H = 32, W = 32 };
    static float src[H * W], dst[H * W];
    for (int i = 0; i < H * W; i++) src[i] = 0.5f;
    for (int s = 0; s < 20; s++) {
        pgc_rng r;
        pgc_rng_seed(&r, s);
        pgc_augment_with(src, H, W, dst, &r, 1);
        double mean = 0;
        for (int i = 0; i < H * W; i++) mean += dst[i];
        mean /= H * W;
        /* 0.5^exp(+-0.4) is in 0.35..0.64; then x 0.75..1.25 and + -0.15..0.15 */
        EXPECT(mean > 0.35 * 0.75 - 0.15 - 0.02 && mean < 0.64 * 1.25 + 0.15 + 0.02);
    }
}

static void augmentation_keeps_a_flat_image_flat_up_to_the_intensity_jitter(void)
{
    enum { H = 16, W = 16 };
    static float src[H * W], dst[H * W];
    for (int i = 0; i < H * W; i++) src[i] = 1;
    for (int s = 0; s < 20; s++) {
        pgc_rng r;
        pgc_rng_seed(&r, s);
        pgc_augment(src, H, W, dst, &r);
        float lo = dst[0], hi = dst[0];
        for (int i = 0; i < H * W; i++) lo = fminf(lo, dst[i]), hi = fmaxf(hi, dst[i]);
        EXPECT(hi - lo < 1e-5);                  /* the fill is the image's minimum: 1 too */
        EXPECT(lo >= 0.9f * 1 - 0.1f - 1e-6 && hi <= 1.1f * 1 + 0.1f + 1e-6);
    }
}

static void augmentation_moves_a_bright_spot_only_a_little(void)
{
    enum { H = 64, W = 64 };
    static float src[H * W], dst[H * W];
    src[20 * W + 40] = 10; /* (x 40, y 20); the map moves it by flips, +-10 deg, 10 %, 5 % */
    for (int s = 0; s < 20; s++) {
        pgc_rng r;
        pgc_rng_seed(&r, 100 + s);
        pgc_augment(src, H, W, dst, &r);
        int best = 0;
        for (int i = 0; i < H * W; i++)
            if (dst[i] > dst[best]) best = i;
        double x = best % W + 0.5, y = best / W + 0.5;
        /* distance from the centre is kept within the scale range, give or take shift */
        double r0 = hypot(40.5 - 32, 20.5 - 32), r1 = hypot(x - 32, y - 32);
        EXPECT(fabs(r1 - r0) < 0.1 * r0 + 0.05 * 64 * 1.5 + 1.5);
    }
}

static void the_index_finds_labelled_images_and_reads_them_back(void)
{
    char path[] = "/tmp/nn_data_XXXXXX";
    int fd = mkstemp(path);
    pgc_err e;
    pgc_writer *w = pgc_writer_open(fd, path, &e);
    pgc_record r = {0};
    const char *labels[5] = {"tumour", NULL, "none", "tumour", "none"};
    for (int i = 0; i < 5; i++) {
        EXPECT(pgc_record_f32_2d(&r, 16, 32, &e) == 0);
        for (int k = 0; k < 16 * 32; k++) ((float *)r.data)[k] = (float)(i * 1000 + k);
        pgc_meta_clear(&r);
        pgc_meta_setf(&r, "frame", &e, "f%d", i);
        pgc_meta_set(&r, "name", "image", &e);
        if (labels[i]) pgc_meta_set(&r, "label", labels[i], &e);
        EXPECT(pgc_writer_put(w, &r, &e) == 0);
        pgc_meta_set(&r, "name", "truth", &e); /* another record of the frame, skipped */
        EXPECT(pgc_writer_put(w, &r, &e) == 0);
    }
    EXPECT(pgc_writer_close(w, &e) == 0);
    close(fd);
    pgc_dataset ds;
    EXPECT(pgc_dataset_open(&ds, path, &e) == 0);
    EXPECT(ds.n == 4 && ds.ntumour == 2 && ds.nunlabelled == 1 && ds.h == 16 && ds.w == 32);
    float img[16 * 32];
    EXPECT(pgc_dataset_get(&ds, 2, img, &e) == 0); /* the fourth frame */
    EXPECT(img[0] == 3000 && img[511] == 3511 && ds.s[2].label == 1);
    pgc_dataset_close(&ds);
    pgc_record_free(&r);
    unlink(path);
}

/* Images of three sources: A holds 8 tumours, B 1 tumour and 1 none, C 2 nones. */
static void balanced_draws_weigh_classes_and_then_sources_alike(void)
{
    char path[] = "/tmp/nn_data_XXXXXX";
    int fd = mkstemp(path);
    pgc_err e;
    pgc_writer *w = pgc_writer_open(fd, path, &e);
    pgc_record r = {0};
    const char *src[12] = {"/d/A/1.png", "/d/A/2.png", "/d/A/3.png", "/d/A/4.png", "/d/A/5.png",
                           "/d/A/6.png", "/d/A/7.png", "/d/A/8.png", "/d/B/1.png", "/d/B/2.png",
                           "c.nii.gz", "c.nii.gz"};
    const int tumour[12] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0};
    for (int i = 0; i < 12; i++) {
        EXPECT(pgc_record_f32_2d(&r, 16, 16, &e) == 0);
        memset(r.data, 0, 16 * 16 * sizeof(float));
        pgc_meta_clear(&r);
        pgc_meta_setf(&r, "frame", &e, "f%d", i);
        pgc_meta_set(&r, "name", "image", &e);
        pgc_meta_set(&r, "label", tumour[i] ? "tumour" : "none", &e);
        pgc_meta_set(&r, "source", src[i], &e);
        EXPECT(pgc_writer_put(w, &r, &e) == 0);
    }
    EXPECT(pgc_writer_close(w, &e) == 0);
    close(fd);
    pgc_dataset ds;
    EXPECT(pgc_dataset_open(&ds, path, &e) == 0);
    EXPECT(ds.ndomain == 3);
    EXPECT_STR(ds.domain[0], "/d/A");
    EXPECT_STR(ds.domain[1], "/d/B");
    EXPECT_STR(ds.domain[2], ".");
    EXPECT(ds.s[9].domain == 1 && ds.s[11].domain == 2);
    pgc_balance b;
    EXPECT(pgc_balance_init(&b, &ds, &e) == 0);
    int hits[12] = {0}, n = 40000;
    pgc_rng rng;
    pgc_rng_seed(&rng, 7);
    for (int k = 0; k < n; k++) hits[pgc_balance_pick(&b, &rng)]++;
    int a = 0;
    for (int i = 0; i < 8; i++) a += hits[i];
    /* tumour: A and B a quarter each; none: B and C a quarter each */
    EXPECT_NEAR(a / (double)n, 0.25, 0.01);
    EXPECT_NEAR(hits[8] / (double)n, 0.25, 0.01);
    EXPECT_NEAR(hits[9] / (double)n, 0.25, 0.01);
    EXPECT_NEAR((hits[10] + hits[11]) / (double)n, 0.25, 0.01);
    EXPECT(hits[0] > 0 && hits[7] > 0 && hits[10] > 0 && hits[11] > 0);
    pgc_balance_free(&b);
    pgc_dataset_close(&ds);
    pgc_record_free(&r);
    unlink(path);
}

/* A head off the centre of its frame (a bright block over columns 10..29 of 48, a spot
 * and a hole on its right side) is halved at its own midline, column 20: the kept half stays as
 * it was, the other is its mirror image, so the spot is in the right-kept image twice
 * and in the left-kept one not at all. */
static void mirrored_halves_split_the_head_at_its_midline(void)
{
    enum { H = 16, W = 48 };
    static float src[H * W], left[H * W], right[H * W];
    for (int i = 0; i < H; i++)
        for (int j = 10; j < 30; j++) src[i * W + j] = 0.5f;
    src[8 * W + 25] = 1; /* the "tumour", right of the midline */
    src[3 * W + 25] = 0; /* a hole beside it, so that the centroid stays at 20 */
    pgc_mirror_half(src, H, W, 0, left);
    pgc_mirror_half(src, H, W, 1, right);
    float lmax = 0, rmax = 0;
    for (int i = 0; i < H * W; i++) lmax = left[i] > lmax ? left[i] : lmax;
    for (int i = 0; i < H * W; i++) rmax = right[i] > rmax ? right[i] : rmax;
    EXPECT(lmax < 0.6f && rmax == 1);
    /* the spot's column 25 mirrors to 2 x 20 - 25 - 1 = 14 in pixel indices */
    EXPECT_NEAR(right[8 * W + 25], 1, 1e-6);
    EXPECT_NEAR(right[8 * W + 14], 1, 1e-6);
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) {
            int m = 39 - j; /* the mirror column about 20 (pixel edges) */
            if (m < 0 || m >= W) continue;
            EXPECT_NEAR(left[i * W + j], left[i * W + m], 1e-6);
            EXPECT_NEAR(right[i * W + j], right[i * W + m], 1e-6);
            if (j < 20) EXPECT(left[i * W + j] == src[i * W + j]);
            else EXPECT(right[i * W + j] == src[i * W + j]);
        }
}

static void hidden_patches_are_whole_patches_of_the_mean_and_about_half(void)
{
    enum { H = 32, W = 16, G = 4, TH = H / G, TW = W / G };
    static float src[H * W], img[H * W], again[H * W];
    double sum = 0;
    for (int i = 0; i < H * W; i++) sum += src[i] = (float)(i % 7 + 1);
    const float mean = (float)(sum / (H * W));
    int total = 0, draws = 0;
    for (unsigned seed = 1; seed <= 50; seed++) {
        memcpy(img, src, sizeof img);
        pgc_rng r;
        pgc_rng_seed(&r, seed);
        int hidden = pgc_hide_patches(img, H, W, G, &r), counted = 0;
        for (int t = 0; t < G * G; t++) {
            int kept = 1, gone = 1;
            for (int y = t / G * TH; y < (t / G + 1) * TH; y++)
                for (int x = t % G * TW; x < (t % G + 1) * TW; x++)
                    kept &= img[y * W + x] == src[y * W + x], gone &= img[y * W + x] == mean;
            EXPECT(kept || gone); /* a patch is shown whole or hidden whole */
            counted += !kept;
        }
        EXPECT(counted == hidden);
        total += hidden, draws += G * G;
        memcpy(again, src, sizeof again);
        pgc_rng_seed(&r, seed); /* the same random state hides the same patches */
        pgc_hide_patches(again, H, W, G, &r);
        EXPECT(!memcmp(img, again, sizeof img));
    }
    EXPECT(total > draws * 0.4 && total < draws * 0.6);
}

static void shuffled_tiles_move_whole_tiles_and_keep_every_one(void)
{
    enum { H = 32, W = 16, G = 4, TH = H / G, TW = W / G };
    static float src[H * W], dst[H * W];
    for (int i = 0; i < H; i++) /* each pixel names its tile and its place in it */
        for (int j = 0; j < W; j++) src[i * W + j] = (float)((i / TH * G + j / TW) * 1000 + i % TH * 10 + j % TW);
    pgc_rng r;
    pgc_rng_seed(&r, 7);
    pgc_shuffle_tiles(src, H, W, G, &r, dst);
    int seen[G * G] = {0}, moved = 0;
    for (int t = 0; t < G * G; t++) {
        int di = t / G * TH, dj = t % G * TW, from = (int)dst[di * W + dj] / 1000;
        EXPECT(from >= 0 && from < G * G);
        if (from < 0 || from >= G * G) return;
        seen[from]++, moved += from != t;
        for (int y = 0; y < TH; y++)
            for (int x = 0; x < TW; x++) /* the whole tile, in its own order */
                EXPECT(dst[(di + y) * W + dj + x] == (float)(from * 1000 + y * 10 + x));
    }
    for (int t = 0; t < G * G; t++) EXPECT(seen[t] == 1);
    EXPECT(moved > 0);
    /* the same random state lays the tiles out the same way */
    static float again[H * W];
    pgc_rng_seed(&r, 7);
    pgc_shuffle_tiles(src, H, W, G, &r, again);
    EXPECT(!memcmp(dst, again, sizeof dst));
}

int main(void)
{
    RUN(hidden_patches_are_whole_patches_of_the_mean_and_about_half);
    RUN(metrics_count_a_prediction_as_tumour_at_one_half_and_above);
    RUN(auc_counts_ties_as_half);
    RUN(metrics_report_zero_for_zero_over_zero);
    RUN(augmentation_is_a_function_of_the_random_state);
    RUN(strong_augmentation_is_a_function_of_the_random_state_and_not_the_mild_one);
    RUN(strong_augmentation_keeps_a_flat_image_near_its_level);
    RUN(augmentation_keeps_a_flat_image_flat_up_to_the_intensity_jitter);
    RUN(augmentation_moves_a_bright_spot_only_a_little);
    RUN(the_index_finds_labelled_images_and_reads_them_back);
    RUN(balanced_draws_weigh_classes_and_then_sources_alike);
    RUN(mirrored_halves_split_the_head_at_its_midline);
    RUN(shuffled_tiles_move_whole_tiles_and_keep_every_one);
    return check_done();
}

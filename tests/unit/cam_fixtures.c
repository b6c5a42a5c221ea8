/* Synthetic streams for the localisation end-to-end tests (tests/e2e/{cam,fuse,box,
 * score,render}_*.sh), and a small dump of a stream to read their output:
 *   cam_fixtures emit NAME > x.pgc     blobs, random, nan, nograd, camnan, image, empty,
 *                                      truncated
 *   cam_fixtures dump < x.pgc          one line per record: frame name dims min max sum
 *   cam_fixtures values NAME < x.pgc   the values of every record called NAME, one per line
 * Run without arguments (as a unit test) it checks that every fixture reads back.
 *
 * The `blobs` fixture: three 16 x 16 frames. Scale 1 is A (2 channels) with gradient
 * 1/256 on channel 0 and 0 on channel 1, so Grad-CAM is A_0 / 256: two blobs over a 0.1
 * background, blob 1 at x 3..6, y 2..4 (box 3 2 7 5, peak 1.0) and blob 2 at x 9..13,
 * y 10..11 (box 9 10 14 12, peak 0.8). Scale 2 is A_0 average-pooled 2 x 2, gradient 1.
 * Frame a: tumour, prob 0.9, truth both boxes. Frame b: none, prob 0.2, zero features,
 * no truth boxes. Frame c: tumour, prob 0.3, the blobs, truth box 1. Every frame has
 * transform "2 0 0 0 2 0" (source pixels are twice the image's) and source <id>.png. */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/frame.h"
#include "check.h"

static int emit(const char *name, int fd);

enum { S = 16 };

static pgc_record *add(pgc_frame *f, const char *id, const char *name)
{
    pgc_record *r = pgc_frame_add(f, NULL);
    pgc_meta_set(r, "frame", id, NULL);
    pgc_meta_set(r, "name", name, NULL);
    pgc_meta_setf(r, "source", NULL, "%s.png", id);
    pgc_meta_set(r, "transform", "2 0 0 0 2 0", NULL);
    return r;
}

static void blob_map(float *m) // (S, S)
{
    for (int i = 0; i < S * S; i++) m[i] = 0.1f;
    for (int y = 2; y < 5; y++)
        for (int x = 3; x < 7; x++) m[y * S + x] = 0.7f + 0.05f * (float)(x - 3);
    m[3 * S + 4] = 1.0f;
    for (int y = 10; y < 12; y++)
        for (int x = 9; x < 14; x++) m[y * S + x] = 0.6f;
    m[11 * S + 12] = 0.8f;
}

static void blobs_frame(pgc_frame *f, const char *id, const char *label, double prob,
                        int blobs, const float *truth, int ntruth)
{
    f->n = 0;
    pgc_record *r = add(f, id, "image");
    pgc_record_f32_2d(r, S, S, NULL);
    for (int i = 0; i < S * S; i++) ((float *)r->data)[i] = (float)(i % 5);
    pgc_meta_set(r, "label", label, NULL);
    pgc_meta_setf(r, "prob", NULL, "%.6g", prob);
    r = add(f, id, "truth");
    pgc_record_boxes(r, ntruth, NULL);
    if (ntruth) memcpy(r->data, truth, sizeof(float) * 4 * ntruth);
    r = add(f, id, "prob");
    pgc_record_shape(r, PGC_DT_F32, 1, (uint64_t[]){2}, (const char *[]){"class"}, NULL);
    ((float *)r->data)[0] = (float)(1 - prob), ((float *)r->data)[1] = (float)prob;
    pgc_meta_setf(r, "prob", NULL, "%.6g", prob);

    float a0[S * S];
    blob_map(a0);
    if (!blobs) memset(a0, 0, sizeof a0);
    r = add(f, id, "feat.s1"); // (2, S, S)
    pgc_record_f32_3d(r, 2, S, S, NULL);
    float *v = r->data;
    memcpy(v, a0, sizeof a0);
    for (int i = 0; i < S * S; i++) v[S * S + i] = (float)((i * 7) % 11);
    pgc_meta_set(r, "scale", "1", NULL);
    r = add(f, id, "grad.s1");
    pgc_record_f32_3d(r, 2, S, S, NULL);
    v = r->data;
    for (int i = 0; i < S * S; i++) v[i] = 1.0f / (S * S), v[S * S + i] = 0;
    pgc_meta_set(r, "scale", "1", NULL);
    r = add(f, id, "feat.s2"); // (1, S/2, S/2)
    pgc_record_f32_3d(r, 1, S / 2, S / 2, NULL);
    v = r->data;
    for (int y = 0; y < S / 2; y++)
        for (int x = 0; x < S / 2; x++)
            v[y * S / 2 + x] = (a0[2 * y * S + 2 * x] + a0[2 * y * S + 2 * x + 1] +
                                a0[(2 * y + 1) * S + 2 * x] + a0[(2 * y + 1) * S + 2 * x + 1]) / 4;
    pgc_meta_set(r, "scale", "2", NULL);
    r = add(f, id, "grad.s2");
    pgc_record_f32_3d(r, 1, S / 2, S / 2, NULL);
    for (int i = 0; i < S * S / 4; i++) ((float *)r->data)[i] = 1;
    pgc_meta_set(r, "scale", "2", NULL);
}

/* A 12 x 20 frame with three scales of signed pseudo-random features and gradients:
 * s1 (3, 12, 20), s2 (4, 6, 10), s3 (2, 3, 5), for cross-checks against an independent
 * implementation. */
static void random_frame(pgc_frame *f)
{
    static const int dims[3][3] = {{3, 12, 20}, {4, 6, 10}, {2, 3, 5}};
    uint32_t x = 12345;
    pgc_record *r = add(f, "r1", "image");
    pgc_record_f32_2d(r, 12, 20, NULL);
    for (int i = 0; i < 240; i++) ((float *)r->data)[i] = (float)(i % 17);
    for (int p = 1; p <= 3; p++)
        for (int g = 0; g < 2; g++) {
            char name[16];
            snprintf(name, sizeof name, "%s.s%d", g ? "grad" : "feat", p);
            r = add(f, "r1", name);
            const int *d = dims[p - 1];
            pgc_record_f32_3d(r, d[0], d[1], d[2], NULL);
            for (int i = 0; i < d[0] * d[1] * d[2]; i++) {
                x = x * 1664525u + 1013904223u;
                double u = (x >> 8) / 16777216.0; // [0, 1)
                ((float *)r->data)[i] = (float)(g ? (u - 0.45) * 0.01 : (u - 0.2) * 3);
            }
        }
}

/* The nan fixture without its end-of-stream record (the last 128 bytes). */
static int emit_truncated(int fd)
{
    FILE *tmp = tmpfile();
    if (!tmp || emit("nan", fileno(tmp))) return 1;
    off_t len = lseek(fileno(tmp), 0, SEEK_END);
    char *buf = malloc((size_t)len);
    int ok = buf && pread(fileno(tmp), buf, (size_t)len, 0) == len &&
             write(fd, buf, (size_t)len - 128) == len - 128;
    free(buf);
    fclose(tmp);
    return ok ? 0 : 1;
}

static int emit(const char *name, int fd)
{
    if (!strcmp(name, "truncated")) return emit_truncated(fd);
    pgc_err e;
    pgc_writer *w = pgc_writer_open(fd, "-", &e);
    pgc_frame f = {0};
    if (!strcmp(name, "blobs")) {
        const float two[8] = {3, 2, 7, 5, 9, 10, 14, 12};
        blobs_frame(&f, "a", "tumour", 0.9, 1, two, 2);
        pgc_frame_write(w, &f, &e);
        blobs_frame(&f, "b", "none", 0.2, 0, NULL, 0);
        pgc_frame_write(w, &f, &e);
        blobs_frame(&f, "c", "tumour", 0.3, 1, two, 1);
        pgc_frame_write(w, &f, &e);
    } else if (!strcmp(name, "nan")) { // NaN in a feature map
        blobs_frame(&f, "n1", "tumour", 0.9, 1, NULL, 0);
        ((float *)f.rec[3].data)[17] = 0.0f / 0.0f;
        pgc_frame_write(w, &f, &e);
    } else if (!strcmp(name, "random")) { // signed random maps at odd sizes, seed fixed
        random_frame(&f);
        pgc_frame_write(w, &f, &e);
    } else if (!strcmp(name, "nograd")) { // feat.s1 without its grad.s1
        blobs_frame(&f, "g1", "tumour", 0.9, 1, NULL, 0);
        pgc_meta_set(&f.rec[4], "name", "other", NULL);
        pgc_frame_write(w, &f, &e);
    } else if (!strcmp(name, "camnan") || !strcmp(name, "image")) {
        pgc_record *r = add(&f, "m1", "image");
        pgc_record_f32_2d(r, S, S, NULL);
        for (int i = 0; i < S * S; i++) ((float *)r->data)[i] = (float)(i % S);
        if (!strcmp(name, "camnan")) {
            r = add(&f, "m1", "cam.s1");
            pgc_record_f32_2d(r, 4, 4, NULL);
            for (int i = 0; i < 16; i++) ((float *)r->data)[i] = (float)i;
            ((float *)r->data)[5] = 0.0f / 0.0f;
        }
        pgc_frame_write(w, &f, &e);
    } else if (strcmp(name, "empty")) {
        fprintf(stderr, "cam_fixtures: unknown fixture '%s'\n", name);
        return 2;
    }
    pgc_frame_free(&f);
    return pgc_writer_close(w, &e) ? 1 : 0;
}

static int dump(int values, const char *which)
{
    pgc_err e;
    pgc_reader *rd = pgc_reader_open(0, "-", &e);
    pgc_record r = {0};
    int rc;
    while ((rc = pgc_reader_next(rd, &r, &e)) == 1) {
        char id[256] = "", name[64] = "";
        pgc_meta_get(&r, "frame", id, sizeof id);
        pgc_meta_get(&r, "name", name, sizeof name);
        if (values) {
            if (strcmp(name, which) || r.dtype != PGC_DT_F32) continue;
            for (uint64_t i = 0; i < pgc_record_count(&r); i++) printf("%.9g\n", ((float *)r.data)[i]);
            continue;
        }
        printf("%s\t%s\t", id, name);
        for (int i = 0; i < r.rank; i++) printf(i ? "x%llu" : "%llu", (unsigned long long)r.dims[i]);
        double lo = DBL_MAX, hi = -DBL_MAX, sum = 0;
        if (r.dtype == PGC_DT_F32)
            for (uint64_t i = 0; i < pgc_record_count(&r); i++) {
                double x = ((float *)r.data)[i];
                lo = x < lo ? x : lo, hi = x > hi ? x : hi, sum += x;
            }
        if (r.dtype == PGC_DT_F32 && pgc_record_count(&r)) printf("\t%.6g\t%.6g\t%.6g\n", lo, hi, sum);
        else printf("\t-\t-\t-\n");
    }
    if (rc < 0) fprintf(stderr, "cam_fixtures: %s\n", e.msg);
    pgc_record_free(&r);
    pgc_reader_free(rd);
    return rc < 0;
}

/* Counts the frames of fixture name, written to and read back from a pipe-less file. */
static int frames_of(const char *name)
{
    FILE *tmp = tmpfile();
    emit(name, fileno(tmp));
    rewind(tmp);
    pgc_err e;
    pgc_reader *rd = pgc_reader_open(fileno(tmp), name, &e);
    pgc_frame f = {0};
    int n = 0, rc;
    while ((rc = pgc_frame_read(rd, &f, &e)) == 1) n++;
    pgc_frame_free(&f);
    pgc_reader_free(rd);
    fclose(tmp);
    return rc < 0 ? -1 : n;
}

static void every_fixture_reads_back(void)
{
    EXPECT(frames_of("blobs") == 3);
    EXPECT(frames_of("nan") == 1);
    EXPECT(frames_of("nograd") == 1);
    EXPECT(frames_of("random") == 1);
    EXPECT(frames_of("camnan") == 1);
    EXPECT(frames_of("image") == 1);
    EXPECT(frames_of("empty") == 0);
    EXPECT(frames_of("truncated") == -1);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "emit")) return emit(argv[2], 1);
    if (argc == 2 && !strcmp(argv[1], "dump")) return dump(0, NULL);
    if (argc == 3 && !strcmp(argv[1], "values")) return dump(1, argv[2]);
    if (argc > 1) {
        fprintf(stderr, "usage: cam_fixtures [emit NAME | dump | values NAME]\n");
        return 2;
    }
    RUN(every_fixture_reads_back);
    return check_done();
}

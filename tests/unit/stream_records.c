/* The stream format (format/stream.md): what goes in comes out, and every damaged
 * stream is refused with a message rather than read wrongly. */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../lib/frame.h"
#include "../../lib/stream.h"
#include "check.h"

/* Writes a small two-frame stream to a temporary file and returns its fd and size. */
static int make_stream(size_t *size)
{
    char path[] = "/tmp/pgc-test-XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    pgc_err e;
    pgc_writer *w = pgc_writer_open(fd, path, &e);
    pgc_record r = {0};
    for (int f = 0; f < 2; f++) {
        pgc_meta_clear(&r);
        pgc_meta_setf(&r, "frame", &e, "f%d", f);
        pgc_meta_set(&r, "name", "image", &e);
        pgc_record_f32_2d(&r, 3, 5, &e);
        for (int i = 0; i < 15; i++) ((float *)r.data)[i] = (float)(f * 100 + i);
        pgc_writer_put(w, &r, &e);
        pgc_meta_set(&r, "name", "truth", &e);
        pgc_record_boxes(&r, 0, &e);
        pgc_writer_put(w, &r, &e);
    }
    pgc_writer_close(w, &e);
    pgc_record_free(&r);
    *size = (size_t)lseek(fd, 0, SEEK_END);
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static int read_all(int fd, const char *name, int *nrec, pgc_err *e)
{
    pgc_reader *rd = pgc_reader_open(fd, name, e);
    pgc_record r = {0};
    int rc;
    *nrec = 0;
    while ((rc = pgc_reader_next(rd, &r, e)) == 1) (*nrec)++;
    pgc_record_free(&r);
    pgc_reader_free(rd);
    return rc;
}

static void records_come_back_as_written(void)
{
    size_t size;
    int fd = make_stream(&size);
    pgc_err e;
    pgc_reader *rd = pgc_reader_open(fd, "t", &e);
    pgc_record r = {0};
    char buf[64];
    EXPECT(pgc_reader_next(rd, &r, &e) == 1);
    EXPECT_STR(pgc_meta_get(&r, "frame", buf, sizeof buf), "f0");
    EXPECT(r.dtype == PGC_DT_F32 && r.rank == 2 && r.dims[0] == 3 && r.dims[1] == 5);
    EXPECT_STR(r.dimname[0], "y");
    EXPECT(((float *)r.data)[14] == 14.0f);
    EXPECT((uintptr_t)r.data % 64 == 0);
    EXPECT(pgc_reader_next(rd, &r, &e) == 1);
    EXPECT(pgc_record_is(&r, "truth") && r.dims[0] == 0 && pgc_record_nbytes(&r) == 0);
    EXPECT(pgc_reader_next(rd, &r, &e) == 1);
    EXPECT(((float *)r.data)[0] == 100.0f);
    EXPECT(pgc_reader_next(rd, &r, &e) == 1);
    EXPECT(pgc_reader_next(rd, &r, &e) == 0);
    pgc_record_free(&r);
    pgc_reader_free(rd);
    close(fd);
}

static void every_record_and_payload_starts_on_a_64_byte_boundary(void)
{
    size_t size;
    int fd = make_stream(&size);
    EXPECT(size % 64 == 0);
    pgc_err e;
    pgc_reader *rd = pgc_reader_open(fd, "t", &e);
    pgc_record r = {0};
    while (pgc_reader_next(rd, &r, &e) == 1) EXPECT(pgc_reader_offset(rd) % 64 == 0);
    pgc_record_free(&r);
    pgc_reader_free(rd);
    close(fd);
}

static void a_stream_cut_at_any_byte_is_refused(void)
{
    size_t size;
    int fd = make_stream(&size);
    unsigned char *all = malloc(size);
    EXPECT(pread(fd, all, size, 0) == (ssize_t)size);
    int refused = 0;
    for (size_t cut = 0; cut < size; cut++) {
        int p[2];
        char tmp[] = "/tmp/pgc-cut-XXXXXX";
        (void)p;
        int t = mkstemp(tmp);
        unlink(tmp);
        EXPECT(write(t, all, cut) == (ssize_t)cut);
        lseek(t, 0, SEEK_SET);
        pgc_err e;
        int n;
        if (read_all(t, "cut", &n, &e) < 0) refused++;
        close(t);
    }
    EXPECT(refused == (int)size);
    free(all);
    close(fd);
}

static void wrong_magic_and_crlf_damage_are_named(void)
{
    size_t size;
    int fd = make_stream(&size);
    unsigned char *all = malloc(size);
    EXPECT(pread(fd, all, size, 0) == (ssize_t)size);
    pgc_err e;
    int n;
    char tmp[] = "/tmp/pgc-magic-XXXXXX";
    int t = mkstemp(tmp);
    unlink(tmp);
    all[4] = '\n'; /* CR LF -> LF */
    EXPECT(write(t, all, size) == (ssize_t)size);
    lseek(t, 0, SEEK_SET);
    EXPECT(read_all(t, "m", &n, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "CR/LF") != NULL);
    all[0] = 'P';
    EXPECT(pwrite(t, all, size, 0) == (ssize_t)size);
    lseek(t, 0, SEEK_SET);
    EXPECT(read_all(t, "m", &n, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "wrong magic") != NULL);
    close(t);
    free(all);
    close(fd);
}

static void a_newer_major_version_is_refused(void)
{
    size_t size;
    int fd = make_stream(&size);
    unsigned char two[2] = {2, 0};
    EXPECT(pwrite(fd, two, 2, 8) == 2);
    pgc_err e;
    int n;
    EXPECT(read_all(fd, "v", &n, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "newer") != NULL);
    close(fd);
}

static void absurd_dimensions_are_refused_before_allocation(void)
{
    size_t size;
    int fd = make_stream(&size);
    unsigned char big[8] = {0, 0, 0, 0, 0xe8, 0, 0, 0}; /* ~10^12 */
    EXPECT(pwrite(fd, big, 8, 64 + 16) == 8);
    pgc_err e;
    int n;
    EXPECT(read_all(fd, "d", &n, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "dimension") != NULL || strstr(e.msg, "bytes") != NULL);
    close(fd);
}

static void fields_fixed_at_zero_must_be_zero(void)
{
    /* A dim beyond the rank, then a reserved byte, of the first record (at byte 64). */
    const int where[] = {64 + 16 + 8 * 2, 64 + 100};
    for (int k = 0; k < 2; k++) {
        size_t size;
        int fd = make_stream(&size);
        unsigned char one = 1;
        EXPECT(pwrite(fd, &one, 1, where[k]) == 1);
        pgc_err e;
        int n;
        EXPECT(read_all(fd, "z", &n, &e) == PGC_EINPUT);
        close(fd);
    }
}

static void concatenated_streams_read_as_one(void)
{
    size_t size;
    int fd = make_stream(&size);
    unsigned char *all = malloc(size);
    EXPECT(pread(fd, all, size, 0) == (ssize_t)size);
    EXPECT(pwrite(fd, all, size, size) == (ssize_t)size);
    pgc_err e;
    int n;
    EXPECT(read_all(fd, "cat", &n, &e) == 0);
    EXPECT(n == 8);
    free(all);
    close(fd);
}

static void metadata_keeps_order_and_replaces_in_place(void)
{
    pgc_record r = {0};
    pgc_err e;
    char buf[32];
    EXPECT(pgc_meta_set(&r, "frame", "a", &e) == 0);
    EXPECT(pgc_meta_set(&r, "name", "image", &e) == 0);
    EXPECT(pgc_meta_set(&r, "frame", "bb", &e) == 0);
    EXPECT_STR(r.meta, "frame: bb\nname: image\n");
    EXPECT(pgc_meta_set(&r, "Bad Key", "x", &e) == PGC_EINPUT);
    EXPECT(pgc_meta_set(&r, "k", "two\nlines", &e) == PGC_EINPUT);
    pgc_meta_del(&r, "frame");
    EXPECT_STR(r.meta, "name: image\n");
    EXPECT(pgc_meta_get(&r, "nam", buf, sizeof buf) == NULL);
    pgc_record_free(&r);
}

static void frames_group_adjacent_records_with_one_id(void)
{
    size_t size;
    int fd = make_stream(&size);
    pgc_err e;
    pgc_reader *rd = pgc_reader_open(fd, "t", &e);
    pgc_frame f = {0};
    char id[16];
    EXPECT(pgc_frame_read(rd, &f, &e) == 1 && f.n == 2);
    EXPECT_STR(pgc_frame_id(&f, id, sizeof id), "f0");
    EXPECT(pgc_frame_find(&f, "truth") == 1);
    EXPECT(pgc_frame_read(rd, &f, &e) == 1 && f.n == 2);
    EXPECT_STR(pgc_frame_id(&f, id, sizeof id), "f1");
    EXPECT(pgc_frame_read(rd, &f, &e) == 0);
    pgc_frame_free(&f);
    pgc_reader_free(rd);
    close(fd);
}

static void a_slot_is_the_named_record_or_a_new_one_at_the_end(void)
{
    size_t size;
    int fd = make_stream(&size);
    pgc_err e;
    pgc_reader *rd = pgc_reader_open(fd, "t", &e);
    pgc_frame f = {0};
    EXPECT(pgc_frame_read(rd, &f, &e) == 1 && f.n == 2);
    EXPECT(pgc_frame_slot(&f, "truth", &e) == 1 && f.n == 2);
    int k = pgc_frame_slot(&f, "pgcam", &e);
    EXPECT(k == 2 && f.n == 3 && !f.drop[2] && f.rec[2].meta_len == 0);
    pgc_meta_set(&f.rec[k], "name", "pgcam", &e);
    EXPECT(pgc_frame_slot(&f, "pgcam", &e) == 2 && f.n == 3); // a second run replaces it
    pgc_frame_free(&f);
    pgc_reader_free(rd);
    close(fd);
}

static void a_map_is_a_non_empty_finite_f32_y_x_record(void)
{
    pgc_record r = {0};
    pgc_err e;
    pgc_record_f32_2d(&r, 3, 5, &e);
    memset(r.data, 0, 15 * sizeof(float));
    EXPECT(pgc_map_check(&r, "f0", "pgcam", &e) == PGC_OK);
    ((float *)r.data)[7] = NAN;
    EXPECT(pgc_map_check(&r, "f0", "pgcam", &e) == PGC_EINPUT);
    EXPECT(!strcmp(e.msg, "frame 'f0': pgcam holds NaN at pixel 7"));
    ((float *)r.data)[7] = -INFINITY;
    EXPECT(pgc_map_check(&r, "f0", "pgcam", &e) == PGC_EINPUT);
    EXPECT(!strcmp(e.msg, "frame 'f0': pgcam holds Inf at pixel 7"));
    pgc_record_f32_2d(&r, 0, 5, &e);
    EXPECT(pgc_map_check(&r, "f0", "pgcam", &e) == PGC_EINPUT);
    EXPECT(!strcmp(e.msg, "frame 'f0': pgcam is not a non-empty f32 (y x) map"));
    pgc_record_shape(&r, PGC_DT_U8, 2, (uint64_t[]){3, 5}, NULL, &e);
    EXPECT(pgc_map_check(&r, "f0", "image", &e) == PGC_EINPUT && strstr(e.msg, "f32 (y x)"));
    pgc_record_free(&r);
}

int main(void)
{
    RUN(records_come_back_as_written);
    RUN(every_record_and_payload_starts_on_a_64_byte_boundary);
    RUN(a_stream_cut_at_any_byte_is_refused);
    RUN(wrong_magic_and_crlf_damage_are_named);
    RUN(a_newer_major_version_is_refused);
    RUN(absurd_dimensions_are_refused_before_allocation);
    RUN(fields_fixed_at_zero_must_be_zero);
    RUN(concatenated_streams_read_as_one);
    RUN(metadata_keeps_order_and_replaces_in_place);
    RUN(frames_group_adjacent_records_with_one_id);
    RUN(a_slot_is_the_named_record_or_a_new_one_at_the_end);
    RUN(a_map_is_a_non_empty_finite_f32_y_x_record);
    return check_done();
}

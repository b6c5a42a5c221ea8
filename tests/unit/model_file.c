/* The model file (format/model.md): what is written reads back exactly, and every kind
 * of damage is refused with a message that names the file. */
#include "check.h"

#include "../../lib/model.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static char dir[] = "/tmp/pgc_model_XXXXXX";

static const char *path(const char *name)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static pgc_net *small_net(void)
{
    pgc_net *net;
    pgc_err e;
    if (pgc_net_create(&net, pgc_nn_backend_cpu(), "dcfpn", 2, 2, 32, 32, 1, 7, &e)) return NULL;
    /* make every array distinct from a fresh net's */
    for (size_t i = 0; i < net->np; i++) net->m[i] = 0.001f * i, net->v[i] = 0.002f * i;
    for (size_t i = 0; i < net->ns; i++) net->s[i] = 1.0f + 0.01f * i;
    net->step = 1234;
    return net;
}

/* Every parameter and statistic (and Adam's moments) equal, bit for bit. */
static int same_values(const pgc_net *a, const pgc_net *b, int adam)
{
    int same = a->npar == b->npar;
    for (int i = 0; same && i < a->npar; i++) {
        const pgc_param *p = &a->par[i];
        size_t n = p->count * sizeof(float);
        same = !memcmp((p->stat ? a->s : a->p) + p->off, (p->stat ? b->s : b->p) + p->off, n);
        if (adam && !p->stat)
            same = same && !memcmp(a->m + p->off, b->m + p->off, n) &&
                   !memcmp(a->v + p->off, b->v + p->off, n);
    }
    return same;
}

static long file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) ? -1 : (long)st.st_size;
}

static void corrupt(const char *p, long at)
{
    int fd = open(p, O_RDWR);
    unsigned char b;
    if (pread(fd, &b, 1, at) == 1) {
        b ^= 0x40;
        if (pwrite(fd, &b, 1, at) != 1) b = 0;
    }
    close(fd);
}

static void truncate_to(const char *p, long n)
{
    if (truncate(p, n)) perror("truncate");
}

static void a_checkpoint_reads_back_exactly(void)
{
    pgc_net *a = small_net(), *b = NULL;
    pgc_err e;
    EXPECT(a != NULL);
    EXPECT(pgc_model_save(path("ck"), a, 32, 32, 1, "seed: 5\nnote: x\n", 0, &e) == 0);
    pgc_model_info mi;
    EXPECT(pgc_model_load(path("ck"), pgc_nn_backend_cpu(), 3, 0, 0, 1, &b, &mi, &e) == 0);
    if (!b) return;
    EXPECT_STR(mi.arch, "dcfpn");
    EXPECT(mi.width == 2 && mi.h == 32 && mi.w == 32 && mi.checkpoint == 1);
    EXPECT(mi.step == 1234 && b->step == 1234);
    EXPECT_STR(mi.meta, "seed: 5\nnote: x\n");
    EXPECT(b->n == 3);
    EXPECT(same_values(a, b, 1));
    pgc_model_info_free(&mi);
    pgc_net_free(a);
    pgc_net_free(b);
}

static void a_model_has_no_adam_state_and_is_a_third_of_the_size(void)
{
    pgc_net *a = small_net(), *b = NULL;
    pgc_err e;
    EXPECT(pgc_model_save(path("m"), a, 32, 32, 0, NULL, 0, &e) == 0);
    pgc_model_info mi;
    EXPECT(pgc_model_load(path("m"), pgc_nn_backend_cpu(), 1, 64, 48, 1, &b, &mi, &e) == 0);
    if (!b) return;
    EXPECT(mi.checkpoint == 0);
    EXPECT(b->h == 64 && b->w == 48); /* built for another input size */
    EXPECT(same_values(a, b, 0));
    EXPECT(b->m[5] == 0);
    EXPECT(file_size(path("m")) * 2.5 < file_size(path("ck")));
    pgc_model_info_free(&mi);
    pgc_net_free(a);
    pgc_net_free(b);
}

static void an_existing_file_is_kept_unless_replacing(void)
{
    pgc_net *a = small_net();
    pgc_err e;
    EXPECT(pgc_model_save(path("keep"), a, 32, 32, 0, NULL, 0, &e) == 0);
    long n = file_size(path("keep"));
    EXPECT(pgc_model_save(path("keep"), a, 32, 32, 1, NULL, 0, &e) != 0);
    EXPECT(strstr(e.msg, "exists") != NULL && strstr(e.msg, "--force") != NULL);
    EXPECT(file_size(path("keep")) == n);
    EXPECT(pgc_model_save(path("keep"), a, 32, 32, 1, NULL, 1, &e) == 0);
    EXPECT(file_size(path("keep")) > n);
    pgc_net_free(a);
}

static void no_temporary_file_is_left_behind(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls %s | grep -q tmp", dir);
    EXPECT(system(cmd) != 0);
}

static int refused(const char *p, const char *want)
{
    pgc_net *b = NULL;
    pgc_err e = {{0}};
    int rc = pgc_model_load(p, pgc_nn_backend_cpu(), 1, 0, 0, 1, &b, NULL, &e);
    int ok = rc != 0 && b == NULL && strstr(e.msg, want) && strstr(e.msg, p);
    if (!ok) printf("#   %s: rc %d, message '%s'\n", p, rc, e.msg);
    pgc_net_free(b);
    return ok;
}

static void a_flipped_bit_anywhere_is_refused_by_the_checksum(void)
{
    pgc_net *a = small_net();
    pgc_err e;
    EXPECT(pgc_model_save(path("c"), a, 32, 32, 0, NULL, 1, &e) == 0);
    long n = file_size(path("c"));
    long at[] = {20, 70, n / 2, n - 10, n - 1};
    for (size_t i = 0; i < sizeof at / sizeof *at; i++) {
        EXPECT(pgc_model_save(path("c"), a, 32, 32, 0, NULL, 1, &e) == 0);
        corrupt(path("c"), at[i]);
        EXPECT(refused(path("c"), "checksum"));
    }
    pgc_net_free(a);
}

static void a_truncated_file_is_refused(void)
{
    pgc_net *a = small_net();
    pgc_err e;
    long cut[] = {0, 10, 64, 1000, -1};
    for (size_t i = 0; i < sizeof cut / sizeof *cut; i++) {
        EXPECT(pgc_model_save(path("t"), a, 32, 32, 0, NULL, 1, &e) == 0);
        truncate_to(path("t"), cut[i] >= 0 ? cut[i] : file_size(path("t")) - 1);
        EXPECT(refused(path("t"), cut[i] < 68 ? "truncated" : "checksum"));
    }
    pgc_net_free(a);
}

static void something_else_is_refused_by_its_magic(void)
{
    FILE *f = fopen(path("junk"), "w");
    for (int i = 0; i < 200; i++) fputs("not a model ", f);
    fclose(f);
    EXPECT(refused(path("junk"), "magic"));
    EXPECT(refused(path("missing"), "cannot open"));
}

/* Rewrites the CRC after an edit, to reach the checks behind it. */
static void patch(const char *p, long at, const void *bytes, size_t n)
{
    int fd = open(p, O_RDWR);
    if (pwrite(fd, bytes, n, at) != (ssize_t)n) perror("pwrite");
    long size = lseek(fd, 0, SEEK_END);
    unsigned char *b = malloc(size);
    if (pread(fd, b, size, 0) != size) perror("pread");
    uint32_t c = (uint32_t)crc32(0L, b, (uInt)(size - 4));
    unsigned char le[4] = {c, c >> 8, c >> 16, c >> 24};
    if (pwrite(fd, le, 4, size - 4) != 4) perror("pwrite");
    free(b);
    close(fd);
}

static void a_newer_major_version_a_wrong_shape_and_reserved_flags_are_refused(void)
{
    pgc_net *a = small_net();
    pgc_err e;
    EXPECT(pgc_model_save(path("v"), a, 32, 32, 0, NULL, 1, &e) == 0);
    unsigned char two[2] = {2, 0};
    patch(path("v"), 8, two, 2);
    EXPECT(refused(path("v"), "version 2."));
    EXPECT(pgc_model_save(path("w"), a, 32, 32, 0, NULL, 1, &e) == 0);
    unsigned char w1[4] = {1, 0, 0, 0}; /* width 1: every shape is off */
    patch(path("w"), 16, w1, 4);
    EXPECT(refused(path("w"), "wrong shape"));
    EXPECT(pgc_model_save(path("a"), a, 32, 32, 0, NULL, 1, &e) == 0);
    patch(path("a"), 48, "vgg\0", 4);
    EXPECT(refused(path("a"), "unknown architecture"));
    /* a flag bit this reader does not know: refused, not ignored */
    EXPECT(pgc_model_save(path("f"), a, 32, 32, 0, NULL, 1, &e) == 0);
    patch(path("f"), 12, (unsigned char[]){2, 0, 0, 0}, 4);
    EXPECT(refused(path("f"), "reserved bits"));
    pgc_net_free(a);
}

/* A message is one line whatever the file holds: its strings come out as \xNN where
 * they are not printable ASCII (the hostile pass's ck_arch_junk.pgm printed 16 raw 0xff). */
static int one_printable_line(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) return 0;
    return 1;
}

static void a_file_s_own_strings_are_quoted_in_its_errors(void)
{
    pgc_net *a = small_net();
    pgc_err e = {{0}};
    EXPECT(pgc_model_save(path("q"), a, 32, 32, 0, NULL, 1, &e) == 0);
    patch(path("q"), 48, "dc\n\x1b[2J\xff\\", 9); /* the architecture */
    EXPECT(refused(path("q"), "unknown architecture 'dc\\x0a\\x1b[2J\\xff\\x5c'"));
    pgc_net *b = NULL;
    pgc_model_load(path("q"), pgc_nn_backend_cpu(), 1, 0, 0, 1, &b, NULL, &e);
    EXPECT(one_printable_line(e.msg));
    EXPECT(pgc_model_save(path("n"), a, 32, 32, 0, NULL, 1, &e) == 0);
    patch(path("n"), 64 + 2, "\n", 1); /* the first entry's name, first byte */
    EXPECT(refused(path("n"), "unexpected entry '\\x0a"));
    pgc_model_load(path("n"), pgc_nn_backend_cpu(), 1, 0, 0, 1, &b, NULL, &e);
    EXPECT(one_printable_line(e.msg));
    pgc_net_free(a);
}

static void a_nan_weight_is_neither_written_nor_read(void)
{
    pgc_net *a = small_net();
    pgc_err e;
    a->p[a->par[0].off + 3] = NAN;
    EXPECT(pgc_model_save(path("nan"), a, 32, 32, 0, NULL, 1, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, path("nan")) && strstr(e.msg, a->par[0].name) && strstr(e.msg, "NaN"));
    EXPECT(file_size(path("nan")) == -1);
    a->p[a->par[0].off + 3] = 0;
    EXPECT(pgc_model_save(path("nan"), a, 32, 32, 0, NULL, 1, &e) == 0);
    /* the first value of the first entry, after its name, kind, rank and dims */
    long at = 64 + 2 + (long)strlen(a->par[0].name) + 2 + 4 * a->par[0].rank;
    patch(path("nan"), at, (unsigned char[]){0, 0, 0xc0, 0x7f}, 4);
    EXPECT(refused(path("nan"), "NaN"));
    pgc_net_free(a);
}

static void a_k_class_model_keeps_its_classes_and_a_1_0_file_reads_as_two(void)
{
    pgc_net *a;
    pgc_err e;
    EXPECT(pgc_net_create_ex(&a, pgc_nn_backend_cpu(), "dcfpn", 2, 4, 0, 2, 32, 32, 1, 7, &e) == 0);
    EXPECT(pgc_model_save(path("k"), a, 32, 32, 0, "classes: none,meningioma,glioma,pituitary\n", 1, &e) == 0);
    pgc_net *b = NULL;
    pgc_model_info mi;
    EXPECT(pgc_model_load(path("k"), pgc_nn_backend_cpu(), 1, 0, 0, 1, &b, &mi, &e) == 0);
    EXPECT(b && b->nclass == 4 && mi.nclass == 4);
    EXPECT(!strcmp(mi.classes[0], "none") && !strcmp(mi.classes[3], "pituitary"));
    EXPECT(pgc_model_class_index(&mi, "glioma") == 2 && pgc_model_class_index(&mi, "tumour") == -1);
    EXPECT(b && same_values(a, b, 0));
    pgc_model_info_free(&mi);
    pgc_net_free(b);
    /* class names that do not match the head are refused */
    EXPECT(pgc_model_save(path("k3"), a, 32, 32, 0, "classes: none,glioma\n", 1, &e) == 0);
    EXPECT(refused(path("k3"), "classes"));
    /* a 1.0 file: minor 0 and zero at offset 44 is the two-class model it always was */
    pgc_net *two = small_net();
    EXPECT(pgc_model_save(path("v10"), two, 32, 32, 0, NULL, 1, &e) == 0);
    unsigned char zero4[4] = {0}, minor0[2] = {0, 0};
    patch(path("v10"), 44, zero4, 4);
    patch(path("v10"), 10, minor0, 2);
    EXPECT(pgc_model_load(path("v10"), pgc_nn_backend_cpu(), 1, 0, 0, 1, &b, &mi, &e) == 0);
    EXPECT(b && b->nclass == 2 && !strcmp(mi.classes[1], "tumour"));
    pgc_model_info_free(&mi);
    pgc_net_free(b);
    pgc_net_free(two);
    pgc_net_free(a);
}

/* Makes path with its modification time age seconds ago. */
static void make_aged(const char *p, long age)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) close(fd);
    struct timespec t[2];
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec -= age, t[1] = t[0];
    utimensat(AT_FDCWD, p, t, 0);
}

static void a_save_removes_what_a_killed_save_left_behind(void)
{
    /* R3: kill -9 during a save left PATH.tmpXXXXXX forever */
    pgc_net *a = small_net();
    pgc_err e;
    make_aged(path("k.pgm.tmpAbC123"), 3600); /* a killed save's, an hour ago */
    make_aged(path("k.pgm.tmpNow456"), 0);    /* maybe another save's, now */
    make_aged(path("k.pgm.tmp.keep"), 3600);  /* not one of ours */
    make_aged(path("j.pgm.tmpAbC123"), 3600); /* another file's */
    EXPECT(pgc_model_save(path("k.pgm"), a, 32, 32, 1, NULL, 1, &e) == 0);
    EXPECT(file_size(path("k.pgm.tmpAbC123")) == -1);
    EXPECT(file_size(path("k.pgm.tmpNow456")) == 0);
    EXPECT(file_size(path("k.pgm.tmp.keep")) == 0 && file_size(path("j.pgm.tmpAbC123")) == 0);
    EXPECT(file_size(path("k.pgm")) > 0);
    pgc_net_free(a);
}

static void a_step_count_beyond_2_to_the_40_is_refused(void)
{
    pgc_net *a = small_net();
    pgc_err e;
    EXPECT(pgc_model_save(path("st"), a, 32, 32, 1, NULL, 1, &e) == 0);
    patch(path("st"), 32, (unsigned char[]){0, 0, 0, 0, 0, 0, 0, 0x80}, 8); /* 2^63 */
    EXPECT(refused(path("st"), "step count 9223372036854775808"));
    patch(path("st"), 32, (unsigned char[]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 8);
    EXPECT(refused(path("st"), "step count"));
    pgc_net_free(a);
}

static void a_width_the_file_is_too_short_for_is_refused_before_building(void)
{
    pgc_net *a = small_net(); /* width 2 */
    pgc_err e;
    EXPECT(pgc_model_save(path("wide"), a, 32, 32, 0, NULL, 1, &e) == 0);
    patch(path("wide"), 16, (unsigned char[]){64, 0, 0, 0}, 4);
    EXPECT(refused(path("wide"), "dcfpn width 64 needs"));
    pgc_net_free(a);
}

int main(void)
{
    if (!mkdtemp(dir)) return 1;
    RUN(a_checkpoint_reads_back_exactly);
    RUN(a_model_has_no_adam_state_and_is_a_third_of_the_size);
    RUN(an_existing_file_is_kept_unless_replacing);
    RUN(no_temporary_file_is_left_behind);
    RUN(a_flipped_bit_anywhere_is_refused_by_the_checksum);
    RUN(a_truncated_file_is_refused);
    RUN(something_else_is_refused_by_its_magic);
    RUN(a_newer_major_version_a_wrong_shape_and_reserved_flags_are_refused);
    RUN(a_nan_weight_is_neither_written_nor_read);
    RUN(a_file_s_own_strings_are_quoted_in_its_errors);
    RUN(a_save_removes_what_a_killed_save_left_behind);
    RUN(a_step_count_beyond_2_to_the_40_is_refused);
    RUN(a_width_the_file_is_too_short_for_is_refused_before_building);
    RUN(a_k_class_model_keeps_its_classes_and_a_1_0_file_reads_as_two);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) return 1;
    return check_done();
}

/* A synthetic training set for the nn end-to-end tests: f32 `image` records with
 * `label: tumour` (a bright Gaussian blob somewhere on noise) or `label: none` (noise
 * and a dim broad shape). With arguments it writes a stream:
 *     nn_synth OUT.pgc N SIZE SEED [tumour-fraction]
 * Without, it checks itself as a unit test. */
#include "check.h"

#include "../../lib/nn/rng.h"
#include "../../lib/stream.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static int synth(const char *path, int n, int size, unsigned seed, double frac)
{
    pgc_err e;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 1;
    pgc_writer *w = pgc_writer_open(fd, path, &e);
    pgc_record r = {0};
    pgc_rng g;
    pgc_rng_seed(&g, seed);
    int rc = !w || pgc_record_f32_2d(&r, size, size, &e);
    for (int i = 0; i < n && !rc; i++) {
        float *x = r.data;
        int tum = pgc_rng_uniform(&g) < frac;
        for (int k = 0; k < size * size; k++) x[k] = (float)(0.3 * pgc_rng_normal(&g));
        double cx = size * (0.2 + 0.6 * pgc_rng_uniform(&g)), cy = size * (0.2 + 0.6 * pgc_rng_uniform(&g));
        double sd = tum ? 1.5 + 1.5 * pgc_rng_uniform(&g) : size / 4.0, amp = tum ? 2.0 : 0.5;
        for (int y = 0; y < size; y++)
            for (int xx = 0; xx < size; xx++) {
                double d2 = (xx + 0.5 - cx) * (xx + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy);
                x[y * size + xx] += (float)(amp * exp(-d2 / (2 * sd * sd)));
            }
        pgc_meta_clear(&r);
        rc |= pgc_meta_setf(&r, "frame", &e, "synth-%d", i);
        rc |= pgc_meta_set(&r, "name", "image", &e);
        if (i % 10 != 9) rc |= pgc_meta_set(&r, "label", tum ? "tumour" : "none", &e);
        rc |= pgc_writer_put(w, &r, &e);
    }
    if (w) rc |= pgc_writer_close(w, &e);
    pgc_record_free(&r);
    close(fd);
    return rc != 0;
}

static void it_writes_a_stream_that_reads_back(void)
{
    char path[] = "/tmp/nn_synth_XXXXXX";
    int fd = mkstemp(path);
    EXPECT(fd >= 0);
    close(fd);
    EXPECT(synth(path, 20, 32, 1, 0.5) == 0);
    fd = open(path, O_RDONLY);
    pgc_err e;
    pgc_reader *rd = pgc_reader_open(fd, path, &e);
    pgc_record r = {0};
    int n = 0, labelled = 0;
    char buf[16];
    while (rd && pgc_reader_next(rd, &r, &e) == 1) {
        n++;
        labelled += pgc_meta_get(&r, "label", buf, sizeof buf) != NULL;
    }
    EXPECT(n == 20);
    EXPECT(labelled == 18);
    pgc_reader_free(rd);
    pgc_record_free(&r);
    close(fd);
    unlink(path);
}

static int list(const char *path)
{
    pgc_err e;
    int fd = open(path, O_RDONLY);
    pgc_reader *rd = fd < 0 ? NULL : pgc_reader_open(fd, path, &e);
    if (!rd) return 1;
    pgc_record r = {0};
    int rc;
    while ((rc = pgc_reader_next(rd, &r, &e)) == 1) {
        char name[64];
        printf("%s %s", pgc_meta_get(&r, "name", name, sizeof name) ? name : "-",
               pgc_dtype_name(r.dtype));
        for (int i = 0; i < r.rank; i++)
            printf("%s%llu", i ? "x" : " ", (unsigned long long)r.dims[i]);
        for (const char *p = r.meta; *p;) {
            const char *nl = strchr(p, '\n'), *colon = strchr(p, ':');
            printf(" %.*s=%.*s", (int)(colon - p), p, (int)(nl - colon - 2), colon + 2);
            p = nl + 1;
        }
        printf("\n");
    }
    if (rc < 0) fprintf(stderr, "%s\n", e.msg);
    pgc_reader_free(rd);
    pgc_record_free(&r);
    close(fd);
    return rc < 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--list")) return list(argv[2]);
    if (argc >= 5)
        return synth(argv[1], atoi(argv[2]), atoi(argv[3]), (unsigned)atoi(argv[4]),
                     argc > 5 ? atof(argv[5]) : 0.5);
    RUN(it_writes_a_stream_that_reads_back);
    return check_done();
}

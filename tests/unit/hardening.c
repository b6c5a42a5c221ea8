/* Regressions from the hostile probe of issue 11 that live below the commands: each is
 * a row of its table, named by what lib/ does now. */
#include "check.h"

#include "../../lib/nn/net.h"
#include "../../lib/stream.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static void a_nan_probability_makes_the_loss_nan_not_a_large_number(void)
{
    /* D4: the clamp log(max(p, 1e-300)) turned NaN into 690, hiding divergence */
    float z[4] = {NAN, 0, 1, 2};
    int lab[2] = {0, 1}, correct;
    EXPECT(isnan(pgc_softmax_xent(2, z, lab, NULL, NULL, &correct)));
    z[0] = 3;
    EXPECT(isfinite(pgc_softmax_xent(2, z, lab, NULL, NULL, &correct)));
    z[0] = 1e30f, z[1] = -1e30f; /* a certain miss is still clamped, not inf */
    lab[0] = 1;
    EXPECT(isfinite(pgc_softmax_xent(2, z, lab, NULL, NULL, &correct)));
}

static void parameters_are_counted_without_building_the_net(void)
{
    /* D7: what a model file's width implies is known before anything is allocated */
    size_t np, ns, np2, ns2;
    pgc_err e;
    EXPECT(pgc_net_count_params("dcfpn", 2, 2, &np, &ns, &e) == 0);
    pgc_net *net;
    EXPECT(pgc_net_create(&net, pgc_nn_backend_cpu(), "dcfpn", 2, 1, 16, 16, 1, 1, &e) == 0);
    size_t cp = 0, cs = 0;
    for (int i = 0; i < net->npar; i++) *(net->par[i].stat ? &cs : &cp) += net->par[i].count;
    EXPECT(np == cp && ns == cs && np > 0 && ns > 0);
    pgc_net_free(net);
    EXPECT(pgc_net_count_params("dcfpn", 1024, 2, &np2, &ns2, &e) == 0);
    EXPECT(np2 > 100000 * np); /* quadratic in the width */
    EXPECT(pgc_net_count_params("vgg", 2, 2, &np, &ns, &e) == PGC_EINPUT);
}

/* A record whose metadata is n bytes of valid lines, frame 'big' first. */
static void big_record(pgc_record *r, size_t n)
{
    pgc_meta_clear(r);
    pgc_meta_set(r, "frame", "big", NULL);
    char v[4001];
    memset(v, 'x', 4000), v[4000] = 0;
    for (int i = 0; r->meta_len + 4100 < n; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        EXPECT(pgc_meta_set(r, k, v, NULL) == 0);
    }
    v[n - r->meta_len - 4] = 0;
    EXPECT(pgc_meta_set(r, "z", v, NULL) == 0);
    EXPECT(r->meta_len == n);
}

static void metadata_never_grows_past_1_mib_even_in_a_roomy_buffer(void)
{
    /* D5: the limit was checked only when the buffer had to grow */
    pgc_record r = {0};
    big_record(&r, PGC_MAX_META);
    EXPECT(r.meta_cap > PGC_MAX_META + 1); /* room for more: the case that slipped */
    pgc_err e = {{0}};
    EXPECT(pgc_meta_set(&r, "norm", "none", &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "frame 'big'") && strstr(e.msg, "longer than 1048576"));
    EXPECT(r.meta_len == PGC_MAX_META);
    pgc_record_free(&r);
}

static void the_writer_refuses_metadata_no_reader_would_take(void)
{
    pgc_record r = {0};
    big_record(&r, PGC_MAX_META);
    r.meta_len = PGC_MAX_META + 1; /* as a caller filling the buffer by hand might */
    r.meta[PGC_MAX_META - 1] = 'y', r.meta[PGC_MAX_META] = '\n', r.meta[PGC_MAX_META + 1] = 0;
    pgc_record_f32_2d(&r, 1, 1, NULL);
    int fd = open("/dev/null", O_WRONLY);
    pgc_err e = {{0}};
    pgc_writer *w = pgc_writer_open(fd, "out.pgc", &e);
    EXPECT(pgc_writer_put(w, &r, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "'out.pgc'") && strstr(e.msg, "frame 'big'") && strstr(e.msg, "longer"));
    pgc_writer_close(w, &e);
    close(fd);
    pgc_record_free(&r);
}

static int meta_ok(const char *m)
{
    return pgc_meta_check(m, strlen(m), NULL) == PGC_OK;
}

static void metadata_values_are_utf8_as_stream_md_says(void)
{
    /* D8: bytes >= 0x80 went through to pgc-info --json as invalid UTF-8 */
    EXPECT(meta_ok("source: caf\xc3\xa9.png\nnote: \xf0\x9f\xa7\xa0 \xe2\x82\xac\n"));
    EXPECT(!meta_ok("source: caf\xe9.png\n"));        /* Latin-1 */
    EXPECT(!meta_ok("a: \x80\n"));                     /* a lone continuation byte */
    EXPECT(!meta_ok("a: \xc0\x80\n"));                 /* overlong NUL */
    EXPECT(!meta_ok("a: \xe0\x80\xaf\n"));             /* overlong '/' */
    EXPECT(!meta_ok("a: \xed\xa0\x80\n"));             /* a surrogate */
    EXPECT(!meta_ok("a: \xf4\x90\x80\x80\n"));         /* above U+10FFFF */
    EXPECT(!meta_ok("a: \xe2\x82\n"));                 /* cut short by the newline */
    pgc_err e;
    EXPECT(pgc_meta_check("k: x\xff\n", 6, &e) == PGC_EINPUT && strstr(e.msg, "'k'") &&
           strstr(e.msg, "UTF-8"));
}

static void metadata_keys_are_unique_as_stream_md_says(void)
{
    EXPECT(!meta_ok("frame: a\nname: image\nframe: b\n"));
    EXPECT(meta_ok("a: 1\nab: 2\nb: 3\nba: 4\n")); /* a prefix is another key */
    pgc_err e;
    EXPECT(pgc_meta_check("x: 1\nk: 1\nk: 2\n", 15, &e) == PGC_EINPUT &&
           strstr(e.msg, "key 'k' appears twice"));
    /* many lines: the table grows, and the repeat is still found */
    char *m = malloc(5000 * 16), *q = m;
    for (int i = 0; i < 5000; i++) q += sprintf(q, "k%d: %d\n", i, i);
    EXPECT(pgc_meta_check(m, (size_t)(q - m), NULL) == PGC_OK);
    q += sprintf(q, "k4321: again\n");
    EXPECT(pgc_meta_check(m, (size_t)(q - m), &e) == PGC_EINPUT && strstr(e.msg, "'k4321'"));
    free(m);
}

static void a_value_no_reader_would_take_is_refused_when_set(void)
{
    /* D16: it was refused only by the writer, far from the file it came from */
    pgc_record r = {0};
    char v[4097];
    memset(v, 'x', 4096), v[4096] = 0;
    pgc_err e = {{0}};
    EXPECT(pgc_meta_set(&r, "note", v, &e) == PGC_EINPUT && strstr(e.msg, "'note' is 4096 bytes"));
    v[4095] = 0;
    EXPECT(pgc_meta_set(&r, "note", v, &e) == 0);
    EXPECT(pgc_meta_check(r.meta, r.meta_len, &e) == 0);
    pgc_record_free(&r);
}

int main(void)
{
    RUN(a_nan_probability_makes_the_loss_nan_not_a_large_number);
    RUN(parameters_are_counted_without_building_the_net);
    RUN(metadata_never_grows_past_1_mib_even_in_a_roomy_buffer);
    RUN(the_writer_refuses_metadata_no_reader_would_take);
    RUN(metadata_values_are_utf8_as_stream_md_says);
    RUN(metadata_keys_are_unique_as_stream_md_says);
    RUN(a_value_no_reader_would_take_is_refused_when_set);
    return check_done();
}

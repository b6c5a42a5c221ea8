/* Regressions from the hostile probe of issue 11 that live below the commands: each is
 * a row of its table, named by what lib/ does now. */
#include "check.h"

#include "../../lib/nifti.h"
#include "../../lib/nn/net.h"
#include "../../lib/prep_frame.h"
#include "../../lib/score.h"
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

/* The greedy matching as it was: every pair above delta, sorted (quadratic memory). */
typedef struct {
    double iou;
    size_t i, j;
} ref_pair;
static int ref_cmp(const void *pa, const void *pb)
{
    const ref_pair *a = pa, *b = pb;
    if (a->iou != b->iou) return a->iou > b->iou ? -1 : 1;
    if (a->i != b->i) return a->i < b->i ? -1 : 1;
    return (a->j > b->j) - (a->j < b->j);
}
static long ref_matches(const float *p, size_t np, const float *g, size_t ng, double delta)
{
    ref_pair *v = malloc((np * ng + 1) * sizeof *v);
    unsigned char *used = calloc(np + ng + 1, 1);
    size_t n = 0;
    long m = 0;
    for (size_t i = 0; i < np; i++)
        for (size_t j = 0; j < ng; j++) {
            double x = pgc_box_iou(p + 4 * i, g + 4 * j);
            if (x >= delta && x > 0) v[n++] = (ref_pair){x, i, j};
        }
    qsort(v, n, sizeof *v, ref_cmp);
    for (size_t k = 0; k < n; k++)
        if (!used[v[k].i] && !used[np + v[k].j]) used[v[k].i] = used[np + v[k].j] = 1, m++;
    free(v), free(used);
    return m;
}

static void iou_matching_in_linear_memory_matches_as_the_sorted_pair_list_did(void)
{
    /* R2: the pair list was O(np x ng): 20,000 boxes each way took 6.3 GB */
    unsigned s = 12345;
    for (int trial = 0; trial < 300; trial++) {
        size_t np = 1 + trial % 13, ng = 1 + (trial / 13) % 11;
        float p[4 * 13], g[4 * 11];
        for (size_t k = 0; k < 4 * np || k < 4 * ng; k++) { /* small grid: many ties */
            s = s * 1103515245u + 12345u;
            float v = (float)((s >> 16) % 6);
            if (k < 4 * np) p[k] = k % 4 >= 2 ? p[k - 2] + 1 + v : v;
            s = s * 1103515245u + 12345u;
            v = (float)((s >> 16) % 6);
            if (k < 4 * ng) g[k] = k % 4 >= 2 ? g[k - 2] + 1 + v : v;
        }
        for (int d = 0; d < PGC_SCORE_NDELTA; d++) {
            long m = -1;
            pgc_err e;
            EXPECT(pgc_score_iou_matches(p, np, g, ng, pgc_score_delta[d], &m, &e) == 0);
            EXPECT(m == ref_matches(p, np, g, ng, pgc_score_delta[d]));
        }
    }
    /* 4000 identical boxes each way: 16 M pairs, all ties; each finds its own */
    size_t n = 4000;
    float *b = malloc(4 * n * sizeof *b);
    for (size_t i = 0; i < n; i++) b[4 * i] = b[4 * i + 1] = 0, b[4 * i + 2] = b[4 * i + 3] = 8;
    long m = 0;
    pgc_err e;
    EXPECT(pgc_score_iou_matches(b, n, b, n, 0.5, &m, &e) == 0 && m == (long)n);
    free(b);
}

static void a_frame_of_more_boxes_than_the_cap_is_refused_naming_the_cap(void)
{
    /* R2: matching is quadratic in time, so a frame past PGC_SCORE_MAX_BOXES is refused */
    pgc_frame f = {0};
    pgc_err e = {{0}};
    for (int k = 0; k < 2; k++) {
        size_t n = k ? PGC_SCORE_MAX_BOXES + 1 : PGC_SCORE_MAX_BOXES;
        pgc_frame_free(&f);
        pgc_record *t = pgc_frame_add(&f, &e);
        EXPECT(pgc_record_boxes(t, n, &e) == 0);
        EXPECT(pgc_meta_set(t, "frame", "a", &e) == 0 && pgc_meta_set(t, "name", "truth", &e) == 0);
        float *v = t->data;
        for (size_t i = 0; i < n; i++) v[4 * i] = v[4 * i + 1] = 0, v[4 * i + 2] = v[4 * i + 3] = 1;
        pgc_score sc;
        pgc_score_init(&sc, 0.5);
        int rc = pgc_score_frame(&sc, &f, NULL, NULL, &e);
        EXPECT(k ? rc == PGC_EINPUT && strstr(e.msg, "frame 'a': 4097 truth boxes, more than the limit of 4096")
                 : rc == 0);
        pgc_score_free(&sc);
    }
    pgc_frame_free(&f);
}

static void prep_frame_work_returns_its_errors_instead_of_exiting(void)
{
    /* pgc-prep's frame work moved to lib/ (prep_frame.c), where a fuzzer reaches it */
    pgc_frame f = {0};
    pgc_err e = {{0}};
    pgc_prep_opts o = {16, PGC_FIT_CROP, PGC_NORM_PCT, 0.5, 99.5};
    pgc_prep_state st = {0};
    for (int k = 0; k < 2; k++) {
        pgc_record *r = pgc_frame_add(&f, &e);
        EXPECT(pgc_record_f32_2d(r, 8, 8, &e) == 0);
        memset(r->data, 0, 64 * sizeof(float));
        EXPECT(pgc_meta_set(r, "frame", "a", &e) == 0 && pgc_meta_set(r, "name", "image", &e) == 0);
    }
    EXPECT(pgc_prep_frame(&f, &o, &st, &e) == PGC_EINPUT && strstr(e.msg, "frame 'a' holds more than one image"));
    pgc_meta_set(&f.rec[1], "name", "truth", &e); /* 8 x 8 is not n x 4 */
    EXPECT(pgc_prep_frame(&f, &o, &st, &e) == PGC_EINPUT && strstr(e.msg, "frame 'a': truth record is not f32"));
    EXPECT(f.rec[0].dims[0] == 16 && f.rec[0].dims[1] == 16); /* the image was done first */
    pgc_meta_set(&f.rec[1], "name", "other", &e);
    pgc_meta_set(&f.rec[0], "transform", "0 0 0 0 0 0", &e);
    EXPECT(pgc_prep_frame(&f, &o, &st, &e) == PGC_EINPUT && strstr(e.msg, "frame 'a': "));
    pgc_prep_state_free(&st);
    pgc_frame_free(&f);
}

/* A NIfTI-1 file of an i x j x k u8 volume of zeros. */
static unsigned char *zero_volume(int i, int j, int k, size_t *len)
{
    unsigned char h[352] = {0};
    int32_t hs = 348;
    int16_t dim[8] = {3, (int16_t)i, (int16_t)j, (int16_t)k, 1, 1, 1, 1}, dt = 2, bp = 8;
    float pix[8] = {1, 1, 1, 1, 1, 1, 1, 1}, off = 352, slope = 1;
    memcpy(h, &hs, 4), memcpy(h + 40, dim, 16), memcpy(h + 70, &dt, 2), memcpy(h + 72, &bp, 2);
    memcpy(h + 76, pix, 32), memcpy(h + 108, &off, 4), memcpy(h + 112, &slope, 4);
    memcpy(h + 344, "n+1", 4);
    size_t n = 352 + (size_t)i * j * k;
    unsigned char *raw = calloc(n, 1);
    memcpy(raw, h, 352);
    *len = n;
    return raw;
}

static void a_volume_past_the_voxel_cap_is_refused_naming_the_file_and_cap(void)
{
    /* R1: a 2 MB .nii.gz can hold 2 GiB of zeros, 8.4 GB once held as f32 */
    size_t n;
    unsigned char *raw = zero_volume(4, 4, 4, &n);
    pgc_nifti v = {0};
    pgc_err e = {{0}};
    unsetenv("PGC_MAX_VOXELS");
    EXPECT(pgc_nifti_read_mem(raw, n, "v.nii", &v, &e) == 0);
    setenv("PGC_MAX_VOXELS", "63", 1);
    EXPECT(pgc_nifti_read_mem(raw, n, "v.nii", &v, &e) == PGC_EINPUT &&
           strstr(e.msg, "cannot read 'v.nii': 4 x 4 x 4 = 64 voxels, more than the limit of 63 (PGC_MAX_VOXELS)"));
    setenv("PGC_MAX_VOXELS", "64", 1);
    EXPECT(pgc_nifti_read_mem(raw, n, "v.nii", &v, &e) == 0);
    setenv("PGC_MAX_VOXELS", "0", 1);
    EXPECT(pgc_nifti_read_mem(raw, n, "v.nii", &v, &e) == PGC_EINPUT && strstr(e.msg, "PGC_MAX_VOXELS is '0'"));
    unsetenv("PGC_MAX_VOXELS");
    uint64_t lim;
    EXPECT(pgc_nifti_voxel_limit(&lim, &e) == 0 && lim == PGC_NIFTI_DEFAULT_VOXELS);
    free(raw);
    /* the default: 1024^3 voxels (1 GiB of u8) is refused from the header alone */
    unsigned char h[352];
    raw = zero_volume(1, 1, 1, &n);
    memcpy(h, raw, 352);
    int16_t dim[4] = {3, 1024, 1024, 1024};
    memcpy(h + 40, dim, 8);
    EXPECT(pgc_nifti_read_mem(h, sizeof h, "big.nii", &v, &e) == PGC_EINPUT &&
           strstr(e.msg, "'big.nii': 1024 x 1024 x 1024 = 1073741824 voxels, more than the limit of 268435456"));
    free(raw);
    pgc_nifti_free(&v);
}

/* H1 (hostile pass): lib/ wraps a message in context as pgc_errf(e, .., "cannot read
 * '%s': %s", path, e->msg); that must read whole, not garbled by formatting onto itself. */
static void an_error_may_quote_the_message_it_replaces(void)
{
    pgc_err e;
    pgc_errf(&e, PGC_EINPUT, "matrix is singular");
    EXPECT(pgc_errf(&e, PGC_EINPUT, "cannot read '%s': %s", "v.nii", e.msg) == PGC_EINPUT);
    EXPECT(!strcmp(e.msg, "cannot read 'v.nii': matrix is singular"));
}

/* H2: the writer names only what every reader takes, dimension names too. */
static void a_dimension_name_no_reader_would_take_is_refused_when_set(void)
{
    pgc_record r = {0};
    pgc_err e;
    const char *tab[] = {"y\tx", "x"}, *utf8[] = {"\xc3\xa9", "x"}, *ok[] = {"box", "coord"};
    EXPECT(pgc_record_shape(&r, PGC_DT_U8, 2, (uint64_t[]){1, 1}, tab, &e) == PGC_EINPUT &&
           strstr(e.msg, "not printable ASCII"));
    EXPECT(pgc_record_shape(&r, PGC_DT_U8, 2, (uint64_t[]){1, 1}, utf8, &e) == PGC_EINPUT);
    EXPECT(pgc_record_shape(&r, PGC_DT_U8, 2, (uint64_t[]){1, 1}, ok, &e) == PGC_OK);
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
    RUN(iou_matching_in_linear_memory_matches_as_the_sorted_pair_list_did);
    RUN(a_frame_of_more_boxes_than_the_cap_is_refused_naming_the_cap);
    RUN(prep_frame_work_returns_its_errors_instead_of_exiting);
    RUN(a_volume_past_the_voxel_cap_is_refused_naming_the_file_and_cap);
    RUN(an_error_may_quote_the_message_it_replaces);
    RUN(a_dimension_name_no_reader_would_take_is_refused_when_set);
    return check_done();
}

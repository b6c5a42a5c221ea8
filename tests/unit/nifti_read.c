/* lib/nifti: both versions, both byte orders, every dtype, gzip, orientation sources,
 * and refusal of every kind of damaged file. Files are built here byte by byte. */
#include <stdlib.h>
#include <zlib.h>

#include "../../lib/nifti.h"
#include "check.h"

typedef struct {
    int v2, be, dt;          /* dt: NIfTI code */
    int64_t dim[8];
    double pix[8];
    double slope, inter;
    int qcode, scode;
    double quat[3], srow[12];
    int64_t vox_offset;      /* 0: right after the header */
    double (*value)(int i, int j, int k);
} spec;

typedef struct {
    unsigned char *p;
    size_t n;
} blob;

static void put(unsigned char *p, int be, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) p[be ? n - 1 - i : i] = (unsigned char)(v >> (8 * i));
}
static void put_f32(unsigned char *p, int be, double d)
{
    float f = (float)d;
    uint32_t u;
    memcpy(&u, &f, 4);
    put(p, be, u, 4);
}
static void put_f64(unsigned char *p, int be, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    put(p, be, u, 8);
}

static size_t dt_size(int dt) { return dt == 2 ? 1 : dt == 4 || dt == 512 ? 2 : dt == 64 ? 8 : 4; }

static double ijk(int i, int j, int k) { return 100 * i + 10 * j + k; }

static spec base(void)
{
    spec s = {.dt = 4, .dim = {3, 2, 5, 6, 1, 1, 1, 1}, .pix = {1, 1, 1, 1}, .value = ijk};
    return s;
}

static blob build(const spec *s)
{
    int h = s->v2 ? 540 : 348, be = s->be;
    int64_t off = s->vox_offset ? s->vox_offset : h + 4;
    size_t nvox = 1;
    for (int d = 1; d <= 3; d++) nvox *= (size_t)(s->dim[d] > 0 ? s->dim[d] : 1);
    size_t bpv = dt_size(s->dt);
    int huge = nvox > 1000000; /* headers that claim more than they hold: no data at all */
    size_t n = (size_t)(off > h + 4 ? off : h + 4) + (huge ? 1024 : nvox * bpv);
    unsigned char *p = calloc(1, n);
    put(p, be, (uint64_t)h, 4);
    if (!s->v2) {
        for (int d = 0; d < 8; d++) put(p + 40 + 2 * d, be, (uint64_t)s->dim[d], 2);
        put(p + 70, be, (uint64_t)s->dt, 2);
        put(p + 72, be, 8 * bpv, 2);
        for (int d = 0; d < 8; d++) put_f32(p + 76 + 4 * d, be, s->pix[d]);
        put_f32(p + 108, be, (double)off);
        put_f32(p + 112, be, s->slope);
        put_f32(p + 116, be, s->inter);
        put(p + 252, be, (uint64_t)s->qcode, 2);
        put(p + 254, be, (uint64_t)s->scode, 2);
        for (int q = 0; q < 3; q++) put_f32(p + 256 + 4 * q, be, s->quat[q]);
        for (int r = 0; r < 12; r++) put_f32(p + 280 + 4 * r, be, s->srow[r]);
        memcpy(p + 344, "n+1", 4);
    } else {
        memcpy(p + 4, "n+2\0\r\n\032\n", 8);
        put(p + 12, be, (uint64_t)s->dt, 2);
        put(p + 14, be, 8 * bpv, 2);
        for (int d = 0; d < 8; d++) put(p + 16 + 8 * d, be, (uint64_t)s->dim[d], 8);
        for (int d = 0; d < 8; d++) put_f64(p + 104 + 8 * d, be, s->pix[d]);
        put(p + 168, be, (uint64_t)off, 8);
        put_f64(p + 176, be, s->slope);
        put_f64(p + 184, be, s->inter);
        put(p + 344, be, (uint64_t)s->qcode, 4);
        put(p + 348, be, (uint64_t)s->scode, 4);
        for (int q = 0; q < 3; q++) put_f64(p + 352 + 8 * q, be, s->quat[q]);
        for (int r = 0; r < 12; r++) put_f64(p + 400 + 8 * r, be, s->srow[r]);
    }
    unsigned char *d = p + (off > h + 4 ? off : h + 4);
    size_t at = 0;
    if (huge) return (blob){p, n};
    for (int k = 0; k < (s->dim[3] > 0 ? s->dim[3] : 1); k++)
        for (int j = 0; j < s->dim[2]; j++)
            for (int i = 0; i < s->dim[1]; i++, at++) {
                double x = s->value(i, j, k);
                unsigned char *q = d + at * bpv;
                switch (s->dt) {
                case 2: case 4: case 512: case 8: put(q, be, (uint64_t)(int64_t)x, (int)bpv); break;
                case 16: put_f32(q, be, x); break;
                case 64: put_f64(q, be, x); break;
                default: break; /* a dtype the reader must refuse: no data needed */
                }
            }
    return (blob){p, n};
}

static blob gzip_of(blob b)
{
    z_stream z = {0};
    deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    size_t cap = deflateBound(&z, b.n) + 64;
    unsigned char *out = malloc(cap);
    z.next_in = b.p, z.avail_in = (uInt)b.n, z.next_out = out, z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    blob g = {out, cap - z.avail_out};
    deflateEnd(&z);
    return g;
}

static int values_are_ijk(const pgc_nifti *v, double scale, double shift)
{
    int bad = 0;
    for (size_t k = 0; k < v->dims[2]; k++)
        for (size_t j = 0; j < v->dims[1]; j++)
            for (size_t i = 0; i < v->dims[0]; i++) {
                float got = v->data[(k * v->dims[1] + j) * v->dims[0] + i];
                bad += fabs(got - (ijk((int)i, (int)j, (int)k) * scale + shift)) > 1e-4;
            }
    return bad == 0;
}

static void little_endian_nifti1_reads_voxels_in_i_fastest_order(void)
{
    spec s = base();
    blob b = build(&s);
    pgc_nifti v = {0};
    pgc_err e;
    EXPECT(pgc_nifti_read_mem(b.p, b.n, "a.nii", &v, &e) == PGC_OK);
    EXPECT(v.version == 1 && !v.big_endian && v.dims[0] == 2 && v.dims[1] == 5 && v.dims[2] == 6);
    EXPECT(values_are_ijk(&v, 1, 0));
    EXPECT_STR(v.method, "none");
    EXPECT(v.m[0][0] == 1 && v.m[1][1] == 1 && v.m[2][2] == 1 && v.m[0][1] == 0);
    pgc_nifti_free(&v);
    free(b.p);
}

static void every_dtype_in_both_byte_orders_and_versions_reads_the_same(void)
{
    int dts[] = {2, 4, 512, 8, 16, 64}, ok = 1;
    pgc_nifti v = {0};
    for (int d = 0; d < 6; d++)
        for (int be = 0; be < 2; be++)
            for (int v2 = 0; v2 < 2; v2++) {
                spec s = base();
                s.dt = dts[d], s.be = be, s.v2 = v2;
                blob b = build(&s);
                pgc_err e;
                if (pgc_nifti_read_mem(b.p, b.n, "x", &v, &e) != PGC_OK || !values_are_ijk(&v, 1, 0) ||
                    v.version != 1 + v2 || v.big_endian != be || v.datatype != dts[d]) {
                    printf("#   dtype %d be %d v2 %d: %s\n", dts[d], be, v2, e.msg);
                    ok = 0;
                }
                free(b.p);
            }
    EXPECT(ok);
    pgc_nifti_free(&v);
}

static double big_u16(int i, int j, int k) { return 65535 - (i + j + k); }

static void unsigned_16_bit_values_above_32767_survive(void)
{
    spec s = base();
    s.dt = 512, s.value = big_u16;
    blob b = build(&s);
    pgc_nifti v = {0};
    EXPECT(pgc_nifti_read_mem(b.p, b.n, "u16", &v, NULL) == PGC_OK);
    EXPECT(v.data && v.data[0] == 65535 && v.data[1] == 65534);
    pgc_nifti_free(&v);
    free(b.p);
}

static void scl_slope_and_inter_apply_and_slope_zero_means_none(void)
{
    spec s = base();
    s.slope = 0.5, s.inter = -3;
    blob b = build(&s);
    pgc_nifti v = {0};
    EXPECT(pgc_nifti_read_mem(b.p, b.n, "scl", &v, NULL) == PGC_OK);
    EXPECT(values_are_ijk(&v, 0.5, -3));
    free(b.p);
    s.slope = 0, s.inter = 7;
    b = build(&s);
    EXPECT(pgc_nifti_read_mem(b.p, b.n, "scl0", &v, NULL) == PGC_OK);
    EXPECT(values_are_ijk(&v, 1, 0));
    pgc_nifti_free(&v);
    free(b.p);
}

static void gzip_is_told_by_its_magic_and_members_may_be_concatenated(void)
{
    spec s = base();
    s.v2 = 1, s.be = 1, s.dt = 16;
    blob b = build(&s), g = gzip_of(b);
    pgc_nifti v = {0};
    pgc_err e;
    EXPECT(pgc_nifti_read_mem(g.p, g.n, "a.nii", &v, &e) == PGC_OK && values_are_ijk(&v, 1, 0));
    /* the same bytes split into two gzip members */
    blob h1 = {b.p, 600}, h2 = {b.p + 600, b.n - 600};
    blob g1 = gzip_of(h1), g2 = gzip_of(h2);
    unsigned char *cat = malloc(g1.n + g2.n);
    memcpy(cat, g1.p, g1.n), memcpy(cat + g1.n, g2.p, g2.n);
    EXPECT(pgc_nifti_read_mem(cat, g1.n + g2.n, "two", &v, &e) == PGC_OK && values_are_ijk(&v, 1, 0));
    pgc_nifti_free(&v);
    free(b.p), free(g.p), free(g1.p), free(g2.p), free(cat);
}

static void sform_wins_over_qform_and_qform_over_nothing(void)
{
    spec s = base();
    s.pix[1] = 2, s.pix[2] = 3, s.pix[3] = 4;
    s.qcode = 1, s.quat[2] = 1; /* 180 degrees about z: i -> -x, j -> -y */
    blob b = build(&s);
    pgc_nifti v = {0};
    EXPECT(pgc_nifti_read_mem(b.p, b.n, "q", &v, NULL) == PGC_OK);
    EXPECT_STR(v.method, "qform");
    EXPECT_NEAR(v.m[0][0], -2, 1e-6);
    EXPECT_NEAR(v.m[1][1], -3, 1e-6);
    EXPECT_NEAR(v.m[2][2], 4, 1e-6);
    free(b.p);
    s.pix[0] = -1; /* qfac -1 flips k */
    b = build(&s);
    EXPECT(pgc_nifti_read_mem(b.p, b.n, "q", &v, NULL) == PGC_OK);
    EXPECT_NEAR(v.m[2][2], -4, 1e-6);
    free(b.p);
    s.scode = 1;
    double rows[12] = {0, 1, 0, 5, 0, 0, 1, 6, 1, 0, 0, 7};
    memcpy(s.srow, rows, sizeof rows);
    b = build(&s);
    EXPECT(pgc_nifti_read_mem(b.p, b.n, "s", &v, NULL) == PGC_OK);
    EXPECT_STR(v.method, "sform");
    EXPECT(v.m[0][1] == 1 && v.m[2][0] == 1 && v.offset[2] == 7);
    free(b.p);
    memset(s.srow, 0, sizeof s.srow); /* an unusable sform falls back to the qform */
    b = build(&s);
    EXPECT(pgc_nifti_read_mem(b.p, b.n, "s0", &v, NULL) == PGC_OK);
    EXPECT_STR(v.method, "qform");
    pgc_nifti_free(&v);
    free(b.p);
}

static void header_extensions_are_skipped(void)
{
    spec s = base();
    s.vox_offset = 2880;
    blob b = build(&s);
    pgc_nifti v = {0};
    EXPECT(pgc_nifti_read_mem(b.p, b.n, "ext", &v, NULL) == PGC_OK && values_are_ijk(&v, 1, 0));
    pgc_nifti_free(&v);
    free(b.p);
}

static void every_truncation_fails_cleanly(void)
{
    spec s = base();
    blob b = build(&s), g = gzip_of(b);
    pgc_nifti v = {0};
    pgc_err e;
    int bad = 0;
    for (size_t n = 0; n < b.n; n += 7)
        bad += pgc_nifti_read_mem(b.p, n, "t", &v, &e) != PGC_EINPUT;
    for (size_t n = 0; n < g.n; n++)
        bad += pgc_nifti_read_mem(g.p, n, "t.gz", &v, &e) != PGC_EINPUT;
    EXPECT(bad == 0);
    EXPECT(pgc_nifti_read_mem(g.p, g.n - 3, "t.gz", &v, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "'t.gz'") && strstr(e.msg, "truncated"));
    EXPECT(pgc_nifti_read_mem(b.p, b.n - 1, "t.nii", &v, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "truncated"));
    pgc_nifti_free(&v);
    free(b.p), free(g.p);
}

static void damaged_gzip_is_refused(void)
{
    spec s = base();
    blob b = build(&s), g = gzip_of(b);
    pgc_nifti v = {0};
    pgc_err e;
    g.p[g.n - 6] ^= 0x55; /* the CRC in the trailer */
    EXPECT(pgc_nifti_read_mem(g.p, g.n, "crc.gz", &v, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "corrupt gzip"));
    g.p[g.n - 6] ^= 0x55;
    g.p[3] = 0xff; /* reserved flag bits of the gzip header */
    EXPECT(pgc_nifti_read_mem(g.p, g.n, "hdr.gz", &v, &e) == PGC_EINPUT);
    pgc_nifti_free(&v);
    free(b.p), free(g.p);
}

/* Each damaged header is refused with a message holding want. */
static void refuse(spec s, const char *want)
{
    blob b = build(&s);
    pgc_nifti v = {0};
    pgc_err e = {{0}};
    int rc = pgc_nifti_read_mem(b.p, b.n, "bad.nii", &v, &e);
    if (rc != PGC_EINPUT || !strstr(e.msg, want) || !strstr(e.msg, "'bad.nii'"))
        printf("#   wanted '%s', got %d '%s'\n", want, rc, e.msg);
    EXPECT(rc == PGC_EINPUT && strstr(e.msg, want));
    EXPECT(v.data == NULL); /* refused before allocating */
    free(b.p);
}

static void bad_dims_offsets_and_types_are_refused_before_allocating(void)
{
    spec s = base();
    s.dim[0] = 0;
    refuse(s, "dim[0]");
    s = base(), s.dim[0] = 8;
    refuse(s, "dim[0]");
    s = base(), s.dim[2] = 0;
    refuse(s, "dim[2] is 0");
    s = base(), s.dim[1] = -4;
    refuse(s, "dim[1] is -4");
    s = base(), s.v2 = 1, s.dim[1] = 1 << 20, s.dim[2] = 1 << 12; /* 2^32 voxels */
    refuse(s, "2^31");
    s = base(), s.dim[0] = 4, s.dim[4] = 3;
    refuse(s, "4-d");
    s = base(), s.vox_offset = 100;
    refuse(s, "vox_offset");
    s = base(), s.dt = 1280;
    refuse(s, "datatype 1280");
    s = base(), s.v2 = 1, s.dim[1] = 600, s.dim[2] = 600, s.dim[3] = 600; /* far past the end, under the voxel cap */
    refuse(s, "truncated");
}

static void inconsistent_or_foreign_headers_are_refused(void)
{
    spec s = base();
    blob b = build(&s);
    pgc_nifti v = {0};
    pgc_err e;
    b.p[72] = 9; /* bitpix */
    EXPECT(pgc_nifti_read_mem(b.p, b.n, "bp", &v, &e) == PGC_EINPUT && strstr(e.msg, "bitpix"));
    b.p[72] = 16;
    memcpy(b.p + 344, "ni1", 4);
    EXPECT(pgc_nifti_read_mem(b.p, b.n, "pair", &v, &e) == PGC_EINPUT && strstr(e.msg, ".hdr/.img"));
    memcpy(b.p + 344, "xyz", 4);
    EXPECT(pgc_nifti_read_mem(b.p, b.n, "mg", &v, &e) == PGC_EINPUT && strstr(e.msg, "magic"));
    b.p[0] = 99;
    EXPECT(pgc_nifti_read_mem(b.p, b.n, "sz", &v, &e) == PGC_EINPUT && strstr(e.msg, "not a NIfTI"));
    EXPECT(!pgc_nifti_sniff(b.p, b.n));
    free(b.p);
    s.v2 = 1;
    b = build(&s);
    EXPECT(pgc_nifti_sniff(b.p, b.n));
    memcpy(b.p + 8, "\n\032\n\0", 4); /* CR LF became LF */
    EXPECT(pgc_nifti_read_mem(b.p, b.n, "crlf", &v, &e) == PGC_EINPUT && strstr(e.msg, "CR/LF"));
    pgc_nifti_free(&v);
    free(b.p);
}

static double nan_at_3(int i, int j, int k) { return i == 1 && j == 3 && k == 0 ? NAN : 1; }

static void nan_voxels_are_refused(void)
{
    spec s = base();
    s.dt = 16, s.value = nan_at_3;
    blob b = build(&s);
    pgc_nifti v = {0};
    pgc_err e;
    EXPECT(pgc_nifti_read_mem(b.p, b.n, "nan", &v, &e) == PGC_EINPUT && strstr(e.msg, "NaN"));
    pgc_nifti_free(&v);
    free(b.p);
}

/* ---- the per-slice reader */

/* Reads b whole and per slice: 1 when every slice the stream gives equals that slice of
 * the whole volume, the header fields agree, and the stream ends after dims[2]. */
static int stream_matches_whole(blob b, const char *name)
{
    pgc_nifti w = {0}, v = {0};
    pgc_nifti_stream *st = NULL;
    pgc_err e;
    int ok = pgc_nifti_read_mem(b.p, b.n, name, &w, &e) == PGC_OK &&
             pgc_nifti_stream_open_mem(b.p, b.n, name, &v, &st, &e) == PGC_OK;
    ok = ok && v.dims[0] == w.dims[0] && v.dims[1] == w.dims[1] && v.dims[2] == w.dims[2] &&
         v.datatype == w.datatype && v.scl_slope == w.scl_slope && !strcmp(v.method, w.method) &&
         !memcmp(v.m, w.m, sizeof v.m);
    size_t n = w.dims[0] * w.dims[1];
    for (size_t k = 0; ok && k < w.dims[2]; k++)
        ok = pgc_nifti_stream_next(st, &e) == 1 && pgc_nifti_stream_index(st) == k + 1 &&
             !memcmp(v.data, w.data + k * n, n * sizeof *v.data);
    ok = ok && pgc_nifti_stream_next(st, &e) == 0 && pgc_nifti_stream_next(st, &e) == 0;
    if (!ok) printf("#   %s: %s\n", name, e.msg);
    pgc_nifti_stream_close(st);
    pgc_nifti_free(&v);
    pgc_nifti_free(&w);
    return ok;
}

static void the_per_slice_reader_gives_the_whole_readers_values_slice_by_slice(void)
{
    int dts[] = {2, 4, 512, 8, 16, 64}, ok = 1;
    for (int d = 0; d < 6; d++)
        for (int be = 0; be < 2; be++)
            for (int v2 = 0; v2 < 2; v2++)
                for (int gz = 0; gz < 2; gz++) {
                    spec s = base();
                    s.dt = dts[d], s.be = be, s.v2 = v2;
                    blob b = build(&s), g = gz ? gzip_of(b) : b;
                    char name[64];
                    snprintf(name, sizeof name, "dt%d-be%d-v%d-gz%d", dts[d], be, 1 + v2, gz);
                    ok &= stream_matches_whole(g, name);
                    if (gz) free(g.p);
                    free(b.p);
                }
    EXPECT(ok);
}

static void the_per_slice_reader_applies_scl_slope_to_a_big_endian_i16_file(void)
{
    spec s = base();
    s.be = 1, s.dt = 4, s.slope = 0.5, s.inter = -3;
    s.vox_offset = 400; /* an extension to skip, too */
    blob b = build(&s), g = gzip_of(b);
    pgc_nifti v = {0};
    pgc_nifti_stream *st;
    pgc_err e;
    EXPECT(pgc_nifti_stream_open_mem(b.p, b.n, "be.nii", &v, &st, &e) == PGC_OK);
    EXPECT(v.big_endian && v.datatype == 4 && v.scl_slope == 0.5 && v.scl_inter == -3);
    int bad = 0;
    for (size_t k = 0; k < v.dims[2]; k++) {
        EXPECT(pgc_nifti_stream_next(st, &e) == 1);
        for (size_t j = 0; j < v.dims[1]; j++)
            for (size_t i = 0; i < v.dims[0]; i++)
                bad += v.data[j * v.dims[0] + i] != (float)(ijk((int)i, (int)j, (int)k) * 0.5 - 3);
    }
    EXPECT(bad == 0);
    EXPECT(pgc_nifti_stream_next(st, &e) == 0);
    pgc_nifti_stream_close(st);
    EXPECT(stream_matches_whole(b, "be.nii") && stream_matches_whole(g, "be.nii.gz"));
    pgc_nifti_free(&v);
    free(b.p), free(g.p);
}

static void the_per_slice_reader_holds_the_voxel_cap_against_one_slice(void)
{
    spec s = base(); /* 2 x 5 x 6: 10 voxels a slice, 60 in all */
    blob b = build(&s);
    pgc_nifti v = {0};
    pgc_nifti_stream *st;
    pgc_err e;
    setenv("PGC_MAX_VOXELS", "10", 1);
    EXPECT(pgc_nifti_read_mem(b.p, b.n, "cap.nii", &v, &e) == PGC_EINPUT); /* whole: 60 */
    EXPECT(pgc_nifti_stream_open_mem(b.p, b.n, "cap.nii", &v, &st, &e) == PGC_OK);
    int slices = 0;
    while (pgc_nifti_stream_next(st, &e) == 1) slices++;
    EXPECT(slices == 6 && v.cap == 10); /* one slice held, never more */
    pgc_nifti_stream_close(st);
    setenv("PGC_MAX_VOXELS", "9", 1);
    EXPECT(pgc_nifti_stream_open_mem(b.p, b.n, "cap.nii", &v, &st, &e) == PGC_EINPUT && st == NULL);
    EXPECT(!strcmp(e.msg, "cannot read 'cap.nii': a slice of 2 x 5 = 10 voxels, more than the "
                          "limit of 9 (PGC_MAX_VOXELS)"));
    unsetenv("PGC_MAX_VOXELS");
    pgc_nifti_free(&v);
    free(b.p);
}

static void a_stream_cut_short_gives_its_slices_then_one_error_again_and_again(void)
{
    spec s = base();
    s.dim[1] = 40, s.dim[2] = 40; /* slices of 3200 bytes, bigger than a gzip window's worth */
    blob b = build(&s), g = gzip_of(b);
    pgc_nifti v = {0};
    pgc_nifti_stream *st;
    pgc_err e;
    /* plain, cut in the middle of slice 3 (the whole reader refuses it from the size) */
    size_t cut = 352 + 3 * 3200 + 1000;
    EXPECT(pgc_nifti_stream_open_mem(b.p, cut, "cut.nii", &v, &st, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "'cut.nii': truncated file"));
    /* gzip cut short: the size cannot tell, so the slices before the cut come out */
    EXPECT(pgc_nifti_stream_open_mem(g.p, g.n / 2, "cut.gz", &v, &st, &e) == PGC_OK);
    int slices = 0, rc;
    while ((rc = pgc_nifti_stream_next(st, &e)) == 1) slices++;
    EXPECT(rc == PGC_EINPUT && slices >= 1 && slices < 6);
    EXPECT(strstr(e.msg, "cannot read 'cut.gz': truncated") != NULL);
    pgc_err again;
    EXPECT(pgc_nifti_stream_next(st, &again) == PGC_EINPUT && !strcmp(again.msg, e.msg));
    pgc_nifti_stream_close(st);
    /* a damaged CRC: found where inflate reaches the trailer, with the last slice or
     * after it, never passed over */
    g.p[g.n - 6] ^= 0x55;
    EXPECT(pgc_nifti_stream_open_mem(g.p, g.n, "crc.gz", &v, &st, &e) == PGC_OK);
    slices = 0;
    while ((rc = pgc_nifti_stream_next(st, &e)) == 1) slices++;
    EXPECT(slices >= 5 && rc == PGC_EINPUT && strstr(e.msg, "'crc.gz': corrupt gzip"));
    pgc_nifti_stream_close(st);
    pgc_nifti_free(&v);
    free(b.p), free(g.p);
}

static void a_nan_voxel_stops_the_stream_at_its_slice_naming_the_voxel(void)
{
    spec s = base();
    s.dt = 16, s.value = nan_at_3; /* voxel (1, 3, 0): index 7, in slice 0 */
    blob b = build(&s);
    pgc_nifti v = {0}, w = {0};
    pgc_nifti_stream *st;
    pgc_err e, ew;
    EXPECT(pgc_nifti_stream_open_mem(b.p, b.n, "nan", &v, &st, &e) == PGC_OK);
    EXPECT(pgc_nifti_stream_next(st, &e) == PGC_EINPUT);
    EXPECT(pgc_nifti_read_mem(b.p, b.n, "nan", &w, &ew) == PGC_EINPUT && !strcmp(e.msg, ew.msg));
    pgc_nifti_stream_close(st);
    pgc_nifti_free(&v), pgc_nifti_free(&w);
    free(b.p);
}

int main(void)
{
    RUN(little_endian_nifti1_reads_voxels_in_i_fastest_order);
    RUN(every_dtype_in_both_byte_orders_and_versions_reads_the_same);
    RUN(unsigned_16_bit_values_above_32767_survive);
    RUN(scl_slope_and_inter_apply_and_slope_zero_means_none);
    RUN(gzip_is_told_by_its_magic_and_members_may_be_concatenated);
    RUN(sform_wins_over_qform_and_qform_over_nothing);
    RUN(header_extensions_are_skipped);
    RUN(every_truncation_fails_cleanly);
    RUN(damaged_gzip_is_refused);
    RUN(bad_dims_offsets_and_types_are_refused_before_allocating);
    RUN(inconsistent_or_foreign_headers_are_refused);
    RUN(nan_voxels_are_refused);
    RUN(the_per_slice_reader_gives_the_whole_readers_values_slice_by_slice);
    RUN(the_per_slice_reader_applies_scl_slope_to_a_big_endian_i16_file);
    RUN(the_per_slice_reader_holds_the_voxel_cap_against_one_slice);
    RUN(a_stream_cut_short_gives_its_slices_then_one_error_again_and_again);
    RUN(a_nan_voxel_stops_the_stream_at_its_slice_naming_the_voxel);
    return check_done();
}

/* lib/npy: headers written are what NumPy expects; headers read are checked. */
#include "../../lib/npy.h"
#include "check.h"

static void written_headers_are_padded_to_64_and_end_with_a_newline(void)
{
    char buf[512];
    size_t len;
    uint64_t dims[3] = {3, 224, 224};
    EXPECT(pgc_npy_header(PGC_DT_F32, 3, dims, buf, sizeof buf, &len, NULL) == PGC_OK);
    EXPECT(len % 64 == 0 && buf[len - 1] == '\n');
    EXPECT(!memcmp(buf, "\x93NUMPY\x01\x00", 8));
    EXPECT((size_t)((unsigned char)buf[8] | (unsigned char)buf[9] << 8) == len - 10);
    EXPECT(strstr(buf + 10, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 224, 224), }"));
}

static void one_and_zero_dims_use_python_tuple_syntax(void)
{
    char buf[512];
    size_t len;
    uint64_t one[1] = {2};
    EXPECT(pgc_npy_header(PGC_DT_U8, 1, one, buf, sizeof buf, &len, NULL) == PGC_OK);
    EXPECT(strstr(buf + 10, "'descr': '|u1'") && strstr(buf + 10, "'shape': (2,)"));
    EXPECT(pgc_npy_header(PGC_DT_F64, 0, one, buf, sizeof buf, &len, NULL) == PGC_OK);
    EXPECT(strstr(buf + 10, "'shape': ()"));
}

static void written_headers_parse_back(void)
{
    pgc_dtype types[] = {PGC_DT_U8, PGC_DT_U16, PGC_DT_I16, PGC_DT_I32, PGC_DT_F32, PGC_DT_F64};
    uint64_t dims[4] = {0, 4, 5, 6};
    int ok = 1;
    for (int t = 0; t < 6; t++)
        for (int rank = 0; rank <= 4; rank++) {
            char buf[512];
            size_t len;
            pgc_npy n;
            if (pgc_npy_header(types[t], rank, dims, buf, sizeof buf, &len, NULL) ||
                pgc_npy_parse(buf, len, "x", &n, NULL) || n.dtype != types[t] || n.rank != rank ||
                n.data_offset != len || n.big_endian)
                ok = 0;
            for (int i = 0; i < rank; i++) ok &= n.dims[i] == dims[i];
        }
    EXPECT(ok);
}

static void version_2_and_big_endian_headers_are_read(void)
{
    const char h[] = "\x93NUMPY\x02\x00\x3c\x00\x00\x00"
                     "{'descr': '>i2', 'fortran_order': False, 'shape': (7, 3), }        \n";
    pgc_npy n;
    pgc_err e;
    EXPECT(pgc_npy_parse(h, sizeof h - 1, "v2", &n, &e) == PGC_OK);
    EXPECT(n.dtype == PGC_DT_I16 && n.big_endian && n.rank == 2 && n.dims[0] == 7 && n.dims[1] == 3);
    EXPECT(n.data_offset == 72 && n.data_bytes == 42);
}

/* A v1.0 file's first bytes around dict (header length set right), in buf. */
static size_t v1(const char *dict, char *buf)
{
    size_t n = strlen(dict);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (char)(n & 0xff), buf[9] = (char)(n >> 8);
    memcpy(buf + 10, dict, n);
    return 10 + n;
}

static void bad_headers_are_refused_for_what_is_wrong(void)
{
    static const struct { const char *dict, *why; } bad[] = {
        {"{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", "dtype '<c8'"},
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", "fortran"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3, 4, 5), }", "0..4 dims"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", "0..4 dims"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (65536, 65536), }", "2 GiB"},
        {"{'descr': '<f4', 'fortran_order': False}", "without a shape"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2; 3), }", "bad .npy shape"},
    };
    int ok = 1;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char buf[256];
        size_t len = v1(bad[i].dict, buf);
        pgc_npy n;
        pgc_err e = {{0}};
        if (pgc_npy_parse(buf, len, "bad.npy", &n, &e) != PGC_EINPUT || !strstr(e.msg, bad[i].why) ||
            !strstr(e.msg, "'bad.npy'")) {
            printf("#   %s: '%s'\n", bad[i].dict, e.msg);
            ok = 0;
        }
    }
    EXPECT(ok);
}

static void wrong_magic_versions_and_short_headers_are_refused(void)
{
    char buf[256];
    size_t len = v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", buf);
    pgc_npy n;
    pgc_err e;
    EXPECT(pgc_npy_parse(buf, len - 1, "s", &n, &e) == PGC_EINPUT && strstr(e.msg, "truncated"));
    buf[6] = 9;
    EXPECT(pgc_npy_parse(buf, len, "s", &n, &e) == PGC_EINPUT && strstr(e.msg, "version 9"));
    buf[6] = 1, buf[1] = 'X';
    EXPECT(pgc_npy_parse(buf, len, "s", &n, &e) == PGC_EINPUT && strstr(e.msg, "not a .npy"));
}

int main(void)
{
    RUN(written_headers_are_padded_to_64_and_end_with_a_newline);
    RUN(one_and_zero_dims_use_python_tuple_syntax);
    RUN(written_headers_parse_back);
    RUN(version_2_and_big_endian_headers_are_read);
    RUN(bad_headers_are_refused_for_what_is_wrong);
    RUN(wrong_magic_versions_and_short_headers_are_refused);
    return check_done();
}

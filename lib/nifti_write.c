#include "nifti_write.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "atomic_file.h"

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put_i16(unsigned char *b, size_t off, long v) { put_le(b + off, (uint64_t)(int64_t)v, 2); }
static void put_i32(unsigned char *b, size_t off, long v) { put_le(b + off, (uint64_t)(int64_t)v, 4); }
static void put_i64(unsigned char *b, size_t off, int64_t v) { put_le(b + off, (uint64_t)v, 8); }
static void put_f32(unsigned char *b, size_t off, double v)
{
    float f = (float)v;
    uint32_t u;
    memcpy(&u, &f, 4);
    put_le(b + off, u, 4);
}
static void put_f64(unsigned char *b, size_t off, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    put_le(b + off, u, 8);
}

/* pixdim[i] as stored, but a voxel size of 0 as the size it was read as (lib/nifti.h). */
static double pixdim_out(const pgc_nifti *g, int i)
{
    return i >= 1 && i <= 3 && g->pixdim_raw[i] == 0 ? PGC_NIFTI_ZERO_PIXDIM : g->pixdim_raw[i];
}

size_t pgc_nifti_header_f32(const pgc_nifti *g, const char *descrip, unsigned char *b)
{
    memset(b, 0, PGC_NIFTI_WRITE_HDR_MAX);
    int dim0 = g->dim0 >= 1 && g->dim0 <= 3 ? g->dim0 : 3;
    int64_t dim[8] = {dim0, 1, 1, 1, 1, 1, 1, 1};
    for (int i = 0; i < 3; i++) dim[i + 1] = (int64_t)g->dims[i];
    char text[80] = {0};
    if (descrip) strncpy(text, descrip, sizeof text - 1);
    if (g->version == 2) {
        put_i32(b, 0, 540);
        memcpy(b + 4, "n+2\0\r\n\032\n", 8);
        put_i16(b, 12, 16); /* datatype float32 */
        put_i16(b, 14, 32); /* bitpix */
        for (int i = 0; i < 8; i++) put_i64(b, 16 + 8 * (size_t)i, dim[i]);
        for (int i = 0; i < 8; i++) put_f64(b, 104 + 8 * (size_t)i, pixdim_out(g, i));
        put_i64(b, 168, 544);
        put_f64(b, 176, 1), put_f64(b, 184, 0);
        memcpy(b + 240, text, 80);
        put_i32(b, 344, g->qform_code), put_i32(b, 348, g->sform_code);
        for (int i = 0; i < 3; i++) put_f64(b, 352 + 8 * (size_t)i, g->quatern[i]);
        for (int i = 0; i < 3; i++) put_f64(b, 376 + 8 * (size_t)i, g->qoffset[i]);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++) put_f64(b, 400 + 32 * (size_t)i + 8 * (size_t)j, g->srow[i][j]);
        put_i32(b, 500, g->xyzt_units);
        b[524] = (unsigned char)g->dim_info;
        return 544; /* 540 and 4 bytes of extension flags, all zero */
    }
    put_i32(b, 0, 348);
    b[38] = 'r';
    b[39] = (unsigned char)g->dim_info;
    for (int i = 0; i < 8; i++) put_i16(b, 40 + 2 * (size_t)i, (long)dim[i]);
    put_i16(b, 70, 16);
    put_i16(b, 72, 32);
    for (int i = 0; i < 8; i++) put_f32(b, 76 + 4 * (size_t)i, pixdim_out(g, i));
    put_f32(b, 108, 352);
    put_f32(b, 112, 1), put_f32(b, 116, 0);
    b[123] = (unsigned char)g->xyzt_units;
    memcpy(b + 148, text, 80);
    put_i16(b, 252, g->qform_code), put_i16(b, 254, g->sform_code);
    for (int i = 0; i < 3; i++) put_f32(b, 256 + 4 * (size_t)i, g->quatern[i]);
    for (int i = 0; i < 3; i++) put_f32(b, 268 + 4 * (size_t)i, g->qoffset[i]);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) put_f32(b, 280 + 16 * (size_t)i + 4 * (size_t)j, g->srow[i][j]);
    memcpy(b + 344, "n+1\0", 4);
    return 352;
}

/* A sink for bytes: the plain file descriptor or a gzip stream on it. */
typedef struct {
    pgc_atomic_file *a; /* raw output: its temporary file */
    gzFile gz;          /* or gzip on a copy of its descriptor */
} sink;

/* Writes n bytes at p; the raw file's errors are pgc_atomic_write's, gzip's worded here. */
static int sink_write(sink *s, const void *p, size_t n, pgc_err *e)
{
    if (!s->gz) return pgc_atomic_write(s->a, p, n, e);
    const unsigned char *c = p;
    while (n > 0) {
        size_t k = n > (1u << 30) ? 1u << 30 : n;
        int w = gzwrite(s->gz, c, (unsigned)k);
        if (w <= 0) {
            int zerr;
            const char *why = gzerror(s->gz, &zerr);
            return pgc_errf(e, PGC_EINPUT, "cannot write '%s': %s", s->a->path,
                            zerr == Z_ERRNO ? strerror(errno) : why);
        }
        c += (size_t)w, n -= (size_t)w;
    }
    return PGC_OK;
}

int pgc_nifti_write_f32(const char *path, const pgc_nifti *grid, const char *descrip,
                        const float *data, int replace, pgc_err *e)
{
    size_t voxels = grid->dims[0] * grid->dims[1] * grid->dims[2];
    if (grid->version == 1)
        for (int i = 0; i < 3; i++)
            if (grid->dims[i] > 32767)
                return pgc_errf(e, PGC_EINPUT, "cannot write '%s': dim %zu does not fit NIfTI-1",
                                path, grid->dims[i]);
    size_t n = strlen(path);
    int gz = n > 3 && !strcmp(path + n - 3, ".gz");
    pgc_atomic_file a;
    int rc = pgc_atomic_open(&a, path, replace, e);
    if (rc) return rc;
    sink s = {&a, NULL};
    if (gz) {
        int fd2 = dup(a.fd);
        if (fd2 < 0 || !(s.gz = gzdopen(fd2, "wb1"))) {
            if (fd2 >= 0) close(fd2);
            pgc_atomic_abort(&a);
            return pgc_errf(e, PGC_ENOMEM, "cannot write '%s': out of memory", path);
        }
    }
    unsigned char hdr[PGC_NIFTI_WRITE_HDR_MAX];
    size_t hlen = pgc_nifti_header_f32(grid, descrip, hdr);
    rc = sink_write(&s, hdr, hlen, e);
    unsigned char buf[65536];
    for (size_t done = 0; !rc && done < voxels;) {
        size_t k = voxels - done < sizeof buf / 4 ? voxels - done : sizeof buf / 4;
        for (size_t i = 0; i < k; i++) {
            uint32_t u;
            memcpy(&u, &data[done + i], 4);
            put_le(buf + 4 * i, u, 4);
        }
        rc = sink_write(&s, buf, 4 * k, e);
        done += k;
    }
    /* gzclose flushes the last block: its failure is a write error too */
    if (s.gz && gzclose(s.gz) != Z_OK && !rc)
        rc = pgc_errf(e, PGC_EINPUT, "cannot write '%s': %s", path, errno ? strerror(errno) : "gzip failed");
    if (rc) {
        pgc_atomic_abort(&a);
        return rc;
    }
    return pgc_atomic_commit(&a, e);
}

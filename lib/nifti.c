/* NIfTI reader: header (either version, either byte order), checks, then the data
 * streamed in chunks from a plain or gzip source into f32, whole or one k-slice at a
 * time; both readers share the header and its checks (read_head) and the data loop
 * (read_voxels). */
#include "nifti.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define CHUNK 65536
#define DEFLATE_MAX_RATIO 1040u  /* deflate cannot do better than ~1032:1 */
#define DRAIN_MAX (4u << 20)     /* bytes inflated past the data to reach the gzip trailer */

/* ---- byte source: a file or memory, gzip or plain ----------------------------------- */

typedef struct {
    FILE *f;                  /* file input, or NULL for memory */
    const unsigned char *mem;
    size_t mem_len, mem_pos;
    uint64_t in_size;         /* bytes of input as stored, 0 when unknown */
    const char *name;
    int gz;
    int z_live, z_end;        /* inflate initialised; the last member ended */
    z_stream z;
    unsigned char in[CHUNK];
    size_t in_len, in_pos;    /* plain input buffered in `in` */
} src;

/* Reads up to n stored bytes. Returns the count (0 at the end) or -1 on an I/O error. */
static long src_raw(src *s, unsigned char *out, size_t n)
{
    if (!s->f) {
        size_t k = s->mem_len - s->mem_pos < n ? s->mem_len - s->mem_pos : n;
        if (k) memcpy(out, s->mem + s->mem_pos, k);
        s->mem_pos += k;
        return (long)k;
    }
    size_t k = fread(out, 1, n, s->f);
    if (k < n && ferror(s->f)) return -1;
    return (long)k;
}

static int src_fail_io(src *s, pgc_err *e)
{
    return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", s->name, strerror(errno));
}

/* Feeds the inflater more input; 0 when there is none left. */
static int src_fill(src *s, pgc_err *e)
{
    long k = src_raw(s, s->in, CHUNK);
    if (k < 0) return src_fail_io(s, e);
    s->z.next_in = s->in;
    s->z.avail_in = (uInt)k;
    return k > 0;
}

/* Reads exactly n uncompressed bytes into out (or discards them when out is NULL). */
static int src_read(src *s, void *out, size_t n, const char *what, pgc_err *e)
{
    unsigned char scratch[4096];
    unsigned char *o = out;
    while (n > 0) {
        size_t want = out ? n : (n < sizeof scratch ? n : sizeof scratch);
        unsigned char *dst = out ? o : scratch;
        if (want > (1u << 30)) want = 1u << 30;
        size_t got = 0;
        if (!s->gz) {
            long k = src_raw(s, dst, want);
            if (k < 0) return src_fail_io(s, e);
            if (k == 0)
                return pgc_errf(e, PGC_EINPUT, "cannot read '%s': truncated file (ends inside "
                                "the %s)", s->name, what);
            got = (size_t)k;
        } else {
            if (s->z_end)
                return pgc_errf(e, PGC_EINPUT, "cannot read '%s': truncated (the gzip data "
                                "ends inside the %s)", s->name, what);
            s->z.next_out = dst;
            s->z.avail_out = (uInt)want;
            while (s->z.avail_out > 0 && !s->z_end) {
                if (s->z.avail_in == 0) {
                    int rc = src_fill(s, e);
                    if (rc < 0) return rc;
                    if (rc == 0)
                        return pgc_errf(e, PGC_EINPUT, "cannot read '%s': truncated gzip stream",
                                        s->name);
                }
                int zr = inflate(&s->z, Z_NO_FLUSH);
                if (zr == Z_STREAM_END) {
                    /* Another gzip member may follow; anything else after it is ignored. */
                    if (s->z.avail_in == 0 && src_fill(s, e) < 0) return PGC_EINPUT;
                    if (s->z.avail_in >= 2 && s->z.next_in[0] == 0x1f && s->z.next_in[1] == 0x8b)
                        inflateReset(&s->z);
                    else
                        s->z_end = 1;
                } else if (zr == Z_MEM_ERROR) {
                    return pgc_errf(e, PGC_ENOMEM, "cannot read '%s': out of memory", s->name);
                } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
                    return pgc_errf(e, PGC_EINPUT, "cannot read '%s': corrupt gzip stream (%s)",
                                    s->name, s->z.msg ? s->z.msg : "bad data");
                }
            }
            got = want - s->z.avail_out;
            if (got == 0) continue; /* the member ended exactly here: the loop re-checks */
        }
        if (out) o += got;
        n -= got;
    }
    return PGC_OK;
}

/* After the data: inflate on to the end of the gzip stream so that its CRC and length
 * are checked (a damaged tail is an error, not silently ignored). */
static int src_finish(src *s, pgc_err *e)
{
    if (!s->gz) return PGC_OK;
    unsigned char scratch[4096];
    size_t total = 0;
    while (!s->z_end && total < DRAIN_MAX) {
        if (s->z.avail_in == 0) {
            int rc = src_fill(s, e);
            if (rc < 0) return rc;
            if (rc == 0)
                return pgc_errf(e, PGC_EINPUT, "cannot read '%s': truncated gzip stream", s->name);
        }
        s->z.next_out = scratch;
        s->z.avail_out = sizeof scratch;
        int zr = inflate(&s->z, Z_NO_FLUSH);
        total += sizeof scratch - s->z.avail_out;
        if (zr == Z_STREAM_END) s->z_end = 1;
        else if (zr != Z_OK && zr != Z_BUF_ERROR)
            return pgc_errf(e, PGC_EINPUT, "cannot read '%s': corrupt gzip stream (%s)", s->name,
                            s->z.msg ? s->z.msg : "bad data");
    }
    return PGC_OK;
}

/* ---- header ------------------------------------------------------------------------ */

typedef struct {
    int be;
    const unsigned char *p;
} hdr;

static uint64_t rd_u(const hdr *h, size_t off, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        int at = h->be ? i : n - 1 - i;
        v = v << 8 | h->p[off + (size_t)at];
    }
    return v;
}
static int16_t rd_i16(const hdr *h, size_t off) { return (int16_t)(uint16_t)rd_u(h, off, 2); }
static int32_t rd_i32(const hdr *h, size_t off) { return (int32_t)(uint32_t)rd_u(h, off, 4); }
static int64_t rd_i64(const hdr *h, size_t off) { return (int64_t)rd_u(h, off, 8); }
static double rd_f32(const hdr *h, size_t off)
{
    uint32_t u = (uint32_t)rd_u(h, off, 4);
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static double rd_f64(const hdr *h, size_t off)
{
    uint64_t u = rd_u(h, off, 8);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static int sizeof_hdr(const unsigned char *p, int *be)
{
    uint32_t le = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    uint32_t bg = (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
    if (le == 348 || le == 540) return *be = 0, (int)le;
    if (bg == 348 || bg == 540) return *be = 1, (int)bg;
    return 0;
}

int pgc_nifti_sniff(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    int be;
    if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b) return 1;
    return len >= 4 && sizeof_hdr(p, &be) != 0;
}

static size_t dtype_bytes(int dt)
{
    switch (dt) {
    case 2: return 1;             /* u8 */
    case 4: case 512: return 2;   /* i16, u16 */
    case 8: case 16: return 4;    /* i32, f32 */
    case 64: return 8;            /* f64 */
    }
    return 0;
}

/* Rotation from the quaternion (b, c, d), a = sqrt(1 - b^2 - c^2 - d^2), as in the NIfTI
 * standard (nifti1.h), scaled by the voxel sizes and qfac. */
static void qform_matrix(double b, double c, double d, const double pix[4], double m[3][3])
{
    double a = 1.0 - (b * b + c * c + d * d);
    if (a < 1e-7) { /* a 180-degree rotation: renormalise (b, c, d) */
        double s = sqrt(b * b + c * c + d * d);
        if (s > 0) b /= s, c /= s, d /= s;
        a = 0;
    } else {
        a = sqrt(a);
    }
    double r[3][3] = {
        {a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)},
        {2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)},
        {2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b},
    };
    double qfac = pix[0] < 0 ? -1 : 1;
    double s[3] = {pix[1], pix[2], pix[3] * qfac};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) m[i][j] = r[i][j] * s[j];
}

static int matrix_usable(const double m[3][3])
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            if (!isfinite(m[i][j])) return 0;
    double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                 m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                 m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    return isfinite(det) && fabs(det) > 1e-12;
}

#define BAD(...) pgc_errf(e, PGC_EINPUT, __VA_ARGS__)

/* Parses and checks the header in buf (hsize bytes); nothing is allocated here. */
static int parse_header(const unsigned char *buf, int hsize, int be, const char *name,
                        pgc_nifti *v, uint64_t *nbytes, pgc_err *e)
{
    hdr h = {be, buf};
    int v2 = hsize == 540;
    int64_t dim[8];
    double pix[8], qb, qc, qd, qo[3], srow[3][4];
    double vox_offset;
    if (!v2) {
        if (!memcmp(buf + 344, "ni1\0", 4))
            return BAD("cannot read '%s': a NIfTI-1 header for a separate .img file "
                       "(.hdr/.img pairs are not supported; convert to .nii)", name);
        if (memcmp(buf + 344, "n+1\0", 4))
            return BAD("cannot read '%s': not a NIfTI-1 file (bad magic; an Analyze header?)", name);
        for (int i = 0; i < 8; i++) dim[i] = rd_i16(&h, 40 + 2 * (size_t)i);
        v->datatype = rd_i16(&h, 70);
        int bitpix = rd_i16(&h, 72);
        for (int i = 0; i < 8; i++) pix[i] = rd_f32(&h, 76 + 4 * (size_t)i);
        vox_offset = rd_f32(&h, 108);
        v->scl_slope = rd_f32(&h, 112);
        v->scl_inter = rd_f32(&h, 116);
        v->qform_code = rd_i16(&h, 252);
        v->sform_code = rd_i16(&h, 254);
        qb = rd_f32(&h, 256), qc = rd_f32(&h, 260), qd = rd_f32(&h, 264);
        for (int i = 0; i < 3; i++) qo[i] = rd_f32(&h, 268 + 4 * (size_t)i);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++) srow[i][j] = rd_f32(&h, 280 + 16 * (size_t)i + 4 * (size_t)j);
        v->xyzt_units = buf[123];
        v->dim_info = buf[39];
        if (dtype_bytes(v->datatype) && bitpix != (int)(8 * dtype_bytes(v->datatype)))
            return BAD("cannot read '%s': bitpix %d does not match datatype %d", name, bitpix,
                       v->datatype);
    } else {
        if (memcmp(buf + 4, "n+2\0", 4))
            return BAD("cannot read '%s': not a NIfTI-2 file (bad magic)", name);
        if (memcmp(buf + 8, "\r\n\032\n", 4))
            return BAD("cannot read '%s': damaged NIfTI-2 magic (text-mode or CR/LF conversion?)",
                       name);
        v->datatype = rd_i16(&h, 12);
        int bitpix = rd_i16(&h, 14);
        for (int i = 0; i < 8; i++) dim[i] = rd_i64(&h, 16 + 8 * (size_t)i);
        for (int i = 0; i < 8; i++) pix[i] = rd_f64(&h, 104 + 8 * (size_t)i);
        int64_t off = rd_i64(&h, 168);
        vox_offset = off < 0 ? -1 : (double)off;
        v->scl_slope = rd_f64(&h, 176);
        v->scl_inter = rd_f64(&h, 184);
        v->qform_code = rd_i32(&h, 344);
        v->sform_code = rd_i32(&h, 348);
        qb = rd_f64(&h, 352), qc = rd_f64(&h, 360), qd = rd_f64(&h, 368);
        for (int i = 0; i < 3; i++) qo[i] = rd_f64(&h, 376 + 8 * (size_t)i);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++) srow[i][j] = rd_f64(&h, 400 + 32 * (size_t)i + 8 * (size_t)j);
        v->xyzt_units = rd_i32(&h, 500);
        v->dim_info = buf[524];
        if (dtype_bytes(v->datatype) && bitpix != (int)(8 * dtype_bytes(v->datatype)))
            return BAD("cannot read '%s': bitpix %d does not match datatype %d", name, bitpix,
                       v->datatype);
    }
    v->version = v2 ? 2 : 1;
    v->big_endian = be;
    v->dim0 = (int)dim[0];
    memcpy(v->pixdim_raw, pix, sizeof pix);
    v->quatern[0] = qb, v->quatern[1] = qc, v->quatern[2] = qd;
    memcpy(v->qoffset, qo, sizeof qo);
    memcpy(v->srow, srow, sizeof srow);

    size_t bpv = dtype_bytes(v->datatype);
    if (!bpv)
        return BAD("cannot read '%s': unsupported datatype %d (want u8, i16, u16, i32, f32 or "
                   "f64)", name, v->datatype);
    if (dim[0] < 1 || dim[0] > 7)
        return BAD("cannot read '%s': dim[0] is %lld, outside 1..7", name, (long long)dim[0]);
    uint64_t voxels = 1;
    for (int i = 1; i <= dim[0]; i++) {
        if (dim[i] < 1 || (uint64_t)dim[i] > PGC_NIFTI_MAX_VOXELS)
            return BAD("cannot read '%s': dim[%d] is %lld, outside 1..%llu", name, i,
                       (long long)dim[i], (unsigned long long)PGC_NIFTI_MAX_VOXELS);
        voxels *= (uint64_t)dim[i];
        if (voxels > PGC_NIFTI_MAX_VOXELS)
            return BAD("cannot read '%s': more than 2^31 voxels", name);
    }
    for (int i = 4; i <= dim[0]; i++)
        if (dim[i] > 1)
            return BAD("cannot read '%s': %lld volumes along dim[%d] (a 4-d series); pgc-slice "
                       "reads 3-d volumes", name, (long long)dim[i], i);
    for (int i = 0; i < 3; i++) v->dims[i] = i < dim[0] ? (size_t)dim[i + 1] : 1;

    if (!isfinite(vox_offset) || vox_offset < hsize || vox_offset != floor(vox_offset) ||
        vox_offset > 1e15)
        return BAD("cannot read '%s': vox_offset %g is not a whole number >= %d (the header "
                   "size)", name, vox_offset, hsize);
    v->vox_offset = (uint64_t)vox_offset;
    *nbytes = voxels * bpv;

    for (int i = 0; i < 4; i++) {
        double p = pix[i];
        if (!isfinite(p)) return BAD("cannot read '%s': pixdim[%d] is not finite", name, i);
        v->pixdim[i] = i == 0 ? p : (p == 0 ? PGC_NIFTI_ZERO_PIXDIM : fabs(p));
    }
    /* scl_slope 0 (or NaN, as nibabel reads it) means: no scaling. */
    if (v->scl_slope == 0 || isnan(v->scl_slope)) {
        v->scl_slope = 1, v->scl_inter = 0;
    } else if (!isfinite(v->scl_slope) || !isfinite(v->scl_inter)) {
        return BAD("cannot read '%s': scl_slope %g / scl_inter %g are not finite", name,
                   v->scl_slope, v->scl_inter);
    }

    /* Orientation: sform if set and usable, else qform, else the voxel axes as R, A, S. */
    v->method = "none";
    if (v->sform_code > 0) {
        double m[3][3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) m[i][j] = srow[i][j];
        if (matrix_usable(m)) {
            memcpy(v->m, m, sizeof m);
            for (int i = 0; i < 3; i++) v->offset[i] = srow[i][3];
            v->method = "sform";
        }
    }
    if (!strcmp(v->method, "none") && v->qform_code > 0 && isfinite(qb) && isfinite(qc) &&
        isfinite(qd) && fabs(qb) <= 1.01 && fabs(qc) <= 1.01 && fabs(qd) <= 1.01) {
        double m[3][3];
        qform_matrix(qb, qc, qd, v->pixdim, m);
        if (matrix_usable(m)) {
            memcpy(v->m, m, sizeof m);
            for (int i = 0; i < 3; i++) v->offset[i] = isfinite(qo[i]) ? qo[i] : 0;
            v->method = "qform";
        }
    }
    if (!strcmp(v->method, "none")) {
        memset(v->m, 0, sizeof v->m);
        for (int i = 0; i < 3; i++) v->m[i][i] = v->pixdim[i + 1], v->offset[i] = 0;
    }
    return PGC_OK;
}

/* ---- data -------------------------------------------------------------------------- */

static void convert(const unsigned char *raw, size_t n, int dt, int swap, double slope,
                    double inter, float *out)
{
    size_t b = dtype_bytes(dt);
    for (size_t i = 0; i < n; i++) {
        unsigned char t[8];
        const unsigned char *p = raw + i * b;
        if (swap) {
            for (size_t k = 0; k < b; k++) t[k] = p[b - 1 - k];
            p = t;
        }
        double x;
        switch (dt) {
        case 2: x = p[0]; break;
        case 4: { int16_t s; memcpy(&s, p, 2); x = s; break; }
        case 512: { uint16_t s; memcpy(&s, p, 2); x = s; break; }
        case 8: { int32_t s; memcpy(&s, p, 4); x = s; break; }
        case 16: { float s; memcpy(&s, p, 4); x = s; break; }
        default: { double s; memcpy(&s, p, 8); x = s; break; }
        }
        out[i] = (float)(x * slope + inter);
    }
}

int pgc_nifti_voxel_limit(uint64_t *limit, pgc_err *e)
{
    const char *v = getenv("PGC_MAX_VOXELS");
    *limit = PGC_NIFTI_DEFAULT_VOXELS;
    if (!v) return PGC_OK;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-' || n < 1 || n > PGC_NIFTI_MAX_VOXELS)
        return pgc_errf(e, PGC_EINPUT, "PGC_MAX_VOXELS is '%.64s', not a whole number in 1..%llu",
                        v, (unsigned long long)PGC_NIFTI_MAX_VOXELS);
    *limit = n;
    return PGC_OK;
}

/* The voxel cap held against n voxels: the volume's when it is read whole, one slice's
 * when it is read per slice. */
static int check_cap(const pgc_nifti *v, uint64_t n, int per_slice, const char *name,
                     pgc_err *e)
{
    uint64_t limit;
    int rc = pgc_nifti_voxel_limit(&limit, e);
    if (rc) return rc;
    if (n <= limit) return PGC_OK;
    if (per_slice)
        return BAD("cannot read '%s': a slice of %zu x %zu = %llu voxels, more than the limit "
                   "of %llu (PGC_MAX_VOXELS)", name, v->dims[0], v->dims[1],
                   (unsigned long long)n, (unsigned long long)limit);
    return BAD("cannot read '%s': %zu x %zu x %zu = %llu voxels, more than the limit of "
               "%llu (PGC_MAX_VOXELS)", name, v->dims[0], v->dims[1], v->dims[2],
               (unsigned long long)n, (unsigned long long)limit);
}

/* The header and what it promises: parsed, checked, held against the voxel cap (of the
 * volume, or of one slice when per_slice) and against the size of the input. Shared by
 * the whole-volume and the per-slice reader; *hsize is the header's size in bytes, so
 * that the caller can skip to vox_offset. */
static int read_head(src *s, pgc_nifti *v, int *hsize, int per_slice, pgc_err *e)
{
    const char *name = s->name;
    unsigned char buf[540];
    int rc = src_read(s, buf, 348, "header", e);
    if (rc) return rc;
    int be;
    *hsize = sizeof_hdr(buf, &be);
    if (!*hsize) return BAD("cannot read '%s': not a NIfTI file (sizeof_hdr is not 348 or 540)", name);
    if (*hsize == 540 && (rc = src_read(s, buf + 348, 540 - 348, "header", e))) return rc;
    uint64_t nbytes = 0;
    if ((rc = parse_header(buf, *hsize, be, name, v, &nbytes, e))) return rc;
    uint64_t voxels = (uint64_t)v->dims[0] * v->dims[1] * (per_slice ? 1 : v->dims[2]);
    if ((rc = check_cap(v, voxels, per_slice, name, e))) return rc;
    uint64_t need = v->vox_offset + nbytes;
    if (s->in_size && !s->gz && need > s->in_size)
        return BAD("cannot read '%s': truncated file (vox_offset %llu + %llu bytes of data, "
                   "file has %llu)", name, (unsigned long long)v->vox_offset,
                   (unsigned long long)nbytes, (unsigned long long)s->in_size);
    if (s->in_size && s->gz && need > s->in_size * DEFLATE_MAX_RATIO + (1u << 20))
        return BAD("cannot read '%s': truncated (%llu gzip bytes cannot hold %llu bytes of "
                   "volume)", name, (unsigned long long)s->in_size, (unsigned long long)need);
    return PGC_OK;
}

/* Reads the next n voxels of the file into v->data[0..n), converted; first is the index
 * of the first of them in the volume, for messages. */
static int read_voxels(src *s, pgc_nifti *v, size_t n, size_t first, pgc_err *e)
{
    const char *name = s->name;
    size_t bpv = dtype_bytes(v->datatype);
    const uint16_t one = 1;
    int host_be = *(const unsigned char *)&one == 0, swap = v->big_endian != host_be;
    unsigned char raw[CHUNK];
    size_t per = CHUNK / bpv, done = 0;
    while (done < n) {
        size_t k = n - done < per ? n - done : per;
        if (v->cap < done + k) { /* grow with the data actually read, never on trust */
            size_t cap = v->cap ? 2 * v->cap : (size_t)1 << 20;
            if (cap < done + k) cap = done + k;
            if (cap > n) cap = n;
            float *p = realloc(v->data, cap * sizeof *p);
            if (!p)
                return pgc_errf(e, PGC_ENOMEM, "cannot read '%s': out of memory for %zu voxels",
                                name, n);
            v->data = p, v->cap = cap;
        }
        int rc = src_read(s, raw, k * bpv, "voxel data", e);
        if (rc) return rc;
        convert(raw, k, v->datatype, swap, v->scl_slope, v->scl_inter, v->data + done);
        for (size_t i = 0; i < k; i++)
            if (!isfinite(v->data[done + i]))
                return BAD("cannot read '%s': voxel %zu is NaN or infinite", name, first + done + i);
        done += k;
    }
    return PGC_OK;
}

static int read_volume(src *s, pgc_nifti *v, int header_only, pgc_err *e)
{
    int hsize, rc = read_head(s, v, &hsize, 0, e);
    if (rc) return rc;
    if (header_only) return PGC_OK;
    if ((rc = src_read(s, NULL, v->vox_offset - (uint64_t)hsize, "header extensions", e)))
        return rc;
    size_t voxels = v->dims[0] * v->dims[1] * v->dims[2];
    if ((rc = read_voxels(s, v, voxels, 0, e))) return rc;
    return src_finish(s, e);
}

/* Sets up s for reading: gzip or plain, told by the first two bytes. */
static int src_start(src *s, pgc_err *e)
{
    unsigned char magic[2] = {0, 0};
    /* Peek at the first two bytes to tell gzip from plain, then start over. */
    if (s->f) {
        size_t k = fread(magic, 1, 2, s->f);
        if (k < 2 && ferror(s->f)) return src_fail_io(s, e);
        rewind(s->f);
    } else if (s->mem_len >= 2) {
        memcpy(magic, s->mem, 2);
    }
    s->gz = magic[0] == 0x1f && magic[1] == 0x8b;
    if (s->gz) {
        memset(&s->z, 0, sizeof s->z);
        if (inflateInit2(&s->z, 15 + 16) != Z_OK)
            return pgc_errf(e, PGC_ENOMEM, "cannot read '%s': out of memory", s->name);
        s->z_live = 1;
    }
    return PGC_OK;
}

static void src_end(src *s)
{
    if (s->z_live) inflateEnd(&s->z);
    s->z_live = 0;
}

static int read_src(src *s, pgc_nifti *v, int header_only, pgc_err *e)
{
    int rc = src_start(s, e);
    if (!rc) rc = read_volume(s, v, header_only, e);
    src_end(s);
    if (rc) v->dims[0] = v->dims[1] = v->dims[2] = 0;
    return rc;
}

/* A source over len bytes at buf, or over the file at path (in_size from fstat when it
 * is a regular file); src_close ends either. */
static int src_open_mem(const void *buf, size_t len, const char *name, src **out, pgc_err *e)
{
    src *s = *out = calloc(1, sizeof *s);
    if (!s) return pgc_errf(e, PGC_ENOMEM, "cannot read '%s': out of memory", name);
    s->mem = buf, s->mem_len = len, s->in_size = len, s->name = name;
    return PGC_OK;
}

static int src_open_path(const char *path, src **out, pgc_err *e)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", path, strerror(errno));
    src *s = *out = calloc(1, sizeof *s);
    if (!s) {
        fclose(f);
        return pgc_errf(e, PGC_ENOMEM, "cannot read '%s': out of memory", path);
    }
    s->f = f, s->name = path;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) s->in_size = (uint64_t)st.st_size;
    return PGC_OK;
}

static void src_close(src *s)
{
    if (!s) return;
    src_end(s);
    if (s->f) fclose(s->f);
    free(s);
}

int pgc_nifti_read_mem(const void *buf, size_t len, const char *name, pgc_nifti *v, pgc_err *e)
{
    src *s;
    int rc = src_open_mem(buf, len, name, &s, e);
    if (!rc) rc = read_src(s, v, 0, e);
    src_close(s);
    return rc;
}

static int read_path(const char *path, pgc_nifti *v, int header_only, pgc_err *e)
{
    src *s;
    int rc = src_open_path(path, &s, e);
    if (!rc) rc = read_src(s, v, header_only, e);
    src_close(s);
    return rc;
}

int pgc_nifti_read_file(const char *path, pgc_nifti *v, pgc_err *e)
{
    return read_path(path, v, 0, e);
}

int pgc_nifti_read_header_file(const char *path, pgc_nifti *v, pgc_err *e)
{
    return read_path(path, v, 1, e);
}

/* ---- per slice ------------------------------------------------------------------------ */

struct pgc_nifti_stream {
    src *s;
    pgc_nifti *v;
    size_t next;  /* slices read so far */
    int rc, done; /* a failure, returned again by every later call; the trailer checked */
    pgc_err err;
};

/* The header, its checks (the cap on one slice) and the extensions up to vox_offset:
 * the stream then stands at the first voxel. Takes s, whatever happens. */
static int stream_start(src *s, pgc_nifti *v, pgc_nifti_stream **out, pgc_err *e)
{
    *out = NULL;
    int hsize = 0, rc = src_start(s, e);
    if (!rc) rc = read_head(s, v, &hsize, 1, e);
    if (!rc) rc = src_read(s, NULL, v->vox_offset - (uint64_t)hsize, "header extensions", e);
    pgc_nifti_stream *st = NULL;
    if (!rc && !(st = calloc(1, sizeof *st)))
        rc = pgc_errf(e, PGC_ENOMEM, "cannot read '%s': out of memory", s->name);
    if (rc) {
        src_close(s);
        v->dims[0] = v->dims[1] = v->dims[2] = 0;
        return rc;
    }
    st->s = s, st->v = v;
    *out = st;
    return PGC_OK;
}

int pgc_nifti_stream_open(const char *path, pgc_nifti *v, pgc_nifti_stream **st, pgc_err *e)
{
    src *s;
    int rc = src_open_path(path, &s, e);
    if (rc) return *st = NULL, rc;
    return stream_start(s, v, st, e);
}

int pgc_nifti_stream_open_mem(const void *buf, size_t len, const char *name, pgc_nifti *v,
                              pgc_nifti_stream **st, pgc_err *e)
{
    src *s;
    int rc = src_open_mem(buf, len, name, &s, e);
    if (rc) return *st = NULL, rc;
    return stream_start(s, v, st, e);
}

int pgc_nifti_stream_next(pgc_nifti_stream *st, pgc_err *e)
{
    if (st->rc) {
        if (e) *e = st->err;
        return st->rc;
    }
    pgc_nifti *v = st->v;
    int rc;
    if (st->next == v->dims[2]) {
        /* Past the last slice: on to the end of the gzip stream, as the whole reader
         * does, so that a damaged tail is an error here too. */
        if (!st->done && (rc = src_finish(st->s, &st->err))) goto fail;
        st->done = 1;
        return 0;
    }
    size_t n = v->dims[0] * v->dims[1];
    if ((rc = read_voxels(st->s, v, n, st->next * n, &st->err))) goto fail;
    st->next++;
    return 1;
fail:
    st->rc = rc;
    if (e) *e = st->err;
    return rc;
}

size_t pgc_nifti_stream_index(const pgc_nifti_stream *st)
{
    return st->next;
}

void pgc_nifti_stream_close(pgc_nifti_stream *st)
{
    if (!st) return;
    src_close(st->s);
    free(st);
}

void pgc_nifti_free(pgc_nifti *v)
{
    free(v->data);
    memset(v, 0, sizeof *v);
}

/* The tensor stream: byte layout in format/stream.md. */
#include "stream.h"
#include "strmap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "pgcam payloads are little-endian and are used in place: add byte swapping here"
#endif

#define STREAM_HEADER 64
#define RECORD_HEADER 128
#define ALIGN 64
/* payload room reserved before its bytes arrive; it doubles as they do */
#define READ_STEP ((size_t)16 << 20)
#define VERSION_MAJOR 1
#define VERSION_MINOR 0

static const unsigned char magic[8] = {0x89, 'P', 'G', 'C', '\r', '\n', 0x1a, '\n'};

static uint64_t pad64(uint64_t n) { return (n + ALIGN - 1) / ALIGN * ALIGN; }

static void put_u16(unsigned char *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = v >> (8 * i);
}
static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = v >> (8 * i);
}
static uint16_t get_u16(const unsigned char *p) { return p[0] | p[1] << 8; }
static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* ---- records ---------------------------------------------------------------- */

size_t pgc_dtype_size(pgc_dtype t)
{
    switch (t) {
    case PGC_DT_U8: return 1;
    case PGC_DT_U16: case PGC_DT_I16: return 2;
    case PGC_DT_I32: case PGC_DT_F32: return 4;
    case PGC_DT_F64: return 8;
    }
    return 0;
}

const char *pgc_dtype_name(pgc_dtype t)
{
    static const char *const names[] = {"?", "u8", "u16", "i16", "i32", "f32", "f64"};
    return (unsigned)t <= PGC_DT_F64 ? names[t] : "?";
}

void pgc_record_free(pgc_record *r)
{
    free(r->meta);
    free(r->data);
    memset(r, 0, sizeof *r);
}

uint64_t pgc_record_count(const pgc_record *r)
{
    uint64_t n = 1;
    for (int i = 0; i < r->rank; i++) n *= r->dims[i];
    return n;
}

uint64_t pgc_record_nbytes(const pgc_record *r)
{
    return pgc_record_count(r) * pgc_dtype_size(r->dtype);
}

/* Checks dtype, rank and dims against the hard limits and returns the payload size. */
static int check_shape(pgc_dtype t, int rank, const uint64_t *dims, uint64_t *nbytes,
                       pgc_err *e)
{
    if (pgc_dtype_size(t) == 0) return pgc_errf(e, PGC_EINPUT, "unknown dtype code %d", (int)t);
    if (rank < 0 || rank > PGC_MAX_RANK)
        return pgc_errf(e, PGC_EINPUT, "rank %d is outside 0..%d", rank, PGC_MAX_RANK);
    uint64_t n = pgc_dtype_size(t);
    for (int i = 0; i < rank; i++) {
        if (dims[i] > PGC_MAX_DIM)
            return pgc_errf(e, PGC_EINPUT, "dimension %d is %llu, outside 0..%llu", i,
                            (unsigned long long)dims[i], (unsigned long long)PGC_MAX_DIM);
        if (dims[i] && n > PGC_MAX_PAYLOAD / dims[i])
            return pgc_errf(e, PGC_EINPUT, "tensor of more than %llu bytes",
                            (unsigned long long)PGC_MAX_PAYLOAD);
        n *= dims[i];
    }
    *nbytes = n;
    return PGC_OK;
}

/* Makes r->data hold at least cap bytes, keeping its first keep bytes. */
static int data_reserve(pgc_record *r, size_t cap, size_t keep, pgc_err *e)
{
    if (cap <= r->data_cap) return PGC_OK;
    void *p = NULL;
    if (posix_memalign(&p, ALIGN, cap)) return pgc_errf(e, PGC_ENOMEM, "out of memory for %zu bytes", cap);
    if (keep) memcpy(p, r->data, keep);
    free(r->data);
    r->data = p;
    r->data_cap = cap;
    return PGC_OK;
}

/* pgc_record_shape with the payload's room reserved up to at most cap bytes (the reader
 * grows it as bytes arrive: a header's claim alone never allocates gigabytes). */
static int record_shape_upto(pgc_record *r, pgc_dtype t, int rank, const uint64_t *dims,
                             const char *const *names, size_t cap, pgc_err *e)
{
    uint64_t nbytes = 0;
    int rc = check_shape(t, rank, dims, &nbytes, e);
    if (rc) return rc;
    for (int i = 0; i < rank && names; i++) {
        if (names[i] && strlen(names[i]) > 8)
            return pgc_errf(e, PGC_EINPUT, "dimension name '%s' is longer than 8", names[i]);
        /* the reader's rule (printable ASCII), so that no record is made that none reads */
        for (const char *c = names[i]; c && *c; c++)
            if (*c < 0x21 || *c > 0x7e)
                return pgc_errf(e, PGC_EINPUT, "dimension name '%s' is not printable ASCII",
                                names[i]);
    }
    size_t need = pad64(nbytes ? nbytes : 1);
    rc = data_reserve(r, need < cap ? need : cap, 0, e);
    if (rc) return rc;
    r->dtype = t;
    r->rank = rank;
    memset(r->dims, 0, sizeof r->dims);
    memset(r->dimname, 0, sizeof r->dimname);
    for (int i = 0; i < rank; i++) {
        r->dims[i] = dims[i];
        if (names && names[i]) memcpy(r->dimname[i], names[i], strlen(names[i]));
    }
    return PGC_OK;
}

int pgc_record_shape(pgc_record *r, pgc_dtype t, int rank, const uint64_t *dims,
                     const char *const *names, pgc_err *e)
{
    return record_shape_upto(r, t, rank, dims, names, SIZE_MAX, e);
}

int pgc_record_f32_2d(pgc_record *r, uint64_t h, uint64_t w, pgc_err *e)
{
    static const char *const names[] = {"y", "x"};
    return pgc_record_shape(r, PGC_DT_F32, 2, (uint64_t[]){h, w}, names, e);
}

int pgc_record_f32_3d(pgc_record *r, uint64_t c, uint64_t h, uint64_t w, pgc_err *e)
{
    static const char *const names[] = {"c", "y", "x"};
    return pgc_record_shape(r, PGC_DT_F32, 3, (uint64_t[]){c, h, w}, names, e);
}

int pgc_record_boxes(pgc_record *r, uint64_t n, pgc_err *e)
{
    static const char *const names[] = {"box", "coord"};
    return pgc_record_shape(r, PGC_DT_F32, 2, (uint64_t[]){n, 4}, names, e);
}

int pgc_record_copy(pgc_record *dst, const pgc_record *src, pgc_err *e)
{
    const char *names[PGC_MAX_RANK];
    for (int i = 0; i < PGC_MAX_RANK; i++) names[i] = src->dimname[i];
    int rc = pgc_record_shape(dst, src->dtype, src->rank, src->dims, names, e);
    if (rc) return rc;
    memcpy(dst->data, src->data, pgc_record_nbytes(src));
    pgc_meta_clear(dst);
    if (src->meta_len) {
        if (dst->meta_cap < src->meta_len + 1) {
            char *m = realloc(dst->meta, src->meta_len + 1);
            if (!m) return pgc_errf(e, PGC_ENOMEM, "out of memory for metadata");
            dst->meta = m;
            dst->meta_cap = src->meta_len + 1;
        }
        memcpy(dst->meta, src->meta, src->meta_len + 1);
        dst->meta_len = src->meta_len;
    }
    return PGC_OK;
}

/* ---- metadata ------------------------------------------------------------------ */

static int key_ok(const char *k, size_t n)
{
    if (n < 1 || n > 64) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Finds the line of key: returns its start and sets *end past its '\n'. */
static char *meta_find(const pgc_record *r, const char *key, char **end)
{
    size_t kl = strlen(key);
    char *p = r->meta, *stop = r->meta + r->meta_len;
    while (p && p < stop) {
        char *nl = memchr(p, '\n', stop - p);
        if (!nl) return NULL;
        if ((size_t)(nl - p) >= kl + 2 && !memcmp(p, key, kl) && p[kl] == ':' && p[kl + 1] == ' ') {
            *end = nl + 1;
            return p;
        }
        p = nl + 1;
    }
    return NULL;
}

const char *pgc_meta_get(const pgc_record *r, const char *key, char *buf, size_t bufsz)
{
    char *end, *line = r->meta_len ? meta_find(r, key, &end) : NULL;
    if (!line) return NULL;
    const char *v = line + strlen(key) + 2;
    size_t n = (size_t)(end - 1 - v);
    if (bufsz == 0) return buf;
    if (n >= bufsz) n = bufsz - 1;
    memcpy(buf, v, n);
    buf[n] = 0;
    return buf;
}

/* The limit holds whatever room the buffer has: a reused buffer may be larger. */
static int meta_reserve(pgc_record *r, size_t need, pgc_err *e)
{
    if (need > PGC_MAX_META) {
        char id[128];
        if (pgc_meta_get(r, "frame", id, sizeof id))
            return pgc_errf(e, PGC_EINPUT, "frame '%s': metadata longer than %u bytes", id,
                            PGC_MAX_META);
        return pgc_errf(e, PGC_EINPUT, "metadata longer than %u bytes", PGC_MAX_META);
    }
    if (need + 1 <= r->meta_cap) return PGC_OK;
    size_t cap = r->meta_cap ? r->meta_cap : 256;
    while (cap < need + 1) cap *= 2;
    char *m = realloc(r->meta, cap);
    if (!m) return pgc_errf(e, PGC_ENOMEM, "out of memory for metadata");
    r->meta = m;
    r->meta_cap = cap;
    return PGC_OK;
}

int pgc_meta_set(pgc_record *r, const char *key, const char *value, pgc_err *e)
{
    size_t kl = strlen(key), vl = strlen(value);
    if (!key_ok(key, kl)) return pgc_errf(e, PGC_EINPUT, "bad metadata key '%s'", key);
    if (memchr(value, '\n', vl)) return pgc_errf(e, PGC_EINPUT, "metadata value of '%s' has a newline", key);
    if (vl > PGC_MAX_META_VALUE) /* what every reader refuses: refused here, where it is named */
        return pgc_errf(e, PGC_EINPUT, "metadata value of '%s' is %zu bytes, longer than %d", key,
                        vl, PGC_MAX_META_VALUE);
    size_t line_len = kl + 2 + vl + 1;
    char *end, *line = r->meta_len ? meta_find(r, key, &end) : NULL;
    size_t old = line ? (size_t)(end - line) : 0;
    size_t off = line ? (size_t)(line - r->meta) : r->meta_len;
    int rc = meta_reserve(r, r->meta_len - old + line_len, e);
    if (rc) return rc;
    /* Keep the key's place: move the tail, then write the new line where the old was. */
    memmove(r->meta + off + line_len, r->meta + off + old, r->meta_len - off - old);
    memcpy(r->meta + off, key, kl);
    memcpy(r->meta + off + kl, ": ", 2);
    memcpy(r->meta + off + kl + 2, value, vl);
    r->meta[off + line_len - 1] = '\n';
    r->meta_len = r->meta_len - old + line_len;
    r->meta[r->meta_len] = 0;
    return PGC_OK;
}

int pgc_meta_setf(pgc_record *r, const char *key, pgc_err *e, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf)
        return pgc_errf(e, PGC_EINPUT, "metadata value of '%s' too long", key);
    return pgc_meta_set(r, key, buf, e);
}

void pgc_meta_del(pgc_record *r, const char *key)
{
    char *end, *line = r->meta_len ? meta_find(r, key, &end) : NULL;
    if (!line) return;
    size_t n = (size_t)(end - line);
    memmove(line, end, r->meta + r->meta_len - end);
    r->meta_len -= n;
    r->meta[r->meta_len] = 0;
}

void pgc_meta_clear(pgc_record *r)
{
    r->meta_len = 0;
    if (r->meta) r->meta[0] = 0;
}

int pgc_meta_inherit(pgc_record *dst, const pgc_record *src, pgc_err *e)
{
    const char *p = src->meta, *stop = src->meta + src->meta_len;
    char key[65], val[4096];
    while (p && p < stop) {
        const char *nl = memchr(p, '\n', stop - p);
        const char *colon = memchr(p, ':', nl - p);
        size_t kl = (size_t)(colon - p), vl = (size_t)(nl - colon - 2);
        p = nl + 1;
        if (kl > 64 || vl >= sizeof val) continue; /* cannot happen after pgc_meta_check */
        memcpy(key, colon - kl, kl);
        key[kl] = 0;
        if (!strcmp(key, "name")) continue;
        memcpy(val, colon + 2, vl);
        val[vl] = 0;
        int rc = pgc_meta_set(dst, key, val, e);
        if (rc) return rc;
    }
    return PGC_OK;
}

int pgc_record_is(const pgc_record *r, const char *name)
{
    char buf[128];
    const char *v = pgc_meta_get(r, "name", buf, sizeof buf);
    return v && !strcmp(v, name);
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if there is none:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80) return 1;
    size_t k = p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 && p[0] <= 0xef ? 3
             : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
    if (!k || k > n) return 0;
    for (size_t i = 1; i < k; i++)
        if ((p[i] & 0xc0) != 0x80) return 0;
    if (p[0] == 0xe0 && p[1] < 0xa0) return 0; /* overlong */
    if (p[0] == 0xed && p[1] > 0x9f) return 0; /* surrogate */
    if (p[0] == 0xf0 && p[1] < 0x90) return 0; /* overlong */
    if (p[0] == 0xf4 && p[1] > 0x8f) return 0; /* above U+10FFFF */
    return k;
}

static uint32_t key_hash(const char *k, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)k[i]) * 16777619u;
    return h;
}

/* The first key that appears twice in a checked block, or NULL (*oom on no memory). A
 * hash table of line offsets: linear in the number of lines. */
static const char *meta_repeated_key(const char *meta, size_t len, size_t lines, int *oom)
{
    size_t cap = 16;
    while (cap < 2 * lines) cap *= 2;
    uint32_t small[16] = {0}, *tab = cap == 16 ? small : calloc(cap, sizeof *tab);
    if (!tab) return *oom = 1, NULL;
    const char *dup = NULL;
    for (const char *p = meta, *stop = meta + len; p < stop && !dup;) {
        const char *colon = memchr(p, ':', stop - p), *nl = memchr(p, '\n', stop - p);
        size_t kl = (size_t)(colon - p);
        for (size_t i = key_hash(p, kl) & (cap - 1);; i = (i + 1) & (cap - 1)) {
            if (!tab[i]) {
                tab[i] = (uint32_t)(p - meta) + 1;
                break;
            }
            const char *q = meta + tab[i] - 1;
            if (!memcmp(q, p, kl) && q[kl] == ':') {
                dup = p;
                break;
            }
        }
        p = nl + 1;
    }
    if (tab != small) free(tab);
    return dup;
}

int pgc_meta_check(const char *meta, size_t len, pgc_err *e)
{
    const char *p = meta, *stop = meta + len;
    size_t lines = 0;
    if (len > PGC_MAX_META)
        return pgc_errf(e, PGC_EINPUT, "metadata of %zu bytes is longer than %u", len, PGC_MAX_META);
    if (memchr(meta, 0, len)) return pgc_errf(e, PGC_EINPUT, "metadata holds a NUL byte");
    while (p < stop) {
        const char *nl = memchr(p, '\n', stop - p);
        if (!nl) return pgc_errf(e, PGC_EINPUT, "metadata does not end with a newline");
        const char *colon = memchr(p, ':', nl - p);
        if (!colon || colon + 1 >= nl + 1 || colon[1] != ' ' || !key_ok(p, colon - p))
            return pgc_errf(e, PGC_EINPUT, "bad metadata line '%.*s'",
                            (int)(nl - p > 60 ? 60 : nl - p), p);
        if (nl - colon - 2 > PGC_MAX_META_VALUE)
            return pgc_errf(e, PGC_EINPUT, "metadata value of '%.*s' is longer than %d bytes",
                            (int)(colon - p), p, PGC_MAX_META_VALUE);
        for (const char *q = colon + 2; q < nl;) {
            size_t k = utf8_len((const unsigned char *)q, (size_t)(nl - q));
            if (!k)
                return pgc_errf(e, PGC_EINPUT, "metadata value of '%.*s' is not UTF-8 (byte 0x%02x)",
                                (int)(colon - p), p, (unsigned char)*q);
            q += k;
        }
        lines++;
        p = nl + 1;
    }
    int oom = 0;
    const char *dup = meta_repeated_key(meta, len, lines, &oom);
    if (oom) return pgc_errf(e, PGC_ENOMEM, "out of memory checking %zu metadata lines", lines);
    if (dup)
        return pgc_errf(e, PGC_EINPUT, "metadata key '%.*s' appears twice",
                        (int)((const char *)memchr(dup, ':', meta + len - dup) - dup), dup);
    return PGC_OK;
}

/* ---- reading --------------------------------------------------------------------- */

struct pgc_reader {
    int fd;
    char name[256];
    unsigned char buf[1 << 16];
    size_t lo, hi;        /* buffered bytes are buf[lo..hi) */
    uint64_t pos;         /* bytes consumed from the input */
    uint64_t rec_offset;  /* where the last record returned starts */
    int started, ended;
    pgc_record pending;
    int has_pending;
    uint64_t pending_offset;
    uint64_t *ids;        /* hashes of the frame ids seen, open addressing, 0 = free */
    size_t nids, ids_cap;
};

pgc_reader *pgc_reader_open(int fd, const char *name, pgc_err *e)
{
    pgc_reader *rd = calloc(1, sizeof *rd);
    if (!rd) {
        pgc_errf(e, PGC_ENOMEM, "out of memory");
        return NULL;
    }
    rd->fd = fd;
    snprintf(rd->name, sizeof rd->name, "%s", strcmp(name, "-") ? name : "stdin");
    return rd;
}

void pgc_reader_free(pgc_reader *rd)
{
    if (!rd) return;
    pgc_record_free(&rd->pending);
    free(rd->ids);
    free(rd);
}

/* Only the ids' hashes are kept (8 bytes a frame, whatever the ids' length); two ids
 * sharing a 64-bit hash in one stream are not a risk worth the strings. */
static uint64_t id_hash(const char *id)
{
    uint64_t h = pgc_str_hash(id);
    return h ? h : 1; /* 0 marks a free slot */
}

static int ids_insert(uint64_t *tab, size_t cap, uint64_t h)
{
    for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (tab[i] == h) return 1;
        if (!tab[i]) return tab[i] = h, 0;
    }
}

int pgc_reader_frame_again(pgc_reader *rd, const char *id, pgc_err *e)
{
    if (2 * (rd->nids + 1) > rd->ids_cap) {
        size_t cap = rd->ids_cap ? 2 * rd->ids_cap : 1024;
        uint64_t *t = calloc(cap, sizeof *t);
        if (!t) return pgc_errf(e, PGC_ENOMEM, "out of memory for %zu frame ids", rd->nids);
        for (size_t i = 0; i < rd->ids_cap; i++)
            if (rd->ids[i]) ids_insert(t, cap, rd->ids[i]);
        free(rd->ids);
        rd->ids = t, rd->ids_cap = cap;
    }
    if (ids_insert(rd->ids, rd->ids_cap, id_hash(id))) return 1;
    rd->nids++;
    return 0;
}

const char *pgc_reader_name(const pgc_reader *rd) { return rd->name; }
uint64_t pgc_reader_offset(const pgc_reader *rd) { return rd->rec_offset; }

/* Reads up to n bytes (dst may be NULL to skip); returns how many, or -1 on error. */
static long long read_some(pgc_reader *rd, void *dst, size_t n, pgc_err *e)
{
    size_t got = 0;
    while (got < n) {
        if (rd->lo == rd->hi) {
            /* Large payloads go straight to their destination. */
            if (dst && n - got >= sizeof rd->buf) {
                ssize_t k = read(rd->fd, (char *)dst + got, n - got);
                if (k < 0 && errno == EINTR) continue;
                if (k < 0) return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", rd->name, strerror(errno)), -1;
                if (k == 0) break;
                got += (size_t)k;
                continue;
            }
            ssize_t k = read(rd->fd, rd->buf, sizeof rd->buf);
            if (k < 0 && errno == EINTR) continue;
            if (k < 0) return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", rd->name, strerror(errno)), -1;
            if (k == 0) break;
            rd->lo = 0;
            rd->hi = (size_t)k;
        }
        size_t take = rd->hi - rd->lo < n - got ? rd->hi - rd->lo : n - got;
        if (dst) memcpy((char *)dst + got, rd->buf + rd->lo, take);
        rd->lo += take;
        got += take;
    }
    rd->pos += got;
    return (long long)got;
}

static int read_exact(pgc_reader *rd, void *dst, size_t n, pgc_err *e)
{
    long long got = read_some(rd, dst, n, e);
    if (got < 0) return PGC_EINPUT;
    if ((size_t)got < n) return pgc_errf(e, PGC_EINPUT, "'%s': truncated stream (ends inside a record at byte %llu)",
                                         rd->name, (unsigned long long)rd->pos);
    return PGC_OK;
}

static int check_stream_header(const unsigned char *h, const char *name, pgc_err *e)
{
    if (memcmp(h, magic, 8)) {
        if (!memcmp(h, magic, 4))
            return pgc_errf(e, PGC_EINPUT, "'%s': damaged stream header (text-mode or CR/LF conversion?)", name);
        return pgc_errf(e, PGC_EINPUT, "'%s': not a pgcam stream (wrong magic)", name);
    }
    unsigned major = get_u16(h + 8), minor = get_u16(h + 10);
    if (major != VERSION_MAJOR)
        return pgc_errf(e, PGC_EINPUT, "'%s': stream version %u.%u is %s than this pgcam (%d.x)", name,
                        major, minor, major > VERSION_MAJOR ? "newer" : "older", VERSION_MAJOR);
    return PGC_OK;
}

/* Parses a tensor record header into r's shape (reserving up to cap bytes of payload)
 * and returns the metadata length. */
static int parse_record_header(const unsigned char *h, const char *name, uint64_t offset,
                               pgc_record *r, uint32_t *meta_len, int *kind, size_t cap, pgc_err *e)
{
    if (memcmp(h, "PGCR", 4))
        return pgc_errf(e, PGC_EINPUT, "'%s': corrupt stream (no record tag at byte %llu)", name,
                        (unsigned long long)offset);
    *kind = h[4];
    if (*kind == 2) { /* "every other field zero": a set one is a writer we do not know */
        for (int i = 5; i < RECORD_HEADER; i++)
            if (h[i])
                return pgc_errf(e, PGC_EINPUT, "'%s': end-of-stream record at byte %llu has byte %d "
                                "set (its fields are all zero)", name, (unsigned long long)offset, i);
        return PGC_OK;
    }
    if (*kind != 1)
        return pgc_errf(e, PGC_EINPUT, "'%s': unknown record kind %d at byte %llu", name, *kind,
                        (unsigned long long)offset);
    int dtype = h[5], rank = h[6];
    uint64_t dims[PGC_MAX_RANK];
    const char *names[PGC_MAX_RANK];
    char namebuf[PGC_MAX_RANK][9];
    for (int i = 0; i < PGC_MAX_RANK; i++) {
        dims[i] = get_u64(h + 16 + 8 * i);
        memcpy(namebuf[i], h + 48 + 8 * i, 8);
        namebuf[i][8] = 0;
        for (int j = 0; namebuf[i][j]; j++)
            if (namebuf[i][j] < 0x21 || namebuf[i][j] > 0x7e)
                return pgc_errf(e, PGC_EINPUT, "'%s': bad dimension name in the record at byte %llu",
                                name, (unsigned long long)offset);
        names[i] = namebuf[i];
    }
    /* Fields the format fixes at zero must be zero: a writer that fills them is not one
     * this reader understands. */
    for (int i = rank; i < PGC_MAX_RANK; i++)
        if (dims[i] || namebuf[i][0])
            return pgc_errf(e, PGC_EINPUT, "'%s': record at byte %llu: dimension %d beyond its rank %d is set",
                            name, (unsigned long long)offset, i, rank);
    static const unsigned char zero40[40];
    if (h[7] || get_u32(h + 12) || memcmp(h + 88, zero40, 40))
        return pgc_errf(e, PGC_EINPUT, "'%s': record at byte %llu: reserved header bytes are not zero",
                        name, (unsigned long long)offset);
    *meta_len = get_u32(h + 8);
    if (*meta_len > PGC_MAX_META)
        return pgc_errf(e, PGC_EINPUT, "'%s': record at byte %llu claims %u bytes of metadata (limit %u)",
                        name, (unsigned long long)offset, *meta_len, PGC_MAX_META);
    uint64_t nbytes = 0;
    pgc_err why;
    if (check_shape((pgc_dtype)dtype, rank, dims, &nbytes, &why))
        return pgc_errf(e, PGC_EINPUT, "'%s': record at byte %llu: %s", name,
                        (unsigned long long)offset, why.msg);
    if (get_u64(h + 80) != nbytes)
        return pgc_errf(e, PGC_EINPUT, "'%s': record at byte %llu: payload length %llu does not match its shape (%llu)",
                        name, (unsigned long long)offset, (unsigned long long)get_u64(h + 80),
                        (unsigned long long)nbytes);
    int rc = record_shape_upto(r, (pgc_dtype)dtype, rank, dims, names, cap, e);
    if (rc) return rc;
    return meta_reserve(r, *meta_len, e);
}

int pgc_reader_next(pgc_reader *rd, pgc_record *r, pgc_err *e)
{
    if (rd->has_pending) {
        pgc_record t = *r;
        *r = rd->pending;
        rd->pending = t;
        rd->has_pending = 0;
        rd->rec_offset = rd->pending_offset;
        return 1;
    }
    for (;;) {
        if (rd->ended) return 0;
        unsigned char h[RECORD_HEADER];
        if (!rd->started) {
            long long got = read_some(rd, h, STREAM_HEADER, e);
            if (got < 0) return PGC_EINPUT;
            if (got == 0) return pgc_errf(e, PGC_EINPUT, "'%s': empty input, not a pgcam stream", rd->name);
            if (got < STREAM_HEADER) {
                if (memcmp(h, magic, got < 8 ? (size_t)got : 8))
                    return pgc_errf(e, PGC_EINPUT, "'%s': not a pgcam stream (wrong magic)", rd->name);
                return pgc_errf(e, PGC_EINPUT, "'%s': truncated stream header", rd->name);
            }
            int rc = check_stream_header(h, rd->name, e);
            if (rc) return rc;
            rd->started = 1;
        }
        uint64_t offset = rd->pos;
        long long got = read_some(rd, h, RECORD_HEADER, e);
        if (got < 0) return PGC_EINPUT;
        if (got < RECORD_HEADER)
            return pgc_errf(e, PGC_EINPUT, "'%s': truncated stream (no end-of-stream record)", rd->name);
        uint32_t meta_len = 0;
        int kind = 0;
        int rc = parse_record_header(h, rd->name, offset, r, &meta_len, &kind, READ_STEP, e);
        if (rc) return rc;
        if (kind == 2) {
            /* A clean end, unless another stream follows (concatenated files). */
            got = read_some(rd, h, STREAM_HEADER, e);
            if (got < 0) return PGC_EINPUT;
            if (got == 0) {
                rd->ended = 1;
                return 0;
            }
            if (got < STREAM_HEADER)
                return pgc_errf(e, PGC_EINPUT, "'%s': %lld stray bytes after the end of the stream", rd->name, got);
            rc = check_stream_header(h, rd->name, e);
            if (rc) return pgc_errf(e, PGC_EINPUT, "'%s': data after the end of the stream is not a pgcam stream", rd->name);
            /* frame ids are unique within a stream: a concatenated one starts afresh */
            if (rd->ids) memset(rd->ids, 0, rd->ids_cap * sizeof *rd->ids);
            rd->nids = 0;
            continue;
        }
        rc = read_exact(rd, r->meta, meta_len, e);
        if (!rc) rc = read_exact(rd, NULL, pad64(meta_len) - meta_len, e);
        if (rc) return rc;
        r->meta_len = meta_len;
        r->meta[meta_len] = 0;
        pgc_err why;
        if (pgc_meta_check(r->meta, meta_len, &why))
            return pgc_errf(e, PGC_EINPUT, "'%s': record at byte %llu: %s", rd->name,
                            (unsigned long long)offset, why.msg);
        /* the payload in steps that double the room it has: a truncated stream claiming
         * 2 GiB costs what it holds, not what it claims */
        size_t nbytes = (size_t)pgc_record_nbytes(r), need = pad64(nbytes ? nbytes : 1), done = 0;
        while (!rc && done < nbytes) {
            if (done == r->data_cap) { /* full: twice the room, up to what the record needs */
                rc = data_reserve(r, 2 * done < need ? 2 * done : need, done, e);
                continue;
            }
            size_t step = (r->data_cap < nbytes ? r->data_cap : nbytes) - done;
            rc = read_exact(rd, (char *)r->data + done, step, e);
            done += step;
        }
        if (!rc) rc = read_exact(rd, NULL, pad64(nbytes) - nbytes, e);
        if (rc) return rc;
        rd->rec_offset = offset;
        return 1;
    }
}

void pgc_reader_unread(pgc_reader *rd, pgc_record *r)
{
    pgc_record t = rd->pending;
    rd->pending = *r;
    *r = t;
    rd->has_pending = 1;
    rd->pending_offset = rd->rec_offset;
}

static int pread_exact(int fd, void *dst, size_t n, uint64_t off, const char *name, pgc_err *e)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, (char *)dst + got, n - got, (off_t)(off + got));
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", name, strerror(errno));
        if (k == 0) return pgc_errf(e, PGC_EINPUT, "'%s': truncated stream at byte %llu", name,
                                    (unsigned long long)(off + got));
        got += (size_t)k;
    }
    return PGC_OK;
}

int pgc_record_pread(int fd, uint64_t offset, const char *name, pgc_record *r, pgc_err *e)
{
    unsigned char h[RECORD_HEADER];
    int rc = pread_exact(fd, h, RECORD_HEADER, offset, name, e);
    if (rc) return rc;
    uint32_t meta_len = 0;
    int kind = 0;
    rc = parse_record_header(h, name, offset, r, &meta_len, &kind, SIZE_MAX, e);
    if (rc) return rc;
    if (kind != 1) return pgc_errf(e, PGC_EINPUT, "'%s': no tensor record at byte %llu", name, (unsigned long long)offset);
    rc = pread_exact(fd, r->meta, meta_len, offset + RECORD_HEADER, name, e);
    if (rc) return rc;
    r->meta_len = meta_len;
    r->meta[meta_len] = 0;
    rc = pgc_meta_check(r->meta, meta_len, e);
    if (rc) return rc;
    return pread_exact(fd, r->data, pgc_record_nbytes(r), offset + RECORD_HEADER + pad64(meta_len), name, e);
}

/* ---- writing ------------------------------------------------------------------- */

struct pgc_writer {
    int fd;
    char name[256];
    unsigned char buf[1 << 16];
    size_t n;
    int started;
};

pgc_writer *pgc_writer_open(int fd, const char *name, pgc_err *e)
{
    pgc_writer *w = calloc(1, sizeof *w);
    if (!w) {
        pgc_errf(e, PGC_ENOMEM, "out of memory");
        return NULL;
    }
    w->fd = fd;
    snprintf(w->name, sizeof w->name, "%s", strcmp(name, "-") ? name : "stdout");
    return w;
}

static int write_all(pgc_writer *w, const void *p, size_t n, pgc_err *e)
{
    const char *s = p;
    while (n) {
        ssize_t k = write(w->fd, s, n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && errno == EPIPE) return pgc_errf(e, PGC_EPIPE, "'%s': the reader closed the pipe", w->name);
        if (k < 0) return pgc_errf(e, PGC_EINPUT, "cannot write '%s': %s", w->name, strerror(errno));
        s += k;
        n -= (size_t)k;
    }
    return PGC_OK;
}

int pgc_writer_flush(pgc_writer *w, pgc_err *e)
{
    int rc = write_all(w, w->buf, w->n, e);
    w->n = 0;
    return rc;
}

static int emit(pgc_writer *w, const void *p, size_t n, pgc_err *e)
{
    if (w->n + n > sizeof w->buf) {
        int rc = pgc_writer_flush(w, e);
        if (rc) return rc;
        if (n > sizeof w->buf) return write_all(w, p, n, e);
    }
    if (n) memcpy(w->buf + w->n, p, n);
    w->n += n;
    return PGC_OK;
}

static const unsigned char zeros[ALIGN];

static int start(pgc_writer *w, pgc_err *e)
{
    if (w->started) return PGC_OK;
    unsigned char h[STREAM_HEADER] = {0};
    memcpy(h, magic, 8);
    put_u16(h + 8, VERSION_MAJOR);
    put_u16(h + 10, VERSION_MINOR);
    w->started = 1;
    return emit(w, h, sizeof h, e);
}

int pgc_writer_put(pgc_writer *w, const pgc_record *r, pgc_err *e)
{
    uint64_t nbytes = 0;
    pgc_err why;
    int rc = check_shape(r->dtype, r->rank, r->dims, &nbytes, &why);
    if (!rc) rc = pgc_meta_check(r->meta ? r->meta : "", r->meta_len, &why);
    if (rc) {
        char id[128];
        if (!r->meta_len || !pgc_meta_get(r, "frame", id, sizeof id)) snprintf(id, sizeof id, "?");
        return pgc_errf(e, rc, "cannot write '%s': a record of frame '%s': %s", w->name, id, why.msg);
    }
    if ((rc = start(w, e))) return rc;
    unsigned char h[RECORD_HEADER] = {0};
    memcpy(h, "PGCR", 4);
    h[4] = 1;
    h[5] = (unsigned char)r->dtype;
    h[6] = (unsigned char)r->rank;
    put_u32(h + 8, (uint32_t)r->meta_len);
    for (int i = 0; i < r->rank; i++) {
        put_u64(h + 16 + 8 * i, r->dims[i]);
        memcpy(h + 48 + 8 * i, r->dimname[i], strnlen(r->dimname[i], 8));
    }
    put_u64(h + 80, nbytes);
    if ((rc = emit(w, h, sizeof h, e))) return rc;
    if ((rc = emit(w, r->meta, r->meta_len, e))) return rc;
    if ((rc = emit(w, zeros, pad64(r->meta_len) - r->meta_len, e))) return rc;
    if ((rc = emit(w, r->data, nbytes, e))) return rc;
    return emit(w, zeros, pad64(nbytes) - nbytes, e);
}

int pgc_writer_close(pgc_writer *w, pgc_err *e)
{
    unsigned char h[RECORD_HEADER] = {0};
    memcpy(h, "PGCR", 4);
    h[4] = 2;
    int rc = start(w, e);
    if (!rc) rc = emit(w, h, sizeof h, e);
    if (!rc) rc = pgc_writer_flush(w, e);
    free(w);
    return rc;
}

/* A structure-aware mutator for pgcam streams (format/stream.md), for
 * LLVMFuzzerCustomMutator: the input (after `skip` control bytes) is parsed into records,
 * one record is changed (a header number, its dims or dtype, a metadata key or value,
 * its payload bytes) or the records are reordered, duplicated or dropped, and the stream
 * is written again with consistent lengths and padding, so that most mutants get past the
 * reader and reach the code behind it. Input it cannot parse, and one run in eight, goes
 * to libFuzzer's own byte mutator instead. Test code: state lives on the stack. */
#ifndef FUZZ_STREAM_MUTATOR_H
#define FUZZ_STREAM_MUTATOR_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

#define SM_MAX_REC 32

typedef struct {
    uint8_t hdr[128];
    uint8_t *meta; /* m bytes, owned */
    size_t m;
    uint8_t *pay;  /* p bytes, owned */
    size_t p;
} sm_rec;

static uint64_t sm_u64(const uint8_t *b) { uint64_t v; memcpy(&v, b, 8); return v; }
static uint32_t sm_u32(const uint8_t *b) { uint32_t v; memcpy(&v, b, 4); return v; }
static void sm_put64(uint8_t *b, uint64_t v) { memcpy(b, &v, 8); }
static void sm_put32(uint8_t *b, uint32_t v) { memcpy(b, &v, 4); }
static size_t sm_pad(size_t n) { return (n + 63) & ~(size_t)63; }

static uint32_t sm_rand(uint32_t *s) /* xorshift: reproducible from libFuzzer's seed */
{
    *s ^= *s << 13, *s ^= *s >> 17, *s ^= *s << 5;
    return *s;
}

/* The tensor records of a stream: their count, or -1 when it does not parse (the end
 * record and anything after it are left out; the writer adds the end again). */
static int sm_parse(const uint8_t *d, size_t n, sm_rec *r)
{
    if (n < 64 || memcmp(d, "\x89PGC\r\n\x1a\n", 8)) return -1;
    size_t at = 64;
    int k = 0;
    while (at + 128 <= n && k < SM_MAX_REC) {
        const uint8_t *h = d + at;
        if (memcmp(h, "PGCR", 4) || h[4] != 1) break;
        size_t m = sm_u32(h + 8);
        uint64_t p = sm_u64(h + 80);
        if (m > n || p > n || at + 128 + sm_pad(m) + sm_pad((size_t)p) > n) break;
        memcpy(r[k].hdr, h, 128);
        r[k].m = m, r[k].p = (size_t)p;
        r[k].meta = malloc(m + 1), r[k].pay = malloc((size_t)p + 1);
        memcpy(r[k].meta, h + 128, m);
        memcpy(r[k].pay, h + 128 + sm_pad(m), (size_t)p);
        at += 128 + sm_pad(m) + sm_pad((size_t)p);
        k++;
    }
    return k;
}

static void sm_free(sm_rec *r, int n)
{
    for (int i = 0; i < n; i++) free(r[i].meta), free(r[i].pay);
}

static size_t sm_dtype_size(int t)
{
    static const size_t sz[7] = {0, 1, 2, 2, 4, 4, 8};
    return t >= 1 && t <= 6 ? sz[t] : 1;
}

/* After a change of dtype, rank or dims: payload length = product of dims x size, the
 * payload cut or zero-extended to it, unless that is past the room left (then the
 * header keeps its stated length and the mismatch itself is the mutant). */
static void sm_fit_payload(sm_rec *r, size_t room)
{
    int rank = r->hdr[6] <= 4 ? r->hdr[6] : 4;
    uint64_t count = 1;
    for (int i = 0; i < rank; i++) {
        uint64_t d = sm_u64(r->hdr + 16 + 8 * i);
        if (d && count > room / d) return;
        count *= d;
    }
    uint64_t p = count * sm_dtype_size(r->hdr[5]);
    if (p > room) return;
    uint8_t *q = realloc(r->pay, (size_t)p + 1);
    if (!q) return;
    if (p > r->p) memset(q + r->p, 0, (size_t)p - r->p);
    r->pay = q, r->p = (size_t)p;
    sm_put64(r->hdr + 80, p);
}

/* Replaces metadata bytes [a, b) of r with s. */
static void sm_meta_splice(sm_rec *r, size_t a, size_t b, const char *s, size_t sl)
{
    size_t m = r->m - (b - a) + sl;
    uint8_t *q = malloc(m + 1);
    memcpy(q, r->meta, a);
    memcpy(q + a, s, sl);
    memcpy(q + a + sl, r->meta + b, r->m - b);
    free(r->meta);
    r->meta = q, r->m = m;
    sm_put32(r->hdr + 8, (uint32_t)m);
}

/* Line i of the metadata, [a, b) including its '\n'; 0 when there is no line i. */
static int sm_meta_line(const sm_rec *r, unsigned i, size_t *a, size_t *b)
{
    size_t s = 0;
    for (size_t k = 0; k < r->m; k++)
        if (r->meta[k] == '\n') {
            if (i-- == 0) { *a = s, *b = k + 1; return 1; }
            s = k + 1;
        }
    return 0;
}

static void sm_mutate_meta(sm_rec *r, uint32_t *rs)
{
    static const char *const keys[] = {"frame", "name", "transform", "spacing", "label",
                                       "prob", "norm", "fit", "scale", "class", "source",
                                       "tumour_type", "axis", "index", "cam-class"};
    static const char *const vals[] = {"", "0", "-1", "nan", "inf", "1e308", "-1e-320",
                                       "4294967297", "1 0 0 0 1 0", "0 0 0 0 0 0",
                                       "1e30 0 0 0 1e30 0", "image", "truth", "boxes",
                                       "pgcam", "cam.s1", "feat.s1", "grad.s1", "prob",
                                       "tumour", "none", "pad", "crop", "pct 0 100",
                                       "zscore", "0.5 0.5", "a:b:c", "\t", "x y"};
    size_t nk = sizeof keys / sizeof *keys, nv = sizeof vals / sizeof *vals;
    char line[256];
    size_t a, b, lines = 0;
    while (sm_meta_line(r, (unsigned)lines, &a, &b)) lines++;
    switch (sm_rand(rs) % 5) {
    case 0: /* a key's value replaced */
    case 1: {
        const char *key = keys[sm_rand(rs) % nk];
        int n = snprintf(line, sizeof line, "%s: %s\n", key, vals[sm_rand(rs) % nv]);
        size_t kl = strlen(key);
        for (unsigned i = 0; sm_meta_line(r, i, &a, &b); i++)
            if (b - a > kl + 1 && !memcmp(r->meta + a, key, kl) && r->meta[a + kl] == ':') {
                sm_meta_splice(r, a, b, line, (size_t)n);
                return;
            }
        sm_meta_splice(r, r->m, r->m, line, (size_t)n);
        return;
    }
    case 2: /* a line dropped */
        if (lines && sm_meta_line(r, sm_rand(rs) % (unsigned)lines, &a, &b)) sm_meta_splice(r, a, b, "", 0);
        return;
    case 3: /* a line duplicated (a repeated key) */
        if (lines && sm_meta_line(r, sm_rand(rs) % (unsigned)lines, &a, &b) && b - a < sizeof line) {
            memcpy(line, r->meta + a, b - a);
            sm_meta_splice(r, a, a, line, b - a);
        }
        return;
    default: { /* bytes of the block changed by libFuzzer */
        size_t cap = r->m + 64;
        uint8_t *q = realloc(r->meta, cap + 1);
        if (!q) return;
        r->meta = q;
        r->m = LLVMFuzzerMutate(r->meta, r->m, cap);
        sm_put32(r->hdr + 8, (uint32_t)r->m);
    }
    }
}

static void sm_mutate_header(sm_rec *r, uint32_t *rs, size_t room)
{
    static const uint64_t dims[] = {0, 1, 2, 3, 4, 5, 7, 16, 31, 33, 64, 255, 4096,
                                    65536, 1u << 31, (1ull << 31) + 1, UINT64_MAX};
    int rank = r->hdr[6] <= 4 ? r->hdr[6] : 4;
    switch (sm_rand(rs) % 6) {
    case 0: r->hdr[5] = (uint8_t)(sm_rand(rs) % 8); break;             /* dtype */
    case 1: r->hdr[6] = (uint8_t)(sm_rand(rs) % 6); break;             /* rank */
    case 2: case 3: {                                                   /* one dim */
        int i = rank ? (int)(sm_rand(rs) % (unsigned)rank) : 0;
        uint64_t d = sm_u64(r->hdr + 16 + 8 * i), v = dims[sm_rand(rs) % (sizeof dims / sizeof *dims)];
        if (sm_rand(rs) & 1) v = d + (sm_rand(rs) % 3) - 1;              /* off by one */
        sm_put64(r->hdr + 16 + 8 * i, v);
        break;
    }
    case 4: /* the two in-plane dims swapped */
        if (rank >= 2) {
            uint8_t t[8];
            memcpy(t, r->hdr + 16 + 8 * (rank - 2), 8);
            memcpy(r->hdr + 16 + 8 * (rank - 2), r->hdr + 16 + 8 * (rank - 1), 8);
            memcpy(r->hdr + 16 + 8 * (rank - 1), t, 8);
        }
        break;
    default: r->hdr[sm_rand(rs) % 128] ^= (uint8_t)(1u << (sm_rand(rs) % 8)); return; /* raw */
    }
    sm_fit_payload(r, room);
}

static void sm_mutate_payload(sm_rec *r, uint32_t *rs)
{
    if (!r->p) return;
    if (sm_rand(rs) % 3 == 0 && r->hdr[5] == 5 && r->p >= 4) { /* f32: a special value */
        static const float sp[] = {NAN, INFINITY, -INFINITY, 1e38f, -1e38f, 0, -0.0f, 1e-45f, 1, -1};
        float v = sp[sm_rand(rs) % (sizeof sp / sizeof *sp)];
        size_t i = sm_rand(rs) % (r->p / 4);
        memcpy(r->pay + 4 * i, &v, 4);
        return;
    }
    LLVMFuzzerMutate(r->pay, r->p, r->p); /* same length: the header stays true */
}

/* Writes the records (and an end record) into out; the length, or 0 when past max. */
static size_t sm_write(const sm_rec *r, int n, uint8_t *out, size_t max)
{
    size_t need = 64 + 128;
    for (int i = 0; i < n; i++) need += 128 + sm_pad(r[i].m) + sm_pad(r[i].p);
    if (need > max) return 0;
    memset(out, 0, need);
    memcpy(out, "\x89PGC\r\n\x1a\n\x01\x00", 10);
    size_t at = 64;
    for (int i = 0; i < n; i++) {
        memcpy(out + at, r[i].hdr, 128);
        memcpy(out + at + 128, r[i].meta, r[i].m);
        memcpy(out + at + 128 + sm_pad(r[i].m), r[i].pay, r[i].p);
        at += 128 + sm_pad(r[i].m) + sm_pad(r[i].p);
    }
    memcpy(out + at, "PGCR\x02", 5);
    return need;
}

static size_t stream_mutate(uint8_t *data, size_t size, size_t max_size, unsigned seed, size_t skip)
{
    uint32_t rs = seed | 1;
    if (size <= skip || max_size <= skip || sm_rand(&rs) % 8 == 0)
        return LLVMFuzzerMutate(data, size, max_size);
    sm_rec r[SM_MAX_REC + 1];
    int n = sm_parse(data + skip, size - skip, r);
    if (n <= 0) return LLVMFuzzerMutate(data, size, max_size);
    size_t room = (max_size - skip) / 2;
    int i = (int)(sm_rand(&rs) % (unsigned)n);
    switch (sm_rand(&rs) % 9) {
    case 0: sm_mutate_header(&r[i], &rs, room); break;
    case 1: case 2: sm_mutate_meta(&r[i], &rs); break;
    case 3: case 4: sm_mutate_payload(&r[i], &rs); break;
    case 5: { /* two records swapped */
        int j = (int)(sm_rand(&rs) % (unsigned)n);
        sm_rec t = r[i];
        r[i] = r[j], r[j] = t;
        break;
    }
    case 6: /* a record duplicated after itself */
        if (n < SM_MAX_REC) {
            memmove(&r[i + 1], &r[i], (size_t)(n - i) * sizeof *r);
            r[i + 1].meta = malloc(r[i].m + 1), r[i + 1].pay = malloc(r[i].p + 1);
            memcpy(r[i + 1].meta, r[i].meta, r[i].m);
            memcpy(r[i + 1].pay, r[i].pay, r[i].p);
            n++;
        }
        break;
    case 7: /* a record dropped */
        if (n > 1) {
            free(r[i].meta), free(r[i].pay);
            memmove(&r[i], &r[i + 1], (size_t)(n - i - 1) * sizeof *r);
            n--;
        }
        break;
    default: data[sm_rand(&rs) % skip] = (uint8_t)sm_rand(&rs); break; /* the control bytes */
    }
    size_t len = sm_write(r, n, data + skip, max_size - skip);
    sm_free(r, n);
    return len ? len + skip : LLVMFuzzerMutate(data, size, max_size);
}

#endif

#include "npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

const char *pgc_npy_descr(pgc_dtype t)
{
    switch (t) {
    case PGC_DT_U8: return "|u1";
    case PGC_DT_U16: return "<u2";
    case PGC_DT_I16: return "<i2";
    case PGC_DT_I32: return "<i4";
    case PGC_DT_F32: return "<f4";
    case PGC_DT_F64: return "<f8";
    }
    return NULL;
}

int pgc_npy_header(pgc_dtype t, int rank, const uint64_t *dims, char *buf, size_t cap,
                   size_t *len, pgc_err *e)
{
    const char *descr = pgc_npy_descr(t);
    if (!descr || rank < 0 || rank > PGC_MAX_RANK)
        return pgc_errf(e, PGC_EINPUT, "cannot describe dtype %d rank %d as .npy", (int)t, rank);
    char shape[128] = "";
    size_t n = 0;
    for (int i = 0; i < rank; i++)
        n += (size_t)snprintf(shape + n, sizeof shape - n, "%llu,%s", (unsigned long long)dims[i],
                              i + 1 < rank ? " " : "");
    if (rank > 1) shape[n - 1] = '\0'; /* (a, b) but (a,) for one dim */
    char dict[256];
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                      descr, shape);
    /* preamble 10 bytes + dict + spaces + '\n', in all a multiple of 64 */
    size_t total = (10 + (size_t)dl + 1 + 63) / 64 * 64;
    if (total > cap) return pgc_errf(e, PGC_EINPUT, "npy header buffer too small");
    memcpy(buf, magic, 6);
    buf[6] = 1, buf[7] = 0;
    size_t hl = total - 10;
    buf[8] = (char)(hl & 0xff), buf[9] = (char)(hl >> 8);
    memcpy(buf + 10, dict, (size_t)dl);
    memset(buf + 10 + dl, ' ', total - 10 - (size_t)dl - 1);
    buf[total - 1] = '\n';
    *len = total;
    return PGC_OK;
}

int pgc_npy_header_size(const void *buf, size_t len, const char *name, size_t *need, pgc_err *e)
{
    const unsigned char *p = buf;
    if (len < 10) return pgc_errf(e, PGC_EINPUT, "cannot read '%s': truncated .npy header", name);
    if (memcmp(p, magic, 6)) return pgc_errf(e, PGC_EINPUT, "cannot read '%s': not a .npy file", name);
    if (p[6] == 1) {
        *need = 10 + (size_t)(p[8] | p[9] << 8);
    } else if (p[6] == 2 || p[6] == 3) {
        if (len < 12) return pgc_errf(e, PGC_EINPUT, "cannot read '%s': truncated .npy header", name);
        uint32_t hl = (uint32_t)p[8] | (uint32_t)p[9] << 8 | (uint32_t)p[10] << 16 | (uint32_t)p[11] << 24;
        if (hl > PGC_NPY_MAX_HEADER)
            return pgc_errf(e, PGC_EINPUT, "cannot read '%s': .npy header of %u bytes", name, hl);
        *need = 12 + hl;
    } else {
        return pgc_errf(e, PGC_EINPUT, "cannot read '%s': .npy format version %d.%d", name, p[6], p[7]);
    }
    return PGC_OK;
}

/* Finds 'key': in the dict text and returns the text after it (spaces skipped). */
static const char *dict_value(const char *d, const char *key)
{
    char k1[32], k2[32];
    snprintf(k1, sizeof k1, "'%s'", key);
    snprintf(k2, sizeof k2, "\"%s\"", key);
    const char *p = strstr(d, k1);
    if (!p) p = strstr(d, k2);
    if (!p) return NULL;
    p += strlen(k1);
    while (*p == ' ') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

int pgc_npy_parse(const void *buf, size_t len, const char *name, pgc_npy *out, pgc_err *e)
{
    size_t need;
    int rc = pgc_npy_header_size(buf, len, name, &need, e);
    if (rc) return rc;
    if (len < need) return pgc_errf(e, PGC_EINPUT, "cannot read '%s': truncated .npy header", name);
    size_t start = ((const unsigned char *)buf)[6] == 1 ? 10 : 12;
    char *d = malloc(need - start + 1);
    if (!d) return pgc_errf(e, PGC_ENOMEM, "out of memory");
    memcpy(d, (const char *)buf + start, need - start);
    d[need - start] = '\0';
    memset(out, 0, sizeof *out);
    out->data_offset = need;
    rc = PGC_OK;

    const char *v = dict_value(d, "descr");
    char descr[16] = "";
    if (v && (*v == '\'' || *v == '"')) {
        const char *end = strchr(v + 1, *v);
        if (end && end - v - 1 < (long)sizeof descr) memcpy(descr, v + 1, (size_t)(end - v - 1));
    }
    static const struct { const char *s; pgc_dtype t; } types[] = {
        {"u1", PGC_DT_U8}, {"u2", PGC_DT_U16}, {"i2", PGC_DT_I16},
        {"i4", PGC_DT_I32}, {"f4", PGC_DT_F32}, {"f8", PGC_DT_F64},
    };
    int found = 0;
    if ((descr[0] == '<' || descr[0] == '>' || descr[0] == '|' || descr[0] == '=') && strlen(descr) == 3)
        for (size_t i = 0; i < sizeof types / sizeof *types; i++)
            if (!strcmp(descr + 1, types[i].s)) out->dtype = types[i].t, found = 1;
    if (!found) {
        rc = pgc_errf(e, PGC_EINPUT, "cannot read '%s': .npy dtype '%s' is not one of u1 u2 i2 i4 "
                      "f4 f8", name, descr[0] ? descr : "?");
        goto out;
    }
    out->big_endian = descr[0] == '>' && pgc_dtype_size(out->dtype) > 1;

    v = dict_value(d, "fortran_order");
    if (!v || strncmp(v, "False", 5)) {
        rc = pgc_errf(e, PGC_EINPUT, "cannot read '%s': fortran-order .npy is not supported", name);
        goto out;
    }
    v = dict_value(d, "shape");
    if (!v || *v != '(') {
        rc = pgc_errf(e, PGC_EINPUT, "cannot read '%s': .npy header without a shape", name);
        goto out;
    }
    v++;
    uint64_t bytes = pgc_dtype_size(out->dtype);
    for (;;) {
        while (*v == ' ') v++;
        if (*v == ')') break;
        char *end;
        unsigned long long n = strtoull(v, &end, 10);
        if (end == v || out->rank == PGC_MAX_RANK || n > PGC_MAX_DIM) {
            rc = pgc_errf(e, PGC_EINPUT, "cannot read '%s': .npy shape is not 0..4 dims of "
                          "0..2^31", name);
            goto out;
        }
        out->dims[out->rank++] = n;
        if (n && bytes > PGC_MAX_PAYLOAD / n) {
            rc = pgc_errf(e, PGC_EINPUT, "cannot read '%s': .npy data larger than 2 GiB", name);
            goto out;
        }
        bytes *= n;
        v = end;
        while (*v == ' ') v++;
        if (*v == ',') v++;
        else if (*v != ')') {
            rc = pgc_errf(e, PGC_EINPUT, "cannot read '%s': bad .npy shape", name);
            goto out;
        }
    }
    out->data_bytes = bytes;
out:
    free(d);
    return rc;
}

/* The model file: format/model.md. The whole file is read into memory and checked
 * (size, magic, version, CRC) before any of it is believed. */
#include "model.h"
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const unsigned char MAGIC[8] = {0x89, 'P', 'G', 'M', '\r', '\n', 0x1a, '\n'};
enum { HDR = 64, VMAJOR = 1, VMINOR = 1 };
#define MAX_FILE (4ull << 30)

void pgc_model_info_free(pgc_model_info *mi)
{
    if (!mi) return;
    free(mi->meta);
    mi->meta = NULL;
}

/* ---- little-endian bytes ---- */

static void put16(unsigned char *p, uint32_t v) { p[0] = v, p[1] = v >> 8; }
static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = v >> (8 * i);
}
static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = v >> (8 * i);
}
static uint32_t get16(const unsigned char *p) { return p[0] | (uint32_t)p[1] << 8; }
static uint32_t get32(const unsigned char *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const unsigned char *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

/* A growing output buffer. */
typedef struct {
    unsigned char *b;
    size_t n, cap;
    int oom;
} obuf;

static unsigned char *ob_take(obuf *o, size_t n)
{
    if (o->oom) return NULL;
    if (o->n + n > o->cap) {
        size_t c = o->cap ? o->cap : 1 << 16;
        while (c < o->n + n) c *= 2;
        unsigned char *b = realloc(o->b, c);
        if (!b) {
            o->oom = 1;
            return NULL;
        }
        o->b = b, o->cap = c;
    }
    unsigned char *p = o->b + o->n;
    o->n += n;
    return p;
}

static void ob_floats(obuf *o, const float *v, size_t n)
{
    unsigned char *p = ob_take(o, 4 * n);
    if (!p) return;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        put32(p + 4 * i, u);
    }
}

static void get_floats(const unsigned char *p, float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u = get32(p + 4 * i);
        memcpy(&v[i], &u, 4);
    }
}

/* ---- writing ---- */

static int write_atomic(const char *path, const unsigned char *b, size_t n, int replace,
                        pgc_err *e)
{
    pgc_atomic_file a;
    pgc_atomic_remove_stale(path);
    int rc = pgc_atomic_open(&a, path, replace, e);
    if (rc) return rc;
    if ((rc = pgc_atomic_write(&a, b, n, e))) {
        pgc_atomic_abort(&a);
        return rc;
    }
    return pgc_atomic_commit(&a, e);
}

int pgc_model_save(const char *path, const pgc_net *net, int h, int w, int checkpoint,
                   const char *meta, int replace, pgc_err *e)
{
    size_t mlen = meta ? strlen(meta) : 0;
    if (mlen > PGC_MODEL_MAX_META)
        return pgc_errf(e, PGC_EINPUT, "model metadata too long (%zu bytes)", mlen);
    obuf o = {0};
    unsigned char *hd = ob_take(&o, HDR);
    if (hd) {
        memset(hd, 0, HDR);
        memcpy(hd, MAGIC, 8);
        put16(hd + 8, VMAJOR), put16(hd + 10, VMINOR);
        put32(hd + 12, checkpoint ? 1 : 0);
        put32(hd + 16, net->width), put32(hd + 20, h), put32(hd + 24, w);
        put32(hd + 28, net->npar);
        put64(hd + 32, (uint64_t)net->step);
        put32(hd + 40, (uint32_t)mlen);
        put32(hd + 44, (uint32_t)net->nclass);
        memcpy(hd + 48, net->arch, strnlen(net->arch, 15));
    }
    unsigned char *mp = ob_take(&o, mlen);
    if (mp && mlen) memcpy(mp, meta, mlen);
    size_t most = 0;
    for (int i = 0; i < net->npar; i++)
        if (net->par[i].count > most) most = net->par[i].count;
    float *host = malloc((most ? most : 1) * sizeof(float));
    const char *bad = NULL; /* the first parameter holding NaN or infinity */
    if (!host) o.oom = 1;
    for (int i = 0; i < net->npar && !o.oom; i++) {
        const pgc_param *p = &net->par[i];
        size_t nl = strlen(p->name);
        unsigned char *q = ob_take(&o, 2 + nl + 2 + 4 * p->rank);
        if (!q) break;
        put16(q, (uint32_t)nl);
        memcpy(q + 2, p->name, nl);
        q[2 + nl] = p->stat ? 1 : 0;
        q[3 + nl] = (unsigned char)p->rank;
        for (int d = 0; d < p->rank; d++) put32(q + 4 + nl + 4 * d, (uint32_t)p->dims[d]);
        const float *src[3] = {(p->stat ? net->s : net->p) + p->off, net->m + p->off,
                               net->v + p->off};
        int parts = checkpoint && !p->stat ? 3 : 1;
        for (int k = 0; k < parts; k++) {
            net->be->download(net->ctx, host, src[k], p->count);
            for (size_t j = 0; j < p->count && !bad; j++)
                if (!isfinite(host[j])) bad = p->name;
            ob_floats(&o, host, p->count);
        }
    }
    free(host);
    if (bad && !o.oom) { /* a reader refuses it: say so now, not at the next load */
        free(o.b);
        return pgc_errf(e, PGC_EINPUT, "cannot write '%s': the network's '%s' holds NaN or "
                        "infinity (training diverged)", path, bad);
    }
    unsigned char *crc = ob_take(&o, 4);
    if (o.oom || !crc) {
        free(o.b);
        return pgc_errf(e, PGC_ENOMEM, "out of memory writing '%s'", path);
    }
    /* a failed GPU downloads NaN: never write that as a model */
    if (pgc_net_status(net, e)) {
        free(o.b);
        return PGC_EINPUT;
    }
    put32(crc, (uint32_t)crc32(0L, o.b, (uInt)(o.n - 4)));
    int rc = write_atomic(path, o.b, o.n, replace, e);
    free(o.b);
    return rc;
}

/* ---- reading ---- */

typedef struct {
    unsigned char *b;
    size_t n;
} file_buf;

static int read_file(const char *path, file_buf *f, pgc_err *e)
{
    f->b = NULL, f->n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return pgc_errf(e, PGC_EINPUT, "cannot open model '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return pgc_errf(e, PGC_EINPUT, "cannot read model '%s': not a regular file", path);
    }
    if ((uint64_t)st.st_size > MAX_FILE) {
        close(fd);
        return pgc_errf(e, PGC_EINPUT, "cannot read model '%s': %lld bytes is too big", path,
                        (long long)st.st_size);
    }
    if (st.st_size < HDR + 4) {
        close(fd);
        return pgc_errf(e, PGC_EINPUT, "cannot read model '%s': truncated (%lld bytes)", path,
                        (long long)st.st_size);
    }
    f->n = (size_t)st.st_size;
    f->b = malloc(f->n);
    if (!f->b) {
        close(fd);
        return pgc_errf(e, PGC_ENOMEM, "out of memory reading model '%s'", path);
    }
    size_t got = 0;
    while (got < f->n) {
        ssize_t k = read(fd, f->b + got, f->n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    close(fd);
    if (got != f->n) {
        free(f->b);
        f->b = NULL;
        return pgc_errf(e, PGC_EINPUT, "cannot read model '%s': short read", path);
    }
    return PGC_OK;
}

/* The value of "key: " in "key: value\n" lines into buf, or NULL. */
static const char *meta_find(const char *meta, const char *key, char *buf, size_t n)
{
    size_t kl = strlen(key);
    for (const char *p = meta; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > kl + 1 && !strncmp(p, key, kl) && p[kl] == ':' && p[kl + 1] == ' ') {
            len -= kl + 2;
            if (len >= n) len = n - 1;
            memcpy(buf, p + kl + 2, len);
            buf[len] = 0;
            return buf;
        }
        p = nl ? nl + 1 : NULL;
    }
    return NULL;
}

/* Class names from the `classes` key (format/model.md 1.1), else none,tumour,class2.. */
static int class_names(const char *path, pgc_model_info *mi, pgc_err *e)
{
    char buf[PGC_MAX_CLASSES * PGC_CLASS_NAME_MAX];
    for (int k = 0; k < mi->nclass; k++)
        snprintf(mi->classes[k], PGC_CLASS_NAME_MAX, "%s", k == 0 ? "none" : k == 1 && mi->nclass == 2 ? "tumour" : "");
    if (!meta_find(mi->meta, "classes", buf, sizeof buf)) {
        for (int k = 1; k < mi->nclass && mi->nclass > 2; k++)
            snprintf(mi->classes[k], PGC_CLASS_NAME_MAX, "class%d", k);
        return PGC_OK;
    }
    int k = 0;
    for (char *tok = buf, *next; tok; tok = next, k++) {
        next = strchr(tok, ',');
        if (next) *next++ = 0;
        if (k >= mi->nclass || !tok[0] || strlen(tok) >= PGC_CLASS_NAME_MAX) break;
        snprintf(mi->classes[k], PGC_CLASS_NAME_MAX, "%s", tok);
    }
    char q[256];
    if (k != mi->nclass || strcmp(mi->classes[0], "none"))
        return pgc_errf(e, PGC_EINPUT, "cannot read model '%s': its classes '%s' are not %d "
                        "names starting with none", path, pgc_err_quote(buf, q, sizeof q), mi->nclass);
    return PGC_OK;
}

int pgc_model_class_index(const pgc_model_info *mi, const char *name)
{
    for (int k = 0; k < mi->nclass; k++)
        if (!strcmp(mi->classes[k], name)) return k;
    return -1;
}

const char *pgc_model_meta(const pgc_model_info *mi, const char *key, char *buf, size_t n)
{
    return meta_find(mi->meta, key, buf, n);
}

/* Checks magic, version, CRC and the header; fills info. */
static int check_file(const char *path, const file_buf *f, pgc_model_info *mi, pgc_err *e)
{
    const unsigned char *b = f->b;
    if (memcmp(b, MAGIC, 8))
        return pgc_errf(e, PGC_EINPUT, "cannot read model '%s': not a pgcam model (bad magic)", path);
    unsigned maj = get16(b + 8), min = get16(b + 10);
    if (maj != VMAJOR)
        return pgc_errf(e, PGC_EINPUT, "cannot read model '%s': model version %u.%u is not %d.x",
                        path, maj, min, VMAJOR);
    if (get32(b + f->n - 4) != (uint32_t)crc32(0L, b, (uInt)(f->n - 4)))
        return pgc_errf(e, PGC_EINPUT,
                        "cannot read model '%s': checksum mismatch (corrupt or truncated file)", path);
    uint32_t flags = get32(b + 12);
    /* Bits a newer writer may give a meaning this reader cannot honour. */
    if (flags & ~(uint32_t)1)
        return pgc_errf(e, PGC_EINPUT,
                        "cannot read model '%s': flags 0x%x set reserved bits (made by a newer "
                        "pgcam?)", path, (unsigned)flags);
    memset(mi, 0, sizeof *mi);
    mi->checkpoint = flags & 1;
    uint32_t width = get32(b + 16), h = get32(b + 20), w = get32(b + 24);
    uint64_t step = get64(b + 32);
    mi->step = (long)step;
    uint32_t mlen = get32(b + 40);
    memcpy(mi->arch, b + 48, 16);
    mi->arch[16] = 0;
    if (width < 1 || width > 1024 || !pgc_input_size_ok(h, w))
        return pgc_errf(e, PGC_EINPUT, "cannot read model '%s': bad sizes (width %u, %ux%u)",
                        path, width, h, w);
    char q[4 * 16 + 1];
    if (!pgc_arch_known(mi->arch))
        return pgc_errf(e, PGC_EINPUT, "cannot read model '%s': unknown architecture '%s'",
                        path, pgc_err_quote(mi->arch, q, sizeof q));
    if (step > PGC_MODEL_MAX_STEP)
        return pgc_errf(e, PGC_EINPUT, "cannot read model '%s': step count %llu is beyond %llu",
                        path, (unsigned long long)step, (unsigned long long)PGC_MODEL_MAX_STEP);
    if (mlen > PGC_MODEL_MAX_META || mlen > f->n - HDR - 4)
        return pgc_errf(e, PGC_EINPUT, "cannot read model '%s': bad metadata length %u", path, mlen);
    /* 1.0 files hold zero here: two classes */
    uint32_t nclass = min >= 1 ? get32(b + 44) : 2;
    if (nclass == 0) nclass = 2;
    if (nclass < 2 || nclass > PGC_MAX_CLASSES)
        return pgc_errf(e, PGC_EINPUT, "cannot read model '%s': bad number of classes %u (2..%d)",
                        path, nclass, PGC_MAX_CLASSES);
    mi->width = (int)width, mi->h = (int)h, mi->w = (int)w, mi->nclass = (int)nclass;
    mi->meta = malloc(mlen + 1);
    if (!mi->meta) return pgc_errf(e, PGC_ENOMEM, "out of memory");
    memcpy(mi->meta, b + HDR, mlen);
    mi->meta[mlen] = 0;
    int rc = class_names(path, mi, e);
    if (rc) pgc_model_info_free(mi);
    return rc;
}

int pgc_model_peek(const char *path, pgc_model_info *info, pgc_err *e)
{
    file_buf f;
    int rc = read_file(path, &f, e);
    if (rc) return rc;
    rc = check_file(path, &f, info, e);
    free(f.b);
    return rc;
}

int pgc_model_load(const char *path, const pgc_nn_backend *be, int n, int h, int w,
                   int threads, pgc_net **out, pgc_model_info *info, pgc_err *e)
{
    *out = NULL;
    file_buf f;
    pgc_model_info mi;
    int rc = read_file(path, &f, e);
    if (rc) return rc;
    if ((rc = check_file(path, &f, &mi, e))) {
        free(f.b);
        return rc;
    }
    pgc_net *net = NULL;
    {   /* the values the header's width implies must fit in the file, before any is made */
        size_t np, ns;
        if ((rc = pgc_net_count_params(mi.arch, mi.width, mi.nclass, &np, &ns, e))) goto fail;
        uint64_t need = 4 * ((uint64_t)np * (mi.checkpoint ? 3 : 1) + ns);
        if (need > f.n - HDR - 4 - get32(f.b + 40)) {
            rc = pgc_errf(e, PGC_EINPUT, "cannot read model '%s': %s width %d needs %llu bytes "
                          "of values, the file holds %zu", path, mi.arch, mi.width,
                          (unsigned long long)need, f.n);
            goto fail;
        }
    }
    rc = pgc_net_create_ex(&net, be, mi.arch, mi.width, mi.nclass, 0, n, h ? h : mi.h,
                           w ? w : mi.w, threads, 0, e);
    if (rc) goto fail;
    net->step = mi.step;
    const unsigned char *p = f.b + HDR + get32(f.b + 40), *end = f.b + f.n - 4;
    uint32_t nent = get32(f.b + 28);
    if ((int)nent != net->npar) {
        rc = pgc_errf(e, PGC_EINPUT, "cannot read model '%s': %u entries, %s wants %d", path,
                      nent, mi.arch, net->npar);
        goto fail;
    }
    unsigned char *seen = calloc(net->npar, 1);
    float *host = NULL;
    if (!seen) {
        rc = pgc_errf(e, PGC_ENOMEM, "out of memory");
        goto fail;
    }
    for (uint32_t k = 0; k < nent; k++) {
        char name[PGC_NAME_MAX];
        if (end - p < 2) goto trunc;
        uint32_t nl = get16(p);
        if (nl < 1 || nl >= PGC_NAME_MAX || (size_t)(end - p) < 4 + nl) goto trunc;
        memcpy(name, p + 2, nl);
        name[nl] = 0;
        int kind = p[2 + nl], rank = p[3 + nl];
        p += 4 + nl;
        int i = pgc_net_param_find(net, name);
        if (i < 0 || seen[i]) {
            char q[128];
            rc = pgc_errf(e, PGC_EINPUT, "cannot read model '%s': %s entry '%s' for %s", path,
                          i < 0 ? "unexpected" : "repeated", pgc_err_quote(name, q, sizeof q), mi.arch);
            goto fail2;
        }
        seen[i] = 1;
        pgc_param *q = &net->par[i];
        if (rank < 1 || rank > 4 || (size_t)(end - p) < 4u * rank) goto trunc;
        int same = kind == q->stat && rank == q->rank;
        for (int d = 0; d < rank; d++) same &= get32(p + 4 * d) == (uint32_t)q->dims[d];
        p += 4 * rank;
        if (!same) {
            rc = pgc_errf(e, PGC_EINPUT, "cannot read model '%s': entry '%s' has the wrong shape "
                          "for %s width %d", path, name, mi.arch, mi.width);
            goto fail2;
        }
        int parts = mi.checkpoint && !q->stat ? 3 : 1;
        if ((size_t)(end - p) / 4 / parts < q->count) goto trunc;
        free(host);
        if (!(host = malloc(q->count * sizeof(float)))) {
            rc = pgc_errf(e, PGC_ENOMEM, "out of memory");
            goto fail2;
        }
        float *dst[3] = {(q->stat ? net->s : net->p) + q->off, net->m + q->off, net->v + q->off};
        for (int j = 0; j < parts; j++) {
            get_floats(p, host, q->count);
            for (size_t t = 0; t < q->count; t++)
                if (!isfinite(host[t])) {
                    rc = pgc_errf(e, PGC_EINPUT, "cannot read model '%s': entry '%s' holds "
                                  "NaN or infinity", path, name);
                    goto fail2;
                }
            be->upload(net->ctx, dst[j], host, q->count);
            p += 4 * q->count;
        }
    }
    if (p != end) {
        rc = pgc_errf(e, PGC_EINPUT, "cannot read model '%s': %zu stray bytes after the entries",
                      path, (size_t)(end - p));
        goto fail2;
    }
    free(seen);
    free(host);
    free(f.b);
    *out = net;
    if (info) *info = mi;
    else pgc_model_info_free(&mi);
    return PGC_OK;
trunc:
    rc = pgc_errf(e, PGC_EINPUT, "cannot read model '%s': entries run past the end", path);
fail2:
    free(seen);
    free(host);
fail:
    pgc_net_free(net);
    pgc_model_info_free(&mi);
    free(f.b);
    return rc;
}

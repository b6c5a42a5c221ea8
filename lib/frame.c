#include "frame.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pgc_frame_free(pgc_frame *f)
{
    for (int i = 0; i < f->cap; i++) pgc_record_free(&f->rec[i]);
    free(f->rec);
    free(f->drop);
    memset(f, 0, sizeof *f);
}

pgc_record *pgc_frame_add(pgc_frame *f, pgc_err *e)
{
    if (f->n == f->cap) {
        int cap = f->cap ? 2 * f->cap : 8;
        pgc_record *rec = realloc(f->rec, cap * sizeof *rec);
        if (!rec) return pgc_errf(e, PGC_ENOMEM, "out of memory"), NULL;
        f->rec = rec;
        unsigned char *drop = realloc(f->drop, cap);
        if (!drop) return pgc_errf(e, PGC_ENOMEM, "out of memory"), NULL;
        f->drop = drop;
        memset(f->rec + f->cap, 0, (cap - f->cap) * sizeof *rec);
        f->cap = cap;
    }
    pgc_record *r = &f->rec[f->n];
    f->drop[f->n] = 0;
    f->n++;
    pgc_meta_clear(r);
    return r;
}

int pgc_frame_slot(pgc_frame *f, const char *name, pgc_err *e)
{
    int i = pgc_frame_find(f, name);
    if (i >= 0) return i;
    return pgc_frame_add(f, e) ? f->n - 1 : PGC_ENOMEM;
}

static const char *frame_of(const pgc_record *r, char *buf, size_t n)
{
    const char *v = pgc_meta_get(r, "frame", buf, n);
    return v ? v : (buf[0] = 0, buf);
}

/* A frame is whole and one: its id not seen before in this stream (the records of a frame
 * are adjacent, stream.md), checked as it starts; and one image in it, checked as it
 * ends. Frames without an id are exempt from the first: there is nothing to confuse. */
static int frame_starts(pgc_reader *rd, const char *id, pgc_err *e)
{
    if (!id[0]) return PGC_OK;
    int rc = pgc_reader_frame_again(rd, id, e);
    if (rc == 1)
        return pgc_errf(e, PGC_EINPUT, "'%s': frame '%s' appears again at byte %llu (the records "
                        "of a frame must be adjacent, its id unique)", pgc_reader_name(rd), id,
                        (unsigned long long)pgc_reader_offset(rd));
    return rc;
}

static int frame_ends(pgc_reader *rd, const pgc_frame *f, const char *id, pgc_err *e)
{
    int images = 0;
    for (int i = 0; i < f->n; i++) images += pgc_record_is(&f->rec[i], "image");
    if (images > 1)
        return pgc_errf(e, PGC_EINPUT, "'%s': frame '%s' holds %d image records (one a frame)",
                        pgc_reader_name(rd), id[0] ? id : "(no id)", images);
    return PGC_OK;
}

int pgc_frame_read(pgc_reader *rd, pgc_frame *f, pgc_err *e)
{
    char id[4096], other[4096];
    f->n = 0;
    for (;;) {
        pgc_record *r = pgc_frame_add(f, e);
        if (!r) return PGC_ENOMEM;
        int rc = pgc_reader_next(rd, r, e);
        if (rc <= 0) {
            f->n--;
            if (rc < 0) return rc;
            if (f->n && (rc = frame_ends(rd, f, id, e))) return rc;
            return f->n > 0;
        }
        if (f->n == 1) {
            if ((rc = frame_starts(rd, frame_of(r, id, sizeof id), e))) return rc;
            continue;
        }
        if (strcmp(frame_of(r, other, sizeof other), id)) {
            pgc_reader_unread(rd, r);
            f->n--;
            if ((rc = frame_ends(rd, f, id, e))) return rc;
            return 1;
        }
    }
}

int pgc_frame_find(const pgc_frame *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (pgc_record_is(&f->rec[i], name)) return i;
    return -1;
}

const char *pgc_frame_id(const pgc_frame *f, char *buf, size_t bufsz)
{
    if (f->n == 0) return buf[0] = 0, buf;
    return frame_of(&f->rec[0], buf, bufsz);
}

int pgc_frame_write(pgc_writer *w, const pgc_frame *f, pgc_err *e)
{
    for (int i = 0; i < f->n; i++) {
        if (f->drop[i]) continue;
        int rc = pgc_writer_put(w, &f->rec[i], e);
        if (rc) return rc;
    }
    return PGC_OK;
}

int pgc_map_check(const pgc_record *r, const char *frame, const char *name, pgc_err *e)
{
    if (r->dtype != PGC_DT_F32 || r->rank != 2 || !r->dims[0] || !r->dims[1])
        return pgc_errf(e, PGC_EINPUT, "frame '%s': %s is not a non-empty f32 (y x) map", frame,
                        name);
    const float *m = r->data;
    for (size_t i = 0; i < r->dims[0] * r->dims[1]; i++)
        if (!isfinite(m[i]))
            return pgc_errf(e, PGC_EINPUT, "frame '%s': %s holds %s at pixel %zu", frame, name,
                            isnan(m[i]) ? "NaN" : "Inf", i);
    return PGC_OK;
}

static uint64_t hash64(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) h = (h ^ *p) * 1099511628211ull;
    return h;
}

void pgc_frame_filename(const char *id, char *buf, size_t bufsz)
{
    size_t len = strlen(id), keep = len < bufsz ? len : bufsz - 18;
    for (size_t i = 0; i < keep; i++) {
        char ch = id[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '.' || ch == '_' || ch == '-';
        buf[i] = ok && !(i == 0 && ch == '.') ? ch : '_';
    }
    buf[keep] = 0;
    if (keep < len) snprintf(buf + keep, bufsz - keep, "~%016llx", (unsigned long long)hash64(id));
    if (!len) snprintf(buf, bufsz, "frame");
}

struct pgc_name_ent {
    char *file, *id;
};

static int names_put(struct pgc_name_ent *tab, size_t cap, struct pgc_name_ent ent,
                     struct pgc_name_ent **found)
{
    for (size_t i = hash64(ent.file) & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (!tab[i].file) return tab[i] = ent, 0;
        if (!strcmp(tab[i].file, ent.file)) return *found = &tab[i], 1;
    }
}

int pgc_names_claim(pgc_names *s, const char *file, const char *id, pgc_err *e)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        struct pgc_name_ent *t = calloc(cap, sizeof *t), *dummy;
        if (!t) return pgc_errf(e, PGC_ENOMEM, "out of memory for %zu file names", s->n);
        for (size_t i = 0; i < s->cap; i++)
            if (s->tab[i].file) names_put(t, cap, s->tab[i], &dummy);
        free(s->tab);
        s->tab = t, s->cap = cap;
    }
    struct pgc_name_ent ent = {strdup(file), strdup(id)}, *old = NULL;
    if (!ent.file || !ent.id) {
        free(ent.file), free(ent.id);
        return pgc_errf(e, PGC_ENOMEM, "out of memory for %zu file names", s->n);
    }
    if (names_put(s->tab, s->cap, ent, &old)) {
        int same = !strcmp(old->id, id);
        if (same) pgc_errf(e, PGC_EINPUT, "frame '%.200s' would write '%.300s' twice", id, file);
        else pgc_errf(e, PGC_EINPUT, "frames '%.200s' and '%.200s' both make the file name '%.300s'",
                      old->id, id, file);
        free(ent.file), free(ent.id);
        return PGC_EINPUT;
    }
    s->n++;
    return PGC_OK;
}

void pgc_names_free(pgc_names *s)
{
    for (size_t i = 0; i < s->cap; i++) free(s->tab[i].file), free(s->tab[i].id);
    free(s->tab);
    memset(s, 0, sizeof *s);
}

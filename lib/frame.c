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
    if (keep < len) snprintf(buf + keep, bufsz - keep, "~%016llx", pgc_str_hash(id));
    if (!len) snprintf(buf, bufsz, "frame");
}

int pgc_names_claim(pgc_names *s, const char *file, const char *id, pgc_err *e)
{
    const char *old;
    if (!pgc_strmap_get(&s->files, file, &old)) return pgc_strmap_add(&s->files, file, id, e);
    if (!strcmp(old, id)) return pgc_errf(e, PGC_EINPUT, "frame '%.200s' would write '%.300s' twice", id, file);
    return pgc_errf(e, PGC_EINPUT, "frames '%.200s' and '%.200s' both make the file name '%.300s'",
                    old, id, file);
}

void pgc_names_free(pgc_names *s) { pgc_strmap_free(&s->files); }

#include "csv.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pgc_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

void pgc_csv_free(pgc_csv *t)
{
    free(t->text);
    free(t->cell);
    free(t->line);
    memset(t, 0, sizeof *t);
}

int pgc_csv_col(const pgc_csv *t, const char *name)
{
    for (size_t c = 0; c < t->ncol; c++)
        if (!strcmp(t->cell[c], name)) return (int)c;
    return -1;
}

const char *pgc_csv_get(const pgc_csv *t, size_t row, size_t col)
{
    return t->cell[(row + 1) * t->ncol + col];
}

/* Growing arrays of field pointers and row line numbers. */
struct csv_build {
    char **cell;
    size_t ncell, cap;
    size_t *line;
    size_t nline, lcap;
};

static int push_cell(struct csv_build *b, char *s)
{
    if (b->ncell == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        char **p = realloc(b->cell, cap * sizeof *p);
        if (!p) return -1;
        b->cell = p, b->cap = cap;
    }
    b->cell[b->ncell++] = s;
    return 0;
}

static int push_line(struct csv_build *b, size_t line)
{
    if (b->nline == b->lcap) {
        size_t cap = b->lcap ? 2 * b->lcap : 64;
        size_t *p = realloc(b->line, cap * sizeof *p);
        if (!p) return -1;
        b->line = p, b->lcap = cap;
    }
    b->line[b->nline++] = line;
    return 0;
}

/* Splits t->text (len bytes, NUL after them) into fields in place. */
static int csv_split(pgc_csv *t, size_t len, const char *name, pgc_err *e)
{
    struct csv_build b = {0};
    char *p = t->text, *end = t->text + len;
    size_t line = 1, ncol = 0;
    int rc = PGC_OK;
    if (memchr(t->text, 0, len)) {
        rc = pgc_errf(e, PGC_EINPUT, "cannot read '%s': binary data (NUL byte)", name);
        goto out;
    }
    while (p < end) {
        if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) { /* blank line */
            p += *p == '\r' ? 2 : 1;
            line++;
            continue;
        }
        size_t row_line = line, nf = 0;
        for (;;) { /* one field per iteration */
            char *field = p, sep;
            if (*p == '"') {
                char *r = p + 1, *w = p;
                field = w;
                for (;;) {
                    if (r >= end) {
                        rc = pgc_errf(e, PGC_EINPUT, "cannot read '%s': line %zu: unterminated quote",
                                      name, row_line);
                        goto out;
                    }
                    if (*r == '"') {
                        if (r + 1 < end && r[1] == '"') { *w++ = '"'; r += 2; continue; }
                        r++;
                        break;
                    }
                    if (*r == '\n') line++;
                    *w++ = *r++;
                }
                if (r < end && *r == '\r' && r + 1 < end && r[1] == '\n') r++;
                if (r < end && *r != ',' && *r != '\n') {
                    rc = pgc_errf(e, PGC_EINPUT,
                                  "cannot read '%s': line %zu: text after a closing quote",
                                  name, line);
                    goto out;
                }
                sep = r < end ? *r : '\n';
                *w = '\0';
                p = r < end ? r + 1 : end;
            } else {
                char *r = p;
                while (r < end && *r != ',' && *r != '\n') r++;
                sep = r < end ? *r : '\n';
                if (sep == '\n' && r > p && r[-1] == '\r') r[-1] = '\0';
                *r = '\0';
                p = r < end ? r + 1 : end;
            }
            if (push_cell(&b, field)) goto nomem;
            nf++;
            if (sep == '\n') { line++; break; }
            if (p >= end) { /* a trailing comma at the end of the file: one empty field */
                if (push_cell(&b, end)) goto nomem;
                nf++;
                break;
            }
        }
        if (b.nline == 0) ncol = nf;
        else if (nf != ncol) {
            rc = pgc_errf(e, PGC_EINPUT, "cannot read '%s': line %zu: %zu fields, header has %zu",
                          name, row_line, nf, ncol);
            goto out;
        }
        if (push_line(&b, row_line)) goto nomem;
    }
    if (b.nline == 0) {
        rc = pgc_errf(e, PGC_EINPUT, "cannot read '%s': empty file (no header row)", name);
        goto out;
    }
    t->cell = b.cell, t->line = b.line, t->ncol = ncol, t->nrow = b.nline - 1;
    return PGC_OK;
nomem:
    rc = pgc_errf(e, PGC_ENOMEM, "cannot read '%s': out of memory", name);
out:
    free(b.cell);
    free(b.line);
    return rc;
}

int pgc_csv_parse(const char *buf, size_t len, const char *name, pgc_csv *t, pgc_err *e)
{
    memset(t, 0, sizeof *t);
    if (len > PGC_CSV_MAX_BYTES)
        return pgc_errf(e, PGC_EINPUT, "cannot read '%s': larger than %u MiB", name,
                        PGC_CSV_MAX_BYTES >> 20);
    /* A UTF-8 byte order mark (spreadsheets write one) is not part of the first column's
     * name; lines may end in LF, CR LF or a lone CR (old Mac), all read as LF. */
    if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) buf += 3, len -= 3;
    t->text = malloc(len + 1);
    if (!t->text) return pgc_errf(e, PGC_ENOMEM, "cannot read '%s': out of memory", name);
    if (len) memcpy(t->text, buf, len);
    t->text[len] = '\0';
    for (size_t i = 0; i < len; i++)
        if (t->text[i] == '\r' && t->text[i + 1] != '\n') t->text[i] = '\n';
    int rc = csv_split(t, len, name, e);
    if (rc) pgc_csv_free(t);
    return rc;
}

int pgc_csv_load(const char *path, pgc_csv *t, pgc_err *e)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f) return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = PGC_OK;
    for (;;) {
        if (len == cap) {
            if (cap > PGC_CSV_MAX_BYTES) {
                rc = pgc_errf(e, PGC_EINPUT, "cannot read '%s': larger than %u MiB", path,
                              PGC_CSV_MAX_BYTES >> 20);
                break;
            }
            cap = cap ? 2 * cap : 65536;
            char *p = realloc(buf, cap);
            if (!p) { rc = pgc_errf(e, PGC_ENOMEM, "cannot read '%s': out of memory", path); break; }
            buf = p;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f))
                rc = pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (rc == PGC_OK) rc = pgc_csv_parse(buf, len, path, t, e);
    free(buf);
    return rc;
}

/* Sorting rows by basename, ties by row, so several rows of one file keep their order. */
struct keyed {
    const char *key;
    size_t row;
};

static int keyed_cmp(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->row > y->row) - (x->row < y->row);
}

static struct keyed *rows_by_basename(const pgc_csv *t, int col)
{
    struct keyed *k = malloc((t->nrow ? t->nrow : 1) * sizeof *k);
    if (!k) return NULL;
    for (size_t r = 0; r < t->nrow; r++)
        k[r] = (struct keyed){pgc_basename(pgc_csv_get(t, r, (size_t)col)), r};
    qsort(k, t->nrow, sizeof *k, keyed_cmp);
    return k;
}

/* First index in the sorted keys whose key is >= name. */
static size_t lower_bound(const char *const *keys, size_t stride, size_t n, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(*(const char *const *)((const char *)keys + mid * stride), name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int need_col(const pgc_csv *t, const char *col, const char *path, int *out, pgc_err *e)
{
    *out = pgc_csv_col(t, col);
    if (*out < 0) return pgc_errf(e, PGC_EINPUT, "cannot read '%s': no '%s' column", path, col);
    return PGC_OK;
}

void pgc_labels_free(pgc_labels *l)
{
    pgc_csv_free(&l->csv);
    free(l->order);
    memset(l, 0, sizeof *l);
}

int pgc_labels_load(const char *path, pgc_labels *l, pgc_err *e)
{
    memset(l, 0, sizeof *l);
    int rc = pgc_csv_load(path, &l->csv, e);
    if (rc) return rc;
    pgc_csv *t = &l->csv;
    if ((rc = need_col(t, "file", path, &l->col_file, e)) ||
        (rc = need_col(t, "label", path, &l->col_label, e)))
        goto fail;
    l->col_type = pgc_csv_col(t, "tumour_type");
    struct keyed *k = rows_by_basename(t, l->col_file);
    l->order = malloc((t->nrow ? t->nrow : 1) * sizeof *l->order);
    if (!k || !l->order) {
        free(k);
        rc = pgc_errf(e, PGC_ENOMEM, "cannot read '%s': out of memory", path);
        goto fail;
    }
    for (size_t i = 0; i < t->nrow; i++) {
        size_t r = k[i].row;
        const char *lab = pgc_csv_get(t, r, (size_t)l->col_label);
        if (strcmp(lab, "tumour") && strcmp(lab, "none")) {
            rc = pgc_errf(e, PGC_EINPUT, "cannot read '%s': line %zu: label '%.40s' is not "
                          "'tumour' or 'none'", path, t->line[r + 1], lab);
            break;
        }
        if (i > 0 && !strcmp(k[i].key, k[i - 1].key) &&
            strcmp(lab, pgc_csv_get(t, k[i - 1].row, (size_t)l->col_label))) {
            rc = pgc_errf(e, PGC_EINPUT, "cannot read '%s': line %zu: '%.200s' has two labels",
                          path, t->line[r + 1], k[i].key);
            break;
        }
        l->order[i] = r;
    }
    free(k);
    if (rc == PGC_OK) return rc;
fail:
    pgc_labels_free(l);
    return rc;
}

/* The data row of the file whose basename matches path's basename, or -1. */
static long labels_row(const pgc_labels *l, const char *path)
{
    const char *name = pgc_basename(path);
    const pgc_csv *t = &l->csv;
    size_t lo = 0, hi = t->nrow;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *k = pgc_basename(pgc_csv_get(t, l->order[mid], (size_t)l->col_file));
        int c = strcmp(k, name);
        if (c == 0) return (long)l->order[mid];
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    return -1;
}

const char *pgc_labels_find(const pgc_labels *l, const char *path)
{
    long r = labels_row(l, path);
    return r < 0 ? NULL : pgc_csv_get(&l->csv, (size_t)r, (size_t)l->col_label);
}

const char *pgc_labels_find_type(const pgc_labels *l, const char *path)
{
    long r = labels_row(l, path);
    if (r < 0 || l->col_type < 0) return NULL;
    const char *v = pgc_csv_get(&l->csv, (size_t)r, (size_t)l->col_type);
    return v[0] ? v : NULL;
}

void pgc_boxes_free(pgc_boxes *b)
{
    pgc_csv_free(&b->csv);
    free(b->file);
    free(b->xyxy);
    memset(b, 0, sizeof *b);
}

/* A finite number that fills the whole field. */
static int parse_num(const char *s, float *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || fabs(v) > 1e9) return -1;
    *out = (float)v;
    return 0;
}

int pgc_boxes_load(const char *path, pgc_boxes *b, pgc_err *e)
{
    memset(b, 0, sizeof *b);
    int rc = pgc_csv_load(path, &b->csv, e);
    if (rc) return rc;
    pgc_csv *t = &b->csv;
    static const char *const names[5] = {"file", "x0", "y0", "x1", "y1"};
    int col[5];
    for (int i = 0; i < 5; i++)
        if ((rc = need_col(t, names[i], path, &col[i], e))) goto fail;
    struct keyed *k = rows_by_basename(t, col[0]);
    size_t n = t->nrow ? t->nrow : 1;
    b->file = malloc(n * sizeof *b->file);
    b->xyxy = malloc(n * 4 * sizeof *b->xyxy);
    if (!k || !b->file || !b->xyxy) {
        free(k);
        rc = pgc_errf(e, PGC_ENOMEM, "cannot read '%s': out of memory", path);
        goto fail;
    }
    for (size_t i = 0; i < t->nrow && rc == PGC_OK; i++) {
        size_t r = k[i].row;
        float *v = b->xyxy + 4 * i;
        b->file[i] = (char *)k[i].key;
        for (int c = 0; c < 4; c++) {
            const char *s = pgc_csv_get(t, r, (size_t)col[c + 1]);
            if (parse_num(s, &v[c])) {
                rc = pgc_errf(e, PGC_EINPUT, "cannot read '%s': line %zu: %s '%.40s' is not a "
                              "number", path, t->line[r + 1], names[c + 1], s);
                break;
            }
        }
        if (rc == PGC_OK && !(v[0] < v[2] && v[1] < v[3]))
            rc = pgc_errf(e, PGC_EINPUT, "cannot read '%s': line %zu: empty box (need x0 < x1 "
                          "and y0 < y1)", path, t->line[r + 1]);
    }
    free(k);
    b->n = t->nrow;
    if (rc == PGC_OK) return rc;
fail:
    pgc_boxes_free(b);
    return rc;
}

size_t pgc_boxes_find(const pgc_boxes *b, const char *path, const float **xyxy)
{
    const char *name = pgc_basename(path);
    size_t i = lower_bound((const char *const *)b->file, sizeof *b->file, b->n, name), j = i;
    while (j < b->n && !strcmp(b->file[j], name)) j++;
    *xyxy = b->xyxy ? b->xyxy + 4 * i : NULL;
    return j - i;
}

/* .npy files as records: see npy_import.h. */
#include "npy_import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npy.h"

/* The whole of path (at most limit bytes), NUL-terminated, into *out; *out NULL when
 * there is no such file to open. */
static int read_all(const char *path, size_t limit, char **out, size_t *len, pgc_err *e)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return PGC_OK;
    char *buf = malloc(limit + 1);
    if (!buf) {
        fclose(f);
        return pgc_errf(e, PGC_ENOMEM, "out of memory");
    }
    *len = fread(buf, 1, limit + 1, f);
    int bad = ferror(f);
    fclose(f);
    int err = errno;
    if (bad || *len > limit) {
        free(buf);
        if (bad) return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", path, strerror(err));
        return pgc_errf(e, PGC_EINPUT, "cannot read '%s': larger than %zu bytes", path, limit);
    }
    buf[*len] = '\0';
    *out = buf;
    return PGC_OK;
}

static void default_names(pgc_record *r, const char *name, const char **names)
{
    static const char *const by_rank[5][4] = {
        {0}, {"n"}, {"y", "x"}, {"c", "y", "x"}, {"n", "c", "y", "x"},
    };
    for (int i = 0; i < r->rank; i++) names[i] = by_rank[r->rank][i];
    if (r->rank == 2 && r->dims[1] == 4 &&
        (!strcmp(name, "truth") || !strcmp(name, "boxes") || !strcmp(name, "boxes.src")))
        names[0] = "box", names[1] = "coord";
    if (r->rank == 1 && !strcmp(name, "prob")) names[0] = "class";
}

/* The lines of a .meta file (text, len bytes, NUL-terminated) into r's metadata and
 * names; *have_dims set when a '# dims:' line names them. */
static int parse_meta(char *text, size_t len, const char *meta_path, pgc_record *r,
                      const char **names, char namebuf[4][16], int *have_dims, pgc_err *e)
{
    pgc_err in;
    int line = 0;
    for (char *p = text, *nl; p < text + len; p = nl + 1) {
        line++;
        nl = strchr(p, '\n');
        if (!nl)
            return pgc_errf(e, PGC_EINPUT, "cannot read '%s': line %d does not end with a newline",
                            meta_path, line);
        *nl = '\0';
        if (p[0] == '#') {
            int k = 0;
            if (!strncmp(p, "# dims:", 7)) {
                *have_dims = 1;
                char *save;
                for (char *t = strtok_r(p + 7, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
                    if (k == r->rank || strlen(t) > 8)
                        return pgc_errf(e, PGC_EINPUT,
                                        "cannot read '%s': '# dims:' does not fit the %d-d data",
                                        meta_path, r->rank);
                    snprintf(namebuf[k], sizeof namebuf[k], "%s", t);
                    names[k] = namebuf[k];
                    k++;
                }
                if (k != r->rank)
                    return pgc_errf(e, PGC_EINPUT,
                                    "cannot read '%s': '# dims:' names %d dims, the data has %d",
                                    meta_path, k, r->rank);
            }
            continue;
        }
        char *colon = strstr(p, ": ");
        if (!colon)
            return pgc_errf(e, PGC_EINPUT, "cannot read '%s': line %d is not 'key: value'",
                            meta_path, line);
        *colon = '\0';
        if (pgc_meta_set(r, p, colon + 2, &in))
            return pgc_errf(e, PGC_EINPUT, "cannot read '%s': line %d: %s", meta_path, line, in.msg);
    }
    return PGC_OK;
}

/* Metadata of file from its .meta sidecar (or its name); dimension names too. */
static int import_meta(const char *file, pgc_record *r, const char **names, char namebuf[4][16],
                       pgc_err *e)
{
    pgc_err in;
    char meta_path[4096];
    size_t fl = strlen(file);
    if (fl > 4 && !strcmp(file + fl - 4, ".npy")) snprintf(meta_path, sizeof meta_path, "%.*s.meta", (int)(fl - 4), file);
    else snprintf(meta_path, sizeof meta_path, "%s.meta", file);
    size_t len = 0;
    char *text;
    /* A record's metadata may be 1 MiB: room too for the '# dims:' line --export puts
     * first ("# dims:" and 4 names of 8, 44 bytes), so that every export reads back. */
    int rc = read_all(meta_path, PGC_MAX_META + 64, &text, &len, e);
    if (rc) return rc;
    pgc_meta_clear(r);
    char stem[1024], name[256] = "";
    snprintf(stem, sizeof stem, "%s", strrchr(file, '/') ? strrchr(file, '/') + 1 : file);
    size_t sl = strlen(stem);
    if (sl > 4 && !strcmp(stem + sl - 4, ".npy")) stem[sl - 4] = '\0';
    if (!text) { /* <frame>.<name>.npy */
        char *dot = strrchr(stem, '.');
        if (dot && dot != stem) *dot = '\0', snprintf(name, sizeof name, "%s", dot + 1);
        else snprintf(name, sizeof name, "image");
        if (pgc_meta_set(r, "frame", stem, &in) || pgc_meta_set(r, "name", name, &in))
            return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", file, in.msg);
        default_names(r, name, names);
        return PGC_OK;
    }
    int have_dims = 0;
    rc = parse_meta(text, len, meta_path, r, names, namebuf, &have_dims, e);
    free(text);
    if (rc) return rc;
    if (!pgc_meta_get(r, "name", name, sizeof name)) {
        char *dot = strrchr(stem, '.');
        snprintf(name, sizeof name, "%s", dot ? dot + 1 : "image");
        if (pgc_meta_set(r, "name", name, &in))
            return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", file, in.msg);
    }
    if (!have_dims) default_names(r, name, names);
    return PGC_OK;
}

/* The header, then the metadata, then the data of the open file fd. */
static int read_npy(int fd, const char *file, pgc_record *r, pgc_err *e)
{
    struct stat st;
    if (fstat(fd, &st) != 0) return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", file, strerror(errno));
    unsigned char head[12];
    ssize_t k = read(fd, head, sizeof head);
    size_t need;
    if (pgc_npy_header_size(head, k > 0 ? (size_t)k : 0, file, &need, e)) return PGC_EINPUT;
    unsigned char *hdr = malloc(need);
    if (!hdr) return pgc_errf(e, PGC_ENOMEM, "out of memory");
    pgc_npy info;
    int rc = PGC_OK;
    if (pread(fd, hdr, need, 0) != (ssize_t)need)
        rc = pgc_errf(e, PGC_EINPUT, "cannot read '%s': truncated .npy header", file);
    else if (pgc_npy_parse(hdr, need, file, &info, e))
        rc = PGC_EINPUT;
    free(hdr);
    if (rc) return rc;
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < info.data_offset + info.data_bytes)
        return pgc_errf(e, PGC_EINPUT, "cannot read '%s': truncated .npy data (%llu of %llu bytes)",
                        file, (unsigned long long)(st.st_size - (off_t)info.data_offset),
                        (unsigned long long)info.data_bytes);
    const char *names[PGC_MAX_RANK] = {0};
    char namebuf[4][16];
    if (pgc_record_shape(r, info.dtype, info.rank, info.dims, NULL, e)) return PGC_EINPUT;
    if ((rc = import_meta(file, r, names, namebuf, e))) return rc;
    if (pgc_record_shape(r, info.dtype, info.rank, info.dims, names, e))
        return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", file, e->msg);
    unsigned char *p = r->data;
    uint64_t left = info.data_bytes, off = info.data_offset;
    while (left > 0) {
        ssize_t got = pread(fd, p, left > (1u << 30) ? (1u << 30) : (size_t)left, (off_t)off);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0)
            return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", file,
                            got < 0 ? strerror(errno) : "truncated .npy data");
        p += got, left -= (uint64_t)got, off += (uint64_t)got;
    }
    size_t es = pgc_dtype_size(info.dtype);
    if (info.big_endian) {
        unsigned char *d = r->data;
        for (uint64_t i = 0; i < info.data_bytes; i += es)
            for (size_t a = 0, b = es - 1; a < b; a++, b--) {
                unsigned char t = d[i + a];
                d[i + a] = d[i + b], d[i + b] = t;
            }
    }
    return PGC_OK;
}

int pgc_npy_import(const char *file, pgc_record *r, pgc_err *e)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", file, strerror(errno));
    int rc = read_npy(fd, file, r, e);
    close(fd);
    return rc;
}

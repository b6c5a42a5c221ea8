/* pgc-npy: between the stream and NumPy. --export writes each record as a .npy file with
 * its metadata beside it; --import packs .npy files (and their .meta) into a stream.
 * Reads: a stream (export) or .npy files (import). Writes: files, or a stream. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/npy.h"
#include "common/cli.h"

static const char help_head[] =
    "usage: pgc-npy --export DIR [--force] [STREAM]\n"
    "       pgc-npy --import FILE.npy...\n"
    "--export reads a stream (STREAM or stdin) and writes every record as\n"
    "DIR/<frame>.<name>.npy (format 1.0, little-endian, header padded to 64 bytes) and\n"
    "DIR/<frame>.<name>.meta (the record's metadata, `key: value` lines, after a\n"
    "'# dims: y x' line naming the dimensions). Characters of the frame id and the name\n"
    "other than A-Z a-z 0-9 . _ - become '_' (t1c:axial:70 -> t1c_axial_70; a long id is\n"
    "cut and gets a hash), as in pgc-render. DIR is created if needed; existing files are\n"
    "not overwritten unless --force.\n"
    "--import reads the .npy files (u1 u2 i2 i4 f4 f8, either byte order, C order, up to\n"
    "4 dims) and writes them as a stream on stdout, in the order given, each with the\n"
    "metadata of the .meta file beside it (FILE.meta for FILE.npy) when there is one.\n"
    "Without one, FILE <frame>.<name>.npy gives frame and name. Dimension names come from\n"
    "the '# dims:' line, else from the shape (box coord for n x 4 truth/boxes, y x, c y x).\n"
    "\n";
static const char help_tail[] =
    "\n"
    "Exit status: 0 success, 1 bad input (one line on stderr naming the file), 2 bad usage.\n";

/* ---- export */

/* Creates path (refusing to replace a file unless force) and writes the n bytes of
 * each part. Removes what it wrote on failure. */
static void write_file(const char *path, int force, const void *a, size_t na, const void *b,
                       size_t nb)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), 0644);
    if (fd < 0) {
        if (errno == EEXIST) cli_fail("will not overwrite '%s' (use --force)", path);
        cli_fail("cannot write '%s': %s", path, strerror(errno));
    }
    const void *parts[2] = {a, b};
    size_t sizes[2] = {na, nb};
    for (int i = 0; i < 2; i++) {
        const char *p = parts[i];
        size_t left = sizes[i];
        while (left > 0) {
            ssize_t k = write(fd, p, left > (1u << 30) ? (1u << 30) : left);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) {
                int err = errno;
                close(fd);
                unlink(path);
                cli_fail("cannot write '%s': %s", path, strerror(err));
            }
            p += k, left -= (size_t)k;
        }
    }
    if (close(fd) != 0) {
        int err = errno;
        unlink(path);
        cli_fail("cannot write '%s': %s", path, strerror(err));
    }
}

static void export_stream(const char *dir, int force, const char *input)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) cli_fail("cannot create '%s': %s", dir, strerror(errno));
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) cli_fail("cannot write to '%s': not a directory", dir);
    pgc_reader *rd = cli_reader(input);
    pgc_record r = {0};
    /* frame and name stay apart and fit a file name: 176 + 1 + 64 + ".meta" < 255 */
    char frame[4096], name[256], sf[177], sn[65], path[4096], hdr[512], id[4400];
    char *meta = NULL;
    size_t meta_cap = 0;
    static pgc_names written; /* static: reachable when an error exits */
    for (unsigned long n = 0; cli_next(rd, &r) == 1; n++) {
        if (!pgc_meta_get(&r, "frame", frame, sizeof frame)) snprintf(frame, sizeof frame, "rec%lu", n);
        if (!pgc_meta_get(&r, "name", name, sizeof name)) snprintf(name, sizeof name, "tensor");
        pgc_frame_filename(frame, sf, sizeof sf);
        pgc_frame_filename(name, sn, sizeof sn);
        size_t hl;
        pgc_err e;
        if (pgc_npy_header(r.dtype, r.rank, r.dims, hdr, sizeof hdr, &hl, &e)) cli_die(PGC_EINPUT, &e);
        snprintf(path, sizeof path, "%s/%s.%s.npy", dir, sf, sn);
        snprintf(id, sizeof id, "%s' record '%s", frame, name); /* reads: frame 'f' record 'n' */
        if (pgc_names_claim(&written, path, id, &e)) cli_die(PGC_EINPUT, &e);
        write_file(path, force, hdr, hl, r.data, (size_t)pgc_record_nbytes(&r));

        size_t need = r.meta_len + 64;
        if (need > meta_cap) {
            free(meta);
            if (!(meta = malloc(need))) cli_fail("out of memory");
            meta_cap = need;
        }
        int ml = snprintf(meta, meta_cap, "# dims:");
        for (int i = 0; i < r.rank; i++)
            ml += snprintf(meta + ml, meta_cap - (size_t)ml, " %s", r.dimname[i][0] ? r.dimname[i] : "?");
        meta[ml++] = '\n';
        if (r.meta_len) memcpy(meta + ml, r.meta, r.meta_len);
        snprintf(path, sizeof path, "%s/%s.%s.meta", dir, sf, sn);
        write_file(path, force, meta, (size_t)ml + r.meta_len, NULL, 0);
    }
    free(meta);
    pgc_names_free(&written);
    pgc_record_free(&r);
    pgc_reader_free(rd);
}

/* ---- import */

static void *read_all(const char *path, size_t limit, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(limit + 1);
    if (!buf) cli_fail("out of memory");
    *len = fread(buf, 1, limit + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) cli_fail("cannot read '%s': %s", path, strerror(errno));
    if (*len > limit) cli_fail("cannot read '%s': larger than %zu bytes", path, limit);
    buf[*len] = '\0';
    return buf;
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

/* Metadata of file from its .meta sidecar (or its name); dimension names too. */
static void import_meta(const char *file, pgc_record *r, const char **names, char namebuf[4][16])
{
    pgc_err e;
    char meta_path[4096];
    size_t fl = strlen(file);
    if (fl > 4 && !strcmp(file + fl - 4, ".npy")) snprintf(meta_path, sizeof meta_path, "%.*s.meta", (int)(fl - 4), file);
    else snprintf(meta_path, sizeof meta_path, "%s.meta", file);
    size_t len;
    char *text = read_all(meta_path, PGC_MAX_META, &len);
    pgc_meta_clear(r);
    char stem[1024], name[256] = "";
    snprintf(stem, sizeof stem, "%s", strrchr(file, '/') ? strrchr(file, '/') + 1 : file);
    size_t sl = strlen(stem);
    if (sl > 4 && !strcmp(stem + sl - 4, ".npy")) stem[sl - 4] = '\0';
    if (!text) { /* <frame>.<name>.npy */
        char *dot = strrchr(stem, '.');
        if (dot && dot != stem) *dot = '\0', snprintf(name, sizeof name, "%s", dot + 1);
        else snprintf(name, sizeof name, "image");
        if (pgc_meta_set(r, "frame", stem, &e) || pgc_meta_set(r, "name", name, &e))
            cli_fail("cannot read '%s': %s", file, e.msg);
        default_names(r, name, names);
        return;
    }
    int have_dims = 0, line = 0;
    for (char *p = text, *nl; p < text + len; p = nl + 1) {
        line++;
        nl = strchr(p, '\n');
        if (!nl) cli_fail("cannot read '%s': line %d does not end with a newline", meta_path, line);
        *nl = '\0';
        if (p[0] == '#') {
            int k = 0;
            if (!strncmp(p, "# dims:", 7)) {
                have_dims = 1;
                for (char *t = strtok(p + 7, " "); t; t = strtok(NULL, " ")) {
                    if (k == r->rank || strlen(t) > 8)
                        cli_fail("cannot read '%s': '# dims:' does not fit the %d-d data", meta_path, r->rank);
                    snprintf(namebuf[k], sizeof namebuf[k], "%s", t);
                    names[k] = namebuf[k];
                    k++;
                }
                if (k != r->rank)
                    cli_fail("cannot read '%s': '# dims:' names %d dims, the data has %d", meta_path, k, r->rank);
            }
            continue;
        }
        char *colon = strstr(p, ": ");
        if (!colon) cli_fail("cannot read '%s': line %d is not 'key: value'", meta_path, line);
        *colon = '\0';
        if (pgc_meta_set(r, p, colon + 2, &e)) cli_fail("cannot read '%s': line %d: %s", meta_path, line, e.msg);
    }
    free(text);
    if (!pgc_meta_get(r, "name", name, sizeof name)) {
        char *dot = strrchr(stem, '.');
        snprintf(name, sizeof name, "%s", dot ? dot + 1 : "image");
        if (pgc_meta_set(r, "name", name, &e)) cli_fail("cannot read '%s': %s", file, e.msg);
    }
    if (!have_dims) default_names(r, name, names);
}

static void import_file(pgc_writer *w, const char *file, pgc_record *r)
{
    pgc_err e;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) cli_fail("cannot read '%s': %s", file, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) cli_fail("cannot read '%s': %s", file, strerror(errno));
    unsigned char head[12];
    ssize_t k = read(fd, head, sizeof head);
    size_t need;
    if (pgc_npy_header_size(head, k > 0 ? (size_t)k : 0, file, &need, &e)) cli_die(PGC_EINPUT, &e);
    unsigned char *hdr = malloc(need);
    if (!hdr) cli_fail("out of memory");
    if (pread(fd, hdr, need, 0) != (ssize_t)need) cli_fail("cannot read '%s': truncated .npy header", file);
    pgc_npy info;
    if (pgc_npy_parse(hdr, need, file, &info, &e)) cli_die(PGC_EINPUT, &e);
    free(hdr);
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < info.data_offset + info.data_bytes)
        cli_fail("cannot read '%s': truncated .npy data (%llu of %llu bytes)", file,
                 (unsigned long long)(st.st_size - (off_t)info.data_offset),
                 (unsigned long long)info.data_bytes);
    const char *names[PGC_MAX_RANK] = {0};
    char namebuf[4][16];
    if (pgc_record_shape(r, info.dtype, info.rank, info.dims, NULL, &e)) cli_die(PGC_EINPUT, &e);
    import_meta(file, r, names, namebuf);
    if (pgc_record_shape(r, info.dtype, info.rank, info.dims, names, &e)) cli_die(PGC_EINPUT, &e);
    unsigned char *p = r->data;
    uint64_t left = info.data_bytes, off = info.data_offset;
    while (left > 0) {
        ssize_t got = pread(fd, p, left > (1u << 30) ? (1u << 30) : (size_t)left, (off_t)off);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) cli_fail("cannot read '%s': %s", file, got < 0 ? strerror(errno) : "truncated .npy data");
        p += got, left -= (uint64_t)got, off += (uint64_t)got;
    }
    close(fd);
    size_t es = pgc_dtype_size(info.dtype);
    if (info.big_endian) {
        unsigned char *d = r->data;
        for (uint64_t i = 0; i < info.data_bytes; i += es)
            for (size_t a = 0, b = es - 1; a < b; a++, b--) {
                unsigned char t = d[i + a];
                d[i + a] = d[i + b], d[i + b] = t;
            }
    }
    cli_put(w, r);
}

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    const char *dir = NULL, *input = NULL;
    int force = 0, import = 0, nfiles = 0;
    const char **files = calloc((size_t)argc, sizeof *files);
    if (!files) cli_fail("out of memory");
    const cli_option opts[] = {
        {"--export", CLI_STRING, &dir, 0, 0, "DIR", "write the records of STREAM into DIR", NULL},
        {"--import", CLI_FLAG, &import, 0, 0, NULL, "pack the .npy files into a stream", NULL},
        {"--force", CLI_FLAG, &force, 0, 0, NULL, "overwrite existing files (export)", NULL},
    };
    cli_parse_files(argc, argv, opts, CLI_NOPTS(opts), help_head, help_tail, files, &nfiles);
    if (!!dir == import) cli_usage("give one of --export DIR or --import FILE...");
    if (dir) {
        if (nfiles > 1) cli_usage("--export reads one stream");
        input = nfiles ? files[0] : "-";
        export_stream(dir, force, input);
    } else {
        if (nfiles == 0) cli_usage("--import needs .npy files");
        pgc_writer *w = cli_writer();
        pgc_record r = {0};
        for (int i = 0; i < nfiles; i++) import_file(w, files[i], &r);
        cli_close(w);
        pgc_record_free(&r);
    }
    free((void *)files);
    return CLI_OK;
}

/* pgc-info: what a stream holds, one line per record (like mrinfo).
 * Reads: streams (files or stdin). Writes: text or JSON lines on stdout. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"

static const char head[] =
    "usage: pgc-info [--json] [FILE...]\n"
    "Describes every record of the streams (stdin when no FILE, or '-'), one line each:\n"
    "frame id, name, dtype, dims with their names, key metadata (axis:index, label, prob,\n"
    "method, source), and min/max/mean of the payload (non-finite values are counted\n"
    "apart); box tensors (dims box coord) also list their boxes.\n"
    "\n";
static const char tail[] =
    "\n"
    "Exit status: 0 success, 1 bad input (e.g. \"truncated stream\"), 2 bad usage.\n";

typedef struct {
    double min, max, mean;
    uint64_t finite, nonfinite;
} stats;

static double elem(const pgc_record *r, uint64_t i)
{
    switch (r->dtype) {
    case PGC_DT_U8: return ((const uint8_t *)r->data)[i];
    case PGC_DT_U16: return ((const uint16_t *)r->data)[i];
    case PGC_DT_I16: return ((const int16_t *)r->data)[i];
    case PGC_DT_I32: return ((const int32_t *)r->data)[i];
    case PGC_DT_F32: return ((const float *)r->data)[i];
    case PGC_DT_F64: return ((const double *)r->data)[i];
    }
    return NAN;
}

static stats stats_of(const pgc_record *r)
{
    stats s = {INFINITY, -INFINITY, 0, 0, 0};
    double sum = 0;
    uint64_t n = pgc_record_count(r);
    for (uint64_t i = 0; i < n; i++) {
        double v = elem(r, i);
        if (!isfinite(v)) { s.nonfinite++; continue; }
        s.finite++;
        sum += v;
        if (v < s.min) s.min = v;
        if (v > s.max) s.max = v;
    }
    s.mean = s.finite ? sum / (double)s.finite : NAN;
    return s;
}

static int is_boxes(const pgc_record *r)
{
    return r->rank == 2 && r->dims[1] == 4 && !strcmp(r->dimname[0], "box") &&
           !strcmp(r->dimname[1], "coord");
}

static void json_str(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static void json_num(double v)
{
    if (isfinite(v)) printf("%.9g", v);
    else fputs("null", stdout);
}

static void print_json(const pgc_record *r, const stats *s)
{
    fputs("{\"meta\":{", stdout);
    const char *p = r->meta, *stop = r->meta + r->meta_len;
    int first = 1;
    while (p && p < stop) { /* lines "key: value\n", checked by the reader */
        const char *nl = memchr(p, '\n', (size_t)(stop - p));
        const char *colon = memchr(p, ':', (size_t)(nl - p));
        if (!first) putchar(',');
        first = 0;
        json_str(p, (size_t)(colon - p));
        putchar(':');
        json_str(colon + 2, (size_t)(nl - colon - 2));
        p = nl + 1;
    }
    printf("},\"dtype\":\"%s\",\"dims\":[", pgc_dtype_name(r->dtype));
    for (int i = 0; i < r->rank; i++) printf("%s%llu", i ? "," : "", (unsigned long long)r->dims[i]);
    fputs("],\"dimnames\":[", stdout);
    for (int i = 0; i < r->rank; i++) {
        if (i) putchar(',');
        json_str(r->dimname[i], strlen(r->dimname[i]));
    }
    fputs("],\"min\":", stdout);
    json_num(s->finite ? s->min : NAN);
    fputs(",\"max\":", stdout);
    json_num(s->finite ? s->max : NAN);
    fputs(",\"mean\":", stdout);
    json_num(s->mean);
    printf(",\"nonfinite\":%llu", (unsigned long long)s->nonfinite);
    if (is_boxes(r)) {
        fputs(",\"boxes\":[", stdout);
        for (uint64_t b = 0; b < r->dims[0]; b++) {
            printf("%s[", b ? "," : "");
            for (int c = 0; c < 4; c++) {
                if (c) putchar(',');
                json_num(elem(r, 4 * b + (uint64_t)c));
            }
            putchar(']');
        }
        putchar(']');
    }
    puts("}");
}

static void print_text(const pgc_record *r, const stats *s)
{
    char v[512], w[512];
    printf("%s %s %s [", pgc_meta_get(r, "frame", v, sizeof v) ? v : "-",
           pgc_meta_get(r, "name", w, sizeof w) ? w : "-", pgc_dtype_name(r->dtype));
    for (int i = 0; i < r->rank; i++)
        printf("%s%s=%llu", i ? " " : "", r->dimname[i][0] ? r->dimname[i] : "?",
               (unsigned long long)r->dims[i]);
    putchar(']');
    if (pgc_meta_get(r, "axis", v, sizeof v) && pgc_meta_get(r, "index", w, sizeof w))
        printf(" %s:%s", v, w);
    static const char *const keys[] = {"label", "prob", "method", "source"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
        if (pgc_meta_get(r, keys[k], v, sizeof v)) printf(" %s=%s", keys[k], v);
    if (s->finite) printf(" min=%.6g max=%.6g mean=%.6g", s->min, s->max, s->mean);
    if (s->nonfinite) printf(" nonfinite=%llu", (unsigned long long)s->nonfinite);
    if (is_boxes(r)) {
        uint64_t n = r->dims[0], show = n < 8 ? n : 8;
        for (uint64_t b = 0; b < show; b++)
            printf(" [%g %g %g %g]", elem(r, 4 * b), elem(r, 4 * b + 1), elem(r, 4 * b + 2),
                   elem(r, 4 * b + 3));
        if (show < n) printf(" ...");
    }
    putchar('\n');
}

static void info_file(const char *path, int json)
{
    pgc_reader *rd = cli_reader(path);
    pgc_record r = {0};
    while (cli_next(rd, &r) == 1) {
        stats s = stats_of(&r);
        if (json) print_json(&r, &s);
        else print_text(&r, &s);
        if (ferror(stdout)) cli_stdout_check();
    }
    pgc_record_free(&r);
    pgc_reader_free(rd);
}

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    int json = 0, nfiles = 0;
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    if (!files) cli_fail("out of memory");
    const cli_option opts[] = {
        {"--json", CLI_FLAG, &json, 0, 0, NULL, "one JSON object per record, with every metadata key", NULL},
    };
    cli_parse_files(argc, argv, opts, CLI_NOPTS(opts), head, tail, files, &nfiles);
    if (nfiles == 0) files[nfiles++] = "-";
    for (int i = 0; i < nfiles; i++) info_file(files[i], json);
    cli_stdout_check();
    free(files);
    return CLI_OK;
}

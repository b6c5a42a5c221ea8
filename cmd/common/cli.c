#include "cli.h"

#include "../../lib/cam.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *prog = "pgc";

void cli_init(const char *name)
{
    const char *slash = strrchr(name, '/');
    prog = slash ? slash + 1 : name;
    /* A closed pipe shows up as EPIPE from write(), which ends a filter quietly. */
    signal(SIGPIPE, SIG_IGN);
}

const char *cli_prog(void) { return prog; }

/* After the help went to stdout: exit 0, or 1 with one line when it could not be written
 * (a full disk, a closed stdout); | head is not an error. */
static void help_written(void)
{
    if (!fflush(stdout) && !ferror(stdout)) exit(CLI_OK);
    if (errno == EPIPE) exit(CLI_OK); /* | head: the reader has what it wanted */
    fprintf(stderr, "%s: cannot write the help to standard output: %s\n", prog, strerror(errno));
    exit(CLI_EINPUT);
}

static void vsay(const char *fmt, va_list ap)
{
    char line[PGC_ERR_MAX + 1024];
    vsnprintf(line, sizeof line, fmt, ap);
    /* One line, whatever the message held. */
    for (char *p = line; *p; p++)
        if (*p == '\n') *p = ' ';
    fprintf(stderr, "%s: %s\n", prog, line);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
}

static void flush_on_error(void);

void cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
    flush_on_error();
    exit(CLI_EINPUT);
}

void cli_usage(const char *fmt, ...)
{
    char line[PGC_ERR_MAX + 1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s (try '%s --help')\n", prog, line, prog);
    exit(CLI_EUSAGE);
}

void cli_die(int code, const pgc_err *e)
{
    if (code == PGC_EPIPE) exit(CLI_OK);
    cli_warn("%s", e->msg); /* one line, as every message (a file name may hold a newline) */
    flush_on_error();
    exit(CLI_EINPUT);
}

long cli_long(const char *opt, const char *s, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        cli_usage("%s wants an integer in %ld..%ld, not '%s'", opt, lo, hi, s);
    return v;
}

double cli_double(const char *opt, const char *s, double lo, double hi)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        cli_usage("%s wants a number in %g..%g, not '%s'", opt, lo, hi, s);
    return v;
}

/* A range bound of the table as a long: doubles cannot hold LONG_MAX exactly, and a
 * conversion out of range is undefined. */
static long bound(double d)
{
    if (d >= (double)LONG_MAX) return LONG_MAX;
    if (d <= (double)LONG_MIN) return LONG_MIN;
    return (long)d;
}

/* "  --name META" of one option, for help. */
static int option_label(const cli_option *o, char *buf, size_t cap)
{
    return snprintf(buf, cap, "  %s%s%s", o->name, o->metavar ? " " : "",
                    o->metavar ? o->metavar : "");
}

static void print_help(const cli_option *opts, int n, const char *head, const char *tail)
{
    char label[128];
    int col = (int)strlen("  -h, --help");
    for (int i = 0; i < n; i++) {
        int w = option_label(&opts[i], label, sizeof label);
        if (w > col) col = w;
    }
    col += 3;
    fputs(head, stdout);
    for (int i = 0; i < n; i++) {
        option_label(&opts[i], label, sizeof label);
        printf("%-*s", col, label);
        for (const char *h = opts[i].help; *h; h++) {
            putchar(*h);
            if (*h == '\n') printf("%*s", col, "");
        }
        putchar('\n');
    }
    printf("%-*s%s\n", col, "  -h, --help", "this help");
    if (tail) fputs(tail, stdout);
}

/* cli_parse and cli_parse_files: with files, operands (and all after "--") are collected
 * there; otherwise each goes through cli_operand into *input (NULL: none allowed). */
static void parse_args(int argc, char **argv, const cli_option *opts, int n, const char *head,
                       const char *tail, const char **input, const char **files, int *nfiles)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            print_help(opts, n, head, tail);
            help_written();
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const cli_option *o = NULL;
        for (int k = 0; k < n && !o; k++)
            if (!strcmp(a, opts[k].name)) o = &opts[k];
        if (!o && files) {
            if (!strcmp(a, "--")) {
                while (++i < argc) files[(*nfiles)++] = argv[i];
                break;
            }
            if (a[0] == '-' && a[1]) cli_usage("unknown option '%s'", a);
            files[(*nfiles)++] = a;
            continue;
        }
        if (!o) {
            const char *none = NULL;
            cli_operand(a, input ? input : &none);
            if (!input) cli_usage("unexpected argument '%s'", a);
            continue;
        }
        if (o->kind == CLI_FLAG || o->kind == CLI_UNSET || o->kind == CLI_CONST) {
            *(int *)o->target = o->kind == CLI_CONST ? (int)o->lo : o->kind == CLI_FLAG;
            continue;
        }
        if (i + 1 >= argc) cli_usage("%s needs a value", a);
        const char *v = argv[++i];
        pgc_err e;
        switch (o->kind) {
        case CLI_INT: *(long *)o->target = cli_long(a, v, bound(o->lo), bound(o->hi)); break;
        case CLI_INTI: *(int *)o->target = (int)cli_long(a, v, bound(o->lo), bound(o->hi)); break;
        case CLI_I64: *(int64_t *)o->target = cli_long(a, v, bound(o->lo), bound(o->hi)); break;
        case CLI_SIZE: *(size_t *)o->target = (size_t)cli_long(a, v, bound(o->lo), bound(o->hi)); break;
        case CLI_NUMBER: *(double *)o->target = cli_double(a, v, o->lo, o->hi); break;
        case CLI_STRING: *(const char **)o->target = v; break;
        case CLI_CUSTOM:
            if (o->parse(v, o->target, &e) < 0) cli_usage("%s", e.msg);
            break;
        default: break;
        }
    }
}

int cli_scales(const char *value, void *target, pgc_err *e)
{
    return pgc_scales_parse(value, target, e);
}

void cli_parse(int argc, char **argv, const cli_option *opts, int n, const char *head,
               const char *tail, const char **input)
{
    parse_args(argc, argv, opts, n, head, tail, input, NULL, NULL);
}

void cli_parse_files(int argc, char **argv, const cli_option *opts, int n, const char *head,
                     const char *tail, const char **files, int *nfiles)
{
    *nfiles = 0;
    parse_args(argc, argv, opts, n, head, tail, NULL, files, nfiles);
}

void cli_operand(const char *arg, const char **input)
{
    if (arg[0] == '-' && arg[1]) cli_usage("unknown option '%s'", arg);
    if (*input) cli_usage("one input at most");
    *input = arg;
}

void cli_stdout_check(void)
{
    if (fflush(stdout) == 0 && !ferror(stdout)) return;
    if (errno == EPIPE) exit(CLI_OK);
    cli_fail("cannot write 'stdout': %s", strerror(errno)); /* as the stream writer says it */
}

/* The streams a command has open, so that they stay reachable when an error exits from
 * deep in the command (LeakSanitizer would call them leaks otherwise, and every caller
 * would have to keep them static). Never read. */
static pgc_writer *open_writer;
static pgc_reader *open_reader;

/* On an error exit the records written so far still reach standard output, without
 * the end-of-stream record (so that every reader calls the stream truncated): the
 * frames before a bad input of a long run are kept, as pgc-slice promises. */
static void flush_on_error(void)
{
    pgc_err e;
    if (open_writer) pgc_writer_flush(open_writer, &e); /* failing already: no second word */
}

pgc_reader *cli_reader(const char *path)
{
    pgc_err e;
    int fd = 0;
    if (!path) path = "-";
    if (strcmp(path, "-")) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) cli_fail("cannot open '%s': %s", path, strerror(errno));
    }
    pgc_reader *rd = pgc_reader_open(fd, path, &e);
    if (!rd) cli_die(PGC_EINPUT, &e);
    return open_reader = rd;
}

pgc_writer *cli_writer(void)
{
    pgc_err e;
    if (isatty(1))
        cli_usage("will not write a binary stream to a terminal; pipe it into another pgc-* "
                  "command or redirect it to a file");
    pgc_writer *w = pgc_writer_open(1, "-", &e);
    if (!w) cli_die(PGC_EINPUT, &e);
    return open_writer = w;
}

int cli_next(pgc_reader *rd, pgc_record *r)
{
    pgc_err e;
    int rc = pgc_reader_next(rd, r, &e);
    if (rc < 0) cli_die(rc, &e);
    return rc;
}

int cli_frame(pgc_reader *rd, pgc_frame *f)
{
    pgc_err e;
    int rc = pgc_frame_read(rd, f, &e);
    if (rc < 0) cli_die(rc, &e);
    return rc;
}

void cli_put(pgc_writer *w, const pgc_record *r)
{
    pgc_err e;
    int rc = pgc_writer_put(w, r, &e);
    if (rc) cli_die(rc, &e);
}

void cli_put_frame(pgc_writer *w, const pgc_frame *f)
{
    pgc_err e;
    int rc = pgc_frame_write(w, f, &e);
    if (rc) cli_die(rc, &e);
}

void cli_close(pgc_writer *w)
{
    pgc_err e;
    int rc = pgc_writer_close(w, &e);
    if (rc) cli_die(rc, &e);
    if (w == open_writer) open_writer = NULL;
}

void cli_frame_loop(pgc_reader *rd, pgc_writer *w, cli_frame_fn fn, void *ctx)
{
    /* Static, so that the frame stays reachable when an error exits from deep in the
     * loop (LeakSanitizer would call it a leak otherwise). */
    static pgc_frame f;
    while (cli_frame(rd, &f)) {
        pgc_err e;
        int rc = fn(&f, ctx, &e);
        if (rc < 0) cli_die(rc, &e);
        if (w) cli_put_frame(w, &f);
    }
    pgc_frame_free(&f);
}

void cli_map_frames(const char *path, cli_frame_fn fn, void *ctx)
{
    pgc_reader *rd = cli_reader(path);
    pgc_writer *w = cli_writer();
    cli_frame_loop(rd, w, fn, ctx);
    cli_close(w);
    pgc_reader_free(rd);
}

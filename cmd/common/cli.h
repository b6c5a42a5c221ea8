/* What every pgc-* command shares: its name in messages, help, exit codes, and the
 * stream plumbing that turns lib/ errors into one line on stderr. Besides the command
 * files themselves, the only code that prints. Exit codes: 0 success, 1 bad input,
 * 2 bad usage. */
#ifndef PGC_CLI_H
#define PGC_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "../../lib/frame.h"
#include "../../lib/stream.h"

enum { CLI_OK = 0, CLI_EINPUT = 1, CLI_EUSAGE = 2 };

/* Call first: remembers the program name and ignores SIGPIPE (EPIPE is handled). */
void cli_init(const char *prog);
const char *cli_prog(void);

/* "prog: <message>" on stderr, then exit(1) or exit(2) ("try 'prog --help'"). */
_Noreturn void cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "prog: <e->msg>" and exits 0 for PGC_EPIPE (downstream closed), else 1. */
_Noreturn void cli_die(int code, const pgc_err *e);
/* One line on stderr, no exit (warnings, progress). */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Declared options (MRtrix3 / git parse-options): each command lists its options once in
 * a table, and cli_parse reads argv against it, checks every value and its range, and
 * prints the options part of --help from the same table. One wording for every usage
 * error: "--x needs a value", "--x wants a number in 0..1, not 'abc'", "unknown option
 * '--y'". */
typedef enum {
    CLI_FLAG,   /* no value: *(int *)target = 1 */
    CLI_UNSET,  /* no value: *(int *)target = 0 (--no-X) */
    CLI_CONST,  /* no value: *(int *)target = lo (one of several modes, the last wins) */
    CLI_INT,    /* *(long *)target, in lo..hi */
    CLI_INTI,   /* *(int *)target, in lo..hi */
    CLI_I64,    /* *(int64_t *)target, in lo..hi */
    CLI_SIZE,   /* *(size_t *)target, in lo..hi (lo >= 0) */
    CLI_NUMBER, /* *(double *)target, in lo..hi */
    CLI_STRING, /* *(const char **)target = the value */
    CLI_CUSTOM, /* parse(value, target, e): 0, or < 0 with e->msg saying what is wrong */
} cli_kind;

typedef struct {
    const char *name;    /* "--scales" or "-o" */
    cli_kind kind;
    void *target;
    double lo, hi;       /* the range of a number; CLI_CONST: lo is the value set */
    const char *metavar; /* the value's name in help: "S"; NULL for flags */
    const char *help;    /* the help text; '\n' starts a continuation line */
    int (*parse)(const char *value, void *target, pgc_err *e); /* CLI_CUSTOM */
} cli_option;

/* Help: head (the usage line and what the command does), then one line per option of
 * opts (n of them) and "-h, --help", then tail (may be NULL). With -h or --help anywhere
 * before "--", prints that and exits 0. Otherwise parses argv: each option once or more
 * (the last wins), operands through cli_operand into *input (NULL: operands refused).
 * Exits 2 on any usage error. */
void cli_parse(int argc, char **argv, const cli_option *opts, int n, const char *head,
               const char *tail, const char **input);
/* A CLI_CUSTOM parser for a scale list ("all" or "1,4", pgc_scales_parse) into an
 * unsigned bit set. */
int cli_scales(const char *value, void *target, pgc_err *e);

/* The same for a command of many inputs: every operand (and everything after "--") goes
 * to files (room for argc entries), their count to *nfiles. */
void cli_parse_files(int argc, char **argv, const cli_option *opts, int n, const char *head,
                     const char *tail, const char **files, int *nfiles);
#define CLI_NOPTS(t) ((int)(sizeof(t) / sizeof((t)[0])))

/* Number parsing for options: exits 2 with a clear message when out of range. */
long cli_long(const char *opt, const char *s, long lo, long hi);
double cli_double(const char *opt, const char *s, double lo, double hi);

/* A non-option argument of a filter: its one input stream. Anything else that starts
 * with '-' (but "-" itself) is an unknown option, and a second input is too many; both
 * exit 2. *input starts NULL, which cli_reader takes as stdin. */
void cli_operand(const char *arg, const char **input);

/* For a command whose product is text on stdout: flushes it and, when that or an earlier
 * write failed, exits 0 on a closed pipe (the reader went away, as with | head) and 1
 * otherwise, saying so. Call after each chunk of output and at the end. */
void cli_stdout_check(void);

/* Opens a stream input: path, or "-" or NULL for stdin. Exits 1 when it cannot. */
pgc_reader *cli_reader(const char *path);
/* Opens stdout for the stream; exits 2 when stdout is a terminal. */
pgc_writer *cli_writer(void);
/* Reads the next record/frame; exits on error. Returns 1 or 0 (end). */
int cli_next(pgc_reader *rd, pgc_record *r);
int cli_frame(pgc_reader *rd, pgc_frame *f);
/* Writes; on a closed pipe exits 0 quietly, on error exits 1. */
void cli_put(pgc_writer *w, const pgc_record *r);
void cli_put_frame(pgc_writer *w, const pgc_frame *f);
/* Ends the stream (end record, flush) and frees the writer; exits on error. */
void cli_close(pgc_writer *w);

/* The one frame loop of every filter: calls fn(frame, ctx) on every frame of rd and,
 * when w is not NULL, writes the frame on after it (a sink such as pgc-score or
 * pgc-render passes NULL, or a writer for --pass). fn returns < 0 with e set on bad
 * input; the loop exits saying so. The caller opens and frees rd and w. */
typedef int (*cli_frame_fn)(pgc_frame *f, void *ctx, pgc_err *e);
void cli_frame_loop(pgc_reader *rd, pgc_writer *w, cli_frame_fn fn, void *ctx);
/* The whole of a filter that changes each frame in place: the stream at path (or "-")
 * through cli_frame_loop to stdout, ended. */
void cli_map_frames(const char *path, cli_frame_fn fn, void *ctx);

#endif

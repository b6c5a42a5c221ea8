/* Errors inside lib/: returned, never printed. cmd/ decides what to say. */
#ifndef PGC_ERR_H
#define PGC_ERR_H

#include <stddef.h>

/* Return codes shared by every lib/ function that can fail. */
enum {
    PGC_OK = 0,
    PGC_EINPUT = -1, /* bad or truncated input, or a failed system call */
    PGC_EPIPE = -2,  /* the reader downstream went away: not an error for a filter */
    PGC_ENOMEM = -3, /* an allocation within the hard limits failed */
};

/* One human-readable line, lowercase, saying what is wrong first. Room for two paths
 * of PATH_MAX (4096) bytes and the words around them: a long path is named whole. */
#define PGC_ERR_MAX 9216
typedef struct {
    char msg[PGC_ERR_MAX];
} pgc_err;

/* Formats msg into e (if e is not NULL) and returns code. */
int pgc_errf(pgc_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* s made fit to quote in a message: bytes outside printable ASCII (and the backslash) as
 * \xNN, cut to what buf holds. For strings a file carries (a model's architecture and
 * entry names): raw, a newline would break the one-line rule and an escape byte would
 * reach the user's terminal. Returns buf. */
const char *pgc_err_quote(const char *s, char *buf, size_t bufsz);

#endif

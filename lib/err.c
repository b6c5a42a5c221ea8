#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int pgc_errf(pgc_err *e, int code, const char *fmt, ...)
{
    if (e) {
        /* Formatted apart, then copied: a caller may quote the message it replaces
         * ("cannot read 'f': %s", e->msg), and vsnprintf onto its own argument is
         * undefined (it garbles the text). */
        char msg[sizeof e->msg];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        memcpy(e->msg, msg, sizeof msg);
    }
    return code;
}

const char *pgc_err_quote(const char *s, char *buf, size_t bufsz)
{
    size_t n = 0;
    for (; *s && n + 5 <= bufsz; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c <= 0x7e && c != '\\') buf[n++] = (char)c;
        else n += (size_t)snprintf(buf + n, bufsz - n, "\\x%02x", c);
    }
    if (bufsz) buf[n < bufsz ? n : bufsz - 1] = 0;
    return buf;
}

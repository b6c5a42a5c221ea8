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

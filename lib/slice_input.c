/* Reading one input of pgc-slice: see slice_input.h. */
#include "slice_input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nifti.h"
#include "png.h"

void pgc_input_free(pgc_input *in)
{
    free(in->buf);
    memset(in, 0, sizeof *in);
}

/* All of f into in->buf, for an input that cannot be read twice. */
static int read_whole(FILE *f, const char *path, pgc_input *in, pgc_err *e)
{
    size_t cap = 0;
    for (;;) {
        if (in->len == cap) {
            if (cap == PGC_PIPE_MAX)
                return pgc_errf(e, PGC_EINPUT, "cannot read '%s': more than %zu MiB from a pipe",
                                path, PGC_PIPE_MAX >> 20);
            cap = cap ? 2 * cap : 1 << 16;
            unsigned char *b = realloc(in->buf, cap);
            if (!b) return pgc_errf(e, PGC_ENOMEM, "cannot read '%s': out of memory", path);
            in->buf = b;
        }
        size_t k = fread(in->buf + in->len, 1, cap - in->len, f);
        in->len += k;
        if (k == 0) return PGC_OK;
    }
}

int pgc_input_open(const char *path, pgc_input *in, pgc_err *e)
{
    memset(in, 0, sizeof *in);
    unsigned char head[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", path, strerror(errno));
    struct stat st;
    size_t n;
    if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
        int rc = read_whole(f, path, in, e);
        if (rc) {
            fclose(f);
            return rc;
        }
        n = in->len;
        memcpy(head, in->buf, n < sizeof head ? n : sizeof head);
    } else {
        n = fread(head, 1, sizeof head, f);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", path, strerror(errno));
    if (pgc_png_sniff(head, n)) in->kind = PGC_INPUT_PNG;
    else if (pgc_nifti_sniff(head, n)) in->kind = PGC_INPUT_NIFTI;
    else if (n == 0) return pgc_errf(e, PGC_EINPUT, "cannot read '%s': empty file", path);
    else return pgc_errf(e, PGC_EINPUT, "cannot read '%s': neither a PNG nor a NIfTI file", path);
    return PGC_OK;
}

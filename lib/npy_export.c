/* Records as .npy files: see npy_export.h. */
#include "npy_export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "npy.h"

/* Writes the n bytes of each part to path, whole or not at all (lib/atomic_file.h),
 * refusing to replace a file unless force. */
static int write_file(const char *path, int force, const void *a, size_t na, const void *b,
                      size_t nb, pgc_err *e)
{
    pgc_atomic_file af;
    if (pgc_atomic_open(&af, path, force, e)) return PGC_EINPUT;
    af.sync = 0; /* a file per record: see atomic_file.h */
    int rc = pgc_atomic_write(&af, a, na, e);
    if (!rc) rc = pgc_atomic_write(&af, b, nb, e);
    if (rc) {
        pgc_atomic_abort(&af);
        return rc;
    }
    return pgc_atomic_commit(&af, e);
}

int pgc_npy_export_record(pgc_npy_export *x, const pgc_record *r, unsigned long n, pgc_err *e)
{
    /* frame and name stay apart and fit a file name: 176 + 1 + 64 + ".meta" < 255 */
    char frame[4096], name[256], sf[177], sn[65], path[4096], hdr[512], id[4400];
    if (!pgc_meta_get(r, "frame", frame, sizeof frame)) snprintf(frame, sizeof frame, "rec%lu", n);
    if (!pgc_meta_get(r, "name", name, sizeof name)) snprintf(name, sizeof name, "tensor");
    pgc_frame_filename(frame, sf, sizeof sf);
    pgc_frame_filename(name, sn, sizeof sn);
    size_t hl;
    int rc;
    if (pgc_npy_header(r->dtype, r->rank, r->dims, hdr, sizeof hdr, &hl, e)) return PGC_EINPUT;
    snprintf(path, sizeof path, "%s/%s.%s.npy", x->dir, sf, sn);
    snprintf(id, sizeof id, "%s' record '%s", frame, name); /* reads: frame 'f' record 'n' */
    if (pgc_names_claim(&x->written, path, id, e)) return PGC_EINPUT;
    if ((rc = write_file(path, x->force, hdr, hl, r->data, (size_t)pgc_record_nbytes(r), e)))
        return rc;

    size_t need = r->meta_len + 64; /* room for the '# dims:' line of 4 names */
    if (need > x->meta_cap) {
        free(x->meta);
        x->meta_cap = 0;
        if (!(x->meta = malloc(need))) return pgc_errf(e, PGC_ENOMEM, "out of memory");
        x->meta_cap = need;
    }
    int ml = snprintf(x->meta, x->meta_cap, "# dims:");
    for (int i = 0; i < r->rank; i++)
        ml += snprintf(x->meta + ml, x->meta_cap - (size_t)ml, " %s",
                       r->dimname[i][0] ? r->dimname[i] : "?");
    x->meta[ml++] = '\n';
    if (r->meta_len) memcpy(x->meta + ml, r->meta, r->meta_len);
    snprintf(path, sizeof path, "%s/%s.%s.meta", x->dir, sf, sn);
    return write_file(path, x->force, x->meta, (size_t)ml + r->meta_len, NULL, 0, e);
}

void pgc_npy_export_free(pgc_npy_export *x)
{
    pgc_names_free(&x->written);
    free(x->meta);
    x->meta = NULL, x->meta_cap = 0;
}

#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pgc_path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void release(pgc_atomic_file *a)
{
    free(a->path), free(a->tmp);
    a->path = a->tmp = NULL;
    a->fd = -1;
}

int pgc_atomic_open(pgc_atomic_file *a, const char *path, int replace, pgc_err *e)
{
    *a = (pgc_atomic_file){.fd = -1, .replace = replace, .sync = 1};
    if (!replace && pgc_path_exists(path))
        return pgc_errf(e, PGC_EINPUT, "'%s' exists; use --force to replace it", path);
    size_t len = strlen(path);
    a->path = strdup(path);
    a->tmp = malloc(len + 16);
    if (!a->path || !a->tmp) {
        release(a);
        return pgc_errf(e, PGC_ENOMEM, "out of memory");
    }
    snprintf(a->tmp, len + 16, "%s.tmpXXXXXX", path);
    a->fd = mkstemp(a->tmp);
    if (a->fd < 0) {
        int rc = pgc_errf(e, PGC_EINPUT, "cannot write '%s': %s", path, strerror(errno));
        release(a);
        return rc;
    }
    return PGC_OK;
}

int pgc_atomic_commit(pgc_atomic_file *a, pgc_err *e)
{
    int rc = PGC_OK;
    if (a->fd >= 0) {
        fchmod(a->fd, 0644);
        if ((a->sync && fsync(a->fd)) || close(a->fd)) {
            rc = pgc_errf(e, PGC_EINPUT, "cannot write '%s': %s", a->path, strerror(errno));
            a->fd = -1;
            goto fail;
        }
        a->fd = -1;
    } else {
        chmod(a->tmp, 0644);
    }
    if (a->replace) {
        if (rename(a->tmp, a->path)) {
            rc = pgc_errf(e, PGC_EINPUT, "cannot write '%s': %s", a->path, strerror(errno));
            goto fail;
        }
    } else {
        if (link(a->tmp, a->path)) {
            rc = errno == EEXIST
                     ? pgc_errf(e, PGC_EINPUT, "'%s' exists; use --force to replace it", a->path)
                     : pgc_errf(e, PGC_EINPUT, "cannot write '%s': %s", a->path, strerror(errno));
            goto fail;
        }
        unlink(a->tmp);
    }
    char *dir = a->sync ? strdup(a->path) : NULL;
    if (dir) {
        int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) fsync(dfd), close(dfd); /* the rename itself survives a crash */
        free(dir);
    }
    release(a);
    return PGC_OK;
fail:
    unlink(a->tmp);
    release(a);
    return rc;
}

int pgc_atomic_probe(const char *path, pgc_err *e)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return pgc_errf(e, PGC_EINPUT, "cannot write '%s': %s", path, strerror(EISDIR));
    pgc_atomic_file a;
    int rc = pgc_atomic_open(&a, path, 1, e);
    if (rc == PGC_OK) pgc_atomic_abort(&a);
    return rc;
}

void pgc_atomic_abort(pgc_atomic_file *a)
{
    if (a->fd >= 0) close(a->fd);
    if (a->tmp) unlink(a->tmp);
    release(a);
}

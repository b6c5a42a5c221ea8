#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int pgc_path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int pgc_output_dir(const char *dir, pgc_err *e)
{
    size_t n = strlen(dir);
    if (!n) return pgc_errf(e, PGC_EINPUT, "cannot make directory '': the name is empty");
    char *p = malloc(n + 1);
    if (!p) return pgc_errf(e, PGC_ENOMEM, "out of memory");
    memcpy(p, dir, n + 1);
    int rc = PGC_OK;
    /* each prefix ending before a '/', then the whole path */
    for (size_t i = 1; i <= n && rc == PGC_OK; i++) {
        if (i < n && p[i] != '/') continue;
        char c = p[i];
        p[i] = 0;
        struct stat st;
        if (mkdir(p, 0777) && errno != EEXIST)
            rc = pgc_errf(e, PGC_EINPUT, "cannot make directory '%s': %s", dir, strerror(errno));
        else if (stat(p, &st) || !S_ISDIR(st.st_mode))
            rc = pgc_errf(e, PGC_EINPUT, "cannot make directory '%s': '%s' is not a directory", dir, p);
        p[i] = c;
    }
    free(p);
    return rc;
}

void pgc_atomic_remove_stale(const char *path)
{
    char *d = strdup(path), *b = strdup(path);
    DIR *dp = d && b ? opendir(dirname(d)) : NULL;
    if (dp) {
        const char *base = basename(b);
        size_t bl = strlen(base);
        time_t now = time(NULL);
        struct dirent *de;
        while ((de = readdir(dp))) {
            const char *n = de->d_name;
            struct stat st;
            if (strncmp(n, base, bl) || strncmp(n + bl, ".tmp", 4) || strlen(n + bl + 4) != 6 ||
                fstatat(dirfd(dp), n, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode) ||
                now - st.st_mtime < 60)
                continue;
            unlinkat(dirfd(dp), n, 0);
        }
        closedir(dp);
    }
    free(d), free(b);
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

int pgc_atomic_write(pgc_atomic_file *a, const void *p, size_t n, pgc_err *e)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = write(a->fd, c, n > (1u << 30) ? (1u << 30) : n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0)
            return pgc_errf(e, PGC_EINPUT, "cannot write '%s': %s", a->path,
                            k < 0 ? strerror(errno) : "nothing written");
        c += k, n -= (size_t)k;
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

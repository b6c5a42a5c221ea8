/* Files that appear whole or not at all: written under a temporary name beside the
 * target, then moved into place. Without replace an existing target is never touched
 * (link(2) refuses it atomically, so two writers cannot both win). */
#ifndef PGC_ATOMIC_FILE_H
#define PGC_ATOMIC_FILE_H

#include <stddef.h>

#include "err.h"

typedef struct {
    char *path, *tmp; /* owned copies */
    int fd;           /* open on tmp until commit or abort */
    int replace;
    int sync;         /* 1 after open: commit puts the file and its name on disk first;
                       * outputs written by the thousand (a PNG or .npy per frame) clear
                       * it: they still appear whole or not at all, a crash may lose them */
} pgc_atomic_file;

/* Creates "<path>.tmpXXXXXX". PGC_EINPUT when path exists and !replace ("'<path>'
 * exists; use --force to replace it") or the directory is not writable. */
int pgc_atomic_open(pgc_atomic_file *a, const char *path, int replace, pgc_err *e);
/* Writes the n bytes at p to a's temporary file (all of them: short writes and EINTR
 * are retried). PGC_EINPUT "cannot write '<path>': ..." on failure; a stays open for the
 * caller to abort. */
int pgc_atomic_write(pgc_atomic_file *a, const void *p, size_t n, pgc_err *e);
/* Flushes the temporary file to disk, closes it and moves it to path. The caller has
 * closed any FILE* or gzFile it made on a->fd, setting a->fd to -1 (or leaves it to
 * commit). On failure the temporary file is removed. Frees a's strings either way. */
int pgc_atomic_commit(pgc_atomic_file *a, pgc_err *e);
/* Removes the temporary file and frees a (safe on a zeroed or committed a). */
void pgc_atomic_abort(pgc_atomic_file *a);
/* Whether path could be written now (its directory takes a temporary file, path is not
 * a directory), leaving nothing behind: for a command that writes only at the end of a
 * long run, so that it fails before the run instead. */
int pgc_atomic_probe(const char *path, pgc_err *e);
/* A write killed midway (kill -9) leaves its "<path>.tmpXXXXXX" behind: removes those
 * of path more than a minute old (a younger one may be another writer's). For files
 * written again and again (models, checkpoints); a scan of the directory each time. */
void pgc_atomic_remove_stale(const char *path);
/* True when path exists (any kind of file). */
int pgc_path_exists(const char *path);
/* Makes the output directory dir and its missing parents (as mkdir -p; mode 0777 less
 * the umask). PGC_EINPUT ("cannot make directory '<dir>': ...") when one cannot be made
 * or is not a directory. */
int pgc_output_dir(const char *dir, pgc_err *e);

#endif

/* pgc-npy --import's work on one file: a .npy file (npy.h: u1 u2 i2 i4 f4 f8, either
 * byte order, C order, up to 4 dims) as a stream record, with the metadata of the .meta
 * file beside it (FILE.meta for FILE.npy) when there is one. Errors are returned, never
 * printed. */
#ifndef PGC_NPY_IMPORT_H
#define PGC_NPY_IMPORT_H

#include "stream.h"

/* Reads file into r (reused: its buffers grow as needed). Without a .meta file, a file
 * <frame>.<name>.npy gives frame and name. Dimension names come from the '# dims:' line,
 * else from the shape (box coord for n x 4 truth/boxes, y x, c y x). 0, or PGC_EINPUT /
 * PGC_ENOMEM with e reading "cannot read '<file or its .meta>': <problem>". */
int pgc_npy_import(const char *file, pgc_record *r, pgc_err *e);

#endif

/* A frame: the adjacent records of one slice that share a `frame` id. Filters that need
 * several records at once (a feature map and its gradient) read a frame at a time. */
#ifndef PGC_FRAME_H
#define PGC_FRAME_H

#include "stream.h"
#include "strmap.h"

/* Records are kept and reused between frames, so a loop over frames allocates only
 * while the frames grow. Zero-initialise, then pgc_frame_free. */
typedef struct {
    pgc_record *rec;   /* rec[0..n) are this frame's records, in stream order */
    int n, cap;
    unsigned char *drop; /* drop[i]: do not write rec[i] */
} pgc_frame;

void pgc_frame_free(pgc_frame *f);
/* 1: a frame was read; 0: clean end; PGC_EINPUT on bad input. */
int pgc_frame_read(pgc_reader *rd, pgc_frame *f, pgc_err *e);
/* Index of the first record named name, or -1. */
int pgc_frame_find(const pgc_frame *f, const char *name);
/* Appends an empty record (metadata cleared, buffers reused) and returns it; NULL on
 * allocation failure. Pointers from earlier calls may move. */
pgc_record *pgc_frame_add(pgc_frame *f, pgc_err *e);
/* The index of the record named name, appended empty when the frame has none: where a
 * filter puts what it makes, in place of what an earlier run made. PGC_ENOMEM with e set
 * on allocation failure. Pointers from earlier calls may move. */
int pgc_frame_slot(pgc_frame *f, const char *name, pgc_err *e);
/* The frame's id ("" when absent) copied into buf. */
const char *pgc_frame_id(const pgc_frame *f, char *buf, size_t bufsz);
/* Writes every record not dropped, in order. 0, PGC_EPIPE or PGC_EINPUT. */
int pgc_frame_write(pgc_writer *w, const pgc_frame *f, pgc_err *e);

/* Whether r is a 2-D map that computations can trust: f32 (y x), not empty, every value
 * finite. 0, or PGC_EINPUT with e naming the frame, the record and the first bad pixel. */
int pgc_map_check(const pgc_record *r, const char *frame, const char *name, pgc_err *e);

/* A file name for a frame id: [A-Za-z0-9._-] kept, other bytes '_', no leading '.',
 * "frame" for an empty id. An id longer than bufsz - 1 keeps its first bufsz - 18 bytes
 * and gets '~' and 16 hex digits of its hash, so that long ids sharing a prefix stay
 * apart and the name stays short enough for a file system (bufsz >= 32). */
void pgc_frame_filename(const char *id, char *buf, size_t bufsz);

/* The files one run has written, each with the id it was written for: two ids that make
 * one name (t1c:axial:7 and t1c_axial_7), or one written twice, are caught before the
 * second write. Zero-initialise, then pgc_names_free. */
typedef struct {
    pgc_strmap files; /* file name -> the id it was written for */
} pgc_names;
/* 0 when file is new (it is remembered); PGC_EINPUT, e naming both ids, when it was
 * claimed before; PGC_ENOMEM. */
int pgc_names_claim(pgc_names *s, const char *file, const char *id, pgc_err *e);
void pgc_names_free(pgc_names *s);

#endif

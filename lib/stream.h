/* The pgcam tensor stream (format/stream.md): records, metadata, reader, writer. */
#ifndef PGC_STREAM_H
#define PGC_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef enum {
    PGC_DT_U8 = 1,
    PGC_DT_U16 = 2,
    PGC_DT_I16 = 3,
    PGC_DT_I32 = 4,
    PGC_DT_F32 = 5,
    PGC_DT_F64 = 6,
} pgc_dtype;

#define PGC_MAX_RANK 4
#define PGC_MAX_META (1u << 20)          /* metadata bytes in one record */
#define PGC_MAX_META_VALUE 4095          /* bytes in one metadata value */
#define PGC_MAX_PAYLOAD (1ull << 31)     /* payload bytes in one record */
#define PGC_MAX_DIM (1ull << 31)

/* One tensor with its metadata. Buffers grow and are reused: a filter that keeps one
 * record per slot runs in constant memory. Zero-initialise, then pgc_record_free. */
typedef struct {
    pgc_dtype dtype;
    int rank;
    uint64_t dims[PGC_MAX_RANK];
    char dimname[PGC_MAX_RANK][9];
    char *meta;          /* "key: value\n" lines, meta_len bytes, NUL-terminated */
    size_t meta_len, meta_cap;
    void *data;          /* payload, 64-byte aligned */
    size_t data_cap;
} pgc_record;

void pgc_record_free(pgc_record *r);
size_t pgc_dtype_size(pgc_dtype t);
const char *pgc_dtype_name(pgc_dtype t);
uint64_t pgc_record_count(const pgc_record *r);   /* elements */
uint64_t pgc_record_nbytes(const pgc_record *r);

/* Sets dtype and shape ("y x" style names, one per dim, or NULL) and makes room for the
 * payload; the payload's contents are unspecified. Metadata is kept. */
int pgc_record_shape(pgc_record *r, pgc_dtype t, int rank, const uint64_t *dims,
                     const char *const *names, pgc_err *e);
/* Shorthands for the common f32 shapes. */
int pgc_record_f32_2d(pgc_record *r, uint64_t h, uint64_t w, pgc_err *e);       /* y x */
int pgc_record_f32_3d(pgc_record *r, uint64_t c, uint64_t h, uint64_t w, pgc_err *e); /* c y x */
int pgc_record_boxes(pgc_record *r, uint64_t n, pgc_err *e);                    /* box coord */
/* dst becomes a deep copy of src (metadata and payload). */
int pgc_record_copy(pgc_record *dst, const pgc_record *src, pgc_err *e);

/* Metadata. get copies the value into buf (NUL-terminated, truncated to bufsz) and
 * returns buf, or NULL when the key is absent. set replaces a value in place or appends. */
const char *pgc_meta_get(const pgc_record *r, const char *key, char *buf, size_t bufsz);
int pgc_meta_set(pgc_record *r, const char *key, const char *value, pgc_err *e);
int pgc_meta_setf(pgc_record *r, const char *key, pgc_err *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void pgc_meta_del(pgc_record *r, const char *key);
void pgc_meta_clear(pgc_record *r);
/* Copies every key of src into dst (replacing same keys), except `name`. */
int pgc_meta_inherit(pgc_record *dst, const pgc_record *src, pgc_err *e);
/* True when the record's `name` equals name. */
int pgc_record_is(const pgc_record *r, const char *name);
/* Validates a whole metadata block (as read from a stream). */
int pgc_meta_check(const char *meta, size_t len, pgc_err *e);

/* Reader over a file descriptor. `name` is used in error messages ("-" for stdin). */
typedef struct pgc_reader pgc_reader;
pgc_reader *pgc_reader_open(int fd, const char *name, pgc_err *e);
void pgc_reader_free(pgc_reader *rd);
/* 1: a record was read into r; 0: clean end of stream; PGC_EINPUT on bad input. */
int pgc_reader_next(pgc_reader *rd, pgc_record *r, pgc_err *e);
/* Puts one record back so the next call returns it again (swaps buffers, no copy). */
void pgc_reader_unread(pgc_reader *rd, pgc_record *r);
/* Byte offset, from the start of the input, of the record returned last. */
uint64_t pgc_reader_offset(const pgc_reader *rd);
const char *pgc_reader_name(const pgc_reader *rd);
/* For the frame reader: notes that a frame with this id starts; 1 when one with the same
 * id was started before in this stream (a frame cut in two), 0 when new, PGC_ENOMEM. A
 * concatenated stream starts afresh.
 * Remembers a 64-bit hash per id, 8 to 16 bytes a frame. */
int pgc_reader_frame_again(pgc_reader *rd, const char *id, pgc_err *e);

/* Reads one record at a known byte offset of a seekable file (for indexed access). */
int pgc_record_pread(int fd, uint64_t offset, const char *name, pgc_record *r, pgc_err *e);

/* Writer. The stream header goes out with the first record or at close. */
typedef struct pgc_writer pgc_writer;
pgc_writer *pgc_writer_open(int fd, const char *name, pgc_err *e);
/* 0, PGC_EPIPE when the reader went away, PGC_EINPUT on a write error. */
int pgc_writer_put(pgc_writer *w, const pgc_record *r, pgc_err *e);
/* Writes the end-of-stream record and flushes. Frees w whatever happens. */
int pgc_writer_close(pgc_writer *w, pgc_err *e);
/* Flushes buffered bytes. */
int pgc_writer_flush(pgc_writer *w, pgc_err *e);

#endif

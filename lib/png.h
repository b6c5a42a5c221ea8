/* PNG reading (libpng) into a grey image: 8- or 16-bit grey kept as it is; RGB, RGBA,
 * grey+alpha and palette images become grey with Rec. 601 weights; alpha is dropped.
 * Limits are checked before the pixel buffer is allocated. */
#ifndef PGC_PNG_H
#define PGC_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PGC_PNG_MAX_DIM 16384u /* width and height, each */

typedef struct {
    uint32_t h, w;
    int bits;   /* 8 (data is uint8_t) or 16 (data is uint16_t, native byte order) */
    void *data; /* (h, w) */
    size_t cap; /* bytes allocated at data, reused by the next read */
} pgc_png;

/* Reads path into img (zero-initialised or reused; free with pgc_png_free). Errors read
 * "cannot read '<path>': <problem>". */
int pgc_png_read_file(const char *path, pgc_png *img, pgc_err *e);
/* The same from memory; name is used in messages only. */
int pgc_png_read_mem(const void *buf, size_t len, const char *name, pgc_png *img,
                     pgc_err *e);
void pgc_png_free(pgc_png *img);

/* True when buf starts with the 8-byte PNG signature. */
int pgc_png_sniff(const void *buf, size_t len);

#endif

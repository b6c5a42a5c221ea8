/* PNG writing (libpng): 8-bit grey or 8-bit RGB, for pictures people look at. */
#ifndef PGC_PNG_WRITE_H
#define PGC_PNG_WRITE_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"

/* Writes pix, (h, w, channels) with channels 1 (grey) or 3 (RGB), to f; name is used
 * in messages ("cannot write '<name>': ..."). The caller closes f. */
int pgc_png_write(FILE *f, const char *name, const uint8_t *pix, uint32_t h, uint32_t w,
                  int channels, pgc_err *e);
/* The same to a new file at path (replaced if it exists; removed again on error). */
int pgc_png_write_file(const char *path, const uint8_t *pix, uint32_t h, uint32_t w,
                       int channels, pgc_err *e);

#endif

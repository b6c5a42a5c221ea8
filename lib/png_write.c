#include "png_write.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "png.h"

struct wctx {
    char msg[256];
};

static void wctx_error(png_structp png, png_const_charp msg)
{
    struct wctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void wctx_warning(png_structp png, png_const_charp msg) { (void)png, (void)msg; }

static int png_encode(png_structp png, png_infop info, FILE *f, const uint8_t *pix,
                      uint32_t h, uint32_t w, int channels)
{
    if (setjmp(png_jmpbuf(png))) return -1;
    png_init_io(png, f);
    png_set_IHDR(png, info, w, h, 8, channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t y = 0; y < h; y++)
        png_write_row(png, (png_const_bytep)(pix + (size_t)y * w * channels));
    png_write_end(png, NULL);
    return 0;
}

int pgc_png_write(FILE *f, const char *name, const uint8_t *pix, uint32_t h, uint32_t w,
                  int channels, pgc_err *e)
{
    if (channels != 1 && channels != 3)
        return pgc_errf(e, PGC_EINPUT, "cannot write '%s': %d channels (want 1 or 3)", name,
                        channels);
    if (h == 0 || w == 0 || h > PGC_PNG_MAX_DIM || w > PGC_PNG_MAX_DIM)
        return pgc_errf(e, PGC_EINPUT, "cannot write '%s': image size %ux%u is outside 1..%u",
                        name, (unsigned)w, (unsigned)h, PGC_PNG_MAX_DIM);
    struct wctx c = {{0}};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &c, wctx_error, wctx_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return pgc_errf(e, PGC_ENOMEM, "cannot write '%s': out of memory", name);
    }
    errno = 0;
    int rc = png_encode(png, info, f, pix, h, w, channels);
    png_destroy_write_struct(&png, &info);
    if (rc == 0 && fflush(f) != 0) {
        snprintf(c.msg, sizeof c.msg, "%s", strerror(errno));
        rc = -1;
    }
    if (rc) {
        int code = errno == EPIPE ? PGC_EPIPE : PGC_EINPUT;
        return pgc_errf(e, code, "cannot write '%s': %s", name, c.msg[0] ? c.msg : "write error");
    }
    return PGC_OK;
}

int pgc_png_write_file(const char *path, const uint8_t *pix, uint32_t h, uint32_t w,
                       int channels, pgc_err *e)
{
    FILE *f = fopen(path, "wb");
    if (!f) return pgc_errf(e, PGC_EINPUT, "cannot write '%s': %s", path, strerror(errno));
    int rc = pgc_png_write(f, path, pix, h, w, channels, e);
    if (fclose(f) != 0 && rc == PGC_OK)
        rc = pgc_errf(e, PGC_EINPUT, "cannot write '%s': %s", path, strerror(errno));
    if (rc) remove(path);
    return rc;
}

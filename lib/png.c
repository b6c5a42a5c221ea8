/* PNG reader on libpng. libpng reports errors by longjmp: every resource that must be
 * freed lives in struct png_ctx, reached through a pointer, so nothing the error path
 * needs is a local modified after setjmp. */
#include "png.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Deflate cannot compress better than about 1032:1, so a file much smaller than
 * rows / 1032 cannot hold the image its header claims: refuse it before allocating. */
#define DEFLATE_MAX_RATIO 1040u

struct png_ctx {
    FILE *f;                  /* file source, or NULL */
    const unsigned char *buf; /* memory source */
    size_t len, pos;
    uint64_t size;            /* source bytes, 0 when unknown */
    char msg[256];            /* libpng's message, kept for the error line */
    char warn[128];           /* its first warning: often the reason behind the error */
    unsigned char *rows;      /* RGB rows being converted, freed on every exit */
};

static void ctx_read(png_structp png, png_bytep out, size_t n)
{
    struct png_ctx *c = png_get_io_ptr(png);
    if (c->f) {
        if (fread(out, 1, n, c->f) != n)
            png_error(png, ferror(c->f) ? "read error" : "truncated file");
        return;
    }
    if (c->len - c->pos < n) png_error(png, "truncated file");
    memcpy(out, c->buf + c->pos, n);
    c->pos += n;
}

static void ctx_error(png_structp png, png_const_charp msg)
{
    struct png_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void ctx_warning(png_structp png, png_const_charp msg)
{
    struct png_ctx *c = png_get_error_ptr(png);
    if (!c->warn[0]) snprintf(c->warn, sizeof c->warn, "%s", msg);
}

int pgc_png_sniff(const void *buf, size_t len)
{
    return len >= 8 && png_sig_cmp((png_const_bytep)buf, 0, 8) == 0;
}

void pgc_png_free(pgc_png *img)
{
    free(img->data);
    memset(img, 0, sizeof *img);
}

/* Rec. 601 luma of one row of RGB, rounded. */
static void rgb_to_grey(const unsigned char *rgb, void *out, uint32_t w, int bits)
{
    if (bits == 8) {
        uint8_t *o = out;
        for (uint32_t x = 0; x < w; x++, rgb += 3)
            o[x] = (uint8_t)((299u * rgb[0] + 587u * rgb[1] + 114u * rgb[2] + 500u) / 1000u);
    } else {
        const uint16_t *p = (const uint16_t *)rgb;
        uint16_t *o = out;
        for (uint32_t x = 0; x < w; x++, p += 3)
            o[x] = (uint16_t)((299u * p[0] + 587u * p[1] + 114u * p[2] + 500u) / 1000u);
    }
}

/* Everything that may longjmp. Returns 0, or -1 with c->msg set. */
static int png_decode(png_structp png, png_infop info, struct png_ctx *c, pgc_png *img)
{
    if (setjmp(png_jmpbuf(png))) return -1;

    png_set_user_limits(png, PGC_PNG_MAX_DIM, PGC_PNG_MAX_DIM);
    png_set_chunk_malloc_max(png, 8u << 20);   /* bounds zTXt/iCCP inflation */
    png_set_chunk_cache_max(png, 1000);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);

    png_uint_32 w, h;
    int depth, color, interlace;
    png_get_IHDR(png, info, &w, &h, &depth, &color, &interlace, NULL, NULL);
    if (w == 0 || h == 0 || w > PGC_PNG_MAX_DIM || h > PGC_PNG_MAX_DIM) {
        snprintf(c->msg, sizeof c->msg, "image size %ux%u is outside 1..%u", (unsigned)w,
                 (unsigned)h, PGC_PNG_MAX_DIM);
        return -1;
    }
    int chan_in = png_get_channels(png, info);
    uint64_t raw = (uint64_t)h * (1 + ((uint64_t)w * chan_in * depth + 7) / 8);
    if (c->size && raw > c->size * DEFLATE_MAX_RATIO + 65536) {
        snprintf(c->msg, sizeof c->msg, "truncated: %llu bytes cannot hold a %ux%u image",
                 (unsigned long long)c->size, (unsigned)w, (unsigned)h);
        return -1;
    }

    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    /* alpha is dropped: the channel itself, or the one a palette's tRNS expands to */
    if ((color & PNG_COLOR_MASK_ALPHA) ||
        (color == PNG_COLOR_TYPE_PALETTE && png_get_valid(png, info, PNG_INFO_tRNS)))
        png_set_strip_alpha(png);
    if (depth == 16) {
        const uint16_t one = 1;
        if (*(const unsigned char *)&one) png_set_swap(png); /* PNG is big-endian */
    }
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int chan = png_get_channels(png, info);
    int bits = png_get_bit_depth(png, info) == 16 ? 16 : 8;
    size_t rowbytes = png_get_rowbytes(png, info);
    size_t bpp = (size_t)bits / 8;
    if ((chan != 1 && chan != 3) || rowbytes != (size_t)w * chan * bpp) {
        snprintf(c->msg, sizeof c->msg, "unsupported png layout");
        return -1;
    }
    size_t need = (size_t)h * w * bpp;
    if (img->cap < need) {
        void *p = realloc(img->data, need);
        if (!p) {
            snprintf(c->msg, sizeof c->msg, "out of memory for a %ux%u image", (unsigned)w,
                     (unsigned)h);
            return -1;
        }
        img->data = p;
        img->cap = need;
    }
    img->h = h, img->w = w, img->bits = bits;
    unsigned char *out = img->data;

    if (chan == 1) {
        for (int p = 0; p < passes; p++)
            for (png_uint_32 y = 0; y < h; y++)
                png_read_row(png, out + (size_t)y * rowbytes, NULL);
    } else if (passes == 1) {
        c->rows = malloc(rowbytes);
        if (!c->rows) png_error(png, "out of memory");
        for (png_uint_32 y = 0; y < h; y++) {
            png_read_row(png, c->rows, NULL);
            rgb_to_grey(c->rows, out + (size_t)y * w * bpp, w, bits);
        }
    } else { /* interlaced colour: the passes fill the whole RGB image first */
        c->rows = malloc((size_t)h * rowbytes);
        if (!c->rows) png_error(png, "out of memory");
        for (int p = 0; p < passes; p++)
            for (png_uint_32 y = 0; y < h; y++)
                png_read_row(png, c->rows + (size_t)y * rowbytes, NULL);
        for (png_uint_32 y = 0; y < h; y++)
            rgb_to_grey(c->rows + (size_t)y * rowbytes, out + (size_t)y * w * bpp, w, bits);
    }
    png_read_end(png, NULL); /* checks the chunks after the image, up to IEND */
    return 0;
}

static int png_read_ctx(struct png_ctx *c, const char *name, pgc_png *img, pgc_err *e)
{
    unsigned char sig[8];
    size_t got;
    if (c->f) {
        got = fread(sig, 1, 8, c->f);
    } else {
        got = c->len < 8 ? c->len : 8;
        if (got) memcpy(sig, c->buf, got);
        c->pos = got;
    }
    if (got < 8 || png_sig_cmp(sig, 0, 8))
        return pgc_errf(e, PGC_EINPUT, "cannot read '%s': not a png file (%s)", name,
                        got < 8 ? "too short" : "wrong signature");

    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, c, ctx_error, ctx_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return pgc_errf(e, PGC_ENOMEM, "cannot read '%s': out of memory", name);
    }
    png_set_read_fn(png, c, ctx_read);
    int rc = png_decode(png, info, c, img);
    png_destroy_read_struct(&png, &info, NULL);
    free(c->rows);
    c->rows = NULL;
    if (rc) {
        img->h = img->w = 0;
        if (!strcmp(c->msg, "truncated file") || !strncmp(c->msg, "truncated:", 10) ||
            !strcmp(c->msg, "read error") || !strncmp(c->msg, "image size", 10) ||
            !strncmp(c->msg, "out of memory", 13))
            return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", name, c->msg);
        if (c->warn[0]) /* "Invalid IHDR data" says less than "Image width exceeds ..." */
            return pgc_errf(e, PGC_EINPUT, "cannot read '%s': corrupt png (%s: %s)", name, c->msg,
                            c->warn);
        return pgc_errf(e, PGC_EINPUT, "cannot read '%s': corrupt png (%s)", name, c->msg);
    }
    return PGC_OK;
}

int pgc_png_read_mem(const void *buf, size_t len, const char *name, pgc_png *img, pgc_err *e)
{
    struct png_ctx c = {.buf = buf, .len = len, .size = len};
    return png_read_ctx(&c, name, img, e);
}

int pgc_png_read_file(const char *path, pgc_png *img, pgc_err *e)
{
    struct png_ctx c = {0};
    c.f = fopen(path, "rb");
    if (!c.f) return pgc_errf(e, PGC_EINPUT, "cannot read '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(c.f), &st) == 0 && S_ISREG(st.st_mode)) c.size = (uint64_t)st.st_size;
    int rc = png_read_ctx(&c, path, img, e);
    fclose(c.f);
    return rc;
}

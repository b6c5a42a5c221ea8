/* lib/png: every PNG colour type becomes grey, limits hold, corrupt files fail. The test
 * PNGs are encoded here with libpng itself, independently of lib/png. */
#include <png.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "../../lib/png.h"
#include "../../lib/png_write.h"
#include "check.h"

typedef struct {
    unsigned char *p;
    size_t n, cap;
} membuf;

static void mem_write(png_structp png, png_bytep d, size_t n)
{
    membuf *m = png_get_io_ptr(png);
    if (m->n + n > m->cap) {
        m->cap = (m->n + n) * 2;
        m->p = realloc(m->p, m->cap);
    }
    memcpy(m->p + m->n, d, n);
    m->n += n;
}
static void mem_flush(png_structp png) { (void)png; }

/* Encodes rows (h rows of rowbytes each) as a PNG of the given type. */
static membuf encode(int w, int h, int depth, int color, int interlace, const unsigned char *rows,
                     size_t rowbytes, const png_color *pal, int npal)
{
    membuf m = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_set_write_fn(png, &m, mem_write, mem_flush);
    png_set_IHDR(png, info, w, h, depth, color, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (pal) png_set_PLTE(png, info, pal, npal);
    png_write_info(png, info);
    int passes = interlace ? png_set_interlace_handling(png) : 1;
    for (int p = 0; p < passes; p++)
        for (int y = 0; y < h; y++) png_write_row(png, rows + (size_t)y * rowbytes);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return m;
}

static unsigned grey601(unsigned r, unsigned g, unsigned b)
{
    return (unsigned)(0.299 * r + 0.587 * g + 0.114 * b + 0.5);
}

static void grey8_reads_unchanged(void)
{
    unsigned char px[3 * 4];
    for (int i = 0; i < 12; i++) px[i] = (unsigned char)(i * 20);
    membuf m = encode(4, 3, 8, PNG_COLOR_TYPE_GRAY, 0, px, 4, NULL, 0);
    pgc_png img = {0};
    pgc_err e;
    EXPECT(pgc_png_read_mem(m.p, m.n, "g8", &img, &e) == PGC_OK);
    EXPECT(img.h == 3 && img.w == 4 && img.bits == 8);
    EXPECT(img.data && !memcmp(img.data, px, 12));
    pgc_png_free(&img);
    free(m.p);
}

static void grey16_reads_in_native_byte_order(void)
{
    unsigned char px[2 * 2 * 2] = {0x12, 0x34, 0xff, 0xfe, 0x00, 0x01, 0x80, 0x00}; /* BE */
    membuf m = encode(2, 2, 16, PNG_COLOR_TYPE_GRAY, 0, px, 4, NULL, 0);
    pgc_png img = {0};
    EXPECT(pgc_png_read_mem(m.p, m.n, "g16", &img, NULL) == PGC_OK);
    EXPECT(img.bits == 16);
    const uint16_t *v = img.data;
    EXPECT(v[0] == 0x1234 && v[1] == 0xfffe && v[2] == 0x0001 && v[3] == 0x8000);
    pgc_png_free(&img);
    free(m.p);
}

static void rgb_becomes_rec601_grey(void)
{
    unsigned char px[] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 200, 90};
    membuf m = encode(4, 1, 8, PNG_COLOR_TYPE_RGB, 0, px, 12, NULL, 0);
    pgc_png img = {0};
    EXPECT(pgc_png_read_mem(m.p, m.n, "rgb", &img, NULL) == PGC_OK);
    const uint8_t *g = img.data;
    EXPECT(g[0] == grey601(255, 0, 0) && g[1] == grey601(0, 255, 0));
    EXPECT(g[2] == grey601(0, 0, 255) && g[3] == grey601(10, 200, 90));
    pgc_png_free(&img);
    free(m.p);
}

static void rgba_drops_alpha(void)
{
    unsigned char px[] = {100, 150, 200, 0, 100, 150, 200, 255};
    membuf m = encode(2, 1, 8, PNG_COLOR_TYPE_RGB_ALPHA, 0, px, 8, NULL, 0);
    pgc_png img = {0};
    EXPECT(pgc_png_read_mem(m.p, m.n, "rgba", &img, NULL) == PGC_OK);
    const uint8_t *g = img.data;
    EXPECT(g[0] == grey601(100, 150, 200) && g[1] == g[0]);
    pgc_png_free(&img);
    free(m.p);
}

static void grey_alpha_drops_alpha(void)
{
    unsigned char px[] = {7, 0, 9, 255};
    membuf m = encode(2, 1, 8, PNG_COLOR_TYPE_GRAY_ALPHA, 0, px, 4, NULL, 0);
    pgc_png img = {0};
    EXPECT(pgc_png_read_mem(m.p, m.n, "ga", &img, NULL) == PGC_OK);
    const uint8_t *g = img.data;
    EXPECT(img.w == 2 && g[0] == 7 && g[1] == 9);
    pgc_png_free(&img);
    free(m.p);
}

static void palette_becomes_grey(void)
{
    png_color pal[2] = {{30, 60, 90}, {255, 255, 255}};
    unsigned char px[] = {0, 1, 1, 0};
    membuf m = encode(4, 1, 8, PNG_COLOR_TYPE_PALETTE, 0, px, 4, pal, 2);
    pgc_png img = {0};
    EXPECT(pgc_png_read_mem(m.p, m.n, "pal", &img, NULL) == PGC_OK);
    const uint8_t *g = img.data;
    EXPECT(g[0] == grey601(30, 60, 90) && g[1] == 255 && g[2] == 255 && g[3] == g[0]);
    pgc_png_free(&img);
    free(m.p);
}

static void one_bit_grey_expands_to_0_and_255(void)
{
    unsigned char px[] = {0xa0}; /* 1 0 1 0 */
    membuf m = encode(4, 1, 1, PNG_COLOR_TYPE_GRAY, 0, px, 1, NULL, 0);
    pgc_png img = {0};
    EXPECT(pgc_png_read_mem(m.p, m.n, "g1", &img, NULL) == PGC_OK);
    const uint8_t *g = img.data;
    EXPECT(img.w == 4 && g[0] == 255 && g[1] == 0 && g[2] == 255 && g[3] == 0);
    pgc_png_free(&img);
    free(m.p);
}

static void interlaced_rgb_reads_like_plain(void)
{
    enum { W = 13, H = 11 };
    unsigned char px[H * W * 3];
    for (int i = 0; i < H * W * 3; i++) px[i] = (unsigned char)(i * 7 + 3);
    membuf a = encode(W, H, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_ADAM7, px, W * 3, NULL, 0);
    pgc_png img = {0};
    EXPECT(pgc_png_read_mem(a.p, a.n, "adam7", &img, NULL) == PGC_OK);
    const uint8_t *g = img.data;
    int bad = 0;
    for (int i = 0; i < H * W; i++)
        bad += g[i] != grey601(px[3 * i], px[3 * i + 1], px[3 * i + 2]);
    EXPECT(bad == 0);
    pgc_png_free(&img);
    free(a.p);
}

static void written_png_reads_back(void)
{
    uint8_t px[5 * 6], rgb[2 * 2 * 3] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9};
    for (int i = 0; i < 30; i++) px[i] = (uint8_t)(i * 8);
    char path[] = "/tmp/pgc_png_testXXXXXX";
    int fd = mkstemp(path);
    close(fd);
    pgc_png img = {0};
    pgc_err e;
    EXPECT(pgc_png_write_file(path, px, 5, 6, 1, &e) == PGC_OK);
    EXPECT(pgc_png_read_file(path, &img, &e) == PGC_OK);
    EXPECT(img.h == 5 && img.w == 6 && !memcmp(img.data, px, 30));
    EXPECT(pgc_png_write_file(path, rgb, 2, 2, 3, &e) == PGC_OK);
    EXPECT(pgc_png_read_file(path, &img, &e) == PGC_OK);
    const uint8_t *g = img.data;
    EXPECT(img.h == 2 && img.w == 2 && g[0] == grey601(255, 0, 0) && g[3] == 9);
    remove(path);
    pgc_png_free(&img);
}

static void wrong_signature_is_refused(void)
{
    const char junk[] = "GIF89a this is not a png at all";
    pgc_png img = {0};
    pgc_err e;
    EXPECT(pgc_png_read_mem(junk, sizeof junk, "x.gif", &img, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "'x.gif'") && strstr(e.msg, "not a png"));
    EXPECT(!pgc_png_sniff(junk, sizeof junk));
}

static membuf small_grey(void)
{
    unsigned char px[64 * 64];
    for (int i = 0; i < 64 * 64; i++) px[i] = (unsigned char)(i * 31 % 251);
    return encode(64, 64, 8, PNG_COLOR_TYPE_GRAY, 0, px, 64, NULL, 0);
}

static void every_truncation_fails_cleanly(void)
{
    membuf m = small_grey();
    pgc_png img = {0};
    pgc_err e;
    int fails = 0;
    for (size_t n = 0; n < m.n; n++)
        fails += pgc_png_read_mem(m.p, n, "t.png", &img, &e) == PGC_EINPUT;
    EXPECT(fails == (int)m.n);
    EXPECT(pgc_png_read_mem(m.p, m.n - 5, "t.png", &img, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "cannot read 't.png'") && strstr(e.msg, "truncated"));
    EXPECT(pgc_png_read_mem(m.p, m.n, "t.png", &img, &e) == PGC_OK);
    pgc_png_free(&img);
    free(m.p);
}

static void bad_crc_is_refused(void)
{
    membuf m = small_grey();
    m.p[8 + 8 + 13] ^= 0xff; /* IHDR's CRC */
    pgc_png img = {0};
    pgc_err e;
    EXPECT(pgc_png_read_mem(m.p, m.n, "c.png", &img, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "CRC"));
    free(m.p);
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* Rewrites IHDR's width and height and fixes its CRC, so only the size is wrong. */
static void set_size(membuf *m, uint32_t w, uint32_t h)
{
    put_be32(m->p + 16, w);
    put_be32(m->p + 20, h);
    put_be32(m->p + 29, (uint32_t)crc32(0, m->p + 12, 17));
}

static void absurd_size_is_refused_before_allocating(void)
{
    membuf m = small_grey();
    pgc_png img = {0};
    pgc_err e;
    set_size(&m, 100000, 64);
    EXPECT(pgc_png_read_mem(m.p, m.n, "w.png", &img, &e) == PGC_EINPUT);
    EXPECT(img.data == NULL);
    set_size(&m, 16384, 16384); /* allowed size, but the file is far too small for it */
    EXPECT(pgc_png_read_mem(m.p, m.n, "w.png", &img, &e) == PGC_EINPUT);
    EXPECT(img.data == NULL && strstr(e.msg, "truncated"));
    free(m.p);
}

static void missing_file_names_the_file(void)
{
    pgc_png img = {0};
    pgc_err e;
    EXPECT(pgc_png_read_file("/nonexistent/a.png", &img, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "'/nonexistent/a.png'") != NULL);
}

int main(void)
{
    RUN(grey8_reads_unchanged);
    RUN(grey16_reads_in_native_byte_order);
    RUN(rgb_becomes_rec601_grey);
    RUN(rgba_drops_alpha);
    RUN(grey_alpha_drops_alpha);
    RUN(palette_becomes_grey);
    RUN(one_bit_grey_expands_to_0_and_255);
    RUN(interlaced_rgb_reads_like_plain);
    RUN(written_png_reads_back);
    RUN(wrong_signature_is_refused);
    RUN(every_truncation_fails_cleanly);
    RUN(bad_crc_is_refused);
    RUN(absurd_size_is_refused_before_allocating);
    RUN(missing_file_names_the_file);
    return check_done();
}

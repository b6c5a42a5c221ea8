/* Frame pictures: grey slice, heat maps blended over it, boxes, colour bar, labels. */
#include "render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "colormap.h"
#include "fuse.h"
#include "png.h"
#include "png_write.h"

enum {
    MARGIN = 6,    /* around the picture */
    GAP = 6,       /* between panels */
    LABEL = 16,    /* the strip above the panels */
    BAR_W = 14,    /* colour bar */
    TICK_W = 28,   /* the bar's 0 / 1 labels */
    FONT_SCALE = 2,
};
static const uint8_t background[3] = {24, 24, 24}, text_rgb[3] = {230, 230, 230};
static const uint8_t truth_rgb[3] = {0, 230, 0}, pred_rgb[3] = {255, 32, 32};

/* A 3 x 5 pixel font: five rows of three bits, the top row in the high bits. */
#define G(a, b, c, d, e) (uint16_t)((a) << 12 | (b) << 9 | (c) << 6 | (d) << 3 | (e))
static const uint16_t font[128] = {
    ['0'] = G(7, 5, 5, 5, 7), ['1'] = G(2, 6, 2, 2, 7), ['2'] = G(7, 1, 7, 4, 7),
    ['3'] = G(7, 1, 7, 1, 7), ['4'] = G(5, 5, 7, 1, 1), ['5'] = G(7, 4, 7, 1, 7),
    ['6'] = G(7, 4, 7, 5, 7), ['7'] = G(7, 1, 1, 1, 1), ['8'] = G(7, 5, 7, 5, 7),
    ['9'] = G(7, 5, 7, 1, 7), ['A'] = G(2, 5, 7, 5, 5), ['B'] = G(6, 5, 6, 5, 6),
    ['C'] = G(3, 4, 4, 4, 3), ['D'] = G(6, 5, 5, 5, 6), ['E'] = G(7, 4, 6, 4, 7),
    ['F'] = G(7, 4, 6, 4, 4), ['G'] = G(3, 4, 5, 5, 3), ['H'] = G(5, 5, 7, 5, 5),
    ['I'] = G(7, 2, 2, 2, 7), ['J'] = G(1, 1, 1, 5, 2), ['K'] = G(5, 5, 6, 5, 5),
    ['L'] = G(4, 4, 4, 4, 7), ['M'] = G(5, 7, 7, 5, 5), ['N'] = G(6, 5, 5, 5, 5),
    ['O'] = G(2, 5, 5, 5, 2), ['P'] = G(6, 5, 6, 4, 4), ['Q'] = G(2, 5, 5, 6, 3),
    ['R'] = G(6, 5, 6, 5, 5), ['S'] = G(3, 4, 2, 1, 6), ['T'] = G(7, 2, 2, 2, 2),
    ['U'] = G(5, 5, 5, 5, 7), ['V'] = G(5, 5, 5, 5, 2), ['W'] = G(5, 5, 7, 7, 5),
    ['X'] = G(5, 5, 2, 5, 5), ['Y'] = G(5, 5, 2, 2, 2), ['Z'] = G(7, 1, 2, 4, 7),
    ['.'] = G(0, 0, 0, 0, 2), ['-'] = G(0, 0, 7, 0, 0), ['+'] = G(0, 2, 7, 2, 0),
    ['_'] = G(0, 0, 0, 0, 7), [':'] = G(0, 2, 0, 2, 0),
};
#undef G

void pgc_canvas_free(pgc_canvas *c)
{
    free(c->rgb);
    free(c->grey);
    free(c->map);
    memset(c, 0, sizeof *c);
}

static void put(pgc_canvas *c, long x, long y, const uint8_t rgb[3])
{
    if (x < 0 || y < 0 || (size_t)x >= c->w || (size_t)y >= c->h) return;
    memcpy(c->rgb + 3 * ((size_t)y * c->w + (size_t)x), rgb, 3);
}

/* Text at (x, y), clipped to the canvas and to max_w pixels. */
static void draw_text(pgc_canvas *c, long x, long y, const char *s, long max_w)
{
    const long adv = 4 * FONT_SCALE;
    for (long i = 0; s[i] && (i + 1) * adv <= max_w + FONT_SCALE; i++) {
        unsigned ch = (unsigned char)s[i];
        if (ch >= 'a' && ch <= 'z') ch -= 'a' - 'A';
        uint16_t g = ch < 128 ? font[ch] : 0;
        for (int r = 0; r < 5; r++)
            for (int k = 0; k < 3; k++)
                if (g >> (3 * (4 - r) + (2 - k)) & 1)
                    for (int dy = 0; dy < FONT_SCALE; dy++)
                        for (int dx = 0; dx < FONT_SCALE; dx++)
                            put(c, x + i * adv + k * FONT_SCALE + dx, y + r * FONT_SCALE + dy, text_rgb);
    }
}

/* A 2-pixel outline inside the half-open box, clipped to the panel at (px, py). */
static void draw_box(pgc_canvas *c, long px, long py, long pw, long ph, const float b[4],
                     const uint8_t rgb[3])
{
    long x0 = lround(b[0]), y0 = lround(b[1]), x1 = lround(b[2]) - 1, y1 = lround(b[3]) - 1;
    if (x1 < x0 || y1 < y0) return;
    // clip far outside the panel, keeping edges that lie outside it outside
    x0 = x0 < -2 ? -2 : x0, y0 = y0 < -2 ? -2 : y0;
    x1 = x1 > pw + 1 ? pw + 1 : x1, y1 = y1 > ph + 1 ? ph + 1 : y1;
    for (long y = y0; y <= y1; y++)
        for (long x = x0; x <= x1; x++) {
            int edge = x - x0 < 2 || x1 - x < 2 || y - y0 < 2 || y1 - y < 2;
            if (!edge) {
                x = x1 - 2; // skip the inside of the row
                continue;
            }
            if (x >= 0 && y >= 0 && x < pw && y < ph) put(c, px + x, py + y, rgb);
        }
}

/* Draws every box of the frame's record called name. */
static void draw_boxes(pgc_canvas *c, const pgc_frame *f, const char *name, long px, long py,
                       long pw, long ph, const uint8_t rgb[3])
{
    int i = pgc_frame_find(f, name);
    if (i < 0) return;
    const pgc_record *r = &f->rec[i];
    if (r->dtype != PGC_DT_F32 || r->rank != 2 || r->dims[1] != 4) return;
    const float *b = r->data;
    for (uint64_t k = 0; k < r->dims[0]; k++)
        if (isfinite(b[4 * k]) && isfinite(b[4 * k + 1]) && isfinite(b[4 * k + 2]) &&
            isfinite(b[4 * k + 3]) && fabsf(b[4 * k]) < 1e9f && fabsf(b[4 * k + 1]) < 1e9f &&
            fabsf(b[4 * k + 2]) < 1e9f && fabsf(b[4 * k + 3]) < 1e9f)
            draw_box(c, px, py, pw, ph, b + 4 * k, rgb);
}

/* The slice at (px, py), with the map blended in when map is not NULL. */
static void draw_panel(pgc_canvas *c, long px, long py, size_t H, size_t W, const float *map,
                       double alpha)
{
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++) {
            double g = c->grey[y * W + x] * 255;
            uint8_t px3[3] = {(uint8_t)lround(g), (uint8_t)lround(g), (uint8_t)lround(g)};
            if (map) {
                double v = map[y * W + x], a = alpha * v;
                uint8_t col[3];
                pgc_colormap(v, col);
                for (int k = 0; k < 3; k++) px3[k] = (uint8_t)lround((1 - a) * g + a * col[k]);
            }
            put(c, px + (long)x, py + (long)y, px3);
        }
}

static int image_to_grey(const pgc_record *r, float *g, const char *id, pgc_err *e)
{
    size_t n = r->dims[0] * r->dims[1];
    for (size_t i = 0; i < n; i++) {
        double v;
        switch (r->dtype) {
        case PGC_DT_U8: v = ((const uint8_t *)r->data)[i]; break;
        case PGC_DT_U16: v = ((const uint16_t *)r->data)[i]; break;
        case PGC_DT_I16: v = ((const int16_t *)r->data)[i]; break;
        case PGC_DT_I32: v = ((const int32_t *)r->data)[i]; break;
        case PGC_DT_F32: v = ((const float *)r->data)[i]; break;
        default: v = ((const double *)r->data)[i]; break;
        }
        if (!isfinite(v))
            return pgc_errf(e, PGC_EINPUT, "frame '%s': image holds NaN or Inf at pixel %zu", id, i);
        g[i] = (float)v;
    }
    pgc_normalise_minmax(g, n);
    return PGC_OK;
}

/* c->map = record r resized to (H, W), min-max normalised. */
static int map_to_panel(pgc_canvas *c, const pgc_record *r, size_t H, size_t W, const char *id,
                        pgc_err *e)
{
    char name[64] = "map";
    pgc_meta_get(r, "name", name, sizeof name);
    int rc = pgc_map_check(r, id, name, e);
    if (rc) return rc;
    pgc_resize_bilinear(r->data, r->dims[0], r->dims[1], c->map, H, W);
    pgc_normalise_minmax(c->map, H * W);
    return PGC_OK;
}

int pgc_render_frame(const pgc_frame *f, const pgc_render_opts *o, pgc_canvas *c, pgc_err *e)
{
    char id[256];
    pgc_frame_id(f, id, sizeof id);
    int ii = pgc_frame_find(f, "image");
    if (ii < 0) return pgc_errf(e, PGC_EINPUT, "frame '%s' has no image record", id);
    const pgc_record *im = &f->rec[ii];
    if (im->rank != 2 || !im->dims[0] || !im->dims[1])
        return pgc_errf(e, PGC_EINPUT, "frame '%s': image is not a non-empty 2-d (y x) tensor", id);
    size_t H = im->dims[0], W = im->dims[1];
    if (H + 2 * MARGIN + LABEL > PGC_PNG_MAX_DIM || W + 2 * MARGIN > PGC_PNG_MAX_DIM)
        return pgc_errf(e, PGC_EINPUT, "frame '%s': image of %zu x %zu is too large to render",
                        id, H, W);

    int mi = pgc_frame_find(f, o->map), scale_idx[32], nscale = 0;
    for (int p = 1; mi >= 0 && o->scales && p <= 31; p++) {
        char name[16];
        snprintf(name, sizeof name, "cam.s%d", p);
        int k = pgc_frame_find(f, name);
        if (k >= 0 && k != mi) scale_idx[nscale++] = k;
    }
    int npanel;
    for (;;) { // drop the scale panels, then the map, until the picture fits in a PNG
        npanel = mi >= 0 ? 2 + nscale : 1;
        c->w = 2 * MARGIN + npanel * W + (npanel - 1) * GAP +
               (mi >= 0 ? GAP + BAR_W + 4 + TICK_W : 0);
        if (c->w <= PGC_PNG_MAX_DIM || mi < 0) break;
        if (nscale) nscale = 0;
        else mi = -1;
    }
    c->h = 2 * MARGIN + LABEL + H;
    size_t need = c->w * c->h * 3;
    if (need > c->cap) {
        uint8_t *p = realloc(c->rgb, need);
        if (!p) return pgc_errf(e, PGC_ENOMEM, "out of memory for a %zu x %zu picture", c->h, c->w);
        c->rgb = p, c->cap = need;
    }
    if (H * W > c->scratch_cap) {
        float *g = realloc(c->grey, H * W * sizeof *g);
        if (g) c->grey = g;
        float *m = g ? realloc(c->map, H * W * sizeof *m) : NULL;
        if (m) c->map = m;
        if (!g || !m) return pgc_errf(e, PGC_ENOMEM, "out of memory for a %zu x %zu picture", H, W);
        c->scratch_cap = H * W;
    }
    for (size_t i = 0; i < c->w * c->h; i++) memcpy(c->rgb + 3 * i, background, 3);
    int rc = image_to_grey(im, c->grey, id, e);
    if (rc) return rc;

    long x = MARGIN, y = MARGIN + LABEL, pw = (long)W, ph = (long)H;
    draw_panel(c, x, y, H, W, NULL, 0);
    draw_text(c, x, MARGIN, "image", pw);
    draw_boxes(c, f, "truth", x, y, pw, ph, truth_rgb);
    if (mi < 0) {
        draw_boxes(c, f, "boxes", x, y, pw, ph, pred_rgb);
        return PGC_OK;
    }
    for (int k = 0; k <= nscale; k++) {
        x += pw + GAP;
        const pgc_record *r = &f->rec[k < nscale ? scale_idx[k] : mi];
        if ((rc = map_to_panel(c, r, H, W, id, e))) return rc;
        draw_panel(c, x, y, H, W, c->map, o->alpha);
        char name[64] = "map";
        pgc_meta_get(r, "name", name, sizeof name);
        draw_text(c, x, MARGIN, name, pw);
        draw_boxes(c, f, "truth", x, y, pw, ph, truth_rgb);
        if (k == nscale) draw_boxes(c, f, "boxes", x, y, pw, ph, pred_rgb);
    }
    x += pw + GAP; // the colour bar: 1 at the top, 0 at the bottom, blended as the maps are
    for (long by = 0; by < ph; by++) {
        double v = ph > 1 ? 1 - (double)by / (double)(ph - 1) : 1, a = o->alpha * v;
        uint8_t col[3], out[3];
        pgc_colormap(v, col);
        for (int k = 0; k < 3; k++) out[k] = (uint8_t)lround(a * col[k] + (1 - a) * 128);
        for (long bx = 0; bx < BAR_W; bx++) put(c, x + bx, y + by, out);
    }
    draw_text(c, x + BAR_W + 4, y, "1", TICK_W);
    draw_text(c, x + BAR_W + 4, y + ph - 5 * FONT_SCALE, "0", TICK_W);
    return PGC_OK;
}

int pgc_render_png(const pgc_canvas *c, FILE *fp, const char *name, pgc_err *e)
{
    return pgc_png_write(fp, name, c->rgb, (uint32_t)c->h, (uint32_t)c->w, 3, e);
}

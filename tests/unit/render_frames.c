/* Frame pictures: layout, grey levels, boxes, colour map, file names, PNG round trip. */
#include "../../lib/colormap.h"
#include "../../lib/render.h"
#include "check.h"

#include <png.h>
#include <stdlib.h>

/* Layout constants of lib/render.c, restated: a change there should be a decision. */
enum { MARGIN = 6, GAP = 6, LABEL = 16, BAR = 14 + 4 + 28 };

static const uint8_t *at(const pgc_canvas *c, long x, long y)
{
    return c->rgb + 3 * ((size_t)y * c->w + (size_t)x);
}

static int is_rgb(const uint8_t *p, int r, int g, int b) { return p[0] == r && p[1] == g && p[2] == b; }

static pgc_record *add(pgc_frame *f, const char *name)
{
    pgc_record *r = pgc_frame_add(f, NULL);
    pgc_meta_set(r, "frame", "vol:axial:7", NULL);
    pgc_meta_set(r, "name", name, NULL);
    return r;
}

/* A 20 x 30 slice whose values are x (0..29), so grey rises left to right. */
static void slice_frame(pgc_frame *f)
{
    pgc_record *r = add(f, "image");
    pgc_record_shape(r, PGC_DT_U16, 2, (uint64_t[]){20, 30}, NULL, NULL);
    for (int i = 0; i < 600; i++) ((uint16_t *)r->data)[i] = (uint16_t)(100 + i % 30);
    r = add(f, "truth");
    pgc_record_boxes(r, 1, NULL);
    memcpy(r->data, (float[]){2, 3, 10, 12}, sizeof(float) * 4);
    r = add(f, "boxes");
    pgc_record_boxes(r, 1, NULL);
    memcpy(r->data, (float[]){15, 5, 25, 15}, sizeof(float) * 4);
}

static void a_frame_without_a_map_is_the_grey_slice_with_its_boxes(void)
{
    pgc_frame f = {0};
    slice_frame(&f);
    pgc_canvas c = {0};
    pgc_render_opts o = {"pgcam", 0.6, 1};
    EXPECT(pgc_render_frame(&f, &o, &c, NULL) == 0);
    EXPECT(c.w == 2 * MARGIN + 30 && c.h == 2 * MARGIN + LABEL + 20);
    long x = MARGIN, y = MARGIN + LABEL;
    EXPECT(is_rgb(at(&c, x + 0, y + 0), 0, 0, 0));         // the minimum is black
    EXPECT(is_rgb(at(&c, x + 29, y + 19), 255, 255, 255)); // the maximum white
    EXPECT(is_rgb(at(&c, x + 2, y + 5), 0, 230, 0));       // truth: left edge, 2 px
    EXPECT(is_rgb(at(&c, x + 3, y + 5), 0, 230, 0));
    EXPECT(!is_rgb(at(&c, x + 4, y + 5), 0, 230, 0));       // inside stays grey
    EXPECT(is_rgb(at(&c, x + 9, y + 11), 0, 230, 0));      // last pixel of the half-open box
    EXPECT(!is_rgb(at(&c, x + 10, y + 11), 0, 230, 0));
    EXPECT(is_rgb(at(&c, x + 24, y + 5), 255, 32, 32));    // prediction in red
    pgc_canvas_free(&c);
    pgc_frame_free(&f);
}

static void maps_give_one_panel_per_scale_then_the_fused_map_and_a_bar(void)
{
    pgc_frame f = {0};
    slice_frame(&f);
    pgc_record *r = add(&f, "cam.s2");
    pgc_record_f32_2d(r, 10, 15, NULL);
    for (int i = 0; i < 150; i++) ((float *)r->data)[i] = 0;
    r = add(&f, "pgcam");
    pgc_record_f32_2d(r, 20, 30, NULL);
    for (int i = 0; i < 600; i++) ((float *)r->data)[i] = i == 0 ? 1.0f : 0.0f;
    pgc_canvas c = {0};
    pgc_render_opts o = {"pgcam", 0.5, 1};
    EXPECT(pgc_render_frame(&f, &o, &c, NULL) == 0);
    EXPECT(c.w == 2 * MARGIN + 3 * 30 + 2 * GAP + GAP + BAR);
    long y = MARGIN + LABEL, x2 = MARGIN + 30 + GAP, x3 = x2 + 30 + GAP;
    // a zero map leaves the slice as it is; the fused map's 1 blends half the top colour
    EXPECT(is_rgb(at(&c, x2 + 29, y + 19), 255, 255, 255));
    uint8_t top[3];
    pgc_colormap(1, top);
    for (int k = 0; k < 3; k++) EXPECT(abs(at(&c, x3, y)[k] - (int)lround(0.5 * top[k])) <= 1);
    EXPECT(is_rgb(at(&c, x3 + 29, y + 19), 255, 255, 255));
    EXPECT(is_rgb(at(&c, x3 + 24, y + 5), 255, 32, 32)); // predictions on the fused panel
    EXPECT(!is_rgb(at(&c, x2 + 24, y + 5), 255, 32, 32)); // not on the scale panel
    EXPECT(is_rgb(at(&c, x2 + 2, y + 5), 0, 230, 0));     // truth on every panel
    o.scales = 0;
    EXPECT(pgc_render_frame(&f, &o, &c, NULL) == 0 && c.w == 2 * MARGIN + 2 * 30 + GAP + GAP + BAR);
    pgc_canvas_free(&c);
    pgc_frame_free(&f);
}

static void bad_frames_are_errors(void)
{
    pgc_frame f = {0};
    pgc_canvas c = {0};
    pgc_render_opts o = {"pgcam", 0.6, 1};
    pgc_err e;
    add(&f, "truth");
    EXPECT(pgc_render_frame(&f, &o, &c, &e) == PGC_EINPUT && strstr(e.msg, "no image"));
    pgc_frame_free(&f);
    pgc_record *r = add(&f, "image");
    pgc_record_f32_2d(r, 2, 2, NULL);
    memcpy(r->data, (float[]){0, 1, NAN, 2}, sizeof(float) * 4);
    EXPECT(pgc_render_frame(&f, &o, &c, &e) == PGC_EINPUT && strstr(e.msg, "NaN"));
    ((float *)r->data)[2] = 3;
    r = add(&f, "pgcam");
    pgc_record_f32_2d(r, 2, 2, NULL);
    memcpy(r->data, (float[]){0, INFINITY, 0, 0}, sizeof(float) * 4);
    EXPECT(pgc_render_frame(&f, &o, &c, &e) == PGC_EINPUT && strstr(e.msg, "pgcam"));
    pgc_canvas_free(&c);
    pgc_frame_free(&f);
}

static void the_colour_map_runs_dark_to_light(void)
{
    uint8_t a[3], b[3];
    pgc_colormap(0, a);
    EXPECT(is_rgb(a, 0, 0, 4));
    pgc_colormap(1, a);
    EXPECT(is_rgb(a, 252, 255, 164));
    pgc_colormap(NAN, b);
    EXPECT(is_rgb(b, 0, 0, 4));
    pgc_colormap(7, b);
    EXPECT(is_rgb(b, 252, 255, 164));
    double last = -1;
    for (int i = 0; i <= 100; i++) { // luma (Rec. 601) never falls
        pgc_colormap(i / 100.0, a);
        double l = 0.299 * a[0] + 0.587 * a[1] + 0.114 * a[2];
        EXPECT(l >= last - 0.5);
        last = l;
    }
}

static void frame_ids_become_safe_file_names(void)
{
    char b[32];
    pgc_frame_filename("vol.nii.gz:axial:77", b, sizeof b);
    EXPECT_STR(b, "vol.nii.gz_axial_77");
    pgc_frame_filename("../../etc/passwd", b, sizeof b);
    EXPECT_STR(b, "_._.._etc_passwd");
    pgc_frame_filename("", b, sizeof b);
    EXPECT_STR(b, "frame");
    pgc_frame_filename("a b\xc3\xa9", b, sizeof b);
    EXPECT_STR(b, "a_b__");
    pgc_frame_filename("0123456789012345678901234567890123456789", b, 32);
    EXPECT(strlen(b) == 31 && !strncmp(b, "01234567890123~", 15)); /* cut, then a hash */
    char c[32];
    pgc_frame_filename("0123456789012345678901234567890123456788", c, 32);
    EXPECT(strcmp(b, c)); /* long ids sharing a prefix stay apart */
}

static void two_ids_that_make_one_file_name_are_caught(void)
{
    /* D14: t1c:axial:7 and t1c_axial_7 both become t1c_axial_7.png */
    pgc_names s = {0};
    pgc_err e;
    char b[64];
    pgc_frame_filename("t1c:axial:7", b, sizeof b);
    EXPECT(pgc_names_claim(&s, b, "t1c:axial:7", &e) == 0);
    pgc_frame_filename("t1c_axial_7", b, sizeof b);
    EXPECT(pgc_names_claim(&s, b, "t1c_axial_7", &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "'t1c:axial:7' and 't1c_axial_7'"));
    for (int i = 0; i < 1000; i++) { /* the table grows and still knows them all */
        snprintf(b, sizeof b, "f%d", i);
        EXPECT(pgc_names_claim(&s, b, b, &e) == 0);
    }
    EXPECT(pgc_names_claim(&s, "f500", "f500", &e) == PGC_EINPUT && strstr(e.msg, "twice"));
    EXPECT(pgc_names_claim(&s, "t1c_axial_7", "x", &e) == PGC_EINPUT);
    pgc_names_free(&s);
}

static void the_png_reads_back_pixel_for_pixel(void)
{
    pgc_frame f = {0};
    slice_frame(&f);
    pgc_canvas c = {0};
    pgc_render_opts o = {"pgcam", 0.6, 1};
    pgc_render_frame(&f, &o, &c, NULL);
    FILE *fp = tmpfile();
    EXPECT(pgc_render_png(&c, fp, "t.png", NULL) == 0);
    long n = ftell(fp);
    rewind(fp);
    unsigned char *buf = malloc((size_t)n);
    EXPECT(fread(buf, 1, (size_t)n, fp) == (size_t)n);
    fclose(fp);
    png_image im = {.version = PNG_IMAGE_VERSION};
    EXPECT(png_image_begin_read_from_memory(&im, buf, (size_t)n));
    EXPECT(im.width == c.w && im.height == c.h);
    im.format = PNG_FORMAT_RGB;
    unsigned char *px = malloc(PNG_IMAGE_SIZE(im));
    EXPECT(png_image_finish_read(&im, NULL, px, 0, NULL));
    EXPECT(memcmp(px, c.rgb, c.w * c.h * 3) == 0);
    free(px);
    free(buf);
    pgc_canvas_free(&c);
    pgc_frame_free(&f);
}

int main(void)
{
    RUN(a_frame_without_a_map_is_the_grey_slice_with_its_boxes);
    RUN(maps_give_one_panel_per_scale_then_the_fused_map_and_a_bar);
    RUN(bad_frames_are_errors);
    RUN(the_colour_map_runs_dark_to_light);
    RUN(frame_ids_become_safe_file_names);
    RUN(two_ids_that_make_one_file_name_are_caught);
    RUN(the_png_reads_back_pixel_for_pixel);
    return check_done();
}

/* lib/slice_frames, lib/slice_input, lib/frame_ids: pgc-slice's work on one input, from
 * files made here (a PNG through lib/png_write, a NIfTI-1 byte by byte). */
#include <stdlib.h>
#include <unistd.h>

#include "../../lib/png_write.h"
#include "../../lib/slice_frames.h"
#include "check.h"

static char dir[] = "/tmp/pgc_slice_testXXXXXX";

/* dir/name, in one of a few buffers so that a test can hold several paths. */
static const char *in_dir(const char *name)
{
    static char path[8][256];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, sizeof path[0], "%s/%s", dir, name);
    return p;
}

static const char *write_text(const char *name, const char *text)
{
    const char *path = in_dir(name);
    FILE *f = fopen(path, "w");
    if (!f) return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

/* A 4 x 3 grey PNG, pixel values 10 y + x. */
static const char *write_png(const char *name)
{
    uint8_t pix[12];
    for (int i = 0; i < 12; i++) pix[i] = (uint8_t)(10 * (i / 4) + i % 4);
    const char *path = in_dir(name);
    pgc_err e;
    return pgc_png_write_file(path, pix, 3, 4, 1, &e) ? NULL : path;
}

static void put_le(unsigned char *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put_f32(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    put_le(p, u, 4);
}

/* A little-endian NIfTI-1 u8 volume, 3 x 2 x 2 (i j k), all 0 but voxel (0, 0, 1). */
static const char *write_nifti(const char *name)
{
    unsigned char b[352 + 12] = {0};
    put_le(b, 348, 4);
    const int dim[8] = {3, 3, 2, 2, 1, 1, 1, 1};
    for (int i = 0; i < 8; i++) put_le(b + 40 + 2 * i, (uint32_t)dim[i], 2);
    put_le(b + 70, 2, 2); /* u8 */
    put_le(b + 72, 8, 2);
    for (int i = 0; i < 8; i++) put_f32(b + 76 + 4 * i, 1);
    put_f32(b + 108, 352);
    put_f32(b + 112, 1);
    memcpy(b + 344, "n+1\0", 4);
    b[352 + 0 + 3 * (0 + 2 * 1)] = 1;
    const char *path = in_dir(name);
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    fwrite(b, 1, sizeof b, f);
    fclose(f);
    return path;
}

static int meta_is(const pgc_record *r, const char *key, const char *want)
{
    char v[256];
    return pgc_meta_get(r, key, v, sizeof v) && !strcmp(v, want);
}

static const pgc_slice_opts axial = {.views = 1, .every = 1, .hi = -1};

static void a_png_with_a_label_row_becomes_one_labelled_frame(void)
{
    const char *png = write_png("a.png");
    pgc_labels l;
    pgc_err e;
    EXPECT(pgc_labels_load(write_text("labels.csv", "file,label,tumour_type\na.png,tumour,glioma\n"),
                           &l, &e) == PGC_OK);
    pgc_slicer s = {.o = &axial, .labels = &l};
    const pgc_record *r = NULL;
    EXPECT(png && pgc_slicer_open(&s, png, &e) == PGC_OK);
    EXPECT(pgc_slicer_next(&s, &r, &e) == 1);
    EXPECT(r && r->dtype == PGC_DT_U8 && r->rank == 2 && r->dims[0] == 3 && r->dims[1] == 4);
    EXPECT(r && ((const uint8_t *)r->data)[4 + 2] == 12);
    EXPECT(r && meta_is(r, "frame", "a") && meta_is(r, "name", "image") && meta_is(r, "axis", "png"));
    EXPECT(r && meta_is(r, "label", "tumour") && meta_is(r, "tumour_type", "glioma"));
    EXPECT(pgc_slicer_next(&s, &r, &e) == 0); /* no boxes: no truth */
    EXPECT(pgc_slicer_next(&s, &r, &e) == 0);
    pgc_slicer_free(&s);
    pgc_labels_free(&l);
}

static void boxes_of_a_png_are_clipped_to_it_and_those_outside_dropped(void)
{
    const char *png = write_png("b.png");
    pgc_boxes b;
    pgc_err e;
    EXPECT(pgc_boxes_load(write_text("boxes.csv", "file,x0,y0,x1,y1\nb.png,-2,1,10,2\nb.png,5,0,9,2\n"),
                          &b, &e) == PGC_OK);
    pgc_slicer s = {.o = &axial, .boxes = &b};
    const pgc_record *r = NULL;
    EXPECT(png && pgc_slicer_open(&s, png, &e) == PGC_OK);
    EXPECT(pgc_slicer_next(&s, &r, &e) == 1 && r == &s.image);
    EXPECT(pgc_slicer_next(&s, &r, &e) == 1 && r == &s.truth);
    EXPECT(meta_is(r, "name", "truth") && meta_is(r, "frame", "b"));
    EXPECT(r->dtype == PGC_DT_F32 && r->dims[0] == 1 && r->dims[1] == 4);
    const float *v = r->data;
    EXPECT(v[0] == 0 && v[1] == 1 && v[2] == 4 && v[3] == 2);
    EXPECT(pgc_slicer_next(&s, &r, &e) == 0);
    pgc_slicer_free(&s);
    pgc_boxes_free(&b);
}

static void two_files_with_one_basename_get_distinct_frame_ids(void)
{
    pgc_ids ids = {0};
    char a[64] = "t1c", b[64] = "t1c", c[64] = "t1c";
    EXPECT(pgc_ids_unique(&ids, a, sizeof a, NULL) == PGC_OK);
    EXPECT(pgc_ids_unique(&ids, b, sizeof b, NULL) == PGC_OK);
    EXPECT(pgc_ids_unique(&ids, c, sizeof c, NULL) == PGC_OK);
    EXPECT_STR(a, "t1c");
    EXPECT_STR(b, "t1c-2");
    EXPECT_STR(c, "t1c-3");
    for (int i = 0; i < 1000; i++) { /* past the first table size */
        char id[64];
        snprintf(id, sizeof id, "f%d", i % 500);
        EXPECT(pgc_ids_unique(&ids, id, sizeof id, NULL) == PGC_OK);
        if (i == 999) EXPECT_STR(id, "f499-2");
    }
    EXPECT(ids.taken.n == 1003);
    pgc_ids_free(&ids);
}

static void a_volume_with_its_segmentation_gives_an_image_then_a_truth_per_slice(void)
{
    const char *vol = write_nifti("v.nii");
    pgc_slice_opts o = axial;
    o.seg = vol; /* its own segmentation: the one non-zero voxel is the tumour */
    pgc_slicer s = {.o = &o};
    pgc_err e;
    const pgc_record *r = NULL;
    EXPECT(vol && pgc_slicer_open(&s, vol, &e) == PGC_OK);
    const char *want[4] = {"v:axial:0", "v:axial:0", "v:axial:1", "v:axial:1"};
    for (int i = 0; i < 4; i++) {
        EXPECT(pgc_slicer_next(&s, &r, &e) == 1);
        EXPECT(meta_is(r, "frame", want[i]) && meta_is(r, "name", i % 2 ? "truth" : "image"));
        EXPECT(meta_is(r, "label", i < 2 ? "none" : "tumour"));
        if (i % 2) EXPECT(r->rank == 2 && r->dims[0] == (uint64_t)(i / 2) && r->dims[1] == 4);
        else EXPECT(r->dtype == PGC_DT_F32 && r->dims[0] == 2 && r->dims[1] == 3);
    }
    EXPECT(pgc_slicer_next(&s, &r, &e) == 0);
    pgc_slicer_free(&s);
}

static void axial_slices_along_k_are_read_one_at_a_time_and_other_views_whole(void)
{
    const char *vol = write_nifti("v.nii"); /* no orientation: axial cuts across k */
    pgc_slice_opts o = axial;
    o.seg = vol;
    pgc_slicer s = {.o = &o};
    pgc_err e;
    const pgc_record *r = NULL;
    EXPECT(vol && pgc_slicer_open(&s, vol, &e) == PGC_OK);
    EXPECT(s.vst && s.sst && s.vol.data == NULL); /* the header only, so far */
    EXPECT(pgc_slicer_next(&s, &r, &e) == 1 && meta_is(r, "frame", "v:axial:0"));
    EXPECT(s.vol.cap == 6 && s.seg.cap == 6); /* one 3 x 2 slice of each */
    while (pgc_slicer_next(&s, &r, &e) == 1) continue;
    EXPECT(s.vst == NULL && s.sst == NULL); /* read to the end, closed */
    o.views = 2; /* coronal cuts across j: the volume is read whole */
    EXPECT(pgc_slicer_open(&s, vol, &e) == PGC_OK);
    EXPECT(s.vst == NULL && s.vol.cap == 12);
    o.views = 7;
    EXPECT(pgc_slicer_open(&s, vol, &e) == PGC_OK && s.vst == NULL);
    pgc_slicer_free(&s);
}

static void a_file_that_is_neither_png_nor_nifti_is_refused_naming_it(void)
{
    const char *txt = write_text("notes.txt", "hello world");
    pgc_slicer s = {.o = &axial};
    pgc_err e;
    char want[300];
    snprintf(want, sizeof want, "cannot read '%s': neither a PNG nor a NIfTI file", txt);
    EXPECT(pgc_slicer_open(&s, txt, &e) == PGC_EINPUT);
    EXPECT(!strcmp(e.msg, want));
    const pgc_record *r;
    EXPECT(pgc_slicer_next(&s, &r, &e) == 0);
    EXPECT(pgc_slicer_open(&s, in_dir("missing.png"), &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "missing.png': No such file or directory") != NULL);
    pgc_slicer_free(&s);
}

int main(void)
{
    if (!mkdtemp(dir)) return 1;
    RUN(a_png_with_a_label_row_becomes_one_labelled_frame);
    RUN(boxes_of_a_png_are_clipped_to_it_and_those_outside_dropped);
    RUN(two_files_with_one_basename_get_distinct_frame_ids);
    RUN(a_volume_with_its_segmentation_gives_an_image_then_a_truth_per_slice);
    RUN(a_file_that_is_neither_png_nor_nifti_is_refused_naming_it);
    RUN(axial_slices_along_k_are_read_one_at_a_time_and_other_views_whole);
    const char *names[] = {"a.png", "b.png", "labels.csv", "boxes.csv", "v.nii", "notes.txt"};
    for (int i = 0; i < 6; i++) unlink(in_dir(names[i]));
    rmdir(dir);
    return check_done();
}

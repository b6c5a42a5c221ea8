/* lib/npy_export and lib/npy_import: records to .npy files with their .meta and back. */
#include <stdlib.h>
#include <unistd.h>

#include "../../lib/npy_export.h"
#include "../../lib/npy_import.h"
#include "check.h"

static char dir[] = "/tmp/pgc_npy_testXXXXXX";

static const char *in_dir(const char *name)
{
    static char path[4][256];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", dir, name);
    return p;
}

/* An f32 (y x) 2 x 3 image of frame t1c:axial:7, values 0..5, labelled tumour. */
static void make_image(pgc_record *r)
{
    static const char *const yx[] = {"y", "x"};
    const uint64_t dims[2] = {2, 3};
    pgc_err e;
    pgc_record_shape(r, PGC_DT_F32, 2, dims, yx, &e);
    for (int i = 0; i < 6; i++) ((float *)r->data)[i] = (float)i;
    pgc_meta_set(r, "frame", "t1c:axial:7", &e);
    pgc_meta_set(r, "name", "image", &e);
    pgc_meta_set(r, "label", "tumour", &e);
}

static void a_record_exported_then_imported_comes_back_with_its_metadata(void)
{
    pgc_record r = {0}, back = {0};
    make_image(&r);
    pgc_npy_export x = {.dir = dir};
    pgc_err e;
    EXPECT(pgc_npy_export_record(&x, &r, 0, &e) == PGC_OK);
    EXPECT(access(in_dir("t1c_axial_7.image.meta"), R_OK) == 0);
    EXPECT(pgc_npy_import(in_dir("t1c_axial_7.image.npy"), &back, &e) == PGC_OK);
    EXPECT(back.dtype == PGC_DT_F32 && back.rank == 2 && back.dims[0] == 2 && back.dims[1] == 3);
    EXPECT_STR(back.dimname[0], "y");
    EXPECT_STR(back.dimname[1], "x");
    EXPECT(!memcmp(back.data, r.data, 6 * sizeof(float)));
    EXPECT(back.meta_len == r.meta_len && !memcmp(back.meta, r.meta, r.meta_len));
    pgc_npy_export_free(&x);
    pgc_record_free(&r);
    pgc_record_free(&back);
}

static void an_existing_file_is_not_overwritten_without_force(void)
{
    pgc_record r = {0};
    make_image(&r);
    pgc_err e;
    pgc_npy_export once = {.dir = dir}, again = {.dir = dir}, forced = {.dir = dir, .force = 1};
    EXPECT(pgc_npy_export_record(&once, &r, 0, &e) == PGC_OK ||
           strstr(e.msg, "exists; use --force")); /* the test before may have written it */
    char want[320];
    snprintf(want, sizeof want, "'%s' exists; use --force to replace it", in_dir("t1c_axial_7.image.npy"));
    EXPECT(pgc_npy_export_record(&again, &r, 0, &e) == PGC_EINPUT);
    EXPECT(!strcmp(e.msg, want));
    EXPECT(pgc_npy_export_record(&forced, &r, 0, &e) == PGC_OK);
    /* one run never writes a file twice, even with force */
    EXPECT(pgc_npy_export_record(&forced, &r, 1, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "would write") != NULL);
    pgc_npy_export_free(&once);
    pgc_npy_export_free(&again);
    pgc_npy_export_free(&forced);
    pgc_record_free(&r);
}

static void a_meta_line_without_a_colon_is_refused_naming_the_line(void)
{
    pgc_record r = {0};
    make_image(&r);
    pgc_err e;
    pgc_npy_export x = {.dir = dir, .force = 1};
    EXPECT(pgc_npy_export_record(&x, &r, 0, &e) == PGC_OK);
    const char *meta = in_dir("t1c_axial_7.image.meta");
    FILE *f = fopen(meta, "w");
    if (f) fputs("frame: x\nnocolon\n", f), fclose(f);
    char want[320];
    snprintf(want, sizeof want, "cannot read '%s': line 2 is not 'key: value'", meta);
    EXPECT(pgc_npy_import(in_dir("t1c_axial_7.image.npy"), &r, &e) == PGC_EINPUT);
    EXPECT(!strcmp(e.msg, want));
    EXPECT(pgc_npy_import(in_dir("none.npy"), &r, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "none.npy': No such file or directory") != NULL);
    pgc_npy_export_free(&x);
    pgc_record_free(&r);
}

int main(void)
{
    if (!mkdtemp(dir)) return 1;
    RUN(a_record_exported_then_imported_comes_back_with_its_metadata);
    RUN(an_existing_file_is_not_overwritten_without_force);
    RUN(a_meta_line_without_a_colon_is_refused_naming_the_line);
    unlink(in_dir("t1c_axial_7.image.npy"));
    unlink(in_dir("t1c_axial_7.image.meta"));
    rmdir(dir);
    return check_done();
}

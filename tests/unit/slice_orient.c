/* lib/slice: orientation from the voxel -> world matrix, radiological views, and the
 * transform back to source voxels. Volumes hold value 100 i + 10 j + k at voxel (i, j, k),
 * so every pixel says which voxel it came from. */
#include <stdlib.h>

#include "../../lib/slice.h"
#include "check.h"

enum { NI = 4, NJ = 5, NK = 6 };
static const size_t dims[3] = {NI, NJ, NK};

static float *volume(void)
{
    float *v = malloc(NI * NJ * NK * sizeof *v); // (k, j, i)
    for (int k = 0; k < NK; k++)
        for (int j = 0; j < NJ; j++)
            for (int i = 0; i < NI; i++) v[(k * NJ + j) * NI + i] = (float)(100 * i + 10 * j + k);
    return v;
}

static int voxel_i(float v) { return (int)v / 100; }
static int voxel_j(float v) { return (int)v / 10 % 10; }
static int voxel_k(float v) { return (int)v % 10; }

static pgc_orient orient(double m[3][3])
{
    pgc_orient o;
    pgc_orient_from_matrix(m, &o, NULL);
    return o;
}

static void ras_volume_axial_puts_right_on_the_left_and_anterior_on_top(void)
{
    double m[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}; /* i -> R, j -> A, k -> S */
    pgc_orient o = orient(m);
    EXPECT(o.axis[0] == 0 && o.axis[1] == 1 && o.axis[2] == 2);
    EXPECT(o.sign[0] == 1 && o.sign[1] == 1 && o.sign[2] == 1);
    pgc_view_map vm;
    pgc_view_plan(&o, PGC_VIEW_AXIAL, dims, &vm);
    EXPECT(vm.slice_axis == 2 && vm.h == NJ && vm.w == NI && vm.n == NK);
    float *v = volume(), img[NJ * NI];
    pgc_view_extract(&vm, v, dims, 2, img);
    /* column 0 = largest i (most right), row 0 = largest j (most anterior) */
    EXPECT(voxel_i(img[0]) == NI - 1 && voxel_j(img[0]) == NJ - 1 && voxel_k(img[0]) == 2);
    EXPECT(voxel_i(img[NI - 1]) == 0);
    EXPECT(voxel_j(img[(NJ - 1) * NI]) == 0);
    pgc_transform t = pgc_view_transform(&vm, dims);
    EXPECT(t.a == -1 && t.b == 0 && t.c == NI && t.d == 0 && t.e == -1 && t.f == NJ);
    free(v);
}

static void lps_volume_axial_is_the_array_as_it_is(void)
{
    double m[3][3] = {{-1, 0, 0}, {0, -1, 0}, {0, 0, 1}}; /* i -> L, j -> P */
    pgc_orient o = orient(m);
    pgc_view_map vm;
    pgc_view_plan(&o, PGC_VIEW_AXIAL, dims, &vm);
    float *v = volume(), img[NJ * NI];
    pgc_view_extract(&vm, v, dims, 4, img);
    for (int r = 0; r < NJ; r++)
        for (int c = 0; c < NI; c++)
            EXPECT(voxel_i(img[r * NI + c]) == c && voxel_j(img[r * NI + c]) == r);
    pgc_transform t = pgc_view_transform(&vm, dims);
    EXPECT(t.a == 1 && t.b == 0 && t.c == 0 && t.d == 0 && t.e == 1 && t.f == 0);
    free(v);
}

static void coronal_and_sagittal_put_superior_on_top(void)
{
    double m[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    pgc_orient o = orient(m);
    float *v = volume(), img[NK * NJ];
    pgc_view_map vm;
    pgc_view_plan(&o, PGC_VIEW_CORONAL, dims, &vm);
    EXPECT(vm.slice_axis == 1 && vm.h == NK && vm.w == NI);
    pgc_view_extract(&vm, v, dims, 3, img);
    EXPECT(voxel_k(img[0]) == NK - 1 && voxel_i(img[0]) == NI - 1 && voxel_j(img[0]) == 3);
    pgc_view_plan(&o, PGC_VIEW_SAGITTAL, dims, &vm);
    EXPECT(vm.slice_axis == 0 && vm.h == NK && vm.w == NJ);
    pgc_view_extract(&vm, v, dims, 1, img);
    /* rows superior -> inferior, columns anterior -> posterior */
    EXPECT(voxel_k(img[0]) == NK - 1 && voxel_j(img[0]) == NJ - 1 && voxel_i(img[0]) == 1);
    EXPECT(voxel_j(img[NJ - 1]) == 0 && voxel_k(img[(NK - 1) * NJ]) == 0);
    free(v);
}

static void permuted_axes_are_found_by_their_directions(void)
{
    /* array axis 0 runs toward S, 1 toward R, 2 toward P */
    double m[3][3] = {{0, 1, 0}, {0, 0, -1}, {1, 0, 0}};
    pgc_orient o = orient(m);
    EXPECT(o.axis[0] == 1 && o.axis[1] == 2 && o.axis[2] == 0);
    EXPECT(o.sign[0] == 1 && o.sign[1] == -1 && o.sign[2] == 1);
    pgc_view_map vm;
    pgc_view_plan(&o, PGC_VIEW_AXIAL, dims, &vm);
    EXPECT(vm.slice_axis == 0 && vm.row_axis == 2 && vm.col_axis == 1);
    EXPECT(vm.row_flip == 0 && vm.col_flip == 1);
}

static void an_oblique_scan_gets_the_nearest_axes(void)
{
    double c = cos(0.35), s = sin(0.35); /* 20 degrees about S, plus a little tilt */
    double m[3][3] = {{c, -s, 0.05}, {s, c, 0.1}, {-0.05, -0.1, 1}};
    pgc_orient o = orient(m);
    EXPECT(o.axis[0] == 0 && o.axis[1] == 1 && o.axis[2] == 2);
    EXPECT(o.sign[0] == 1 && o.sign[1] == 1 && o.sign[2] == 1);
    /* a 45-degree tie still yields a permutation: no world axis gets two array axes */
    double t[3][3] = {{1, 1, 0}, {-1, 1, 0}, {0, 0, 1}};
    o = orient(t);
    EXPECT(o.axis[0] != o.axis[1] && o.axis[1] != o.axis[2] && o.axis[0] != o.axis[2]);
}

static void singular_or_nan_matrices_are_errors(void)
{
    double z[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 0}}, n[3][3] = {{NAN, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    double flat[3][3] = {{1, 1, 0}, {0, 0, 1}, {1, 1, 1}};
    pgc_orient o;
    pgc_err e;
    EXPECT(pgc_orient_from_matrix(z, &o, &e) == PGC_EINPUT);
    EXPECT(pgc_orient_from_matrix(n, &o, &e) == PGC_EINPUT);
    EXPECT(pgc_orient_from_matrix(flat, &o, &e) == PGC_EINPUT);
}

/* For every orientation and view: the centre of each image pixel, mapped through the
 * transform, lands in the source voxel the pixel was copied from. */
static void every_pixel_maps_back_to_its_voxel(void)
{
    double mats[][3][3] = {
        {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
        {{-1, 0, 0}, {0, -1, 0}, {0, 0, 1}},
        {{0, 1, 0}, {0, 0, -1}, {1, 0, 0}},
        {{0, 0, -2}, {1.5, 0, 0}, {0, -1, 0}},
    };
    float *v = volume(), img[64];
    int bad = 0;
    for (int mi = 0; mi < 4; mi++) {
        pgc_orient o = orient(mats[mi]);
        for (int view = 0; view < 3; view++) {
            pgc_view_map vm;
            pgc_view_plan(&o, (pgc_view)view, dims, &vm);
            pgc_transform t = pgc_view_transform(&vm, dims);
            int lo = vm.slice_axis == 0 ? 1 : 0, hi = vm.slice_axis == 2 ? 1 : 2;
            for (size_t k = 0; k < vm.n; k++) {
                pgc_view_extract(&vm, v, dims, k, img);
                for (size_t r = 0; r < vm.h; r++)
                    for (size_t c = 0; c < vm.w; c++) {
                        double sx, sy;
                        pgc_transform_apply(&t, c + 0.5, r + 0.5, &sx, &sy);
                        float px = img[r * vm.w + c];
                        int idx[3] = {voxel_i(px), voxel_j(px), voxel_k(px)};
                        if (idx[vm.slice_axis] != (int)k) bad++;
                        if ((int)floor(sx) != idx[lo] || (int)floor(sy) != idx[hi]) bad++;
                    }
            }
        }
    }
    EXPECT(bad == 0);
    free(v);
}

static void frame_ids_drop_the_extension(void)
{
    char b[64];
    pgc_slice_frame_id("/a/b/t1c.nii.gz", b, sizeof b);
    EXPECT_STR(b, "t1c");
    pgc_slice_frame_id("x/0001.png", b, sizeof b);
    EXPECT_STR(b, "0001");
    pgc_slice_frame_id("noext", b, sizeof b);
    EXPECT_STR(b, "noext");
    pgc_slice_frame_id(".hidden", b, sizeof b);
    EXPECT_STR(b, ".hidden");
    pgc_slice_frame_id("a.b.c.nii", b, sizeof b);
    EXPECT_STR(b, "a.b.c");
}

static void metadata_comes_in_the_documented_order(void)
{
    pgc_record r = {0};
    pgc_slice_info s = {.frame = "f", .source = "s.nii", .axis = "axial", .index = 7,
                        .spacing = {1, 0.5}, .transform = {-1, 0, 240, 0, -1, 240},
                        .label = "none"};
    EXPECT(pgc_slice_meta(&r, &s, "image", NULL) == PGC_OK);
    EXPECT_STR(r.meta, "frame: f\nname: image\nsource: s.nii\naxis: axial\nindex: 7\n"
                       "spacing: 1 0.5\ntransform: -1 0 240 0 -1 240\nlabel: none\n");
    pgc_record_free(&r);
}

int main(void)
{
    RUN(ras_volume_axial_puts_right_on_the_left_and_anterior_on_top);
    RUN(lps_volume_axial_is_the_array_as_it_is);
    RUN(coronal_and_sagittal_put_superior_on_top);
    RUN(permuted_axes_are_found_by_their_directions);
    RUN(an_oblique_scan_gets_the_nearest_axes);
    RUN(singular_or_nan_matrices_are_errors);
    RUN(every_pixel_maps_back_to_its_voxel);
    RUN(frame_ids_drop_the_extension);
    RUN(metadata_comes_in_the_documented_order);
    return check_done();
}

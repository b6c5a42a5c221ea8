/* lib/nifti_write and lib/volume: the header written is the grid read; frames go back
 * onto the source's voxels; bad frames are refused with one line naming the frame. */
#include <stdlib.h>
#include <unistd.h>

#include "../../lib/nifti_write.h"
#include "../../lib/volume.h"
#include "../../lib/volume_report.h"
#include "check.h"

static pgc_nifti grid(int version)
{
    pgc_nifti g = {0};
    g.version = version, g.dim0 = 3;
    g.dims[0] = 4, g.dims[1] = 3, g.dims[2] = 2;
    double pix[8] = {-1, 0.5, 2, 3, 1, 0, 0, 0};
    memcpy(g.pixdim_raw, pix, sizeof pix);
    g.qform_code = 1, g.sform_code = 2;
    g.quatern[2] = 1; /* 180 degrees about z: LPS */
    g.qoffset[0] = 10, g.qoffset[1] = 20, g.qoffset[2] = -30;
    double srow[3][4] = {{-0.5, 0, 0, 10}, {0, -2, 0, 20}, {0, 0, 3, -30}};
    memcpy(g.srow, srow, sizeof srow);
    g.xyzt_units = 10, g.dim_info = 57;
    return g;
}

static void header_written_is_the_grid_read(void)
{
    for (int version = 1; version <= 2; version++) {
        pgc_nifti g = grid(version), r = {0};
        float data[24];
        for (int i = 0; i < 24; i++) data[i] = (float)i - 3.5f;
        unsigned char buf[PGC_NIFTI_WRITE_HDR_MAX + sizeof data];
        size_t n = pgc_nifti_header_f32(&g, "test", buf);
        EXPECT(n == (version == 1 ? 352u : 544u));
        memcpy(buf + n, data, sizeof data); /* little-endian host assumed, as on x86 and arm */
        pgc_err e;
        EXPECT(pgc_nifti_read_mem(buf, n + sizeof data, "mem", &r, &e) == 0);
        EXPECT(r.version == version && r.datatype == 16 && r.dim0 == 3);
        EXPECT(r.dims[0] == 4 && r.dims[1] == 3 && r.dims[2] == 2);
        EXPECT(r.qform_code == 1 && r.sform_code == 2 && r.xyzt_units == 10 && r.dim_info == 57);
        EXPECT(!memcmp(r.pixdim_raw, g.pixdim_raw, sizeof g.pixdim_raw));
        EXPECT(!memcmp(r.srow, g.srow, sizeof g.srow) && !memcmp(r.quatern, g.quatern, sizeof g.quatern));
        EXPECT(!memcmp(r.qoffset, g.qoffset, sizeof g.qoffset));
        EXPECT(r.data && !memcmp(r.data, data, sizeof data));
        pgc_nifti_free(&r);
    }
}

/* A voxel size of 0 reads as 1 mm; the map written back says 1 mm, the other entries
 * (qfac, the time step, a negative size) as stored. */
static void zero_voxel_sizes_are_written_as_read(void)
{
    for (int version = 1; version <= 2; version++) {
        pgc_nifti g = grid(version), r = {0};
        double pix[8] = {-1, 0, -2, 0, 0, 0.25, 0, 0};
        memcpy(g.pixdim_raw, pix, sizeof pix);
        float data[24] = {0};
        unsigned char buf[PGC_NIFTI_WRITE_HDR_MAX + sizeof data];
        size_t n = pgc_nifti_header_f32(&g, NULL, buf);
        memcpy(buf + n, data, sizeof data);
        pgc_err e;
        EXPECT(pgc_nifti_read_mem(buf, n + sizeof data, "mem", &r, &e) == 0);
        double want[8] = {-1, PGC_NIFTI_ZERO_PIXDIM, -2, PGC_NIFTI_ZERO_PIXDIM, 0, 0.25, 0, 0};
        EXPECT(!memcmp(r.pixdim_raw, want, sizeof want));
        EXPECT(r.pixdim[1] == 1 && r.pixdim[2] == 2 && r.pixdim[3] == 1);
        pgc_nifti_free(&r);
    }
}

static char dir[64];

/* A frame of one axial slice: map (h, w) with the given transform and index. */
static void frame(pgc_frame *f, const char *src, size_t h, size_t w, size_t ih, size_t iw,
                  const char *transform, long index)
{
    pgc_err e;
    f->n = 0;
    const char *names[2] = {"image", "pgcam"};
    size_t dims[2][2] = {{ih, iw}, {h, w}};
    for (int q = 0; q < 2; q++) {
        pgc_record *r = pgc_frame_add(f, &e);
        pgc_record_f32_2d(r, dims[q][0], dims[q][1], &e);
        float *p = r->data;
        for (size_t i = 0; i < dims[q][0] * dims[q][1]; i++) p[i] = (float)i;
        pgc_meta_set(r, "frame", "f", &e), pgc_meta_set(r, "name", names[q], &e);
        pgc_meta_set(r, "source", src, &e), pgc_meta_set(r, "axis", "axial", &e);
        pgc_meta_setf(r, "index", &e, "%ld", index);
        pgc_meta_set(r, "transform", transform, &e);
    }
}

static void frames_go_back_and_bad_ones_are_refused(void)
{
    pgc_nifti g = grid(1);
    float zero[24] = {0};
    char src[128];
    snprintf(src, sizeof src, "%s/v.nii", dir);
    pgc_err e;
    EXPECT(pgc_nifti_write_f32(src, &g, NULL, zero, 0, &e) == 0);
    EXPECT(pgc_nifti_write_f32(src, &g, NULL, zero, 0, &e) == PGC_EINPUT); /* exists */
    EXPECT(strstr(e.msg, "use --force"));
    pgc_volume v = {0};
    pgc_volume_opts o = {"pgcam", "boxes", 0.5, 0.5};
    pgc_frame f = {0};
    EXPECT(pgc_volume_begin(&v, src, "axial", &e) == 0);
    /* LPS: the axial view is the array itself, transform the identity */
    EXPECT(v.vm.n == 2 && v.vm.h == 3 && v.vm.w == 4);
    frame(&f, src, 3, 4, 3, 4, "1 0 0 0 1 0", 1);
    EXPECT(pgc_volume_add(&v, &f, &o, &e) == 0);
    EXPECT(v.data[12 + 5] == 5 && v.data[0] == 0 && v.frames == 1);
    frame(&f, src, 3, 4, 3, 4, "1 0 0 0 1 0", 1);
    EXPECT(pgc_volume_add(&v, &f, &o, &e) == PGC_EINPUT && strstr(e.msg, "came before"));
    frame(&f, src, 3, 4, 3, 4, "1 0 0 0 1 0", 2);
    EXPECT(pgc_volume_add(&v, &f, &o, &e) == PGC_EINPUT && strstr(e.msg, "outside"));
    frame(&f, src, 3, 3, 3, 4, "1 0 0 0 1 0", 0);
    EXPECT(pgc_volume_add(&v, &f, &o, &e) == PGC_EINPUT && strstr(e.msg, "not a scaling"));
    frame(&f, src, 3, 4, 3, 4, "0.5 0 0 0 1 0", 0);
    EXPECT(pgc_volume_add(&v, &f, &o, &e) == PGC_EINPUT && strstr(e.msg, "disagrees"));
    EXPECT(pgc_volume_begin(&v, src, "axial", &e) == 0); /* a fresh volume: a new first frame */
    frame(&f, src, 3, 4, 3, 4, "0.5 0 0 0 0.5 0", 0);
    EXPECT(pgc_volume_add(&v, &f, &o, &e) == PGC_EINPUT && strstr(e.msg, "does not fit"));
    EXPECT(pgc_volume_begin(&v, src, "png", &e) == PGC_EINPUT);
    pgc_frame_free(&f);
    pgc_volume_free(&v);
    unlink(src);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/pgc-volume-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    RUN(header_written_is_the_grid_read);
    RUN(zero_voxel_sizes_are_written_as_read);
    RUN(frames_go_back_and_bad_ones_are_refused);
    rmdir(dir);
    return check_done();
}

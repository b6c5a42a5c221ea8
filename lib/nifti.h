/* NIfTI-1 and NIfTI-2 volumes (.nii, gzip-compressed or not: told by the bytes, not the
 * name), either byte order, dtypes u8 i16 u16 i32 f32 f64, read into f32 with
 * scl_slope/scl_inter applied.
 *
 * Our own reader rather than libnifti: libnifti prints its own messages to stderr and
 * exits on some errors, while pgcam needs errors returned as one line, every limit
 * checked before anything is allocated, and a reader that can be fuzzed from memory. */
#ifndef PGC_NIFTI_H
#define PGC_NIFTI_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PGC_NIFTI_MAX_VOXELS (1ull << 31) /* what the format checks allow at all */
/* The resource cap on the voxels held as f32 (README, "Resource caps"): 2^28 voxels,
 * 1 GiB. A 2 MB .nii.gz can hold 2 GiB of zeros, which pgc-slice and pgc-volume would
 * otherwise hold as 8 GiB of f32. It bounds the volume when it is read whole, and one
 * k-slice (dims[0] x dims[1]) when it is read per slice (pgc_nifti_stream below). The
 * environment variable PGC_MAX_VOXELS (1..2^31) replaces it, for the rare larger scan. */
#define PGC_NIFTI_DEFAULT_VOXELS (1ull << 28)

typedef struct {
    int version;          /* 1 or 2 */
    int big_endian;       /* byte order of the file */
    int datatype;         /* NIfTI code: 2 u8, 4 i16, 8 i32, 16 f32, 64 f64, 512 u16 */
    size_t dims[3];       /* i, j, k extents (a 2-D image has dims[2] == 1) */
    double pixdim[4];     /* pixdim[0] is qfac; 1..3 voxel sizes (a 0 in the file reads
                             as PGC_NIFTI_ZERO_PIXDIM) */
    double scl_slope, scl_inter;
    int qform_code, sform_code;
    const char *method;   /* where m came from: "sform", "qform" or "none" */
    double m[3][3];       /* voxel index -> world (RAS+, mm): the linear part */
    double offset[3];     /* world position of voxel (0, 0, 0) */
    uint64_t vox_offset;  /* byte offset of the data in the (uncompressed) file */
    /* The header's geometry as stored, so that a writer can give a new volume the same
     * grid (lib/nifti_write.h): dim[0], pixdim[0..7], the quaternion and its offset, the
     * sform rows, the units and dim_info, untouched by the checks above. */
    int dim0;
    double pixdim_raw[8];
    double quatern[3], qoffset[3];
    double srow[3][4];
    int xyzt_units, dim_info;
    float *data;          /* (dims[2], dims[1], dims[0]): i fastest, as on disk; read per
                             slice, the one slice (dims[1], dims[0]) */
    size_t cap;           /* voxels allocated at data, reused by the next read */
} pgc_nifti;

/* The voxel size (mm) a pixdim of 0 is read as, as nibabel and FSL read it; the writer
 * stores it in its place, so a map written back reads without a warning. */
#define PGC_NIFTI_ZERO_PIXDIM 1.0

/* The voxel cap in force: PGC_MAX_VOXELS from the environment, else
 * PGC_NIFTI_DEFAULT_VOXELS. PGC_EINPUT when the variable is not a number in 1..2^31. */
int pgc_nifti_voxel_limit(uint64_t *limit, pgc_err *e);

/* Reads a whole volume. Errors read "cannot read '<path>': <problem>"; a volume of more
 * voxels than pgc_nifti_voxel_limit is refused before anything is allocated (the header
 * read too: its callers allocate the grid). */
int pgc_nifti_read_file(const char *path, pgc_nifti *v, pgc_err *e);
/* The header only: every field above but data (left as it was). */
int pgc_nifti_read_header_file(const char *path, pgc_nifti *v, pgc_err *e);
/* The same from memory; name is used in messages only. */
int pgc_nifti_read_mem(const void *buf, size_t len, const char *name, pgc_nifti *v,
                       pgc_err *e);
void pgc_nifti_free(pgc_nifti *v);

/* ---- per slice: the k-slices one at a time, in file order (k is the slowest axis on
 * disk, so a slice is contiguous even in one gzip stream), holding one slice of f32.
 * Open reads and checks the header as pgc_nifti_read_file does, but holds the voxel cap
 * against dims[0] x dims[1] voxels ("cannot read '<path>': a slice of I x J = N voxels,
 * more than the limit of L (PGC_MAX_VOXELS)"), and stops at the first voxel. v keeps the
 * header and, after each next, the slice at v->data; v must outlive the stream, and is
 * freed with pgc_nifti_free after pgc_nifti_stream_close. */
typedef struct pgc_nifti_stream pgc_nifti_stream;

/* 0 with *st open, or < 0 with *st NULL and e set. */
int pgc_nifti_stream_open(const char *path, pgc_nifti *v, pgc_nifti_stream **st, pgc_err *e);
/* The same over len bytes at buf, which must stay until the stream is closed. */
int pgc_nifti_stream_open_mem(const void *buf, size_t len, const char *name, pgc_nifti *v,
                              pgc_nifti_stream **st, pgc_err *e);
/* Reads the next slice into v->data: 1, or 0 once all dims[2] slices have been read and
 * the rest of a gzip stream checked (its CRC and length, as the whole reader does), or
 * < 0 with e naming the file and the problem (truncated, corrupt, a NaN voxel); an error
 * is returned again by every later call. */
int pgc_nifti_stream_next(pgc_nifti_stream *st, pgc_err *e);
/* The slices read so far: after a next that returned 1, the slice at v->data is
 * index - 1. */
size_t pgc_nifti_stream_index(const pgc_nifti_stream *st);
void pgc_nifti_stream_close(pgc_nifti_stream *st);

/* True when buf starts like a NIfTI file: gzip magic, or a NIfTI-1/2 sizeof_hdr in
 * either byte order. */
int pgc_nifti_sniff(const void *buf, size_t len);

#endif

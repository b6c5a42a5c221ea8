/* Writing f32 NIfTI volumes on the grid of one read by lib/nifti.h: same version (1 or
 * 2), extents, pixdim, qform and sform with their codes, units and dim_info, so that
 * voxel (i, j, k) of the new file lies on voxel (i, j, k) of the old one in any viewer.
 * Always little-endian, scl_slope 1, no extensions, gzip when the name ends in ".gz".
 *
 * Our own writer, like the reader: libniftiio prints to stderr and exits on some errors,
 * and pgcam needs a file that appears whole or not at all (lib/atomic_file.h); the
 * header is the fixed layout of nifti1.h / nifti2.h, checked by nibabel in the tests. */
#ifndef PGC_NIFTI_WRITE_H
#define PGC_NIFTI_WRITE_H

#include <stddef.h>

#include "err.h"
#include "nifti.h"

#define PGC_NIFTI_WRITE_HDR_MAX 544

/* The header (and the 4 bytes of "no extensions") of an f32 volume on grid's grid, into
 * buf (at least PGC_NIFTI_WRITE_HDR_MAX bytes). Returns its length, 352 or 544, which is
 * also vox_offset. descrip: up to 79 characters, or NULL. */
size_t pgc_nifti_header_f32(const pgc_nifti *grid, const char *descrip, unsigned char *buf);

/* Writes data, (dims[2], dims[1], dims[0]) of grid with i fastest, to path through a
 * temporary file. An existing path is an error unless replace. */
int pgc_nifti_write_f32(const char *path, const pgc_nifti *grid, const char *descrip,
                        const float *data, int replace, pgc_err *e);

#endif

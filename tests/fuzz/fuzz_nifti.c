/* libFuzzer target for the NIfTI reader (plain and gzip) and what pgc-slice does next
 * with a volume that reads: orientation, the three views, and the regions of a slice.
 * Any bytes must give a volume or a clean error: no crash, no hang, no allocation the
 * input cannot back (a lying header is refused before allocating). The per-slice reader
 * reads the same bytes: where the whole reader gives a volume it must give the same
 * slices (else abort, for libFuzzer to report), and elsewhere end cleanly too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/nifti.h"
#include "../../lib/regions.h"
#include "../../lib/slice.h"

static void per_slice(const uint8_t *data, size_t size, const pgc_nifti *whole)
{
    pgc_nifti v = {0};
    pgc_nifti_stream *st;
    pgc_err e;
    int opened = pgc_nifti_stream_open_mem(data, size, "fuzz", &v, &st, &e) == PGC_OK;
    if (whole && !opened) abort();
    if (opened) {
        size_t n = v.dims[0] * v.dims[1], k = 0;
        int rc;
        while ((rc = pgc_nifti_stream_next(st, &e)) == 1) {
            if (whole && memcmp(v.data, whole->data + k * n, n * sizeof *v.data)) abort();
            k++;
        }
        if (whole && (rc != 0 || k != whole->dims[2])) abort();
        pgc_nifti_stream_close(st);
    }
    pgc_nifti_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pgc_nifti v = {0};
    pgc_err e;
    int whole = pgc_nifti_read_mem(data, size, "fuzz", &v, &e) == PGC_OK;
    per_slice(data, size, whole ? &v : NULL);
    if (whole) {
        pgc_orient o;
        if (pgc_orient_from_matrix((const double(*)[3])v.m, &o, &e) == PGC_OK) {
            pgc_regions reg = {0};
            for (int view = 0; view < 3; view++) {
                pgc_view_map m;
                pgc_view_plan(&o, (pgc_view)view, v.dims, &m);
                if (m.h * m.w > (1u << 22)) continue; /* keep each run quick */
                float *img = malloc(m.h * m.w * sizeof *img);
                uint8_t *mask = malloc(m.h * m.w);
                if (img && mask) {
                    pgc_view_extract(&m, v.data, v.dims, m.n / 2, img);
                    for (size_t i = 0; i < m.h * m.w; i++) mask[i] = img[i] > 0;
                    pgc_regions_find(&reg, mask, m.h, m.w, &e);
                    pgc_transform t = pgc_view_transform(&m, v.dims), inv;
                    pgc_transform_invert(&t, &inv, &e);
                }
                free(img);
                free(mask);
            }
            pgc_regions_free(&reg);
        }
    }
    pgc_nifti_free(&v);
    return 0;
}

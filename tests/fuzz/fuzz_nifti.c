/* libFuzzer target for the NIfTI reader (plain and gzip) and what pgc-slice does next
 * with a volume that reads: orientation, the three views, and the regions of a slice.
 * Any bytes must give a volume or a clean error: no crash, no hang, no allocation the
 * input cannot back (a lying header is refused before allocating). */
#include <stdint.h>
#include <stdlib.h>

#include "../../lib/nifti.h"
#include "../../lib/regions.h"
#include "../../lib/slice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pgc_nifti v = {0};
    pgc_err e;
    if (pgc_nifti_read_mem(data, size, "fuzz", &v, &e) == PGC_OK) {
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

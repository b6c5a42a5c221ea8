/* libFuzzer target for the PNG reader (libpng behind setjmp) and what pgc-prep does next
 * with an image that reads: normalise and resize to a small square. Any bytes must give
 * an image or a clean error: no crash, no hang, no leak on the longjmp paths, no
 * allocation beyond what the file could hold. */
#include <stdint.h>
#include <stdlib.h>

#include "../../lib/png.h"
#include "../../lib/prep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pgc_png img = {0};
    pgc_err e;
    if (pgc_png_read_mem(data, size, "fuzz", &img, &e) == PGC_OK) {
        size_t n = (size_t)img.h * img.w;
        float *f = malloc(n * sizeof *f), out[32 * 32];
        if (f) {
            for (size_t i = 0; i < n; i++)
                f[i] = img.bits == 8 ? ((uint8_t *)img.data)[i] : ((uint16_t *)img.data)[i];
            pgc_prep_work w = {0};
            pgc_fit_plan p;
            if (pgc_prep_normalise(&w, f, n, PGC_NORM_PCT, 0.5, 99.5, &e) == PGC_OK &&
                pgc_fit_plan_make(img.h, img.w, 32, (pgc_fit)(size & 1), &p, &e) == PGC_OK)
                pgc_prep_resize(&w, f, img.h, img.w, &p, out, &e);
            pgc_prep_work_free(&w);
            free(f);
        }
    }
    pgc_png_free(&img);
    return 0;
}
